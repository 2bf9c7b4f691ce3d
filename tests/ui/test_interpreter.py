"""Full garbage collections happen on the GUI thread, never on a worker holding the lock."""

from __future__ import annotations

import gc
import sys
import threading
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
