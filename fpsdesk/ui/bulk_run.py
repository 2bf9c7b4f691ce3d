"""The Bulk cancel view's run: confirming a dry run's plan, resuming a stopped run, sending
at a rate the agent can change, pausing, and showing progress and then the results.

``RunSteps`` is the base class of ``BulkView`` (fpsdesk/ui/bulk_view.py), not a widget of its
own: the plan, the run and the results share one page, one items table and one state, so the
run's steps live apart from the pages only to keep each file readable. The view builds every
widget and attribute declared below. The rules are
fpsdesk/desk/bulk.py's; the job is fpsdesk/ui/bulk_jobs.py's ``run_work``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QWidget

from fpsdesk.store.bulk import CANCELLABLE, DONE, BulkItem
from fpsdesk.ui import dialogs
from fpsdesk.ui.bulk_jobs import RunDone, RunPaused, RunSnapshot, RunUpdate, make_control, run_work
from fpsdesk.ui.bulk_text import amounts_text
from fpsdesk.ui.prompts import BulkPrompt
from fpsdesk.ui.widgets import format_time

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QStackedWidget

    from fpsdesk.desk.bulk import DryRun
    from fpsdesk.desk.bulk_control import BulkControl
    from fpsdesk.desk.replies import ErrorView
    from fpsdesk.records.reasons import ReasonCode
    from fpsdesk.store.bulk import BulkJob
    from fpsdesk.ui.bulk_jobs import Unfinished
    from fpsdesk.ui.bulk_panels import OneOf
    from fpsdesk.ui.bulk_run_panels import DonePanel, RunPanel
    from fpsdesk.ui.jobs import Job, JobHost
    from fpsdesk.ui.row_model import RowModel
    from fpsdesk.ui.widgets import EnvironmentBadge


class RunSteps(QWidget):
    """Confirm, resume, send, pause and show a bulk run (see the module docstring)."""

    # Built by BulkView.
    _jobs: JobHost
    _job: Job | None
    _control: BulkControl | None
    _reason_codes: Callable[[], tuple[ReasonCode, ...]]
    _job_environment: tuple[str, str]
    _run_job_id: int
    state: str
    dry: DryRun | None
    job: BulkJob | None
    progress: RunSnapshot | None
    error: ErrorView | None
    run_finished: SignalInstance
    model: RowModel
    pages: QStackedWidget
    job_page: QWidget
    panels: OneOf
    run_panel: RunPanel
    done_panel: DonePanel
    title: QLabel
    source_label: QLabel
    env_badge: EnvironmentBadge
    plan_rate: QDoubleSpinBox
    run_rate: QDoubleSpinBox
    rate_note: QLabel

    @property
    def unfinished(self) -> tuple[Unfinished, ...]:
        raise NotImplementedError

    def _set_state(self, state: str) -> None:
        raise NotImplementedError

    def _refuse_busy(self) -> bool:
        raise NotImplementedError

    def _current(self, job_id: int) -> bool:
        raise NotImplementedError

    def _show_columns(self, *, plan: bool) -> None:
        raise NotImplementedError

    def _rows_in_a_later_frame(self) -> None:
        raise NotImplementedError

    def _on_failed(self, job_id: int, error: object) -> None:
        raise NotImplementedError

    @Slot()
    def confirm(self) -> bool:
        """Ask for the reason and the confirmation, then run. False if not started."""
        dry = self.dry
        if dry is None or self._job is not None or dry.cancellable == 0:
            return False
        endpoint = self._job_environment[1]
        prompt = BulkPrompt(
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
            prompt = BulkPrompt(
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
        self.title.setText(self.tr("Bulk run #{job}: starting…").format(job=job_id))
        self.run_panel.starting(rate)
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
            self.run_panel.pausing()
        else:
            control.resume()
            self._set_state("running")
            self.run_panel.resumed()
            self._show_progress()

    @property
    def paused(self) -> bool:
        return self.state == "paused"

    @Slot(int, object)
    def _on_run_progress(self, job_id: int, value: object) -> None:
        if not self._current(job_id):
            return
        if isinstance(value, RunPaused):
            if self.state == "paused":
                p = self.progress
                self.run_panel.paused(
                    f"{p.done:,}" if p is not None else "0",
                    f"{p.total:,}" if p is not None else "?",
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
        self.run_panel.show_progress(p, running=self.state == "running")

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
        self.done_panel.show_results(p, job_id, skipped)
        self.title.setText(self.tr("Bulk run #{job}: results").format(job=job_id))
        self._show_columns(plan=False)
        self._rows_in_a_later_frame()
        self.panels.setCurrentWidget(self.done_panel)

    @Slot()
    def _resume_shown(self) -> None:
        if self.job is not None:
            self.resume(self.job.id)
