"""An overall deadline per HTTP exchange.

A socket read timeout applies to each receive, so a server that drips its headers or body a
byte at a time would hold the calling thread for ever. The transport attaches each exchange's
connection to a :class:`Watchdog`; when its deadline passes, the socket is shut down, the
blocked receive returns, and the exchange fails as a timeout. One shared
:class:`DeadlineWatcher` thread serves every exchange: a thread per request cost more than
the request itself on loopback.
"""

from __future__ import annotations

import contextlib
import heapq
import socket
import threading
import time
from typing import Protocol


class _Connection(Protocol):
    """What the watchdog cuts: an http.client connection (its socket, once connected)."""

    @property
    def sock(self) -> socket.socket | None: ...


class Watchdog:
    """Cuts the socket of one exchange when its overall deadline passes."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._connection: _Connection | None = None
        self._seconds = seconds
        self.expired = False
        self.done = False

    def attach(self, connection: _Connection) -> None:
        with self._lock:
            self._connection = connection
            expired = self.expired
        if expired:
            self._cut(connection)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            connection = self._connection
        if connection is not None:
            self._cut(connection)

    @staticmethod
    def _cut(connection: _Connection) -> None:
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Watchdog:
        _WATCHER.watch(self, time.monotonic() + self._seconds)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self.done = True


class DeadlineWatcher:
    """One daemon thread that expires the watchdogs whose deadline has passed.

    Finished watchdogs are dropped lazily (when they reach the top of the heap, or in a sweep
    when many have piled up); the thread ends after a minute with nothing to watch.
    """

    _IDLE_EXIT_S = 60.0
    _SWEEP_AT = 512

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Watchdog]] = []
        self._sequence = 0
        self._thread: threading.Thread | None = None

    def watch(self, watchdog: Watchdog, deadline: float) -> None:
        with self._cond:
            if len(self._heap) >= self._SWEEP_AT:
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)
            self._sequence += 1
            heapq.heappush(self._heap, (deadline, self._sequence, watchdog))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="fpsdesk-fps-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is watchdog:
                self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(self._IDLE_EXIT_S)
                    if not self._heap:
                        self._thread = None
                        return
                    continue
                deadline = self._heap[0][0]
                now = time.monotonic()
                if now < deadline:
                    self._cond.wait(deadline - now)
                    continue
                _, _, watchdog = heapq.heappop(self._heap)
                watchdog.expire()


_WATCHER = DeadlineWatcher()
