"""The timeline names a cancel's state as the desk layer decides it: unknown until, corrected."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fpsdesk.desk.timeline import build_timeline, local_hm
from fpsdesk.store.actions import ActionOutcome, ActionRecord

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TXN = "1" + "B" * 34


def cancel(outcome: ActionOutcome, **changes: object) -> ActionRecord:
    record = ActionRecord(
        id=7,
        kind="Cancel",
        transaction_id=TXN,
        reason=None,
        operator="alice",
        environment="Sandbox",
        endpoint="https://fps.sandbox.amazonaws.com/",
        created_at=T0,
        finished_at=T0,
        outcome=outcome,
        status_before="Reserved",
        status_after=None,
        request_id=None,
        error_code=None,
        error_message=None,
        reconciled_at=None,
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def test_an_unknown_cancel_says_until_when_it_may_still_take_effect() -> None:
    until = T0 + timedelta(minutes=20)
    (event,) = build_timeline(None, [], [cancel(ActionOutcome.UNKNOWN, decide_after=until)])
    assert event.title == f"Cancel outcome unknown, may still take effect until {local_hm(until)}"


def test_a_corrected_verdict_shows_what_it_was_first() -> None:
    record = cancel(
        ActionOutcome.SUCCEEDED,
        status_after="Cancelled",
        corrected_from=ActionOutcome.FAILED,
        reconciled_at=T0 + timedelta(hours=1),
    )
    (event,) = build_timeline(None, [], [record], now=T0)
    assert event.title == "Cancel succeeded"
    assert "corrected: first recorded as not cancelled" in event.detail


def test_a_cancel_that_did_not_happen_reads_not_cancelled() -> None:
    (event,) = build_timeline(None, [], [cancel(ActionOutcome.FAILED, status_after="Success")])
    assert event.title == "Cancel did not take effect: not cancelled"
