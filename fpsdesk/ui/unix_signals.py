"""Ctrl+C and SIGTERM end the app in order, instead of never (or by a crash).

Python runs its signal handlers only when the interpreter gets control, and Qt's event loop can
sit in C++ for as long as nobody moves the mouse: Ctrl+C in the terminal did nothing, and the
KeyboardInterrupt it left pending went off in whatever Python callback ran next (once, while
the X connection broke, inside Qt's message handler: a segfault). Here the C-level handler
writes the signal number to a socket (``signal.set_wakeup_fd``) that a QSocketNotifier
watches, so the event loop wakes at once and the app shuts down as if its window were closed
(the worker finishes the request in flight, bounded by the HTTP timeouts; geometry is saved),
then exits with 128 + the signal number, as a shell expects. No dialog asks anything: a
signal is not a person who can answer.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Slot

log = logging.getLogger(__name__)

HANDLED = tuple(
    sig
    for sig in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None))
    if sig is not None
)


class SignalQuitter(QObject):
    """While installed, SIGINT and SIGTERM call ``on_signal(signum)`` on the GUI thread."""

    def __init__(self, on_signal: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_signal = on_signal
        self.received: int | None = None
        self._installed = False
        self._previous: dict[int, Any] = {}
        self._previous_fd = -1
        self._reader, self._writer = socket.socketpair()
        for sock in (self._reader, self._writer):
            sock.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def install(self) -> bool:
        """Take over the signals; False (and nothing changed) off the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return False
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for sig in HANDLED:
            self._previous[sig] = signal.signal(sig, self._note)
        self._installed = True
        return True

    def uninstall(self) -> None:
        if not self._installed:
            return
        self._installed = False
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        for sock in (self._reader, self._writer):
            sock.close()

    def _note(self, signum: int, frame: FrameType | None) -> None:
        """The Python-level handler: nothing to do, the wakeup byte carries the number."""

    @Slot()
    def _drain(self) -> None:
        try:
            data = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        for signum in data:
            if signum not in HANDLED:
                continue
            first = self.received is None
            self.received = signum
            if first:
                with contextlib.suppress(ValueError):
                    log.warning("received %s: closing fpsdesk", signal.Signals(signum).name)
                self._on_signal(signum)
