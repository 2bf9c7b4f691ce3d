"""Open the history: a local SQLite file (the default) or a team's PostgreSQL database.

Both backends share one interface (:class:`HistoryConnection`: ``execute``, ``executemany``,
``transaction``) and one list of forward-only migrations (fpsdesk/store/schema.py), which
``open_database`` applies; where the history is comes from fpsdesk/store/location.py.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from fpsdesk.store.location import (
    configured_history,
    history_password,
    is_postgres_url,
)
from fpsdesk.store.schema import MIGRATIONS, Spelled, StoreError

# How long an open waits for other processes holding the file (SQLite's busy timeout).
LOCK_WAIT_SECONDS = 10.0


class Cursor(Protocol):
    """What the stores read from a statement: rows that index by name and by position."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class HistoryConnection(Protocol):
    """One open history, on either backend. Statements use ``?`` placeholders."""

    backend: str  # "sqlite" | "postgresql"

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any: ...

    def transaction(
        self, lock: threading.Lock | None = None, *, exclusive: bool = True
    ) -> AbstractContextManager[None]: ...

    def location(self) -> str: ...

    def close(self) -> None: ...


def database_errors(*extra: type[BaseException]) -> tuple[type[BaseException], ...]:
    """The exceptions a history operation may raise for a database reason (not a bug), and
    ``extra``.

    psycopg's are included once it has been imported (only a PostgreSQL history imports it,
    so the desktop app's start never pays for it).
    """
    errors: list[type[BaseException]] = [StoreError, sqlite3.Error]
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        errors.append(psycopg.Error)
    return (*errors, *extra)


class SqliteHistory(sqlite3.Connection):
    """A history file: a ``sqlite3.Connection`` with the shared interface added."""

    backend = "sqlite"

    def transaction(
        self, lock: threading.Lock | None = None, *, exclusive: bool = True
    ) -> AbstractContextManager[None]:
        """SQLite has one writer at a time whatever ``exclusive`` says."""
        return _sqlite_transaction(self, lock)

    def path(self) -> Path | None:
        """The file (None for an in-memory database)."""
        for row in self.execute("PRAGMA database_list").fetchall():
            if row[1] == "main" and row[2]:
                return Path(row[2])
        return None

    def location(self) -> str:
        found = self.path()
        return str(found) if found is not None else ":memory:"


@contextmanager
def _sqlite_transaction(conn: sqlite3.Connection, lock: threading.Lock | None) -> Iterator[None]:
    """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``), rolled back on any error.

    History connections autocommit (isolation_level None), so ``with conn:`` alone would make
    every statement its own transaction: a row and its event could be split by a crash, and a
    batch of rows would cost a disk flush each.
    """
    with lock or contextlib.nullcontext():
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def transaction(
    conn: HistoryConnection | sqlite3.Connection,
    lock: threading.Lock | None = None,
    *,
    exclusive: bool = True,
) -> AbstractContextManager[None]:
    """One write transaction on either backend; a plain ``sqlite3.Connection`` works too.

    ``exclusive`` (the default) serialises it with every other writer, as SQLite always does;
    a writer whose every statement is safe under concurrency by itself may pass False, and on
    PostgreSQL it then commits side by side with others."""
    if isinstance(conn, sqlite3.Connection) and not isinstance(conn, SqliteHistory):
        return _sqlite_transaction(conn, lock)
    return conn.transaction(lock, exclusive=exclusive)


def is_unique_violation(exc: BaseException) -> bool:
    """A unique constraint refused a row (SQLite or PostgreSQL)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    return getattr(exc, "sqlstate", None) == "23505"


def open_database(
    path: Path | str | None = None, *, password: str | None = None, reach: Any = None
) -> HistoryConnection:
    """Open (creating if needed) and migrate the history at ``path``.

    ``path`` is a file, ``":memory:"`` (a private in-memory database), or a
    ``postgresql://`` URL (a team's shared history; ``password`` for it comes from the
    keychain, never from a file). None: the configured history (fpsdesk/store/location.py).
    ``reach``: the app's ``fpsdesk.store.postgres.Reachability`` for a shared history (see
    there). Connections autocommit; writers use :meth:`HistoryConnection.transaction`.
    """
    if path is None:
        path, password = configured_history()
    if is_postgres_url(path):
        try:
            from fpsdesk.store.postgres import open_postgres
        except ImportError as exc:  # the packaged app uses the system's libpq (packaging.md)
            raise StoreError(
                f"A shared history on PostgreSQL needs the PostgreSQL client library (libpq), "
                f"which is not installed here ({exc}). Install it (Debian and Ubuntu: "
                f"apt install libpq5) or use a local history."
            ) from None

        assert isinstance(path, str)
        if password is None and urlsplit(path).password is None:
            password = history_password(path)
        return open_postgres(path, password=password, reach=reach)
    return open_sqlite(path)


def open_sqlite(path: Path | str) -> SqliteHistory:
    """Open (creating if needed) and migrate the history file at ``path``."""
    target = str(path)
    try:
        conn = sqlite3.connect(
            target,
            timeout=LOCK_WAIT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
            factory=SqliteHistory,
        )
        conn.row_factory = sqlite3.Row
        if target != ":memory:":
            _use_wal(conn)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        _migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"The history file {target} cannot be used: {exc}") from exc
    return conn


def _use_wal(conn: sqlite3.Connection, wait: float = LOCK_WAIT_SECONDS) -> None:
    """Switch to WAL, waiting out other processes that are opening the same file right now.

    Changing the journal mode needs the file to itself and SQLite reports "database is
    locked" at once instead of calling the busy handler, so concurrent first opens retry here.
    """
    deadline = time.monotonic() + wait
    pause = 0.005
    while True:
        try:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _schema_version(conn: sqlite3.Connection) -> int:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StoreError(
            f"history schema version {version} is newer than this fpsdesk understands "
            f"({len(MIGRATIONS)}); upgrade fpsdesk"
        )
    return version


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date, safely under any number of processes opening at once.

    The version read before the write lock only skips the common case (nothing to do). The
    one that counts is read again inside ``BEGIN IMMEDIATE``: another process may have
    migrated in between, and every pending migration then runs in that one transaction.
    """
    if _schema_version(conn) == len(MIGRATIONS):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _schema_version(conn)
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                text = statement.sqlite if isinstance(statement, Spelled) else statement
                if text is not None:
                    conn.execute(text)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
