"""The result banner: the last action's outcome, its code and RequestId, and a note to copy
for support."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.ui import theme
from fpsdesk.ui.buttons import CopyField, RingButton, confirm_copied
from fpsdesk.ui.widgets import TintedFrame


class ResultBanner(TintedFrame):
    """The prominent result of the last action: headline, explanation, code and RequestId."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(5, 6, parent)
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
        self.set_tint(color)
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
