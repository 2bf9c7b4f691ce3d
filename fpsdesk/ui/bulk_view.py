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

from PySide6.QtCore import Qt, QTimer, Signal, Slot
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
from fpsdesk.store.bulk import CANCELLABLE, DONE, INVALID_LINE, BulkItem, BulkJob
from fpsdesk.ui import dialogs, theme
from fpsdesk.ui.bulk_jobs import (
    DEFAULT_RATE,
    DryRunDone,
    DryRunProgress,
    RunDone,
    RunPaused,
    RunSnapshot,
    RunUpdate,
    Unfinished,
    dry_run_work,
    make_control,
    run_work,
    unfinished_work,
)
from fpsdesk.ui.bulk_panels import (
    CheckingPage,
    DonePanel,
    OneOf,
    PlanPanel,
    RunPanel,
    StartPage,
    heading,
    muted,
)
from fpsdesk.ui.bulk_text import (
    PLAN_HIDDEN,
    RUN_HIDDEN,
    amounts_text,
    eta_text,
    item_columns,
    write_items_csv,
)
from fpsdesk.ui.row_model import RowModel, make_view
from fpsdesk.ui.widgets import EnvironmentBadge, format_time

if TYPE_CHECKING:
    from fpsdesk.desk.bulk import DryRun
    from fpsdesk.desk.bulk_control import BulkControl
    from fpsdesk.ui.jobs import Job, JobHost

__all__ = ["BulkView", "RunSnapshot", "unfinished_work"]

log = logging.getLogger(__name__)

# A new page is painted first and the table's rows a moment later, in a frame of their own:
# both at once took up to 15 ms at 1440x900 (the rows alone 6-8), and a frame at 60 Hz is 16.
ROWS_LATER_MS = 15
INVALID_SHOWN = 3  # lines without a usable ID listed above the table; the rest are in it


class BulkView(QWidget):
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
        self._check: Job | None = None  # the look for unfinished runs
        self._control: BulkControl | None = None
        self._offered: set[int] = set()  # unfinished runs already offered (never twice)
        self.state = "start"  # start | checking | plan | running | paused | stopping | done
        self.dry: DryRun | None = None
        self.job: BulkJob | None = None
        self.progress: RunSnapshot | None = None
        self.error: ErrorView | None = None
        self.unfinished: tuple[Unfinished, ...] = ()
        self._job_environment = ("", "")
        self._run_job_id = 0
        self._offer = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)
        self._build_start()
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
        self.checking_title.setText(
            self.tr("Dry run: reading {n} transaction(s)…", "", value.total).format(
                n=f"{value.total:,}"
            )
        )
        self.checking_bar.setRange(0, max(1, value.total))
        self.checking_bar.setValue(value.done)
        self.checking_label.setText(
            self.tr("Read {done} of {total}. Nothing is sent.").format(
                done=f"{value.done:,}", total=f"{value.total:,}"
            )
        )

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
        self._fill_invalid(dry.items)
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
        viewport = self.table.viewport()
        if not self.isVisible() or not viewport.updatesEnabled():
            return
        viewport.setUpdatesEnabled(False)
        QTimer.singleShot(ROWS_LATER_MS, viewport, lambda: viewport.setUpdatesEnabled(True))

    def _fill_invalid(self, items: Sequence[BulkItem]) -> None:
        bad = [i for i in items if i.klass == INVALID_LINE]
        if not bad:
            self.invalid_label.hide()
            return
        lines = [
            self.tr("Line {n}: {why}: {text}").format(
                n=i.line_no, why=i.message or "", text=(i.line or "")[:80]
            )
            for i in bad[:INVALID_SHOWN]
        ]
        if len(bad) > INVALID_SHOWN:
            lines.append(
                self.tr("…and {n} more (sort the table by Dry run).").format(
                    n=len(bad) - INVALID_SHOWN
                )
            )
        heading = self.tr("{n} line(s) without a usable transaction ID:", "", len(bad)).format(
            n=len(bad)
        )
        self.invalid_label.setText("\n".join([heading, *lines]))
        self.invalid_label.show()

    def _show_columns(self, *, plan: bool) -> None:
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

    # -- confirming and running -------------------------------------------------------------

    @Slot()
    def confirm(self) -> bool:
        """Ask for the reason and the confirmation, then run. False if not started."""
        dry = self.dry
        if dry is None or self._job is not None or dry.cancellable == 0:
            return False
        endpoint = self._job_environment[1]
        prompt = dialogs.BulkPrompt(
            count=dry.cancellable,
            environment=dry.environment,
            endpoint=endpoint,
            amounts=amounts_text(dry.summary[CANCELLABLE]),
            needs_count_typed=dry.needs_count_typed,
            job_id=dry.job_id,
            source=self.source_label.text(),
            reason_codes=self._reason_codes(),
        )
        choice = dialogs.confirm_bulk_cancel(self, prompt)
        if choice is None:
            return False
        return self._run(
            dry.job_id,
            choice.comment,
            set_reason=True,
            rate=self.plan_rate.value(),
            shown=True,
            reason_code=choice.code,
        )

    def resume(self, job_id: int) -> bool:
        """Resume a stopped run of this environment (asks first in Production above 20)."""
        if self._refuse_busy():
            return False
        found = next((u for u in self.unfinished if u.job.id == job_id), None)
        job = found.job if found is not None else self.job
        left = found.left if found is not None else self._left()
        if job is None or job.id != job_id:
            return False
        if job.environment == "Production" and left > 20:
            prompt = dialogs.BulkPrompt(
                count=left,
                environment=job.environment,
                endpoint=job.endpoint,
                amounts="",
                needs_count_typed=True,
                job_id=job.id,
                source=job.source,
                ask_reason=False,
                resume=True,
            )
            if dialogs.confirm_bulk_cancel(self, prompt) is None:
                return False
        self.env_badge.set_environment(job.environment, job.endpoint)
        self.source_label.setText(
            self.tr("From {source} · started {when} by {who}").format(
                source=job.source, when=format_time(job.created_at), who=job.operator
            )
        )
        # The table shows this job's items already (Resume on its results): no reload.
        shown = self.model.rowCount() > 0 and self.model.row(0).job_id == job.id
        self.job = job
        return self._run(job.id, None, set_reason=False, rate=self.run_rate.value(), shown=shown)

    def _left(self) -> int:
        return sum(1 for i in self.model.rows() if i.klass == CANCELLABLE and i.state != DONE)

    def _run(
        self,
        job_id: int,
        reason: str | None,
        *,
        set_reason: bool,
        rate: float,
        shown: bool,
        reason_code: str | None = None,
    ) -> bool:
        control = make_control(rate)
        self.error = None
        self.progress = None
        self.run_rate.blockSignals(True)
        self.run_rate.setValue(rate)
        self.run_rate.blockSignals(False)
        self.rate_note.setText("")
        self.title.setText(self.tr("Bulk run #{job}: starting…").format(job=job_id))
        self.run_label.setText(self.tr("Starting…"))
        # Zero counts, not an empty line: the first report then changes only text, never the
        # page's layout (a layout change repaints the whole table while the run starts).
        self.counts_label.setText(self._counts(RunSnapshot(total=0)))
        self.run_bar.setRange(0, 0)
        self.pause_button.setText(self.tr("Pause"))
        self.pause_button.setEnabled(True)
        self.stop_button.setEnabled(True)
        self._show_columns(plan=False)
        self._rows_in_a_later_frame()
        self.panels.setCurrentWidget(self.run_panel)
        self.pages.setCurrentWidget(self.job_page)
        self._run_job_id = job_id
        self._set_state("running")
        job = self._jobs.start(
            "bulk-run",
            run_work(
                job_id,
                control,
                reason,
                set_reason=set_reason,
                shown=shown,
                reason_code=reason_code,
            ),
            progressed=self._on_run_progress,
            succeeded=self._on_run_done,
            failed=self._on_failed,
            stoppers=(control.stop,),
            paint_first=self,
        )
        if job is None:  # shutting down
            return False
        self._job = job
        self._control = control
        return True

    @Slot(float)
    def _on_rate_changed(self, value: float) -> None:
        if self._control is not None:
            self._control.rate = value
            self.rate_note.setText("")

    @Slot()
    def toggle_pause(self) -> None:
        control = self._control
        if control is None or self.state not in ("running", "paused"):
            return
        if self.state == "running":
            control.pause()
            self._set_state("paused")
            self.pause_button.setText(self.tr("Resume"))
            self.pause_button.setToolTip(self.tr("Go on sending Cancels"))
            self.run_label.setText(self.tr("Pausing after the Cancel being sent now…"))
        else:
            control.resume()
            self._set_state("running")
            self.pause_button.setText(self.tr("Pause"))
            self.pause_button.setToolTip(self.tr("Pause after the Cancel being sent now"))
            self._show_progress()

    @property
    def paused(self) -> bool:
        return self.state == "paused"

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
        self.pause_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        self.run_label.setText(self.tr("Stopping after the Cancel being sent now…"))

    def shutdown(self) -> None:
        """The window closes: stop what runs (JobHost.shutdown waits for it)."""
        for job in (self._job, self._check):
            if job is not None:
                job.stop()

    def _done_text(self) -> str:
        return f"{self.progress.done:,}" if self.progress is not None else "0"

    def _total_text(self) -> str:
        return f"{self.progress.total:,}" if self.progress is not None else "?"

    @Slot(int, object)
    def _on_run_progress(self, job_id: int, value: object) -> None:
        if not self._current(job_id):
            return
        if isinstance(value, RunPaused):
            if self.state == "paused":
                self.run_label.setText(
                    self.tr("Paused after {done} of {total}: nothing is being sent.").format(
                        done=self._done_text(), total=self._total_text()
                    )
                )
            return
        if not isinstance(value, RunUpdate):
            return
        if value.first:
            if value.job is not None:
                self.job = value.job
            if value.items:
                self._show_items(value.items)
            self.progress = value.progress
        else:
            self.model.replace(value.items)
            if value.progress is not None:
                self.progress = value.progress
        self._show_progress()

    def _show_items(self, items: Sequence[BulkItem]) -> None:
        """The run's items: changed in place when the table already shows them (no reset:
        the scroll position and the selection stay, and only visible rows repaint)."""
        model = self.model
        if model.rowCount() == len(items) and all(model.position(i.seq) is not None for i in items):
            model.replace(items)
        else:
            model.set_rows(items)

    def _show_progress(self) -> None:
        p = self.progress
        if p is None:
            return
        job_id = self.job.id if self.job is not None else self._run_job_id
        self.title.setText(
            self.tr("Bulk run #{job}: cancelling {n} transaction(s)", "", p.total).format(
                job=job_id, n=f"{p.total:,}"
            )
        )
        self.run_bar.setRange(0, max(1, p.total))
        self.run_bar.setValue(p.done)
        self.counts_label.setText(self._counts(p))
        if p.rate < self.run_rate.value() - 1e-9:
            self.run_rate.blockSignals(True)
            self.run_rate.setValue(p.rate)
            self.run_rate.blockSignals(False)
            self.rate_note.setText(
                self.tr("FPS asked to slow down ({n}×): the rate was lowered.").format(n=p.slowed)
            )
        if self.state == "running":
            left = eta_text(p.eta_seconds)
            self.run_label.setText(
                self.tr("{done} of {total} done · {left} at {rate:.1f} per second").format(
                    done=f"{p.done:,}", total=f"{p.total:,}", left=left, rate=p.rate
                )
            )

    def _counts(self, p: RunSnapshot) -> str:
        return self.tr(
            "Cancelled {ok} · Not cancelled {no} · Outcome unknown {unknown} · Not sent {unsent}"
        ).format(
            ok=f"{p.succeeded:,}",
            no=f"{p.not_cancelled:,}",
            unknown=f"{p.unknown:,}",
            unsent=f"{p.not_sent:,}",
        )

    @Slot(int, object)
    def _on_run_done(self, job_id: int, value: object) -> None:
        if not self._current(job_id) or not isinstance(value, RunDone):
            return
        self._job = None
        self._control = None
        self.job = value.job or self.job
        self.progress = value.progress
        if value.items:
            self._show_items(value.items)
        self._show_results(value.progress)
        self._set_state("done")
        self.run_finished.emit(value.progress)

    def _show_results(self, p: RunSnapshot) -> None:
        job_id = self.job.id if self.job is not None else self._run_job_id
        skipped = sum(1 for i in self.model.rows() if i.klass != CANCELLABLE)
        if p.stopped:
            look = theme.StatusLook("", "hold", "#9a5b00", "#f0b43c", "")
            headline = self.tr("Bulk run #{job} stopped: {done} of {total} done").format(
                job=job_id, done=f"{p.done:,}", total=f"{p.total:,}"
            )
        elif p.not_cancelled or p.unknown or p.not_sent:
            look = theme.outcome_look("unknown")
            headline = self.tr("Bulk run #{job} finished: {ok} of {total} cancelled").format(
                job=job_id, ok=f"{p.succeeded:,}", total=f"{p.total:,}"
            )
        else:
            look = theme.StatusLook("", "check", "#1a7f37", "#5cc971", "")
            headline = self.tr("Bulk run #{job} finished: all {total} cancelled").format(
                job=job_id, total=f"{p.total:,}"
            )
        detail = self._counts(p)
        if skipped:
            detail += self.tr(" · {n} line(s) skipped in the dry run", "", skipped).format(
                n=f"{skipped:,}"
            )
        notes = []
        if p.stopped:
            notes.append(
                self.tr("Resume sends the {n} left; none is sent twice.").format(
                    n=f"{p.total - p.done:,}"
                )
            )
        if p.unknown:
            notes.append(
                self.tr(
                    "Unknown outcomes may still take effect: fpsdesk keeps checking them "
                    "(see Results)."
                )
            )
        if p.slowed:
            notes.append(self.tr("FPS slowed the run down {n}×.").format(n=p.slowed))
        if notes:
            detail += "\n" + " ".join(notes)
        self.banner.show_result(look, headline, detail)
        self.title.setText(self.tr("Bulk run #{job}: results").format(job=job_id))
        self.resume_button.setVisible(p.stopped)
        self.done_note.setText("")
        self._show_columns(plan=False)
        self._rows_in_a_later_frame()
        self.panels.setCurrentWidget(self.done_panel)

    @Slot()
    def _resume_shown(self) -> None:
        if self.job is not None:
            self.resume(self.job.id)

    # -- unfinished runs --------------------------------------------------------------------

    def check_unfinished(self, *, offer: bool = True) -> None:
        """Look for this environment's unfinished runs; list them, and (``offer``) ask once
        about each whether to resume it now."""
        if self._jobs.closed or not self._jobs.connected():
            return
        if self._check is not None:
            self._check.stop()
        endpoint = self._environment()[1]
        if not endpoint:
            return
        running = self.job.id if self.job is not None and self._job is not None else None
        self._offer = offer
        self._check = self._jobs.start(
            "unfinished-runs",
            unfinished_work(endpoint, running),
            succeeded=self._on_unfinished,
            failed=self._on_unfinished_failed,
        )

    @Slot(int, object)
    def _on_unfinished_failed(self, job_id: int, error: object) -> None:
        if self._check is not None and self._check.job_id == job_id:
            self._check = None
            log.warning("could not look for unfinished bulk runs: %s", error)

    @Slot(int, object)
    def _on_unfinished(self, job_id: int, value: object) -> None:
        if self._check is None or self._check.job_id != job_id:
            return
        self._check = None
        self.show_unfinished(tuple(value) if isinstance(value, tuple) else (), offer=self._offer)

    def show_unfinished(self, runs: tuple[Unfinished, ...], *, offer: bool) -> None:
        """List unfinished runs on the start page; ``offer``: ask once about each (one
        question at a time) whether to resume it now."""
        self.unfinished = runs
        self._fill_unfinished()
        if not offer or self._job is not None or self.state not in ("start", "done"):
            return
        for run in self.unfinished:
            if run.job.id in self._offered:
                continue
            self._offered.add(run.job.id)
            if dialogs.offer_resume_bulk(
                self.window(),
                self.tr(
                    "Bulk run #{job} on {env} has {left} of {total} Cancels left to send."
                ).format(
                    job=run.job.id,
                    env=run.job.environment,
                    left=f"{run.left:,}",
                    total=f"{run.total:,}",
                ),
                self.tr(
                    "Started {when} by {who}, from {source}. Resuming sends only what is left; "
                    "none is sent twice. You can also resume it later from Bulk cancel."
                ).format(
                    when=format_time(run.job.created_at),
                    who=run.job.operator,
                    source=run.job.source,
                ),
            ):
                self.resume_requested.emit()
                self.resume(run.job.id)
            break  # one question at a time; the others stay listed on the start page

    def _fill_unfinished(self) -> None:
        self.start_page.show_unfinished(self.unfinished, self._resume_clicked)

    @Slot()
    def _resume_clicked(self) -> None:
        button = self.sender()
        job_id = button.property("job_id") if isinstance(button, QPushButton) else None
        if isinstance(job_id, int):
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
