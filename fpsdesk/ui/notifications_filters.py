"""The Notifications view's filter bar: dates, status, operation, signature, environment, ID.

The filters keep their natural widths; in a narrow window or with large text the row scrolls
sideways instead of squeezing a combo to "Any st". Any change emits ``changed``; the view
reads ``current_filters()`` and reloads its table.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QWidget,
)

from fpsdesk.fps.models import TransactionStatus
from fpsdesk.records.ipn import IpnVerdict
from fpsdesk.store.ipns import IPN_ENVIRONMENTS, IpnFilter, IpnStore
from fpsdesk.ui import theme
from fpsdesk.ui.widgets import accessible

log = logging.getLogger(__name__)


class IpnFilterBar(QScrollArea):
    """One row of filters and the Export button, scrolling sideways when it does not fit."""

    changed = Signal()  # a filter was changed by the agent

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.setWidget(bar_host)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        scrollbar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.setFixedHeight(bar_host.sizeHint().height() + scrollbar + 2)

        self.use_from.toggled.connect(self.date_from.setEnabled)
        self.use_to.toggled.connect(self.date_to.setEnabled)
        for signal in (self.use_from.toggled, self.use_to.toggled):
            signal.connect(self.changed)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self.changed)
        for combo in (self.status, self.operation, self.verdict, self.environment):
            combo.currentIndexChanged.connect(self.changed)
        self.transaction.textChanged.connect(self.changed)

    def fill_operations(self, store: IpnStore) -> None:
        """The operations the store holds, keeping the one chosen (no ``changed``)."""
        current = self.operation.currentData()
        self.operation.blockSignals(True)
        self.operation.clear()
        self.operation.addItem(self.tr("Any operation"), None)
        from fpsdesk.store.db import database_errors

        try:
            operations = store.distinct("operation")
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

    def clear(self) -> None:
        """Every filter back to "any", without ``changed`` (the caller reloads once)."""
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
