"""The worker threads that sign and send every FPS request (qt-anchors §11.2).

``ApiWorker`` lives on one long-lived QThread, the **actions** thread: Cancels and settling run
there one after another, so a Cancel never races the settling of the same transaction. It only
turns slots into calls of the application layer (fpsdesk/desk: the cancel lifecycle and the
settling rules) and their results into signals. Reads (look-ups, status reads, "Test
connection") run on a small thread pool instead, so a look-up is never queued behind a Cancel
in flight, and a slow look-up the agent abandoned (Esc) does not hold up the next one.

The GUI talks to the workers only through ``WorkerHost``: requests carry ids, answers are
signals carrying frozen dataclasses (``fpsdesk.desk.replies``). Every slot catches everything:
nothing raises across threads. ``WorkerHost`` shuts both down in bounded time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

from fpsdesk.desk.error_views import describe_error
from fpsdesk.desk.replies import (
    CancelBlocked,
    CancelNeedsAgain,
    CancelReply,
    CancelRequest,
    CancelSending,
    ConnectionConfig,
    ConnectionTestReply,
    EarlierAttempt,
    ErrorView,
    LookupReply,
    SettledAction,
    SettleReply,
    StatusReply,
    WorkerFailure,
)
from fpsdesk.fps.exceptions import FpsError, NetworkError
from fpsdesk.store.actions import ActionStore

log = logging.getLogger(__name__)

ClientFactory = Callable[[ConnectionConfig], Any]
# A well-formed ID that no FPS account has: a signed read of it proves the credentials work
# (FPS answers InvalidTransactionId only after checking the signature and the key).
PROBE_TRANSACTION_ID = "1FPSDESKCONNECTIONTEST0000000000000"
# Reads at once: one for the agent's look-up, room for abandoned slow ones and status reads.
READ_THREADS = 3


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


class _ReadSignals(QObject):
    """Lives on the GUI thread; the pool's reads emit through it (queued to the receivers)."""

    lookup_done = Signal(object)  # LookupReply
    status_done = Signal(object)  # StatusReply
    failed = Signal(object)  # WorkerFailure
    connection_tested = Signal(object)  # ConnectionTestReply


class _Read(QRunnable):
    def __init__(self, job: Callable[[], None]) -> None:
        super().__init__()
        self._job = job
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            self._job()
        except BaseException:
            log.exception("a read on the pool failed unexpectedly")


def probe_connection(request_id: int, client: Any) -> ConnectionTestReply:
    """Classify a signed read: bad credentials, unreachable, TLS, clock skew, or fine."""
    tr = _ProbeText()
    try:
        client.get_transaction_status(PROBE_TRANSACTION_ID)
        return ConnectionTestReply(request_id, True, "ok", tr.ok)
    except FpsError as exc:
        if exc.code in ("InvalidTransactionId", "InvalidParams"):
            return ConnectionTestReply(request_id, True, "ok", tr.ok)
        if exc.code in ("SignatureDoesNotMatch", "InvalidClientTokenId", "AuthFailure"):
            return ConnectionTestReply(
                request_id,
                False,
                "credentials",
                tr.credentials.format(code=exc.code),
            )
        if exc.code in ("RequestExpired", "InvalidParameterValue") and (
            exc.code == "RequestExpired" or "Timestamp" in exc.message
        ):
            return ConnectionTestReply(request_id, False, "clock", tr.clock)
        return ConnectionTestReply(
            request_id,
            False,
            "other",
            f"{exc.code}: {describe_error(exc).explanation}",
        )
    except NetworkError as exc:
        if exc.kind == "tls":
            return ConnectionTestReply(request_id, False, "tls", tr.tls.format(detail=exc.detail))
        return ConnectionTestReply(
            request_id, False, "unreachable", tr.unreachable.format(detail=exc.detail)
        )
    except BaseException as exc:  # noqa: BLE001 - never raise across threads
        return ConnectionTestReply(request_id, False, "other", describe_error(exc).explanation)


class _ProbeText(QObject):
    """Translated verdict texts of "Test connection"."""

    def __init__(self) -> None:
        super().__init__()
        self.ok = self.tr("Connected: FPS accepted the signature and the access key.")
        self.credentials = self.tr(
            "Bad credentials ({code}): check the access key ID and the secret key."
        )
        self.clock = self.tr(
            "The computer's clock is off: FPS rejected the request time. "
            "Set the clock automatically and try again."
        )
        self.tls = self.tr("Secure connection failed (TLS): {detail}")
        self.unreachable = self.tr("Cannot reach the endpoint: {detail}")


# What the actions thread imports on its first cancel (the cancel lifecycle, settling, the
# IPN truths): kept off the first paint, and loaded by ``warm_up`` once the window is up
# rather than by the first cancel, whose import held the interpreter from the GUI thread
# for ~30 ms.
_ACTION_MODULES = ("fpsdesk.desk.cancel", "fpsdesk.desk.settle", "fpsdesk.desk.owner")


def warm_up() -> None:
    """Import the modules the first cancel needs (call after start-up, when nothing runs)."""
    import importlib

    for name in _ACTION_MODULES:
        importlib.import_module(name)


class WorkerHost(QObject):
    """GUI-thread owner of the actions thread and the read pool. Its methods are the way in."""

    busy_changed = Signal(bool)

    _configure = Signal(object)
    _cancel = Signal(object)
    _settle = Signal(int, str)
    _settle_all = Signal(int)
    _apply_ipns = Signal(int)
    _shutdown = Signal()

    def __init__(
        self,
        actions: ActionStore,
        client_factory: ClientFactory = default_client_factory,
        parent: QObject | None = None,
        ipns: Any = None,
    ) -> None:
        super().__init__(parent)
        self._stopping = threading.Event()
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("fpsdesk-actions")
        self.worker = ApiWorker(actions, client_factory, self._stopping, ipns)
        self.worker.moveToThread(self.worker_thread)
        self._configure.connect(self.worker.configure)
        self._cancel.connect(self.worker.cancel)
        self._settle.connect(self.worker.settle)
        self._settle_all.connect(self.worker.settle_all)
        self._apply_ipns.connect(self.worker.apply_ipns)
        self._shutdown.connect(self.worker.shutdown)
        self.worker_thread.finished.connect(self.worker.deleteLater)
        self.worker.busy_changed.connect(self._on_actions_busy)
        # Reads: a private pool, answering through signals that live on this (GUI) thread.
        self.reads = _ReadSignals(self)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(READ_THREADS)
        self._factory = client_factory
        self._read_lock = threading.Lock()
        self._read_config: ConnectionConfig | None = None
        self._read_client: Any = None
        self._read_error: BaseException | None = None
        self._reads_in_flight = 0
        self._actions_busy = False
        self._next_id = 0
        self._wait_ms = 30_000
        self._closed = False
        self.reads.lookup_done.connect(self._read_finished)
        self.reads.status_done.connect(self._read_finished)
        self.reads.failed.connect(self._read_finished)
        self.reads.connection_tested.connect(self._read_finished)
        self.worker_thread.start()

    def next_request_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- busy ----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._reads_in_flight > 0 or self._actions_busy

    def _set_busy(self, change: Callable[[], None]) -> None:
        before = self.busy
        change()
        if self.busy != before and not self._closed:
            self.busy_changed.emit(self.busy)

    @Slot(bool)
    def _on_actions_busy(self, busy: bool) -> None:
        self._set_busy(lambda: setattr(self, "_actions_busy", busy))

    @Slot(object)
    def _read_finished(self, _reply: object) -> None:
        self._set_busy(lambda: setattr(self, "_reads_in_flight", max(0, self._reads_in_flight - 1)))

    # -- configuration -------------------------------------------------------------------

    def configure(self, config: ConnectionConfig) -> None:
        # Bounded shutdown: the request in flight is at most one read with its one retry (a
        # Cancel is not sent once closing began), each exchange bounded by connect + read.
        self._wait_ms = int((config.connect_timeout + config.read_timeout) * 2 * 1000) + 2000
        if self._closed:
            return
        self._configure.emit(config)
        with self._read_lock:
            old, self._read_client = self._read_client, None
            self._read_config = config
            self._read_error = None
        if old is not None:
            _close_quietly(old)

    def _reader(self) -> Any:
        """The pool's client, built on first use on a pool thread (off the GUI thread)."""
        with self._read_lock:
            if self._read_client is None and self._read_error is None:
                if self._read_config is None:
                    raise NetworkError(
                        "No connection is configured; open Settings to add a profile."
                    )
                try:
                    self._read_client = self._factory(self._read_config)
                except Exception as exc:  # noqa: BLE001 - reported on each request instead
                    log.warning("cannot create the FPS client: %s", exc)
                    self._read_error = exc
            if self._read_error is not None:
                raise self._read_error
            return self._read_client

    def _submit(self, job: Callable[[], None]) -> None:
        self._set_busy(lambda: setattr(self, "_reads_in_flight", self._reads_in_flight + 1))
        self._pool.start(_Read(job))

    # -- reads (on the pool) -------------------------------------------------------------

    def lookup(self, transaction_id: str) -> int:
        request_id = self.next_request_id()
        if self._closed:
            return request_id
        signals = self.reads

        def job() -> None:
            try:
                detail = self._reader().get_transaction(transaction_id)
                signals.lookup_done.emit(LookupReply(request_id, transaction_id, detail))
            except BaseException as exc:  # noqa: BLE001 - never raise across threads
                signals.failed.emit(
                    WorkerFailure(request_id, "lookup", transaction_id, describe_error(exc))
                )

        self._submit(job)
        return request_id

    def read_status(self, transaction_id: str) -> int:
        request_id = self.next_request_id()
        if self._closed:
            return request_id
        signals = self.reads

        def job() -> None:
            try:
                status = self._reader().get_transaction_status(transaction_id)
                signals.status_done.emit(StatusReply(request_id, transaction_id, status))
            except BaseException as exc:  # noqa: BLE001 - never raise across threads
                signals.failed.emit(
                    WorkerFailure(request_id, "status", transaction_id, describe_error(exc))
                )

        self._submit(job)
        return request_id

    def test_connection(self, config: ConnectionConfig) -> int:
        request_id = self.next_request_id()
        if self._closed:
            return request_id
        signals = self.reads
        factory = self._factory

        def job() -> None:
            try:
                client = factory(config)
            except BaseException as exc:  # noqa: BLE001 - never raise across threads
                signals.connection_tested.emit(
                    ConnectionTestReply(request_id, False, "other", describe_error(exc).explanation)
                )
                return
            try:
                signals.connection_tested.emit(probe_connection(request_id, client))
            finally:
                _close_quietly(client)

        self._submit(job)
        return request_id

    # -- actions (on the actions thread) ---------------------------------------------------

    def cancel(self, request: CancelRequest) -> None:
        if not self._closed:
            self._cancel.emit(request)

    def settle(self, transaction_id: str) -> int:
        request_id = self.next_request_id()
        if not self._closed:
            self._settle.emit(request_id, transaction_id)
        return request_id

    def settle_all(self) -> int:
        request_id = self.next_request_id()
        if not self._closed:
            self._settle_all.emit(request_id)
        return request_id

    def apply_ipns(self) -> int:
        request_id = self.next_request_id()
        if not self._closed:
            self._apply_ipns.emit(request_id)
        return request_id

    # -- shutdown ------------------------------------------------------------------------

    def shutdown(self) -> bool:
        """Stop taking requests, let the running ones finish, stop the thread. Idempotent.

        Returns False if the actions thread or a read did not finish in time (it is then left
        to finish on its own; it is never terminated, which could corrupt a write).
        """
        if self._closed:
            return not self.worker_thread.isRunning() and self._pool.activeThreadCount() == 0
        self._closed = True
        self._stopping.set()
        self._shutdown.emit()
        self.worker_thread.quit()
        finished = self.worker_thread.wait(self._wait_ms)
        if not finished:
            log.warning("the actions thread did not finish within %d ms", self._wait_ms)
        self._pool.clear()  # reads not started yet are dropped
        reads_done = self._pool.waitForDone(self._wait_ms)
        if not reads_done:
            log.warning("a read did not finish within %d ms", self._wait_ms)
        with self._read_lock:
            client, self._read_client = self._read_client, None
        if client is not None:
            _close_quietly(client)
        return bool(finished) and bool(reads_done)


def _close_quietly(client: Any) -> None:
    try:
        client.close()
    except Exception:
        log.debug("closing an FPS client failed", exc_info=True)
