"""The GUI thread never waits on the network: longest event-loop stall in a look-up and a cancel.

A 1 ms precise QTimer runs on the GUI thread while the real main window looks up and cancels
transactions on a real sandbox (loopback HTTP, answers delayed by 300 ms so each request spans
hundreds of ticks). The stall is the longest gap between two ticks, minus the 1 ms interval.
The baseline is the same timer on the same idle window for the same time, measured in this run,
so scheduler noise on a busy machine shows up on both sides. Target: under 16 ms (one frame at
60 Hz) for both.

Two set-ups: the sandbox in its own process (``fpsdesk sandbox``, as FPS itself is remote), and
the sandbox inside the app's process as ``fpsdesk --sandbox`` runs it; there its server threads
(XML, SQLite, the RSA signature of each IPN) compete with the GUI thread for the GIL.
"""

from __future__ import annotations

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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_MS = 16.0
DELAY_MS = 300


class _Ticker:
    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.longest = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def start(self) -> None:
        self.longest = 0.0
        self.last = time.perf_counter()
        self.timer.start()

    def stop_ms(self) -> float:
        self.timer.stop()
        self._tick()
        return max(0.0, self.longest * 1000 - 1.0)


def _pump_until(done: Callable[[], bool], timeout: float = 30.0) -> None:
    pump_until(done, timeout, what="the request")


class _RemoteSandbox:
    """``fpsdesk sandbox`` in a child process, driven through its /_sandbox/ JSON API."""

    def __init__(self) -> None:
        import subprocess

        root = pathlib.Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fpsdesk", "sandbox"],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        self.url = line.strip().rsplit(" ", 1)[-1]
        if not self.url.startswith("http://"):
            self.close()
            raise RuntimeError(f"the sandbox did not start: {line!r}")

    def _post(self, path: str, body: dict[str, object]) -> object:
        import requests

        answer = requests.post(f"{self.url}_sandbox/{path}", json=body, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def create_transaction(self, **fields: object) -> str:
        created = self._post("transactions", dict(fields))
        assert isinstance(created, dict)
        return str(created["transaction_id"])

    def inject_fault(self, **fields: object) -> None:
        self._post("faults", dict(fields))

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self) -> _RemoteSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run(quick: bool) -> list[Row]:
    from fpsdesk.sandbox import SandboxServer

    rounds = 3 if quick else 10
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="fpsdesk-bench-ui-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(pathlib.Path(tmp) / "config")
        with _RemoteSandbox() as remote:
            rows += _measure(rounds, remote, "sandbox in its own process")
        with SandboxServer() as local:
            rows += _measure(rounds, local, "in-process sandbox (--sandbox)")
    return rows


def _measure(rounds: int, sandbox: Any, setup: str) -> list[Row]:
    from PySide6.QtWidgets import QApplication

    from fpsdesk.desk.replies import ConnectionConfig
    from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
    from fpsdesk.store.actions import ActionStore
    from fpsdesk.store.db import open_database
    from fpsdesk.ui import dialogs, prompts
    from fpsdesk.ui.application import create_application
    from fpsdesk.ui.interpreter import GuiThreadCollector
    from fpsdesk.ui.main_window import MainWindow
    from fpsdesk.ui.session import DeskSession

    create_application()
    app = QApplication.instance()
    assert app is not None
    confirm = dialogs.confirm_cancel
    dialogs.confirm_cancel = lambda *_: prompts.ReasonChoice("other", "benchmark")  # type: ignore[assignment]
    conn = open_database(":memory:")
    session = DeskSession(ActionStore(conn))
    session.connect_to(
        ConnectionConfig(sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, "Local sandbox")
    )
    window = MainWindow(session)
    window.show()
    collector = GuiThreadCollector(window)
    collector.install()  # as run_gui does once the window is up
    # An agent starts typing a moment after the window appears: let start-up finish (the
    # transaction page is built just after it) before the first look-up is timed.
    settled = time.monotonic() + 1.0
    _pump_until(lambda: time.monotonic() > settled)
    ticker = _Ticker()
    lookup_ms, cancel_ms, idle_ms = 0.0, 0.0, 0.0
    try:
        for action in ("GetTransaction", "GetTransactionStatus", "Cancel"):
            sandbox.inject_fault(action=action, kind="delay", delay_ms=DELAY_MS, times=None)
        for _ in range(rounds):
            txn = sandbox.create_transaction(status="Reserved", amount="25.00")
            started = time.perf_counter()
            ticker.start()
            window.id_edit.setText(txn)
            window.lookup_from_field()
            _pump_until(
                lambda t=txn: (
                    window.transaction_view.detail is not None
                    and window.transaction_view.detail.transaction_id == t
                    and session.current_lookup is None
                )
            )
            lookup_ms = max(lookup_ms, ticker.stop_ms())
            ticker.start()
            window.request_cancel()
            _pump_until(
                lambda t=txn: not session.cancel_in_flight(t) and session.current_lookup is None
            )
            cancel_ms = max(cancel_ms, ticker.stop_ms())
            # Baseline: the idle window for as long as one look-up and cancel took.
            idle_for = time.perf_counter() - started
            ticker.start()
            end = time.monotonic() + idle_for
            _pump_until(lambda e=end: time.monotonic() > e)
            idle_ms = max(idle_ms, ticker.stop_ms())
    finally:
        collector.uninstall()
        window.close()
        dialogs.confirm_cancel = confirm  # type: ignore[assignment]
        conn.close()
        window.deleteLater()
        app.processEvents()
    return [
        Row(
            f"ui stall during a look-up, {setup}",
            lookup_ms,
            "ms",
            idle_ms,
            "idle window",
            f"< {TARGET_MS:.0f} ms",
            lookup_ms < TARGET_MS,
        ),
        Row(
            f"ui stall during a cancel, {setup}",
            cancel_ms,
            "ms",
            idle_ms,
            "idle window",
            f"< {TARGET_MS:.0f} ms",
            cancel_ms < TARGET_MS,
        ),
    ]


if __name__ == "__main__":
    from run import print_table

    print_table(run(quick="--quick" in sys.argv))
