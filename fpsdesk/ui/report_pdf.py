"""The shareable report: the dashboard and its table as a PDF (QPdfWriter), the charts as a PNG.

The app (Results → Report PDF…, Charts PNG…) and ``fpsdesk report`` both call ``write_pdf`` /
``write_png`` with a Dashboard from fpsdesk/store/report.py, so the file says the same whoever
made it. The first page carries what a reader needs to trust it: the environment, the period,
who produced it and when; then the figures, the charts (painted by fpsdesk/ui/charts.py, the
same code as on screen) and their text equivalent; then the cancels themselves.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
)
from PySide6.QtWidgets import QApplication, QWidget

from fpsdesk.records.reasons import shown_reason
from fpsdesk.store.actions import ActionRecord, current_operator
from fpsdesk.store.report import (
    AGENT,
    DIMENSIONS,
    ERROR_CODE,
    GROUPS,
    REASON,
    REPORT_ROWS,
    STATUS_BEFORE,
    Dashboard,
    Slice,
)
from fpsdesk.ui import charts
from fpsdesk.ui.charts import ChartColors

MAX_ROWS = REPORT_ROWS
DPI = 96  # layout units: CSS pixels, so sizes read like the window's
PNG_SIZE = (1400, 780)


def _tr(text: str) -> str:
    return QCoreApplication.translate("report", text)


_app: Any = None  # the command line's QApplication, alive until the process ends


def start_offscreen_app() -> None:
    """A QApplication for ``fpsdesk report`` (fonts and painting; the caller chose offscreen)."""
    global _app
    if QApplication.instance() is None:
        _app = QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "fpsdesk"])
        _app.setApplicationName("fpsdesk")


def produced_by() -> str:
    return f"{current_operator()}@{socket.gethostname()}"


def stamp(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z")


def environment_text(board: Dashboard) -> str:
    return board.environment or _tr("All environments")


def period_text(board: Dashboard) -> str:
    period = board.period
    dates = f"{period.first_day.isoformat()} to {period.last_day.isoformat()}"
    return dates if period.label == dates else f"{period.label} ({dates})"


def headline(board: Dashboard) -> list[tuple[str, str]]:
    from fpsdesk.ui.dashboard_tiles import money, rate_text

    released = money(board.released)
    if board.released_unknown:
        released += _tr(" (+{n} without an amount)").format(n=board.released_unknown)
    return [
        (_tr("Cancels"), f"{board.total:,}"),
        (_tr("Amount released"), released),
        (_tr("Success rate"), rate_text(board.success_rate)),
        (_tr("Unresolved"), f"{board.unresolved:,}"),
    ]


def paint_dashboard(
    painter: QPainter, area: QRectF, board: Dashboard, colors: ChartColors, base: QFont
) -> float:
    """Figures, the time chart and the four breakdowns in ``area``; returns the y reached."""
    y = area.top()
    small = QFont(base)
    big = charts.title_font(base, 1.3)
    x = area.left()
    for (caption, value), share in zip(headline(board), (0.16, 0.46, 0.19, 0.19), strict=True):
        width = area.width() * share
        painter.setFont(small)
        painter.setPen(colors.muted)
        painter.drawText(QPointF(x, y + QFontMetricsF(small).ascent()), caption)
        fitted = _fit(big, value, width - 12)
        painter.setFont(fitted)
        alert = caption == _tr("Unresolved") and board.unresolved > 0
        painter.setPen(QColor("#b42318") if alert else colors.text)
        value_top = y + QFontMetricsF(small).height() + 2
        text = QFontMetricsF(fitted).elidedText(value, Qt.TextElideMode.ElideRight, width - 12)
        painter.drawText(QPointF(x, value_top + QFontMetricsF(big).ascent()), text)
        x += width
    y += QFontMetricsF(small).height() + QFontMetricsF(big).height() + 14
    painter.setFont(base)
    line = QFontMetricsF(base).height()
    title = charts.title_font(base, 1.0)
    painter.setFont(title)
    painter.setPen(colors.text)
    painter.drawText(QPointF(area.left(), y + line), _tr("Cancels over time, by outcome"))
    painter.setFont(base)
    y += line + 8
    charts.paint_legend(painter, QPointF(area.left(), y), colors, board.groups)
    y += line + 6
    chart_height = area.height() * 0.38
    charts.paint_columns(
        painter,
        QRectF(area.left(), y, area.width(), chart_height),
        board.buckets,
        board.period.unit,
        colors,
    )
    y += chart_height + 14
    cell_w = (area.width() - 20) / 2
    rows = 6
    cell_h = line + (line + 6) * rows + 8
    for index, dimension in enumerate((AGENT, REASON, STATUS_BEFORE, ERROR_CODE)):
        cx = area.left() + (index % 2) * (cell_w + 20)
        cy = y + (index // 2) * (cell_h + 10)
        painter.setFont(title)
        painter.setPen(colors.text)
        painter.drawText(QPointF(cx, cy + line), charts.dimension_title(dimension))
        painter.setFont(base)
        charts.paint_rows(
            painter,
            QRectF(cx, cy + line + 6, cell_w, cell_h - line),
            board.breakdowns[dimension],
            colors,
            rows=rows,
        )
    return y + 2 * (cell_h + 10)


def _fit(font: QFont, text: str, width: float) -> QFont:
    """``font``, made smaller (down to two thirds) until ``text`` fits ``width``: an amount
    is never cut while there is a size at which it reads whole."""
    fitted = QFont(font)
    for _ in range(8):
        if QFontMetricsF(fitted).horizontalAdvance(text) <= width:
            break
        if fitted.pointSizeF() > 0:
            fitted.setPointSizeF(fitted.pointSizeF() * 0.95)
        else:
            fitted.setPixelSize(max(1, round(fitted.pixelSize() * 0.95)))
    return fitted


def write_png(path: Path, board: Dashboard, *, dark: bool = False) -> None:
    """The charts as one PNG (what the window shows, at a fixed size)."""
    width, height = PNG_SIZE
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    colors = ChartColors.dark_colors() if dark else ChartColors.light()
    image.fill(colors.background)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        base = QFont()
        base.setPixelSize(14)
        painter.setFont(charts.title_font(base, 1.3))
        painter.setPen(colors.text)
        painter.drawText(
            QPointF(24, 36),
            _tr("Cancellation results · {env} · {period}").format(
                env=environment_text(board), period=period_text(board)
            ),
        )
        painter.setFont(base)
        paint_dashboard(painter, QRectF(24, 56, width - 48, height - 80), board, colors, base)
    finally:
        painter.end()
    if not image.save(str(path), "PNG"):  # type: ignore[call-overload]
        raise OSError(f"could not write {path}")


class _Pages:
    """A PDF being written: the painter, the page box and the y of the next line."""

    def __init__(self, path: Path) -> None:
        self.writer = QPdfWriter(str(path))
        self.writer.setResolution(DPI)
        self.writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(15, 15, 15, 15),
                QPageLayout.Unit.Millimeter,
            )
        )
        self.writer.setTitle(_tr("fpsdesk cancellation results"))
        self.writer.setCreator("fpsdesk")
        self.painter = QPainter()
        if not self.painter.begin(self.writer):
            raise OSError(f"could not write {path}")
        rect = self.writer.pageLayout().paintRectPixels(DPI)
        self.box = QRectF(0, 0, rect.width(), rect.height())
        self.y = 0.0
        self.base = QFont()
        self.base.setPointSizeF(8.5)
        self.painter.setFont(self.base)
        self.line = QFontMetricsF(self.base).height() + 3
        self.page = 1

    def new_page(self, landscape: bool | None = None) -> None:
        """The next page; ``landscape`` turns it (and those after it) for wide tables."""
        if landscape is not None:
            self.writer.setPageOrientation(
                QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
            )
            rect = self.writer.pageLayout().paintRectPixels(DPI)
            self.box = QRectF(0, 0, rect.width(), rect.height())
        self.writer.newPage()
        self.page += 1
        self.y = 0.0

    def need(self, height: float) -> None:
        if self.y + height > self.box.height():
            self.new_page()

    def text(self, text: str, font: QFont | None = None, color: str = "#1f2328") -> None:
        font = font or self.base
        metrics = QFontMetricsF(font)
        self.need(metrics.height() + 2)
        self.painter.setFont(font)
        self.painter.setPen(QColor(color))
        self.painter.drawText(QPointF(0, self.y + metrics.ascent()), text)
        self.y += metrics.height() + 2
        self.painter.setFont(self.base)

    def row(self, cells: Sequence[str], widths: Sequence[float], font: QFont | None = None) -> None:
        font = font or self.base
        self.need(self.line)
        self.painter.setFont(font)
        self.painter.setPen(QColor("#1f2328"))
        metrics = QFontMetricsF(font)
        x = 0.0
        for cell, fraction in zip(cells, widths, strict=True):
            width = self.box.width() * fraction
            shown = metrics.elidedText(cell, Qt.TextElideMode.ElideRight, width - 6)
            self.painter.drawText(QPointF(x, self.y + metrics.ascent()), shown)
            x += width
        self.y += self.line
        self.painter.setFont(self.base)


ROW_COLUMNS = (0.15, 0.25, 0.25, 0.08, 0.09, 0.18)


def write_pdf(
    path: Path,
    board: Dashboard,
    records: Sequence[ActionRecord],
    *,
    filter_text: str = "",
    produced_at: datetime | None = None,
    who: str | None = None,
) -> None:
    """The report: header, figures and charts, their text equivalent, then the cancels."""
    from fpsdesk.ui.outcome_text import outcome_text
    from fpsdesk.ui.widgets import format_time

    moment = produced_at or datetime.now().astimezone()
    pages = _Pages(path)
    painter = pages.painter
    try:
        heading = charts.title_font(pages.base, 1.8)
        bold = charts.title_font(pages.base, 1.0)
        pages.text(_tr("Cancellation results"), heading)
        pages.text(_tr("Environment: {env}").format(env=environment_text(board)), bold)
        pages.text(_tr("Period: {period}").format(period=period_text(board)), bold)
        pages.text(
            _tr("Produced by {who} at {when} with fpsdesk").format(
                who=who or produced_by(), when=stamp(moment)
            )
        )
        if filter_text:
            pages.text(_tr("Filtered to: {what}").format(what=filter_text))
        pages.y += 10
        colors = ChartColors.light()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        height = min(pages.box.height() - pages.y, 760.0)
        pages.y = paint_dashboard(
            painter, QRectF(0, pages.y, pages.box.width(), height), board, colors, pages.base
        )
        pages.new_page()
        pages.text(_tr("The charts' figures"), charts.title_font(pages.base, 1.3))
        widths = (0.3, 0.1, 0.15, 0.15, 0.15, 0.15)
        looks = charts.group_looks()
        pages.row([_tr("Bar"), _tr("Total"), *(looks[g].label for g in GROUPS)], widths, bold)
        pages.text(_tr("Cancels over time, by outcome"), bold)
        for bucket in board.buckets:
            if bucket.total:
                _figure_row(pages, bucket.key, bucket, widths)
        for dimension in DIMENSIONS:
            pages.y += 4
            pages.text(charts.dimension_title(dimension), bold)
            for slice_ in board.breakdowns[dimension]:
                _figure_row(pages, charts.slice_label(slice_), slice_, widths)
        pages.new_page(landscape=True)
        total = sum(s.total for s in board.buckets) if not filter_text else len(records)
        listed = min(len(records), MAX_ROWS)
        pages.text(_tr("The cancels"), charts.title_font(pages.base, 1.3))
        if total > listed:
            pages.text(_tr("The newest {n:,} of {total:,}.").format(n=listed, total=total))
        headers = [
            _tr("When"),
            _tr("Transaction"),
            _tr("Outcome"),
            _tr("Who"),
            _tr("Environment"),
            _tr("Reason"),
        ]
        pages.row(headers, ROW_COLUMNS, bold)
        small = QFont(pages.base)
        small.setPointSizeF(7.5)
        for record in records[:MAX_ROWS]:
            pages.row(
                [
                    format_time(record.created_at),
                    record.transaction_id,
                    outcome_text(record),
                    record.operator,
                    record.environment,
                    shown_reason(record.reason_code, record.reason) or "",
                ],
                ROW_COLUMNS,
                small,
            )
        if not records:
            pages.text(_tr("No cancels in this period."))
    finally:
        painter.end()


def _figure_row(pages: _Pages, name: str, slice_: Slice, widths: Sequence[float]) -> None:
    pages.row([name, f"{slice_.total:,}", *(f"{slice_.counts[g]:,}" for g in GROUPS)], widths)


def suggested_name(board: Dashboard, extension: str) -> str:
    period = board.period
    env = (board.environment or "all").lower().replace(" ", "-")
    return f"fpsdesk-results-{env}-{period.first_day}-{period.last_day}.{extension}"


def save_pdf_dialog(
    parent: QWidget, board: Dashboard, records: Sequence[ActionRecord], filter_text: str
) -> Path | None:
    from fpsdesk.ui import dialogs

    return dialogs.export_report(
        parent,
        suggested_name(board, "pdf"),
        _tr("PDF files (*.pdf)"),
        lambda path: write_pdf(path, board, records, filter_text=filter_text),
        "results report",
    )


def save_png_dialog(parent: QWidget, board: Dashboard) -> Path | None:
    from fpsdesk.ui import dialogs, theme

    return dialogs.export_report(
        parent,
        suggested_name(board, "png"),
        _tr("PNG images (*.png)"),
        lambda path: write_png(path, board, dark=theme.is_dark()),
        "results charts",
    )
