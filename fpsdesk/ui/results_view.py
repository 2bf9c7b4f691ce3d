"""The Results view: recent cancellations and their outcomes, filterable and exportable.

It reads the durable action store, so it shows what really happened, including actions whose
outcome is still being reconciled, and survives restarts.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Signal
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

from fpsdesk.store.actions import ActionOutcome, ActionRecord, ActionStore
from fpsdesk.ui import dialogs, theme
from fpsdesk.ui.transaction_view import TableOrEmpty, _item, make_table
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
    "reason",
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
                    r.reason or "",
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
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
        self.outcome.currentIndexChanged.connect(self.reload)
        self.search.textChanged.connect(self.reload)
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
        if self._dirty:
            self.reload()
        super().showEvent(event)

    def reload(self) -> None:
        self._dirty = False
        value = self.outcome.currentData()
        self.records = self._actions.recent(
            limit=1000,
            outcome=ActionOutcome(value) if value else None,
            search=self.search.text().strip() or None,
            kind="Cancel",
        )
        table = self.table
        table.setUpdatesEnabled(False)
        table.setRowCount(0)
        for r in self.records:
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, _item(format_time(r.created_at)))
            table.setItem(row, 1, _item(r.transaction_id, mono=True))
            look = theme.outcome_look(r.outcome.value)
            table.setItem(row, 2, status_item(look, outcome_text(r)))
            table.setItem(row, 3, _item(r.operator))
            table.setItem(row, 4, _item(r.environment))
            table.setItem(row, 5, _item(r.reason))
            table.setItem(row, 6, _item(r.request_id, mono=True))
        table.setUpdatesEnabled(True)
        self.count.setText(self.tr("{n} shown").format(n=len(self.records)))
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


def outcome_text(record: ActionRecord) -> str:
    """The state as docs/ui.md names it: unknown until HH:MM, not cancelled, corrected."""
    from fpsdesk.desk.settle import deadline_of
    from fpsdesk.ui.timeline import local_hm

    look = theme.outcome_look(record.outcome.value)
    text = look.label
    if record.outcome == ActionOutcome.UNKNOWN:
        text = QCoreApplication.translate(
            "results", "{label}, may still take effect until {time}"
        ).format(label=look.label, time=local_hm(deadline_of(record)))
    elif record.error_code:
        text = f"{look.label}: {record.error_code}"
    elif record.status_after and record.outcome != ActionOutcome.SUCCEEDED:
        text = f"{look.label} ({theme.status_look(record.status_after).label})"
    if record.corrected_from is not None:
        was = theme.outcome_look(record.corrected_from.value).label
        text += QCoreApplication.translate("results", " · corrected (was {was})").format(was=was)
    return text
