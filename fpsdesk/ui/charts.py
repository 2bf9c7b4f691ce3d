"""The dashboard's charts, painted with QPainter: on screen, into a PNG and into the PDF report.

Painting ourselves costs nothing in the bundle (Qt Charts would add its library and QML
plugins, see docs/ui.md for the figures) and draws a few hundred rectangles in well under a
millisecond. One function paints each chart onto any QPainter, so the window, the PNG and the
PDF show the same picture.

Colours are the Okabe-Ito set (distinguishable with the common colour-vision deficiencies), and
every outcome also has its own fill pattern and a label in the legend, so no meaning rests on
colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen

from fpsdesk.records.reasons import label_of
from fpsdesk.store.report import (
    AGENT,
    CORRECTED,
    DAY,
    ERROR_CODE,
    GROUPS,
    HOUR,
    NO_REASON,
    NOT_CANCELLED,
    REASON,
    STATUS_BEFORE,
    SUCCEEDED,
    UNRESOLVED,
    Slice,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("charts", text)


@dataclass(frozen=True)
class GroupLook:
    label: str
    color: str
    pattern: Qt.BrushStyle  # drawn over the colour, so print and grey scale still tell apart


def group_looks() -> dict[str, GroupLook]:
    return {
        SUCCEEDED: GroupLook(_tr("Succeeded"), "#0072B2", Qt.BrushStyle.NoBrush),
        NOT_CANCELLED: GroupLook(_tr("Not cancelled"), "#D55E00", Qt.BrushStyle.BDiagPattern),
        UNRESOLVED: GroupLook(_tr("Unknown or settling"), "#E69F00", Qt.BrushStyle.Dense5Pattern),
        CORRECTED: GroupLook(_tr("Corrected"), "#CC79A7", Qt.BrushStyle.DiagCrossPattern),
    }


@dataclass(frozen=True)
class ChartColors:
    """What a chart needs of the palette it is painted on."""

    text: QColor
    muted: QColor
    grid: QColor
    background: QColor
    dark: bool

    @staticmethod
    def light() -> ChartColors:
        return ChartColors(
            QColor("#1f2328"), QColor("#57606a"), QColor("#d0d7de"), QColor("#ffffff"), False
        )

    @staticmethod
    def dark_colors() -> ChartColors:
        return ChartColors(
            QColor("#e6e8eb"), QColor("#a0a6ae"), QColor("#3d424a"), QColor("#1e2024"), True
        )


def paint_segment(painter: QPainter, rect: QRectF, group: str, colors: ChartColors) -> None:
    look = group_looks()[group]
    painter.fillRect(rect, QColor(look.color))
    if look.pattern != Qt.BrushStyle.NoBrush:
        overlay = QColor(255, 255, 255, 150) if not colors.dark else QColor(0, 0, 0, 140)
        painter.fillRect(rect, QBrush(overlay, look.pattern))


def bucket_label(key: str, unit: str) -> str:
    """Short axis text for a bucket key: ``14:00``, ``Dec 5``, ``Dec 2026``."""
    if unit == HOUR:
        return key[-5:]
    if unit == DAY:
        day = date.fromisoformat(key)
        return f"{day:%b} {day.day}"
    return f"{date.fromisoformat(key + '-01'):%b %Y}"


def slice_label(slice_: Slice) -> str:
    """What a breakdown bar reads as."""
    key = slice_.key
    if slice_.dimension == REASON:
        if key == NO_REASON:
            return _tr("(no reason)")
        if key.startswith("code:"):
            return label_of(key.removeprefix("code:"))
        return key.removeprefix("text:")
    if slice_.dimension == ERROR_CODE:
        return key or _tr("(no error code)")
    if slice_.dimension == STATUS_BEFORE:
        return key or _tr("(not read)")
    return key


DIMENSION_TITLES = {
    AGENT: "By agent",
    REASON: "By reason",
    STATUS_BEFORE: "By status before the cancel",
    ERROR_CODE: "Not cancelled, by FPS error code",
}


def dimension_title(dimension: str) -> str:
    return _tr(DIMENSION_TITLES[dimension])


def summary(slice_: Slice, label: str) -> str:
    """The text equivalent of one bar (tooltips, the accessible table, screen readers)."""
    looks = group_looks()
    parts = [f"{looks[g].label} {slice_.counts[g]}" for g in GROUPS if slice_.counts[g]]
    total = _tr("{n} cancels").format(n=slice_.total) if slice_.total != 1 else _tr("1 cancel")
    return f"{label}: {total}" + (f" ({', '.join(parts)})" if parts else "")


Hit = tuple[QRectF, int, str | None]  # area, index of the slice, outcome group (None: the bar)


def paint_columns(
    painter: QPainter,
    area: QRectF,
    slices: list[Slice],
    unit: str,
    colors: ChartColors,
    selected: tuple[int, str | None] | None = None,
) -> list[Hit]:
    """Vertical bars stacked by outcome, one per time bucket, with a light grid and labels."""
    hits: list[Hit] = []
    metrics = QFontMetricsF(painter.font())
    line = metrics.height()
    peak = max((s.total for s in slices), default=0)
    top_value = _nice_ceiling(peak)
    label_width = metrics.horizontalAdvance(f"{top_value:,}") + 6
    plot = QRectF(area.left() + label_width, area.top() + line / 2, 0, area.height() - line * 1.8)
    plot.setRight(area.right() - 4)
    painter.save()
    painter.setPen(QPen(colors.grid, 1))
    for step in range(5):
        value = top_value * step / 4
        y = plot.bottom() - plot.height() * step / 4
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.setPen(colors.muted)
        painter.drawText(
            QRectF(area.left(), y - line / 2, label_width - 6, line),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            f"{value:,.0f}",
        )
        painter.setPen(QPen(colors.grid, 1))
    if not slices:
        painter.restore()
        return hits
    slot = plot.width() / len(slices)
    width = max(1.0, min(slot * 0.72, 48.0))
    labels = [bucket_label(s.key, unit) for s in slices]
    widest = max(metrics.horizontalAdvance(label) for label in labels) + 8
    every = max(1, int(widest // slot) + 1)
    for index, slice_ in enumerate(slices):
        x = plot.left() + slot * index + (slot - width) / 2
        y = plot.bottom()
        for group in GROUPS:
            n = slice_.counts[group]
            if not n or not top_value:
                continue
            height = plot.height() * n / top_value
            rect = QRectF(x, y - height, width, height)
            paint_segment(painter, rect, group, colors)
            hits.append((rect, index, group))
            y -= height
        bar = QRectF(x, plot.top(), width, plot.height())
        if selected is not None and selected[0] == index:
            painter.setPen(QPen(colors.text, 2, Qt.PenStyle.DashLine))
            painter.drawRect(bar.adjusted(-2, -2, 2, 2))
        if index % every == 0:
            painter.setPen(colors.muted)
            painter.drawText(
                QRectF(x + width / 2 - slot * every / 2, plot.bottom() + 2, slot * every, line),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                labels[index],
            )
        hits.append(
            (QRectF(plot.left() + slot * index, plot.top(), slot, area.height()), index, None)
        )
    painter.restore()
    return hits


def paint_rows(
    painter: QPainter,
    area: QRectF,
    slices: list[Slice],
    colors: ChartColors,
    selected: tuple[int, str | None] | None = None,
    rows: int | None = None,
) -> list[Hit]:
    """Horizontal bars stacked by outcome, one per breakdown key, the most common first."""
    hits: list[Hit] = []
    metrics = QFontMetricsF(painter.font())
    line = metrics.height() + 6
    shown = slices[: rows if rows is not None else max(1, int(area.height() // line))]
    if not shown:
        painter.save()
        painter.setPen(colors.muted)
        painter.drawText(area, int(Qt.AlignmentFlag.AlignLeft), _tr("Nothing in this period."))
        painter.restore()
        return hits
    names = [slice_label(s) for s in shown]
    name_width = min(area.width() * 0.4, max(metrics.horizontalAdvance(n) for n in names) + 10)
    count_width = metrics.horizontalAdvance(f"{max(s.total for s in shown):,}") + 10
    peak = max(s.total for s in shown) or 1
    bar_space = area.width() - name_width - count_width
    painter.save()
    for index, (slice_, name) in enumerate(zip(shown, names, strict=True)):
        y = area.top() + index * line
        painter.setPen(colors.text)
        painter.drawText(
            QRectF(area.left(), y, name_width - 8, line),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_width - 8),
        )
        x = area.left() + name_width
        for group in GROUPS:
            n = slice_.counts[group]
            if not n:
                continue
            width = bar_space * n / peak
            rect = QRectF(x, y + 3, width, line - 6)
            paint_segment(painter, rect, group, colors)
            hits.append((rect, index, group))
            x += width
        painter.setPen(colors.muted)
        painter.drawText(
            QRectF(x + 4, y, count_width, line),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            f"{slice_.total:,}",
        )
        row = QRectF(area.left(), y, area.width(), line)
        if selected is not None and selected[0] == index:
            painter.setPen(QPen(colors.text, 2, Qt.PenStyle.DashLine))
            painter.drawRect(row.adjusted(1, 1, -1, -1))
        hits.append((row, index, None))
    painter.restore()
    return hits


def paint_legend(
    painter: QPainter, origin: QPointF, colors: ChartColors, counts: dict[str, int] | None = None
) -> float:
    """Swatch (colour and pattern) and label per outcome, in one line; returns its width."""
    metrics = QFontMetricsF(painter.font())
    size = metrics.height() * 0.8
    x = origin.x()
    painter.save()
    for group, look in group_looks().items():
        swatch = QRectF(x, origin.y() + (metrics.height() - size) / 2, size * 1.4, size)
        paint_segment(painter, swatch, group, colors)
        painter.setPen(QPen(colors.muted, 1))
        painter.drawRect(swatch)
        text = look.label if counts is None else f"{look.label} {counts.get(group, 0):,}"
        painter.setPen(colors.text)
        painter.drawText(QPointF(swatch.right() + 5, origin.y() + metrics.ascent()), text)
        x = swatch.right() + 5 + metrics.horizontalAdvance(text) + 16
    painter.restore()
    return x - origin.x()


def _nice_ceiling(value: int) -> int:
    """A round top for the axis (4 grid steps of a round size) at or above ``value``."""
    if value <= 4:
        return 4
    step = value / 4
    magnitude = 10 ** (len(str(int(step))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if step <= factor * magnitude:
            return int(factor * magnitude * 4)
    return int(10 * magnitude * 4)


def title_font(base: QFont, scale: float = 1.1) -> QFont:
    font = QFont(base)
    if base.pointSizeF() > 0:
        font.setPointSizeF(base.pointSizeF() * scale)
    else:  # a font sized in pixels (the PNG)
        font.setPixelSize(round(base.pixelSize() * scale))
    font.setBold(True)
    return font
