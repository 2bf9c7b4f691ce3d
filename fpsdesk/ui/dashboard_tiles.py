"""The dashboard's headline figures: a tile per number, and how the numbers are written.

``money`` and ``rate_text`` are shared with the PDF report (report_pdf.py), so the report and
the screen write an amount or a rate the same way.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


def money(released: dict[str, Decimal]) -> str:
    """``USD 1,234.50 · EUR 20.00`` (or an em dash when nothing was released)."""
    if not released:
        return "—"
    return " · ".join(f"{currency} {value:,.2f}" for currency, value in released.items())


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


class Figure(QFrame):
    """One headline number with its caption."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("figure")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(0)
        self.caption = QLabel(caption)
        self.caption.setStyleSheet("color: palette(placeholder-text);")
        self.value = QLabel("—")
        self.value.setTextFormat(Qt.TextFormat.PlainText)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.value.setFont(font)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        self.set_alert(False)

    def set(self, value: str, accessible: str) -> None:
        self.value.setText(value)
        self.setAccessibleName(f"{self.caption.text()}: {accessible}")
        self.value.setAccessibleName(f"{self.caption.text()}: {accessible}")

    def set_alert(self, on: bool) -> None:
        border = "#b42318" if on else "palette(mid)"
        width = 2 if on else 1
        self.setStyleSheet(
            f"QFrame#figure {{ border: {width}px solid {border}; border-radius: 6px;"
            " background: palette(base); }"
        )
