"""The Notifications table: a model that pages stored IPNs in lazily, and its column widths.

The model knows the row count from one indexed COUNT that stops at ``COUNT_CAP`` (beyond it the
view says "100,000+ notifications"), loads a page of 200 records by key (after the last row it
has, never by OFFSET) when the view scrolls near the end of what it has, and keeps only those
records, so a million stored IPNs open at once, on SQLite or PostgreSQL, and scroll smoothly.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont, QFontMetrics
from PySide6.QtWidgets import QStyle, QTableView

from fpsdesk.fps.models import TransactionStatus
from fpsdesk.records.ipn import IpnVerdict
from fpsdesk.store.ipns import IPN_ENVIRONMENTS, IpnFilter, IpnRecord, IpnStore
from fpsdesk.ui import theme
from fpsdesk.ui.widgets import format_time

log = logging.getLogger(__name__)

PAGE_SIZE = 200
# Counting stops one row past this; an exact COUNT over a million IPNs on PostgreSQL would hold
# up the first paint. Rows still page in to the very end.
COUNT_CAP = 100_000
ModelIndex = QModelIndex | QPersistentModelIndex


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
        self.count_cap = COUNT_CAP  # what the count stopped at: a total above it is "more"
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

        cap = COUNT_CAP
        try:
            total = self._store.count(self._filters, cap=cap)
            rows = self._store.page(self._filters, limit=PAGE_SIZE)
        except database_errors() as exc:  # a shared history offline: keep what is shown
            log.info("could not read the notifications: %s", exc)
            return
        self.beginResetModel()
        self.count_cap = cap
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


def column_widths(model: IpnTableModel, table: QTableView, style: QStyle) -> list[int]:
    """Each column's width: its widest sample (or its title) in the table's font, the item
    margins of ``style`` and, where the column has one, the icon."""
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
        [model.tr(e) for e in IPN_ENVIRONMENTS],
    )
    plain = table.fontMetrics()
    mono = QFontMetrics(theme.mono_font())
    margin = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1) + 12
    icon = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize) + 8
    widths = []
    for column, texts in enumerate(samples):
        metrics = mono if column == 1 else plain
        title = str(model.headerData(column, Qt.Orientation.Horizontal))
        need = max(
            *(metrics.horizontalAdvance(t) for t in texts),
            plain.horizontalAdvance(title) + 12,
        )
        widths.append(need + margin + (icon if column in (2, 3) else 0))
    return widths
