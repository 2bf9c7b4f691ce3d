"""The results dashboard over a year of 100,000 recorded Cancels: first paint, period switch, RSS.

The history is written in time order as the app writes it (every outcome, corrections, two
currencies, six agents, reason codes for the newer half and free text for the older half).
First paint: from constructing the dashboard (its SQL included) through ``show()`` to the time
chart's first paint event, on the offscreen platform; for the last 30 days and for the whole
year (Last 12 months). A period switch: from choosing it to the chart's next paint. Memory: RSS
growth from before the first open to after 20 switches. The baseline is the same dashboard
over an empty history, measured in the same run. Best of five (a cold run is not counted).
Targets: first paint < 200 ms, a switch < 100 ms, growth < 50 MB.
"""

from __future__ import annotations

import os
import pathlib
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from run import Row

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PAINT_MS, SWITCH_MS, GROWTH_MB = 200.0, 100.0, 50.0
AGENTS = ["ana", "ben", "chloe", "dev", "eli", "fay"]
CODES = ["customer-request", "duplicate-order", "suspected-fraud", "out-of-stock", "other"]
TEXTS = ["Customer asked", "customer  asked", "Wrong address", "DUPLICATE", "fraud wave", None]


def seed(conn: Any, total: int, days: int = 365) -> None:
    """``total`` Cancels spread over the last ``days``, inserted oldest first."""
    from fpsdesk.store.db import transaction

    rnd = random.Random(14)
    now = datetime.now(UTC)
    moments = sorted(now - timedelta(seconds=rnd.random() * days * 86400) for _ in range(total))
    rows = []
    for n, at in enumerate(moments):
        r = rnd.random()
        outcome = (
            "succeeded"
            if r < 0.8
            else "failed"
            if r < 0.93
            else "unknown"
            if r < 0.97
            else "pending"
        )
        corrected = None
        if outcome in ("succeeded", "failed") and rnd.random() < 0.01:
            corrected = "failed" if outcome == "succeeded" else "succeeded"
        newer = n > total // 2
        rows.append(
            (
                "Cancel",
                f"{n:035d}",
                None if newer else rnd.choice(TEXTS),
                rnd.choice(CODES) if newer else None,
                rnd.choice(AGENTS),
                "Sandbox" if rnd.random() < 0.7 else "Production",
                "https://fps.sandbox.amazonaws.com/",
                at.isoformat(timespec="milliseconds"),
                outcome,
                rnd.choice(["Reserved", "Pending"]),
                rnd.choice(["InvalidTransactionState", "TransactionDenied", None])
                if outcome == "failed"
                else None,
                corrected,
                f"{rnd.randint(100, 50000) / 100:.2f}",
                "USD" if rnd.random() < 0.85 else "EUR",
            )
        )
    with transaction(conn):
        conn.executemany(
            "INSERT INTO actions (kind, transaction_id, reason, reason_code, operator,"
            " environment, endpoint, created_at, outcome, status_before, error_code,"
            " corrected_from, amount, currency) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


def _rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _wait_paint(widget: Any, action: Any) -> tuple[float, float]:
    """(wall ms, this process's CPU ms) from calling ``action()`` to ``widget``'s next paint.

    The CPU time says what the work costs when other processes share the machine."""
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

    class Probe(QObject):
        painted = False

        def eventFilter(self, watched: object, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.painted = True
            return False

    probe = Probe()
    started = time.perf_counter()
    cpu = time.process_time()
    target = action()
    (target or widget).columns.installEventFilter(probe)
    loop = QEventLoop()
    while not probe.painted:
        QTimer.singleShot(0, loop.quit)
        loop.exec()
    elapsed = (time.perf_counter() - started) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    (target or widget).columns.removeEventFilter(probe)
    return elapsed, cpu_ms


def _open_ms(report: Any, period: str) -> tuple[float, float]:
    """Construct, choose the period (its figures read), show, until the chart has painted."""
    from fpsdesk.ui.dashboard import DashboardView

    views: list[Any] = []
    report.cache = None  # a first open computes everything

    def open_view() -> Any:
        view = DashboardView(report)
        view.resize(1280, 520)
        view.set_period(period)
        view.show()
        views.append(view)
        return view

    elapsed = _wait_paint(None, open_view)
    views[0].close()
    views[0].deleteLater()
    return elapsed


def _switch_ms(view: Any, period: str, cold: bool) -> tuple[float, float]:
    """A period switch; ``cold``: nothing computed before (else read ahead by the view)."""
    from fpsdesk.store.report import ReportCache

    if cold:
        view._report.cache = ReportCache()
        view._database = None  # no reading ahead: its thread's CPU would count here
    elif view._ahead is not None:
        view._ahead.join(timeout=30)
    return _wait_paint(view, lambda: view.set_period(period))


def _row(
    name: str, values: list[tuple[float, float]], base: list[tuple[float, float]], target: float
) -> list[Row]:
    wall = min(v[0] for v in values)
    cpu = min(v[1] for v in values)
    return [
        Row(
            name,
            wall,
            "ms",
            min(b[0] for b in base),
            "empty history",
            f"< {target:.0f} ms",
            wall < target,
        ),
        Row(
            name + " (CPU)",
            cpu,
            "ms",
            min(b[1] for b in base),
            "empty history",
            f"< {target:.0f} ms",
            cpu < target,
        ),
    ]


def run(quick: bool) -> list[Row]:
    from fpsdesk.store.actions import ActionStore
    from fpsdesk.store.db import open_database
    from fpsdesk.ui.application import create_application
    from fpsdesk.ui.dashboard import DashboardView

    create_application()
    total = 10_000 if quick else 100_000
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="fpsdesk-bench-dash-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(pathlib.Path(tmp) / "config")
        empty_db = open_database(pathlib.Path(tmp) / "empty.sqlite3")
        full_db = open_database(pathlib.Path(tmp) / "full.sqlite3")
        try:
            seed(full_db, total)
            empty, full = ActionStore(empty_db).report(), ActionStore(full_db).report()
            rss_before = _rss_mb()
            for period, label in (("30", "30 days"), ("365", "whole year")):
                _open_ms(full, period)
                _open_ms(empty, period)
                rows += _row(
                    f"ui: dashboard first paint, {label}, {total:,} cancels",
                    [_open_ms(full, period) for _ in range(5)],
                    [_open_ms(empty, period) for _ in range(5)],
                    PAINT_MS,
                )
            path = pathlib.Path(tmp) / "full.sqlite3"
            view = DashboardView(ActionStore(full_db).report(), database=path)
            view.resize(1280, 520)
            view.set_period("30")
            view.show()
            empty_view = DashboardView(empty)
            empty_view.resize(1280, 520)
            empty_view.show()
            names = {"7": "7 days", "today": "today", "30": "30 days", "365": "whole year"}
            for cold in (True, False):
                view._database = None if cold else path
                timings: dict[str, list[tuple[float, float]]] = {p: [] for p in names}
                baseline: list[tuple[float, float]] = []
                for _ in range(5):
                    for period in names:
                        timings[period].append(_switch_ms(view, period, cold))
                        baseline.append(_switch_ms(empty_view, period, True))
                how = "first time" if cold else "read ahead"
                for period, label in names.items():
                    rows += _row(
                        f"ui: dashboard switch to {label} ({how})",
                        timings[period],
                        baseline,
                        SWITCH_MS,
                    )
            growth = _rss_mb() - rss_before
            rows.append(
                Row(
                    "ui: dashboard RSS growth (20 opens, 40 switches)",
                    growth,
                    "MB",
                    None,
                    "",
                    f"< {GROWTH_MB:.0f} MB",
                    growth < GROWTH_MB,
                )
            )
            view.close()
            empty_view.close()
        finally:
            empty_db.close()
            full_db.close()
    return rows


if __name__ == "__main__":
    from run import print_table

    print_table(run(quick="--quick" in sys.argv))
