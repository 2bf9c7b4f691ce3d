"""Small drivers shared by the UI tests: look up, cancel, read what the window shows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from fpsdesk.ui.main_window import MainWindow

WAIT_MS = 15_000


def type_and_enter(qtbot: Any, window: MainWindow, text: str) -> None:
    window.id_edit.clear()
    window.id_edit.setFocus()
    window.id_edit.setText(text)
    qtbot.keyClick(window.id_edit, Qt.Key.Key_Return)


def lookup(qtbot: Any, window: MainWindow, transaction_id: str) -> None:
    """Look up through the field + Enter and wait for the transaction page to show it."""
    type_and_enter(qtbot, window, transaction_id)
    wait_shown(qtbot, window, transaction_id)


def wait_shown(qtbot: Any, window: MainWindow, transaction_id: str) -> None:
    def shown() -> bool:
        detail = window.transaction_view.detail
        return (
            window.pages.currentWidget() is window.transaction_view
            and detail is not None
            and detail.transaction_id == transaction_id
            and window.session.current_lookup is None
        )

    qtbot.waitUntil(shown, timeout=WAIT_MS)


def shown_status(window: MainWindow) -> str:
    return window.transaction_view.status_chip.text()


def painted_text(model: Any, row: int, col: int) -> str:
    """The text a view's delegate paints in a cell: read through the model's multiData, as a
    repaint reads it (``index.data()`` goes through data() instead)."""
    from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

    option = QStyleOptionViewItem()
    QStyledItemDelegate().initStyleOption(option, model.index(row, col))
    return str(option.text)


def table_texts(table: Any) -> list[list[str]]:
    rows = []
    for row in range(table.rowCount()):
        rows.append(
            [
                table.item(row, col).text() if table.item(row, col) else ""
                for col in range(table.columnCount())
            ]
        )
    return rows
