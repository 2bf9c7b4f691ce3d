"""The app on the shared cancel lifecycle: reads beside a Cancel, a second Cancel asked for.

Real widgets and session, the real sandbox over loopback, a real SQLite history.
"""

from __future__ import annotations

from fpsdesk.fps.models import TransactionStatus
from fpsdesk.store.actions import ActionOutcome
from tests.ui.helpers import WAIT_MS, lookup, shown_status, table_texts


def test_a_lookup_is_not_queued_behind_a_cancel_in_flight(qtbot, desk):
    """Observation 6: a look-up waited behind the in-flight Cancel on the one worker."""
    slow = desk.sandbox.create_transaction(status="Reserved")
    other = desk.sandbox.create_transaction(status="Success")
    desk.sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=3000)
    lookup(qtbot, desk.window, slow)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        assert desk.session.cancel(slow, "slow one", TransactionStatus.RESERVED)
        qtbot.waitUntil(lambda: desk.sandbox.request_count("Cancel") == 1, timeout=WAIT_MS)
        lookup(qtbot, desk.window, other)
        # The other transaction is on screen while the Cancel is still out.
        assert desk.session.cancel_in_flight(slow)
        assert shown_status(desk.window) == "Success"
    (record,) = desk.actions.for_transaction(slow)
    assert record.outcome == ActionOutcome.SUCCEEDED


def test_a_second_cancel_is_asked_for_and_names_the_earlier_attempt(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    # A 500 from a proxy: the first Cancel never reached FPS, but nobody can know that yet.
    desk.sandbox.inject_fault(action="Cancel", kind="internal_error")
    lookup(qtbot, desk.window, txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS) as first:
        assert desk.session.cancel(txn, "first", TransactionStatus.RESERVED)
    assert first.args[0].unknown
    assert first.args[0].until is not None
    (earlier,) = desk.actions.for_transaction(txn)
    with qtbot.waitSignal(desk.session.cancel_needs_again, timeout=WAIT_MS) as asked:
        assert desk.session.cancel(txn, "second", TransactionStatus.RESERVED)
    needs = asked.args[0]
    assert [a.action_id for a in needs.earlier] == [earlier.id]
    assert needs.earlier[0].until == first.args[0].until
    assert desk.sandbox.request_count("Cancel") == 1  # nothing sent without asking
    assert not desk.session.cancel_in_flight(txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS) as second:
        assert desk.session.cancel(txn, "second", TransactionStatus.RESERVED, again=True)
    assert second.args[0].state == "succeeded"
    assert desk.sandbox.request_count("Cancel") == 2
    # Both attempts end settled: the earlier one as not cancelled (the second one did it).
    qtbot.waitUntil(
        lambda: desk.actions.get(earlier.id).outcome == ActionOutcome.FAILED, timeout=WAIT_MS
    )
    assert not desk.actions.unresolved()


def test_the_window_asks_before_a_second_cancel_and_names_the_first(qtbot, desk, dialog_log):
    txn = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(action="Cancel", kind="internal_error")  # lost, never processed
    lookup(qtbot, desk.window, txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        desk.window.request_cancel()
    (first,) = desk.actions.for_transaction(txn)
    qtbot.waitUntil(lambda: desk.window.transaction_view.cancel_button.isEnabled(), timeout=WAIT_MS)
    assert "outcome is not known yet" in desk.window.transaction_view.cancel_hint.text()
    # The agent says no: nothing more is sent.
    with qtbot.waitSignal(desk.session.cancel_needs_again, timeout=WAIT_MS):
        desk.window.request_cancel()
    (asked,) = dialog_log.titles("confirm_second_cancel")
    assert [a.action_id for a in asked[0].earlier] == [first.id]
    assert desk.sandbox.request_count("Cancel") == 1
    # The agent says yes: exactly one more Cancel, which goes through.
    dialog_log.second_cancel_answer = True
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS) as second:
        desk.window.request_cancel()
    assert second.args[0].state == "succeeded"
    assert desk.sandbox.request_count("Cancel") == 2


def test_results_show_unknown_until_and_corrections(qtbot, desk):
    from datetime import UTC, datetime, timedelta

    from fpsdesk.desk.timeline import local_hm

    txn = desk.sandbox.create_transaction(status="Reserved")
    until = datetime.now(UTC) + timedelta(minutes=18)
    unknown = desk.actions.start(
        "Cancel", txn, environment="Local sandbox", endpoint=desk.config.endpoint,
        decide_after=until,
    )  # fmt: skip
    desk.actions.finish(unknown, ActionOutcome.UNKNOWN, error_message="read timed out")
    fixed = desk.actions.start(
        "Cancel", txn, environment="Local sandbox", endpoint=desk.config.endpoint
    )
    desk.actions.settle(fixed, ActionOutcome.FAILED, "Reserved", source="expired")
    desk.actions.settle(fixed, ActionOutcome.SUCCEEDED, "Cancelled", source="ipn")
    desk.window.show_results()
    outcomes = [row[2] for row in table_texts(desk.window.results_view.table)]
    assert f"Outcome unknown, may still take effect until {local_hm(until)}" in outcomes
    assert "Succeeded · corrected (was Not cancelled)" in outcomes
