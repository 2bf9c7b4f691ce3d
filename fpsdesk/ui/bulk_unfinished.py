"""Unfinished bulk runs of the environment in use: looked for on a job thread, listed on the
Bulk cancel start page with a Resume button each, and each offered once (one question at a
time) when the app starts or the connection changes. Resuming itself is the view's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QPushButton, QWidget

from fpsdesk.ui import dialogs
from fpsdesk.ui.bulk_jobs import Unfinished, unfinished_work
from fpsdesk.ui.widgets import format_time

if TYPE_CHECKING:
    from fpsdesk.ui.bulk_panels import StartPage
    from fpsdesk.ui.jobs import Job, JobHost

log = logging.getLogger(__name__)


class UnfinishedRuns(QObject):
    """The start page's list of unfinished runs and the offers to resume them."""

    resume = Signal(int)  # a run's Resume button was clicked: its job id
    offer_taken = Signal(int)  # the agent said yes to resuming this run now

    def __init__(
        self,
        jobs: JobHost,
        environment: Callable[[], tuple[str, str]],
        page: StartPage,
        may_offer: Callable[[], bool],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._environment = environment
        self._page = page
        self._may_offer = may_offer  # no question while a dry run or a run is on screen
        self._parent = parent
        self._check: Job | None = None
        self._offer = False
        self._offered: set[int] = set()  # never asked twice about the same run
        self.runs: tuple[Unfinished, ...] = ()

    def check(self, *, offer: bool, running: int | None) -> None:
        """Look again (``running``: the run in flight, not unfinished); ``offer``: ask."""
        if self._jobs.closed or not self._jobs.connected():
            return
        self.stop()
        endpoint = self._environment()[1]
        if not endpoint:
            return
        self._offer = offer
        self._check = self._jobs.start(
            "unfinished-runs",
            unfinished_work(endpoint, running),
            succeeded=self._found,
            failed=self._failed,
        )

    def stop(self) -> None:
        if self._check is not None:
            self._check.stop()

    @Slot(int, object)
    def _failed(self, job_id: int, error: object) -> None:
        if self._check is not None and self._check.job_id == job_id:
            self._check = None
            log.warning("could not look for unfinished bulk runs: %s", error)

    @Slot(int, object)
    def _found(self, job_id: int, value: object) -> None:
        if self._check is None or self._check.job_id != job_id:
            return
        self._check = None
        self.show(tuple(value) if isinstance(value, tuple) else (), offer=self._offer)

    def show(self, runs: tuple[Unfinished, ...], *, offer: bool) -> None:
        """List the runs; ``offer``: ask once about each (one question at a time) whether to
        resume it now."""
        self.runs = runs
        self._page.show_unfinished(runs, self._resume_clicked)
        if not offer or not self._may_offer():
            return
        for run in runs:
            if run.job.id in self._offered:
                continue
            self._offered.add(run.job.id)
            if dialogs.offer_resume_bulk(
                self._parent.window(),
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
                self.offer_taken.emit(run.job.id)
            break  # one question at a time; the others stay listed on the start page

    @Slot()
    def _resume_clicked(self) -> None:
        button = self.sender()
        job_id = button.property("job_id") if isinstance(button, QPushButton) else None
        if isinstance(job_id, int):
            self.resume.emit(job_id)
