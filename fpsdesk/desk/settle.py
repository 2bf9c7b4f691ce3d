"""Settling: what a later truth proves about a Cancel whose outcome is not known yet.

A Cancel whose answer was lost is never sent again by itself. Its row stays ``unknown`` until
something proves what happened:

- the transaction reads **Cancelled** (or a Verified IPN says so): the Cancel went through;
- it reads **Success** or **Failure**: it completed first, so it was not cancelled;
- it still reads **Reserved** or **Pending**: that proves nothing while the Cancel may still be
  on its way. FPS refuses a signed request whose Timestamp is more than 15 minutes old
  (``RequestExpired``, spec §5), so a Cancel recorded at T can no longer take effect after
  T + 15 minutes + a margin for this computer's clock running ahead of FPS's. Only a read after
  that moment that still shows Reserved or Pending proves "not cancelled". Before it, the state
  is "unknown, may still arrive until HH:MM".

A row still ``pending`` belongs to the process that sent it while that process may still be
waiting for the answer (its lease, fpsdesk/desk/owner.py); nobody else settles it. A later truth
that contradicts an earlier inferred verdict corrects it; the store keeps both.

Rows are matched to the connection by environment key (fpsdesk.fps.endpoints.environment_key),
so a local sandbox on a new port still settles what was sent to it before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from fpsdesk.desk.owner import owner_gone
from fpsdesk.fps.endpoints import environment_key
from fpsdesk.fps.exceptions import FpsError
from fpsdesk.fps.models import TransactionStatus
from fpsdesk.store.actions import ActionOutcome, ActionRecord, ActionStore
from fpsdesk.store.ipns import IpnRecord, IpnStore

log = logging.getLogger(__name__)

# FPS refuses a request whose Timestamp is older than this (spec §5; the sandbox applies it).
REQUEST_WINDOW = timedelta(minutes=15)
# How far this computer's clock may run ahead of FPS's without our verdict becoming wrong.
CLOCK_MARGIN = timedelta(minutes=5)
# How long past its request deadline a sender keeps its claim on a row.
LEASE_SLACK = timedelta(seconds=30)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def decide_after(recorded_at: datetime) -> datetime:
    """When a Cancel recorded (and so signed no earlier than) ``recorded_at`` is provably dead."""
    return recorded_at + REQUEST_WINDOW + CLOCK_MARGIN


def deadline_of(record: ActionRecord) -> datetime:
    return record.decide_after or decide_after(record.created_at)


class CancelState(StrEnum):
    """How a Cancel stands, as every front end names it."""

    IN_FLIGHT = "pending"  # recorded; its sender is still waiting for FPS's answer
    UNKNOWN = "unknown"  # the answer was lost; it may still take effect until deadline_of()
    SUCCEEDED = "succeeded"
    NOT_CANCELLED = "not cancelled"


def state_of(record: ActionRecord) -> CancelState:
    return {
        ActionOutcome.PENDING: CancelState.IN_FLIGHT,
        ActionOutcome.UNKNOWN: CancelState.UNKNOWN,
        ActionOutcome.SUCCEEDED: CancelState.SUCCEEDED,
        ActionOutcome.FAILED: CancelState.NOT_CANCELLED,
    }[record.outcome]


@dataclass(frozen=True)
class Settlement:
    """One action after a settling pass: its record, and what proved it (if anything did)."""

    record: ActionRecord
    status: TransactionStatus | None = None  # the status the verdict rests on
    changed: bool = False  # the outcome changed in this pass
    in_flight: bool = False  # its sender may still be waiting: not ours to settle
    note: str = ""

    @property
    def state(self) -> CancelState:
        return state_of(self.record)

    @property
    def until(self) -> datetime | None:
        """For an unknown outcome: until when the Cancel may still take effect."""
        return deadline_of(self.record) if self.state is CancelState.UNKNOWN else None

    @property
    def corrected(self) -> bool:
        return self.record.corrected_from is not None


@dataclass(frozen=True)
class ReadFailed:
    """A transaction whose status could not be read in this pass (the rows stay as they were)."""

    transaction_id: str
    error: Exception


def _settleable(record: ActionRecord, now: datetime) -> bool:
    if record.outcome is ActionOutcome.UNKNOWN:
        return True
    return record.outcome is ActionOutcome.PENDING and owner_gone(record, now)


def _inferred_failure(record: ActionRecord) -> bool:
    """A "not cancelled" concluded from reads (not FPS's own answer): a later truth may fix it."""
    return (
        record.outcome is ActionOutcome.FAILED
        and record.error_code is None
        and record.reconciled_at is not None
    )


class Settler:
    """Settles the Cancels of one environment from status reads, IPNs and the passing of time."""

    def __init__(
        self,
        actions: ActionStore,
        endpoint: str,
        read_status: Callable[[str], TransactionStatus] | None = None,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self._actions = actions
        self._key = environment_key(endpoint)
        self._read = read_status
        self._clock = clock

    def mine(self, record: ActionRecord) -> bool:
        return record.kind == "Cancel" and environment_key(record.endpoint) == self._key

    def unresolved(self) -> list[ActionRecord]:
        """This environment's Cancels whose outcome is not known yet (in flight or unknown)."""
        return [r for r in self._actions.unresolved() if self.mine(r)]

    def inferred_failures(self, limit: int = 1000) -> list[ActionRecord]:
        """Recent "not cancelled" verdicts of this environment that reads, not FPS, gave."""
        recent = self._actions.recent(limit=limit, outcome=ActionOutcome.FAILED, kind="Cancel")
        return [r for r in recent if self.mine(r) and _inferred_failure(r)]

    def cancels_of(self, transaction_id: str) -> list[ActionRecord]:
        return [r for r in self._actions.for_transaction(transaction_id) if self.mine(r)]

    def settle_all(self) -> tuple[list[Settlement], list[ReadFailed]]:
        """One status read per transaction with an unresolved Cancel; apply what it proves."""
        done: list[Settlement] = []
        failed: list[ReadFailed] = []
        for txn in dict.fromkeys(r.transaction_id for r in self.unresolved()):
            try:
                done.extend(self.settle_transaction(txn))
            except FpsError as exc:
                if exc.code == "InvalidTransactionId":
                    done.extend(self.apply(txn, None, source="read", detail=str(exc)))
                else:
                    failed.append(ReadFailed(txn, exc))
            except Exception as exc:  # noqa: BLE001 - a read that failed settles nothing
                failed.append(ReadFailed(txn, exc))
        return done, failed

    def settle_transaction(self, transaction_id: str) -> list[Settlement]:
        """Read the status now and apply it (raises what the read raises)."""
        if self._read is None:
            raise RuntimeError("this Settler has no status reader")
        status = self._read(transaction_id)
        return self.apply(transaction_id, status, source="read")

    def apply(
        self,
        transaction_id: str,
        status: TransactionStatus | None,
        *,
        source: str,
        detail: str | None = None,
    ) -> list[Settlement]:
        """Apply a status known to be current (a read, or a Verified IPN's final status).

        ``None`` means FPS does not know the transaction (a reset sandbox): like a status that
        is not final, it proves something only once the Cancel could no longer take effect.
        """
        now = self._clock()
        records = self.cancels_of(transaction_id)
        out: list[Settlement] = []
        if status is TransactionStatus.CANCELLED:
            out = self._cancelled(records, now, source, detail)
        elif status is not None and status.final:
            for record in records:
                if _settleable(record, now):
                    out.append(
                        self._settle(
                            record,
                            ActionOutcome.FAILED,
                            status,
                            source,
                            detail or f"the transaction is {status.value}: it was not cancelled",
                        )
                    )
                elif record.outcome is ActionOutcome.PENDING:
                    out.append(Settlement(record, status, in_flight=True))
        else:
            for record in records:
                settled = self._still_open(record, status, now, source, detail)
                if settled is not None:
                    out.append(settled)
        return out

    def _cancelled(
        self, records: Sequence[ActionRecord], now: datetime, source: str, detail: str | None
    ) -> list[Settlement]:
        status = TransactionStatus.CANCELLED
        open_ = [r for r in records if _settleable(r, now)]
        in_flight = [r for r in records if r.outcome is ActionOutcome.PENDING and r not in open_]
        out = [Settlement(r, status, in_flight=True) for r in in_flight]
        if in_flight:
            # A live sender's answer will say whether its Cancel did it: decide after that.
            return out + [Settlement(r, status) for r in open_]
        if any(r.outcome is ActionOutcome.SUCCEEDED for r in records):
            winner = None  # FPS's own answer said which one did it
        elif open_:
            winner = open_[0]  # the earliest attempt whose outcome was open
        else:
            inferred = [r for r in records if _inferred_failure(r)]
            winner = inferred[-1] if inferred else None
        why = detail or "the transaction reads Cancelled"
        if winner is not None:
            out.append(self._settle(winner, ActionOutcome.SUCCEEDED, status, source, why))
        for record in open_:
            if record is winner:
                continue
            out.append(
                self._settle(
                    record,
                    ActionOutcome.FAILED,
                    status,
                    source,
                    "the transaction was already cancelled by another attempt",
                )
            )
        return out

    def _still_open(
        self,
        record: ActionRecord,
        status: TransactionStatus | None,
        now: datetime,
        source: str,
        detail: str | None,
    ) -> Settlement | None:
        if record.resolved:
            return None
        if not _settleable(record, now):
            return Settlement(record, status, in_flight=True)
        shown = status.value if status is not None else "unknown to FPS"
        if now >= deadline_of(record):
            return self._settle(
                record,
                ActionOutcome.FAILED,
                status,
                "expired",
                detail
                or (
                    f"still {shown} after the Cancel could no longer take effect (FPS refuses "
                    "a request more than 15 minutes old)"
                ),
            )
        if record.outcome is ActionOutcome.PENDING:  # its sender is gone without an answer
            updated = self._actions.settle(
                record.id,
                ActionOutcome.UNKNOWN,
                None,
                source="owner-gone",
                detail="the process that sent it stopped before FPS's answer arrived",
            )
            return Settlement(updated or record, status, changed=True)
        return Settlement(record, status)

    def _settle(
        self,
        record: ActionRecord,
        outcome: ActionOutcome,
        status: TransactionStatus | None,
        source: str,
        detail: str,
    ) -> Settlement:
        if record.outcome is outcome:
            return Settlement(record, status)
        updated = self._actions.settle(
            record.id,
            outcome,
            status.value if status is not None else None,
            source=source,
            detail=detail,
        )
        log.info(
            "settled action %d on %s: %s (%s, %s)",
            record.id,
            record.transaction_id,
            outcome.value,
            status.value if status is not None else "no status",
            source,
        )
        return Settlement(updated or record, status, changed=True, note=detail)


def final_ipn_status(ipns: Iterable[IpnRecord]) -> TransactionStatus | None:
    """The final status a Verified IPN reports for a transaction, if any.

    Only trusted (Verified) IPNs count: a Failed one is shown, never believed. Final statuses
    never change, so any one of them is the truth.
    """
    for ipn in ipns:
        status = ipn.transaction_status
        if ipn.trusted and status is not None and status.final:
            return status
    return None


def apply_ipn_truths(settler: Settler, ipns: IpnStore) -> list[Settlement]:
    """Settle (or correct) Cancels from the Verified IPNs already in the history.

    Looks at this environment's unresolved Cancels and at its "not cancelled" verdicts that
    were inferred rather than answered by FPS, the only ones a later truth may overturn.
    """
    candidates = [r.transaction_id for r in settler.unresolved()]
    candidates += [r.transaction_id for r in settler.inferred_failures()]
    out: list[Settlement] = []
    for txn in dict.fromkeys(candidates):
        status = final_ipn_status(ipns.for_transaction(txn))
        if status is not None:
            detail = f"a Verified IPN reports it {status.value}"
            out.extend(
                s for s in settler.apply(txn, status, source="ipn", detail=detail) if s.changed
            )
    return out
