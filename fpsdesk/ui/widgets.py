"""Small reusable widgets: environment badge, status chip, result banner, outcome notices, card,
empty state."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPainter, QPaintEvent, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
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
        self.setStyleSheet(
            f"QLabel {{ background: {look.background}; color: {look.foreground};"
            " border-radius: 4px; padding: 4px 10px; font-weight: 700; letter-spacing: 1px; }"
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


class RingButton(QPushButton):
    """A push button that draws a clear focus ring in the highlight colour whenever it has the
    focus: Fusion's own is a faint 1-pixel tint, and only after a Tab, which agents miss."""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.hasFocus():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.palette().color(QPalette.ColorRole.Highlight))
        pen.setWidthF(2.0)
        painter.setPen(pen)
        painter.drawRoundedRect(self.rect().adjusted(1, 1, -1, -1), 3, 3)
        painter.end()


class CopyField(QWidget):
    """A selectable value with a Copy button (codes, RequestIds, transaction IDs)."""

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.label = QLabel()
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        # A real button (frame, focus ring, Enter/Space), not a flat word that reads as text.
        self.button = RingButton(self.tr("Copy"))
        self.button.setAccessibleDescription(self.tr("Copies the value to the clipboard"))
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.setToolTip(self.tr("Copy to the clipboard"))
        self.button.clicked.connect(self.copy)
        layout.addWidget(self.label)
        layout.addWidget(self.button)
        layout.addStretch(1)

    def set_value(self, value: str | None) -> None:
        self.label.setText(value or "—")
        # An ID, a code or a RequestId is never cut: the layout gives it its whole width (the
        # page scrolls if the window is narrower).
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance(value or "—") + 2)
        self.button.setVisible(bool(value))
        self.button.setAccessibleName(self.tr("Copy {value}").format(value=value or ""))

    def copy(self) -> None:
        """Copy, and say so on the button for two seconds (a copy is otherwise invisible)."""
        text = self.label.text()
        QGuiApplication.clipboard().setText(text)
        confirm_copied(self.button, self.tr("Copy"))
        self.copied.emit(text)


def confirm_copied(button: QPushButton, label: str) -> None:
    """Show "✓ Copied" on a copy button for two seconds, then its own label again; the width
    stays put so the row does not jump."""
    button.setMinimumWidth(button.sizeHint().width())
    button.setText(QApplication.translate("CopyField", "✓ Copied"))
    button.setAccessibleDescription(QApplication.translate("CopyField", "Copied"))
    QTimer.singleShot(2000, button, lambda: _restore_copy(button, label))


def _restore_copy(button: QPushButton, label: str) -> None:
    button.setText(label)
    button.setAccessibleDescription("")


class ResultBanner(QFrame):
    """The prominent result of the last action: headline, explanation, code and RequestId."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        outer = QHBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 10)
        outer.setSpacing(12)
        self._icon = QLabel()
        self._icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        outer.addWidget(self._icon)
        body = QVBoxLayout()
        body.setSpacing(4)
        self.headline = QLabel()
        font = self.headline.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # What the app is doing about it right now (an unknown outcome: checking, next check).
        self.progress = QLabel()
        self.progress.setWordWrap(True)
        self.progress.setAccessibleName(self.tr("What fpsdesk is doing now"))
        progress_font = self.progress.font()
        progress_font.setItalic(True)
        self.progress.setFont(progress_font)
        self.progress.hide()
        # One value per row: a code or a RequestId is never squeezed to fit beside another.
        codes = QGridLayout()
        codes.setHorizontalSpacing(6)
        codes.setVerticalSpacing(2)
        self.code_caption = QLabel(self.tr("Code:"))
        self.code = CopyField()
        self.request_caption = QLabel(self.tr("RequestId:"))
        self.request_id = CopyField()
        # Caption beside the value while there is room; the value alone decides the banner's
        # narrowest width (a RequestId in large text still fits a 900-pixel window).
        codes.addWidget(self.code_caption, 0, 0)
        codes.addWidget(self.code, 0, 1)
        codes.addWidget(self.request_caption, 1, 0)
        codes.addWidget(self.request_id, 1, 1)
        codes.setColumnStretch(1, 1)
        self._codes = codes
        self._captions_above = False
        self.support_button = RingButton(self.tr("Copy for support"))
        self.support_button.setToolTip(
            self.tr(
                "Copy a note for escalation: what happened, code, RequestId, transaction, "
                "environment, time and fpsdesk version (never a key or signature)"
            )
        )
        self.support_button.clicked.connect(self.copy_support_note)
        codes.addWidget(
            self.support_button, 4, 0, 1, 2, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        )
        body.addWidget(self.headline)
        body.addWidget(self.detail)
        body.addWidget(self.progress)
        body.addLayout(codes)
        outer.addLayout(body, 1)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedWidth(max(28, close.fontMetrics().horizontalAdvance("✕") + 18))
        close.setToolTip(self.tr("Dismiss"))
        close.setAccessibleName(self.tr("Dismiss the result"))
        close.clicked.connect(self._dismiss)
        outer.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.context = ""
        self.hide()

    def show_result(
        self,
        look: theme.StatusLook,
        headline: str,
        detail: str = "",
        code: str | None = None,
        request_id: str | None = None,
        kind: str = "",
        context: str = "",
    ) -> None:
        self.kind = kind
        self.context = context
        color = look.color()
        self._icon.setPixmap(
            theme.shape_pixmap(look.shape, color, 28, self.devicePixelRatioF() or 1.0)
        )
        self.headline.setText(headline)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.set_progress("")
        self.code.set_value(code)
        self.code.setVisible(bool(code))
        self.code_caption.setVisible(bool(code))
        self.request_id.set_value(request_id)
        self.request_id.setVisible(bool(request_id))
        self.request_caption.setVisible(bool(request_id))
        tint = color.name()
        sheet = (
            f"QFrame#banner {{ border: 1px solid {tint}; border-left: 5px solid {tint};"
            " border-radius: 6px; background: palette(base); }"
        )
        if self.styleSheet() != sheet:  # restyling re-polishes every child: only on change
            self.setStyleSheet(sheet)
        self.setAccessibleName(headline)
        # Its icon's words and the explanation: what a screen reader reads after the headline.
        self.setAccessibleDescription(" ".join(p for p in (look.label + ".", detail) if p))
        self.support_button.setVisible(kind not in ("progress", ""))
        self.show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_captions()

    def _place_captions(self) -> None:
        """Captions above their values when the values and captions side by side do not fit."""
        codes = self._codes
        caption = max(self.code_caption.sizeHint().width(), self.request_caption.sizeHint().width())
        value = max(self.code.minimumSizeHint().width(), self.request_id.minimumSizeHint().width())
        # The room the page gives the banner (its scroll area's viewport, else the window),
        # less the banner's own icon, margins and close button.
        room_widget: QWidget | None = self.parentWidget()
        while room_widget is not None and not isinstance(room_widget, QScrollArea):
            room_widget = room_widget.parentWidget()
        room = room_widget.viewport().width() if room_widget is not None else self.window().width()
        chrome = self.width() - self.detail.width()
        above = caption + codes.horizontalSpacing() + value > room - chrome - 8
        if above == self._captions_above:
            return
        self._captions_above = above
        rows = ((self.code_caption, self.code), (self.request_caption, self.request_id))
        for caption_label, field in rows:
            codes.removeWidget(caption_label)
            codes.removeWidget(field)
        for n, (caption_label, field) in enumerate(rows):
            if above:
                codes.addWidget(caption_label, 2 * n, 0, 1, 2)
                codes.addWidget(field, 2 * n + 1, 0, 1, 2)
            else:
                codes.addWidget(caption_label, n, 0)
                codes.addWidget(field, n, 1)

    def set_progress(self, text: str) -> None:
        self.progress.setText(text)
        self.progress.setVisible(bool(text))

    def support_note(self) -> str:
        """Plain text for a ticket; only what is on screen, so no secret can be in it."""
        from datetime import datetime

        from fpsdesk import __version__

        lines = [self.headline.text(), self.detail.text()]
        if self.code.isVisible():
            lines.append(f"Error code: {self.code.label.text()}")
        if self.request_id.isVisible():
            lines.append(f"RequestId: {self.request_id.label.text()}")
        if self.context:
            lines.append(self.context)
        lines.append(f"When: {datetime.now().astimezone().isoformat(timespec='seconds')}")
        lines.append(f"fpsdesk {__version__}")
        return "\n".join(line for line in lines if line)

    def copy_support_note(self) -> None:
        QGuiApplication.clipboard().setText(self.support_note())
        confirm_copied(self.support_button, self.tr("Copy for support"))

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()


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


class OutcomeNotice(QFrame):
    """One finished Cancel the agent has not looked at yet: outcome, ID, Open, Dismiss."""

    open_clicked = Signal(str)
    dismiss_clicked = Signal(str)

    def __init__(self, transaction_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        tint = color.name()
        self.setStyleSheet(
            f"QFrame#notice {{ border: 1px solid {tint}; border-left: 4px solid {tint};"
            " border-radius: 4px; background: palette(base); }"
        )
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
