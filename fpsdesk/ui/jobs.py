"""Long jobs off the GUI thread: a search, a bulk dry run, a bulk run, one QThread each.

The actions thread and the read pool of ``worker.py`` serve one request at a time and answer
once; a search or a bulk run instead lasts minutes and reports as it goes. Each such job is a
plain function run on a ``Job`` (a QThread of its own). It gets a ``JobContext``:

- ``client()``: an FpsClient built on the job's thread with ``worker.default_client_factory``
  from the session's connection, closed when the job ends;
- ``database()``: its own connection to the history the app uses (the local file or the
  profile's shared history; connections are never shared between threads here), closed when
  the job ends;
- ``stop``: a threading.Event the GUI sets to stop it;
- ``report(value)``: a plain value for the GUI (``due()`` says when the last report is old
  enough for another, so a job sends at most ten a second however fast it goes).

The job's signals carry the job id and plain values (frozen dataclasses, lists of them) and
are connected only to bound methods of GUI-thread QObjects, so they arrive queued on the GUI
thread. A job never raises across threads: an exception becomes an ``ErrorView``.
``JobHost.shutdown`` stops every job and waits for it, bounded by the request timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from fpsdesk.desk.replies import ConnectionConfig, ErrorView
from fpsdesk.ui.interpreter import hold_full_collections

if TYPE_CHECKING:
    from fpsdesk.store.db import HistoryConnection
    from fpsdesk.store.history_location import HistoryLocation

log = logging.getLogger(__name__)


def _nothing() -> None:
    """What releasing a hold that is already gone does."""


REPORT_INTERVAL = 0.1  # seconds between two progress reports of one job
AFTER_PAINT_MS = 60  # a new page is painted (its rows too, in bands: rows_later.py) first
ClientFactory = Callable[[ConnectionConfig], Any]


def history_file(actions: Any) -> Path:
    """The history database file the session's action log writes to (jobs open their own
    connection to it); the default history file when that log is not on a file."""
    from fpsdesk.store.location import default_path

    found = actions.database_file() if hasattr(actions, "database_file") else None
    return found if found is not None else default_path()


def session_history(session: Any) -> HistoryLocation:
    """Where the session's history is: the location the app opened it from (a profile's
    shared history, with its password), else its action log's file."""
    from fpsdesk.store.history_location import HistoryLocation

    location = getattr(session, "history", None)
    if isinstance(location, HistoryLocation):
        return location
    return HistoryLocation(history_file(session.actions))


class JobContext:
    """What a job's function gets: the client, the database, the stop event, reports."""

    def __init__(self, job: Job) -> None:
        self._job = job
        self.stop = job.stop_event
        self._client: Any = None
        self._db: HistoryConnection | None = None
        self._last_report = 0.0

    def client(self) -> Any:
        if self._client is None:
            if self._job.config is None:
                from fpsdesk.fps.exceptions import NetworkError

                raise NetworkError("No connection is configured; open Settings to add a profile.")
            self._client = self._job.client_factory(self._job.config)
        return self._client

    def database(self) -> HistoryConnection:
        if self._db is None:
            self._db = self._job.history.open()
        return self._db

    def due(self) -> bool:
        """True when the last report is at least REPORT_INTERVAL old (and starts a new one)."""
        now = time.monotonic()
        if now - self._last_report >= REPORT_INTERVAL:
            self._last_report = now
            return True
        return False

    def report(self, value: object) -> None:
        self._job.progressed.emit(self._job.job_id, value)

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:
                log.debug("closing a job's FPS client failed", exc_info=True)
            self._client = None
        if self._db is not None:
            try:
                self._db.close()
            except Exception:
                log.debug("closing a job's database failed", exc_info=True)
            self._db = None


class Job(QThread):
    """One long job on a thread of its own. Signals carry (job id, plain value)."""

    progressed = Signal(int, object)
    succeeded = Signal(int, object)
    failed = Signal(int, object)  # ErrorView

    def __init__(
        self,
        job_id: int,
        name: str,
        work: Callable[[JobContext], object],
        *,
        config: ConnectionConfig | None,
        history: HistoryLocation,
        client_factory: ClientFactory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.job_id = job_id
        self.name = name
        self.config = config
        self.history = history
        self.client_factory = client_factory
        self.stop_event = threading.Event()
        self.stoppers: list[Callable[[], None]] = []  # also called by stop() (BulkControl.stop)
        self._work = work
        self.setObjectName(f"fpsdesk-{name}-{job_id}")

    def stop(self) -> None:
        """Ask the job to stop (from the GUI thread); it ends after the request in flight."""
        self.stop_event.set()
        for stopper in self.stoppers:
            stopper()

    def run(self) -> None:
        context = JobContext(self)
        try:
            result = self._work(context)
        except BaseException as exc:  # noqa: BLE001 - never raise across threads
            self.failed.emit(self.job_id, job_error(exc))
        else:
            self.succeeded.emit(self.job_id, result)
        finally:
            context.close()


def job_error(exc: BaseException) -> ErrorView:
    """An ErrorView for what ended a job: input and history problems are plain sentences."""
    from fpsdesk.desk.bulk_input import BulkInputError
    from fpsdesk.desk.cancel import NotRecorded
    from fpsdesk.store.db import database_errors

    if isinstance(exc, BulkInputError):
        return ErrorView(kind="invalid", title=str(exc), explanation="")
    from fpsdesk.store.schema import HistoryUnreachable

    if isinstance(exc, HistoryUnreachable) or getattr(exc, "offline", False):
        from fpsdesk.desk.error_views import offline_error

        return offline_error(str(exc))
    if isinstance(exc, database_errors(NotRecorded, OSError)):
        return ErrorView(
            kind="not_recorded",
            title="The history could not be written, so nothing more was sent.",
            explanation=str(exc),
            next_step="Free some disk space or fix the history file, then try again.",
        )
    from fpsdesk.desk.error_views import describe_error

    return describe_error(exc)


class JobHost(QObject):
    """Starts jobs, keeps them until their thread ends, stops and waits for them at shutdown."""

    def __init__(
        self,
        config: Callable[[], ConnectionConfig | None],
        history: Callable[[], HistoryLocation],
        client_factory: ClientFactory | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if client_factory is None:
            from fpsdesk.ui.api_worker import default_client_factory

            client_factory = default_client_factory
        self._config = config
        self._history = history
        self._factory = client_factory
        self._jobs: dict[int, Job] = {}
        self._next_id = 0
        self._closed = False
        self._waiting: set[int] = set()  # started once their page is painted
        self._holds: dict[int, Callable[[], None]] = {}  # full collections wait for these jobs

    @property
    def closed(self) -> bool:
        return self._closed

    def connected(self) -> bool:
        return self._config() is not None

    def start(
        self,
        name: str,
        work: Callable[[JobContext], object],
        *,
        progressed: Callable[[int, object], None] | None = None,
        succeeded: Callable[[int, object], None],
        failed: Callable[[int, object], None],
        stoppers: tuple[Callable[[], None], ...] = (),
        paint_first: QWidget | None = None,
    ) -> Job | None:
        """Run ``work`` on a new thread; the callbacks must be bound methods of GUI-thread
        QObjects (they are called on the GUI thread). None once shut down.

        ``paint_first``: a widget that has just changed a lot (a new page). The thread starts
        only once the event loop has painted it (AFTER_PAINT_MS later): painted while the new
        thread runs, each of its cells would wait for the interpreter lock that thread holds (a
        10 ms repaint became a 40 ms stall); painted at once, here, the page was painted twice
        in one stall, since its layouts and item views settle a moment later. A stop asked
        in between is seen by the job as soon as it starts."""
        if self._closed:
            return None
        self._next_id += 1
        job = Job(
            self._next_id,
            name,
            work,
            config=self._config(),
            history=self._history(),
            client_factory=self._factory,
            parent=self,
        )
        job.stoppers.extend(stoppers)
        if progressed is not None:
            job.progressed.connect(progressed)
        job.succeeded.connect(succeeded)
        job.failed.connect(failed)
        job.finished.connect(self._on_finished)
        self._jobs[job.job_id] = job
        self._holds[job.job_id] = hold_full_collections()
        if paint_first is None or not paint_first.isVisible():
            job.start()
        else:
            self._waiting.add(job.job_id)
            QTimer.singleShot(AFTER_PAINT_MS, self, lambda: self._start_painted(job))
        return job

    def _start_painted(self, job: Job) -> None:
        self._waiting.discard(job.job_id)
        if not self._closed and self._jobs.get(job.job_id) is job:
            job.start()
        else:
            self._holds.pop(job.job_id, _nothing)()

    def running(self) -> list[Job]:
        """Jobs whose thread runs or is about to start."""
        return [
            job for job in self._jobs.values() if job.isRunning() or job.job_id in self._waiting
        ]

    @Slot()
    def _on_finished(self) -> None:
        job = self.sender()
        if isinstance(job, Job) and self._jobs.get(job.job_id) is job:
            job.wait()  # its run() has returned: this only lets the thread wind down
            del self._jobs[job.job_id]
            self._holds.pop(job.job_id, _nothing)()
            job.deleteLater()

    def shutdown(self, timeout: float = 40.0) -> bool:
        """Stop every job and wait for it (a request in flight finishes first); True if all
        ended in time."""
        self._closed = True
        for job in self._jobs.values():
            job.stop()
        deadline = time.monotonic() + timeout
        ended = True
        for job in list(self._jobs.values()):
            left = max(0.0, deadline - time.monotonic())
            if not job.wait(int(left * 1000)):
                log.warning("job %s did not end in time", job.objectName())
                ended = False
        for release in self._holds.values():
            release()
        self._holds.clear()
        return ended
