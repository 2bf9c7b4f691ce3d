"""The history on PostgreSQL (a team's shared history), through psycopg 3.

Every SQL difference between the two backends lives here, and it is small:

- placeholders: the stores write ``?``; psycopg wants ``%s`` (and a literal ``%`` doubled);
- ``LIKE`` is ``ILIKE``: SQLite's LIKE ignores the case of ASCII letters;
- the migrations' DDL (:func:`ddl`): ``INTEGER PRIMARY KEY`` becomes an identity column,
  ``INTEGER`` ``BIGINT``, ``BLOB`` ``BYTEA``, and text columns compare byte-wise
  (``COLLATE "C"``) like SQLite, so ISO timestamps and ID prefixes order the same on both
  whatever the database's locale; the column ``end`` is quoted (a reserved word here);
- a write transaction takes one advisory lock (:data:`WRITE_LOCK`) after ``BEGIN``, the way
  SQLite's ``BEGIN IMMEDIATE`` takes the file's write lock: the stores' read-then-write steps
  (the quarantine's caps, settling an action, a Cancel's claim) stay correct under any number
  of desks and receiver workers writing at once. Storing an IPN needs no such lock (each of
  its statements is safe by itself), so receiver workers commit side by side;
- the schema version is a one-row table instead of ``PRAGMA user_version``;
- a migration step that cannot be translated (a trigger) is written both ways in
  ``MIGRATIONS`` as ``Spelled(sqlite=…, postgresql=(…))``.

A connection that the server dropped (restart, network) is opened again on the next
statement outside a transaction; inside one the error reaches the caller, which refuses or
retries as it would for a locked SQLite file.

A write of the ``ipns`` table is announced on the channel :data:`IPN_CHANNEL` once it is
committed (desks LISTEN, fpsdesk/store/live.py), in a transaction of its own that does not wait
for the disk: inside the write's commit, a NOTIFY would take PostgreSQL's one notification
lock across the commit's flush and serialise every receiver worker's commits (half the
throughput, measured). A connection announces at most once per :data:`ANNOUNCE_EVERY_S`: in a
burst, the round trip per IPN cost the receiver a third of its throughput, and the desks
LISTENing read once more :data:`~fpsdesk.store.live.TRAILING_S` after each announcement, which
shows the IPNs stored in between. A lost announcement only delays a window's refresh.

The desktop app passes a :class:`Reachability` shared by its connections: once the server is
known to be unreachable, a statement fails at once with :class:`HistoryUnreachable` instead of
waiting out a connect timeout on the GUI thread, until the app's watcher
(fpsdesk/store/live.py) reaches the server again. Other users (the receiver, the CLI) pass
none and reconnect on the next statement as before.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import psycopg
from psycopg.rows import RowMaker

from fpsdesk.store.schema import MIGRATIONS, HistoryUnreachable, Spelled, Statement, StoreError

log = logging.getLogger(__name__)

# pg_advisory_xact_lock keys: one for schema migrations, one taken by every write transaction.
MIGRATE_LOCK = 0x66707364_0001
WRITE_LOCK = 0x66707364_0002
CONNECT_TIMEOUT_SECONDS = 10

IPN_CHANNEL = "fpsdesk_ipns"
ANNOUNCE_EVERY_S = 0.2  # at most one IPN announcement per connection this often
_WRITES_IPNS = re.compile(r"\s*(INSERT\s+INTO|UPDATE)\s+ipns\b", re.IGNORECASE)
_ANNOUNCE_IPNS = (
    "SELECT set_config('synchronous_commit', 'off', true), pg_notify('" + IPN_CHANNEL + "', '')"
)

# For the desktop app's connections (those given a Reachability) and its watch: a server that
# vanished without closing the connection (a network gone, a machine off) is noticed in about
# ten seconds rather than when TCP gives up minutes later; statements on the window's thread
# wait at most that long before the history is marked offline and fail at once.
WATCHFUL = {
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "3",
    "tcp_user_timeout": "10000",
}

_SCHEMA_TABLE = "CREATE TABLE IF NOT EXISTS fpsdesk_schema (version INTEGER NOT NULL)"


class Row:
    """A result row that indexes by column name and by position, like ``sqlite3.Row``."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values, strict=True))!r})"


def _row_factory(cursor: psycopg.Cursor[Any]) -> RowMaker[Row]:
    names = [c.name for c in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}

    def make(values: Sequence[Any]) -> Row:
        return Row(values, index)

    return make


_QMARK_CACHE: dict[str, str] = {}


def placeholders(sql: str) -> str:
    """``?`` → ``%s`` (and ``%`` → ``%%``), and ``LIKE`` → ``ILIKE``: SQLite's LIKE ignores
    the case of ASCII letters, PostgreSQL's does not. The stores never put ``?`` or the word
    LIKE inside a literal."""
    done = _QMARK_CACHE.get(sql)
    if done is None:
        done = re.sub(r"\bLIKE\b", "ILIKE", sql.replace("%", "%%").replace("?", "%s"))
        if len(_QMARK_CACHE) < 4096:
            _QMARK_CACHE[sql] = done
    return done


def spell(statement: Statement) -> tuple[str, ...]:
    """A migration step as PostgreSQL's statements: its own spelling, or the translated DDL."""
    if isinstance(statement, Spelled):
        return statement.postgresql
    return (ddl(statement),)


def ddl(statement: str) -> str:
    """A migration statement as PostgreSQL spells it (see the module docstring)."""
    text = re.sub(
        r"\bINTEGER PRIMARY KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement
    )
    text = re.sub(r"\bINTEGER\b", "BIGINT", text)
    text = re.sub(r"\bBLOB\b", "BYTEA", text)
    if re.match(r"\s*(CREATE TABLE|ALTER TABLE)", text):
        text = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', text)
        text = re.sub(r"(?m)^(\s*)end TEXT", r'\1"end" TEXT', text)
    return text


def is_loopback(host: str | None) -> bool:
    """A socket directory, localhost or a loopback address: no TLS needed by default."""
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def connection_options(url: str) -> dict[str, str]:
    """TLS defaults for ``url``: ``sslmode=verify-full`` against the system's CAs for any
    host that is not this machine, unless the URL says otherwise (``sslmode``,
    ``sslrootcert=/path/to/ca.pem``)."""
    parts = urlsplit(url)
    given = dict(parse_qsl(parts.query))
    options: dict[str, str] = {}
    if not is_loopback(parts.hostname or given.get("host")):
        if "sslmode" not in given:
            options["sslmode"] = "verify-full"
        if "sslrootcert" not in given:
            options["sslrootcert"] = "system"
    return options


def redact(url: str) -> str:
    """The URL without a password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


class Reachability:
    """Whether one process's connections to a shared history can reach its server.

    Shared by the desktop app's connections (and its watcher): ``reason`` is None while the
    server answers, else why it does not (the first line of libpq's message). While it is
    down, :class:`PostgresHistory` does not try to connect: the watcher does, with a backoff.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reason: str | None = None

    @property
    def reason(self) -> str | None:
        with self._lock:
            return self._reason

    def down(self, reason: str) -> None:
        with self._lock:
            self._reason = reason or "the server does not answer"

    def up(self) -> None:
        with self._lock:
            self._reason = None


def connect(url: str, password: str | None = None, **options: Any) -> psycopg.Connection[Row]:
    """One autocommit connection with the TLS defaults (``HistoryUnreachable`` if it fails)."""
    extra: dict[str, Any] = {**connection_options(url), **options}
    if password is not None:
        extra["password"] = password
    try:
        return psycopg.connect(
            url,
            autocommit=True,
            row_factory=_row_factory,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="fpsdesk",
            **extra,
        )
    except psycopg.Error as exc:
        raise HistoryUnreachable(
            f"The shared history {redact(url)} cannot be reached: {_first_line(exc)}",
            _first_line(exc),
        ) from exc


class PostgresHistory:
    """A shared history in PostgreSQL: the interface of ``SqliteHistory``.

    With ``reach`` given and down, it starts without a connection (the app's offline start)
    and every statement fails at once until ``reach`` is up again.
    """

    backend = "postgresql"

    def __init__(
        self, url: str, password: str | None = None, reach: Reachability | None = None
    ) -> None:
        self._url = url
        self._password = password
        self._reach = reach
        self._conn: psycopg.Connection[Row] | None = None
        self._in_transaction = False
        self._wrote_ipns = False  # announced after the commit (see the module docstring)
        self._announced_at = float("-inf")
        if reach is None or reach.reason is None:
            self._conn = self._connect()

    def _connect(self) -> psycopg.Connection[Row]:
        try:
            return connect(self._url, self._password, **(WATCHFUL if self._reach else {}))
        except HistoryUnreachable as exc:
            if self._reach is not None:
                self._reach.down(exc.reason)
            raise

    def _live(self) -> psycopg.Connection[Row]:
        """The connection, opened again if the server dropped it (outside a transaction)."""
        conn = self._conn
        if conn is None or conn.broken:  # lost (not closed on purpose: that stays closed)
            reason = self._reach.reason if self._reach is not None else None
            if reason is not None:
                raise HistoryUnreachable(
                    f"The shared history {redact(self._url)} is offline: {reason}", reason
                )
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
                log.info("reconnecting to the shared history %s", redact(self._url))
            self._conn = conn = self._connect()
        return conn

    def _lost(self, exc: psycopg.Error) -> None:
        """A statement failed. With ``reach``, a lost connection marks it down and becomes
        ``HistoryUnreachable`` (nothing is retried here); otherwise the error goes on as is."""
        conn = self._conn
        if self._reach is not None and conn is not None and conn.broken:
            reason = _first_line(exc)
            self._reach.down(reason)
            raise HistoryUnreachable(
                f"The shared history {redact(self._url)} went offline: {reason}", reason
            ) from exc

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any:
        conn = self._live()
        try:
            cursor = conn.execute(placeholders(sql), parameters)
        except psycopg.OperationalError as exc:
            self._lost(exc)
            raise
        self._wrote(sql)
        return cursor

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> None:
        try:
            with self._live().cursor() as cur:
                cur.executemany(placeholders(sql), parameters)
        except psycopg.OperationalError as exc:
            self._lost(exc)
            raise
        self._wrote(sql)

    def _wrote(self, sql: str) -> None:
        """Note a write of ``ipns``; outside a transaction it is committed: announce it."""
        if _WRITES_IPNS.match(sql):
            self._wrote_ipns = True
            if not self._in_transaction:
                self._announce()

    def _announce(self) -> None:
        """NOTIFY the IPN channel in a transaction of its own that does not wait for the
        disk; never fails the write it announces (that is committed already)."""
        self._wrote_ipns = False
        conn = self._conn
        now = time.monotonic()
        if conn is None or conn.broken or now - self._announced_at < ANNOUNCE_EVERY_S:
            return
        self._announced_at = now
        try:
            conn.execute(_ANNOUNCE_IPNS)
        except psycopg.Error as exc:
            log.debug("could not announce new IPNs: %s", _first_line(exc))

    @contextmanager
    def transaction(
        self, lock: threading.Lock | None = None, *, exclusive: bool = True
    ) -> Iterator[None]:
        """One write transaction, serialised with every other exclusive writer (see the
        docstring) unless ``exclusive`` is False."""
        with lock or contextlib.nullcontext():
            conn = self._live()
            try:
                conn.execute("BEGIN")
            except psycopg.OperationalError as exc:
                self._lost(exc)
                raise
            self._in_transaction, self._wrote_ipns = True, False
            try:
                if exclusive:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                yield
            except BaseException as exc:
                self._in_transaction = self._wrote_ipns = False
                if not conn.broken:
                    conn.execute("ROLLBACK")
                elif isinstance(exc, psycopg.Error):
                    self._lost(exc)
                raise
            self._in_transaction = False
            try:
                conn.execute("COMMIT")
            except psycopg.OperationalError as exc:
                self._wrote_ipns = False
                self._lost(exc)
                raise
            if self._wrote_ipns:
                self._announce()

    def location(self) -> str:
        return redact(self._url)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def migrate(self) -> None:
        """Bring the schema up to date; concurrent first opens wait on one advisory lock."""
        conn = self._live()
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
            conn.execute(_SCHEMA_TABLE)
            row = conn.execute("SELECT version FROM fpsdesk_schema").fetchone()
            if row is None:
                conn.execute("INSERT INTO fpsdesk_schema (version) VALUES (0)")
                version = 0
            else:
                version = int(row[0])
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"history schema version {version} is newer than this fpsdesk understands "
                    f"({len(MIGRATIONS)}); upgrade fpsdesk"
                )
            for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    for text in spell(statement):
                        conn.execute(text)
                conn.execute("UPDATE fpsdesk_schema SET version = %s", (number,))
            conn.execute("COMMIT")
        except BaseException:
            if not conn.broken:
                conn.execute("ROLLBACK")
            raise

    def advance_identities(self, tables: Iterable[str]) -> None:
        """Move each table's id sequence past its highest id (after rows were copied in with
        their ids), so the next insert does not collide."""
        with self.transaction():
            for table in tables:
                self.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
                )

    def schema_version(self) -> int:
        row = self.execute("SELECT version FROM fpsdesk_schema").fetchone()
        return int(row[0]) if row is not None else 0


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def open_postgres(
    url: str, *, password: str | None = None, reach: Reachability | None = None
) -> PostgresHistory:
    """Connect to (and migrate) the shared history at ``url``.

    With ``reach`` down, the history is returned unconnected (and unmigrated): the watcher
    migrates when it reaches the server (fpsdesk/store/live.py)."""
    history = PostgresHistory(url, password, reach)
    if history._conn is None:
        return history
    try:
        history.migrate()
    except psycopg.Error as exc:
        history.close()
        raise StoreError(
            f"The shared history {redact(url)} cannot be used: {_first_line(exc)}"
        ) from exc
    return history
