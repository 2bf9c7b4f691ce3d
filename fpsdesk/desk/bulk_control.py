"""Pause, resume and stop a bulk run, and its rate, from any thread.

The run (desk/bulk.py) waits on it between Cancels; the desktop app's buttons and the command
line's signal handler (commands/stopping.py) steer it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

DEFAULT_RATE = 2.0  # Cancels per second


@dataclass
class BulkControl:
    """Pause, resume, stop and the rate, from any thread (the GUI, a signal handler)."""

    rate: float = DEFAULT_RATE  # Cancels per second
    poll: float = 0.2  # seconds: how soon wait() sees a stop from a signal handler
    _running: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    # Set without a lock: a signal handler runs between two bytecodes of the main thread,
    # perhaps while that thread holds an Event's lock inside wait(), so it must not set one.
    _stop_flag: bool = False

    def __post_init__(self) -> None:
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def stop_from_signal(self) -> None:
        """Stop without taking a lock (safe in a signal handler); wait() sees it within poll."""
        self._stop_flag = True

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop_flag or self._stop.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` (or while paused); True if stopped meanwhile."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            if self.stopped:
                return True
            if not self._running.wait(self.poll):
                continue  # paused
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._stop.wait(min(left, self.poll)):
                return True
