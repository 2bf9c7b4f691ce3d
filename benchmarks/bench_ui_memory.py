"""A day of look-ups must not grow the app's memory.

The real main window looks up transactions one after another, as an agent does all day
(type the ID, Enter, wait for the page), against ``fpsdesk sandbox`` in its own process so the
server's memory is not counted. Resident memory (RSS) is read after a warm-up of 200 look-ups
(caches, fonts, Qt's pools filled) and again at the end; the growth between them is the
figure. Target: under 5 MB over 2,000 look-ups. The baseline row is the same growth with no
look-ups: the idle window pumped for as long.

``--quick``: 300 look-ups after a 100 look-up warm-up. ``--trace``: also print where the
growth was allocated (tracemalloc, Python objects only; slower).
"""

from __future__ import annotations

import gc
import os
import pathlib
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from qt_pump import pump_until
from run import Row
from sandbox_process import start_sandbox

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_MB = 5.0


def _rss_mb() -> float:
    """Resident memory now (not the peak): /proc/self/statm's second field, in pages."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _pump_until(done: Callable[[], bool], timeout: float = 30.0) -> None:
    pump_until(done, timeout, step_ms=2, what="the look-up")


def _settled_rss() -> float:
    """RSS once garbage is gone and Qt's deferred deletes have run."""
    from PySide6.QtCore import QCoreApplication, QEvent

    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
        gc.collect()
    return _rss_mb()


def run(quick: bool, trace: bool = False) -> list[Row]:
    warm, count = (100, 300) if quick else (200, 2_000)
    with tempfile.TemporaryDirectory(prefix="fpsdesk-bench-mem-") as tmp:
        root = pathlib.Path(tmp)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            (root / var.lower()).mkdir()
            os.environ[var] = str(root / var.lower())
        process, url = start_sandbox()
        try:
            return _measure(url, root, warm, count, trace)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _create(url: str, n: int) -> list[str]:
    import requests

    ids = []
    with requests.Session() as http:
        for _ in range(n):
            answer = http.post(
                f"{url}_sandbox/transactions",
                json={"status": "Reserved", "amount": "25.00"},
                timeout=10,
            )
            answer.raise_for_status()
            ids.append(str(answer.json()["transaction_id"]))
    return ids


def _measure(url: str, root: pathlib.Path, warm: int, count: int, trace: bool) -> list[Row]:
    from PySide6.QtWidgets import QApplication

    from fpsdesk.desk.replies import ConnectionConfig
    from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
    from fpsdesk.store.actions import ActionStore
    from fpsdesk.store.db import open_database
    from fpsdesk.ui.application import create_application
    from fpsdesk.ui.interpreter import GuiThreadCollector
    from fpsdesk.ui.main_window import MainWindow
    from fpsdesk.ui.session import DeskSession

    create_application()
    app = QApplication.instance()
    assert app is not None
    # Fifty transactions looked up in turn, as an agent comes back to the same few orders.
    ids = _create(url, 50)
    conn = open_database(root / "history.sqlite3")
    session = DeskSession(ActionStore(conn))
    session.connect_to(
        ConnectionConfig(url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, "Local sandbox")
    )
    window = MainWindow(session)
    collector = GuiThreadCollector(window)
    window.resize(1440, 900)
    window.show()
    done = 0

    def look_up(n: int) -> None:
        nonlocal done
        for _ in range(n):
            txn = ids[done % len(ids)]
            window.id_edit.setText(txn)
            window.lookup_from_field()
            _pump_until(
                lambda t=txn: (
                    window.transaction_view.detail is not None
                    and window.transaction_view.detail.transaction_id == t
                    and session.current_lookup is None
                )
            )
            done += 1

    snapshot: Any = None
    try:
        collector.install()  # as run_gui does once the window is up
        look_up(warm)
        if trace:
            import tracemalloc

            tracemalloc.start(12)
        before = _settled_rss()
        if trace:
            snapshot = tracemalloc.take_snapshot()
        started = time.monotonic()
        look_up(count)
        after = _settled_rss()
        took = time.monotonic() - started
        if trace:
            _print_growth(snapshot)
        # Baseline: the idle window for a tenth as long (memory does not move while idle).
        idle_before = _settled_rss()
        end = time.monotonic() + min(took / 10, 20.0)
        _pump_until(lambda: time.monotonic() > end, 60)
        idle_after = _settled_rss()
    finally:
        collector.uninstall()
        window.close()
        session.shutdown()
        conn.close()
        window.deleteLater()
        app.processEvents()
    growth = after - before
    return [
        Row(
            f"memory growth over {count:,} look-ups after {warm} "
            f"({took:.0f} s; RSS {after:.0f} MB)",
            growth,
            "MB",
            idle_after - idle_before,
            "idle window",
            f"< {TARGET_MB:.0f} MB",
            growth < TARGET_MB,
        )
    ]


def _print_growth(snapshot: Any) -> None:
    import tracemalloc

    gc.collect()
    stats = tracemalloc.take_snapshot().compare_to(snapshot, "traceback")
    tracemalloc.stop()
    print("where the growth was allocated (top 12):")
    for stat in stats[:12]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB  {stat.count_diff:+7d} blocks")
        for line in stat.traceback.format()[-8:]:
            print(f"      {line}")


if __name__ == "__main__":
    from run import print_table

    print_table(run(quick="--quick" in sys.argv, trace="--trace" in sys.argv))
