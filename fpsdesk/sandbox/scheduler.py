"""A timer thread: runs callables at given instants, in order, and stops promptly.

The sandbox uses one for "a credit-card payment moves on after N seconds" and one for IPN
delivery with retries, so a slow IPN receiver never holds up a state change.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class TimerQueue:
    def __init__(self, name: str) -> None:
        self._name = name
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._busy = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._heap.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def call_at(self, when: float, job: Callable[[], None]) -> None:
        """Run ``job`` on the timer thread at ``time.monotonic()`` instant ``when``."""
        with self._cond:
            if self._stopping:
                return
            heapq.heappush(self._heap, (when, next(self._counter), job))
            self._cond.notify_all()

    def call_later(self, delay: float, job: Callable[[], None]) -> None:
        self.call_at(time.monotonic() + max(0.0, delay), job)

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing due within ``timeout`` is queued or running.

        Jobs due later (a reserve expiring in an hour) do not count: waiting cannot help them.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._heap and self._heap[0][0] <= deadline) or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    if self._heap:
                        wait = self._heap[0][0] - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self._stopping:
                    return
                _, _, job = heapq.heappop(self._heap)
                self._busy = True
            try:
                job()
            except Exception:  # a failing job must not kill the timer thread
                log.exception("%s: scheduled job failed", self._name)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
