"""The one worker thread that signs and sends every FPS request (qt-anchors §11.2).

``ApiWorker`` lives on one long-lived QThread and owns the FpsClient, so requests are
serialised: a Cancel can never race a look-up of the same transaction. The GUI talks to it only
through signals carrying request ids; it answers only with signals carrying frozen dataclasses
(``fpsdesk.ui.messages``). Every slot catches everything: nothing raises across threads.

``WorkerHost`` is the GUI-side handle: it owns the thread, forwards requests, and shuts down in
bounded time (the HTTP read timeout is what bounds it; QThread.quit cannot interrupt a slot).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from fpsdesk.fps.exceptions import FpsClientError, FpsError, NetworkError, OutcomeUnknown
from fpsdesk.fps.models import TransactionStatus
from fpsdesk.store.actions import ActionOutcome, ActionStore
from fpsdesk.ui.errors_view import describe_error
from fpsdesk.ui.messages import (
    CancelBlocked,
    CancelReply,
    CancelRequest,
    CancelSending,
    ConnectionConfig,
    ConnectionTestReply,
    LookupReply,
    StatusReply,
    WorkerFailure,
)

log = logging.getLogger(__name__)

ClientFactory = Callable[[ConnectionConfig], Any]
# A well-formed ID that no FPS account has: a signed read of it proves the credentials work
# (FPS answers InvalidTransactionId only after checking the signature and the key).
PROBE_TRANSACTION_ID = "1FPSDESKCONNECTIONTEST0000000000000"


def default_client_factory(config: ConnectionConfig) -> Any:
    from fpsdesk.fps.client import FpsClient  # imported on the worker thread, on demand

    return FpsClient(
        config.endpoint,
        config.access_key_id,
        config.secret_key,
        timeout=(config.connect_timeout, config.read_timeout),
        ca_bundle=config.ca_bundle,
        # One automatic retry of a read (on 500/503): the agent can always press Refresh, and
        # it keeps a closing window's wait within two exchanges (see WorkerHost.configure).
        max_retries=1,
    )


class ApiWorker(QObject):
    """Runs on the worker thread. Slots are invoked by queued signals from ``WorkerHost``."""

    lookup_done = Signal(object)  # LookupReply
    status_done = Signal(object)  # StatusReply
    cancel_blocked = Signal(object)  # CancelBlocked
    cancel_sending = Signal(object)  # CancelSending
    cancel_done = Signal(object)  # CancelReply
    failed = Signal(object)  # WorkerFailure
    connection_tested = Signal(object)  # ConnectionTestReply
    busy_changed = Signal(bool)

    def __init__(
        self,
        actions: ActionStore,
        client_factory: ClientFactory = default_client_factory,
        stopping: threading.Event | None = None,
    ) -> None:
        super().__init__()
        self._actions = actions
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

    # -- reads ---------------------------------------------------------------------------

    @Slot(int, str)
    def lookup(self, request_id: int, transaction_id: str) -> None:
        self.busy_changed.emit(True)
        try:
            detail = self._require_client().get_transaction(transaction_id)
            self.lookup_done.emit(LookupReply(request_id, transaction_id, detail))
        except BaseException as exc:  # noqa: BLE001 - never raise across threads
            self.failed.emit(
                WorkerFailure(request_id, "lookup", transaction_id, describe_error(exc))
            )
        finally:
            self.busy_changed.emit(False)

    @Slot(int, str)
    def read_status(self, request_id: int, transaction_id: str) -> None:
        try:
            status = self._require_client().get_transaction_status(transaction_id)
            self.status_done.emit(StatusReply(request_id, transaction_id, status))
        except BaseException as exc:  # noqa: BLE001 - never raise across threads
            self.failed.emit(
                WorkerFailure(request_id, "status", transaction_id, describe_error(exc))
            )

    # -- cancel --------------------------------------------------------------------------

    @Slot(object)
    def cancel(self, request: CancelRequest) -> None:
        """Pre-flight status read, durable record, one Cancel, record the answer. Never re-sent."""
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
        txn = request.transaction_id
        client = self._require_client()
        try:
            fresh = client.get_transaction_status(txn)
        except BaseException as exc:  # noqa: BLE001 - nothing was sent: report the read
            self.failed.emit(
                WorkerFailure(request.request_id, "cancel-check", txn, describe_error(exc))
            )
            return
        current = fresh.transaction_status
        if current != request.expected_status or not current.cancellable:
            self.cancel_blocked.emit(
                CancelBlocked(request.request_id, txn, request.expected_status, current)
            )
            return
        if self._stopping.is_set():  # the window is closing: do not start a money action now
            log.warning("not sending Cancel of %s: fpsdesk is closing", txn)
            return
        action_id = self._actions.start(
            "Cancel",
            txn,
            environment=request.environment,
            endpoint=request.endpoint,
            reason=request.reason or None,
            status_before=current.value,
        )
        self.cancel_sending.emit(CancelSending(request.request_id, txn, action_id))
        try:
            result = client.cancel(txn, request.reason or None)
        except OutcomeUnknown as exc:
            self._actions.finish(action_id, ActionOutcome.UNKNOWN, error_message=exc.detail)
            self.cancel_done.emit(
                CancelReply(
                    request.request_id, txn, action_id, error=describe_error(exc), unknown=True
                )
            )
            return
        except FpsError as exc:
            self._actions.finish(
                action_id,
                ActionOutcome.FAILED,
                request_id=exc.request_id,
                error_code=exc.code,
                error_message=exc.message,
            )
            self.cancel_done.emit(
                CancelReply(request.request_id, txn, action_id, error=describe_error(exc))
            )
            return
        except FpsClientError as exc:
            # The client raises OutcomeUnknown whenever the request may have reached FPS, so
            # any other client error means it was not sent.
            self._actions.finish(action_id, ActionOutcome.FAILED, error_message=str(exc))
            self.cancel_done.emit(
                CancelReply(request.request_id, txn, action_id, error=describe_error(exc))
            )
            return
        except BaseException as exc:  # noqa: BLE001 - unexpected: assume it may have happened
            self._actions.finish(action_id, ActionOutcome.UNKNOWN, error_message=repr(exc))
            self.cancel_done.emit(
                CancelReply(
                    request.request_id, txn, action_id, error=describe_error(exc), unknown=True
                )
            )
            return
        succeeded = result.transaction_status == TransactionStatus.CANCELLED
        self._actions.finish(
            action_id,
            ActionOutcome.SUCCEEDED if succeeded else ActionOutcome.FAILED,
            status_after=result.transaction_status.value,
            request_id=result.request_id,
        )
        self.cancel_done.emit(CancelReply(request.request_id, txn, action_id, result=result))

    # -- settings ------------------------------------------------------------------------

    @Slot(int, object)
    def test_connection(self, request_id: int, config: ConnectionConfig) -> None:
        try:
            client = self._factory(config)
        except BaseException as exc:  # noqa: BLE001 - never raise across threads
            self.connection_tested.emit(
                ConnectionTestReply(request_id, False, "other", describe_error(exc).explanation)
            )
            return
        try:
            self.connection_tested.emit(probe_connection(request_id, client))
        finally:
            try:
                client.close()
            except Exception:
                log.debug("closing the probe client failed", exc_info=True)


def probe_connection(request_id: int, client: Any) -> ConnectionTestReply:
    """Classify a signed read: bad credentials, unreachable, TLS, clock skew, or fine."""
    tr = _ProbeText()
    try:
        result = client.get_transaction_status(PROBE_TRANSACTION_ID)
        return ConnectionTestReply(request_id, True, "ok", tr.ok, result.request_id)
    except FpsError as exc:
        if exc.code in ("InvalidTransactionId", "InvalidParams"):
            return ConnectionTestReply(request_id, True, "ok", tr.ok, exc.request_id)
        if exc.code in ("SignatureDoesNotMatch", "InvalidClientTokenId", "AuthFailure"):
            return ConnectionTestReply(
                request_id,
                False,
                "credentials",
                tr.credentials.format(code=exc.code),
                exc.request_id,
            )
        if exc.code in ("RequestExpired", "InvalidParameterValue") and (
            exc.code == "RequestExpired" or "Timestamp" in exc.message
        ):
            return ConnectionTestReply(request_id, False, "clock", tr.clock, exc.request_id)
        return ConnectionTestReply(
            request_id,
            False,
            "other",
            f"{exc.code}: {describe_error(exc).explanation}",
            exc.request_id,
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


class WorkerHost(QObject):
    """GUI-thread owner of the worker thread. Signals here are the only way in."""

    _configure = Signal(object)
    _lookup = Signal(int, str)
    _read_status = Signal(int, str)
    _cancel = Signal(object)
    _test_connection = Signal(int, object)
    _shutdown = Signal()

    def __init__(
        self,
        actions: ActionStore,
        client_factory: ClientFactory = default_client_factory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._stopping = threading.Event()
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("fpsdesk-worker")
        self.worker = ApiWorker(actions, client_factory, self._stopping)
        self.worker.moveToThread(self.worker_thread)
        self._configure.connect(self.worker.configure)
        self._lookup.connect(self.worker.lookup)
        self._read_status.connect(self.worker.read_status)
        self._cancel.connect(self.worker.cancel)
        self._test_connection.connect(self.worker.test_connection)
        self._shutdown.connect(self.worker.shutdown)
        self.worker_thread.finished.connect(self.worker.deleteLater)
        self._next_id = 0
        self._wait_ms = 30_000
        self._closed = False
        self.worker_thread.start()

    def next_request_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @property
    def closed(self) -> bool:
        return self._closed

    def configure(self, config: ConnectionConfig) -> None:
        # Bounded shutdown: the request in flight is at most one read with its one retry (a
        # Cancel is not sent once closing began), each exchange bounded by connect + read.
        self._wait_ms = int((config.connect_timeout + config.read_timeout) * 2 * 1000) + 2000
        if not self._closed:
            self._configure.emit(config)

    def lookup(self, transaction_id: str) -> int:
        request_id = self.next_request_id()
        if not self._closed:
            self._lookup.emit(request_id, transaction_id)
        return request_id

    def read_status(self, transaction_id: str) -> int:
        request_id = self.next_request_id()
        if not self._closed:
            self._read_status.emit(request_id, transaction_id)
        return request_id

    def cancel(self, request: CancelRequest) -> None:
        if not self._closed:
            self._cancel.emit(request)

    def test_connection(self, config: ConnectionConfig) -> int:
        request_id = self.next_request_id()
        if not self._closed:
            self._test_connection.emit(request_id, config)
        return request_id

    def shutdown(self) -> bool:
        """Stop taking requests, let the running one finish, stop the thread. Idempotent.

        Returns False if the thread did not finish in time (it is then left to finish on its
        own; it is never terminated, which could corrupt a write).
        """
        if self._closed:
            return not self.worker_thread.isRunning()
        self._closed = True
        self._stopping.set()
        self._shutdown.emit()
        self.worker_thread.quit()
        finished = self.worker_thread.wait(self._wait_ms)
        if not finished:
            log.warning("the worker thread did not finish within %d ms", self._wait_ms)
        return bool(finished)
