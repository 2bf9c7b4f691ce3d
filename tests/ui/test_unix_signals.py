"""Ctrl+C and SIGTERM end the real app in order, with 128 + the signal number.

Each test runs ``python -m fpsdesk`` in a subprocess (signal handlers belong to a process,
not to a test), offscreen, with this test's private XDG dirs, and reads its log on stderr to
know when to send the signal.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.fixtures.processes import Children

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


class App:
    def __init__(self, children: Children, *args: str) -> None:
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        )
        env.pop("FPSDESK_EXIT_AFTER_PAINT", None)
        self.proc = children.start(
            [sys.executable, "-m", "fpsdesk", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._queue.put(line)

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.lines.append(line)
            if text in line:
                return
        raise AssertionError(f"{text!r} never logged; stderr so far:\n{''.join(self.lines)}")

    def finish(self, timeout: float = 20) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the app did not end after the signal") from None
        self._reader.join(5)
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return code

    @property
    def stderr(self) -> str:
        return "".join(self.lines)


def _settings_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "fpsdesk" / "fpsdesk.conf"


@pytest.mark.parametrize(("sig", "name"), [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")])
def test_signal_closes_the_running_app_in_order(children: Children, sig: int, name: str) -> None:
    app = App(children, "--sandbox", "-v")
    app.wait_for("local sandbox at")
    time.sleep(0.3)  # into the event loop
    started = time.monotonic()
    app.proc.send_signal(sig)
    code = app.finish()
    assert code == 128 + sig, app.stderr
    assert time.monotonic() - started < 10
    assert f"received {name}: closing fpsdesk" in app.stderr
    assert "Traceback" not in app.stderr
    assert "KeyboardInterrupt" not in app.stderr
    assert "main_window" in _settings_file().read_text()  # the window saved its state


def test_signal_while_the_first_run_question_is_open(children: Children) -> None:
    app = App(children, "-vv")  # no profile: the welcome question opens as a modal dialog
    app.wait_for("first run: asking how to start")
    time.sleep(0.5)  # inside the dialog's event loop
    app.proc.send_signal(signal.SIGTERM)
    assert app.finish() == 128 + signal.SIGTERM, app.stderr
    assert "Traceback" not in app.stderr
