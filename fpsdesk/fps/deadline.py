"""An overall deadline per HTTP exchange, and the watched connections that honour it.

A socket read timeout applies to each receive, so a server that drips its headers or body a
byte at a time would hold the calling thread for ever. The connection classes here attach
themselves to the :class:`Watchdog` of the exchange running on their thread; when its deadline
passes, the socket is shut down, the blocked receive returns, and the exchange fails as a
timeout. One shared :class:`DeadlineWatcher` thread serves every exchange: a thread per request
cost more than the request itself on loopback.
"""

from __future__ import annotations

import contextlib
import heapq
import socket
import threading
import time
from typing import Any

import urllib3.connection
import urllib3.connectionpool


class Watchdog:
    """Cuts the socket of one exchange when its overall deadline passes."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._connection: urllib3.connection.HTTPConnection | None = None
        self._seconds = seconds
        self.expired = False
        self.done = False

    def attach(self, connection: urllib3.connection.HTTPConnection) -> None:
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
    def _cut(connection: urllib3.connection.HTTPConnection) -> None:
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Watchdog:
        _in_flight.watchdog = self
        _WATCHER.watch(self, time.monotonic() + self._seconds)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self.done = True
        _in_flight.watchdog = None


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
_in_flight = threading.local()


def _attach_to_watchdog(connection: urllib3.connection.HTTPConnection) -> None:
    watchdog = getattr(_in_flight, "watchdog", None)
    if isinstance(watchdog, Watchdog):
        watchdog.attach(connection)


class _OneSendMixin:
    """Sends a request's head and a small bytes body in one ``send``.

    urllib3 sends the head, then the body: two segments (TCP_NODELAY is on), and a server that
    reads the head first waits for the second. http.client joins them when the body is bytes;
    doing the same took about a tenth off each loopback exchange.
    """

    _held: bytes | None = None
    _hold = False

    def _start_request(self, body: object) -> None:
        self._held = None
        self._hold = isinstance(body, bytes) and 0 < len(body) <= 64 * 1024

    def _end_request(self) -> None:
        self._held, self._hold = None, False

    def send(self, data: Any) -> None:
        if self._hold and isinstance(data, bytes):
            if self._held is None:
                self._held = data  # the head: wait for the body
                return
            data, self._held, self._hold = self._held + data, None, False
        super().send(data)  # type: ignore[misc]


class WatchedHTTPConnection(_OneSendMixin, urllib3.connection.HTTPConnection):
    def request(self, method: str, url: str, body: Any = None, *args: Any, **kwargs: Any) -> None:
        _attach_to_watchdog(self)
        self._start_request(body)
        try:
            super().request(method, url, body, *args, **kwargs)
        finally:
            self._end_request()


class WatchedHTTPSConnection(_OneSendMixin, urllib3.connection.HTTPSConnection):
    def request(self, method: str, url: str, body: Any = None, *args: Any, **kwargs: Any) -> None:
        _attach_to_watchdog(self)
        self._start_request(body)
        try:
            super().request(method, url, body, *args, **kwargs)
        finally:
            self._end_request()


class _QuietPoolMixin:
    """A full pool closes a returned connection without urllib3's "pool is full" warning:
    the pool keeps at most ``maxsize`` idle connections by design, not by accident."""

    pool: Any

    def _put_conn(self, conn: Any) -> None:
        if conn is not None and self.pool is not None and self.pool.full():
            conn.close()
            return
        super()._put_conn(conn)  # type: ignore[misc]


class WatchedHTTPPool(_QuietPoolMixin, urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(_QuietPoolMixin, urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


WATCHED_POOLS: dict[str, type[urllib3.connectionpool.HTTPConnectionPool]] = {
    "http": WatchedHTTPPool,
    "https": WatchedHTTPSPool,
}
