"""Run a long-lived command (a server) until SIGINT or SIGTERM, however it was started.

A non-interactive shell starts a background job with SIGINT ignored, and Python only turns
SIGINT into KeyboardInterrupt when it was not ignored at start. So a server that prints
"Ctrl-C stops it" must install its own handlers for both signals instead of trusting the
disposition it inherited; a service manager's SIGTERM then stops it the same way.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_HINT = "Press Ctrl-C to stop (or send SIGTERM)."


@dataclass
class StopRequest:
    """Set by the first SIGINT/SIGTERM; a second one interrupts a stop that hangs."""

    event: threading.Event = field(default_factory=threading.Event)
    signum: int | None = None

    def wait(self, poll: float = 0.5) -> int | None:
        """Block until a stop signal arrives; the signal number, or None if set otherwise."""
        while not self.event.wait(poll):
            pass
        return self.signum


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Install SIGINT/SIGTERM handlers for the block; restore the previous ones after it."""
    request = StopRequest()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if request.event.is_set():
            # Asked twice: the orderly stop is taking too long, so give up on it.
            raise KeyboardInterrupt
        request.signum = signum
        request.event.set()

    previous = {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}
    try:
        yield request
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
