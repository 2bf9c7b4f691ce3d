"""The results dashboard: what was cancelled, what failed, what is unresolved, and why.

Built the first time the Results tab is shown (the module is imported then, not at start-up).
The figures come from fpsdesk/store/report.py (SQL over the history); this module only shows
them, in headline tiles (dashboard_tiles.py) and painted charts (dashboard_charts.py), and
reads the other periods ahead. A click on a bar or a segment becomes a ``Selection`` the
Results table below filters by, shown above the table until cleared. Every chart has a text
equivalent: a tooltip per bar, an accessible description, and a table of the same figures
(the Table button).
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.store.db import open_database
from fpsdesk.store.report import (
    AGENT,
    DIMENSIONS,
    ERROR_CODE,
    GROUPS,
    REASON,
    STATUS_BEFORE,
    ActionReport,
    Dashboard,
    Period,
    ReportCache,
    Selection,
    Slice,
)
from fpsdesk.ui import charts
from fpsdesk.ui.dashboard_charts import Chart, ColumnsChart, RowsChart
from fpsdesk.ui.dashboard_tiles import Figure, money, rate_text

log = logging.getLogger(__name__)

PERIODS = (("today", 1), ("7", 7), ("30", 30), ("365", 365), ("custom", 0))
ALL_ENVIRONMENTS = ""


class DashboardView(QWidget):
    """Period and environment controls, headline figures, the charts and their table."""

    selection_changed = Signal()  # the table below shows what ``selection`` picks
    figures_changed = Signal()  # a new period, environment or history: the table reloads
    export_pdf = Signal()
    export_png = Signal()

    def __init__(
        self,
        report: ActionReport,
        parent: QWidget | None = None,
        database: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self._report = report
        if report.cache is None:
            report.cache = ReportCache()
        self._database = database  # where a reader thread computes the other periods ahead
        self._ahead: threading.Thread | None = None
        self.board: Dashboard | None = None
        self.selection = Selection()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)

        layout.addLayout(self._build_controls())
        layout.addLayout(self._build_figures())
        layout.addLayout(self._build_charts())
        self.table = self._build_table()
        layout.addWidget(self.table, 1)
        layout.addLayout(self._build_filter_row())

        self.period.currentIndexChanged.connect(self._period_changed)
        self.first.dateChanged.connect(self._custom_changed)
        self.last.dateChanged.connect(self._custom_changed)
        self.environment.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table_button.toggled.connect(self._show_table)
        self.clear_button.clicked.connect(self.clear_selection)
        self.pdf_button.clicked.connect(self.export_pdf)
        self.png_button.clicked.connect(self.export_png)
        self.columns.picked.connect(lambda i, g: self._pick(self.columns, i, g))
        for chart in self.breakdowns.values():
            chart.picked.connect(lambda i, g, c=chart: self._pick(c, i, g))
        self._update_custom_visibility()
        self._fill_environments()
        self._update_filter()

    def _build_controls(self) -> QHBoxLayout:
        """The period (a custom one with its dates), the environment, Table, PDF and PNG."""
        bar = QHBoxLayout()
        self.period = QComboBox()
        self.period.setAccessibleName(self.tr("Period"))
        self.period.setAccessibleDescription(
            self.tr("The days the dashboard and the table below cover")
        )
        for key, label in zip(
            (p[0] for p in PERIODS),
            (
                self.tr("Today"),
                self.tr("Last 7 days"),
                self.tr("Last 30 days"),
                self.tr("Last 12 months"),
                self.tr("Custom…"),
            ),
            strict=True,
        ):
            self.period.addItem(label, key)
        self.period.setCurrentIndex(1)
        today = QDate.currentDate()
        self.first = QDateEdit(today.addDays(-6))
        self.last = QDateEdit(today)
        for edit, name in ((self.first, self.tr("From")), (self.last, self.tr("To"))):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
            edit.setAccessibleDescription(self.tr("A local date of the custom period"))
        self.environment = QComboBox()
        self.environment.setAccessibleName(self.tr("Environment"))
        self.environment.setAccessibleDescription(
            self.tr("Only the cancels sent to this FPS environment, or all of them")
        )
        self.table_button = QPushButton(self.tr("Table"))
        self.table_button.setCheckable(True)
        self.table_button.setToolTip(self.tr("Show the charts' figures as a table"))
        self.pdf_button = QPushButton(self.tr("Report PDF…"))
        self.pdf_button.setToolTip(
            self.tr("Save this period's figures, charts and cancels as a PDF report")
        )
        self.png_button = QPushButton(self.tr("Charts PNG…"))
        self.png_button.setToolTip(self.tr("Save the charts as a PNG image"))
        bar.addWidget(QLabel(self.tr("Period:")))
        bar.addWidget(self.period)
        self.range_label = QLabel(self.tr("from"))
        bar.addWidget(self.range_label)
        bar.addWidget(self.first)
        self.to_label = QLabel(self.tr("to"))
        bar.addWidget(self.to_label)
        bar.addWidget(self.last)
        bar.addWidget(QLabel(self.tr("Environment:")))
        bar.addWidget(self.environment)
        bar.addStretch(1)
        bar.addWidget(self.table_button)
        bar.addWidget(self.pdf_button)
        bar.addWidget(self.png_button)
        return bar

    def _build_figures(self) -> QHBoxLayout:
        """The headline tiles: cancels, amount released, success rate, unresolved."""
        figures = QHBoxLayout()
        self.count_figure = Figure(self.tr("Cancels"))
        self.released_figure = Figure(self.tr("Amount released"))
        self.rate_figure = Figure(self.tr("Success rate"))
        self.unresolved_figure = Figure(self.tr("Unresolved"))
        for figure in (
            self.count_figure,
            self.released_figure,
            self.rate_figure,
            self.unresolved_figure,
        ):
            figures.addWidget(figure)
        figures.addStretch(1)
        return figures

    def _build_charts(self) -> QHBoxLayout:
        """Cancels over time beside the four breakdowns."""
        self.columns = ColumnsChart(self.tr("Cancels over time, by outcome"))
        self.breakdowns: dict[str, RowsChart] = {
            dimension: RowsChart(charts.dimension_title(dimension)) for dimension in DIMENSIONS
        }
        charts_row = QHBoxLayout()
        charts_row.addWidget(self.columns, 3)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        for index, dimension in enumerate((AGENT, REASON, STATUS_BEFORE, ERROR_CODE)):
            grid.addWidget(self.breakdowns[dimension], index // 2, index % 2)
        grid.setRowStretch(2, 1)
        charts_row.addLayout(grid, 4)
        self.charts_row = charts_row
        return charts_row

    def _build_table(self) -> QTableWidget:
        """The charts' figures as a table (the Table button shows it instead)."""
        table = QTableWidget(0, 3 + len(GROUPS))
        table.setAccessibleName(self.tr("The dashboard's figures"))
        table.setAccessibleDescription(
            self.tr("Every bar of the charts with its count per outcome")
        )
        table.setHorizontalHeaderLabels(
            [self.tr("Chart"), self.tr("Bar"), self.tr("Total")]
            + [charts.group_looks()[g].label for g in GROUPS]
        )
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setStretchLastSection(True)
        table.setWordWrap(False)
        table.hide()
        return table

    def _build_filter_row(self) -> QHBoxLayout:
        """What the table below is filtered to, and the button that clears it."""
        filter_row = QHBoxLayout()
        self.filter_label = QLabel()
        self.filter_label.setTextFormat(Qt.TextFormat.PlainText)
        self.clear_button = QPushButton(self.tr("Clear filter"))
        self.clear_button.setAccessibleName(self.tr("Clear the dashboard filter"))
        self.clear_button.setToolTip(self.tr("Show every cancel of the period again"))
        filter_row.addWidget(self.filter_label, 1)
        filter_row.addWidget(self.clear_button)
        return filter_row

    # -- period and environment ------------------------------------------------------------

    def current_period(self) -> Period:
        key = self.period.currentData()
        if key == "custom":
            first, last = self.first.date().toPython(), self.last.date().toPython()
            assert isinstance(first, date)
            assert isinstance(last, date)
            if last < first:
                first, last = last, first
            return Period.days(first, last)
        count = dict(PERIODS)[key]
        return Period.last_days(count)

    def current_environment(self) -> str | None:
        value = self.environment.currentData()
        return value or None

    def set_period(self, key: str, first: date | None = None, last: date | None = None) -> None:
        """Choose a period by key (``today``, ``7``, ``30``, ``365``, ``custom``)."""
        if first is not None and last is not None:
            self.first.blockSignals(True)
            self.last.blockSignals(True)
            self.first.setDate(QDate(first.year, first.month, first.day))
            self.last.setDate(QDate(last.year, last.month, last.day))
            self.first.blockSignals(False)
            self.last.blockSignals(False)
        index = self.period.findData(key)
        if index == self.period.currentIndex():
            self.refresh()
        else:
            self.period.setCurrentIndex(index)

    def set_environment(self, environment: str | None) -> None:
        index = self.environment.findData(environment or ALL_ENVIRONMENTS)
        if index >= 0:
            self.environment.setCurrentIndex(index)

    def _fill_environments(self) -> None:
        current = self.environment.currentData()
        self.environment.blockSignals(True)
        self.environment.clear()
        self.environment.addItem(self.tr("All environments"), ALL_ENVIRONMENTS)
        for name in self._report.environments():
            self.environment.addItem(name, name)
        index = self.environment.findData(current) if current else 0
        self.environment.setCurrentIndex(max(0, index))
        self.environment.blockSignals(False)

    def _update_custom_visibility(self) -> None:
        custom = self.period.currentData() == "custom"
        for widget in (self.range_label, self.first, self.to_label, self.last):
            widget.setVisible(custom)

    def _period_changed(self, _index: int) -> None:
        self._update_custom_visibility()
        self.refresh()

    def _custom_changed(self, _date: QDate) -> None:
        if self.period.currentData() == "custom":
            self.refresh()

    # -- figures ------------------------------------------------------------------------

    def refresh(self, *, environments: bool = False) -> None:
        """Read the figures for the period and environment again (a new period clears the
        filter, a refresh of the same one keeps it)."""
        if environments:
            self._fill_environments()
        period, environment = self.current_period(), self.current_environment()
        previous = self.board
        self.board = self._report.dashboard(period, environment)
        same = previous is not None and (
            previous.period == period and previous.environment == environment
        )
        if not same:
            self.selection = Selection()
        self._show(self.board)
        self._update_filter()
        self.figures_changed.emit()
        self._read_ahead(environment)

    def _read_ahead(self, environment: str | None) -> None:
        """Compute the other preset periods on a reader thread (its own connection), so a
        switch to one is a cache lookup. Nothing here touches a widget."""
        if self._database is None or (self._ahead is not None and self._ahead.is_alive()):
            return
        cache = self._report.cache
        database = self._database
        periods = [Period.last_days(count) for key, count in PERIODS if count]

        def work() -> None:
            try:
                conn = open_database(database)
            except Exception:
                log.debug("reading ahead: cannot open the history", exc_info=True)
                return
            try:
                ahead = ActionReport(conn, cache=cache)
                for period in periods:
                    ahead.dashboard(period, environment)
            except Exception:
                log.debug("reading ahead failed", exc_info=True)
            finally:
                conn.close()

        self._ahead = threading.Thread(target=work, name="fpsdesk-dashboard-ahead", daemon=True)
        self._ahead.start()

    def _show(self, board: Dashboard) -> None:
        self.count_figure.set(f"{board.total:,}", f"{board.total:,}")
        released = money(board.released)
        if board.released_unknown:
            released_note = self.tr("{n} without a recorded amount").format(
                n=board.released_unknown
            )
            self.released_figure.setToolTip(released_note)
            self.released_figure.set(released, f"{released}; {released_note}")
        else:
            self.released_figure.setToolTip("")
            self.released_figure.set(released, released)
        rate = rate_text(board.success_rate)
        self.rate_figure.setToolTip(
            self.tr("Cancels that took effect, among those whose outcome is known")
        )
        self.rate_figure.set(rate, rate)
        if board.unresolved:
            text = (
                self.tr("⚠ 1 needs attention")
                if board.unresolved == 1
                else self.tr("⚠ {n} need attention").format(n=f"{board.unresolved:,}")
            )
        else:
            text = self.tr("None")
        self.unresolved_figure.set(text, text)
        self.unresolved_figure.set_alert(board.unresolved > 0)
        self.columns.set_slices(board.buckets, board.period.unit)
        for dimension, chart in self.breakdowns.items():
            chart.set_slices(board.breakdowns[dimension])
        self._fill_table(board)

    def _fill_table(self, board: Dashboard) -> None:
        rows: list[tuple[str, str, Slice]] = [
            (self.columns.title, b.key, b) for b in board.buckets if b.total
        ]
        for dimension in DIMENSIONS:
            title = charts.dimension_title(dimension)
            rows.extend((title, charts.slice_label(s), s) for s in board.breakdowns[dimension])
        table = self.table
        table.setUpdatesEnabled(False)
        table.setRowCount(len(rows))
        for row, (title, name, slice_) in enumerate(rows):
            values = [title, name, f"{slice_.total:,}"] + [f"{slice_.counts[g]:,}" for g in GROUPS]
            for column, value in enumerate(values):
                table.setItem(row, column, QTableWidgetItem(value))
        if table.isVisible():  # sized when shown: nobody waits for a hidden table
            self._fit_table()
        table.setUpdatesEnabled(True)

    def _fit_table(self) -> None:
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()

    def _show_table(self, on: bool) -> None:
        self.table.setVisible(on)
        if on:
            self._fit_table()
        self.columns.setVisible(not on)
        for chart in self.breakdowns.values():
            chart.setVisible(not on)

    # -- selection -------------------------------------------------------------------------

    def _pick(self, chart: Chart, index: int, group: str | None) -> None:
        if not 0 <= index < len(chart.slices):
            return
        selection = Selection.of(chart.slices[index], group)
        if selection == self.selection:  # a second click on the same bar clears it
            self.clear_selection()
            return
        for other in (self.columns, *self.breakdowns.values()):
            other.selected = (index, group) if other is chart else None
            other.update()
        self.selection = selection
        self._update_filter()
        self.selection_changed.emit()

    def clear_selection(self) -> None:
        for chart in (self.columns, *self.breakdowns.values()):
            chart.selected = None
            chart.update()
        self.selection = Selection()
        self._update_filter()
        self.selection_changed.emit()

    def describe_selection(self) -> str:
        """The filter in words, e.g. ``Dec 5 · Not cancelled`` or ``By agent: ana``."""
        selection = self.selection
        parts: list[str] = []
        if selection.bucket is not None and self.board is not None:
            parts.append(charts.bucket_label(selection.bucket, self.board.period.unit))
        if selection.dimension is not None:
            slice_ = Slice(selection.dimension, selection.key or "", {})
            parts.append(
                f"{charts.dimension_title(selection.dimension)}: {charts.slice_label(slice_)}"
            )
        if selection.group is not None:
            parts.append(charts.group_looks()[selection.group].label)
        return " · ".join(parts)

    def _update_filter(self) -> None:
        board = self.board
        where = ""
        if board is not None:
            env = self.environment.currentText()
            where = f"{board.period.label}, {env}"
        if self.selection.empty:
            self.filter_label.setText(
                self.tr("The table shows every cancel in the period ({where}).").format(where=where)
            )
            self.clear_button.hide()
        else:
            self.filter_label.setText(
                self.tr("Filtered to {what} ({where}).").format(
                    what=self.describe_selection(), where=where
                )
            )
            self.clear_button.show()
