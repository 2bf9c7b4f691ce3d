"""Every IPN ever received or imported: raw, parsed, with its signature verdict.

One row per distinct notification. FPS retries a notification for up to a day, so a delivery
whose content (the sorted raw parameters) is already stored only raises that row's delivery
count. Garbage that is not an IPN at all goes to a quarantine table: the first few KiB of it,
with its full size and SHA-256, within caps on rows and bytes (:class:`QuarantineLimits`); the
least recently seen bodies are dropped first and counted. Anyone can POST garbage, so without
the caps the quarantine could fill the disk; a genuine IPN is never dropped for it.

Writes are single transactions on a WAL database opened with ``synchronous=FULL``: when
:meth:`IpnStore.add` returns, the row is on disk, so the receiver may acknowledge.

Query API for a lazy table model: :meth:`count` and :meth:`page` take the same
:class:`IpnFilter` and page in date order over an index; :meth:`for_transaction` gives one
transaction's IPNs oldest first for the timeline.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fpsdesk.fps.models import Amount, TransactionStatus
from fpsdesk.records.ipn import (
    LEGACY_STATUS_FIELD,
    STATUS_FIELD,
    FailReason,
    Ipn,
    IpnVerdict,
    Pairs,
    Verdict,
    content_hash,
    legacy_status,
    param,
)
from fpsdesk.store.db import HistoryConnection, transaction

_RANK = {IpnVerdict.NOT_CHECKED: 0, IpnVerdict.FAILED: 1, IpnVerdict.VERIFIED: 2}


def _iso(moment: datetime) -> str:
    """Fixed-width UTC text, so text order is time order (and the index sorts by time)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime; pass an aware one")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _now() -> datetime:
    return datetime.now(UTC)


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# Which FPS sent an IPN, told by its certificateUrl (FPS signs with a certificate served from
# its own host): the names the environment badge uses, and "Unknown" for a notification without
# one (a 2009 IPN, a return URL). One table serves the label and the SQL filter, so a row is
# always listed under the environment it is labelled with.
ENVIRONMENT_PREFIXES: dict[str, tuple[str, ...]] = {
    "Production": ("https://fps.amazonaws.com/",),
    "Sandbox": ("https://fps.sandbox.amazonaws.com/",),
    "Local sandbox": tuple(
        f"{scheme}://{host}"
        for scheme in ("http", "https")
        for host in ("127.", "localhost:", "localhost/", "[::1]")
    ),
}
CUSTOM_ENVIRONMENT = "Custom"
UNKNOWN_ENVIRONMENT = "Unknown"
IPN_ENVIRONMENTS = (*ENVIRONMENT_PREFIXES, CUSTOM_ENVIRONMENT, UNKNOWN_ENVIRONMENT)
_CERT_PARAM = '%["certificateUrl", "'  # how the key and its value start in the stored JSON


def ipn_environment(params: Pairs) -> str:
    """The environment an IPN came from (one of ``IPN_ENVIRONMENTS``)."""
    url = (param(params, "certificateUrl") or "").lower()
    if not url:
        return UNKNOWN_ENVIRONMENT
    for name, prefixes in ENVIRONMENT_PREFIXES.items():
        if url.startswith(prefixes):
            return name
    return CUSTOM_ENVIRONMENT


def _environment_clause(name: str) -> tuple[str, list[object]]:
    """SQL (over the stored JSON of ``params``) matching exactly the rows ``ipn_environment``
    names ``name``; LIKE is case-insensitive for ASCII, as the Python side lower-cases."""

    def like_any(prefixes: Iterable[str]) -> tuple[str, list[object]]:
        prefixes = list(prefixes)
        return (
            "(" + " OR ".join("params LIKE ?" for _ in prefixes) + ")",
            [f"{_CERT_PARAM}{p}%" for p in prefixes],
        )

    if name in ENVIRONMENT_PREFIXES:
        return like_any(ENVIRONMENT_PREFIXES[name])
    if name == UNKNOWN_ENVIRONMENT:
        return "params NOT LIKE ?", [f"{_CERT_PARAM}%"]
    if name == CUSTOM_ENVIRONMENT:
        known, args = like_any(p for group in ENVIRONMENT_PREFIXES.values() for p in group)
        return f"(params LIKE ? AND NOT {known})", [f"{_CERT_PARAM}%", *args]
    raise ValueError(f"unknown environment {name!r}; one of {', '.join(IPN_ENVIRONMENTS)}")


@dataclass(frozen=True, slots=True)
class IpnRecord:
    """One stored notification. ``params`` is verbatim; the rest is derived or bookkeeping."""

    id: int
    content_hash: str
    params: Pairs
    notification_type: str
    transaction_id: str | None
    parent_transaction_id: str | None
    event_at: datetime  # transactionDate, or when first received if the IPN has none
    transaction_date: datetime | None
    transaction_status: TransactionStatus | None
    operation: str | None
    status_code: str | None
    amount: Amount | None
    verdict: IpnVerdict
    reason_code: FailReason | None
    reason: str | None
    verify_method: str | None
    checked_at: datetime
    endpoint_url: str | None
    http_method: str
    source: str
    received_at: datetime
    last_received_at: datetime
    delivery_count: int
    # Where transaction_status came from: "transactionStatus", or "status" when it was mapped
    # from the 2009 field (Amazon's 2009 sample carries only status=INITIATED); None without.
    status_field: str | None = None

    def get(self, name: str) -> str | None:
        return param(self.params, name)

    @property
    def status_from_legacy_field(self) -> bool:
        """The status was read from the 2009 ``status`` field, not ``transactionStatus``."""
        return self.status_field == LEGACY_STATUS_FIELD

    @property
    def status_label(self) -> str | None:
        """The status for display, marked when it comes from the 2009 field."""
        if self.transaction_status is None:
            return None
        if self.status_from_legacy_field:
            return f"{self.transaction_status.value} (2009 status {self.get('status')})"
        return self.transaction_status.value

    @property
    def status_message(self) -> str | None:
        return self.get("statusMessage")

    @property
    def environment(self) -> str:
        """Which FPS sent it: Production, Sandbox, Local sandbox, Custom or Unknown."""
        return ipn_environment(self.params)

    @property
    def trusted(self) -> bool:
        """Only a Verified IPN may be taken as a transaction's status."""
        return self.verdict is IpnVerdict.VERIFIED

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict; ``fpsdesk ipn import`` reads it back (the envelope form)."""
        return {
            "id": self.id,
            "transaction_id": self.transaction_id,
            "notification_type": self.notification_type,
            "environment": self.environment,
            "event_at": self.event_at.isoformat(),
            "transaction_status": self.transaction_status.value
            if self.transaction_status
            else None,
            "status_field": self.status_field,
            "operation": self.operation,
            "amount": str(self.amount.value) if self.amount else None,
            "currency": self.amount.currency if self.amount else None,
            "status_code": self.status_code,
            "status_message": self.status_message,
            "verdict": self.verdict.value,
            "reason_code": self.reason_code.value if self.reason_code else None,
            "reason": self.reason,
            "verify_method": self.verify_method,
            "checked_at": self.checked_at.isoformat(),
            "received_at": self.received_at.isoformat(),
            "last_received_at": self.last_received_at.isoformat(),
            "delivery_count": self.delivery_count,
            "source": self.source,
            "endpoint_url": self.endpoint_url,
            "http_method": self.http_method,
            "params": [list(pair) for pair in self.params],
        }


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    """A body that was not an IPN: its first bytes, full size and hash, and why it was refused."""

    id: int
    body: bytes  # the first QuarantineLimits.prefix bytes (all of it when it was that short)
    content_type: str | None
    error: str
    source: str
    received_at: datetime
    last_received_at: datetime
    delivery_count: int
    size: int  # of the whole body as received
    content_hash: str  # SHA-256 of the whole body, hex

    @property
    def truncated(self) -> bool:
        return self.size > len(self.body)


@dataclass(frozen=True, slots=True)
class QuarantineLimits:
    """How much refused input the history keeps: ``prefix`` bytes of each body, at most
    ``rows`` bodies and ``bytes`` of kept prefixes in all."""

    prefix: int = 4096
    rows: int = 1000
    bytes: int = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class QuarantineDropped:
    """What the caps dropped so far: distinct bodies, and the deliveries they had counted."""

    bodies: int
    deliveries: int
    last_dropped_at: datetime | None


@dataclass(frozen=True, slots=True)
class AddResult:
    id: int
    new: bool
    delivery_count: int
    verdict: IpnVerdict


@dataclass(frozen=True, slots=True)
class NewIpn:
    """Everything :meth:`IpnStore.add_many` needs about one notification."""

    ipn: Ipn
    verdict: Verdict
    source: str
    endpoint_url: str | None = None
    http_method: str = "POST"
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IpnFilter:
    """Filters of the Notifications view. All optional; they combine with AND.

    ``transaction_id`` matches an exact ID or any ID that starts with it (upper-cased), so it
    uses the index. Dates apply to the IPN's date: ``date_from`` inclusive, ``date_to``
    exclusive.
    """

    date_from: datetime | None = None
    date_to: datetime | None = None
    status: TransactionStatus | None = None
    operation: str | None = None
    verdict: IpnVerdict | None = None
    transaction_id: str | None = None
    notification_type: str | None = None
    environment: str | None = None  # one of IPN_ENVIRONMENTS

    def where(self) -> tuple[str, list[object]]:
        clauses: list[str] = []
        args: list[object] = []
        if self.date_from is not None:
            clauses.append("event_at >= ?")
            args.append(_iso(self.date_from))
        if self.date_to is not None:
            clauses.append("event_at < ?")
            args.append(_iso(self.date_to))
        if self.status is not None:
            clauses.append("transaction_status = ?")
            args.append(self.status.value)
        if self.operation:
            clauses.append("operation = ?")
            args.append(self.operation.strip().upper())
        if self.verdict is not None:
            clauses.append("verdict = ?")
            args.append(self.verdict.value)
        if self.notification_type:
            clauses.append("notification_type = ?")
            args.append(self.notification_type.strip())
        if self.environment:
            clause, clause_args = _environment_clause(self.environment)
            clauses.append(clause)
            args.extend(clause_args)
        if self.transaction_id and self.transaction_id.strip():
            prefix = self.transaction_id.strip().upper()
            clauses.append("transaction_id >= ? AND transaction_id < ?")
            args.extend([prefix, prefix + "\U0010ffff"])
        return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), args


def _record(row: Any) -> IpnRecord:
    status = row["transaction_status"]
    field = row["status_field"] or (STATUS_FIELD if status else None)
    amount = row["amount"]
    reason_code = row["reason_code"]
    params = tuple((str(k), str(v)) for k, v in json.loads(row["params"]))
    if status is None:  # stored before the 2009 status field was read
        mapped = legacy_status(param(params, LEGACY_STATUS_FIELD))
        if mapped is not None:
            status, field = mapped.value, LEGACY_STATUS_FIELD
    return IpnRecord(
        id=row["id"],
        content_hash=row["content_hash"],
        params=params,
        notification_type=row["notification_type"],
        transaction_id=row["transaction_id"],
        parent_transaction_id=row["parent_transaction_id"],
        event_at=datetime.fromisoformat(row["event_at"]),
        transaction_date=_dt(row["transaction_date"]),
        transaction_status=TransactionStatus(status) if status else None,
        operation=row["operation"],
        status_code=row["status_code"],
        amount=Amount(Decimal(amount), row["currency"]) if amount is not None else None,
        verdict=IpnVerdict(row["verdict"]),
        reason_code=FailReason(reason_code) if reason_code else None,
        reason=row["reason"],
        verify_method=row["verify_method"],
        checked_at=datetime.fromisoformat(row["checked_at"]),
        endpoint_url=row["endpoint_url"],
        http_method=row["http_method"],
        source=row["source"],
        received_at=datetime.fromisoformat(row["received_at"]),
        last_received_at=datetime.fromisoformat(row["last_received_at"]),
        delivery_count=row["delivery_count"],
        status_field=field,
    )


def _quarantine_record(row: Any) -> QuarantineRecord:
    body = bytes(row["body"])
    return QuarantineRecord(
        id=row["id"],
        body=body,
        content_type=row["content_type"],
        error=row["error"],
        source=row["source"],
        received_at=datetime.fromisoformat(row["received_at"]),
        last_received_at=datetime.fromisoformat(row["last_received_at"]),
        delivery_count=row["delivery_count"],
        size=row["body_size"] if row["body_size"] is not None else len(body),
        content_hash=row["content_hash"],
    )


class IpnStore:
    """Thread-safe access to the ``ipns`` and ``ipn_quarantine`` tables of one open database."""

    def __init__(
        self, conn: HistoryConnection, *, quarantine_limits: QuarantineLimits | None = None
    ) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.quarantine_limits = quarantine_limits or QuarantineLimits()
        # open_database sets this already; the receiver's acknowledgement depends on it, so
        # make sure whatever SQLite connection we were given syncs every commit to disk
        # (PostgreSQL's commit is durable unless its server is told otherwise).
        if getattr(conn, "backend", "sqlite") == "sqlite":
            conn.execute("PRAGMA synchronous=FULL")

    def location(self) -> str:
        """Where the notifications are stored: a file, or a PostgreSQL URL without password."""
        location = getattr(self._conn, "location", None)
        return location() if location is not None else "a SQLite connection"

    def ping(self) -> None:
        """One round trip to the history (raises what the backend raises if it is gone)."""
        with self._lock:
            self._conn.execute("SELECT 1").fetchone()

    # -- writing -------------------------------------------------------------------------------

    def add(
        self,
        ipn: Ipn,
        verdict: Verdict,
        *,
        source: str,
        endpoint_url: str | None = None,
        http_method: str = "POST",
        received_at: datetime | None = None,
        delivery: bool = True,
    ) -> AddResult:
        """Store one notification; durable on disk when this returns.

        A notification already stored gains one delivery when ``delivery`` is true (an FPS
        retry); an import passes false, so importing a file again changes nothing. Either way a
        stronger verdict (Verified > Failed > Not checked) replaces a weaker one.
        """
        item = NewIpn(ipn, verdict, source, endpoint_url, http_method, received_at)
        return self.add_many([item], delivery=delivery)[0]

    def add_many(self, items: Iterable[NewIpn], *, delivery: bool = True) -> list[AddResult]:
        """Store many notifications in one transaction (imports, benchmarks)."""
        results: list[AddResult] = []
        # Not exclusive: every step below is safe against other writers by itself (a unique
        # insert, an atomic increment, a conditional verdict), so several receiver workers on
        # PostgreSQL commit side by side. SQLite still has one writer at a time.
        with transaction(self._conn, self._lock, exclusive=False):
            for item in items:
                results.append(self._add_one(item, delivery))
        return results

    def _add_one(self, item: NewIpn, delivery: bool) -> AddResult:
        digest = content_hash(item.ipn.params)
        received = _iso(item.received_at or _now())
        # Insert first: a new notification (the common case) is one statement; a repeat is
        # refused by the unique content hash and counted below.
        new_id = self._insert(item, digest, received)
        if new_id is not None:
            return AddResult(new_id, True, 1, item.verdict.status)
        row = self._conn.execute(
            "SELECT id, delivery_count, verdict FROM ipns WHERE content_hash = ?", (digest,)
        ).fetchone()
        count = int(row["delivery_count"])
        if delivery:
            count = int(
                self._conn.execute(
                    "UPDATE ipns SET delivery_count = delivery_count + 1, last_received_at ="
                    " CASE WHEN last_received_at < ? THEN ? ELSE last_received_at END"
                    " WHERE id = ? RETURNING delivery_count",
                    (received, received, row["id"]),
                ).fetchone()[0]
            )
        best = IpnVerdict(row["verdict"])
        if _RANK[item.verdict.status] > _RANK[best] and self._upgrade_verdict(
            row["id"], item.verdict, item.endpoint_url
        ):
            best = item.verdict.status
        return AddResult(row["id"], False, count, best)

    def _insert(self, item: NewIpn, digest: str, received: str) -> int | None:
        """A new row; None if a row with this content appeared meanwhile (not an error)."""
        ipn, verdict = item.ipn, item.verdict
        amount = ipn.amount
        status, field = ipn.status_and_field
        cur = self._conn.execute(
            "INSERT INTO ipns (content_hash, params, notification_type, transaction_id,"
            " parent_transaction_id, event_at, transaction_date, transaction_status, operation,"
            " status_code, currency, amount, verdict, reason_code, reason, verify_method,"
            " checked_at, endpoint_url, http_method, source, received_at, last_received_at,"
            " delivery_count, status_field)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?)"
            " ON CONFLICT (content_hash) DO NOTHING RETURNING id",
            (
                digest,
                json.dumps([list(p) for p in ipn.params], ensure_ascii=False),
                ipn.notification_type,
                ipn.transaction_id,
                ipn.parent_transaction_id,
                _iso(ipn.transaction_date) if ipn.transaction_date else received,
                _iso(ipn.transaction_date) if ipn.transaction_date else None,
                status.value if status else None,
                ipn.operation,
                ipn.status_code,
                amount.currency if amount else None,
                str(amount.value) if amount else None,
                verdict.status.value,
                verdict.reason_code.value if verdict.reason_code else None,
                verdict.reason,
                verdict.method,
                _iso(_now()),
                item.endpoint_url,
                item.http_method,
                item.source,
                received,
                received,
                field,
            ),
        )
        inserted = cur.fetchone()
        return int(inserted[0]) if inserted is not None else None

    def _upgrade_verdict(self, ipn_id: int, verdict: Verdict, endpoint_url: str | None) -> bool:
        """Write ``verdict`` only over a weaker one (checked in the statement itself, so two
        writers cannot replace a stronger verdict); True if it was written."""
        rank = " ".join(f"WHEN '{v.value}' THEN {r}" for v, r in _RANK.items())
        row = self._conn.execute(
            "UPDATE ipns SET verdict = ?, reason_code = ?, reason = ?, verify_method = ?,"
            " checked_at = ?, endpoint_url = COALESCE(?, endpoint_url)"
            f" WHERE id = ? AND (CASE verdict {rank} ELSE 0 END) < ? RETURNING id",
            (*_verdict_values(verdict, endpoint_url), ipn_id, _RANK[verdict.status]),
        ).fetchone()
        return row is not None

    def _write_verdict(self, ipn_id: int, verdict: Verdict, endpoint_url: str | None) -> None:
        self._conn.execute(
            "UPDATE ipns SET verdict = ?, reason_code = ?, reason = ?, verify_method = ?,"
            " checked_at = ?, endpoint_url = COALESCE(?, endpoint_url) WHERE id = ?",
            (*_verdict_values(verdict, endpoint_url), ipn_id),
        )

    def set_verdict(
        self, ipn_id: int, verdict: Verdict, *, endpoint_url: str | None = None
    ) -> None:
        """Record the outcome of a re-check (whatever it is: a re-check may also downgrade)."""
        with transaction(self._conn, self._lock):
            self._write_verdict(ipn_id, verdict, endpoint_url)

    def quarantine(
        self,
        body: bytes,
        *,
        error: str,
        source: str,
        content_type: str | None = None,
        received_at: datetime | None = None,
    ) -> int:
        """Keep input that was refused: its first bytes, size and hash, within the caps.

        The same bytes again only count one more delivery. After a new body is kept, the least
        recently seen ones are dropped (and counted) until the rows and bytes are within
        :attr:`quarantine_limits`; the ``ipns`` table is never touched.
        """
        limits = self.quarantine_limits
        digest = hashlib.sha256(body).hexdigest()
        when = _iso(received_at or _now())
        with transaction(self._conn, self._lock):
            row = self._conn.execute(
                "SELECT id FROM ipn_quarantine WHERE content_hash = ?", (digest,)
            ).fetchone()
            if row is not None:
                self._conn.execute(
                    "UPDATE ipn_quarantine SET delivery_count = delivery_count + 1,"
                    " last_received_at = ? WHERE id = ?",
                    (when, row["id"]),
                )
                qid = int(row["id"])
            else:
                cur = self._conn.execute(
                    "INSERT INTO ipn_quarantine (content_hash, body, body_size, content_type,"
                    " error, source, received_at, last_received_at, delivery_count)"
                    " VALUES (?,?,?,?,?,?,?,?,1) RETURNING id",
                    (
                        digest,
                        body[: limits.prefix],
                        len(body),
                        content_type,
                        error[:1000],
                        source[:1000],
                        when,
                        when,
                    ),
                )
                qid = int(cur.fetchone()[0])
                self._trim_quarantine(qid, when)
        return qid

    def _trim_quarantine(self, keep: int, when: str) -> None:
        """Drop the least recently seen bodies (never ``keep``) until within the caps."""
        limits = self.quarantine_limits
        rows, size = self._conn.execute(
            "SELECT COUNT(*), CAST(COALESCE(SUM(length(body)), 0) AS BIGINT) FROM ipn_quarantine"
        ).fetchone()
        if rows <= limits.rows and size <= limits.bytes:
            return
        bodies = deliveries = 0
        for victim in self._conn.execute(
            "SELECT id, length(body) AS kept, delivery_count FROM ipn_quarantine"
            " WHERE id != ? ORDER BY last_received_at, id",
            (keep,),
        ).fetchall():
            if rows <= limits.rows and size <= limits.bytes:
                break
            self._conn.execute("DELETE FROM ipn_quarantine WHERE id = ?", (victim["id"],))
            rows -= 1
            size -= victim["kept"]
            bodies += 1
            deliveries += victim["delivery_count"]
        self._conn.execute(
            "UPDATE ipn_quarantine_dropped SET bodies = bodies + ?,"
            " deliveries = deliveries + ?, last_dropped_at = ? WHERE id = 1",
            (bodies, deliveries, when),
        )

    # -- reading -------------------------------------------------------------------------------

    def get(self, ipn_id: int) -> IpnRecord | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM ipns WHERE id = ?", (ipn_id,)).fetchone()
        return _record(row) if row else None

    def get_by_hash(self, digest: str) -> IpnRecord | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM ipns WHERE content_hash = ?", (digest,)
            ).fetchone()
        return _record(row) if row else None

    def for_transaction(
        self, transaction_id: str, *, include_children: bool = False
    ) -> list[IpnRecord]:
        """One transaction's IPNs, oldest first; with children, also its refunds' IPNs."""
        sql = "SELECT * FROM ipns WHERE transaction_id = ?"
        args: list[object] = [transaction_id]
        if include_children:
            sql = (
                "SELECT * FROM ipns WHERE transaction_id = ? UNION "
                "SELECT * FROM ipns WHERE parent_transaction_id = ?"
            )
            args.append(transaction_id)
        with self._lock:
            rows = self._conn.execute(f"{sql} ORDER BY event_at, id", args).fetchall()
        return [_record(r) for r in rows]

    def count(self, filters: IpnFilter | None = None) -> int:
        where, args = (filters or IpnFilter()).where()
        with self._lock:
            return int(self._conn.execute(f"SELECT COUNT(*) FROM ipns {where}", args).fetchone()[0])

    def page(
        self,
        filters: IpnFilter | None = None,
        offset: int = 0,
        limit: int = 200,
        *,
        newest_first: bool = True,
    ) -> list[IpnRecord]:
        """Rows ``offset`` to ``offset + limit`` in date order (the index ``ipns_event``)."""
        where, args = (filters or IpnFilter()).where()
        order = "DESC" if newest_first else "ASC"
        with self._lock:
            rows = self._conn.execute(
                f"SELECT * FROM ipns {where} ORDER BY event_at {order}, id {order}"
                " LIMIT ? OFFSET ?",
                [*args, max(0, limit), max(0, offset)],
            ).fetchall()
        return [_record(r) for r in rows]

    def iter_all(
        self, filters: IpnFilter | None = None, *, newest_first: bool = False, batch: int = 1000
    ) -> Iterator[IpnRecord]:
        """Every matching record in batches (CSV export, ``ipn list``, re-checks).

        Pages by key (the last row's date and id), not by OFFSET, so reading all of 100,000
        rows stays linear.
        """
        where, args = (filters or IpnFilter()).where()
        order = "DESC" if newest_first else "ASC"
        compare = "<" if newest_first else ">"
        last: tuple[str, int] | None = None
        while True:
            clause = where
            extra: list[object] = []
            if last is not None:
                keyset = f"(event_at {compare} ? OR (event_at = ? AND id {compare} ?))"
                clause = f"{where} AND {keyset}" if where else f"WHERE {keyset}"
                extra = [last[0], last[0], last[1]]
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT * FROM ipns {clause} ORDER BY event_at {order}, id {order} LIMIT ?",
                    [*args, *extra, batch],
                ).fetchall()
            yield from (_record(r) for r in rows)
            if len(rows) < batch:
                return
            last = (rows[-1]["event_at"], rows[-1]["id"])

    def distinct(self, column: str) -> list[str]:
        """Values present in ``operation``, ``notification_type`` or ``transaction_status``."""
        if column not in ("operation", "notification_type", "transaction_status"):
            raise ValueError(f"no distinct values for {column!r}")
        with self._lock:
            rows = self._conn.execute(
                f"SELECT DISTINCT {column} FROM ipns WHERE {column} IS NOT NULL ORDER BY 1"
            ).fetchall()
        return [str(r[0]) for r in rows]

    def quarantine_dropped(self) -> QuarantineDropped:
        """How many refused bodies the caps have dropped so far."""
        with self._lock:
            row = self._conn.execute(
                "SELECT bodies, deliveries, last_dropped_at FROM ipn_quarantine_dropped"
                " WHERE id = 1"
            ).fetchone()
        if row is None:
            return QuarantineDropped(0, 0, None)
        return QuarantineDropped(row["bodies"], row["deliveries"], _dt(row["last_dropped_at"]))

    def quarantine_count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM ipn_quarantine").fetchone()[0])

    def quarantined(self, *, limit: int = 100, offset: int = 0) -> list[QuarantineRecord]:
        """Newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM ipn_quarantine ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [_quarantine_record(r) for r in rows]


def _verdict_values(verdict: Verdict, endpoint_url: str | None) -> tuple[object, ...]:
    """The SET values of a verdict update, in the order both verdict UPDATEs name them."""
    return (
        verdict.status.value,
        verdict.reason_code.value if verdict.reason_code else None,
        verdict.reason,
        verdict.method,
        _iso(_now()),
        endpoint_url,
    )
