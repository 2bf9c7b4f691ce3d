"""What the Bulk cancel view runs on its job threads, and the plain values that come back.

Each function returns the work for one job (fpsdesk/ui/jobs.py); the rules are the desk's
(fpsdesk/desk/bulk.py). Only frozen dataclasses cross back to the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fpsdesk.store.bulk import (
    CANCELLABLE,
    DONE,
    BulkItem,
    BulkJob,
)

if TYPE_CHECKING:
    from fpsdesk.desk.bulk import DryRun, RunProgress
    from fpsdesk.desk.bulk_control import BulkControl
    from fpsdesk.ui.jobs import JobContext

DEFAULT_RATE = 2.0
# The dry run reads several transactions at once. Against FPS the readers mostly wait on the
# network; against a sandbox on this computer (``--sandbox`` runs it inside the app, where its
# threads need the same interpreter lock as the window) fewer readers keep the window fluid and
# finish as fast (benchmarks/bench_bulk_ui.py).
DRY_RUN_READERS = 6
LOCAL_DRY_RUN_READERS = 3

# -- plain values that cross from the job threads ------------------------------------------


@dataclass(frozen=True)
class DryRunProgress:
    done: int
    total: int


@dataclass(frozen=True)
class DryRunDone:
    dry: DryRun
    stopped: bool
    source: str


@dataclass(frozen=True)
class RunSnapshot:
    """A copy of the desk's RunProgress (which the run thread keeps changing)."""

    total: int
    done: int = 0
    succeeded: int = 0
    not_cancelled: int = 0
    unknown: int = 0
    not_sent: int = 0
    rate: float = DEFAULT_RATE
    slowed: int = 0
    eta_seconds: float | None = None
    stopped: bool = False
    finished: bool = False

    @classmethod
    def of(cls, p: RunProgress) -> RunSnapshot:
        return cls(
            total=p.total,
            done=p.done,
            succeeded=p.succeeded,
            not_cancelled=p.not_cancelled,
            unknown=p.unknown,
            not_sent=p.not_sent,
            rate=p.rate,
            slowed=p.slowed,
            eta_seconds=p.eta_seconds,
            stopped=p.stopped,
            finished=p.finished,
        )


@dataclass(frozen=True)
class RunUpdate:
    """Items finished since the last report (all items in the first), and the progress."""

    items: tuple[BulkItem, ...]
    progress: RunSnapshot | None
    first: bool = False
    job: BulkJob | None = None


@dataclass(frozen=True)
class RunPaused:
    """The run is paused and waits: nothing is in flight (what finished was reported)."""


@dataclass(frozen=True)
class RunDone:
    job: BulkJob | None
    items: tuple[BulkItem, ...]
    progress: RunSnapshot


@dataclass(frozen=True)
class Unfinished:
    job: BulkJob
    left: int  # cancellable items not done yet
    total: int  # cancellable items


# -- the jobs --------------------------------------------------------------------------------


def make_control(rate: float) -> BulkControl:
    """A BulkControl whose run reports what it finished before it waits while paused (else
    the last Cancels before a pause would show only after the resume)."""
    import time

    from fpsdesk.desk.bulk_control import BulkControl

    class ReportingControl(BulkControl):
        idle: Callable[[], None] | None = None

        def wait(self, seconds: float) -> bool:
            deadline = time.monotonic() + max(0.0, seconds)
            while True:
                if self.paused and self.idle is not None:
                    self.idle()
                if super().wait(0):  # returns at once, unless paused: then until resumed
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                # Short steps: a pause or a stop pressed meanwhile is noticed within 50 ms.
                time.sleep(min(left, 0.05))

    return ReportingControl(rate=rate)


def dry_run_work(source: Path | Sequence[str], label: str) -> Callable[[JobContext], object]:
    """Read the file (or the IDs) and classify every line; record the job; send nothing."""

    def work(ctx: JobContext) -> DryRunDone:
        from fpsdesk.desk.bulk import BulkDesk
        from fpsdesk.desk.bulk_input import read_file, read_lines
        from fpsdesk.store.actions import ActionStore
        from fpsdesk.store.bulk import BulkStore

        if isinstance(source, Path):
            lines = read_file(source)
            where = str(source.resolve())
        else:
            lines = read_lines("\n".join(source))
            where = label
        wanted = sum(1 for line in lines if line.transaction_id)
        ctx.report(DryRunProgress(0, wanted))
        conn = ctx.database()
        from fpsdesk.fps.endpoints import environment_of

        client = ctx.client()
        local = environment_of(client.endpoint) == "Local sandbox"
        readers = LOCAL_DRY_RUN_READERS if local else DRY_RUN_READERS
        desk = BulkDesk(client, ActionStore(conn), BulkStore(conn), readers=readers)

        def on_progress(done: int, total: int) -> None:
            if done == total or ctx.due():
                ctx.report(DryRunProgress(done, total))

        dry = desk.dry_run(lines, source=where, on_progress=on_progress, stop=ctx.stop)
        return DryRunDone(dry, ctx.stop.is_set(), where)

    return work


def run_work(
    job_id: int,
    control: BulkControl,
    reason: str | None,
    *,
    set_reason: bool,
    shown: bool,
    reason_code: str | None = None,
) -> Callable[[JobContext], object]:
    """Send the job's Cancels (what is left of them), reporting finished items in batches.

    ``shown``: the view already shows the job's items (a run right after its dry run), so the
    first report carries only the counts; a resumed run sends them all first."""

    def work(ctx: JobContext) -> RunDone:
        from fpsdesk.desk.bulk import BulkDesk
        from fpsdesk.store.actions import ActionStore
        from fpsdesk.store.bulk import BulkStore

        conn = ctx.database()
        jobs = BulkStore(conn)
        desk = BulkDesk(ctx.client(), ActionStore(conn), jobs)
        if set_reason:
            jobs.set_reason(job_id, reason or None, reason_code)
        # Counted in SQL, and the items read only when the view does not show them yet: a
        # 10,000-item burst of Python here held the interpreter while the window repainted.
        start = RunSnapshot.of(desk.progress_of(job_id, control.rate))
        items = () if shown else tuple(jobs.items(job_id))
        ctx.report(RunUpdate(items, start, first=True, job=jobs.job(job_id)))
        batch: list[BulkItem] = []
        last: list[RunProgress] = []

        def flush() -> None:
            if batch and last:
                ctx.report(RunUpdate(tuple(batch), RunSnapshot.of(last[0])))
                batch.clear()

        def on_item(item: BulkItem, progress: RunProgress) -> None:
            batch.append(item)
            last[:] = [progress]
            if control.paused or control.stopped or ctx.due():
                flush()

        def idle() -> None:
            flush()
            ctx.report(RunPaused())

        control.idle = idle  # type: ignore[attr-defined]
        try:
            progress = desk.run(job_id, control=control, on_item=on_item)
        finally:
            flush()  # every finished item has been reported: the view is up to date
        return RunDone(jobs.job(job_id), (), RunSnapshot.of(progress))

    return work


def unfinished_work(endpoint: str, running: int | None) -> Callable[[JobContext], object]:
    """This environment's bulk runs that stopped (or crashed) with Cancels left to send."""

    def work(ctx: JobContext) -> tuple[Unfinished, ...]:
        from fpsdesk.fps.endpoints import environment_key
        from fpsdesk.store.bulk import BulkStore

        jobs = BulkStore(ctx.database())
        key = environment_key(endpoint)
        found = []
        for job in jobs.jobs(unfinished=True):
            if job.id == running or environment_key(job.endpoint) != key:
                continue
            tally = jobs.tally(job.id, CANCELLABLE)
            total = sum(count for _, _, count in tally)
            left = sum(count for state, _, count in tally if state != DONE)
            if left:
                found.append(Unfinished(job, left, total))
        return tuple(found)

    return work
