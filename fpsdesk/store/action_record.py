"""One staff action as the history holds it, and how a row becomes one.

Shared by the action log (fpsdesk/store/actions.py) and the report over it
(fpsdesk/store/report.py), so neither imports the other to read a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fpsdesk.store.outcome import ActionOutcome


@dataclass(frozen=True, slots=True)
class ActionRecord:
    id: int
    kind: str
    transaction_id: str
    reason: str | None
    operator: str
    environment: str
    endpoint: str
    created_at: datetime
    finished_at: datetime | None
    outcome: ActionOutcome
    status_before: str | None
    status_after: str | None
    request_id: str | None
    error_code: str | None
    error_message: str | None
    reconciled_at: datetime | None
    owner_host: str | None = None
    owner_pid: int | None = None
    owner_started: str | None = None
    lease_until: datetime | None = None
    decide_after: datetime | None = None
    corrected_from: ActionOutcome | None = None
    claimed: bool = False  # holds the claim of its transaction (a Cancel in flight)
    reason_code: str | None = None  # from the profile's list; never rewritten once recorded
    amount: str | None = None  # the transaction's amount as FPS showed it (decimal text)
    currency: str | None = None

    @property
    def resolved(self) -> bool:
        return self.outcome in (ActionOutcome.SUCCEEDED, ActionOutcome.FAILED)


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def action_record(row: Any) -> ActionRecord:
    """The record of one ``actions`` row (either backend's row type)."""
    created = parse_time(row["created_at"])
    assert created is not None
    return ActionRecord(
        id=row["id"],
        kind=row["kind"],
        transaction_id=row["transaction_id"],
        reason=row["reason"],
        operator=row["operator"],
        environment=row["environment"],
        endpoint=row["endpoint"],
        created_at=created,
        finished_at=parse_time(row["finished_at"]),
        outcome=ActionOutcome(row["outcome"]),
        status_before=row["status_before"],
        status_after=row["status_after"],
        request_id=row["request_id"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        reconciled_at=parse_time(row["reconciled_at"]),
        owner_host=row["owner_host"],
        owner_pid=row["owner_pid"],
        owner_started=row["owner_started"],
        lease_until=parse_time(row["lease_until"]),
        decide_after=parse_time(row["decide_after"]),
        corrected_from=ActionOutcome(row["corrected_from"]) if row["corrected_from"] else None,
        claimed=row["claim"] is not None,
        reason_code=row["reason_code"],
        amount=row["amount"],
        currency=row["currency"],
    )
