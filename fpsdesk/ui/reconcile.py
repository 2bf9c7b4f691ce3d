"""Settle "outcome unknown" actions by reading the transaction's status, with backoff.

A Cancel whose answer was lost is never sent again. Instead its transaction's status is read
until it says what happened: Cancelled means the Cancel worked; Success or Failure means it did
not (the transaction completed first); still Reserved or Pending after several reads means the
Cancel never arrived, and the agent may decide to cancel again. A read that fails (offline,
throttled) just waits longer, for as long as the app runs; at the next start the action is
picked up again from the store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from fpsdesk.fps.models import TransactionStatus
from fpsdesk.store.actions import ActionOutcome, ActionStore
from fpsdesk.ui.messages import StatusReply, WorkerFailure
from fpsdesk.ui.worker import WorkerHost

log = logging.getLogger(__name__)

DEFAULT_DELAYS: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0, 40.0, 60.0)
# Reads that still show Reserved/Pending before concluding the Cancel never arrived.
STILL_OPEN_READS = 3


def decide(status: TransactionStatus, still_open_reads: int) -> ActionOutcome | None:
    """The outcome a status read proves for an unknown Cancel, or None to keep reading."""
    if status == TransactionStatus.CANCELLED:
        return ActionOutcome.SUCCEEDED
    if status.final:
        return ActionOutcome.FAILED
    if still_open_reads >= STILL_OPEN_READS:
        return ActionOutcome.FAILED
    return None


@dataclass
class _Entry:
    action_id: int
    transaction_id: str
    attempts: int = 0
    still_open: int = 0
    due: float = 0.0
    request_id: int | None = None


class Reconciler(QObject):
    """Keeps the unknown actions of this session and reads their status until settled."""

    resolved = Signal(int, str, str, str)  # action_id, transaction_id, outcome, status
    checking = Signal(int, str)  # action_id, transaction_id

    def __init__(
        self,
        host: WorkerHost,
        actions: ActionStore,
        delays: Sequence[float] = DEFAULT_DELAYS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._host = host
        self._actions = actions
        self._delays = tuple(delays) or DEFAULT_DELAYS
        self._entries: dict[int, _Entry] = {}
        self._by_request: dict[int, int] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)
        self._stopped = False

    @property
    def pending_action_ids(self) -> list[int]:
        return sorted(self._entries)

    def is_pending(self, transaction_id: str) -> bool:
        return any(e.transaction_id == transaction_id for e in self._entries.values())

    def add(self, action_id: int, transaction_id: str, *, immediately: bool = False) -> None:
        if self._stopped or action_id in self._entries:
            return
        delay = 0.0 if immediately else self._delays[0]
        self._entries[action_id] = _Entry(action_id, transaction_id, due=time.monotonic() + delay)
        self._schedule()

    def stop(self) -> None:
        """Stop all timers (the actions stay unknown in the store, resumed at next start)."""
        self._stopped = True
        self._timer.stop()

    def _schedule(self) -> None:
        if self._stopped:
            return
        waiting = [e.due for e in self._entries.values() if e.request_id is None]
        if not waiting:
            self._timer.stop()
            return
        ms = max(0, int((min(waiting) - time.monotonic()) * 1000))
        self._timer.start(ms)

    @Slot()
    def _on_timer(self) -> None:
        now = time.monotonic()
        for entry in list(self._entries.values()):
            if entry.request_id is None and entry.due <= now + 0.005:
                entry.request_id = self._host.read_status(entry.transaction_id)
                self._by_request[entry.request_id] = entry.action_id
                self.checking.emit(entry.action_id, entry.transaction_id)
        self._schedule()

    def owns(self, request_id: int) -> bool:
        return request_id in self._by_request

    @Slot(object)
    def on_status(self, reply: StatusReply) -> None:
        if self._stopped:
            return
        action_id = self._by_request.pop(reply.request_id, None)
        if action_id is None or action_id not in self._entries:
            return
        entry = self._entries[action_id]
        entry.request_id = None
        status = reply.status.transaction_status
        if status.cancellable:
            entry.still_open += 1
        outcome = decide(status, entry.still_open)
        if outcome is None:
            self._retry_later(entry)
            return
        self._actions.reconcile(action_id, outcome, status.value)
        del self._entries[action_id]
        log.info(
            "reconciled action %d on %s: %s (%s)",
            action_id,
            entry.transaction_id,
            outcome.value,
            status.value,
        )
        self.resolved.emit(action_id, entry.transaction_id, outcome.value, status.value)
        self._schedule()

    @Slot(object)
    def on_failure(self, failure: WorkerFailure) -> None:
        if self._stopped:
            return
        action_id = self._by_request.pop(failure.request_id, None)
        if action_id is None or action_id not in self._entries:
            return
        entry = self._entries[action_id]
        entry.request_id = None
        log.info(
            "status read for action %d failed (%s); retrying later", action_id, failure.error.title
        )
        self._retry_later(entry)

    def _retry_later(self, entry: _Entry) -> None:
        entry.attempts += 1
        delay = self._delays[min(entry.attempts, len(self._delays) - 1)]
        entry.due = time.monotonic() + delay
        self._schedule()
