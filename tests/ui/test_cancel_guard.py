"""Cancel acts only on the transaction the ID field shows (one cancel lifecycle, obs. 5).

Look up A, paste B into the ID field without pressing Enter: neither the Cancel button nor
Ctrl+Shift+X may cancel A. Both say why and offer to look B up first.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from fpsdesk.ui import dialogs
from tests.ui.helpers import WAIT_MS, lookup, wait_shown

REAL_OFFER_LOOKUP_FIRST = dialogs.offer_lookup_first  # before dialog_log replaces it

pytestmark = pytest.mark.gui

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def press_cancel_shortcut(qtbot, window) -> None:
    window.activateWindow()
    qtbot.keyClick(window.id_edit, Qt.Key.Key_X, CTRL_SHIFT)


def paste_without_enter(qtbot, window, text: str) -> None:
    QGuiApplication.clipboard().setText(text)
    window.id_edit.setFocus()
    window.id_edit.selectAll()
    qtbot.keyClick(window.id_edit, Qt.Key.Key_V, CTRL)


def test_shortcut_never_cancels_a_transaction_the_field_no_longer_shows(qtbot, desk, dialog_log):
    window = desk.window
    first = desk.sandbox.create_transaction(status="Reserved", amount="10.00")
    second = desk.sandbox.create_transaction(status="Reserved", amount="20.00")
    lookup(qtbot, window, first)
    paste_without_enter(qtbot, window, f"Please cancel {second} today")
    assert window.id_edit.text() == second
    view = window.transaction_view
    # The page still shows the first transaction; the button says why it will not act on it.
    assert view.detail.transaction_id == first
    assert not view.cancel_button.isEnabled()
    assert "The ID field shows another transaction" in view.cancel_button.toolTip()
    assert "press Enter to look it up first" in view.cancel_hint.text()
    assert view.lookup_first_button.isVisible()
    assert view.lookup_first_button.text() == f"Look up {second[:8]}… first"
    assert second in view.lookup_first_button.toolTip()

    # Ctrl+Shift+X: nothing is cancelled; it says so and offers to look the new ID up first.
    dialog_log.lookup_first_answer = False
    press_cancel_shortcut(qtbot, window)
    assert dialog_log.titles("confirm_cancel") == []
    assert dialog_log.titles("offer_lookup_first") == [(first, second)]
    assert desk.sandbox.request_count("Cancel") == 0
    assert desk.actions.for_transaction(first) == []
    assert view.detail.transaction_id == first  # declining changes nothing

    # Accepting the offer looks the second one up; then the shortcut cancels it, and only it.
    dialog_log.lookup_first_answer = True
    press_cancel_shortcut(qtbot, window)
    wait_shown(qtbot, window, second)
    assert dialog_log.titles("confirm_cancel") == []
    assert view.cancel_button.isEnabled()
    assert not view.lookup_first_button.isVisible()
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        press_cancel_shortcut(qtbot, window)
    ((prompt,),) = dialog_log.titles("confirm_cancel")
    assert prompt.transaction_id == second
    assert desk.sandbox.transaction(second)["status"] == "Cancelled"
    assert desk.sandbox.transaction(first)["status"] == "Reserved"
    assert desk.sandbox.request_count("Cancel") == 1


def test_button_offers_the_look_up_and_enter_does_it(qtbot, desk, dialog_log):
    window = desk.window
    first = desk.sandbox.create_transaction(status="Pending")
    second = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, window, first)
    view = window.transaction_view
    window.id_edit.setFocus()
    window.id_edit.selectAll()
    qtbot.keyClicks(window.id_edit, f"  {second} ")
    assert not view.cancel_button.isEnabled()
    # A click on the disabled Cancel button does nothing at all.
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog_log.titles("confirm_cancel") == []
    # Typing the shown ID back makes Cancel available again, without a look-up.
    window.id_edit.selectAll()
    qtbot.keyClicks(window.id_edit, first)
    assert view.cancel_button.isEnabled()
    assert not view.lookup_first_button.isVisible()
    window.id_edit.selectAll()
    qtbot.keyClicks(window.id_edit, second)
    # The offered button looks the new ID up (keyboard: Tab to it and press Space).
    qtbot.mouseClick(view.lookup_first_button, Qt.MouseButton.LeftButton)
    wait_shown(qtbot, window, second)
    assert view.cancel_button.isEnabled()
    # Enter in the field is the other way: the page then follows the field.
    window.id_edit.setFocus()
    window.id_edit.selectAll()
    qtbot.keyClicks(window.id_edit, first)
    qtbot.keyClick(window.id_edit, Qt.Key.Key_Return)
    wait_shown(qtbot, window, first)
    assert view.cancel_button.isEnabled()
    assert desk.sandbox.request_count("Cancel") == 0


def test_empty_or_unfinished_field_blocks_cancel_and_offers_to_put_the_id_back(
    qtbot, desk, dialog_log
):
    window = desk.window
    txn = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, window, txn)
    view = window.transaction_view
    window.id_edit.clear()
    assert not view.cancel_button.isEnabled()
    assert "does not show this transaction" in view.cancel_hint.text()
    assert view.lookup_first_button.text() == f"Put {txn[:8]}… back"
    dialog_log.lookup_first_answer = False
    press_cancel_shortcut(qtbot, window)
    assert dialog_log.titles("offer_lookup_first") == [(txn, None)]
    assert dialog_log.titles("confirm_cancel") == []
    # Half of the ID is not an ID (an ID has 35 characters): the offer is to put it back.
    qtbot.keyClicks(window.id_edit, txn[:20])
    assert not view.cancel_button.isEnabled()
    assert view.lookup_first_button.text() == f"Put {txn[:8]}… back"
    # Another ID sharing its first 20 characters: the offer names it as far as they differ.
    other = txn[:20] + ("Y" if txn[20] == "Z" else "Z") * 15
    window.id_edit.selectAll()
    qtbot.keyClicks(window.id_edit, other)
    assert not view.cancel_button.isEnabled()
    assert view.lookup_first_button.text() == f"Look up {other[:24]}… first"
    # Text with no ID in it: the offer is to put the shown ID back.
    window.id_edit.selectAll()
    qtbot.keyClicks(window.id_edit, "see ticket 4417")
    assert not view.cancel_button.isEnabled()
    assert view.lookup_first_button.text() == f"Put {txn[:8]}… back"
    # Accepting the offer puts the shown ID back in the field; nothing is read or sent.
    dialog_log.lookup_first_answer = True
    press_cancel_shortcut(qtbot, window)
    assert window.id_edit.text() == txn
    assert view.cancel_button.isEnabled()
    assert dialog_log.titles("confirm_cancel") == []
    assert desk.sandbox.request_count("GetTransaction") == 1
    assert desk.sandbox.request_count("Cancel") == 0


def test_the_real_offer_is_taken_with_enter(qtbot, desk, dialog_log, monkeypatch):
    """Keyboard only: Ctrl+Shift+X, read the offer, Enter looks the field's ID up."""
    monkeypatch.setattr(dialogs, "offer_lookup_first", REAL_OFFER_LOOKUP_FIRST)
    window = desk.window
    first = desk.sandbox.create_transaction(status="Reserved")
    second = desk.sandbox.create_transaction(status="Pending")
    lookup(qtbot, window, first)
    paste_without_enter(qtbot, window, second)
    seen: dict[str, str] = {}

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, answer)
            return
        seen["text"] = box.text()
        seen["details"] = box.informativeText()
        seen["default"] = box.defaultButton().text() if box.defaultButton() else ""
        qtbot.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer)
    press_cancel_shortcut(qtbot, window)
    assert seen["text"] == "Nothing was cancelled."
    assert first in seen["details"]
    assert second in seen["details"]  # both IDs in full
    assert seen["default"] == f"Look up {second[:8]}… first"
    wait_shown(qtbot, window, second)
    assert dialog_log.titles("confirm_cancel") == []
    assert desk.sandbox.request_count("Cancel") == 0
