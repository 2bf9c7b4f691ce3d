"""Small reusable widgets and helpers: time and ID text, card, environment badge, status chip,
empty state, accessible names.

The result banner, the finished-cancel notices and the copy button have modules of their own
(``result_banner``, ``outcome_notices``, ``buttons``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStatusBar,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.ui import theme

if TYPE_CHECKING:
    from datetime import datetime


def format_time(value: datetime | None) -> str:
    """Local time, to the second, with the zone: what an agent compares with a ticket."""
    if value is None:
        return "—"
    local = value.astimezone() if value.tzinfo else value
    return local.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def short_id(transaction_id: str, other: str = "") -> str:
    """The start of an ID for a button's text (the full ID goes in its tooltip), long enough
    to tell it from ``other``; the whole ID when it is short or a prefix of ``other``."""
    length = 8
    while length < len(transaction_id) and transaction_id[:length] == other[:length]:
        length += 4
    if length >= len(transaction_id) - 1:
        return transaction_id
    return f"{transaction_id[:length]}…"


def keep_words_whole(label: QLabel) -> None:
    """A wrapping label breaks only between words: make it at least as wide as its longest
    word (an ID, a URL), so the layout scrolls instead of cutting that word."""
    metrics = label.fontMetrics()
    widest = max((metrics.horizontalAdvance(w) for w in label.text().split()), default=0)
    label.setMinimumWidth(widest + 2)


class Card(QFrame):
    """A bordered panel on the Base colour; groups related facts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setStyleSheet(
            "QFrame#card { background: palette(base); border: 1px solid palette(mid);"
            " border-radius: 6px; }"
        )


class TintedFrame(QFrame):
    """A panel on the Base colour with a border in one colour and a thicker bar on its left
    (a result, a notice). Painted here, not by a style sheet: changing a sheet re-polishes the
    panel and every child, and a banner that changes colour with each outcome paid for that
    in the frame that showed it."""

    def __init__(self, left: int, radius: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tint = QColor()
        self._left = left
        self._radius = radius
        self.setContentsMargins(left, 1, 1, 1)  # the border's room, as a sheet's would be

    def set_tint(self, color: QColor) -> None:
        if color != self._tint:
            self._tint = QColor(color)
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._tint.isValid():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outline = QPainterPath()
        outline.addRoundedRect(
            QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), self._radius, self._radius
        )
        painter.fillPath(outline, self.palette().base())
        painter.save()
        painter.setClipPath(outline)
        painter.fillRect(QRectF(0, 0, self._left, self.height()), self._tint)
        painter.restore()
        painter.setPen(QPen(self._tint, 1))
        painter.drawPath(outline)


class ElidingStatusBar(QStatusBar):
    """A status bar whose message ends in "…" when the window is too narrow for it, the whole
    message in the tooltip (QStatusBar cuts it off mid-word). ``currentMessage()`` is still the
    whole message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._permanent: list[QWidget] = []
        self.messageChanged.connect(self._on_message_changed)

    def addPermanentWidget(self, widget: QWidget, stretch: int | None = 0) -> None:
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch or 0)

    def showMessage(self, message: str, timeout: int | None = 0) -> None:
        self._full = message
        shown = self._elided(message)
        self.setToolTip(message if shown != message else "")
        super().showMessage(shown, timeout or 0)

    def currentMessage(self) -> str:
        return self._full if super().currentMessage() else ""

    def _elided(self, message: str) -> str:
        room = self.width() - sum(w.width() for w in self._permanent if w.isVisible()) - 32
        return self.fontMetrics().elidedText(message, Qt.TextElideMode.ElideRight, max(room, 40))

    def _on_message_changed(self, message: str) -> None:
        if not message:  # cleared, by a timeout or clearMessage()
            self._full = ""
            self.setToolTip("")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._full and super().currentMessage():
            shown = self._elided(self._full)
            if shown != super().currentMessage():
                self.setToolTip(self._full if shown != self._full else "")
                super().showMessage(shown)


class EnvironmentBadge(QLabel):
    """Always-visible environment: a coloured pill AND its name in capitals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.set_environment("", "")

    def set_environment(self, environment: str, endpoint: str) -> None:
        look = theme.environment_look(environment, endpoint)
        self.environment = environment
        self.setText(look.label)
        self.setToolTip(look.tooltip)
        self.setAccessibleName(self.tr("Environment: {env}").format(env=look.label))
        theme.restyle(
            self,
            f"QLabel {{ background: {look.background}; color: {look.foreground};"
            " border-radius: 4px; padding: 4px 10px; font-weight: 700; letter-spacing: 1px; }",
        )


class StatusChip(QWidget):
    """Icon + word for a status (never colour alone)."""

    def __init__(
        self, icon_size: int = 16, bold: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self._icon = QLabel()
        self._text = QLabel()
        self._size = icon_size
        if bold:
            font = self._text.font()
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * (icon_size / 16) ** 0.5)
            self._text.setFont(font)
        layout.addWidget(self._icon)
        layout.addWidget(self._text)
        layout.addStretch(1)

    def set_look(self, look: theme.StatusLook, text: str | None = None) -> None:
        ratio = self.devicePixelRatioF() or 1.0
        self._icon.setPixmap(theme.shape_pixmap(look.shape, look.color(), self._size, ratio))
        self._text.setText(text or look.label)
        self.setAccessibleName(text or look.label)
        self.setToolTip(look.meaning)

    def clear(self) -> None:
        self._icon.clear()
        self._text.clear()
        self.setAccessibleName("")
        self.setToolTip("")

    def text(self) -> str:
        return self._text.text()


def status_item(look: theme.StatusLook, text: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(theme.look_icon(look), text or look.label)
    item.setToolTip(look.meaning or (text or look.label))
    return item


def accessible(widget: QWidget, description: str, name: str | None = None) -> None:
    """What a screen reader says for a control: its name (when its text or label is not
    enough) and a description of what it does; both are read through QAccessible."""
    if name is not None:
        widget.setAccessibleName(name)
    widget.setAccessibleDescription(description)
    if isinstance(widget, QLineEdit) and widget.isClearButtonEnabled():
        clear_button_named(widget)


def clear_button_named(edit: QLineEdit) -> None:
    """Qt's clear button inside a line edit has no name of its own: give it one."""
    for button in edit.findChildren(QToolButton):
        button.setAccessibleName(QCoreApplication.translate("widgets", "Clear"))
        button.setAccessibleDescription(QCoreApplication.translate("widgets", "Empties the field"))


class EmptyState(QWidget):
    """A calm centred message instead of an empty table."""

    def __init__(self, title: str, body: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel(title)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.body = QLabel(body)
        self.body.setWordWrap(True)
        for label in (self.title, self.body):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(label)
        self.body.setForegroundRole(self.body.foregroundRole())
        self.body.setStyleSheet("color: palette(placeholder-text);")
        self._layout = layout
        layout.addStretch(2)

    def add_action(self, text: str) -> QPushButton:
        """A button centred under the message (e.g. Stop on the waiting page)."""
        button = QPushButton(text)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(button)
        row.addStretch(1)
        self._layout.insertLayout(self._layout.count() - 1, row)
        return button
