"""The Notifications view: every stored IPN, filterable, with its raw parameters and CSV export.

The filter bar (notifications_filters.py) above, the lazily paged table
(notifications_table.py) on the left, the selected IPN's detail (notifications_detail.py)
beside it; a count below, and an explanation instead of the table when nothing is stored or
nothing matches.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.store.ipns import IpnFilter, IpnStore
from fpsdesk.ui import dialogs
from fpsdesk.ui.notifications_detail import IpnDetailPane
from fpsdesk.ui.notifications_filters import IpnFilterBar
from fpsdesk.ui.notifications_table import IpnTableModel, ModelIndex, column_widths
from fpsdesk.ui.widgets import EmptyState, accessible

CSV_COLUMNS = [
    "event_at",
    "transaction_id",
    "notification_type",
    "transaction_status",
    "status_code",
    "operation",
    "currency",
    "amount",
    "verdict",
    "reason",
    "delivery_count",
    "received_at",
    "last_received_at",
    "source",
    "endpoint_url",
    "raw_parameters",
]


def write_csv(path: Path, records: Any) -> int:
    """All matching IPNs, with the raw parameters as one query string (verbatim, in order)."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in records:
            writer.writerow(
                [
                    r.event_at.isoformat(),
                    r.transaction_id or "",
                    r.notification_type,
                    r.transaction_status.value if r.transaction_status else "",
                    r.status_code or "",
                    r.operation or "",
                    r.amount.currency if r.amount else "",
                    str(r.amount.value) if r.amount else "",
                    r.verdict.value,
                    r.reason or "",
                    r.delivery_count,
                    r.received_at.isoformat(),
                    r.last_received_at.isoformat(),
                    r.source,
                    r.endpoint_url or "",
                    urlencode(list(r.params)),
                ]
            )
            count += 1
    return count


class NotificationsView(QWidget):
    """Filters on top, the lazy table on the left, the selected IPN's raw parameters beside."""

    open_transaction = Signal(str)

    def __init__(self, store: IpnStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._dirty = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter_bar = IpnFilterBar()
        layout.addWidget(self.filter_bar)
        self.model = IpnTableModel(store, self)
        self.table = self._build_table()
        self.detail = IpnDetailPane()
        layout.addWidget(self._build_body(), 1)
        self.count = QLabel()
        layout.addWidget(self.count)

        # The filters and the detail's parts, where the window and the tests reach them.
        bar, detail = self.filter_bar, self.detail
        self.use_from, self.date_from = bar.use_from, bar.date_from
        self.use_to, self.date_to = bar.use_to, bar.date_to
        self.status, self.operation, self.verdict = bar.status, bar.operation, bar.verdict
        self.environment, self.transaction = bar.environment, bar.transaction
        self.export_button = bar.export_button
        self.detail_title, self.detail_hint = detail.title, detail.hint
        self.detail_verdict, self.detail_source = detail.verdict, detail.source
        self.raw, self.open_button = detail.raw, detail.open_button

        bar.changed.connect(self.apply_filters)
        self.export_button.clicked.connect(self.export)
        self.table.selectionModel().currentRowChanged.connect(self._show_record)
        self.open_button.clicked.connect(self._open_selected)
        self.clear_filters_button.clicked.connect(self.clear_filters)
        bar.fill_operations(store)
        self._update_count()
        self._show_record(QModelIndex())

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setTabKeyNavigation(False)  # one Tab stop; arrows move inside
        table.setModel(self.model)
        accessible(
            table,
            self.tr("Every stored notification, newest first; select one to see its details"),
            self.tr("Notifications"),
        )
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(24)
        header = table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        # Widths from the fonts and a widest sample (sizing to contents would read every row and
        # defeat lazy fetching): an ID or an amount never shows cut short, at any text size.
        for column, width in enumerate(column_widths(self.model, table, self.style())):
            header.resizeSection(column, width)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        # Amount next to the ID, where it stays in view in a narrow window (display order only).
        header.moveSection(header.visualIndex(4), 2)
        return table

    def _build_body(self) -> QStackedWidget:
        """The table beside the detail, or an explanation when there are no rows."""
        # The selected notification's facts scroll inside their pane (an ID is never cut and
        # never widens the pane over the table's columns).
        detail_scroll = QScrollArea()
        detail_scroll.setWidget(self.detail)
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setFrameShape(QFrame.Shape.NoFrame)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(detail_scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([820, 360])
        # No rows: say why (nothing stored yet, or nothing matches the filters) instead of a
        # blank table beside a pane of empty labels.
        self.empty = EmptyState("", "")
        self.clear_filters_button = self.empty.add_action(self.tr("Clear filters"))
        self.clear_filters_button.setAccessibleDescription(
            self.tr("Shows every notification again")
        )
        self.body = QStackedWidget()
        self.body.addWidget(split)
        self.body.addWidget(self.empty)
        return self.body

    # -- filters -----------------------------------------------------------------------------

    def current_filters(self) -> IpnFilter:
        return self.filter_bar.current_filters()

    def clear_filters(self) -> None:
        """Back to every notification, with one reload."""
        self.filter_bar.clear()
        self.apply_filters()

    def apply_filters(self) -> None:
        self.model.set_filters(self.current_filters())
        self._update_count()
        self._show_record(QModelIndex())

    def _update_count(self) -> None:
        total, cap = self.model.total, self.model.count_cap
        shown = f"{cap:,}+" if total > cap else f"{total:,}"
        self.count.setText(self.tr("{n} notification(s)", "", total).format(n=shown))
        self.export_button.setEnabled(self.model.total > 0)
        self._update_empty()

    def _update_empty(self) -> None:
        if self.model.total:
            self.body.setCurrentIndex(0)
            return
        filtered = self.current_filters() != IpnFilter()
        if filtered:
            self.empty.title.setText(self.tr("No notifications match these filters"))
            self.empty.body.setText(
                self.tr("Other notifications are stored. Clear the filters to see them all.")
            )
        else:
            self.empty.title.setText(self.tr("No notifications yet"))
            self.empty.body.setText(
                self.tr(
                    "IPNs that FPS sends to fpsdesk, or that are imported with "
                    '"fpsdesk ipn import", appear here with their signature verdict.'
                )
            )
        self.clear_filters_button.setVisible(filtered)
        self.body.setCurrentIndex(1)

    # -- live updates ------------------------------------------------------------------------

    def on_ipns_arrived(self) -> None:
        """New IPNs were stored: refresh now if shown, else when next shown."""
        if self.isVisible():
            self.refresh()
        else:
            self._dirty = True

    def refresh(self) -> None:
        self._dirty = False
        self.filter_bar.fill_operations(self._store)
        self.model.reload()
        self._update_count()

    def showEvent(self, event: QShowEvent) -> None:
        if self._dirty:
            self.refresh()
        super().showEvent(event)

    def shutdown(self) -> None:
        """Nothing runs in the background here; kept for the window's orderly close."""

    # -- detail ------------------------------------------------------------------------------

    def _show_record(self, index: ModelIndex, _previous: Any = None) -> None:
        self.detail.show_record(self.model.record(index.row()) if index.isValid() else None)

    def _open_selected(self) -> None:
        record = self.model.record(self.table.currentIndex().row())
        if record is not None and record.transaction_id:
            self.open_transaction.emit(record.transaction_id)

    # -- export ------------------------------------------------------------------------------

    def export(self) -> None:
        filters = self.model.filters

        def write(path: Path) -> int:
            return write_csv(path, self._store.iter_all(filters, newest_first=True))

        dialogs.export_csv(self, "fpsdesk-notifications.csv", write, "IPNs")
