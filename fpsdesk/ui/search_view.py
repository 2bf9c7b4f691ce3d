"""The Search view: find transactions without their ID, by date, status, operation, payment
method, free text and amount.

The search itself is fpsdesk/desk/search.py (``Searcher``): it pages GetAccountActivity newest
first, keeps every page in the history database and answers repeat or narrower searches from
there. This view takes the form's query (search_form.py), runs the searcher on a job thread
of its own (search_job.py), shows matches as they arrive in a sortable table (search_results.py)
and says how fresh the cached part is. Double-click or Enter opens a transaction; "Cancel
selected…" hands the selected IDs to the Bulk cancel view, which always starts with a dry run.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.fps.status import TransactionStatus
from fpsdesk.ui import dialogs, theme
from fpsdesk.ui.row_model import RowModel, make_view
from fpsdesk.ui.search_form import SearchForm
from fpsdesk.ui.search_job import SearchUpdate, search_work
from fpsdesk.ui.search_results import found_columns, write_csv
from fpsdesk.ui.widgets import EmptyState

if TYPE_CHECKING:
    from fpsdesk.desk.replies import ErrorView
    from fpsdesk.desk.search import Found, SearchProgress
    from fpsdesk.ui.jobs import Job, JobHost

log = logging.getLogger(__name__)


def local_hm(moment: datetime) -> str:
    """HH:MM in local time; with the date when it is not today."""
    local = moment.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


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

        # -- the form --------------------------------------------------------------------
        self.form = SearchForm()
        layout.addWidget(self.form)
        # Its fields, where the window's shortcuts and the tests reach them.
        form = self.form
        self.from_date, self.to_date = form.from_date, form.to_date
        self.status, self.operation, self.method = form.status, form.operation, form.method
        self.text, self.amount = form.text, form.amount
        self.search_button, self.stop_button = form.search_button, form.stop_button
        self.date_error, self.amount_error = form.date_error, form.amount_error

        # -- progress and freshness, the matches, what to do with them ---------------------
        layout.addLayout(self._build_status_row())
        layout.addWidget(self._build_matches(), 1)
        layout.addLayout(self._build_actions())

        # -- wiring ------------------------------------------------------------------------
        form.submitted.connect(self.search)
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

    def _build_status_row(self) -> QHBoxLayout:
        """The busy bar, where the search stands or how fresh it is, and Refresh."""
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
        return status_row

    def _build_matches(self) -> QStackedWidget:
        """The matches table, or what to do while there are none."""
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
        return self.body

    def _build_actions(self) -> QHBoxLayout:
        """The count, Export CSV and Cancel selected."""
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
        return actions

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
        query = self.form.query()
        if query is None:
            return False
        if not self._jobs.connected():
            self.form.show_error(
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
            theme.restyle(self.progress_label, f"color: {color};")
        else:
            theme.restyle(self.progress_label, "")
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
        matches = self.matches()

        def write(path: Path) -> int:
            return write_csv(path, matches)

        dialogs.export_csv(self, "fpsdesk-search.csv", write, "search matches")
