"""The Bulk cancel view: a dry run first, always; then a throttled run that can be paused,
stopped and resumed; then the results.

The rules are fpsdesk/desk/bulk.py (``BulkDesk``): reading a CSV, TSV or text file, the dry
run's classes, the run through the one cancel lifecycle, never a Cancel sent twice. This view
runs each step on a job thread of its own (fpsdesk/ui/jobs.py) and shows:

1. **Start**: choose a file (or come from Search with "Cancel selected…"); unfinished runs of
   this environment, each with Resume.
2. **Checking**: the dry run's progress (it reads every transaction, sends nothing); Stop.
3. **Plan**: the environment, a summary per class with counts and amounts per currency, the
   lines without a usable ID with their numbers, and every item; the rate; "Cancel N…" asks
   for a reason and the confirmation (in Production above 20, the number typed).
4. **Run**: progress bar, done/total, time left, the rate (settable), Pause/Resume, Stop;
   the items table fills in as Cancels finish.
5. **Results**: a summary on top, per item the outcome, status after, RequestId and a plain
   message; CSV export; Resume when the run was stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.desk.replies import ErrorView
from fpsdesk.records.reasons import DEFAULT_REASON_CODES, ReasonCode
from fpsdesk.store.bulk import BulkItem, BulkJob
from fpsdesk.ui import dialogs, theme
from fpsdesk.ui.bulk_jobs import (
    DEFAULT_RATE,
    DryRunDone,
    DryRunProgress,
    RunSnapshot,
    Unfinished,
    dry_run_work,
    unfinished_work,
)
from fpsdesk.ui.bulk_panels import CheckingPage, OneOf, PlanPanel, StartPage, heading, muted
from fpsdesk.ui.bulk_run import RunSteps
from fpsdesk.ui.bulk_run_panels import DonePanel, RunPanel
from fpsdesk.ui.bulk_text import (
    PLAN_HIDDEN,
    RUN_HIDDEN,
    item_columns,
    write_items_csv,
)
from fpsdesk.ui.bulk_unfinished import UnfinishedRuns
from fpsdesk.ui.row_model import RowModel, make_view
from fpsdesk.ui.rows_later import RowsLater
from fpsdesk.ui.widgets import EnvironmentBadge

if TYPE_CHECKING:
    from fpsdesk.desk.bulk import DryRun
    from fpsdesk.desk.bulk_control import BulkControl
    from fpsdesk.ui.jobs import Job, JobHost

__all__ = ["BulkView", "RunSnapshot", "unfinished_work"]

log = logging.getLogger(__name__)


class BulkView(RunSteps):
    """Start → Checking → Plan → Run → Results. See the module docstring."""

    running_changed = Signal(bool)
    run_finished = Signal(object)  # RunSnapshot: the window refreshes Results, settles unknowns
    open_transaction = Signal(str)
    resume_requested = Signal()  # an offer to resume was taken: the window shows this view

    def __init__(
        self,
        jobs: JobHost,
        environment: Callable[[], tuple[str, str]],
        parent: QWidget | None = None,
        reason_codes: Callable[[], tuple[ReasonCode, ...]] | None = None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._environment = environment
        self._reason_codes = reason_codes or (lambda: DEFAULT_REASON_CODES)
        self._job: Job | None = None  # the dry run or run in flight
        self._control: BulkControl | None = None
        self.state = "start"  # start | checking | plan | running | paused | stopping | done
        self.dry: DryRun | None = None
        self.job: BulkJob | None = None
        self.progress: RunSnapshot | None = None
        self.error: ErrorView | None = None
        self._job_environment = ("", "")
        self._run_job_id = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)
        self._build_start()
        self._unfinished = UnfinishedRuns(jobs, environment, self.start_page, self._may_offer, self)
        self._unfinished.resume.connect(self.resume)
        self._unfinished.offer_taken.connect(self._offer_taken)
        self._build_checking()
        self._build_job()
        self.pages.setCurrentWidget(self.start_page)
        # Polished now (the tab is being opened), not in the middle of a run: the first show
        # of a page with style sheets costs a frame or two.
        for widget in self.findChildren(QWidget):
            widget.ensurePolished()

    # -- building ---------------------------------------------------------------------------

    def _build_start(self) -> None:
        self.start_page = page = StartPage()
        self.start_intro, self.file_button, self.start_error = (
            page.intro,
            page.file_button,
            page.error,
        )
        self.unfinished_box, self.unfinished_layout = page.unfinished_box, page.unfinished_layout
        page.file_button.clicked.connect(self.choose_file)
        self.pages.addWidget(page)

    def _build_checking(self) -> None:
        self.checking_page = page = CheckingPage()
        self.checking_title, self.checking_bar = page.title, page.bar
        self.checking_label, self.checking_stop = page.label, page.stop_button
        page.stop_button.clicked.connect(self.stop)
        self.pages.addWidget(page)

    def _build_job(self) -> None:
        self.job_page = QWidget()
        page = QVBoxLayout(self.job_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(6)
        title_row = QHBoxLayout()
        title_row.setSpacing(10)
        self.env_badge = EnvironmentBadge()
        self.title = heading()
        self.title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        title_row.addWidget(self.env_badge, 0, Qt.AlignmentFlag.AlignTop)
        title_row.addWidget(self.title, 1)
        page.addLayout(title_row)
        self.source_label = muted()
        self.source_label.setTextFormat(Qt.TextFormat.PlainText)
        page.addWidget(self.source_label)
        self.panels = OneOf()
        for panel in (self._build_plan_panel(), self._build_run_panel(), self._build_done_panel()):
            self.panels.addWidget(panel)
        self._planning = False
        self.model = RowModel(item_columns(lambda: self._planning), identity=lambda i: i.seq)
        self.table = make_view(self.model)
        self.table.setAccessibleName(self.tr("Bulk cancel items"))
        self.table.setToolTip(self.tr("Double-click or Enter opens the transaction"))
        self.table.activated.connect(self._open_index)
        self._rows_later = RowsLater(self.table)
        page.addWidget(self.panels)
        page.addWidget(self.table, 1)
        self.pages.addWidget(self.job_page)

    def _build_plan_panel(self) -> PlanPanel:
        self.plan_panel = panel = PlanPanel()
        self.summary_table, self.invalid_label = panel.summary_table, panel.invalid_label
        self.plan_rate, self.plan_note = panel.rate, panel.note
        self.confirm_button, self.start_over_button = panel.confirm_button, panel.start_over_button
        panel.confirm_button.clicked.connect(self.confirm)
        panel.start_over_button.clicked.connect(self.start_over)
        return panel

    def _build_run_panel(self) -> RunPanel:
        self.run_panel = panel = RunPanel()
        self.run_bar, self.run_label, self.counts_label = panel.bar, panel.label, panel.counts_label
        self.run_rate, self.rate_note = panel.rate, panel.rate_note
        self.pause_button, self.stop_button = panel.pause_button, panel.stop_button
        panel.rate.valueChanged.connect(self._on_rate_changed)
        panel.pause_button.clicked.connect(self.toggle_pause)
        panel.stop_button.clicked.connect(self.stop)
        return panel

    def _build_done_panel(self) -> DonePanel:
        self.done_panel = panel = DonePanel()
        self.banner, self.done_note = panel.banner, panel.note
        self.export_button, self.resume_button = panel.export_button, panel.resume_button
        self.new_button = panel.new_button
        panel.export_button.clicked.connect(self.export)
        panel.resume_button.clicked.connect(self._resume_shown)
        panel.new_button.clicked.connect(self.start_over)
        return panel

    # -- state ------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A dry run or a run is in flight (a new one cannot start)."""
        return self._job is not None

    @property
    def running(self) -> bool:
        """Cancels are being sent (or paused between two)."""
        return self._job is not None and self.state in ("running", "paused", "stopping")

    def items(self) -> list[BulkItem]:
        return self.model.rows()

    def _set_state(self, state: str) -> None:
        was = self.running
        self.state = state
        if self.running != was:
            self.running_changed.emit(self.running)

    def _refuse_busy(self) -> bool:
        if self._job is None:
            return False
        what = self.tr("a dry run") if self.state == "checking" else self.tr("a bulk run")
        dialogs.show_info(
            self,
            self.tr("Bulk cancel is busy"),
            self.tr("Wait for {what} to finish, or stop it, before starting another.").format(
                what=what
            ),
        )
        return True

    # -- starting ---------------------------------------------------------------------------

    @Slot()
    def choose_file(self) -> None:
        if self._refuse_busy():
            return
        path = dialogs.open_bulk_file(self)
        if path:
            self.start_file(Path(path))

    def start_file(self, path: Path) -> bool:
        """A dry run of the IDs in a CSV, TSV or text file."""
        return self._start_dry_run(path, str(path))

    def start_ids(self, ids: Sequence[str], label: str) -> bool:
        """A dry run of IDs picked elsewhere (the selection in Search)."""
        return self._start_dry_run(list(ids), label)

    def _start_dry_run(self, source: Path | list[str], label: str) -> bool:
        if self._refuse_busy():
            return False
        if not self._jobs.connected():
            self.start_page.show_error(
                self.tr("Not connected: open Settings (Ctrl+,) to add a profile.")
            )
            self.pages.setCurrentWidget(self.start_page)
            return False
        self.start_page.show_error("")
        self.error = None
        self.dry = None
        self.job = None
        self.progress = None
        self.model.clear()
        self.checking_title.setText(self.tr("Dry run: reading the transactions…"))
        self.checking_bar.setRange(0, 0)
        self.checking_label.setText(
            self.tr("Each transaction is read to see whether it can be cancelled. Nothing is sent.")
        )
        self.checking_stop.setEnabled(True)
        self.pages.setCurrentWidget(self.checking_page)
        self._set_state("checking")
        job = self._jobs.start(
            "dry-run",
            dry_run_work(source, label),
            progressed=self._on_dry_progress,
            succeeded=self._on_dry_done,
            failed=self._on_failed,
            paint_first=self,
        )
        if job is None:  # shutting down
            return False
        self._job = job
        return True

    def _current(self, job_id: int) -> bool:
        return self._job is not None and self._job.job_id == job_id

    @Slot(int, object)
    def _on_dry_progress(self, job_id: int, value: object) -> None:
        if not self._current(job_id) or not isinstance(value, DryRunProgress):
            return
        self.checking_page.show_progress(value.done, value.total)

    @Slot(int, object)
    def _on_dry_done(self, job_id: int, value: object) -> None:
        if not self._current(job_id) or not isinstance(value, DryRunDone):
            return
        self._job = None
        if value.stopped:
            self._set_state("start")
            self.pages.setCurrentWidget(self.start_page)
            self.start_page.show_error(self.tr("The dry run was stopped; nothing was sent."))
            return
        self.show_plan(value.dry, value.source)

    @Slot(int, object)
    def _on_failed(self, job_id: int, error: object) -> None:
        if not self._current(job_id):
            return
        self._job = None
        self._control = None
        view = error if isinstance(error, ErrorView) else ErrorView("internal", str(error), "")
        self.error = view
        title = view.title
        detail = " ".join(
            part
            for part in (
                view.explanation,
                f"({view.code})" if view.code else "",
                view.next_step or "",
            )
            if part
        )
        if self.state == "checking":
            self._set_state("start")
            self.pages.setCurrentWidget(self.start_page)
            self.start_page.show_error(f"{title} {detail}".strip())
            return
        # The run ended early: what was sent stands; the rest can be resumed.
        self._set_state("done")
        self.banner.show_result(
            theme.StatusLook(title, "cross", "#b42318", "#f97066", ""),
            self.tr("The bulk run stopped: {title}").format(title=title),
            detail,
        )
        self.resume_button.setVisible(self.job is not None)
        self.done_note.setText(self.tr("Resume sends what is left; none is sent twice."))
        self.panels.setCurrentWidget(self.done_panel)
        if self.progress is not None:
            self.run_finished.emit(self.progress)

    # -- the plan ---------------------------------------------------------------------------

    def show_plan(self, dry: DryRun, source: str) -> None:
        self.dry = dry
        self._job_environment = self._environment()
        endpoint = self._job_environment[1]
        self.env_badge.set_environment(dry.environment, endpoint)
        self.title.setText(
            self.tr("Dry run #{job}: {n} to cancel, nothing sent yet").format(
                job=dry.job_id, n=f"{dry.cancellable:,}"
            )
        )
        self.source_label.setText(
            self.tr("From {source} · {lines} line(s) read on {env}", "", len(dry.items)).format(
                source=source, lines=f"{len(dry.items):,}", env=dry.environment
            )
        )
        self.plan_panel.fill_summary(dry)
        self.plan_panel.show_invalid(dry.items)
        self.model.set_rows(dry.items)
        self._show_columns(plan=True)
        self.plan_rate.setValue(DEFAULT_RATE)
        can = dry.cancellable > 0
        self.confirm_button.setEnabled(can)
        self.confirm_button.setText(
            self.tr("Cancel {n} transaction(s)…", "", dry.cancellable).format(
                n=f"{dry.cancellable:,}"
            )
            if can
            else self.tr("Nothing to cancel")
        )
        self.confirm_button.setDefault(False)
        self.plan_note.setText(
            self.tr("Asks for a reason and your confirmation first.")
            if can
            else self.tr("No line names a Reserved or Pending transaction.")
        )
        self._rows_in_a_later_frame()
        self.panels.setCurrentWidget(self.plan_panel)
        self.pages.setCurrentWidget(self.job_page)
        self._set_state("plan")

    def _rows_in_a_later_frame(self) -> None:
        """The page is painted first, the table's rows after it (fpsdesk/ui/rows_later.py):
        the two in one frame took 10-15 ms of the GUI thread at 1440x900, and a frame at
        60 Hz is 16."""
        self._rows_later.hold()

    def _show_columns(self, *, plan: bool) -> None:
        if plan != self._planning:
            self.model.forget_cells()  # the Message column says what will happen, or did
        self._planning = plan
        for column in PLAN_HIDDEN:
            self.table.setColumnHidden(column, plan)
        for column in RUN_HIDDEN:
            self.table.setColumnHidden(column, not plan)

    @Slot()
    def start_over(self) -> None:
        if self._job is not None:
            return
        self.dry = None
        self.job = None
        self.progress = None
        self.model.clear()
        self._set_state("start")
        self.pages.setCurrentWidget(self.start_page)
        self.start_page.show_error("")
        self.check_unfinished(offer=False)

    @Slot()
    def stop(self) -> None:
        """Stop the dry run, or the run after the Cancel in flight (it can be resumed)."""
        job = self._job
        if job is None:
            return
        job.stop()
        if self.state == "checking":
            self.checking_stop.setEnabled(False)
            self.checking_label.setText(self.tr("Stopping…"))
            return
        self._set_state("stopping")
        self.run_panel.stopping()

    def shutdown(self) -> None:
        """The window closes: stop what runs (JobHost.shutdown waits for it)."""
        if self._job is not None:
            self._job.stop()
        self._unfinished.stop()

    # -- unfinished runs --------------------------------------------------------------------

    def check_unfinished(self, *, offer: bool = True) -> None:
        """Look for this environment's unfinished runs; list them, and (``offer``) ask once
        about each whether to resume it now."""
        running = self.job.id if self.job is not None and self._job is not None else None
        self._unfinished.check(offer=offer, running=running)

    def show_unfinished(self, runs: tuple[Unfinished, ...], *, offer: bool) -> None:
        self._unfinished.show(runs, offer=offer)

    @property
    def unfinished(self) -> tuple[Unfinished, ...]:
        return self._unfinished.runs

    def _may_offer(self) -> bool:
        return self._job is None and self.state in ("start", "done")

    @Slot(int)
    def _offer_taken(self, job_id: int) -> None:
        self.resume_requested.emit()
        self.resume(job_id)

    def resume_buttons(self) -> list[QPushButton]:
        return self.start_page.resume_buttons()

    # -- the table --------------------------------------------------------------------------

    @Slot()
    def _open_index(self, index: Any) -> None:
        if index.isValid():
            txn = self.model.row(index.row()).transaction_id
            if txn:
                self.open_transaction.emit(txn)

    @Slot()
    def export(self) -> None:
        job_id = self.job.id if self.job is not None else (self.dry.job_id if self.dry else 0)
        rows = self.model.rows()

        def write(path: Path) -> int:
            write_items_csv(path, rows)
            return len(rows)

        dialogs.export_csv(self, f"fpsdesk-bulk-{job_id}.csv", write, "bulk items")
