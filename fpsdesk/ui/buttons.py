"""Buttons with a clear focus ring, and the copy button that says it copied."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QWidget


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
