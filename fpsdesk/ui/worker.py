"""The GUI's way to the worker threads that sign and send every FPS request (qt-anchors §11.2).

Cancels and settling run on one long-lived QThread, the **actions** thread (``ApiWorker``,
api_worker.py), one after another, so a Cancel never races the settling of the same
transaction. Reads (look-ups, status reads, "Test connection") run on a small thread pool
instead, so a look-up is never queued behind a Cancel in flight, and a slow look-up the agent
abandoned (Esc) does not hold up the next one.

The GUI talks to the workers only through ``WorkerHost``: requests carry ids, answers are
signals carrying frozen dataclasses (``fpsdesk.desk.replies``), all of them arriving through
``WorkerHost.replies`` (reply_relay.py), which ``shutdown`` closes: nothing a worker says after
that reaches the GUI. ``WorkerHost`` shuts both down in bounded time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

from fpsdesk.desk.error_views import describe_error
from fpsdesk.desk.replies import (
    CancelRequest,
    ConnectionConfig,
    ConnectionTestReply,
    LookupReply,
    StatusReply,
    WorkerFailure,
)
from fpsdesk.fps.exceptions import NetworkError
from fpsdesk.store.actions import ActionStore
from fpsdesk.ui.api_worker import ApiWorker, ClientFactory, default_client_factory
from fpsdesk.ui.connection_probe import probe_connection
from fpsdesk.ui.reply_relay import ReadSignals, ReplyRelay

__all__ = ["WorkerHost", "warm_up"]

log = logging.getLogger(__name__)

# Reads at once: one for the agent's look-up, room for abandoned slow ones and status reads.
READ_THREADS = 3


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
        # Reads: a private pool; its jobs emit through ``reads`` from their threads.
        self.reads = ReadSignals(self)
        # Every answer reaches the GUI thread through ``replies``, closed by shutdown().
        self.replies = ReplyRelay(self)
        self.replies.relay_reads(self.reads)
        self.replies.relay_actions(self.worker)
        self.replies.actions_busy.connect(self._on_actions_busy)
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
        # Connected before any receiver of the session's: the count is right when they run.
        self.replies.lookup_done.connect(self._read_finished)
        self.replies.status_done.connect(self._read_finished)
        self.replies.failed.connect(self._read_finished)
        self.replies.connection_tested.connect(self._read_finished)
        self.worker_thread.start()

    @property
    def closed(self) -> bool:
        """Shut down: requests are refused and no reply reaches the GUI any more."""
        return self._closed

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
        if self.busy != before:
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
        self.replies.close()  # before the waits below: what they let finish is not delivered
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
