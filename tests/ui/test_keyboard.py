"""Keyboard only: Tab never traps, the focus is visible, Enter and Ctrl+Shift+X do what they say."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QDialog

from fpsdesk.ui import prompts
from fpsdesk.ui.cancel_dialog import CancelDialog
from tests.ui.helpers import WAIT_MS, lookup

pytestmark = pytest.mark.gui


def _prompt(**extra: str) -> prompts.CancelPrompt:
    values = {
        "transaction_id": "1" + "K" * 34,
        "amount": "USD 12.00",
        "status": "Reserved",
        "environment": "Local sandbox",
        "endpoint": "http://127.0.0.1:1/",
        "operation": "Reserve",
        "caller_reference": "order-1",
        "description": "",
        "sender_name": "",
        "sender_email": "",
    }
    values.update(extra)
    return prompts.CancelPrompt(**values)


def test_tab_leaves_the_timeline_instead_of_walking_its_cells(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    window = desk.window
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    lookup(qtbot, window, txn)
    view = window.transaction_view
    view.tabs.setCurrentIndex(view.tabs.indexOf(view.timeline.parentWidget()))
    table = view.timeline_table
    assert table.rowCount() >= 1
    table.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is table, timeout=WAIT_MS)
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table, "Tab walks the timeline cell by cell"


def _ring_pixels(image: QImage, color: QColor) -> int:
    """Pixels on the button's outer two-pixel border close to the highlight colour."""
    hits = 0
    w, h = image.width(), image.height()
    for x in range(w):
        for y in (1, 2, h - 2, h - 3):
            c = image.pixelColor(x, y)
            if abs(c.red() - color.red()) + abs(c.green() - color.green()) < 60 and (
                abs(c.blue() - color.blue()) < 40
            ):
                hits += 1
    return hits


@pytest.mark.parametrize("which", ["lookup", "copy"])
def test_look_up_and_copy_show_a_focus_ring(qtbot, desk, which):
    txn = desk.sandbox.create_transaction(status="Reserved")
    window = desk.window
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    lookup(qtbot, window, txn)
    button = (
        window.lookup_button if which == "lookup" else window.transaction_view.transaction_id.button
    )
    assert not button.isFlat(), "Copy must look like a button"
    highlight = button.palette().color(QPalette.ColorRole.Highlight)
    window.id_edit.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: not button.hasFocus(), timeout=WAIT_MS)
    without = button.grab().toImage()
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(button.hasFocus, timeout=WAIT_MS)
    with_focus = button.grab().toImage()
    assert _ring_pixels(with_focus, highlight) > 2 * _ring_pixels(without, highlight) + 20


def test_enter_on_the_focused_cancel_button_confirms(qtbot):
    dialog = CancelDialog(_prompt())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    dialog.picker.choose("other")  # the button waits for a reason code
    dialog.confirm_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(dialog.confirm_button.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(dialog.confirm_button, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_enter_elsewhere_in_the_confirmation_keeps_the_transaction(qtbot):
    dialog = CancelDialog(_prompt())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    [keep] = [b for b in dialog.findChildren(type(dialog.confirm_button)) if b.text() == "Keep it"]
    keep.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(keep.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(keep, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Rejected


@pytest.mark.parametrize(("status", "why"), [("Success", "refund"), ("Failure", "nothing")])
def test_ctrl_shift_x_on_a_final_transaction_says_why(qtbot, desk, dialog_log, status, why):
    txn = desk.sandbox.create_transaction(status=status)
    window = desk.window
    lookup(qtbot, window, txn)
    assert window.cancel_action.isEnabled(), "a disabled shortcut is silently ignored"
    window.cancel_action.trigger()
    said = window.statusBar().currentMessage()
    assert said.startswith(f"Not cancelling {txn}: "), said
    assert why in said
    assert dialog_log.titles("confirm_cancel") == []
    assert desk.sandbox.request_count("Cancel") == 0
