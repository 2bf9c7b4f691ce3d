"""The Cancel confirmation as the agent sees it (one cancel lifecycle, obs. 5).

These drive the real CancelDialog, opened by the window's own Cancel, and read its labels.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from fpsdesk.ui import dialogs
from fpsdesk.ui.cancel_dialog import CancelDialog
from tests.ui.helpers import lookup

pytestmark = pytest.mark.gui

REAL_CONFIRM_CANCEL = dialogs.confirm_cancel  # before the dialog_log fixture replaces it
# Long enough to wrap (FPS allows 160 characters).
DESCRIPTION = (
    "Order 7781: two concert tickets, row F seats 11 and 12, Saturday show; "
    "the customer changed plans and asked us to release the hold"
)


def open_real_confirmation(qtbot, desk, monkeypatch) -> dict[str, Any]:
    """Click Cancel, read the real dialog while it is open, then back out with Esc."""
    monkeypatch.setattr(dialogs, "confirm_cancel", REAL_CONFIRM_CANCEL)
    seen: dict[str, Any] = {}

    def inspect() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, CancelDialog):
            QTimer.singleShot(10, inspect)
            return
        try:
            labels = [label for label in dialog.findChildren(QLabel) if label.isVisible()]
            seen["dialog"] = dialog.windowTitle()
            seen["texts"] = [label.text() for label in labels]
            seen["base_size"] = dialog.font().pointSizeF()
            seen["labels"] = {
                label.text(): {
                    "size": label.font().pointSizeF(),
                    "fits": label.fontMetrics().horizontalAdvance(label.text())
                    <= label.contentsRect().width(),
                    "top": label.mapTo(dialog, label.rect().topLeft()).y(),
                    "bottom": label.mapTo(dialog, label.rect().bottomLeft()).y(),
                    "left": label.mapTo(dialog, label.rect().topLeft()).x(),
                }
                for label in labels
                if label.text()
            }
            seen["cut_off"] = [
                label.text()
                for label in labels
                if label.text()
                and (
                    label.height() < label.heightForWidth(label.width())
                    if label.wordWrap()
                    else label.fontMetrics().horizontalAdvance(label.text())
                    > label.contentsRect().width()
                )
            ]
        finally:
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    QTimer.singleShot(0, inspect)
    qtbot.mouseClick(desk.window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)
    return seen


def test_confirmation_shows_who_what_and_how_much(qtbot, desk, monkeypatch):
    txn = desk.sandbox.create_transaction(
        status="Reserved",
        amount="1234.56",
        sender_name="Ana Lima",
        sender_email="ana.lima@example.com",
        caller_description=DESCRIPTION,
        caller_reference="order-7781",
    )
    lookup(qtbot, desk.window, txn)
    seen = open_real_confirmation(qtbot, desk, monkeypatch)
    texts = " | ".join(seen["texts"])
    assert "Ana Lima" in texts
    assert "ana.lima@example.com" in texts
    assert DESCRIPTION in texts
    assert "order-7781" in texts
    assert "Reserved" in texts
    assert "LOCAL SANDBOX" in texts
    assert "None" not in texts
    assert seen["cut_off"] == []
    labels = seen["labels"]
    # The amount in large type, beside the full transaction ID; neither cut off.
    amount, ident = labels["USD 1234.56"], labels[txn]
    assert amount["size"] >= 1.5 * seen["base_size"]
    assert amount["fits"]
    assert ident["fits"]
    assert amount["left"] > ident["left"]
    assert amount["top"] <= ident["bottom"]
    assert ident["top"] <= amount["bottom"]
    # Nothing was sent: the agent backed out with Esc.
    assert desk.sandbox.request_count("Cancel") == 0


def test_confirmation_leaves_out_what_fps_did_not_say(qtbot, desk, monkeypatch):
    txn = desk.sandbox.create_transaction(
        status="Pending", amount="7.00", sender_name=None, sender_email=None
    )
    lookup(qtbot, desk.window, txn)
    detail = desk.window.transaction_view.detail
    assert (detail.sender_name, detail.sender_email) == (None, None)
    assert (detail.caller_description, detail.sender_description) == (None, None)
    seen = open_real_confirmation(qtbot, desk, monkeypatch)
    texts = " | ".join(seen["texts"])
    assert "None" not in texts
    assert "—" not in texts
    assert "Sender" not in texts
    assert "Description" not in texts
    assert detail.caller_reference in texts  # the reference stands in for the description
    assert labels_fit(seen, txn, "USD 7.00")
    assert seen["cut_off"] == []
    assert desk.sandbox.request_count("Cancel") == 0


def labels_fit(seen: dict[str, Any], *texts: str) -> bool:
    return all(seen["labels"][text]["fits"] for text in texts)
