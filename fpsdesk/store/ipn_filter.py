"""The Notifications view's filters as SQL, and the key that pages through them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fpsdesk.fps.models import TransactionStatus
from fpsdesk.records.ipn import IpnVerdict
from fpsdesk.store.ipn_environments import environment_clause
from fpsdesk.store.ipn_records import IpnRecord, utc_text


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
            args.append(utc_text(self.date_from))
        if self.date_to is not None:
            clauses.append("event_at < ?")
            args.append(utc_text(self.date_to))
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
            clause, clause_args = environment_clause(self.environment)
            clauses.append(clause)
            args.extend(clause_args)
        if self.transaction_id and self.transaction_id.strip():
            prefix = self.transaction_id.strip().upper()
            clauses.append("transaction_id >= ? AND transaction_id < ?")
            args.extend([prefix, prefix + "\U0010ffff"])
        return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), args


def after_clause(last: IpnRecord, *, newest_first: bool) -> tuple[str, list[object]]:
    """SQL for "after ``last``" in date order: a row-value comparison over (event_at, id),
    which both SQLite and PostgreSQL answer from the index ``ipns_event``."""
    compare = "<" if newest_first else ">"
    return f"(event_at, id) {compare} (?, ?)", [utc_text(last.event_at), last.id]
