"""The actions thread's worker: Cancels and settling, one after another (qt-anchors §11.2).

``ApiWorker`` lives on one long-lived QThread, the **actions** thread, so a Cancel never races
the settling of the same transaction. It only turns slots into calls of the application layer
(fpsdesk/desk: the cancel lifecycle and the settling rules) and their results into signals
carrying frozen dataclasses (``fpsdesk.desk.replies``). Every slot catches everything: nothing
raises across threads. ``WorkerHost`` (worker.py) owns its thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from fpsdesk.desk.error_views import describe_error
from fpsdesk.desk.replies import (
    CancelBlocked,
    CancelNeedsAgain,
    CancelReply,
    CancelRequest,
    CancelSending,
    ConnectionConfig,
    EarlierAttempt,
    ErrorView,
    SettledAction,
    SettleReply,
    WorkerFailure,
)
from fpsdesk.fps.exceptions import FpsError, NetworkError
from fpsdesk.store.actions import ActionStore

log = logging.getLogger(__name__)

ClientFactory = Callable[[ConnectionConfig], Any]


def default_client_factory(config: ConnectionConfig) -> Any:
    from fpsdesk.desk.connection import Connection, build_client  # on demand, off first paint

    return build_client(
        Connection(
            config.endpoint,
            config.access_key_id,
            config.secret_key,
            ca_bundle=config.ca_bundle,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            profile_name=config.profile_name,
        ),
        # One automatic retry of a read (on 500/503): the agent can always press Refresh, and
        # it keeps a closing window's wait within two exchanges (see WorkerHost.configure).
        max_retries=1,
    )


def _settled(settlement: Any) -> SettledAction:
    record = settlement.record
    return SettledAction(
        action_id=record.id,
        transaction_id=record.transaction_id,
        state=settlement.state.value,
        status=settlement.status.value if settlement.status is not None else None,
        until=settlement.until,
        changed=settlement.changed,
        corrected=settlement.corrected,
        in_flight=settlement.in_flight,
    )


def _not_recorded_view(message: str) -> ErrorView:
    return ErrorView(
        kind="not_recorded",
        title="Not sent: the cancel could not be recorded first",
        explanation=message,
        next_step="Free some disk space or fix the history file, then try the cancel again.",
    )


def _being_cancelled_view(message: str) -> ErrorView:
    return ErrorView(
        kind="being_cancelled",
        title="Not sent: another desk is cancelling it",
        explanation=message,
        next_step="Look it up again in a moment: that Cancel's outcome appears in the timeline.",
    )


class ApiWorker(QObject):
    """Runs on the actions thread. Slots are invoked by queued signals from ``WorkerHost``."""

    cancel_blocked = Signal(object)  # CancelBlocked
    cancel_needs_again = Signal(object)  # CancelNeedsAgain
    cancel_sending = Signal(object)  # CancelSending
    cancel_done = Signal(object)  # CancelReply
    settled = Signal(object)  # SettleReply
    failed = Signal(object)  # WorkerFailure
    busy_changed = Signal(bool)

    def __init__(
        self,
        actions: ActionStore,
        client_factory: ClientFactory = default_client_factory,
        stopping: threading.Event | None = None,
        ipns: Any = None,
    ) -> None:
        super().__init__()
        self._actions = actions
        self._ipns = ipns  # fpsdesk.store.ipns.IpnStore: Verified IPNs settle cancels too
        self._factory = client_factory
        self._client: Any = None
        self._config: ConnectionConfig | None = None
        self._config_error: BaseException | None = None
        self._stopping = stopping or threading.Event()

    # -- configuration -------------------------------------------------------------------

    @Slot(object)
    def configure(self, config: ConnectionConfig) -> None:
        self._close_client()
        self._config = config
        self._config_error = None
        try:
            self._client = self._factory(config)
        except Exception as exc:  # noqa: BLE001 - reported on each request instead
            log.warning("cannot create the FPS client for %s: %s", config.endpoint, exc)
            self._client = None
            self._config_error = exc

    @Slot()
    def shutdown(self) -> None:
        """Close the client on its own thread (its sessions are per thread)."""
        self._close_client()

    def _close_client(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:
                log.debug("closing the FPS client failed", exc_info=True)
        self._client = None

    def _require_client(self) -> Any:
        if self._client is None:
            if self._config_error is not None:
                raise self._config_error
            raise NetworkError("No connection is configured; open Settings to add a profile.")
        return self._client

    def _desk(self) -> Any:
        from fpsdesk.desk.cancel import CancelDesk

        return CancelDesk(self._require_client(), self._actions)

    # -- cancel --------------------------------------------------------------------------

    @Slot(object)
    def cancel(self, request: CancelRequest) -> None:
        """The desk's cancel lifecycle, its outcomes turned into signals. Never re-sent."""
        self.busy_changed.emit(True)
        try:
            self._cancel(request)
        except BaseException as exc:  # noqa: BLE001 - never raise across threads
            self.cancel_done.emit(
                CancelReply(
                    request.request_id, request.transaction_id, None, error=describe_error(exc)
                )
            )
        finally:
            self.busy_changed.emit(False)

    def _cancel(self, request: CancelRequest) -> None:
        from fpsdesk.desk.cancel import (
            BeingCancelled,
            EarlierCancelUnresolved,
            NotCancellable,
            NotRecorded,
            StatusChanged,
            Stopping,
        )
        from fpsdesk.desk.settle import CancelState

        txn = request.transaction_id
        try:
            desk = self._desk()
            done = desk.cancel(
                txn,
                request.reason or None,
                expected=request.expected_status,
                again=request.again,
                reason_code=request.reason_code,
                amount=request.amount,
                on_recorded=lambda action_id: self.cancel_sending.emit(
                    CancelSending(request.request_id, txn, action_id)
                ),
                should_stop=self._stopping.is_set,
            )
        except StatusChanged as exc:
            self.cancel_blocked.emit(
                CancelBlocked(
                    request.request_id, txn, request.expected_status, exc.current, exc.status_code
                )
            )
            return
        except NotCancellable as exc:
            self.cancel_blocked.emit(
                CancelBlocked(
                    request.request_id, txn, request.expected_status, exc.status, exc.status_code
                )
            )
            return
        except BeingCancelled as exc:
            self.cancel_done.emit(
                CancelReply(request.request_id, txn, None, error=_being_cancelled_view(str(exc)))
            )
            return
        except EarlierCancelUnresolved as exc:
            self.cancel_needs_again.emit(
                CancelNeedsAgain(
                    request.request_id,
                    txn,
                    request.reason,
                    request.expected_status,
                    tuple(_earlier(s) for s in exc.earlier),
                    reason_code=request.reason_code,
                    amount=request.amount,
                )
            )
            return
        except NotRecorded as exc:
            if exc.offline:
                from fpsdesk.desk.error_views import offline_error

                view = offline_error(exc.detail)
            else:
                view = _not_recorded_view(str(exc))
            self.cancel_done.emit(CancelReply(request.request_id, txn, None, error=view))
            return
        except Stopping:
            log.warning("not sending Cancel of %s: fpsdesk is closing", txn)
            return
        except BaseException as exc:  # noqa: BLE001 - the status read failed: nothing sent
            self.failed.emit(
                WorkerFailure(request.request_id, "cancel-check", txn, describe_error(exc))
            )
            return
        state = done.state
        error = None
        if done.error is not None and state is not CancelState.SUCCEEDED:
            error = describe_error(done.error)
        self.cancel_done.emit(
            CancelReply(
                request.request_id,
                txn,
                done.action_id,
                result=done.result,
                error=error,
                unknown=state is CancelState.UNKNOWN,
                state=state.value,
                until=done.until,
            )
        )

    # -- settling ------------------------------------------------------------------------

    @Slot(int, str)
    def settle(self, request_id: int, transaction_id: str) -> None:
        """Read one transaction's status and settle its unresolved Cancels from it."""
        try:
            settled = self._desk().settler.settle_transaction(transaction_id)
        except BaseException as exc:  # noqa: BLE001 - never raise across threads
            if isinstance(exc, FpsError) and exc.code == "InvalidTransactionId":
                settled = self._desk().settler.apply(transaction_id, None, source="read")
            else:
                self.settled.emit(
                    SettleReply(request_id, transaction_id, (), error=describe_error(exc))
                )
                return
        self.settled.emit(
            SettleReply(request_id, transaction_id, tuple(_settled(s) for s in settled))
        )

    @Slot(int)
    def settle_all(self, request_id: int) -> None:
        """At start (and on IPNs): settle what the history and FPS can prove, list the rest."""
        try:
            from fpsdesk.desk.settle import apply_ipn_truths

            desk = self._desk()
            found = []
            if self._ipns is not None:
                found += apply_ipn_truths(desk.settler, self._ipns)
            done, failed = desk.settler.settle_all()
            found += done
            for failure in failed:
                log.info("status read of %s failed: %s", failure.transaction_id, failure.error)
            seen = {s.record.id for s in found}
            from fpsdesk.desk.settle import Settlement

            found += [Settlement(r) for r in desk.settler.unresolved() if r.id not in seen]
        except BaseException as exc:  # noqa: BLE001 - never raise across threads
            from fpsdesk.store.schema import HistoryUnreachable

            if isinstance(exc, HistoryUnreachable):  # the window says so; settled once back
                from fpsdesk.desk.error_views import offline_error

                log.info("not settling now: %s", exc)
                self.settled.emit(SettleReply(request_id, None, (), error=offline_error(str(exc))))
                return
            self.settled.emit(SettleReply(request_id, None, (), error=describe_error(exc)))
            return
        self.settled.emit(SettleReply(request_id, None, tuple(_settled(s) for s in found)))

    @Slot(int)
    def apply_ipns(self, request_id: int) -> None:
        """New IPNs arrived: let the Verified ones settle (or correct) this desk's cancels."""
        if self._ipns is None:
            return
        try:
            from fpsdesk.desk.settle import apply_ipn_truths

            found = apply_ipn_truths(self._desk().settler, self._ipns)
        except BaseException as exc:  # noqa: BLE001 - never raise across threads
            log.info("could not apply arriving IPNs: %s", exc)
            return
        if found:
            self.settled.emit(SettleReply(request_id, None, tuple(_settled(s) for s in found)))


def _earlier(settlement: Any) -> EarlierAttempt:
    from fpsdesk.desk.owner import describe_owner
    from fpsdesk.desk.settle import deadline_of

    record = settlement.record
    return EarlierAttempt(
        action_id=record.id,
        created_at=record.created_at,
        operator=record.operator,
        in_flight=settlement.in_flight,
        until=deadline_of(record),
        owner=describe_owner(record),
    )
