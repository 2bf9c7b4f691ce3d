"""The Search view: find transactions without their ID, by date, status, operation, payment
method, free text and amount.

The search itself is fpsdesk/desk/search.py (``Searcher``): it pages GetAccountActivity newest
first, keeps every page in the history database and answers repeat or narrower searches from
there. This view checks the form, runs the searcher on a job thread of its own
(fpsdesk/ui/jobs.py), shows matches as they arrive in a sortable table and says how fresh the
cached part is. Double-click or Enter opens a transaction; "Cancel selected…" hands the selected
IDs to the Bulk cancel view, which always starts with a dry run.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.fps.status import TransactionStatus
from fpsdesk.ui import dialogs, theme
from fpsdesk.ui.row_model import Column, RowModel, make_view
from fpsdesk.ui.widgets import EmptyState, format_time

if TYPE_CHECKING:
    from fpsdesk.desk.replies import ErrorView
    from fpsdesk.desk.search import Found, SearchProgress, SearchQuery
    from fpsdesk.ui.jobs import Job, JobContext, JobHost

log = logging.getLogger(__name__)

DEFAULT_DAYS = 7
CENT = Decimal("0.01")
OPERATIONS = ("Pay", "Reserve", "Settle", "Refund")
CSV_COLUMNS = [
    "transaction_id",
    "date_received",
    "status",
    "operation",
    "payment_method",
    "amount",
    "currency",
    "caller_reference",
    "description",
    "sender_name",
    "sender_email",
    "recipient_name",
]


@dataclass(frozen=True)
class SearchUpdate:
    """Matches found since the last report, and where the search stands (a copy)."""

    matches: tuple[Found, ...]
    progress: SearchProgress


def local_hm(moment: datetime) -> str:
    """HH:MM in local time; with the date when it is not today."""
    local = moment.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day``, in UTC."""
    return datetime.combine(day, time.min).astimezone().astimezone(UTC)


def search_work(query: SearchQuery, refresh: bool) -> Any:
    """The job: the searcher on its own client and history connection, reporting batches."""

    def work(ctx: JobContext) -> SearchUpdate:
        from fpsdesk.desk.search import Searcher
        from fpsdesk.store.activity import ActivityCache

        cache = ActivityCache(ctx.database())
        searcher = Searcher(ctx.client(), cache, emails_from_ipns=cache.transactions_with_email)
        pending: list[Found] = []

        def on_matches(batch: list[Found]) -> None:
            pending.extend(batch)

        def on_progress(progress: SearchProgress) -> None:
            if ctx.due():
                ctx.report(SearchUpdate(tuple(pending), dataclasses.replace(progress)))
                pending.clear()

        result = searcher.search(
            query, refresh=refresh, on_matches=on_matches, on_progress=on_progress, stop=ctx.stop
        )
        return SearchUpdate(tuple(pending), dataclasses.replace(result.progress))

    return work


def _amount_text(found: Found) -> str:
    return f"{found.currency} {found.amount.quantize(CENT)}"


def _sender(found: Found) -> str:
    if found.sender_name and found.sender_email:
        return f"{found.sender_name} <{found.sender_email}>"
    return found.sender_name or found.sender_email or ""


@functools.cache
def status_look(status: str) -> theme.StatusLook:
    """theme.status_look, once per status (the table asks for every painted cell)."""
    return theme.status_look(status)


class _Icons:
    """Status icons, painted once per status and palette."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, bool], QIcon] = {}

    def status(self, status: str) -> QIcon:
        key = (status, theme.is_dark())
        icon = self._cache.get(key)
        if icon is None:
            icon = self._cache[key] = theme.look_icon(status_look(status))
        return icon


def found_columns(tr: Any) -> list[Column]:
    icons = _Icons()
    return [
        Column(
            tr("Date received"),
            lambda f: format_time(f.date_received),
            key=lambda f: f.date_received,
            chars=22,
        ),
        Column(tr("Transaction ID"), lambda f: f.transaction_id, mono=True, chars=35),
        Column(
            tr("Status"),
            lambda f: status_look(f.status).label,
            icon=lambda f: icons.status(f.status),
            tooltip=lambda f: status_look(f.status).meaning,
            chars=9,
        ),
        Column(
            tr("Amount"),
            _amount_text,
            key=lambda f: (f.currency, f.amount),
            right=True,
            chars=11,
        ),
        Column(tr("Order number"), lambda f: f.caller_reference or "", chars=12),
        Column(tr("Sender"), _sender, chars=24),
        Column(tr("Description"), lambda f: f.description or "", chars=24),
        Column(tr("Operation"), lambda f: f.operation, chars=8),
    ]


class SearchView(QWidget):
    """Form, progress, matches. Emits ``open_transaction`` and ``cancel_requested``."""

    open_transaction = Signal(str)
    cancel_requested = Signal(object)  # list[str]: the selected transaction IDs
    running_changed = Signal(bool)

    def __init__(self, jobs: JobHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._job: Job | None = None
        self._stopping = False
        self.progress: SearchProgress | None = None
        self.error: ErrorView | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(6)

        # -- the form ---------------------------------------------------------------------
        form = QGridLayout()
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
        layout.addLayout(form)

        # -- progress and freshness --------------------------------------------------------
        status_row = QHBoxLayout()
        status_row.setSpacing(8)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(self.fontMetrics().height())
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName(self.tr("Searching"))
        self.busy.hide()
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        self.progress_label.setAccessibleName(self.tr("Search progress"))
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.refresh_button.setToolTip(
            self.tr("Read the whole period from FPS again instead of the cache")
        )
        self.refresh_button.hide()
        status_row.addWidget(self.busy)
        status_row.addWidget(self.progress_label, 1)
        status_row.addWidget(self.refresh_button)
        layout.addLayout(status_row)

        # -- matches -----------------------------------------------------------------------
        self.model = RowModel(found_columns(self.tr), identity=lambda f: f.transaction_id)
        self.table = make_view(self.model, sort_column=0, descending=True)
        self.table.setAccessibleName(self.tr("Matching transactions"))
        self.table.setToolTip(self.tr("Double-click or Enter opens the transaction"))
        self.empty = EmptyState(
            self.tr("Find transactions without their ID"),
            self.tr(
                "Pick the dates (the last 7 days by default), a status, an operation or a "
                "payment method, or type an order number, a name, an e-mail or an amount, "
                "then press Enter. Pages read from FPS are kept, so searching again is instant."
            ),
        )
        self.body = QStackedWidget()
        self.body.addWidget(self.empty)
        self.body.addWidget(self.table)
        layout.addWidget(self.body, 1)

        actions = QHBoxLayout()
        self.count = QLabel()
        self.cancel_button = QPushButton(self.tr("Cancel selected…"))
        self.cancel_button.setToolTip(
            self.tr(
                "Check the selected transactions in a dry run first (Bulk cancel); nothing is "
                "sent until you confirm"
            )
        )
        self.cancel_button.setEnabled(False)
        self.export_button = QPushButton(self.tr("Export CSV…"))
        self.export_button.setAccessibleDescription(
            self.tr("Saves the matching transactions to a CSV file")
        )
        self.export_button.setEnabled(False)
        actions.addWidget(self.count, 1)
        actions.addWidget(self.export_button)
        actions.addWidget(self.cancel_button)
        layout.addLayout(actions)

        # -- wiring ------------------------------------------------------------------------
        for edit in (self.text, self.amount):
            edit.returnPressed.connect(self.search)
        self.text.textEdited.connect(self._clear_errors)
        self.amount.textEdited.connect(self._clear_errors)
        self.from_date.dateChanged.connect(self._clear_errors)
        self.to_date.dateChanged.connect(self._clear_errors)
        self.search_button.clicked.connect(self.search)
        self.stop_button.clicked.connect(self.stop)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.activated.connect(self._open_index)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self.model.rowsInserted.connect(self._update_actions)
        self.cancel_button.clicked.connect(self._cancel_selected)
        self.export_button.clicked.connect(self.export)
        self._update_actions()

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

    # -- state ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._job is not None

    def matches(self) -> list[Found]:
        """The rows in the order the table shows them."""
        return self.model.rows()

    def focus_text(self) -> None:
        self.text.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text.selectAll()

    # -- the form ---------------------------------------------------------------------------

    def _show_error(self, label: QLabel, message: str) -> None:
        color = theme.status_look(TransactionStatus.FAILURE).color().name()
        label.setStyleSheet(f"color: {color};")
        label.setText(f"⚠ {message}" if message else "")
        label.setVisible(bool(message))

    @Slot()
    def _clear_errors(self) -> None:
        self._show_error(self.date_error, "")
        self._show_error(self.amount_error, "")

    def query(self) -> SearchQuery | None:
        """The form as a query, or None with the problem shown next to its field."""
        from fpsdesk.desk.search import SearchQuery, parse_amount

        self._clear_errors()
        for edit in (self.from_date, self.to_date):  # the app may have run past midnight
            edit.setMaximumDate(QDate.currentDate())
        start_day: date = self.from_date.date().toPython()  # type: ignore[assignment]
        end_day: date = self.to_date.date().toPython()  # type: ignore[assignment]
        ok = True
        if end_day < start_day:
            self._show_error(
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
                self._show_error(
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
            self._show_error(self.date_error, str(exc))
            return None
        return query

    # -- running ----------------------------------------------------------------------------

    @Slot()
    def search(self) -> bool:
        """Run the form's search; False (nothing runs) if the form has a problem."""
        return self._start(refresh=False)

    @Slot()
    def refresh(self) -> bool:
        """The same search, every page read from FPS again."""
        return self._start(refresh=True)

    def _start(self, *, refresh: bool) -> bool:
        query = self.query()
        if query is None:
            return False
        if not self._jobs.connected():
            self._show_error(
                self.date_error, self.tr("Not connected: open Settings (Ctrl+,) to add a profile.")
            )
            return False
        self._abandon()
        from fpsdesk.ui.jobs import Job

        job = self._jobs.start(
            "search",
            search_work(query, refresh),
            progressed=self._on_progress,
            succeeded=self._on_done,
            failed=self._on_failed,
        )
        if not isinstance(job, Job):
            return False
        self._job = job
        self._stopping = False
        self.progress = None
        self.error = None
        self.model.clear()
        self.body.setCurrentWidget(self.table)
        self.refresh_button.hide()
        self.busy.show()
        self.stop_button.setEnabled(True)
        self._set_progress_text(self.tr("Searching…"))
        self.running_changed.emit(True)
        return True

    def _abandon(self) -> None:
        """Stop the search in flight and ignore whatever it still reports."""
        if self._job is not None:
            self._job.stop()
            self._job = None
            self.running_changed.emit(False)

    @Slot()
    def stop(self) -> None:
        """Stop (button or Esc): the search ends after the page in flight; matches stay."""
        if self._job is None or self._stopping:
            return
        self._stopping = True
        self._job.stop()
        self.stop_button.setEnabled(False)
        self._set_progress_text(self.tr("Stopping after the page being read…"))

    def shutdown(self) -> None:
        self._abandon()

    def _current(self, job_id: int) -> bool:
        return self._job is not None and self._job.job_id == job_id

    @Slot(int, object)
    def _on_progress(self, job_id: int, update: object) -> None:
        if not self._current(job_id) or not isinstance(update, SearchUpdate):
            return
        self.model.append(list(update.matches))
        self.progress = update.progress
        if not self._stopping:
            self._set_progress_text(self._running_text(update.progress))

    @Slot(int, object)
    def _on_done(self, job_id: int, update: object) -> None:
        if not self._current(job_id) or not isinstance(update, SearchUpdate):
            return
        self._job = None
        self.model.append(list(update.matches))
        self.progress = update.progress
        self._finish()
        self._set_progress_text(self._done_text(update.progress))
        self.refresh_button.setVisible(True)

    @Slot(int, object)
    def _on_failed(self, job_id: int, error: object) -> None:
        if not self._current(job_id):
            return
        self._job = None
        self.error = error  # type: ignore[assignment]
        self._finish()
        title = getattr(error, "title", str(error))
        code = getattr(error, "code", None)
        step = getattr(error, "next_step", None)
        text = self.tr("The search stopped: {title}").format(title=title)
        if code:
            text += f" ({code})"
        if step:
            text += f" {step}"
        if self.model.rowCount():
            text += " " + self.tr("The {n} matches found before stay.").format(
                n=self.model.rowCount()
            )
        self._set_progress_text(text, error=True)
        self.refresh_button.setVisible(True)

    def _finish(self) -> None:
        self._stopping = False
        self.busy.hide()
        self.stop_button.setEnabled(False)
        if not self.model.rowCount():
            self.empty.title.setText(self.tr("No transactions match"))
            self.empty.body.setText(
                self.tr("Widen the dates, clear a filter or shorten the text, then search again.")
            )
            self.body.setCurrentWidget(self.empty)
        self._update_actions()
        self.running_changed.emit(False)

    def _running_text(self, p: SearchProgress) -> str:
        # One count per plural form: Qt picks a form by one number.
        text = (
            self.tr("Searching… {pages} page(s) read from FPS", "", p.pages).format(pages=p.pages)
            + self.tr(", {scanned} transaction(s) looked at", "", p.scanned).format(
                scanned=p.scanned
            )
            + self.tr(", {matches} match(es)", "", p.matches).format(matches=p.matches)
        )
        if p.details:
            text += self.tr(", {n} detail(s) read for e-mails", "", p.details).format(n=p.details)
        if p.slowed:
            text += self.tr(". FPS asked to slow down ({n}×): waiting, not failing").format(
                n=p.slowed
            )
        return text

    def _done_text(self, p: SearchProgress) -> str:
        if p.stopped:
            text = self.tr("Stopped: {matches} match(es) so far", "", p.matches).format(
                matches=p.matches
            ) + self.tr(", {scanned} looked at").format(scanned=p.scanned)
        else:
            text = self.tr("{matches} match(es)", "", p.matches).format(
                matches=p.matches
            ) + self.tr(" in {scanned} transaction(s)", "", p.scanned).format(scanned=p.scanned)
        parts = []
        if p.pages:
            parts.append(self.tr("{n} page(s) read from FPS now", "", p.pages).format(n=p.pages))
        if p.from_cache and p.oldest_read is not None:
            parts.append(
                self.tr("{n} from the cache read at {time}").format(
                    n=p.from_cache, time=local_hm(p.oldest_read)
                )
            )
        if p.slowed:
            parts.append(self.tr("slowed down {n}× by FPS").format(n=p.slowed))
        if parts:
            text += " · " + " · ".join(parts)
        return text

    def _set_progress_text(self, text: str, *, error: bool = False) -> None:
        if error:
            color = theme.status_look(TransactionStatus.FAILURE).color().name()
            self.progress_label.setStyleSheet(f"color: {color};")
        else:
            self.progress_label.setStyleSheet("")
        self.progress_label.setText(text)

    # -- the table --------------------------------------------------------------------------

    def selected_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.row(row).transaction_id for row in rows]

    @Slot()
    def _update_actions(self) -> None:
        total = self.model.rowCount()
        selected = len(self.table.selectionModel().selectedRows()) if total else 0
        if total:
            text = self.tr("{n} match(es)", "", total).format(n=total)
            if selected:
                text += self.tr(", {k} selected").format(k=selected)
        else:
            text = ""
        self.count.setText(text)
        self.cancel_button.setEnabled(selected > 0)
        self.cancel_button.setText(
            self.tr("Cancel {k} selected…").format(k=selected)
            if selected > 1
            else self.tr("Cancel selected…")
        )
        self.export_button.setEnabled(total > 0)

    @Slot(QModelIndex)
    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_transaction.emit(self.model.row(index.row()).transaction_id)

    @Slot()
    def _cancel_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.cancel_requested.emit(ids)

    @Slot()
    def export(self) -> None:
        from fpsdesk.desk.search import SearchResult, search_rows

        matches = self.matches()

        def write(path: Path) -> int:
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
                writer.writeheader()
                for row in search_rows(SearchResult(matches=matches)):
                    writer.writerow(row)
            return len(matches)

        dialogs.export_csv(self, "fpsdesk-search.csv", write, "search matches")
