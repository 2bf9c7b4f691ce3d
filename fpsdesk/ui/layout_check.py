"""Find text a window cuts off: labels, buttons and key table columns narrower than their text.

packaging/screenshots.py --check runs it on each screen it renders; the tests run that in a
child process with the application font at 1.5× or 2× its size while pixel sizes stay
(what an agent with display scaling sees). A label that elides on purpose carries the "…" and
so fits; wrapped labels must have the height their text needs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QLabel,
    QStyle,
    QTableView,
    QWidget,
)

# Table columns whose values are never elided: an amount or an ID cut short reads as another.
KEY_COLUMNS = ("Amount", "Transaction ID", "Transaction", "RequestId", "Request ID")


@dataclass(frozen=True)
class CutOff:
    where: str  # the widget's accessible name, object name or class
    text: str
    need: int  # pixels the text needs
    have: int  # pixels the widget gives it

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _name(widget: QWidget) -> str:
    return widget.accessibleName() or widget.objectName() or type(widget).__name__


def _shown(widget: QWidget, root: QWidget) -> bool:
    return widget.isVisibleTo(root) and widget.isVisible()


def cut_labels(root: QWidget) -> list[CutOff]:
    out: list[CutOff] = []
    for label in root.findChildren(QLabel):
        text = label.text()
        if not _shown(label, root) or not text:
            continue
        rich = label.textFormat() == Qt.TextFormat.RichText or (
            label.textFormat() == Qt.TextFormat.AutoText and "<" in text
        )
        if rich or (label.pixmap() is not None and not label.pixmap().isNull()):
            continue
        rect = label.contentsRect()
        if label.wordWrap():
            # Wrapping breaks only between words: the longest word (an ID, a URL) must fit.
            metrics = label.fontMetrics()
            widest = max(text.split(), key=metrics.horizontalAdvance, default="")
            if metrics.horizontalAdvance(widest) > rect.width() + 1:
                out.append(
                    CutOff(
                        _name(label), widest[:80], metrics.horizontalAdvance(widest), rect.width()
                    )
                )
                continue
            # heightForWidth counts the whole label (a style sheet's padding and border too).
            need = label.heightForWidth(label.width())
            have = label.height()
        else:
            lines = text.split("\n")
            need = max(label.fontMetrics().horizontalAdvance(line) for line in lines)
            have = rect.width() - 2 * label.margin() - 2 * label.indent() * (label.indent() > 0)
        if need > have + 1:
            out.append(CutOff(_name(label), text[:80], need, have))
    return out


def cut_buttons(root: QWidget) -> list[CutOff]:
    out: list[CutOff] = []
    for button in root.findChildren(QAbstractButton):
        if not _shown(button, root) or not button.text():
            continue
        # The text in the button's own font and the style's margins (a style sheet's padding
        # comes on top), without the minimum width Fusion gives every text button.
        style = button.style()
        margins = 2 * (
            style.pixelMetric(QStyle.PixelMetric.PM_ButtonMargin, None, button)
            + style.pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, None, button)
        )
        need = button.fontMetrics().horizontalAdvance(button.text().replace("&", "")) + margins
        if not button.icon().isNull():
            need += button.iconSize().width() + 4
        if need > button.width() + 1:
            out.append(CutOff(_name(button), button.text(), need, button.width()))
    return out


def cut_columns(root: QWidget) -> list[CutOff]:
    out: list[CutOff] = []
    for view in root.findChildren(QTableView):
        model = view.model()
        if model is None or not _shown(view, root):
            continue
        for column in range(model.columnCount()):
            title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
            if title not in KEY_COLUMNS or view.isColumnHidden(column):
                continue
            have = view.columnWidth(column)
            for row in range(min(model.rowCount(), 50)):
                index = model.index(row, column)
                text = str(index.data() or "")
                if not text:
                    continue
                # The item delegate's text margin: the focus frame's, plus one, each side.
                margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin)
                font = index.data(Qt.ItemDataRole.FontRole)
                metrics = QFontMetrics(font) if isinstance(font, QFont) else view.fontMetrics()
                need = metrics.horizontalAdvance(text) + 2 * (margin + 1)
                if index.data(Qt.ItemDataRole.DecorationRole) is not None:
                    need += view.iconSize().width() + 4
                if need > have:
                    out.append(CutOff(f"{_name(view)}:{title}", text, need, have))
                    break
    return out


def out_of_view(widgets: list[QWidget]) -> list[CutOff]:
    """Key widgets (an amount, an ID, the Cancel button) that stick out of the scroll area
    they sit in, sideways: the agent would have to scroll to see them whole."""
    out: list[CutOff] = []
    for widget in widgets:
        if not widget.isVisible():
            continue
        parent = widget.parentWidget()
        viewport = None
        while parent is not None:
            if isinstance(parent, QAbstractScrollArea):
                viewport = parent.viewport()
                break
            parent = parent.parentWidget()
        if viewport is None:
            continue
        left = widget.mapTo(viewport, widget.rect().topLeft()).x()
        right = left + widget.width()
        if left < 0 or right > viewport.width() + 1:
            text = widget.text() if isinstance(widget, (QLabel, QAbstractButton)) else ""
            out.append(CutOff(_name(widget), text, right, viewport.width()))
    return out


def cut_off(root: QWidget, key: list[QWidget] | None = None) -> list[CutOff]:
    """Everything visible under ``root`` that is narrower (or shorter) than its text, and any
    of the ``key`` widgets out of view sideways."""
    return cut_labels(root) + cut_buttons(root) + cut_columns(root) + out_of_view(key or [])
