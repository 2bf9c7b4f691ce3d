"""The Results view: the dashboard over a period, and the cancellations behind it.

It reads the durable action store, so it shows what really happened, including actions whose
outcome is still being reconciled, and survives restarts. The dashboard (fpsdesk/ui/dashboard.py)
is built the first time the view is shown; from then on the table lists the cancels of its
period and environment, narrowed to the bar or segment clicked.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.records.reasons import shown_reason
from fpsdesk.store.actions import ActionOutcome, ActionRecord, ActionStore
from fpsdesk.ui import dialogs, theme
from fpsdesk.ui.history_tables import TableOrEmpty, make_table, text_item
from fpsdesk.ui.outcome_text import outcome_text
from fpsdesk.ui.widgets import EmptyState, accessible, format_time, status_item

log = logging.getLogger(__name__)

CSV_COLUMNS = [
    "created_at",
    "finished_at",
    "operator",
    "environment",
    "endpoint",
    "kind",
    "transaction_id",
    "reason_code",
    "reason",
    "amount",
    "currency",
    "outcome",
    "status_before",
    "status_after",
    "request_id",
    "error_code",
    "error_message",
    "reconciled_at",
]


def write_csv(path: Path, records: list[ActionRecord]) -> None:
    """UTF-8 CSV with a header; ISO times in UTC so spreadsheets sort them right."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in records:
            writer.writerow(
                [
                    r.created_at.isoformat(),
                    r.finished_at.isoformat() if r.finished_at else "",
                    r.operator,
                    r.environment,
                    r.endpoint,
                    r.kind,
                    r.transaction_id,
                    r.reason_code or "",
                    r.reason or "",
                    r.amount or "",
                    r.currency or "",
                    r.outcome.value,
                    r.status_before or "",
                    r.status_after or "",
                    r.request_id or "",
                    r.error_code or "",
                    r.error_message or "",
                    r.reconciled_at.isoformat() if r.reconciled_at else "",
                ]
            )


class ResultsView(QWidget):
    open_transaction = Signal(str)

    def __init__(self, actions: ActionStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        self.records: list[ActionRecord] = []
        self.dashboard: Any = None  # DashboardView, built on first show
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._layout = layout
        bar = QHBoxLayout()
        self.outcome = QComboBox()
        self.outcome.setAccessibleName(self.tr("Filter by outcome"))
        self.outcome.setAccessibleDescription(self.tr("Only cancels with this outcome"))
        self.outcome.addItem(self.tr("All outcomes"), None)
        for outcome in (
            ActionOutcome.SUCCEEDED,
            ActionOutcome.FAILED,
            ActionOutcome.UNKNOWN,
            ActionOutcome.PENDING,
        ):
            look = theme.outcome_look(outcome.value)
            self.outcome.addItem(theme.look_icon(look), look.label, outcome.value)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search by transaction ID"))
        self.search.setClearButtonEnabled(True)
        accessible(
            self.search,
            self.tr("Only cancels of transactions whose ID contains this"),
            self.tr("Search by transaction ID"),
        )
        self.export_button = QPushButton(self.tr("Export CSV…"))
        self.export_button.setAccessibleDescription(
            self.tr("Saves the cancellations shown to a CSV file")
        )
        self.count = QLabel()
        bar.addWidget(QLabel(self.tr("Show:")))
        bar.addWidget(self.outcome)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count)
        bar.addWidget(self.export_button)
        layout.addLayout(bar)
        self.table = make_table(
            [
                self.tr("When"),
                self.tr("Transaction"),
                self.tr("Outcome"),
                self.tr("Who"),
                self.tr("Environment"),
                self.tr("Reason"),
                self.tr("RequestId"),
            ]
        )
        self.empty = EmptyState("", "")
        self.clear_filters_button = self.empty.add_action(self.tr("Clear filters"))
        self.clear_filters_button.setAccessibleDescription(
            self.tr("Shows every outcome and empties the search")
        )
        self.body = TableOrEmpty(self.table, self.empty)
        layout.addWidget(self.body, 1)
        self.outcome.currentIndexChanged.connect(self._reload_table)
        self.search.textChanged.connect(self._reload_table)
        self.export_button.clicked.connect(self.export)
        self.clear_filters_button.clicked.connect(self.clear_filters)
        accessible(
            self.table,
            self.tr("Cancels sent from fpsdesk, newest first; double-click one to open it"),
            self.tr("Cancellations"),
        )
        self.table.cellDoubleClicked.connect(self._open_row)
        self._dirty = True

    def mark_dirty(self) -> None:
        """New actions were recorded: reload now if shown, else when next shown."""
        self._dirty = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        if self.dashboard is None:
            self.build_dashboard()
        elif self._dirty:
            self.reload()
        super().showEvent(event)

    def build_dashboard(self) -> Any:
        """The dashboard above the table: built (and its modules imported) on first use."""
        if self.dashboard is None:
            from fpsdesk.ui.dashboard import DashboardView

            view = DashboardView(self._actions.report(), database=self._actions.database_file())
            self._layout.insertWidget(0, view)
            view.show()  # a child added to a shown widget stays hidden until told
            self.dashboard = view
            view.figures_changed.connect(self._reload_table)
            view.selection_changed.connect(self._reload_table)
            view.export_pdf.connect(self.export_pdf)
            view.export_png.connect(self.export_png)
            self._dirty = True
            self.reload()
        return self.dashboard

    def reload(self) -> None:
        """Read the history again: the dashboard's figures (if built) and the table."""
        from fpsdesk.store.db import database_errors

        self._dirty = False
        try:
            if self.dashboard is not None:
                self.dashboard.refresh(environments=True)  # reloads the table when done
                return
            self._reload_table()
        except database_errors() as exc:  # a shared history offline: keep what is shown
            log.info("could not read the results: %s", exc)
            self._dirty = True

    def _reload_table(self) -> None:
        value = self.outcome.currentData()
        search = self.search.text().strip() or None
        if self.dashboard is not None and self.dashboard.board is not None:
            board = self.dashboard.board
            self.records = self._actions.report().rows(
                board.period,
                board.environment,
                self.dashboard.selection,
                outcome=value or None,
                search=search,
                limit=1000,
            )
        else:
            self.records = self._actions.recent(
                limit=1000,
                outcome=ActionOutcome(value) if value else None,
                search=search,
                kind="Cancel",
            )
        table = self.table
        table.setUpdatesEnabled(False)
        table.setRowCount(0)
        for r in self.records:
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, text_item(format_time(r.created_at)))
            table.setItem(row, 1, text_item(r.transaction_id, mono=True))
            look = theme.outcome_look(r.outcome.value)
            table.setItem(row, 2, status_item(look, outcome_text(r)))
            table.setItem(row, 3, text_item(r.operator))
            table.setItem(row, 4, text_item(r.environment))
            table.setItem(row, 5, text_item(shown_reason(r.reason_code, r.reason)))
            table.setItem(row, 6, text_item(r.request_id, mono=True))
        table.setUpdatesEnabled(True)
        shown = len(self.records)
        total = shown
        narrowed = bool(self.outcome.currentData() or self.search.text().strip())
        board_shown = self.dashboard is not None and self.dashboard.board is not None
        if shown >= 1000 and board_shown and not narrowed:
            board = self.dashboard.board
            total = self._actions.report().count(
                board.period, board.environment, self.dashboard.selection
            )
        if total > shown:
            self.count.setText(
                self.tr("newest {n} of {total}").format(n=f"{shown:,}", total=f"{total:,}")
            )
        else:
            self.count.setText(self.tr("{n} shown").format(n=f"{shown:,}"))
        self.export_button.setEnabled(bool(self.records))
        self._explain_empty()
        self.body.refresh()

    def _filtered(self) -> bool:
        return self.outcome.currentIndex() > 0 or bool(self.search.text().strip())

    def _explain_empty(self) -> None:
        """No rows: because nothing was ever cancelled, or because nothing matches?"""
        filtered = self._filtered()
        if filtered:
            self.empty.title.setText(self.tr("No cancellations match"))
            self.empty.body.setText(
                self.tr("No cancel recorded here matches this outcome and search.")
            )
        elif self.dashboard is not None and self._actions.report().environments():
            self.empty.title.setText(self.tr("No cancellations in this period"))
            self.empty.body.setText(self.tr("Choose a longer period or another environment above."))
        else:
            self.empty.title.setText(self.tr("No cancellations yet"))
            self.empty.body.setText(
                self.tr("Cancels sent from fpsdesk appear here with their outcome.")
            )
        self.clear_filters_button.setVisible(filtered)

    def clear_filters(self) -> None:
        """Every outcome and no search, with one reload."""
        for widget in (self.outcome, self.search):
            widget.blockSignals(True)
        self.outcome.setCurrentIndex(0)
        self.search.clear()
        for widget in (self.outcome, self.search):
            widget.blockSignals(False)
        self.reload()

    def _open_row(self, row: int, _column: int) -> None:
        if 0 <= row < len(self.records):
            self.open_transaction.emit(self.records[row].transaction_id)

    def export(self) -> None:
        records = list(self.records)

        def write(path: Path) -> int:
            write_csv(path, records)
            return len(records)

        dialogs.export_csv(self, "fpsdesk-cancellations.csv", write, "actions")

    def export_pdf(self) -> None:
        """The period's dashboard and table as a PDF report (Qt's own PDF writer)."""
        from fpsdesk.ui import report_pdf

        dashboard = self.build_dashboard()
        board = dashboard.board
        if board is None:
            return
        records = self._actions.report().rows(
            board.period, board.environment, dashboard.selection, limit=report_pdf.MAX_ROWS
        )
        report_pdf.save_pdf_dialog(self, board, records, dashboard.describe_selection())

    def export_png(self) -> None:
        from fpsdesk.ui import report_pdf

        dashboard = self.build_dashboard()
        if dashboard.board is not None:
            report_pdf.save_png_dialog(self, dashboard.board)
