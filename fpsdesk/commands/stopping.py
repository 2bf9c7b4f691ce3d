"""Run a long-lived command (a server) until SIGINT or SIGTERM, however it was started.

A non-interactive shell starts a background job with SIGINT ignored, and Python only turns
SIGINT into KeyboardInterrupt when it was not ignored at start. So a server that prints
"Ctrl-C stops it" must install its own handlers for both signals instead of trusting the
disposition it inherited; a service manager's SIGTERM then stops it the same way.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_HINT = "Press Ctrl-C to stop (or send SIGTERM)."


@dataclass
class StopRequest:
    """Set by the first SIGINT/SIGTERM; a second one interrupts a stop that hangs.

    The handler only assigns an attribute. A Python signal handler runs on the main thread
    between two bytecodes, possibly while that thread holds a lock (inside
    ``threading.Event.wait``, say); a handler that took the same lock would wait for itself
    forever, and CI once saw exactly that: a receiver that ignored SIGINT.
    """

    signum: int | None = None

    def wait(self, poll: float = 0.1) -> int:
        """Block until a stop signal arrives; its number.

        ``time.sleep`` is cut short by a signal only to run its handler, so the flag is
        looked at again at most ``poll`` seconds later.
        """
        while self.signum is None:
            time.sleep(poll)
        return self.signum


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Install SIGINT/SIGTERM handlers for the block; restore the previous ones after it."""
    request = StopRequest()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if request.signum is not None:
            # Asked twice: the orderly stop is taking too long, so give up on it.
            raise KeyboardInterrupt
        request.signum = signum

    previous = {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}
    try:
        yield request
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
