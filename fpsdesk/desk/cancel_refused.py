"""Why a Cancel was not sent: one exception per reason, each a plain sentence for the agent."""

from __future__ import annotations

from datetime import UTC

from fpsdesk.desk.owner import describe_owner
from fpsdesk.desk.settle import Settlement, state_of
from fpsdesk.fps.errors import clause
from fpsdesk.fps.models import TransactionStatus
from fpsdesk.store.actions import ActionRecord
from fpsdesk.store.schema import HistoryUnreachable


class CancelRefused(Exception):
    """Nothing was sent: the reason is a plain sentence for the agent."""


class NotCancellable(CancelRefused):
    def __init__(
        self,
        transaction_id: str,
        status: TransactionStatus,
        status_code: str | None = None,
        cancelled_by: ActionRecord | None = None,
    ) -> None:
        hint = {
            TransactionStatus.SUCCESS: "it completed: refund it instead",
            TransactionStatus.CANCELLED: "it is already cancelled",
            TransactionStatus.FAILURE: "it failed: there is nothing to cancel",
        }.get(status, "only Reserved or Pending transactions can be cancelled")
        if cancelled_by is not None:  # a desk that lost the race learns who won it
            when = f"{cancelled_by.created_at.astimezone(UTC):%H:%M} UTC"
            hint += f" (by {describe_owner(cancelled_by)} at {when}, action #{cancelled_by.id})"
        super().__init__(f"{transaction_id} is {status.value}; {hint}. Nothing was sent.")
        self.transaction_id = transaction_id
        self.status = status
        self.status_code = status_code  # FPS's StatusCode: "Expired" for a reserve that lapsed
        self.cancelled_by = cancelled_by  # the Cancel in the history that cancelled it


class StatusChanged(CancelRefused):
    def __init__(
        self,
        transaction_id: str,
        expected: TransactionStatus,
        current: TransactionStatus,
        status_code: str | None = None,
    ) -> None:
        super().__init__(
            f"{transaction_id} changed from {expected.value} to {current.value} since it was "
            "shown. Nothing was sent."
        )
        self.transaction_id = transaction_id
        self.expected = expected
        self.current = current
        self.status_code = status_code


class EarlierCancelUnresolved(CancelRefused):
    """An earlier Cancel of this transaction may still take effect."""

    def __init__(self, transaction_id: str, earlier: tuple[Settlement, ...]) -> None:
        first = earlier[0].record
        super().__init__(
            f"An earlier Cancel of {transaction_id} (action #{first.id}, "
            f"{first.created_at:%Y-%m-%d %H:%M} UTC by {first.operator}) has no known outcome "
            "yet and may still take effect. Nothing was sent."
        )
        self.transaction_id = transaction_id
        self.earlier = earlier


class BeingCancelled(CancelRefused):
    """Another desk (or process) holds this transaction's claim, or has just sent a Cancel."""

    def __init__(self, holder: ActionRecord) -> None:
        who = describe_owner(holder)
        since = f"{holder.created_at.astimezone(UTC):%H:%M} UTC"
        if holder.claimed:
            text = f"Being cancelled by {who} since {since} (action #{holder.id})."
        else:
            text = (
                f"{holder.transaction_id} was just cancelled by {who} at {since} "
                f"(action #{holder.id}, {state_of(holder).value})."
            )
        super().__init__(f"{text} Nothing was sent.")
        self.holder = holder
        self.transaction_id = holder.transaction_id


class Stopping(CancelRefused):
    """The front end is closing: a money action is not started now."""

    def __init__(self, transaction_id: str) -> None:
        super().__init__(
            f"Not sent: fpsdesk is closing, so the Cancel of {transaction_id} was not started."
        )
        self.transaction_id = transaction_id


class NotRecorded(CancelRefused):
    """The history cannot take the cancel's record. ``offline``: because the shared history's
    server cannot be reached (it comes back by itself; a file problem does not)."""

    def __init__(self, detail: str, *, offline: bool = False) -> None:
        where = "the shared history is offline: " if offline else ""
        super().__init__(
            f"This cancel cannot be recorded in the history ({where}{clause(detail)}). Every "
            "cancel is written down before it leaves, so nothing was sent to FPS."
        )
        self.detail = detail
        self.offline = offline

    @classmethod
    def of(cls, exc: BaseException) -> NotRecorded:
        reason = getattr(exc, "reason", None)
        if isinstance(exc, HistoryUnreachable):
            return cls(str(reason or exc), offline=True)
        return cls(str(exc))
