"""Keep the interpreter from stalling the GUI thread.

Two things outside our code stalled the window for 30 to 70 ms during long jobs (a 10,000-item
bulk cancel, a search over months of activity):

- **Garbage collection.** CPython collects whenever a thread allocates enough, on that
  thread, with the interpreter lock held. Young collections are short (they walk at most a
  few thousand new objects) and stay automatic. A *full* collection walks the whole heap: one
  started by a worker building a result list froze the window for 25 ms and more. Here
  automatic collections never reach the oldest generation; the GUI thread makes the full
  collections instead, from a timer, by CPython's own rules (after ten collections of the
  middle generation, and only once the long-lived objects grew by a quarter since the last
  one). The objects that exist once the window is up (modules, classes, Qt wrappers: most of
  the heap) are frozen first, so a full collection walks only what was made since.
  pyqtgraph's ``GarbageCollector`` moves collection to the GUI thread for the same reason.
  Even there a full collection stalls the window for its whole length (8 to 30 ms with a
  10,000-item bulk run's rows alive), and every one measured during such a run freed
  nothing. So while a long job runs (``hold_full_collections``), a full collection waits
  until the job has ended and the window has been quiet for ``QUIET_S``, when no progress
  or page change is being painted; unless the heap has grown past ``HELD_GROWTH``, which
  bounds what holding can cost in memory.
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
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Slot

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001
CHECK_MS = 250
_NEVER = 1 << 30  # a threshold automatic collection never reaches
_GROWTH = 0.25  # CPython's rule: a full collection once the long-lived grew by a quarter
QUIET_S = 1.0  # after the last held job ended, before a held full collection is made
HELD_GROWTH = 3.0  # a held full collection is made anyway once the long-lived grew by 300%

_holds = 0
_released_at = 0.0


def hold_full_collections() -> Callable[[], None]:
    """Defer full collections while a long job runs; call the returned function (once or more)
    when it has ended. Process-wide, as the collector is."""
    global _holds
    _holds += 1
    released = False

    def release() -> None:
        global _holds, _released_at
        nonlocal released
        if not released:
            released = True
            _holds -= 1
            _released_at = time.monotonic()

    return release


def holding() -> bool:
    """Whether a long job holds full collections now."""
    return _holds > 0


def _held() -> bool:
    return _holds > 0 or time.monotonic() - _released_at < QUIET_S


class GuiThreadCollector(QObject):
    """Makes the full garbage collections on the GUI thread, between events."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)
        self._installed = False
        self._switch_before = sys.getswitchinterval()
        self._thresholds = gc.get_threshold()
        self._long_lived = 0  # objects in the oldest generation after the last full collection
        self._seen = -1  # middle collections counted at the last check that walked the heap
        self._deferred = False  # due by CPython's rule at that check, but held
        self.longest_ms = 0.0  # for the benchmarks: the longest full collection made here,
        self.last_ms = 0.0  # the last one,
        self.collections = 0  # and how many

    def install(self) -> None:
        """Freeze what exists now; from then on, full collections happen only in ``check``."""
        if self._installed:
            return
        self._switch_before = sys.getswitchinterval()
        self._thresholds = gc.get_threshold()
        gc.collect()  # nothing unreachable may be frozen: it could never be freed
        gc.freeze()
        self._long_lived = len(gc.get_objects(generation=2))
        gc.set_threshold(self._thresholds[0], self._thresholds[1], _NEVER)
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._timer.start()
        self._installed = True

    def uninstall(self) -> None:
        """Give collection back to CPython (tests share one interpreter)."""
        if not self._installed:
            return
        self._timer.stop()
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()
        sys.setswitchinterval(self._switch_before)
        self._installed = False

    def due(self) -> bool:
        """Whether CPython itself would make a full collection now (or, while a job holds
        them, whether the heap has grown too much to wait any longer)."""
        if gc.get_count()[2] < self._thresholds[2]:
            return False
        # Measured against the frozen objects too, as CPython measures against the whole old
        # generation: else, with the start-up heap frozen, every small growth looks like a
        # quarter and full collections come far more often than CPython would make them.
        base = self._long_lived + gc.get_freeze_count()
        growth = len(gc.get_objects(generation=2)) - self._long_lived
        held = _held()
        self._deferred = held and growth > base * _GROWTH
        return growth > base * (HELD_GROWTH if held else _GROWTH)

    @Slot()
    def check(self) -> None:
        middle_collections = gc.get_count()[2]
        if middle_collections == self._seen and not (self._deferred and not _held()):
            return  # nothing reached the old generation since the last look: no heap walk
        self._seen = middle_collections
        if not self.due():
            return
        started = time.perf_counter()
        gc.collect()
        took = (time.perf_counter() - started) * 1000
        self._long_lived = len(gc.get_objects(generation=2))
        self._seen = -1
        self.longest_ms = max(self.longest_ms, took)
        self.last_ms = took
        self.collections += 1
        if took > 8:
            log.debug("a full garbage collection took %.1f ms", took)
