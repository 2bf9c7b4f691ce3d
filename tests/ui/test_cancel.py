"""Cancel through the real window against the real sandbox, every path of issue 4 §3."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from fpsdesk.store.actions import ActionOutcome
from tests.ui.helpers import WAIT_MS, lookup, shown_status, table_texts

pytestmark = pytest.mark.gui


def click_cancel(qtbot, desk):
    qtbot.mouseClick(desk.window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)


def test_cancel_reserved_end_to_end(qtbot, desk, dialog_log):
    txn = desk.sandbox.create_transaction(status="Reserved", amount="49.95")
    lookup(qtbot, desk.window, txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS) as finished:
        click_cancel(qtbot, desk)
    reply = finished.args[0]
    assert reply.result is not None
    assert reply.result.transaction_status.value == "Cancelled"
    # The confirmation showed the facts the agent must check.
    ((prompt,),) = dialog_log.titles("confirm_cancel")
    assert (prompt.transaction_id, prompt.amount, prompt.status, prompt.environment) == (
        txn,
        "USD 49.95",
        "Reserved",
        "Local sandbox",
    )
    # The result is shown prominently, with the RequestId copyable.
    banner = desk.window.transaction_view.banner
    assert banner.isVisible()
    assert banner.headline.text() == "Cancelled"
    assert banner.request_id.label.text() == reply.result.request_id
    note = banner.support_note()
    assert reply.result.request_id in note
    assert txn in note
    assert "Local sandbox" in note
    assert desk.config.secret_key not in note
    # The view re-reads the transaction: the status becomes Cancelled.
    qtbot.waitUntil(lambda: shown_status(desk.window) == "Cancelled", timeout=WAIT_MS)
    assert not desk.window.transaction_view.cancel_button.isEnabled()
    # The action log shows who, why, the result and the RequestId.
    rows = table_texts(desk.window.transaction_view.actions_table)
    assert len(rows) == 1
    _when, who, kind, result, reason, request_id = rows[0]
    assert kind == "Cancel"
    assert result.startswith("Succeeded")
    assert reason == "Customer request: Customer asked to cancel"
    assert request_id == reply.result.request_id
    assert who
    (record,) = desk.actions.for_transaction(txn)
    assert record.outcome == ActionOutcome.SUCCEEDED
    assert record.status_before == "Reserved"
    assert record.status_after == "Cancelled"
    assert record.request_id == reply.result.request_id
    # The code chosen at the confirmation and the amount shown are recorded for the dashboard.
    assert (record.reason_code, record.reason) == ("customer-request", "Customer asked to cancel")
    assert (record.amount, record.currency) == ("49.95", "USD")
    assert desk.sandbox.transaction(txn)["cancel_description"] == (
        "[customer-request] Customer asked to cancel"
    )
    assert desk.sandbox.transaction(txn)["status"] == "Cancelled"
    assert desk.sandbox.request_count("Cancel") == 1


def test_cancel_refused_for_success(qtbot, desk, dialog_log):
    txn = desk.sandbox.create_transaction(status="Success")
    lookup(qtbot, desk.window, txn)
    view = desk.window.transaction_view
    assert not view.cancel_button.isEnabled()
    assert view.cancel_hint.text() == "Completed: refund instead."
    desk.window.request_cancel()  # the shortcut: it says why instead of doing nothing
    assert "refund instead" in desk.window.statusBar().currentMessage()
    click_cancel(qtbot, desk)
    assert dialog_log.titles("confirm_cancel") == []
    assert desk.sandbox.request_count("Cancel") == 0
    assert desk.actions.for_transaction(txn) == []


def test_agent_backs_out_of_the_confirmation(qtbot, desk, dialog_log):
    txn = desk.sandbox.create_transaction(status="Pending")
    lookup(qtbot, desk.window, txn)
    dialog_log.cancel_reason = None
    click_cancel(qtbot, desk)
    assert len(dialog_log.titles("confirm_cancel")) == 1
    assert desk.sandbox.request_count("Cancel") == 0
    assert desk.window.transaction_view.cancel_button.isEnabled()


def test_state_changes_between_loading_and_confirming(qtbot, desk, dialog_log):
    txn = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, desk.window, txn)
    # While the confirmation is open, someone settles the reserve in another tool.
    dialog_log.on_confirm_cancel = lambda prompt: desk.sandbox.set_status(txn, "Success")
    with qtbot.waitSignal(desk.session.cancel_blocked, timeout=WAIT_MS) as blocked:
        click_cancel(qtbot, desk)
    assert blocked.args[0].current_status.value == "Success"
    # Said once, on the page: a banner, no dialog repeating it.
    assert dialog_log.titles("show_error") == []
    banner = desk.window.transaction_view.banner
    assert banner.headline.text() == "Not cancelled: it completed meanwhile"
    assert "from Reserved to Success" in banner.detail.text()
    assert "Nothing was sent" in banner.detail.text()
    assert "refunded" in banner.detail.text()
    assert desk.sandbox.request_count("Cancel") == 0
    assert desk.actions.for_transaction(txn) == []
    qtbot.waitUntil(lambda: shown_status(desk.window) == "Success", timeout=WAIT_MS)
    assert desk.window.transaction_view.cancel_hint.text() == "Completed: refund instead."


def test_double_click_sends_exactly_one_cancel(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=300)
    lookup(qtbot, desk.window, txn)
    button = desk.window.transaction_view.cancel_button
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        qtbot.mouseDClick(button, Qt.MouseButton.LeftButton)
        click_cancel(qtbot, desk)
        desk.window.request_cancel()
        assert (
            desk.session.cancel(
                txn, "again", desk.window.transaction_view.detail.transaction_status
            )
            is False
        )
        qtbot.waitUntil(lambda: button.text() == "Cancelling…", timeout=WAIT_MS)
        assert not button.isEnabled()
    assert desk.sandbox.request_count("Cancel") == 1
    assert len(desk.actions.for_transaction(txn)) == 1


def test_outcome_unknown_is_reconciled_and_never_resent(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    # The sandbox cancels, then drops the connection without answering.
    desk.sandbox.inject_fault(action="Cancel", transaction_id=txn, kind="drop_after")
    resolved = []
    desk.session.action_resolved.connect(lambda *args: resolved.append(args))
    lookup(qtbot, desk.window, txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS) as finished:
        click_cancel(qtbot, desk)
    reply = finished.args[0]
    assert reply.unknown
    assert reply.error.kind == "outcome_unknown"
    (record,) = desk.actions.for_transaction(txn)
    qtbot.waitUntil(
        lambda: desk.actions.get(record.id).outcome == ActionOutcome.SUCCEEDED, timeout=WAIT_MS
    )
    record = desk.actions.get(record.id)
    assert record.reconciled_at is not None
    assert record.status_after == "Cancelled"
    # The row is written on the actions thread before its signal is queued to the GUI thread.
    qtbot.waitUntil(lambda: bool(resolved), timeout=WAIT_MS)
    assert resolved == [(record.id, txn, "succeeded", "Cancelled")]
    qtbot.waitUntil(lambda: shown_status(desk.window) == "Cancelled", timeout=WAIT_MS)
    assert desk.window.transaction_view.banner.headline.text() == "Cancelled"
    assert desk.sandbox.request_count("Cancel") == 1


def test_outcome_unknown_shown_until_a_status_read_settles_it(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(action="Cancel", transaction_id=txn, kind="drop_after")

    def break_status_reads(transaction_id, state):
        # Once the Cancel is on the wire, the status reads that reconcile it fail for a
        # while (a proxy error page), so the unknown state stays visible.
        if state == "sending":
            desk.sandbox.inject_fault(
                action="GetTransactionStatus", transaction_id=txn, kind="html", times=None
            )

    desk.session.cancel_state_changed.connect(break_status_reads)
    lookup(qtbot, desk.window, txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        click_cancel(qtbot, desk)
    banner = desk.window.transaction_view.banner
    assert banner.kind == "outcome_unknown"
    assert "may or may not have happened" in banner.headline.text()
    # Whatever the page shows meanwhile, the hint says an earlier cancel is being checked
    # (or the transaction is no longer cancellable): never a silent invitation to cancel again.
    hint = desk.window.transaction_view.cancel_hint.text()
    assert "outcome is not known yet" in hint or "cancelled" in hint.lower(), hint
    (record,) = desk.actions.for_transaction(txn)
    assert record.outcome == ActionOutcome.UNKNOWN
    qtbot.waitUntil(
        lambda: desk.sandbox.request_count("GetTransactionStatus") >= 3, timeout=WAIT_MS
    )
    assert desk.actions.get(record.id).outcome == ActionOutcome.UNKNOWN
    desk.sandbox.clear_faults()
    qtbot.waitUntil(
        lambda: desk.actions.get(record.id).outcome == ActionOutcome.SUCCEEDED, timeout=WAIT_MS
    )
    assert desk.sandbox.request_count("Cancel") == 1


def test_unknown_outcome_says_what_the_app_is_doing_and_settles(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(action="Cancel", transaction_id=txn, kind="drop_after")

    def break_status_reads(transaction_id, state):
        if state == "sending":
            desk.sandbox.inject_fault(
                action="GetTransactionStatus", transaction_id=txn, kind="html", times=None
            )

    desk.session.cancel_state_changed.connect(break_status_reads)
    lookup(qtbot, desk.window, txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        click_cancel(qtbot, desk)
    banner = desk.window.transaction_view.banner
    assert banner.kind == "outcome_unknown"
    qtbot.waitUntil(lambda: banner.progress.isVisible(), timeout=WAIT_MS)
    said = banner.progress.text()
    assert said.startswith("Now: "), said
    assert " of " in said, said
    assert "reading its status" in said or "next status check in" in said, said
    qtbot.waitUntil(
        lambda: desk.sandbox.request_count("GetTransactionStatus") >= 2, timeout=WAIT_MS
    )
    # The whole banner never advises a retry or a refresh while the app is checking.
    whole = " ".join([banner.headline.text(), banner.detail.text(), banner.progress.text()])
    for advice in ("try again", "retry", "Refresh"):
        assert advice not in whole, whole
    desk.sandbox.clear_faults()
    qtbot.waitUntil(lambda: banner.headline.text() == "Cancelled", timeout=WAIT_MS)
    assert not banner.progress.isVisible()
    assert banner.kind == "reconciled"
    # The follow-up banner's note carries what support needs.
    note = banner.support_note()
    assert f"Transaction: {txn}" in note
    assert "Environment: Local sandbox" in note
    assert "Original error: " in note
    assert desk.sandbox.request_count("Cancel") == 1


def test_a_final_status_on_the_page_settles_the_unknown_at_once(qtbot, desk):
    slow = (30.0, 30.0)  # the scheduled checks are far away: only the page's read can settle it
    desk.session.reconciler._delays = slow
    txn = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(action="Cancel", transaction_id=txn, kind="drop_after")
    lookup(qtbot, desk.window, txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        click_cancel(qtbot, desk)
    banner = desk.window.transaction_view.banner
    # The window re-reads the transaction after the Cancel: it shows Cancelled, and the
    # banner follows within moments instead of saying "may or may not" for 30 s.
    qtbot.waitUntil(lambda: shown_status(desk.window) == "Cancelled", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: banner.headline.text() == "Cancelled", timeout=5000)
    assert banner.kind == "reconciled"


def test_a_throttled_cancel_is_a_refusal_not_an_unknown(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(action="Cancel", transaction_id=txn, kind="throttled")
    lookup(qtbot, desk.window, txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS) as finished:
        click_cancel(qtbot, desk)
    assert not finished.args[0].unknown
    banner = desk.window.transaction_view.banner
    assert "may or may not" not in banner.headline.text()
    assert banner.code.label.text() == "RequestThrottled"
    assert not banner.progress.isVisible()
    (record,) = desk.actions.for_transaction(txn)
    assert record.outcome == ActionOutcome.FAILED


def test_a_failed_re_read_never_hides_the_unknown_outcome(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(action="Cancel", transaction_id=txn, kind="drop_after")

    def break_reads(transaction_id, state):
        if state == "sending":
            for action in ("GetTransactionStatus", "GetTransaction"):
                desk.sandbox.inject_fault(
                    action=action, transaction_id=txn, kind="html", times=None
                )

    desk.session.cancel_state_changed.connect(break_reads)
    lookup(qtbot, desk.window, txn)
    failed = []
    desk.session.lookup_failed.connect(failed.append)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        click_cancel(qtbot, desk)
    qtbot.waitUntil(lambda: bool(failed), timeout=WAIT_MS)  # the window's re-read failed
    banner = desk.window.transaction_view.banner
    assert banner.kind == "outcome_unknown"
    assert "may or may not have happened" in banner.headline.text()
    assert "Could not read" in desk.window.statusBar().currentMessage()
    desk.sandbox.clear_faults()
