"""Keep the interpreter from stalling the GUI thread.

Two things outside our code stalled the window for 30 to 70 ms during long jobs (a 10,000-item
bulk cancel, a search over months of activity):

- **Garbage collection.** CPython collects whenever a thread allocates enough, on that
  thread, with the interpreter lock held: a full collection started by a worker building a
  result list froze the GUI thread for 25 ms and more. Here the automatic collector is turned
  off and the GUI thread collects instead, from a timer, with the thresholds CPython itself
  uses (so no cycle lives much longer than it would have). The objects that exist once the
  window is up (modules, classes, Qt wrappers: most of the heap) are frozen first, so a full
  collection walks only what was made since. pyqtgraph's ``GarbageCollector`` does the same
  for the same reason.
- **The lock hand-over.** Every Python call the GUI thread makes (a slot, a model's
  ``data``) must take the lock; while a worker runs Python, the GUI thread waits for the
  interpreter's switch interval (5 ms by default) before the worker is made to let go, once
  per call. A 1 ms interval makes that wait short; the cost is more hand-overs between busy
  workers, which do not show.
"""

from __future__ import annotations

import gc
import logging
import sys
import time

from PySide6.QtCore import QObject, QTimer, Slot

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001
CHECK_MS = 250  # often enough that young objects stay few, so each check is quick
_THRESHOLDS = gc.get_threshold()  # CPython's own, read before anything changes them


class GuiThreadCollector(QObject):
    """Runs the cyclic garbage collector on the GUI thread, between events."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)
        self._installed = False
        self._switch_before = sys.getswitchinterval()
        self._gc_was_enabled = gc.isenabled()
        self.longest_ms = 0.0  # for the benchmarks: the longest collection this made

    def install(self) -> None:
        """Freeze what exists now, then collect from the timer instead of on any thread."""
        if self._installed:
            return
        self._switch_before = sys.getswitchinterval()
        self._gc_was_enabled = gc.isenabled()
        gc.collect()  # nothing unreachable may be frozen: it could never be freed
        gc.freeze()
        gc.disable()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._timer.start()
        self._installed = True

    def uninstall(self) -> None:
        """Give collection back to CPython (tests share one interpreter)."""
        if not self._installed:
            return
        self._timer.stop()
        gc.unfreeze()
        if self._gc_was_enabled:
            gc.enable()
        sys.setswitchinterval(self._switch_before)
        self._installed = False

    @property
    def installed(self) -> bool:
        return self._installed

    @Slot()
    def check(self) -> None:
        """Collect the generations CPython would have collected by now."""
        young, middle, old = gc.get_count()
        if young < _THRESHOLDS[0]:
            return
        generation = 0
        if middle >= _THRESHOLDS[1]:
            generation = 2 if old >= _THRESHOLDS[2] else 1
        started = time.perf_counter()
        gc.collect(generation)
        took = (time.perf_counter() - started) * 1000
        self.longest_ms = max(self.longest_ms, took)
        if took > 8:
            log.debug("garbage collection of generation %d took %.1f ms", generation, took)
