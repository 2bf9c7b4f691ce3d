"""Nothing is cut off in a small window: 900×600 with several notices above the tabs."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QLabel

from fpsdesk.ui import theme
from tests.ui.helpers import lookup

pytestmark = pytest.mark.gui


def squeezed_labels(root) -> list[str]:
    """Visible labels given less height than their text needs."""
    out = []
    for label in root.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        need = (
            label.heightForWidth(label.width())
            if label.wordWrap()
            else label.fontMetrics().height()
        )
        if label.contentsRect().height() < need:
            out.append(label.text())
    return out


def test_small_window_with_notices_squeezes_nothing(qtbot, desk):
    window = desk.window
    window.resize(900, 600)
    txn = desk.sandbox.create_transaction(
        status="Reserved",
        sender_name="Alice Johnson",
        sender_email="alice.johnson@example.com",
        recipient_name="Harbor Street Goods",
        recipient_email="payments@harborstreet.example",
        caller_description="Order #10231: 1 x Ceramic mug, blue",
    )
    lookup(qtbot, window, txn)
    look = theme.outcome_look("succeeded")
    for n in range(3):
        window.notices.add(
            f"1{n}" + "Q" * 33,
            look,
            "Cancelled",
            "FPS cancelled it: nothing will be charged, and a long explanation follows",
            "12:00:00",
            unseen=True,
        )
    QApplication.processEvents()
    qtbot.waitUntil(lambda: window.height() == 600)
    QApplication.processEvents()
    assert squeezed_labels(window.transaction_view) == []
    assert squeezed_labels(window.notices) == []
    # A short window shows one notice at a time (the list scrolls); the header counts them all.
    assert window.notices.summary.text() == "3 cancels finished while you were elsewhere"
    assert window.notices._scroll.height() < 2 * window.notices.rows()[0].sizeHint().height()
