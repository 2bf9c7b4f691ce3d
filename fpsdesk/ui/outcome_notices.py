"""Finished-cancel notices: one line per Cancel that ended while the agent looked elsewhere,
each with Open and Dismiss, kept until the agent has seen it."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.ui import theme
from fpsdesk.ui.widgets import TintedFrame


class ElidedLabel(QLabel):
    """One line of plain text that ends in "…" when it does not fit; the whole in its tooltip.

    For explanations only: IDs and amounts are never shown through it.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width))


class OutcomeNotice(TintedFrame):
    """One finished Cancel the agent has not looked at yet: outcome, ID, Open, Dismiss."""

    open_clicked = Signal(str)
    dismiss_clicked = Signal(str)

    def __init__(self, transaction_id: str, parent: QWidget | None = None) -> None:
        super().__init__(4, 4, parent)
        self.transaction_id = transaction_id
        self.outcome = ""
        self.unseen = False
        self.payload: object = None
        self.setObjectName("notice")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.setSpacing(10)
        self._icon = QLabel()
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = ElidedLabel()
        self.detail.setStyleSheet("color: palette(placeholder-text);")
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.clicked.connect(lambda: self.open_clicked.emit(self.transaction_id))
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        self.dismiss_button.clicked.connect(lambda: self.dismiss_clicked.emit(self.transaction_id))
        layout.addWidget(self._icon)
        layout.addWidget(self.title)
        layout.addWidget(self.detail, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.dismiss_button)

    def set_outcome(self, look: theme.StatusLook, outcome: str, detail: str, when: str) -> None:
        """``outcome`` is the word the agent scans for; ``detail`` the one-line why."""
        self.outcome = outcome
        color = look.color()
        self._icon.setPixmap(
            theme.shape_pixmap(look.shape, color, 18, self.devicePixelRatioF() or 1.0)
        )
        self.title.setText(
            f"<b>{html.escape(outcome)}</b>&nbsp;&nbsp;"
            f"<span style='font-family: monospace'>{html.escape(self.transaction_id)}</span>"
        )
        line = self.tr("{detail} ({when})").format(detail=detail, when=when) if detail else when
        self.detail.set_full_text(line)
        self.setToolTip(line)
        self.set_tint(color)
        name = self.tr("{outcome}: {id}").format(outcome=outcome, id=self.transaction_id)
        self.setAccessibleName(name)
        self.setAccessibleDescription(line)
        self.open_button.setToolTip(self.tr("Open {id}").format(id=self.transaction_id))
        self.open_button.setAccessibleName(self.tr("Open {id}").format(id=self.transaction_id))
        self.dismiss_button.setToolTip(self.tr("Remove this notice"))
        self.dismiss_button.setAccessibleName(
            self.tr("Dismiss the notice about {id}").format(id=self.transaction_id)
        )


class OutcomeNotices(QFrame):
    """Cancels that finished while the agent looked elsewhere, newest first; each stays until
    it is opened or dismissed. ``unseen`` ones are counted on the Results tab."""

    open_requested = Signal(str)
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        self.header = QWidget()
        header_row = QHBoxLayout(self.header)
        header_row.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)
        self.dismiss_all_button = QPushButton(self.tr("Dismiss all"))
        self.dismiss_all_button.clicked.connect(self.clear)
        header_row.addWidget(self.summary, 1)
        header_row.addWidget(self.dismiss_all_button)
        outer.addWidget(self.header)
        self._list = QWidget()
        self._rows_layout = QVBoxLayout(self._list)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(4)
        self._scroll = QScrollArea()
        self._scroll.setWidget(self._list)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(self._scroll)
        self._rows: list[OutcomeNotice] = []
        self._visible_rows = 3  # more scroll, so the page below keeps its room
        self.setAccessibleName(self.tr("Finished cancels"))
        self._relayout()

    # -- reading ----------------------------------------------------------------------

    def rows(self) -> list[OutcomeNotice]:
        return list(self._rows)

    def entries(self) -> list[tuple[str, str]]:
        """(transaction ID, outcome word) of each notice, newest first."""
        return [(row.transaction_id, row.outcome) for row in self._rows]

    def row(self, transaction_id: str) -> OutcomeNotice | None:
        return next((r for r in self._rows if r.transaction_id == transaction_id), None)

    def unseen_count(self) -> int:
        return sum(1 for row in self._rows if row.unseen)

    # -- changing ---------------------------------------------------------------------

    def add(
        self,
        transaction_id: str,
        look: theme.StatusLook,
        outcome: str,
        detail: str,
        when: str,
        *,
        unseen: bool,
        payload: object = None,
    ) -> OutcomeNotice:
        """Show an outcome; a newer outcome for the same transaction replaces its notice."""
        row = self.row(transaction_id)
        if row is None:
            row = OutcomeNotice(transaction_id)
            row.open_clicked.connect(self._on_open)
            row.dismiss_clicked.connect(self.remove)
        else:
            self._rows.remove(row)
            self._rows_layout.removeWidget(row)
        self._rows.insert(0, row)
        self._rows_layout.insertWidget(0, row)
        row.set_outcome(look, outcome, detail, when)
        row.unseen = unseen
        row.payload = payload
        self._relayout()
        self.changed.emit()
        return row

    def remove(self, transaction_id: str) -> None:
        row = self.row(transaction_id)
        if row is None:
            return
        focus = QApplication.focusWidget()
        had_focus = focus is not None and row.isAncestorOf(focus)
        index = self._rows.index(row)
        self._rows.remove(row)
        self._rows_layout.removeWidget(row)
        row.hide()
        row.deleteLater()
        self._relayout()
        if had_focus and self._rows:  # keyboard: focus moves to the next notice's Dismiss
            self._rows[min(index, len(self._rows) - 1)].dismiss_button.setFocus()
        self.changed.emit()

    def clear(self) -> None:
        for row in self._rows:
            self._rows_layout.removeWidget(row)
            row.hide()
            row.deleteLater()
        self._rows.clear()
        self._relayout()
        self.changed.emit()

    def mark_all_seen(self) -> None:
        if any(row.unseen for row in self._rows):
            for row in self._rows:
                row.unseen = False
            self.changed.emit()

    def set_visible_rows(self, rows: int) -> None:
        """How many notices show at once before the list scrolls (the window sets it by its
        height)."""
        rows = max(1, rows)
        if rows != self._visible_rows:
            self._visible_rows = rows
            self._relayout()

    def _on_open(self, transaction_id: str) -> None:
        self.open_requested.emit(transaction_id)

    def _relayout(self) -> None:
        count = len(self._rows)
        self.header.setVisible(count > 1)
        self.summary.setText(
            self.tr("{n} cancels finished while you were elsewhere").format(n=count)
        )
        if count:
            row_height = max(row.sizeHint().height() for row in self._rows)
            spacing = self._rows_layout.spacing()
            shown = min(count, self._visible_rows)
            self._scroll.setFixedHeight(shown * row_height + (shown - 1) * spacing)
        self.setVisible(count > 0)
