"""The Search view's form: received dates, status, operation, payment method, text, amount.

``query()`` turns the form into a ``SearchQuery`` (fpsdesk/desk/search.py), or shows what is
wrong under the field at fault and answers None. Enter in a text field or the Search button
emit ``submitted``; the view runs the search.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.fps.status import TransactionStatus
from fpsdesk.ui import theme

if TYPE_CHECKING:
    from fpsdesk.desk.search import SearchQuery

DEFAULT_DAYS = 7
OPERATIONS = ("Pay", "Reserve", "Settle", "Refund")


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day``, in UTC."""
    return datetime.combine(day, time.min).astimezone().astimezone(UTC)


class SearchForm(QWidget):
    """The fields, the Search and Stop buttons, and a problem line under the dates and under
    the amount."""

    submitted = Signal()  # Enter in the text or the amount, or the Search button

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QGridLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(2)
        today = QDate.currentDate()
        self.from_date = self._date_edit(today.addDays(-DEFAULT_DAYS), self.tr("Received from"))
        self.to_date = self._date_edit(today, self.tr("Received until"))
        self.status = QComboBox()
        self.status.setAccessibleName(self.tr("Status"))
        self.status.setAccessibleDescription(self.tr("Only transactions in this status"))
        self.status.addItem(self.tr("Any status"), None)
        for status in TransactionStatus:
            look = theme.status_look(status)
            self.status.addItem(theme.look_icon(look), look.label, status.value)
        self.operation = QComboBox()
        self.operation.setAccessibleName(self.tr("Operation"))
        self.operation.setAccessibleDescription(self.tr("Only transactions of this operation"))
        self.operation.addItem(self.tr("Any operation"), None)
        for operation in OPERATIONS:
            self.operation.addItem(operation, operation)
        self.method = QComboBox()
        self.method.setAccessibleName(self.tr("Payment method"))
        self.method.setAccessibleDescription(self.tr("Only transactions paid this way"))
        self.method.addItem(self.tr("Any payment method"), None)
        for label, code in (
            (self.tr("Credit card (CC)"), "CC"),
            (self.tr("Amazon balance (ABT)"), "ABT"),
            (self.tr("Bank account (ACH)"), "ACH"),
        ):
            self.method.addItem(label, code)
        self.text = QLineEdit()
        self.text.setPlaceholderText(
            self.tr("Order number, description, name, e-mail, transaction ID or amount")
        )
        self.text.setAccessibleName(self.tr("Search text"))
        self.text.setClearButtonEnabled(True)
        self.text.setMaxLength(200)
        self.amount = QLineEdit()
        self.amount.setPlaceholderText(self.tr("49.95, 10-50, >100"))
        self.amount.setAccessibleName(self.tr("Amount, exact or a range"))
        self.amount.setToolTip(
            self.tr("An exact amount (49.95) or a range: 10-50, 10..50, >100, <20")
        )
        self.amount.setClearButtonEnabled(True)
        self.amount.setMaximumWidth(self.amount.fontMetrics().horizontalAdvance("0" * 18) + 30)
        self.search_button = QPushButton(self.tr("Search"))
        self.search_button.setDefault(True)
        self.search_button.setToolTip(self.tr("Search (Enter in any field)"))
        self.stop_button = QPushButton(self.tr("Stop (Esc)"))
        self.stop_button.setToolTip(self.tr("Stop the search; what was found so far stays"))
        self.stop_button.setEnabled(False)
        self.date_error = self._error_label(self.tr("Date problem"))
        self.amount_error = self._error_label(self.tr("Amount problem"))

        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self.from_date)
        filters.addWidget(QLabel(self.tr("to")))
        filters.addWidget(self.to_date)
        filters.addSpacing(12)
        filters.addWidget(self.status)
        filters.addWidget(self.operation)
        filters.addWidget(self.method)
        filters.addStretch(1)
        form.addWidget(self._caption(self.tr("Received:"), self.from_date), 0, 0)
        form.addLayout(filters, 0, 1, 1, 4)
        form.addWidget(self.date_error, 1, 1, 1, 4)
        form.addWidget(self._caption(self.tr("Find:"), self.text), 2, 0)
        form.addWidget(self.text, 2, 1, 1, 2)
        amount_box = QHBoxLayout()
        amount_box.setSpacing(6)
        amount_box.addWidget(self._caption(self.tr("Amount:"), self.amount))
        amount_box.addWidget(self.amount)
        form.addLayout(amount_box, 2, 3)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.search_button)
        buttons.addWidget(self.stop_button)
        form.addLayout(buttons, 2, 4)
        form.addWidget(self.amount_error, 3, 1, 1, 4)
        form.setColumnStretch(1, 2)
        form.setColumnStretch(2, 3)

        for edit in (self.text, self.amount):
            edit.returnPressed.connect(self.submitted)
        self.text.textEdited.connect(self.clear_errors)
        self.amount.textEdited.connect(self.clear_errors)
        self.from_date.dateChanged.connect(self.clear_errors)
        self.to_date.dateChanged.connect(self.clear_errors)
        self.search_button.clicked.connect(self.submitted)

    # -- building ---------------------------------------------------------------------------

    def _date_edit(self, value: QDate, name: str) -> QDateEdit:
        edit = QDateEdit(value)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMaximumDate(QDate.currentDate())
        edit.setAccessibleName(name)
        edit.setToolTip(name)
        return edit

    def _caption(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    def _error_label(self, name: str) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setAccessibleName(name)
        label.hide()
        return label

    # -- checking ---------------------------------------------------------------------------

    def show_error(self, label: QLabel, message: str) -> None:
        """``message`` under a field (``date_error`` or ``amount_error``); "" hides it."""
        color = theme.status_look(TransactionStatus.FAILURE).color().name()
        theme.restyle(label, f"color: {color};")
        label.setText(f"⚠ {message}" if message else "")
        label.setVisible(bool(message))

    @Slot()
    def clear_errors(self) -> None:
        self.show_error(self.date_error, "")
        self.show_error(self.amount_error, "")

    def query(self) -> SearchQuery | None:
        """The form as a query, or None with the problem shown next to its field."""
        from fpsdesk.desk.search import SearchQuery, parse_amount

        self.clear_errors()
        for edit in (self.from_date, self.to_date):  # the app may have run past midnight
            edit.setMaximumDate(QDate.currentDate())
        start_day: date = self.from_date.date().toPython()  # type: ignore[assignment]
        end_day: date = self.to_date.date().toPython()  # type: ignore[assignment]
        ok = True
        if end_day < start_day:
            self.show_error(
                self.date_error,
                self.tr("The end date {end} is before the start date {start}.").format(
                    end=end_day.isoformat(), start=start_day.isoformat()
                ),
            )
            ok = False
        amount = None
        amount_text = self.amount.text().strip()
        if amount_text:
            try:
                amount = parse_amount(amount_text)
            except InvalidInput:
                self.show_error(
                    self.amount_error,
                    self.tr(
                        "“{text}” is not an amount: type 49.95, a range 10-50, >100 or <20."
                    ).format(text=amount_text[:40]),
                )
                ok = False
        if not ok:
            return None
        start = day_start(start_day)
        today = datetime.now().astimezone().date()
        # Until today: up to now. An earlier day: up to its last moment, local time.
        end = (
            None
            if end_day >= today
            else day_start(end_day + timedelta(days=1)) - timedelta(milliseconds=1)
        )
        query = SearchQuery(
            start=start,
            end=end,
            status=self.status.currentData(),
            operation=self.operation.currentData(),
            payment_method=self.method.currentData(),
            text=self.text.text().strip(),
            amount=amount,
        )
        try:
            query.check(datetime.now(UTC))
        except InvalidInput as exc:
            self.show_error(self.date_error, str(exc))
            return None
        return query
