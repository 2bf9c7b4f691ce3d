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
:class:`IpnFilter` and page in date order over an index, by key (the last row's date and id),
never by OFFSET, so the millionth row costs what the first does; ``count(cap=...)`` stops
counting past a cap, so a view over a million IPNs opens without walking all of them.
:meth:`for_transaction` gives one transaction's IPNs oldest first for the timeline.
The records and filters live in ipn_records.py, ipn_filter.py and ipn_environments.py.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime

from fpsdesk.records.ipn import Ipn, IpnVerdict, Verdict, content_hash
from fpsdesk.store.db import HistoryConnection, transaction
from fpsdesk.store.ipn_environments import (
    CUSTOM_ENVIRONMENT,
    ENVIRONMENT_PREFIXES,
    IPN_ENVIRONMENTS,
    UNKNOWN_ENVIRONMENT,
    ipn_environment,
)
from fpsdesk.store.ipn_filter import IpnFilter, after_clause
from fpsdesk.store.ipn_records import (
    AddResult,
    IpnRecord,
    NewIpn,
    QuarantineDropped,
    QuarantineLimits,
    QuarantineRecord,
    ipn_record,
    parse_utc,
    quarantine_record,
    utc_now,
    utc_text,
)

__all__ = [
    "CUSTOM_ENVIRONMENT",
    "ENVIRONMENT_PREFIXES",
    "IPN_ENVIRONMENTS",
    "UNKNOWN_ENVIRONMENT",
    "AddResult",
    "IpnFilter",
    "IpnRecord",
    "IpnStore",
    "NewIpn",
    "QuarantineDropped",
    "QuarantineLimits",
    "QuarantineRecord",
    "ipn_environment",
]

_RANK = {IpnVerdict.NOT_CHECKED: 0, IpnVerdict.FAILED: 1, IpnVerdict.VERIFIED: 2}


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
        received = utc_text(item.received_at or utc_now())
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
                utc_text(ipn.transaction_date) if ipn.transaction_date else received,
                utc_text(ipn.transaction_date) if ipn.transaction_date else None,
                status.value if status else None,
                ipn.operation,
                ipn.status_code,
                amount.currency if amount else None,
                str(amount.value) if amount else None,
                verdict.status.value,
                verdict.reason_code.value if verdict.reason_code else None,
                verdict.reason,
                verdict.method,
                utc_text(utc_now()),
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
        when = utc_text(received_at or utc_now())
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
        return ipn_record(row) if row else None

    def get_by_hash(self, digest: str) -> IpnRecord | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM ipns WHERE content_hash = ?", (digest,)
            ).fetchone()
        return ipn_record(row) if row else None

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
        return [ipn_record(r) for r in rows]

    def count(self, filters: IpnFilter | None = None, *, cap: int | None = None) -> int:
        """How many IPNs match; with ``cap``, counting stops after ``cap + 1`` rows, so a
        result above ``cap`` means "more than ``cap``" (an exact COUNT over a million rows on
        PostgreSQL walks all of them, too slow for a view's first paint)."""
        where, args = (filters or IpnFilter()).where()
        sql = f"SELECT COUNT(*) FROM ipns {where}"
        if cap is not None:
            sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM ipns {where} LIMIT ?) AS capped"
            args = [*args, max(0, cap) + 1]
        with self._lock:
            return int(self._conn.execute(sql, args).fetchone()[0])

    def page(
        self,
        filters: IpnFilter | None = None,
        *,
        limit: int = 200,
        after: IpnRecord | None = None,
        newest_first: bool = True,
    ) -> list[IpnRecord]:
        """Up to ``limit`` rows in date order (the index ``ipns_event``), starting after the
        row ``after`` (the last one of the previous page), by key, not by OFFSET."""
        where, args = (filters or IpnFilter()).where()
        order = "DESC" if newest_first else "ASC"
        if after is not None:
            keyset, key_args = after_clause(after, newest_first=newest_first)
            where = f"{where} AND {keyset}" if where else f"WHERE {keyset}"
            args = [*args, *key_args]
        with self._lock:
            rows = self._conn.execute(
                f"SELECT * FROM ipns {where} ORDER BY event_at {order}, id {order} LIMIT ?",
                [*args, max(0, limit)],
            ).fetchall()
        return [ipn_record(r) for r in rows]

    def iter_all(
        self, filters: IpnFilter | None = None, *, newest_first: bool = False, batch: int = 1000
    ) -> Iterator[IpnRecord]:
        """Every matching record in batches (CSV export, ``ipn list``, re-checks), paged by key
        so reading all of 100,000 rows stays linear."""
        last: IpnRecord | None = None
        while True:
            rows = self.page(filters, limit=batch, after=last, newest_first=newest_first)
            yield from rows
            if len(rows) < batch:
                return
            last = rows[-1]

    def distinct(self, column: str) -> list[str]:
        """Values present in ``operation``, ``notification_type`` or ``transaction_status``."""
        if column not in ("operation", "notification_type", "transaction_status"):
            raise ValueError(f"no distinct values for {column!r}")
        sql = f"SELECT DISTINCT {column} FROM ipns WHERE {column} IS NOT NULL ORDER BY 1"
        if column == "operation":
            # The view's filter asks this on every open: hop over the column's index from one
            # value to the next (a few seeks), rather than reading a million rows for 5 values.
            sql = (
                f"WITH RECURSIVE present(v) AS (SELECT MIN({column}) FROM ipns UNION ALL"
                f" SELECT (SELECT MIN({column}) FROM ipns WHERE {column} > v) FROM present"
                " WHERE v IS NOT NULL) SELECT v FROM present WHERE v IS NOT NULL"
            )
        with self._lock:
            rows = self._conn.execute(sql).fetchall()
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
        dropped_at = parse_utc(row["last_dropped_at"])
        return QuarantineDropped(row["bodies"], row["deliveries"], dropped_at)

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
        return [quarantine_record(r) for r in rows]


def _verdict_values(verdict: Verdict, endpoint_url: str | None) -> tuple[object, ...]:
    """The SET values of a verdict update, in the order both verdict UPDATEs name them."""
    return (
        verdict.status.value,
        verdict.reason_code.value if verdict.reason_code else None,
        verdict.reason,
        verdict.method,
        utc_text(utc_now()),
        endpoint_url,
    )
