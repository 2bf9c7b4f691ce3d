"""Keep settling this desk's unresolved cancels, with backoff, for as long as the app runs.

The rules of what a status read, a Verified IPN or the passing of time proves are not here:
they are fpsdesk/desk/settle.py, the same the command line's ``fpsdesk reconcile`` uses. This
only schedules: each unresolved Cancel's transaction is handed to the actions thread to settle
(``WorkerHost.settle``) after a growing delay, and again exactly when its Cancel can no longer
take effect (its "until"), when a Reserved read finally proves "not cancelled". A read that
fails just waits longer. What is left at exit is picked up again at the next start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from fpsdesk.desk.replies import SettledAction, SettleReply
from fpsdesk.ui.worker import WorkerHost

log = logging.getLogger(__name__)

DEFAULT_DELAYS: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0, 40.0, 60.0)
# The fpsdesk.desk.settle.CancelState values, as plain strings off the worker.
RESOLVED = {"succeeded": "succeeded", "not cancelled": "failed"}


@dataclass(frozen=True)
class CheckProgress:
    """What the reconciler is doing for one transaction, for the page to say."""

    checking: bool  # a status read is on its way now
    next_in: float | None  # seconds to the next read, when waiting
    attempt: int  # the read in flight, or the next one (1-based)
    planned: int | None  # how many reads until a verdict is certain (None: no deadline known)


@dataclass
class _Entry:
    transaction_id: str
    action_ids: set[int]
    attempts: int = 0
    due: float = 0.0
    until: datetime | None = None  # the earliest moment a verdict becomes possible
    request_id: int | None = None


class Reconciler(QObject):
    """Settles the unresolved cancels of this session, one transaction at a time."""

    resolved = Signal(int, str, str, str)  # action_id, transaction_id, outcome, status
    checking = Signal(int, str)  # action_id, transaction_id

    def __init__(
        self,
        host: WorkerHost,
        delays: Sequence[float] = DEFAULT_DELAYS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._host = host
        self._delays = tuple(delays) or DEFAULT_DELAYS
        self._entries: dict[str, _Entry] = {}
        self._by_request: dict[int, str] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)
        self._stopped = False

    def is_pending(self, transaction_id: str) -> bool:
        return transaction_id in self._entries

    def progress(self, transaction_id: str) -> CheckProgress | None:
        """Checking now, or when the next read is and which one of how many; None if settled."""
        entry = self._entries.get(transaction_id)
        if entry is None:
            return None
        now = time.monotonic()
        checking = entry.request_id is not None
        planned: int | None = None
        if entry.until is not None:
            # The reads left on the backoff schedule before the deadline, plus the one at it.
            left = (entry.until - datetime.now(UTC)).total_seconds()
            at = 0.0 if checking else max(0.0, entry.due - now)
            planned = entry.attempts + 1
            step = entry.attempts + 1
            while at < left:
                at += self._delays[min(step, len(self._delays) - 1)]
                step += 1
                planned += 1
        return CheckProgress(
            checking=checking,
            next_in=None if checking else max(0.0, entry.due - now),
            attempt=entry.attempts + 1,
            planned=planned,
        )

    def check_now(self, transaction_id: str) -> None:
        """Read now rather than at the next step (a look-up just showed a final status)."""
        entry = self._entries.get(transaction_id)
        if entry is None or entry.request_id is not None or self._stopped:
            return
        entry.due = time.monotonic()
        self._schedule()

    def add(
        self,
        action_id: int,
        transaction_id: str,
        *,
        immediately: bool = False,
        until: datetime | None = None,
    ) -> None:
        if self._stopped:
            return
        entry = self._entries.get(transaction_id)
        if entry is None:
            delay = 0.0 if immediately else self._delays[0]
            entry = _Entry(transaction_id, set(), due=time.monotonic() + delay)
            self._entries[transaction_id] = entry
        entry.action_ids.add(action_id)
        if until is not None:
            entry.until = until
        self._schedule()

    def stop(self) -> None:
        """Stop all timers (the actions stay unresolved in the store, resumed at next start)."""
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
                entry.request_id = self._host.settle(entry.transaction_id)
                self._by_request[entry.request_id] = entry.transaction_id
                for action_id in sorted(entry.action_ids):
                    self.checking.emit(action_id, entry.transaction_id)
        self._schedule()

    def owns(self, request_id: int) -> bool:
        return request_id in self._by_request

    @Slot(object)
    def on_settled(self, reply: SettleReply) -> None:
        if self._stopped:
            return
        txn = self._by_request.pop(reply.request_id, None)
        entry = self._entries.get(txn or "")
        if entry is None or txn is None:
            return
        entry.request_id = None
        if reply.error is not None:
            log.info("settling %s failed (%s); retrying later", txn, reply.error.title)
            self._retry_later(entry)
            return
        self.absorb(reply.actions)
        if txn in self._entries:
            self._retry_later(entry)

    def absorb(self, actions: Sequence[SettledAction]) -> None:
        """Take in what a settling pass found: announce verdicts, keep watching the rest."""
        for action in actions:
            entry = self._entries.get(action.transaction_id)
            outcome = RESOLVED.get(action.state)
            if outcome is not None:
                if entry is not None:
                    entry.action_ids.discard(action.action_id)
                    if not entry.action_ids and entry.request_id is None:
                        del self._entries[action.transaction_id]
                if action.changed:
                    log.info(
                        "settled action %d on %s: %s (%s)",
                        action.action_id,
                        action.transaction_id,
                        action.state,
                        action.status,
                    )
                    self.resolved.emit(
                        action.action_id, action.transaction_id, outcome, action.status or ""
                    )
            else:
                self.add(action.action_id, action.transaction_id, until=action.until)
        self._schedule()

    def _retry_later(self, entry: _Entry) -> None:
        entry.attempts += 1
        delay = self._delays[min(entry.attempts, len(self._delays) - 1)]
        if entry.until is not None:
            # Be there when a verdict becomes possible, not up to a whole step later.
            to_deadline = (entry.until - datetime.now(UTC)).total_seconds() + 1.0
            if 0 < to_deadline < delay:
                delay = to_deadline
        entry.due = time.monotonic() + delay
        self._schedule()
