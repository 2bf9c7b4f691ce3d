"""The cancel lifecycle, the one implementation the app and the CLI both call.

A Cancel is sent once per intent, recorded always, and its outcome told truthfully:

1. **Read the status now**, always (also for ``--yes``): a transaction the agent saw as Reserved
   may have completed since. Not Reserved or Pending, or not what the agent confirmed: nothing
   is sent (``NotCancellable``, ``StatusChanged``).
2. **One sender at a time, across desks.** A Cancel takes its transaction's claim in the same
   write that records it (a unique index in the history: fpsdesk/store/actions.py). A desk
   that finds the claim held, or a Cancel recorded since it looked, sends nothing and says who
   has it (``BeingCancelled``: "Being cancelled by alice on desk-7 since 14:05 UTC"); it can
   then wait for that Cancel's outcome (:meth:`CancelDesk.wait_for`).
3. **No blind second Cancel.** If an earlier Cancel of this transaction is still unresolved
   (in flight, or its answer was lost and it may still take effect), a new one needs
   ``again=True``, which the front ends ask for explicitly, naming the earlier attempt
   (``EarlierCancelUnresolved``). The fresh read is applied first, so attempts it settles
   no longer count.
4. **Record before send.** The row is committed durably before the request is signed; if it
   cannot be written (disk full, read-only, locked, corrupt), nothing is sent
   (``NotRecorded``).
5. **Send once.** The client never retries a Cancel.
6. **Classify** FPS's answer: Cancelled; not cancelled (FPS refused it, with its code); or
   unknown (the request may have reached FPS). An unknown outcome is settled later
   (fpsdesk/desk/settle.py), or at once with ``follow_up=True`` if one read proves it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from fpsdesk.desk.cancel_refused import (
    BeingCancelled as BeingCancelled,
)
from fpsdesk.desk.cancel_refused import (  # re-exported: the front ends catch them here
    CancelRefused as CancelRefused,
)
from fpsdesk.desk.cancel_refused import (
    EarlierCancelUnresolved as EarlierCancelUnresolved,
)
from fpsdesk.desk.cancel_refused import (
    NotCancellable as NotCancellable,
)
from fpsdesk.desk.cancel_refused import (
    NotRecorded as NotRecorded,
)
from fpsdesk.desk.cancel_refused import (
    StatusChanged as StatusChanged,
)
from fpsdesk.desk.cancel_refused import (
    Stopping as Stopping,
)
from fpsdesk.desk.owner import owner_gone, this_process
from fpsdesk.desk.settle import (
    LEASE_SLACK,
    CancelState,
    Clock,
    Settlement,
    Settler,
    decide_after,
    state_of,
    utcnow,
)
from fpsdesk.fps.endpoints import environment_of
from fpsdesk.fps.exceptions import FpsClientError, FpsError, OutcomeUnknown
from fpsdesk.fps.models import ActionResult, Amount, TransactionStatus, TransactionStatusResult
from fpsdesk.records.reasons import description, validate_code
from fpsdesk.store.actions import ActionOutcome, ActionRecord, ActionStore, ClaimTaken, Owner
from fpsdesk.store.db import database_errors

log = logging.getLogger(__name__)


class CancelClient(Protocol):
    """What the lifecycle needs of an FpsClient."""

    @property
    def endpoint(self) -> str: ...

    @property
    def deadline_seconds(self) -> float: ...

    def get_transaction_status(self, transaction_id: str) -> TransactionStatusResult: ...

    def cancel(self, transaction_id: str, description: str | None = None) -> ActionResult: ...


@dataclass(frozen=True)
class CancelResult:
    """What became of one Cancel that was sent."""

    transaction_id: str
    action_id: int
    record: ActionRecord  # as recorded after the answer (or its loss)
    status_before: TransactionStatus
    result: ActionResult | None = None  # FPS's answer, when it gave one
    error: Exception | None = None  # FPS's refusal, or why the outcome is unknown
    follow_up: Settlement | None = None  # what one status read right after proved
    follow_up_error: Exception | None = None  # why that read failed
    history_error: str | None = None  # the answer could not be written down

    @property
    def state(self) -> CancelState:
        if self.follow_up is not None:
            return self.follow_up.state
        return state_of(self.record)

    @property
    def until(self) -> datetime | None:
        if self.follow_up is not None:
            return self.follow_up.until
        if self.state is CancelState.UNKNOWN:
            return self.record.decide_after
        return None


@dataclass(frozen=True)
class _Answer:
    """How the sender records its own request's fate."""

    outcome: ActionOutcome
    status_after: str | None = None
    request_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class CancelDesk:
    """The cancel lifecycle against one FPS, for one process."""

    def __init__(
        self,
        client: CancelClient,
        actions: ActionStore,
        *,
        clock: Clock = utcnow,
        owner: Owner | None = None,
    ) -> None:
        self._client = client
        self._actions = actions
        self._clock = clock
        self._owner = owner or this_process()
        self.settler = Settler(actions, client.endpoint, self._read, clock=clock)

    @property
    def endpoint(self) -> str:
        return self._client.endpoint

    def _read(self, transaction_id: str) -> TransactionStatus:
        return self._client.get_transaction_status(transaction_id).transaction_status

    def check(self, transaction_id: str) -> TransactionStatusResult:
        """A fresh status read, applied to this transaction's unresolved Cancels."""
        current = self._client.get_transaction_status(transaction_id)
        self.settler.apply(transaction_id, current.transaction_status, source="read")
        return current

    def unresolved_attempts(self, transaction_id: str) -> tuple[Settlement, ...]:
        """Earlier Cancels of this transaction that may still take effect, oldest first."""
        return tuple(
            Settlement(record, in_flight=record.outcome is ActionOutcome.PENDING)
            for record in self.settler.cancels_of(transaction_id)
            if not record.resolved
        )

    def _refused(self, transaction_id: str, why: str, holder: ActionRecord) -> None:
        """Put this attempt on record (who tried, and which Cancel stopped it), though nothing
        is sent; a history that cannot take it does not change the refusal."""
        try:
            self._actions.record_refusal(
                transaction_id, holder.environment, why, holder.id, operator=self._owner.user
            )
        except database_errors(OSError):
            log.warning("a refused cancel of %s could not be recorded", transaction_id)

    def _cancelled_by(self, transaction_id: str) -> ActionRecord | None:
        """The Cancel in the history that cancelled this transaction: the latest that
        succeeded, else the latest whose answer its sender has not recorded yet (FPS may
        have answered a moment before the sender wrote it down)."""
        cancels = self.settler.cancels_of(transaction_id)
        for outcomes in ({ActionOutcome.SUCCEEDED}, {ActionOutcome.PENDING, ActionOutcome.UNKNOWN}):
            found = [r for r in cancels if r.outcome in outcomes]
            if found:
                return found[-1]
        return None

    def prepare(
        self,
        transaction_id: str,
        *,
        expected: TransactionStatus | None = None,
        again: bool = False,
    ) -> tuple[TransactionStatusResult, tuple[Settlement, ...]]:
        """Steps 1 and 2 without sending: the fresh status and the earlier unresolved attempts
        (empty unless ``again``). Raises CancelRefused when a Cancel must not be sent: a Cancel
        in flight from anyone is ``BeingCancelled`` even with ``again``. A front end that asks a
        person first calls this, asks, then ``cancel`` (which checks again)."""
        current = self.check(transaction_id)
        status = current.transaction_status
        if expected is not None and status != expected:
            raise StatusChanged(transaction_id, expected, status, current.status_code)
        if not status.cancellable:
            by = self._cancelled_by(transaction_id)
            if by is not None:
                self._refused(transaction_id, "already cancelled", by)
            raise NotCancellable(transaction_id, status, current.status_code, by)
        earlier = self.unresolved_attempts(transaction_id)
        now = self._clock()
        for attempt in earlier:
            if attempt.record.claimed and not owner_gone(attempt.record, now):
                self._refused(transaction_id, "being cancelled", attempt.record)
                raise BeingCancelled(attempt.record)
        if earlier and not again:
            raise EarlierCancelUnresolved(transaction_id, earlier)
        return current, earlier

    def cancel(
        self,
        transaction_id: str,
        reason: str | None = None,
        *,
        expected: TransactionStatus | None = None,
        again: bool = False,
        follow_up: bool = False,
        on_recorded: Callable[[int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        reason_code: str | None = None,
        amount: Amount | None = None,
    ) -> CancelResult:
        """Run the whole lifecycle once. Raises CancelRefused (nothing sent) or what the
        status read raises (FpsClientError: nothing sent either).

        ``reason`` is the free comment, ``reason_code`` one of the profile's codes (checked by
        the front end against the list); both are recorded and sent in the Description.
        ``amount`` is the transaction's amount as the agent saw it, recorded for the results
        dashboard (the status read does not carry it)."""
        code = validate_code(reason_code) if reason_code else None
        # Where the history stood before the status read: a Cancel another sender recorded
        # (or learnt the fate of) after this point may postdate that read, so the claim
        # refuses ours even if that Cancel has finished by now.
        try:
            seen = self._actions.mark()
        except database_errors(OSError) as exc:  # cannot be recorded: not even worth a read
            raise NotRecorded.of(exc) from exc
        current, earlier = self.prepare(transaction_id, expected=expected, again=again)
        status = current.transaction_status
        if earlier:
            log.warning(
                "sending a second Cancel of %s on request; earlier unresolved: %s",
                transaction_id,
                ", ".join(f"#{s.record.id}" for s in earlier),
            )
        if should_stop is not None and should_stop():
            raise Stopping(transaction_id)
        action_id = self._record(transaction_id, reason, status, seen, code, amount)
        if on_recorded is not None:
            on_recorded(action_id)
        return self._send(transaction_id, description(code, reason), action_id, status, follow_up)

    def _record(
        self,
        transaction_id: str,
        reason: str | None,
        status: TransactionStatus,
        seen: int,
        code: str | None = None,
        amount: Amount | None = None,
    ) -> int:
        now = self._clock()
        lease = timedelta(seconds=self._client.deadline_seconds) + LEASE_SLACK
        try:
            return self._actions.start(
                "Cancel",
                transaction_id,
                environment=environment_of(self._client.endpoint),
                endpoint=self._client.endpoint,
                reason=reason or None,
                reason_code=code,
                amount=_amount_text(amount) if amount is not None else None,
                currency=amount.currency if amount is not None else None,
                status_before=status.value,
                owner=self._owner,
                lease_until=now + lease,
                decide_after=decide_after(now),
                claim=True,
                seen_through=seen,
            )
        except ClaimTaken as exc:
            self._refused(transaction_id, "being cancelled", exc.holder)
            raise BeingCancelled(exc.holder) from exc
        except database_errors(OSError) as exc:
            raise NotRecorded.of(exc) from exc

    def wait_for(
        self,
        action_id: int,
        *,
        timeout: float | None = None,
        poll: float = 0.25,
        sleep: Callable[[float], None] | None = None,
    ) -> ActionRecord | None:
        """Wait until another sender's Cancel is no longer in flight (its answer recorded, or
        settled) and return it; None if there is no such action. By default waits until that
        sender's lease runs out, since then the settler may take it over."""
        import time

        pause = sleep or time.sleep
        record = self._actions.get(action_id)
        if timeout is None:
            lease = record.lease_until if record is not None else None
            timeout = max(0.0, (lease - self._clock()).total_seconds()) if lease else 0.0
        deadline = time.monotonic() + timeout
        while record is not None and record.outcome is ActionOutcome.PENDING:
            if time.monotonic() >= deadline:
                break
            pause(poll)
            record = self._actions.get(action_id)
        return record

    def _send(
        self,
        transaction_id: str,
        sent_description: str | None,
        action_id: int,
        status_before: TransactionStatus,
        follow_up: bool,
    ) -> CancelResult:
        result: ActionResult | None = None
        error: Exception | None = None
        try:
            result = self._client.cancel(transaction_id, sent_description)
        except OutcomeUnknown as exc:
            error = exc
            answer = _Answer(ActionOutcome.UNKNOWN, error_message=exc.detail)
        except FpsError as exc:
            error = exc
            answer = _Answer(
                ActionOutcome.FAILED,
                request_id=exc.request_id,
                error_code=exc.code,
                error_message=exc.message,
            )
        except FpsClientError as exc:
            # The client raises OutcomeUnknown whenever the request may have reached FPS, so
            # any other client error means it was not sent.
            error = exc
            answer = _Answer(ActionOutcome.FAILED, error_message=str(exc))
        except Exception as exc:  # noqa: BLE001 - unexpected: assume it may have happened
            error = exc
            answer = _Answer(ActionOutcome.UNKNOWN, error_message=repr(exc))
        except BaseException as exc:  # Ctrl-C while waiting: it may have happened
            self._finish(action_id, _Answer(ActionOutcome.UNKNOWN, error_message=repr(exc)))
            raise
        else:
            answer = _Answer(
                ActionOutcome.SUCCEEDED
                if result.transaction_status is TransactionStatus.CANCELLED
                else ActionOutcome.FAILED,
                status_after=result.transaction_status.value,
                request_id=result.request_id,
            )
        outcome = answer.outcome
        history_error = self._finish(action_id, answer)
        record = self._actions.get(action_id)
        assert record is not None
        done = CancelResult(
            transaction_id,
            action_id,
            record,
            status_before,
            result=result,
            error=error,
            history_error=history_error,
        )
        if outcome is ActionOutcome.UNKNOWN and follow_up:
            return self._follow_up(done)
        return done

    def _finish(self, action_id: int, answer: _Answer) -> str | None:
        try:
            self._actions.finish(
                action_id,
                answer.outcome,
                status_after=answer.status_after,
                request_id=answer.request_id,
                error_code=answer.error_code,
                error_message=answer.error_message,
            )
        except database_errors(OSError) as exc:
            # Sent already: the row stays "pending" and is settled once our lease runs out.
            log.warning("could not record the answer of action %d: %s", action_id, exc)
            return str(exc)
        return None

    def _follow_up(self, done: CancelResult) -> CancelResult:
        """One status read right after a lost answer: it may already prove the outcome."""
        try:
            settled = self.settler.settle_transaction(done.transaction_id)
        except Exception as exc:  # noqa: BLE001 - the outcome simply stays unknown
            return _replace(done, follow_up_error=exc)
        mine = next((s for s in settled if s.record.id == done.action_id), None)
        if mine is None:
            return done
        return _replace(done, follow_up=mine, record=mine.record)


def _amount_text(amount: Amount) -> str:
    """``49.95``, not the ``49.950000`` a parsed amount may carry (sub-cent digits are kept)."""
    cents = amount.value.quantize(Decimal("0.01"))
    return format(cents if cents == amount.value else amount.value.normalize(), "f")


def _replace(result: CancelResult, **changes: object) -> CancelResult:
    from dataclasses import replace

    return replace(result, **changes)  # type: ignore[arg-type]
