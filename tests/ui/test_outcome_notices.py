"""A Cancel's outcome is never lost from view (one cancel lifecycle, obs. 6).

A Cancel that finishes while the agent looks at another transaction leaves a notice above the
tabs, with the outcome and buttons to open or dismiss it, and a count on the Results tab.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.ui.helpers import WAIT_MS, lookup, wait_shown

pytestmark = pytest.mark.gui


def results_title(window) -> str:
    return window.tabs.tabText(window.tabs.indexOf(window._results_host))


def start_cancel_then_move_on(qtbot, desk, txn: str, other: str) -> None:
    """Cancel ``txn`` and, while it is on the wire, look up ``other``."""
    lookup(qtbot, desk.window, txn)
    qtbot.mouseClick(desk.window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.session.cancel_state(txn) == "sending", timeout=WAIT_MS)
    lookup(qtbot, desk.window, other)  # one worker thread: this answer comes after the Cancel's


def test_cancel_finished_elsewhere_stays_until_dismissed(qtbot, desk, dialog_log):
    window = desk.window
    cancelled = desk.sandbox.create_transaction(status="Reserved")
    other = desk.sandbox.create_transaction(status="Success")
    desk.sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=600)
    start_cancel_then_move_on(qtbot, desk, cancelled, other)
    qtbot.waitUntil(lambda: not desk.session.cancel_in_flight(cancelled), timeout=WAIT_MS)
    window.refresh()  # later reads overwrite the status bar; the notice stays
    wait_shown(qtbot, window, other)
    assert results_title(window) == "Results (1)"
    notices = window.notices
    assert notices.isVisible()
    assert notices.entries() == [(cancelled, "Cancelled")]
    (row,) = notices.rows()
    assert cancelled in row.title.text()
    assert row.open_button.text() == "Open"
    assert row.dismiss_button.text() == "Dismiss"
    assert not window.transaction_view.banner.isVisible()  # the other page has no result
    # Opening it shows that transaction with its outcome, and the notice is done.
    qtbot.mouseClick(row.open_button, Qt.MouseButton.LeftButton)
    wait_shown(qtbot, window, cancelled)
    banner = window.transaction_view.banner
    assert banner.isVisible()
    assert banner.headline.text() == "Cancelled"
    assert notices.entries() == []
    assert not notices.isVisible()
    assert results_title(window) == "Results"


def test_a_cancel_finished_on_its_own_page_shows_in_the_page_banner_only(qtbot, desk):
    window = desk.window
    txn = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, window, txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)
    assert window.transaction_view.banner.headline.text() == "Cancelled"
    assert window.notices.entries() == []
    assert not window.notices.isVisible()
    assert results_title(window) == "Results"


def test_refused_and_unknown_outcomes_elsewhere_each_get_a_notice(qtbot, desk):
    window = desk.window
    refused = desk.sandbox.create_transaction(status="Reserved")
    unknown = desk.sandbox.create_transaction(status="Reserved")
    other = desk.sandbox.create_transaction(status="Success")
    # A proxy refuses the first Cancel before it reaches FPS (403): not cancelled.
    desk.sandbox.inject_fault(
        action="Cancel", transaction_id=refused, kind="html", http_status=403, delay_ms=600
    )
    start_cancel_then_move_on(qtbot, desk, refused, other)
    qtbot.waitUntil(lambda: not desk.session.cancel_in_flight(refused), timeout=WAIT_MS)
    # The second is processed but its answer is lost; its status reads fail for a while.
    desk.sandbox.inject_fault(
        action="Cancel", transaction_id=unknown, kind="drop_after", delay_ms=600
    )

    def break_status_reads(transaction_id, state):
        if transaction_id == unknown and state == "sending":
            desk.sandbox.inject_fault(
                action="GetTransactionStatus", transaction_id=unknown, kind="html", times=None
            )

    desk.session.cancel_state_changed.connect(break_status_reads)
    start_cancel_then_move_on(qtbot, desk, unknown, other)
    qtbot.waitUntil(lambda: not desk.session.cancel_in_flight(unknown), timeout=WAIT_MS)
    notices = window.notices
    assert dict(notices.entries()) == {refused: "Not cancelled", unknown: "Outcome unknown"}
    assert results_title(window) == "Results (2)"
    # Opening the Results tab clears the count; the notices stay until dismissed.
    window.show_results()
    assert results_title(window) == "Results"
    assert len(notices.entries()) == 2
    window.tabs.setCurrentIndex(0)
    # The unknown outcome is settled by a status read: its notice says so, in place.
    desk.sandbox.clear_faults()
    with qtbot.waitSignal(desk.session.action_resolved, timeout=WAIT_MS):
        pass
    assert dict(notices.entries()) == {refused: "Not cancelled", unknown: "Cancelled"}
    assert results_title(window) == "Results (1)"
    # Dismissing removes a notice and its share of the count.
    unknown_row = next(r for r in notices.rows() if r.transaction_id == unknown)
    qtbot.mouseClick(unknown_row.dismiss_button, Qt.MouseButton.LeftButton)
    assert notices.entries() == [(refused, "Not cancelled")]
    assert results_title(window) == "Results"
    (refused_row,) = notices.rows()
    qtbot.mouseClick(refused_row.dismiss_button, Qt.MouseButton.LeftButton)
    assert not notices.isVisible()
    assert window.transaction_view.detail.transaction_id == other
    assert desk.sandbox.request_count("Cancel") == 2
