"""Output a server writes without ever waiting for whoever reads it.

``fpsdesk ipn serve`` printed each stored IPN before answering FPS, so when nobody read its
stdout (a service manager's pipe, a shell's forgotten job) the pipe filled up and every request
then blocked: 622 were acknowledged, the rest timed out. Here a line is handed to a bounded
queue that a writer thread empties into the file descriptor; when the queue is full the line is
dropped and counted, and the next line written says how many were lost. Nothing on a request's
path ever writes to a stream itself.

The writer uses ``os.write`` on the descriptor, not ``sys.stdout``: a thread blocked in a write
then holds no Python-level lock, so the process still exits when it is told to stop, even with
a reader that never comes back.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from typing import TextIO

DEFAULT_CAPACITY = 1000  # lines waiting for a slow reader before new ones are dropped


class LineWriter:
    """Writes lines to file descriptor ``fd`` on its own thread; ``put`` never blocks.

    Without a descriptor (``fd=None``, e.g. a test's captured stream) it writes to ``stream``.
    """

    def __init__(
        self,
        fd: int | None,
        *,
        stream: TextIO | None = None,
        capacity: int = DEFAULT_CAPACITY,
        encoding: str = "utf-8",
        name: str = "output-writer",
    ) -> None:
        if fd is None and stream is None:
            raise ValueError("give a file descriptor or a stream")
        self._fd = fd
        self._stream = stream
        self._encoding = encoding
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=max(1, capacity))
        self._lock = threading.Lock()
        self._dropped = 0  # since the last note about it
        self._dropped_total = 0
        self._broken = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @classmethod
    def for_stream(
        cls, stream: TextIO, *, name: str, capacity: int = DEFAULT_CAPACITY
    ) -> LineWriter:
        """A writer for ``stream`` (``sys.stdout``): its descriptor when it has one."""
        try:
            stream.flush()
            fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
        return cls(
            fd,
            stream=stream,
            capacity=capacity,
            encoding=getattr(stream, "encoding", None) or "utf-8",
            name=name,
        )

    @property
    def dropped(self) -> int:
        """Lines dropped so far because the reader did not keep up."""
        with self._lock:
            return self._dropped_total

    def put(self, line: str) -> bool:
        """Queue ``line`` (without its newline); False if it was dropped."""
        if self._broken:
            return False
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            with self._lock:
                self._dropped += 1
                self._dropped_total += 1
            return False
        return True

    def close(self, timeout: float) -> bool:
        """Write what is queued and stop; True if that finished within ``timeout`` seconds.

        A reader that never reads again cannot hold the caller longer than ``timeout``: the
        thread is a daemon and is simply left behind at exit.
        """
        deadline = time.monotonic() + timeout
        try:
            self._queue.put(None, timeout=max(0.0, timeout))
        except queue.Full:
            return False
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            line = self._queue.get()
            if line is None:
                return
            with self._lock:
                dropped, self._dropped = self._dropped, 0
            text = line + "\n"
            if dropped:
                text = (
                    f"fpsdesk: {dropped} line(s) were not printed: the output was not being "
                    "read\n" + text
                )
            if not self._write(text):
                self._broken = True  # the reader is gone (EPIPE) or the descriptor closed
                return

    def _write(self, text: str) -> bool:
        if self._fd is None:
            assert self._stream is not None
            try:
                self._stream.write(text)
                self._stream.flush()
            except (OSError, ValueError):
                return False
            return True
        view = memoryview(text.encode(self._encoding, "replace"))
        while view:
            try:
                written = os.write(self._fd, view)
            except InterruptedError:
                continue
            except OSError:
                return False
            view = view[written:]
        return True


class LineWriterHandler(logging.Handler):
    """A logging handler whose records go through a :class:`LineWriter` (so never block)."""

    def __init__(self, writer: LineWriter, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.writer.put(self.format(record))
        except Exception:  # noqa: BLE001 - as logging.Handler does: never raise into the caller
            self.handleError(record)


def unblock_stderr_logging(writer: LineWriter) -> None:
    """Send the root logger's stderr output through ``writer`` from now on.

    Each handler writing to stderr is replaced by a :class:`LineWriterHandler` with the same
    level, filters (the secret-redacting one) and formatter; file handlers are left alone.
    """
    import sys

    root = logging.getLogger()
    for handler in list(root.handlers):
        if (
            isinstance(handler, logging.StreamHandler)
            and not isinstance(handler, logging.FileHandler)
            and handler.stream in (sys.stderr, sys.__stderr__)
        ):
            replacement = LineWriterHandler(writer, handler.level)
            for item in handler.filters:
                replacement.addFilter(item)
            replacement.setFormatter(handler.formatter)
            replacement._fpsdesk = getattr(handler, "_fpsdesk", False)  # type: ignore[attr-defined]
            root.removeHandler(handler)
            root.addHandler(replacement)
