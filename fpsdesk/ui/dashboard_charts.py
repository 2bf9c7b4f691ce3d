"""The dashboard's painted charts: the columns over time and the breakdown rows.

Each is a widget that paints its slices with fpsdesk/ui/charts.py, reports a click or Enter on a
bar as ``picked(index, group or None)``, moves between bars with the arrow keys and says every
bar in words (tooltip, accessible description). What a pick filters is the view's business
(dashboard.py).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QHelpEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from fpsdesk.store.report import Slice
from fpsdesk.ui import charts, theme
from fpsdesk.ui.charts import ChartColors, Hit


def chart_colors() -> ChartColors:
    return ChartColors.dark_colors() if theme.is_dark() else ChartColors.light()


class Chart(QWidget):
    """A painted chart of slices that reports clicks: ``picked(index, group or None)``."""

    picked = Signal(int, object)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.slices: list[Slice] = []
        self.unit = ""
        self.hits: list[Hit] = []
        self.selected: tuple[int, str | None] | None = None
        self.cursor_index = -1  # the bar the keyboard is on
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(title)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_slices(self, slices: list[Slice], unit: str = "") -> None:
        self.slices = slices
        self.unit = unit
        self.selected = None
        self.cursor_index = -1
        self.setAccessibleDescription(
            "; ".join(charts.summary(s, self.label(s)) for s in slices if s.total)
            or self.tr("No cancels in this period.")
        )
        self.update()

    def label(self, slice_: Slice) -> str:
        if slice_.dimension == "bucket":
            return slice_.key
        return charts.slice_label(slice_)

    def paint_into(self, painter: QPainter, area: QRectF) -> list[Hit]:
        raise NotImplementedError

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        colors = chart_colors()
        painter.setFont(charts.title_font(self.font(), 1.0))
        painter.setPen(colors.text)
        metrics = painter.fontMetrics()
        painter.drawText(QPointF(4, metrics.ascent() + 2), self.title)
        painter.setFont(self.font())
        top = metrics.height() + 8
        self.hits = self.paint_into(
            painter, QRectF(4, top, self.width() - 8, self.height() - top - 4)
        )
        if self.hasFocus() and 0 <= self.cursor_index < len(self.slices):
            area = next(
                (h[0] for h in self.hits if h[1] == self.cursor_index and h[2] is None), None
            )
            if area is not None:
                painter.setPen(colors.muted)
                painter.drawRect(area.adjusted(0, 0, -1, -1))
        painter.end()

    def hit_at(self, point: QPointF) -> tuple[int, str | None] | None:
        segment = next((h for h in self.hits if h[2] is not None and h[0].contains(point)), None)
        found = segment or next((h for h in self.hits if h[0].contains(point)), None)
        return (found[1], found[2]) if found is not None else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        hit = self.hit_at(event.position())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.picked.emit(hit[0], hit[1])
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            hit = self.hit_at(QPointF(event.pos()))
            if hit is None:
                QToolTip.hideText()
            else:
                slice_ = self.slices[hit[0]]
                text = charts.summary(slice_, self.label(slice_))
                if hit[1] is not None:
                    look = charts.group_looks()[hit[1]]
                    text = f"{look.label}: {slice_.counts[hit[1]]} · {text}"
                QToolTip.showText(event.globalPos(), text + "\n" + self.tr("Click to list them."))
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Left/Right (or Up/Down) move between bars, Enter lists the bar's cancels."""
        key = event.key()
        if not self.slices:
            super().keyPressEvent(event)
            return
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Down):
            self.cursor_index = min(len(self.slices) - 1, self.cursor_index + 1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            self.cursor_index = max(0, self.cursor_index - 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self.cursor_index >= 0:
                self.picked.emit(self.cursor_index, None)
            return
        else:
            super().keyPressEvent(event)
            return
        slice_ = self.slices[self.cursor_index]
        self.setAccessibleDescription(charts.summary(slice_, self.label(slice_)))
        self.update()


class ColumnsChart(Chart):
    """Cancels per hour, day or month, stacked by outcome, with the legend above."""

    def paint_into(self, painter: QPainter, area: QRectF) -> list[Hit]:
        colors = chart_colors()
        charts.paint_legend(painter, area.topLeft(), colors)
        line = painter.fontMetrics().height() + 6
        return charts.paint_columns(
            painter, area.adjusted(0, line, 0, 0), self.slices, self.unit, colors, self.selected
        )

    def sizeHint(self) -> QSize:
        return QSize(640, 300)

    def minimumSizeHint(self) -> QSize:
        return QSize(320, 200)


class RowsChart(Chart):
    """One breakdown: a horizontal stacked bar per key, the most common first."""

    ROWS = 6

    def paint_into(self, painter: QPainter, area: QRectF) -> list[Hit]:
        return charts.paint_rows(
            painter, area, self.slices, chart_colors(), self.selected, rows=self.ROWS
        )

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(320, (self.fontMetrics().height() + 6) * (self.ROWS + 1) + 14)

    def minimumSizeHint(self) -> QSize:
        return QSize(220, self.sizeHint().height())
