"""The GUI-side controller: request ids, the per-transaction Cancel lock, stale replies.

Widgets ask the session to look up or cancel; the session forwards to the worker and re-emits
only the replies that still matter. It lives on the GUI thread and hears the workers through
``WorkerHost.replies``, a relay on that thread, so its slots run on the GUI thread (qt-anchors
§11.2) and hear nothing once the host is shut down (reply_relay.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from fpsdesk.desk.cancel_state import CANCEL_CHECKING, CANCEL_IDLE, CANCEL_SENDING
from fpsdesk.desk.replies import (
    CancelBlocked,
    CancelNeedsAgain,
    CancelReply,
    CancelRequest,
    CancelSending,
    ConnectionConfig,
    ConnectionTestReply,
    LookupReply,
    SettleReply,
    StatusReply,
    WorkerFailure,
)
from fpsdesk.fps.models import Amount, TransactionStatus
from fpsdesk.store.actions import ActionStore
from fpsdesk.ui.api_worker import ClientFactory, default_client_factory
from fpsdesk.ui.reconcile import DEFAULT_DELAYS, Reconciler
from fpsdesk.ui.worker import WorkerHost

log = logging.getLogger(__name__)


class DeskSession(QObject):
    lookup_started = Signal(str)
    lookup_finished = Signal(object)  # LookupReply
    lookup_failed = Signal(object)  # WorkerFailure
    lookup_abandoned = Signal(str)  # transaction_id: the agent stopped waiting (Esc)
    cancel_state_changed = Signal(str, str)  # transaction_id, CANCEL_* state
    cancel_finished = Signal(object)  # CancelReply
    cancel_blocked = Signal(object)  # CancelBlocked
    cancel_needs_again = Signal(object)  # CancelNeedsAgain: ask before a second Cancel
    cancel_check_failed = Signal(object)  # WorkerFailure
    action_resolved = Signal(int, str, str, str)  # action_id, txn, outcome, status
    reconcile_checking = Signal(int, str)
    actions_changed = Signal(str)  # transaction_id
    connection_tested = Signal(object)  # ConnectionTestReply
    related_status_read = Signal(str, object)  # transaction_id, TransactionStatus
    busy_changed = Signal(bool)

    def __init__(
        self,
        actions: ActionStore,
        client_factory: ClientFactory = default_client_factory,
        reconcile_delays: Sequence[float] = DEFAULT_DELAYS,
        parent: QObject | None = None,
        ipns: Any = None,
    ) -> None:
        super().__init__(parent)
        self.actions = actions
        self.host = WorkerHost(actions, client_factory, parent=self, ipns=ipns)
        self.reconciler = Reconciler(self.host, reconcile_delays, parent=self)
        self.config: ConnectionConfig | None = None
        # Where the history is (fpsdesk.store.location.HistoryLocation), set by the app: job
        # threads open their own connections to it. None: the action log's file.
        self.history: Any = None
        self.current_lookup: int | None = None
        self.current_transaction: str | None = None
        self._cancels: dict[str, int] = {}  # transaction_id -> request id (the lock)
        self._cancel_states: dict[str, str] = {}
        self._test_request: int | None = None
        self._resume_request: int | None = None
        self._related_reads: set[int] = set()
        # Every reply comes through the host's relay, on this thread: once the host is shut
        # down it passes nothing on, so no slot here asks whether the app is closing.
        replies = self.host.replies
        replies.lookup_done.connect(self._on_lookup_done)
        replies.failed.connect(self._on_failed)
        replies.connection_tested.connect(self._on_connection_tested)
        replies.status_done.connect(self._on_related_status)
        replies.action_failed.connect(self._on_failed)
        replies.cancel_blocked.connect(self._on_cancel_blocked)
        replies.cancel_needs_again.connect(self._on_cancel_needs_again)
        replies.cancel_sending.connect(self._on_cancel_sending)
        replies.cancel_done.connect(self._on_cancel_done)
        replies.settled.connect(self._on_settled)
        self.host.busy_changed.connect(self.busy_changed)
        # The reconciler emits only from its timer (stopped at shutdown) and from the replies.
        self.reconciler.resolved.connect(self._on_resolved)
        self.reconciler.checking.connect(self.reconcile_checking)

    # -- connection ----------------------------------------------------------------------

    def connect_to(self, config: ConnectionConfig) -> None:
        self.config = config
        self.host.configure(config)

    @property
    def environment(self) -> str:
        return self.config.environment if self.config else ""

    def resume_unresolved(self) -> int:
        """Settle what this environment left unresolved (at start, after a crash, by the CLI).

        Runs on the actions thread with the desk's rules: rows whose sender is gone become
        "unknown", whatever a read or a Verified IPN proves is recorded, the rest is watched
        by the reconciler. Rows another process is still sending are left to it. Returns the
        request id (0 when not connected).
        """
        if self.config is None or self.host.closed:
            return 0
        self._resume_request = self.host.settle_all()
        return self._resume_request

    def ipns_arrived(self) -> None:
        """New IPNs are stored: the Verified ones may settle or correct this desk's cancels."""
        if self.config is not None:
            self.host.apply_ipns()  # refused once closed

    @Slot(object)
    def _on_settled(self, reply: SettleReply) -> None:
        if self.reconciler.owns(reply.request_id):
            self.reconciler.on_settled(reply)
            return
        if reply.error is not None:
            log.info("settling failed: %s", reply.error.title)
            if reply.request_id != self._resume_request:
                return
        if reply.request_id == self._resume_request and reply.actions:
            log.info("resuming %d unresolved or newly settled cancel(s)", len(reply.actions))
        # At start, or from arriving IPNs: announce verdicts, watch what is still open.
        self.reconciler.absorb(reply.actions)

    # -- look-up -------------------------------------------------------------------------

    def lookup(self, transaction_id: str) -> int:
        self.current_transaction = transaction_id
        self.current_lookup = self.host.lookup(transaction_id)
        self.lookup_started.emit(transaction_id)
        return self.current_lookup

    @property
    def lookup_in_flight(self) -> bool:
        return self.current_lookup is not None

    def abandon_lookup(self) -> bool:
        """Stop waiting for the look-up in flight (Esc); its answer, if any, is ignored."""
        if self.host.closed or self.current_lookup is None:
            return False
        self.current_lookup = None
        self.lookup_abandoned.emit(self.current_transaction or "")
        return True

    def read_related_statuses(self, transaction_ids: Sequence[str]) -> None:
        """The statuses of a page's related transactions (a refund's payment, its refunds),
        read on the pool; each arrives as ``related_status_read``. Failures are only logged:
        the link still opens the transaction."""
        if self.config is None or self.host.closed:
            return
        for transaction_id in dict.fromkeys(transaction_ids):
            self._related_reads.add(self.host.read_status(transaction_id))

    @Slot(object)
    def _on_related_status(self, reply: StatusReply) -> None:
        if reply.request_id not in self._related_reads:
            return
        self._related_reads.discard(reply.request_id)
        self.related_status_read.emit(reply.transaction_id, reply.status.transaction_status)

    @Slot(object)
    def _on_lookup_done(self, reply: LookupReply) -> None:
        if reply.request_id != self.current_lookup:
            log.debug("ignoring stale look-up reply %d", reply.request_id)
            return
        self.current_lookup = None
        if not reply.detail.transaction_status.cancellable:
            # A final status settles an unknown Cancel: settle it now, not at the next step,
            # so the page never says Cancelled next to "may or may not have happened".
            self.reconciler.check_now(reply.transaction_id)
        self.lookup_finished.emit(reply)

    @Slot(object)
    def _on_failed(self, failure: WorkerFailure) -> None:
        if failure.operation == "cancel-check":
            self._release(failure.transaction_id, failure.request_id)
            self.cancel_check_failed.emit(failure)
            return
        if failure.request_id in self._related_reads:
            self._related_reads.discard(failure.request_id)
            log.info("related transaction %s: status not read", failure.transaction_id)
            return
        if failure.request_id != self.current_lookup:
            log.debug("ignoring stale failure %d", failure.request_id)
            return
        self.current_lookup = None
        self.lookup_failed.emit(failure)

    # -- cancel --------------------------------------------------------------------------

    def cancel_in_flight(self, transaction_id: str) -> bool:
        return transaction_id in self._cancels

    def cancel_state(self, transaction_id: str) -> str:
        return self._cancel_states.get(transaction_id, CANCEL_IDLE)

    @property
    def any_cancel_in_flight(self) -> bool:
        return bool(self._cancels)

    def cancel(
        self,
        transaction_id: str,
        reason: str,
        expected: TransactionStatus,
        *,
        again: bool = False,
        reason_code: str | None = None,
        amount: Amount | None = None,
    ) -> bool:
        """Start one Cancel. False (and nothing sent) if one is already in flight for it.

        ``again``: the agent confirmed a second Cancel although an earlier one of this
        transaction has no known outcome (after ``cancel_needs_again`` asked).
        """
        if self.host.closed or self.config is None or transaction_id in self._cancels:
            return False
        request_id = self.host.next_request_id()
        self._cancels[transaction_id] = request_id
        self._set_state(transaction_id, CANCEL_CHECKING)
        self.host.cancel(
            CancelRequest(
                request_id=request_id,
                transaction_id=transaction_id,
                reason=reason.strip(),
                expected_status=expected,
                environment=self.config.environment,
                endpoint=self.config.endpoint,
                again=again,
                reason_code=reason_code,
                amount=amount,
            )
        )
        return True

    def _set_state(self, transaction_id: str, state: str) -> None:
        if state:
            self._cancel_states[transaction_id] = state
        else:
            self._cancel_states.pop(transaction_id, None)
        self.cancel_state_changed.emit(transaction_id, state)

    def _release(self, transaction_id: str, request_id: int) -> None:
        if self._cancels.get(transaction_id) == request_id:
            del self._cancels[transaction_id]
            self._set_state(transaction_id, CANCEL_IDLE)

    @Slot(object)
    def _on_cancel_blocked(self, blocked: CancelBlocked) -> None:
        self._release(blocked.transaction_id, blocked.request_id)
        self.cancel_blocked.emit(blocked)

    @Slot(object)
    def _on_cancel_needs_again(self, needs: CancelNeedsAgain) -> None:
        self._release(needs.transaction_id, needs.request_id)
        for attempt in needs.earlier:
            self.reconciler.add(attempt.action_id, needs.transaction_id, until=attempt.until)
        self.cancel_needs_again.emit(needs)

    @Slot(object)
    def _on_cancel_sending(self, sending: CancelSending) -> None:
        self._set_state(sending.transaction_id, CANCEL_SENDING)
        self.actions_changed.emit(sending.transaction_id)

    @Slot(object)
    def _on_cancel_done(self, reply: CancelReply) -> None:
        self._release(reply.transaction_id, reply.request_id)
        if reply.unknown and reply.action_id is not None:
            self.reconciler.add(reply.action_id, reply.transaction_id, until=reply.until)
        self.cancel_finished.emit(reply)
        self.actions_changed.emit(reply.transaction_id)

    @Slot(int, str, str, str)
    def _on_resolved(self, action_id: int, txn: str, outcome: str, status: str) -> None:
        self.action_resolved.emit(action_id, txn, outcome, status)
        self.actions_changed.emit(txn)

    # -- settings ------------------------------------------------------------------------

    def test_connection(self, config: ConnectionConfig) -> int:
        self._test_request = self.host.test_connection(config)
        return self._test_request

    @Slot(object)
    def _on_connection_tested(self, reply: ConnectionTestReply) -> None:
        if reply.request_id == self._test_request:
            self.connection_tested.emit(reply)

    # -- shutdown ------------------------------------------------------------------------

    def shutdown(self) -> bool:
        """Stop reconciling, finish the request in flight (bounded), stop the thread."""
        if self.host.closed:
            return not self.host.worker_thread.isRunning()
        self.reconciler.stop()
        return self.host.shutdown()
