"""Full garbage collections happen on the GUI thread, never on a worker holding the lock."""

from __future__ import annotations

import gc
import sys
import threading
import time
import weakref
from typing import Any

import pytest

from fpsdesk.ui.interpreter import SWITCH_INTERVAL_S, GuiThreadCollector


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def _old_garbage() -> weakref.ref[_Node]:
    """A cycle in the oldest generation, unreachable: only a full collection frees it."""
    node = _Node()
    gc.collect(1)  # survivors of the two young generations move to the oldest
    dead = weakref.ref(node)
    del node
    return dead


def test_full_collections_move_from_workers_to_the_gui_thread(qtbot: Any) -> None:
    switch, thresholds = sys.getswitchinterval(), gc.get_threshold()
    collector = GuiThreadCollector()
    collector.install()
    kept: list[object] = []
    try:
        assert gc.isenabled()  # young collections stay automatic
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S
        assert gc.get_freeze_count() > 0  # what existed at start-up is out of every walk
        dead = _old_garbage()

        # Far past the point where CPython would collect in full: the long-lived objects
        # (frozen ones included, as CPython counts them) grow by half.
        chunks = max(200, gc.get_freeze_count() // 2_000)

        def allocate() -> None:
            for _ in range(chunks):
                kept.append([[] for _ in range(1_000)])

        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert gc.get_count()[2] >= thresholds[2]  # a full collection was due...
        assert dead() is not None  # ...and the worker did not make it
        qtbot.waitUntil(lambda: dead() is None, timeout=5_000)  # the GUI thread's timer did
        assert collector.longest_ms > 0
    finally:
        collector.uninstall()
        kept.clear()
    assert gc.get_threshold() == thresholds
    assert sys.getswitchinterval() == switch
    assert gc.get_freeze_count() == 0


def test_no_full_collection_until_the_long_lived_objects_grew_by_a_quarter() -> None:
    collector = GuiThreadCollector()
    collector.install()
    kept = [[] for _ in range(gc.get_freeze_count())]  # made after start-up: twice the heap
    try:
        for _ in range(10):
            gc.collect(1)
        assert collector.due()
        collector.check()
        dead = _old_garbage()
        for _ in range(20):  # the count says due, the heap has not grown: CPython waits too
            gc.collect(1)
        assert gc.get_count()[2] >= 10
        assert not collector.due()
        collector.check()
        assert dead() is not None
    finally:
        collector.uninstall()
        kept.clear()
    gc.collect()
    assert dead() is None


def test_an_idle_window_does_not_walk_the_heap_on_every_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collector = GuiThreadCollector()
    collector.install()
    try:
        for _ in range(10):
            gc.collect(1)  # a full collection's count is reached (the heap need not grow)
        walks = []
        real = gc.get_objects
        monkeypatch.setattr(gc, "get_objects", lambda **kw: walks.append(kw) or real(**kw))
        for _ in range(5):  # five timer ticks with nothing new in the old generation
            collector.check()
        assert len(walks) <= 1
    finally:
        collector.uninstall()


def test_a_running_job_defers_full_collections_until_the_window_is_quiet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full collection during a long job stalled the bulk view by 10 to 30 ms and, in every
    one measured, freed nothing: it waits until the job has ended and the window is quiet."""
    from fpsdesk.ui import interpreter

    monkeypatch.setattr(interpreter, "QUIET_S", 0.2)
    collector = GuiThreadCollector()
    collector.install()
    kept = [[] for _ in range(gc.get_freeze_count())]  # grown past a quarter: due
    try:
        for _ in range(10):
            gc.collect(1)
        dead = _old_garbage()
        assert collector.due()
        release = interpreter.hold_full_collections()
        assert not collector.due()
        collector.check()
        assert dead() is not None  # held: not collected although due
        release()
        release()  # a second release is harmless
        collector.check()
        assert dead() is not None  # just released: the window may still be changing pages
        deadline = time.monotonic() + 5
        while dead() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
            collector.check()
        assert dead() is None  # quiet for QUIET_S: collected
    finally:
        collector.uninstall()
        kept.clear()


def test_a_held_collection_still_happens_once_the_heap_has_grown_too_much() -> None:
    """Holding must not let a job grow memory without bound."""
    from fpsdesk.ui import interpreter

    collector = GuiThreadCollector()
    collector.install()
    release = interpreter.hold_full_collections()
    kept: list[object] = []
    try:
        for _ in range(10):
            gc.collect(1)
        dead = _old_garbage()
        collector.check()
        assert dead() is not None
        base = gc.get_freeze_count() + len(gc.get_objects(generation=2))
        kept.extend([] for _ in range(int(base * interpreter.HELD_GROWTH) + 1_000))
        for _ in range(10):
            gc.collect(1)
        collector.check()
        assert dead() is None
    finally:
        release()
        collector.uninstall()
        kept.clear()


def test_every_job_holds_full_collections_until_its_thread_has_ended(
    qtbot: Any, tmp_path: Any
) -> None:
    from PySide6.QtCore import QObject, Slot

    from fpsdesk.store.history_location import HistoryLocation
    from fpsdesk.ui import interpreter
    from fpsdesk.ui.jobs import JobHost

    assert not interpreter.holding()
    go = threading.Event()
    results: list[object] = []

    class Receiver(QObject):
        @Slot(int, object)
        def done(self, _job_id: int, value: object) -> None:
            results.append(value)

    receiver = Receiver()
    host = JobHost(lambda: None, lambda: HistoryLocation(tmp_path / "history.sqlite3"))
    try:
        job = host.start(
            "hold", lambda _context: go.wait(5), succeeded=receiver.done, failed=receiver.done
        )
        assert job is not None
        qtbot.waitUntil(job.isRunning, timeout=5_000)
        assert interpreter.holding()
        go.set()
        qtbot.waitUntil(lambda: not host.running(), timeout=5_000)
        assert results == [True]
        assert not interpreter.holding()
    finally:
        go.set()
        host.shutdown(5)
    assert not interpreter.holding()
