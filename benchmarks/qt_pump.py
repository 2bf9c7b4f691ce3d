"""Run the Qt event loop until a condition holds: the UI benchmarks' one way to wait."""

from __future__ import annotations

import time
from collections.abc import Callable


def pump_until(
    done: Callable[[], bool],
    timeout: float = 30.0,
    watch: Callable[[], None] | None = None,
    *,
    step_ms: int = 5,
    what: str = "the benchmark's work",
) -> None:
    """Process events in ``step_ms`` slices until ``done()``; ``watch()`` after each slice.
    TimeoutError naming ``what`` after ``timeout`` seconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not finish in time")
        QTimer.singleShot(step_ms, loop.quit)
        loop.exec()
        if watch is not None:
            watch()
