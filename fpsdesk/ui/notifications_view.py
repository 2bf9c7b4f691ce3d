"""The Notifications view: every stored IPN, filterable, with its raw parameters and CSV export.

The table is a QAbstractTableModel that fetches lazily: it knows the row count from one indexed
COUNT that stops at ``COUNT_CAP`` (beyond it the view says "100,000+ notifications"), loads a
page of 200 records by key (after the last row it has, never by OFFSET) when the view scrolls
near the end of what it has, and keeps only those records, so a million stored IPNs open at
once, on SQLite or PostgreSQL, and scroll smoothly.
"""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QFontMetrics, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.fps.models import TransactionStatus
from fpsdesk.records.ipn import IpnVerdict
from fpsdesk.store.ipns import IPN_ENVIRONMENTS, IpnFilter, IpnRecord, IpnStore
from fpsdesk.ui import dialogs, theme
from fpsdesk.ui.widgets import Card, EmptyState, accessible, format_time, keep_words_whole

log = logging.getLogger(__name__)

PAGE_SIZE = 200
# Counting stops one row past this; an exact COUNT over a million IPNs on PostgreSQL would hold
# up the first paint. Rows still page in to the very end.
COUNT_CAP = 100_000
ModelIndex = QModelIndex | QPersistentModelIndex
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


class IpnTableModel(QAbstractTableModel):
    """Rows of the store in date order, newest first, fetched a page at a time."""

    COLUMNS = (
        "When",
        "Transaction",
        "Status",
        "Signature",
        "Amount",
        "Operation",
        "Deliveries",
        "Received",
        "Environment",
    )

    def __init__(self, store: IpnStore, parent: Any = None) -> None:
        super().__init__(parent)
        self._store = store
        self._filters = IpnFilter()
        self._rows: list[IpnRecord] = []
        self._total = 0
        self._more = False  # the last page read was full: there may be more rows
        self._icons: dict[tuple[str, str], Any] = {}
        self._mono = theme.mono_font()
        self._struck = QFont()
        self._struck.setStrikeOut(True)
        untrusted = theme.untrusted_look()
        self._untrusted_icon = theme.look_icon(untrusted)
        self._untrusted_color = QBrush(untrusted.color())
        self.reload()

    @property
    def total(self) -> int:
        """The number of matching rows; above ``COUNT_CAP`` it only means "more than that"."""
        return self._total

    @property
    def filters(self) -> IpnFilter:
        return self._filters

    def set_filters(self, filters: IpnFilter) -> None:
        self._filters = filters
        self.reload()

    def reload(self) -> None:
        from fpsdesk.store.db import database_errors

        try:
            total = self._store.count(self._filters, cap=COUNT_CAP)
            rows = self._store.page(self._filters, limit=PAGE_SIZE)
        except database_errors() as exc:  # a shared history offline: keep what is shown
            log.info("could not read the notifications: %s", exc)
            return
        self.beginResetModel()
        self._total, self._rows = total, rows
        self._more = len(rows) == PAGE_SIZE
        self.endResetModel()

    def record(self, row: int) -> IpnRecord | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # -- lazy fetching -----------------------------------------------------------------------

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._rows:
            return
        more = self._store.page(self._filters, limit=PAGE_SIZE, after=self._rows[-1])
        self._more = len(more) == PAGE_SIZE
        if not self._more:  # everything is loaded: now the count is exact
            self._total = len(self._rows) + len(more)
        if not more:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    # -- model -------------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.COLUMNS[section])
        return None

    def _icon(self, kind: str, key: str) -> Any:
        cached = self._icons.get((kind, key))
        if cached is None:
            look = theme.verdict_look(key) if kind == "verdict" else theme.status_look(key)
            cached = self._icons[(kind, key)] = theme.look_icon(look)
        return cached

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.record(index.row())
        if record is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(record, column)
        untrusted = column == 2 and record.verdict is not IpnVerdict.VERIFIED
        if role == Qt.ItemDataRole.DecorationRole:
            if untrusted and record.transaction_status is not None:
                return self._untrusted_icon
            if column == 2 and record.transaction_status is not None:
                return self._icon("status", record.transaction_status.value)
            if column == 3:
                return self._icon("verdict", record.verdict.value)
        if role == Qt.ItemDataRole.ToolTipRole and column == 3 and record.reason:
            return record.reason
        if role == Qt.ItemDataRole.FontRole and column == 1:
            return self._mono
        # A status from a notification whose signature is not Verified is not a fact: grey,
        # struck through, "Untrusted: …" (the reason is in the Signature column).
        if untrusted and role == Qt.ItemDataRole.FontRole:
            return self._struck
        if untrusted and role == Qt.ItemDataRole.ForegroundRole:
            return self._untrusted_color
        if untrusted and role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("Not a Verified notification: not trusted as the transaction's status.")
        return None

    def _text(self, r: IpnRecord, column: int) -> str:
        if column == 0:
            return format_time(r.event_at)
        if column == 1:
            return r.transaction_id or "—"
        if column == 2:
            if r.transaction_status is None:
                return r.notification_type
            label = theme.status_look(r.transaction_status).label
            if r.verdict is not IpnVerdict.VERIFIED:
                label = self.tr("Untrusted: {status}").format(status=label)
            if r.status_from_legacy_field:  # a 2009 IPN: say where the status came from
                label = self.tr("{label} (2009 status {raw})").format(
                    label=label, raw=r.get("status") or "?"
                )
            return label
        if column == 5:
            return r.operation or "—"
        if column == 4:
            return str(r.amount) if r.amount else "—"
        if column == 3:
            label = theme.verdict_look(r.verdict.value).label
            return f"{label}: {r.reason}" if r.reason and r.verdict is IpnVerdict.FAILED else label
        if column == 6:
            return str(r.delivery_count)
        if column == 8:
            return self.tr(r.environment)
        return format_time(r.received_at)


class NotificationsView(QWidget):
    """Filters on top, the lazy table on the left, the selected IPN's raw parameters beside."""

    open_transaction = Signal(str)

    def __init__(self, store: IpnStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._dirty = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        # The filters keep their natural widths; in a narrow window or with large text the row
        # scrolls sideways instead of squeezing a combo to "Any st".
        bar_host = QWidget()
        bar = QHBoxLayout(bar_host)
        bar.setContentsMargins(0, 0, 0, 0)
        self.use_from = QCheckBox(self.tr("From"))
        self.date_from = QDateEdit(QDate.currentDate().addDays(-30))
        self.use_to = QCheckBox(self.tr("to"))
        self.date_to = QDateEdit(QDate.currentDate())
        accessible(self.use_from, self.tr("Only notifications from the date beside it"))
        accessible(self.use_to, self.tr("Only notifications up to the date beside it"))
        accessible(self.date_from, self.tr("The first day shown"), self.tr("From date"))
        accessible(self.date_to, self.tr("The last day shown"), self.tr("To date"))
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.status = QComboBox()
        accessible(
            self.status, self.tr("Only notifications of this status"), self.tr("Filter by status")
        )
        self.status.addItem(self.tr("Any status"), None)
        for status in TransactionStatus:
            look = theme.status_look(status)
            self.status.addItem(theme.look_icon(look), look.label, status.value)
        self.operation = QComboBox()
        accessible(
            self.operation,
            self.tr("Only notifications of this operation"),
            self.tr("Filter by operation"),
        )
        self.verdict = QComboBox()
        accessible(
            self.verdict,
            self.tr("Only notifications with this signature verdict"),
            self.tr("Filter by signature"),
        )
        self.verdict.addItem(self.tr("Any signature"), None)
        for verdict in IpnVerdict:
            look = theme.verdict_look(verdict.value)
            self.verdict.addItem(theme.look_icon(look), look.label, verdict.value)
        self.environment = QComboBox()
        accessible(
            self.environment,
            self.tr("Only notifications from this FPS"),
            self.tr("Filter by environment"),
        )
        self.environment.setToolTip(
            self.tr("Which FPS sent the notification, told by its certificate URL")
        )
        self.environment.addItem(self.tr("Any environment"), None)
        for environment in IPN_ENVIRONMENTS:
            self.environment.addItem(self.tr(environment), environment)
        self.transaction = QLineEdit()
        self.transaction.setPlaceholderText(self.tr("Transaction ID (or its start)"))
        self.transaction.setClearButtonEnabled(True)
        accessible(
            self.transaction,
            self.tr("Only notifications of transactions whose ID starts with this"),
            self.tr("Filter by transaction ID"),
        )
        self.export_button = QPushButton(self.tr("Export CSV…"))
        self.export_button.setAccessibleDescription(
            self.tr("Saves the matching notifications to a CSV file")
        )
        for widget in (
            self.use_from,
            self.date_from,
            self.use_to,
            self.date_to,
            self.status,
            self.operation,
            self.verdict,
            self.environment,
        ):
            widget.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            bar.addWidget(widget)
        self.transaction.setMinimumWidth(self.fontMetrics().horizontalAdvance("0" * 24))
        self.export_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        bar.addWidget(self.transaction, 1)
        bar.addWidget(self.export_button)
        self.filter_bar = QScrollArea()
        self.filter_bar.setWidget(bar_host)
        self.filter_bar.setWidgetResizable(True)
        self.filter_bar.setFrameShape(QFrame.Shape.NoFrame)
        self.filter_bar.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.filter_bar.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        scrollbar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.filter_bar.setFixedHeight(bar_host.sizeHint().height() + scrollbar + 2)
        layout.addWidget(self.filter_bar)

        self.model = IpnTableModel(store, self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # one Tab stop; arrows move inside
        self.table.setModel(self.model)
        accessible(
            self.table,
            self.tr("Every stored notification, newest first; select one to see its details"),
            self.tr("Notifications"),
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        # Widths from the fonts and a widest sample (sizing to contents would read every row and
        # defeat lazy fetching): an ID or an amount never shows cut short, at any text size.
        for column, width in enumerate(self._column_widths()):
            header.resizeSection(column, width)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        # Amount next to the ID, where it stays in view in a narrow window (display order only).
        header.moveSection(header.visualIndex(4), 2)

        self.detail = Card()
        detail_layout = QVBoxLayout(self.detail)
        detail_layout.setContentsMargins(12, 10, 12, 10)
        self.detail_title = QLabel(self.tr("Select a notification"))
        font = self.detail_title.font()
        font.setBold(True)
        self.detail_title.setFont(font)
        # Wraps (the ID in it is never cut): selecting a row must not widen the pane and push
        # the table's columns off screen.
        self.detail_title.setWordWrap(True)
        self.detail.setMinimumWidth(self.fontMetrics().horizontalAdvance("0" * 28))
        self.detail_facts = QFormLayout()
        self.detail_verdict = QLabel()
        self.detail_verdict.setWordWrap(True)
        self.detail_source = QLabel()
        self.detail_source.setWordWrap(True)
        self.detail_facts.addRow(self.tr("Signature:"), self.detail_verdict)
        self.detail_facts.addRow(self.tr("Received:"), self.detail_source)
        self.raw = QTableWidget(0, 2)
        self.raw.setTabKeyNavigation(False)
        self.raw.setHorizontalHeaderLabels([self.tr("Parameter"), self.tr("Value (verbatim)")])
        self.raw.verticalHeader().setVisible(False)
        accessible(
            self.raw,
            self.tr("The parameters FPS sent, exactly as received"),
            self.tr("Raw parameters"),
        )
        self.raw.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.raw.horizontalHeader().setStretchLastSection(True)
        self.raw.setWordWrap(True)
        self.open_button = QPushButton(self.tr("Open transaction"))
        self.open_button.setEnabled(False)
        self.open_button.setAccessibleDescription(
            self.tr("Looks up the selected notification's transaction")
        )
        detail_layout.addWidget(self.detail_title)
        self.detail_hint = QLabel(
            self.tr("Select a row to see its signature verdict and its raw parameters.")
        )
        self.detail_hint.setWordWrap(True)
        self.detail_hint.setStyleSheet("color: palette(placeholder-text);")
        detail_layout.addWidget(self.detail_hint)
        detail_layout.addLayout(self.detail_facts)
        detail_layout.addWidget(self.raw, 1)
        detail_layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignRight)
        detail_layout.addStretch(0)  # takes the height only while the raw table is hidden

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
        layout.addWidget(self.body, 1)
        self.count = QLabel()
        layout.addWidget(self.count)

        self.use_from.toggled.connect(self.date_from.setEnabled)
        self.use_to.toggled.connect(self.date_to.setEnabled)
        for signal in (self.use_from.toggled, self.use_to.toggled):
            signal.connect(self.apply_filters)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self.apply_filters)
        for combo in (self.status, self.operation, self.verdict, self.environment):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.transaction.textChanged.connect(self.apply_filters)
        self.export_button.clicked.connect(self.export)
        self.table.selectionModel().currentRowChanged.connect(self._show_record)
        self.open_button.clicked.connect(self._open_selected)
        self.clear_filters_button.clicked.connect(self.clear_filters)
        self._fill_operations()
        self._update_count()
        self._show_record(QModelIndex())

    def _column_widths(self) -> list[int]:
        """Each column's width: its widest sample (or its title) in its font, the item margins
        and, where the column has one, the icon."""
        when = format_time(datetime(2026, 12, 30, 23, 59, 59).astimezone())
        statuses = [theme.status_look(s).label for s in TransactionStatus]
        verdicts = [theme.verdict_look(v.value).label for v in IpnVerdict]
        samples: tuple[list[str], ...] = (
            [when],
            ["W" * 35],
            statuses,
            verdicts,
            ["USD 99999.99"],
            ["Reserve", "Settle", "Refund"],
            ["9999"],
            [when],
            [self.tr(e) for e in IPN_ENVIRONMENTS],
        )
        plain = self.table.fontMetrics()
        mono = QFontMetrics(theme.mono_font())
        style = self.style()
        margin = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1) + 12
        icon = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize) + 8
        widths = []
        for column, texts in enumerate(samples):
            metrics = mono if column == 1 else plain
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            need = max(
                *(metrics.horizontalAdvance(t) for t in texts),
                plain.horizontalAdvance(title) + 12,
            )
            widths.append(need + margin + (icon if column in (2, 3) else 0))
        return widths

    # -- filters -----------------------------------------------------------------------------

    def _fill_operations(self) -> None:
        current = self.operation.currentData()
        self.operation.blockSignals(True)
        self.operation.clear()
        self.operation.addItem(self.tr("Any operation"), None)
        from fpsdesk.store.db import database_errors

        try:
            operations = self._store.distinct("operation")
        except database_errors() as exc:  # a shared history offline
            log.info("could not read the operations: %s", exc)
            operations = [current] if current else []
        for operation in operations:
            self.operation.addItem(operation.title(), operation)
        index = self.operation.findData(current) if current else 0
        self.operation.setCurrentIndex(max(0, index))
        self.operation.blockSignals(False)

    def current_filters(self) -> IpnFilter:
        def start_of(date: QDate) -> datetime:
            return datetime(date.year(), date.month(), date.day(), tzinfo=UTC)

        status = self.status.currentData()
        verdict = self.verdict.currentData()
        return IpnFilter(
            date_from=start_of(self.date_from.date()) if self.use_from.isChecked() else None,
            date_to=start_of(self.date_to.date()) + timedelta(days=1)
            if self.use_to.isChecked()
            else None,
            status=TransactionStatus(status) if status else None,
            operation=self.operation.currentData() or None,
            verdict=IpnVerdict(verdict) if verdict else None,
            transaction_id=self.transaction.text().strip() or None,
            environment=self.environment.currentData() or None,
        )

    def clear_filters(self) -> None:
        """Back to every notification, with one reload."""
        widgets = (self.use_from, self.use_to, self.status, self.operation, self.verdict)
        for widget in (*widgets, self.environment, self.transaction):
            widget.blockSignals(True)
        self.use_from.setChecked(False)
        self.use_to.setChecked(False)
        self.date_from.setEnabled(False)
        self.date_to.setEnabled(False)
        for combo in (self.status, self.operation, self.verdict, self.environment):
            combo.setCurrentIndex(0)
        self.transaction.clear()
        for widget in (*widgets, self.environment, self.transaction):
            widget.blockSignals(False)
        self.apply_filters()

    def apply_filters(self) -> None:
        self.model.set_filters(self.current_filters())
        self._update_count()
        self._show_record(QModelIndex())

    def _update_count(self) -> None:
        total = self.model.total
        shown = f"{COUNT_CAP:,}+" if total > COUNT_CAP else f"{total:,}"
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
        self._fill_operations()
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
        record = self.model.record(index.row()) if index.isValid() else None
        self.raw.setRowCount(0)
        self.open_button.setEnabled(bool(record and record.transaction_id))
        # Nothing selected: a title and a hint, not labels and a table with nothing in them.
        for row in range(self.detail_facts.rowCount()):
            self.detail_facts.setRowVisible(row, record is not None)
        self.raw.setVisible(record is not None)
        self.detail_hint.setVisible(record is None)
        self.open_button.setVisible(record is not None)
        if record is None:
            self.detail_title.setText(self.tr("Select a notification"))
            self.detail_verdict.clear()
            self.detail_source.clear()
            return
        status = (
            theme.status_look(record.transaction_status).label
            if record.transaction_status
            else record.notification_type
        )
        self.detail_title.setText(f"{status} · {record.transaction_id or ''}")
        verdict = theme.verdict_look(record.verdict.value)
        text = verdict.label
        if record.reason:
            text = f"{text}: {record.reason}"
        if not record.trusted:
            text = self.tr("{text} — not trusted as status").format(text=text)
        self.detail_verdict.setText(text)
        self.detail_verdict.setStyleSheet(f"color: {verdict.color().name()};")
        if record.delivery_count == 1:
            received = self.tr("{first}, once").format(first=format_time(record.received_at))
        else:
            received = self.tr("{first} first; delivered {n} times").format(
                first=format_time(record.received_at), n=record.delivery_count
            )
        url = record.endpoint_url or self.tr("an unknown URL")
        if record.source.startswith("http"):  # received live: the URL says it all
            posted = self.tr("posted to {url}").format(url=url)
        else:  # imported from a file, say which
            posted = self.tr("posted to {url}; from {source}").format(url=url, source=record.source)
        self.detail_source.setText(f"{received}\n{posted}")
        for label in (self.detail_title, self.detail_verdict, self.detail_source):
            keep_words_whole(label)
        for key, value in record.params:
            row = self.raw.rowCount()
            self.raw.insertRow(row)
            self.raw.setItem(row, 0, QTableWidgetItem(key))
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            item.setFont(theme.mono_font())
            self.raw.setItem(row, 1, item)
        self.raw.resizeColumnToContents(0)

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
