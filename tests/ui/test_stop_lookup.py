"""Esc stops waiting for a slow look-up (one cancel lifecycle, obs. 6).

The window goes back to what it showed before, says so, and ignores the late answer.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.ui.helpers import WAIT_MS, lookup, shown_status, type_and_enter

pytestmark = pytest.mark.gui


def slow_lookup_of(qtbot, desk, txn: str) -> None:
    """Start a look-up of ``txn`` that the sandbox holds for a while, and wait until it is sent."""
    before = desk.sandbox.request_count("GetTransaction")
    desk.sandbox.inject_fault(
        action="GetTransaction", transaction_id=txn, kind="delay", delay_ms=1500
    )
    type_and_enter(qtbot, desk.window, txn)
    assert desk.window.pages.currentWidget() is desk.window.loading
    qtbot.waitUntil(
        lambda: desk.sandbox.request_count("GetTransaction") == before + 1, timeout=WAIT_MS
    )


def wait_for_late_answer(qtbot, desk, txn: str) -> None:
    late_answer(qtbot, desk, txn).wait()


def late_answer(qtbot, desk, txn: str):
    """Listens from now on for the answer to ``txn``'s look-up; ``.wait()`` for it. Start it
    before the look-up when the answer may come quickly (it was missed when it came before
    the wait began)."""
    return qtbot.waitSignal(
        desk.session.host.reads.lookup_done,
        timeout=WAIT_MS,
        check_params_cb=lambda reply: reply.transaction_id == txn,
    )


def test_esc_stops_a_slow_lookup_and_shows_the_previous_transaction_again(qtbot, desk):
    window = desk.window
    first = desk.sandbox.create_transaction(status="Reserved")
    slow = desk.sandbox.create_transaction(status="Success")
    lookup(qtbot, window, first)
    slow_lookup_of(qtbot, desk, slow)
    assert "Esc" in window.loading.body.text()
    window.activateWindow()
    qtbot.keyClick(window.id_edit, Qt.Key.Key_Escape)
    assert not desk.session.lookup_in_flight
    assert window.pages.currentWidget() is window.transaction_view
    assert window.shown_transaction == first
    assert window.transaction_view.detail.transaction_id == first
    assert window.id_edit.text() == first
    assert window.statusBar().currentMessage() == f"Look-up of {slow} stopped"
    # The late answer changes nothing, and Cancel still acts on the transaction shown.
    wait_for_late_answer(qtbot, desk, slow)
    assert window.pages.currentWidget() is window.transaction_view
    assert shown_status(window) == "Reserved"
    assert window.statusBar().currentMessage() == f"Look-up of {slow} stopped"
    assert window.transaction_view.cancel_button.isEnabled()
    # Esc with nothing in flight does nothing.
    qtbot.keyClick(window.id_edit, Qt.Key.Key_Escape)
    assert window.transaction_view.detail.transaction_id == first


def test_esc_on_a_first_lookup_goes_back_to_the_start_page(qtbot, desk):
    window = desk.window
    slow = desk.sandbox.create_transaction(status="Reserved")
    slow_lookup_of(qtbot, desk, slow)
    window.activateWindow()
    qtbot.keyClick(window.id_edit, Qt.Key.Key_Escape)
    assert window.pages.currentWidget() is window.welcome
    assert window.shown_transaction is None
    assert window.statusBar().currentMessage() == f"Look-up of {slow} stopped"
    assert not window.cancel_action.isEnabled()
    wait_for_late_answer(qtbot, desk, slow)
    assert window.pages.currentWidget() is window.welcome
    # The ID is still in the field: Enter tries again.
    assert window.id_edit.text() == slow
    qtbot.keyClick(window.id_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shown_status(window) == "Reserved", timeout=WAIT_MS)


def test_stop_button_on_the_waiting_page(qtbot, desk):
    window = desk.window
    first = desk.sandbox.create_transaction(status="Pending")
    slow = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, window, first)
    slow_lookup_of(qtbot, desk, slow)
    qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    assert window.transaction_view.detail.transaction_id == first
    assert window.pages.currentWidget() is window.transaction_view
    wait_for_late_answer(qtbot, desk, slow)
    assert shown_status(window) == "Pending"


def test_esc_goes_back_even_when_the_lookup_replaced_a_refresh(qtbot, desk):
    """A Cancel re-reads its transaction; a look-up typed meanwhile is still stoppable."""
    window = desk.window
    first = desk.sandbox.create_transaction(status="Reserved")
    other = desk.sandbox.create_transaction(status="Success")
    lookup(qtbot, window, first)
    # The re-read after the Cancel is slow.
    desk.sandbox.inject_fault(
        action="GetTransaction", transaction_id=first, kind="delay", delay_ms=1500
    )
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)
    assert desk.session.lookup_in_flight  # the re-read of the cancelled transaction
    answered = late_answer(qtbot, desk, other)
    type_and_enter(qtbot, window, other)
    assert window.pages.currentWidget() is window.loading
    window.activateWindow()
    qtbot.keyClick(window.id_edit, Qt.Key.Key_Escape)
    assert window.pages.currentWidget() is window.transaction_view
    assert window.shown_transaction == first
    assert window.transaction_view.banner.isVisible()  # the Cancel's result, as before
    assert window.transaction_view.banner.headline.text() == "Cancelled"
    assert window.statusBar().currentMessage() == f"Look-up of {other} stopped"
    answered.wait()
    assert window.transaction_view.detail.transaction_id == first
