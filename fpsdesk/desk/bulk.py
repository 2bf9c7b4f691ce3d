"""Cancelling many transactions at once: always a dry run first, then a throttled, resumable run.

1. **Read the input** (desk/bulk_input.py). IDs are found in any column of a CSV, TSV or
   plain-text file, the way the look-up field finds them in pasted text
   (fpsdesk.fps.ids.find_transaction_ids). A line with no ID (other than a first header line)
   or with two is reported with its number; a repeated ID is a duplicate.
2. **Dry run.** Each ID's transaction is read (several at once) and classified: cancellable;
   already cancelled; completed (refund instead); failed; unknown ID; invalid line; duplicate;
   could not read. Counts and amounts per class and currency. The job and its items are
   recorded (store/bulk.py) before anything is sent.
3. **Run.** Every cancellable item goes through the one cancel lifecycle (desk/cancel.py),
   throttled (default 2 per second, slower when FPS says RequestThrottled), with pause, resume
   and stop (desk/bulk_control.py). An item is marked ``sending`` before its Cancel starts and
   linked to its action as soon as that is recorded, so after a crash a resumed run adopts what
   was sent instead of sending it again; the lifecycle itself refuses a second Cancel while the
   first is unresolved. Unknown outcomes are settled like any other (desk/settle.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Protocol, TypeVar

from fpsdesk.desk.bulk_control import DEFAULT_RATE, BulkControl
from fpsdesk.desk.bulk_input import MAX_ITEMS, BulkInputError, InputLine
from fpsdesk.desk.cancel import (
    BeingCancelled,
    CancelDesk,
    EarlierCancelUnresolved,
    NotCancellable,
    NotRecorded,
)
from fpsdesk.desk.settle import CancelState, state_of
from fpsdesk.fps.endpoints import environment_of
from fpsdesk.fps.exceptions import FpsClientError, FpsError
from fpsdesk.fps.models import ActionResult, Amount, TransactionDetail, TransactionStatusResult
from fpsdesk.records.reasons import validate_code
from fpsdesk.store.actions import ActionStore, current_operator
from fpsdesk.store.bulk import (
    ALREADY_CANCELLED,
    CANCELLABLE,
    CLASSES,
    COMPLETED,
    DONE,
    DUPLICATE,
    FAILED,
    INVALID_LINE,
    JOB_DONE,
    JOB_RUNNING,
    JOB_STOPPED,
    SENDING,
    SKIPPED,
    TODO,
    UNKNOWN_ID,
    UNREADABLE,
    BulkItem,
    BulkJob,
    BulkStore,
)

log = logging.getLogger(__name__)
_J = TypeVar("_J")
_R = TypeVar("_R")

MIN_RATE = 0.1
PAGE = 200  # items a run reads from the history at a time
PRODUCTION_COUNT_CONFIRM_ABOVE = 20
DRY_RUN_READERS = 6
THROTTLE_RETRIES = 5


class BulkClient(Protocol):
    @property
    def endpoint(self) -> str: ...

    @property
    def deadline_seconds(self) -> float: ...

    def get_transaction(self, transaction_id: str) -> TransactionDetail: ...

    def get_transaction_status(self, transaction_id: str) -> TransactionStatusResult: ...

    def cancel(self, transaction_id: str, description: str | None = None) -> ActionResult: ...


@dataclass
class ClassSummary:
    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)  # per currency


@dataclass(frozen=True)
class DryRun:
    job_id: int
    environment: str
    items: list[BulkItem]
    summary: dict[str, ClassSummary]

    @property
    def cancellable(self) -> int:
        return self.summary[CANCELLABLE].count

    @property
    def needs_count_typed(self) -> bool:
        """Production and more than 20 to cancel: the agent types the number to confirm."""
        return (
            self.environment == "Production" and self.cancellable > PRODUCTION_COUNT_CONFIRM_ABOVE
        )


def summarize(items: Iterable[BulkItem]) -> dict[str, ClassSummary]:
    out = {klass: ClassSummary() for klass in CLASSES}
    for item in items:
        entry = out.setdefault(item.klass, ClassSummary())
        entry.count += 1
        if item.amount is not None and item.currency:
            entry.amounts[item.currency] = entry.amounts.get(item.currency, Decimal(0)) + Decimal(
                item.amount
            )
    return out


def _classify(detail: TransactionDetail) -> str:
    status = detail.transaction_status.value
    return {
        "Reserved": CANCELLABLE,
        "Pending": CANCELLABLE,
        "Cancelled": ALREADY_CANCELLED,
        "Success": COMPLETED,
        "Failure": FAILED,
    }.get(status, UNREADABLE)


@dataclass
class RunProgress:
    total: int  # cancellable items in the job
    done: int = 0
    succeeded: int = 0
    not_cancelled: int = 0
    unknown: int = 0
    not_sent: int = 0
    rate: float = DEFAULT_RATE
    slowed: int = 0
    started: float = field(default_factory=time.monotonic)
    stopped: bool = False
    finished: bool = False

    @property
    def eta_seconds(self) -> float | None:
        left = self.total - self.done
        if left <= 0:
            return 0.0
        return left / self.rate if self.rate > 0 else None


def _bounded_map(
    pool: ThreadPoolExecutor, fn: Callable[[_J], _R], jobs: Iterable[_J], *, ahead: int
) -> Iterator[_R]:
    """``pool.map`` (results in order) with at most ``ahead`` jobs submitted at a time:
    ``map`` submits every job at once, and 10,000 waiting futures were 10,000 sets of objects
    for each garbage collection to walk while the dry run read."""
    waiting: deque[Future[_R]] = deque()
    for job in jobs:
        waiting.append(pool.submit(fn, job))
        if len(waiting) >= ahead:
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


class BulkDesk:
    """Dry runs and runs of bulk cancels against one FPS."""

    def __init__(
        self,
        client: BulkClient,
        actions: ActionStore,
        jobs: BulkStore,
        *,
        readers: int = DRY_RUN_READERS,
    ) -> None:
        self._client = client
        self._actions = actions
        self._jobs = jobs
        self._readers = max(1, readers)

    @property
    def jobs(self) -> BulkStore:
        return self._jobs

    # -- dry run --------------------------------------------------------------------------

    def dry_run(
        self,
        lines: Sequence[InputLine],
        *,
        source: str,
        reason: str | None = None,
        reason_code: str | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        stop: threading.Event | None = None,
    ) -> DryRun:
        """Read and classify every line; record the job. Sends nothing."""
        if not lines:
            raise BulkInputError("No lines with a transaction ID to check.")
        if len(lines) > MAX_ITEMS:
            raise BulkInputError(f"At most {MAX_ITEMS:,} items in one run.")
        stop = stop or threading.Event()
        first_seen: dict[str, int] = {}
        pending: list[tuple[int, InputLine]] = []
        items: dict[int, BulkItem] = {}
        for seq, line in enumerate(lines):
            base = BulkItem(0, seq, line.line_no, line.text, line.transaction_id, "", None, None,
                            None, SKIPPED)  # fmt: skip
            if line.transaction_id is None:
                items[seq] = replace(base, klass=INVALID_LINE, message=line.problem)
            elif line.transaction_id in first_seen:
                items[seq] = replace(
                    base,
                    klass=DUPLICATE,
                    message=f"same as line {lines[first_seen[line.transaction_id]].line_no}",
                )
            else:
                first_seen[line.transaction_id] = seq
                pending.append((seq, line))
        done = 0
        lock = threading.Lock()

        def read(job: tuple[int, InputLine]) -> tuple[int, BulkItem]:
            nonlocal done
            seq, line = job
            txn = line.transaction_id
            assert txn is not None
            base = BulkItem(0, seq, line.line_no, line.text, txn, "", None, None, None, SKIPPED)
            if stop.is_set():
                return seq, replace(base, klass=UNREADABLE, message="the dry run was stopped")
            try:
                detail = self._client.get_transaction(txn)
            except FpsError as exc:
                if exc.code in ("InvalidTransactionId", "InvalidParams"):
                    item = replace(base, klass=UNKNOWN_ID, message=f"{exc.code}: {exc.message}")
                else:
                    item = replace(base, klass=UNREADABLE, message=f"{exc.code}: {exc.message}")
            except FpsClientError as exc:
                item = replace(base, klass=UNREADABLE, message=str(exc))
            else:
                klass = _classify(detail)
                item = replace(
                    base,
                    klass=klass,
                    status=detail.transaction_status.value,
                    amount=format(detail.transaction_amount.value, "f"),
                    currency=detail.transaction_amount.currency,
                    state=TODO if klass == CANCELLABLE else SKIPPED,
                )
            with lock:
                done += 1
                if on_progress is not None:
                    on_progress(done, len(pending))
            return seq, item

        with ThreadPoolExecutor(self._readers, thread_name_prefix="fpsdesk-dry-run") as pool:
            for seq, item in _bounded_map(pool, read, pending, ahead=4 * self._readers):
                items[seq] = item
        ordered = [items[seq] for seq in sorted(items)]
        job_id = self._jobs.create(
            environment=environment_of(self._client.endpoint),
            endpoint=self._client.endpoint,
            operator=current_operator(),
            source=source,
            reason=reason,
            reason_code=validate_code(reason_code) if reason_code else None,
            items=ordered,
        )
        ordered = [replace(i, job_id=job_id) for i in ordered]
        return DryRun(job_id, environment_of(self._client.endpoint), ordered, summarize(ordered))

    # -- run ------------------------------------------------------------------------------

    def run(
        self,
        job_id: int,
        *,
        control: BulkControl | None = None,
        on_item: Callable[[BulkItem, RunProgress], None] | None = None,
    ) -> RunProgress:
        """Cancel the job's cancellable items (or what is left of them after a crash)."""
        job = self._jobs.job(job_id)
        if job is None:
            raise BulkInputError(f"There is no bulk run #{job_id}.")
        control = control or BulkControl()
        progress = self.progress_of(job_id, control.rate)
        self._jobs.set_job_state(job_id, JOB_RUNNING)
        desk = CancelDesk(self._client, self._actions)
        next_at = time.monotonic()
        try:
            for item in self._pending(job_id):
                tries = 0
                while True:
                    if control.wait(next_at - time.monotonic()):
                        progress.stopped = True
                        self._jobs.set_job_state(job_id, JOB_STOPPED)
                        return progress
                    progress.rate = control.rate
                    next_at = time.monotonic() + 1.0 / max(control.rate, MIN_RATE)
                    finished = self._one(desk, job, item)
                    if finished is None and tries < THROTTLE_RETRIES:
                        tries += 1  # FPS said slow down: halve the rate, try this one again
                        progress.slowed += 1
                        control.rate = max(MIN_RATE, control.rate / 2)
                        next_at = time.monotonic() + 1.0 / control.rate
                        continue
                    if finished is None:
                        finished = replace(item, state=DONE, outcome="not sent",
                                           message="FPS kept throttling the requests")  # fmt: skip
                        self._mark(finished)
                    break
                progress.done += 1
                self._count(progress, finished.outcome)
                if on_item is not None:
                    on_item(finished, progress)
        except NotRecorded:
            progress.stopped = True
            self._jobs.set_job_state(job_id, JOB_STOPPED)
            raise
        progress.finished = True
        self._jobs.set_job_state(job_id, JOB_DONE)
        return progress

    def progress_of(self, job_id: int, rate: float = DEFAULT_RATE) -> RunProgress:
        """Where the job's run stands, counted in the history (a resumed run starts here)."""
        progress = RunProgress(total=0, rate=rate)
        for state, outcome, count in self._jobs.tally(job_id, CANCELLABLE):
            progress.total += count
            if state == DONE:
                progress.done += count
                self._count(progress, outcome, count)
        return progress

    def _pending(self, job_id: int) -> Iterator[BulkItem]:
        """The cancellable items still to send, read a page at a time: a 10,000-item job is
        never built in one burst (which held the interpreter from the window's thread)."""
        after = -1
        while page := self._jobs.pending(job_id, CANCELLABLE, after_seq=after, limit=PAGE):
            yield from page
            after = page[-1].seq

    @staticmethod
    def _count(progress: RunProgress, outcome: str | None, count: int = 1) -> None:
        if outcome == CancelState.SUCCEEDED.value:
            progress.succeeded += count
        elif outcome == CancelState.NOT_CANCELLED.value:
            progress.not_cancelled += count
        elif outcome in (CancelState.UNKNOWN.value, CancelState.IN_FLIGHT.value):
            progress.unknown += count
        else:
            progress.not_sent += count

    def _mark(self, item: BulkItem) -> None:
        self._jobs.mark(
            item.job_id,
            item.seq,
            item.state,
            action_id=item.action_id,
            outcome=item.outcome,
            status_after=item.status_after,
            request_id=item.request_id,
            message=item.message,
        )

    def _one(self, desk: CancelDesk, job: BulkJob, item: BulkItem) -> BulkItem | None:
        """One item through the lifecycle; None when FPS asked to slow down (try again)."""
        txn = item.transaction_id
        assert txn is not None
        if item.state == SENDING and item.action_id is not None:
            # A crash after its Cancel was recorded: adopt that attempt, never send again.
            record = self._actions.get(item.action_id)
            if record is not None and record.resolved:
                adopted = replace(
                    item,
                    state=DONE,
                    outcome=state_of(record).value,
                    status_after=record.status_after,
                    request_id=record.request_id,
                    message=record.error_message,
                )
                self._mark(adopted)
                return adopted
        self._jobs.mark(item.job_id, item.seq, SENDING)

        def recorded(action_id: int) -> None:
            self._jobs.mark(item.job_id, item.seq, SENDING, action_id=action_id)

        try:
            done = desk.cancel(
                txn,
                job.reason,
                on_recorded=recorded,
                reason_code=job.reason_code,
                amount=_amount_of(item),
            )
        except NotCancellable as exc:
            result = replace(
                item,
                state=DONE,
                outcome=CancelState.NOT_CANCELLED.value,
                status_after=exc.status.value,
                message=str(exc),
            )
        except BeingCancelled as exc:
            # Another desk sharing the history has it: never a second Cancel.
            result = replace(
                item,
                state=DONE,
                action_id=exc.holder.id,
                outcome=state_of(exc.holder).value,
                message=str(exc),
            )
        except EarlierCancelUnresolved as exc:
            earlier = exc.earlier[0].record
            result = replace(
                item,
                state=DONE,
                action_id=earlier.id,
                outcome=state_of(earlier).value,
                message=f"an earlier Cancel (action #{earlier.id}) is not settled yet; "
                "it was not sent again",
            )
        except FpsError as exc:
            if exc.code in ("RequestThrottled", "ServiceUnavailable"):
                self._jobs.mark(item.job_id, item.seq, TODO)
                return None
            result = replace(
                item, state=DONE, outcome="not sent", message=f"{exc.code}: {exc.message}"
            )
        except FpsClientError as exc:  # the status read failed: nothing was sent
            result = replace(item, state=DONE, outcome="not sent", message=str(exc))
        else:
            if (
                isinstance(done.error, FpsError)
                and done.error.code == "RequestThrottled"
                and done.state is CancelState.NOT_CANCELLED
            ):
                self._jobs.mark(item.job_id, item.seq, TODO)
                return None
            result = replace(
                item,
                state=DONE,
                action_id=done.action_id,
                outcome=done.state.value,
                status_after=done.record.status_after,
                request_id=done.record.request_id,
                message=_plain_error(done.error),
            )
        self._mark(result)
        return result


def _plain_error(error: Exception | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, FpsError):
        return f"{error.code}: {error.message}"
    return str(error)


def _amount_of(item: BulkItem) -> Amount | None:
    """The amount the dry run read, for the history (None if it read none)."""
    if item.amount is None or item.currency is None:
        return None
    return Amount(Decimal(item.amount), item.currency)
