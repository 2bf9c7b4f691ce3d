"""The GUI thread, not whichever thread allocates, runs the cyclic garbage collector."""

from __future__ import annotations

import gc
import sys
import threading
import weakref
from typing import Any

from fpsdesk.ui.interpreter import SWITCH_INTERVAL_S, GuiThreadCollector


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_installed_collector_frees_cycles_from_its_timer_and_gives_everything_back(
    qtbot: Any,
) -> None:
    switch, enabled = sys.getswitchinterval(), gc.isenabled()
    collector = GuiThreadCollector()
    collector.install()
    try:
        assert not gc.isenabled()
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S
        assert gc.get_freeze_count() > 0  # what existed at start-up is out of every walk
        node = _Node()
        dead = weakref.ref(node)
        del node
        # Garbage made on a worker thread: with automatic collection off, it would stay.
        worker = threading.Thread(target=lambda: [_Node() for _ in range(5_000)])
        worker.start()
        worker.join()
        assert dead() is not None  # nothing collected it on the worker thread
        qtbot.waitUntil(lambda: dead() is None, timeout=5_000)
    finally:
        collector.uninstall()
    assert gc.isenabled() == enabled
    assert sys.getswitchinterval() == switch
    assert gc.get_freeze_count() == 0


def test_check_collects_nothing_below_cpythons_threshold() -> None:
    gc.collect()
    collector = GuiThreadCollector()
    node = _Node()
    dead = weakref.ref(node)
    del node
    collector.check()  # one young object: CPython would not collect yet either
    assert dead() is not None
    gc.collect()
    assert dead() is None
