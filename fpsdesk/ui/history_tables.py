"""The tables of a transaction's histories (and of Results): one look for all, their cells,
and an explanation in place of an empty table."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from fpsdesk.fps.models import TransactionStatus
from fpsdesk.ui import theme
from fpsdesk.ui.widgets import EmptyState, status_item


def make_table(headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    # Tab leaves the table (arrows move inside it): one Tab stop, never a cell-by-cell trap.
    table.setTabKeyNavigation(False)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def text_item(text: str | None, mono: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text or "—")
    if text:
        item.setToolTip(text)
    if mono:
        item.setFont(theme.mono_font())
    return item


class TableOrEmpty(QStackedWidget):
    """A table that shows an explanation when it has no rows."""

    def __init__(
        self, table: QTableWidget, empty: EmptyState, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.table = table
        self.empty = empty
        self.addWidget(empty)
        self.addWidget(table)

    def refresh(self) -> None:
        self.setCurrentWidget(self.table if self.table.rowCount() else self.empty)


def ipn_status_item(
    status: TransactionStatus | None, verdict: str | None, title: str | None = None
) -> QTableWidgetItem:
    """An IPN's status: a fact only when its signature is Verified. Otherwise grey, struck
    through, marked "Untrusted" and with the reason, so it never reads as a status."""
    if verdict == "verified":
        return status_item(theme.status_look(status), title)
    label = title or theme.status_look(status).label
    look = theme.untrusted_look()
    item = status_item(
        look,
        QCoreApplication.translate("TransactionView", "Untrusted: {status}").format(status=label),
    )
    font = item.font()
    font.setStrikeOut(True)
    item.setFont(font)
    item.setForeground(look.color())
    item.setToolTip(
        QCoreApplication.translate(
            "TransactionView",
            "Signature {verdict}: this notification is not trusted as the transaction's status.",
        ).format(verdict=theme.verdict_look(verdict or "").label.lower())
    )
    return item
