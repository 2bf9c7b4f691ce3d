"""Save the Results dashboard as a team lead sees it, light and dark: run under ``xvfb-run -a``.

    xvfb-run -a python3 packaging/dashboard_screenshots.py [--out docs/screenshots]

A throwaway home gets a month of plausible history (about 60 cancels a day by five agents,
reason codes and some older free text, FPS refusals, corrections, two still unresolved today),
written through the real ActionStore; then the app starts as ``fpsdesk --sandbox`` does, shows
Results, and saves ``dashboard.png``; a second process does the same with the dark scheme and
saves ``dashboard-dark.png``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1280, 860
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
AGENTS = ["ana.lima", "ben.okafor", "chloe.martin", "dev.patel", "eli.novak"]
CODES = [
    ("customer-request", 40),
    ("duplicate-order", 20),
    ("out-of-stock", 12),
    ("address-problem", 10),
    ("suspected-fraud", 8),
    ("other", 4),
]
OLD_TEXTS = ["Customer asked to cancel", "customer asked to cancel ", "Wrong address", "dup"]


def _isolate(root: Path) -> None:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = root / var.lower()
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ[var] = str(path)
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def seed_month() -> None:
    """A month of cancels in the history, through the store's own calls."""
    from fpsdesk.store import ActionOutcome, ActionStore, open_database

    rnd = random.Random(2026)
    conn = open_database()
    store = ActionStore(conn)
    now = datetime.now(UTC)
    for day in range(30, -1, -1):
        for _ in range(rnd.randint(35, 80) if day else 24):
            at = now - timedelta(days=day, seconds=rnd.randint(0, 9 * 3600))
            if at > now:
                continue
            code = rnd.choices([c for c, _ in CODES], [w for _, w in CODES])[0]
            old = day > 21 and rnd.random() < 0.6
            currency = "USD" if rnd.random() < 0.8 else "EUR"
            action = store.start(
                "Cancel",
                "".join(rnd.choice(ALPHABET) for _ in range(35)),
                environment="Production" if rnd.random() < 0.75 else "Sandbox",
                endpoint="https://fps.amazonaws.com/",
                reason=rnd.choice(OLD_TEXTS) if old else None,
                reason_code=None if old else code,
                amount=None if old else f"{rnd.randint(500, 25000) / 100:.2f}",
                currency=None if old else currency,
                status_before="Reserved" if rnd.random() < 0.7 else "Pending",
                operator=rnd.choice(AGENTS),
            )
            roll = rnd.random()
            if day == 0 and roll < 0.08:  # today's unknowns, in Production
                conn.execute("UPDATE actions SET environment='Production' WHERE id=?", (action,))
                store.finish(action, ActionOutcome.UNKNOWN, error_message="timed out")
            elif roll < 0.86:
                store.finish(action, ActionOutcome.SUCCEEDED, status_after="Cancelled")
                if rnd.random() < 0.01:
                    store.settle(action, ActionOutcome.FAILED, "Success", source="read")
            else:
                error = rnd.choice(
                    ["InvalidTransactionState", "TransactionDenied", "InternalError"]
                )
                store.finish(action, ActionOutcome.FAILED, error_code=error, error_message="")
            conn.execute(
                "UPDATE actions SET created_at=? WHERE id=?",
                (at.isoformat(timespec="milliseconds"), action),
            )
    conn.close()


def shoot(out: Path, dark: bool) -> Path:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from fpsdesk.ui import app as gui
    from fpsdesk.ui import theme
    from fpsdesk.ui.application import create_application

    # The scheme the platform would report (Xvfb reports none): as a user's desktop setting.
    scheme = Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light
    theme.system_color_scheme = lambda: scheme  # type: ignore[assignment]
    qt_app = create_application([sys.argv[0]])
    run_args = argparse.Namespace(sandbox=True, profile=None, smoke_test=False, verbose=0)
    controller = gui.AppController(run_args)
    target = out / ("dashboard-dark.png" if dark else "dashboard.png")
    try:
        window = controller.start()
        window.resize(WIDTH, HEIGHT)
        window.show_results()
        view = window.results_view
        started = time.monotonic()
        while view.dashboard is None or view.dashboard.board is None:
            if time.monotonic() - started > 20:
                raise SystemExit("screenshots: the dashboard did not open")
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            loop.exec()
        view.dashboard.set_period("30")
        view.dashboard.set_environment("Production")
        loop = QEventLoop()
        QTimer.singleShot(400, loop.quit)
        loop.exec()
        window.grab().save(str(target))
    finally:
        controller.close()
        qt_app.processEvents()
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--dark", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    if not args.dark:  # the dark one in a process of its own (the scheme is set at start)
        with subprocess.Popen([sys.executable, __file__, "--dark", "--out", str(args.out)]) as dark:
            code = dark.wait(timeout=300)
        if code:
            return code
    with tempfile.TemporaryDirectory(prefix="fpsdesk-dash-shots-") as tmp:
        _isolate(Path(tmp))
        seed_month()
        print(shoot(args.out, args.dark))
    return 0


if __name__ == "__main__":
    sys.exit(main())
