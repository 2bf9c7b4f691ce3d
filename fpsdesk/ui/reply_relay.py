"""Where the workers' replies enter the GUI thread, and where they stop once it closes.

Every reply crosses threads as a queued call. Qt delivers a queued call that was posted before
a disconnect (QObject::disconnect: "already scheduled events may still be delivered";
tests/ui/test_late_replies.py shows it), so disconnecting the worker's signals at shutdown is
not enough on its own. Instead each reply crosses to one ``ReplyRelay`` on the GUI thread, which
passes it on to its receivers over direct connections. ``close()`` blocks the relay: a reply
that was already on its way is delivered to the relay and goes no further. That is the one
place late replies are stopped; no receiver checks whether the app is closing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from fpsdesk.ui.api_worker import ApiWorker


class ReadSignals(QObject):
    """What the read pool's jobs emit, from their pool threads (queued to the relay)."""

    lookup_done = Signal(object)  # LookupReply
    status_done = Signal(object)  # StatusReply
    failed = Signal(object)  # WorkerFailure
    connection_tested = Signal(object)  # ConnectionTestReply


class ReplyRelay(QObject):
    """Lives on the GUI thread: every reply of the read pool and the actions thread, re-emitted
    there to the receivers connected to it (the host, the session), until ``close()``."""

    lookup_done = Signal(object)  # LookupReply
    status_done = Signal(object)  # StatusReply
    failed = Signal(object)  # WorkerFailure of a read
    action_failed = Signal(object)  # WorkerFailure of a Cancel's status check
    connection_tested = Signal(object)  # ConnectionTestReply
    cancel_blocked = Signal(object)  # CancelBlocked
    cancel_needs_again = Signal(object)  # CancelNeedsAgain
    cancel_sending = Signal(object)  # CancelSending
    cancel_done = Signal(object)  # CancelReply
    settled = Signal(object)  # SettleReply
    actions_busy = Signal(bool)  # the actions thread started or ended a request

    def relay_reads(self, reads: ReadSignals) -> None:
        """The pool's replies, in (queued: they are emitted on pool threads)."""
        reads.lookup_done.connect(self.lookup_done)
        reads.status_done.connect(self.status_done)
        reads.failed.connect(self.failed)
        reads.connection_tested.connect(self.connection_tested)

    def relay_actions(self, worker: ApiWorker) -> None:
        """The actions thread's replies, in (queued: the worker lives on that thread)."""
        worker.cancel_blocked.connect(self.cancel_blocked)
        worker.cancel_needs_again.connect(self.cancel_needs_again)
        worker.cancel_sending.connect(self.cancel_sending)
        worker.cancel_done.connect(self.cancel_done)
        worker.settled.connect(self.settled)
        worker.failed.connect(self.action_failed)
        worker.busy_changed.connect(self.actions_busy)

    def close(self) -> None:
        """Pass nothing on from now: replies queued before this are dropped here."""
        self.blockSignals(True)

    @property
    def closed(self) -> bool:
        return self.signalsBlocked()
