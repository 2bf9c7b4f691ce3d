"""The app on the shared cancel lifecycle: reads beside a Cancel, a second Cancel asked for.

Real widgets and session, the real sandbox over loopback, a real SQLite history.
"""

from __future__ import annotations

from fpsdesk.fps.models import TransactionStatus
from fpsdesk.store.actions import ActionOutcome
from tests.ui.helpers import WAIT_MS, lookup, shown_status


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
