"""The search cache: what GetAccountActivity returned, per environment, and when it was read.

Searching pages through FPS by date; a repeat or narrower search over a period already read
completely is answered from here at once (fpsdesk/desk/search.py decides what to read again).
``activity_spans`` records each period read completely and when; ``activity_txns`` holds the
transactions seen, newest read wins, plus the e-mails learnt from their details (FPS's
activity has names but no e-mails).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fpsdesk.store.db import HistoryConnection, transaction


def iso(moment: datetime) -> str:
    """Fixed-width UTC text, so SQLite orders and compares it as time."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class CachedTxn:
    transaction_id: str
    date_received: datetime
    status: str
    operation: str
    payment_method: str
    amount: str
    currency: str
    caller_reference: str | None = None
    description: str | None = None
    sender_name: str | None = None
    recipient_name: str | None = None
    caller_name: str | None = None
    sender_email: str | None = None
    recipient_email: str | None = None
    read_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime
    end: datetime
    read_at: datetime


_COLUMNS = (
    "transaction_id",
    "date_received",
    "status",
    "operation",
    "payment_method",
    "amount",
    "currency",
    "caller_reference",
    "description",
    "sender_name",
    "recipient_name",
    "caller_name",
    "sender_email",
    "recipient_email",
    "read_at",
)


def _row(row: Any) -> CachedTxn:
    return CachedTxn(
        transaction_id=row["transaction_id"],
        date_received=_dt(row["date_received"]),
        status=row["status"],
        operation=row["operation"],
        payment_method=row["payment_method"],
        amount=row["amount"],
        currency=row["currency"],
        caller_reference=row["caller_reference"],
        description=row["description"],
        sender_name=row["sender_name"],
        recipient_name=row["recipient_name"],
        caller_name=row["caller_name"],
        sender_email=row["sender_email"],
        recipient_email=row["recipient_email"],
        read_at=_dt(row["read_at"]),
    )


class ActivityCache:
    """Thread-safe access to the search cache tables of one open history database."""

    def __init__(self, conn: HistoryConnection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def upsert(self, env_key: str, txns: Iterable[CachedTxn], read_at: datetime) -> None:
        """Store one page; a newer read replaces the status, e-mails already learnt stay."""
        rows = [
            (
                env_key,
                t.transaction_id,
                iso(t.date_received),
                t.status,
                t.operation,
                t.payment_method,
                t.amount,
                t.currency,
                t.caller_reference,
                t.description,
                t.sender_name,
                t.recipient_name,
                t.caller_name,
                t.sender_email,
                t.recipient_email,
                iso(read_at),
            )
            for t in txns
        ]
        with transaction(self._conn, self._lock):
            self._conn.executemany(
                f"INSERT INTO activity_txns (env_key, {', '.join(_COLUMNS)}) VALUES "
                f"({', '.join('?' for _ in range(len(_COLUMNS) + 1))}) "
                "ON CONFLICT (env_key, transaction_id) DO UPDATE SET "
                "date_received=excluded.date_received, status=excluded.status, "
                "operation=excluded.operation, payment_method=excluded.payment_method, "
                "amount=excluded.amount, currency=excluded.currency, "
                "caller_reference=excluded.caller_reference, description=excluded.description, "
                "sender_name=excluded.sender_name, recipient_name=excluded.recipient_name, "
                "caller_name=excluded.caller_name, "
                "sender_email=COALESCE(excluded.sender_email, activity_txns.sender_email), "
                "recipient_email="
                "COALESCE(excluded.recipient_email, activity_txns.recipient_email), "
                "read_at=excluded.read_at",
                rows,
            )

    def set_emails(
        self, env_key: str, emails: Iterable[tuple[str, str | None, str | None]]
    ) -> None:
        """(transaction_id, sender e-mail, recipient e-mail) learnt from details."""
        with transaction(self._conn, self._lock):
            self._conn.executemany(
                "UPDATE activity_txns SET sender_email=COALESCE(?, sender_email), "
                "recipient_email=COALESCE(?, recipient_email) "
                "WHERE env_key=? AND transaction_id=?",
                [(s or "", r or "", env_key, t) for t, s, r in emails],
            )

    def add_span(self, env_key: str, start: datetime, end: datetime, read_at: datetime) -> None:
        with transaction(self._conn, self._lock):
            self._conn.execute(
                'INSERT INTO activity_spans (env_key, start, "end", read_at) VALUES (?,?,?,?)',
                (env_key, iso(start), iso(end), iso(read_at)),
            )

    def spans(self, env_key: str) -> list[Span]:
        with self._lock:
            rows = self._conn.execute(
                'SELECT start, "end", read_at FROM activity_spans WHERE env_key=? ORDER BY start',
                (env_key,),
            ).fetchall()
        return [Span(_dt(r[0]), _dt(r[1]), _dt(r[2])) for r in rows]

    def between(self, env_key: str, start: datetime, end: datetime) -> Iterator[CachedTxn]:
        """Cached transactions received in [start, end], newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM activity_txns WHERE env_key=? AND date_received BETWEEN ? AND ? "
                "ORDER BY date_received DESC, transaction_id",
                (env_key, iso(start), iso(end)),
            ).fetchall()
        return (_row(r) for r in rows)

    def without_emails(self, env_key: str, start: datetime, end: datetime) -> list[str]:
        """IDs in [start, end] whose details (and so e-mails) have not been read yet."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT transaction_id FROM activity_txns WHERE env_key=? AND "
                "date_received BETWEEN ? AND ? AND sender_email IS NULL "
                "ORDER BY date_received DESC",
                (env_key, iso(start), iso(end)),
            ).fetchall()
        return [r[0] for r in rows]

    def transactions_with_email(self, text: str) -> set[str]:
        """IDs of transactions whose stored IPNs carry an e-mail containing ``text``.

        FPS's IPNs name the buyer and recipient (``buyerEmail``, ``recipientEmail``); the
        activity search has no e-mails, so this is where a search by e-mail starts.
        """
        needle = text.strip().casefold()
        if not needle:
            return set()
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT transaction_id, params FROM ipns WHERE transaction_id IS NOT NULL "
                "AND lower(params) LIKE ? ESCAPE '\\'",
                (f"%{escaped}%",),
            ).fetchall()
        found = set()
        for txn_id, params in rows:
            if _email_in(params, needle):
                found.add(txn_id)
        return found


_EMAIL_KEYS = ("buyeremail", "recipientemail", "senderemail")


def _email_in(params_json: str, needle: str) -> bool:
    import json

    try:
        pairs = json.loads(params_json)
    except ValueError:
        return False
    return any(
        isinstance(pair, list)
        and len(pair) == 2
        and str(pair[0]).casefold() in _EMAIL_KEYS
        and needle in str(pair[1]).casefold()
        for pair in pairs
    )
