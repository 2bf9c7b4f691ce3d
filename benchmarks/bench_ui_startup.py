"""Start-up from source: process start to the first painted main window, beside a bare window.

Both are measured in this run, as child processes launched alternately (so both see the same
machine load and page cache), on the offscreen platform, each in a private home:

- ``fpsdesk --sandbox`` as the README runs it (QApplication, history database, embedded sandbox
  with demo data, IPN receiver, main window), through the start-up probe of
  ``fpsdesk/ui/smoke.py`` (``--smoke-test`` with ``FPSDESK_EXIT_AFTER_PAINT=1``), which prints
  ``first-paint`` at the first paint event and exits;
- a bare PySide6 QMainWindow with a label, printing ``first-paint`` at its first paint.

Both probes are event filters on the window alone (not on the application, which would make
PySide6 wrap every object and event of the start-up in Python and measure the probe itself).

The clock runs from just before the spawn to reading ``first-paint``. One unmeasured warm-up
each (it also creates the sandbox's state and key, as after a first run, and writes the
bytecode an installed package has: the children get a private ``PYTHONPYCACHEPREFIX`` and
bytecode writing on, even when the shell sets ``PYTHONDONTWRITEBYTECODE``); medians reported.
Target: the app at most 2.5 times the bare window.
"""

from __future__ import annotations

import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from run import Row

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET_RATIO = 2.5

BARE = """\
import sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

app = QApplication(sys.argv)
window = QMainWindow()
window.setCentralWidget(QLabel("bare PySide6 window"))
window.resize(880, 600)


class Probe(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            print("first-paint", flush=True)
            import os
            os._exit(0)
        return False


probe = Probe(window)
window.installEventFilter(probe)  # the window only, as the app's probe watches its main window
window.show()
sys.exit(app.exec())
"""


def _launch(argv: list[str], home: pathlib.Path, pycache: pathlib.Path) -> float:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = home / var.lower()
        path.mkdir(exist_ok=True, mode=0o700)
        env[var] = str(path)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["FPSDESK_EXIT_AFTER_PAINT"] = "1"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env["PYTHONPATH"] = str(ROOT)
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if line.strip() == "first-paint":
                elapsed = time.perf_counter() - started
                break
        else:
            raise RuntimeError(f"{argv[1:]} exited without painting (rc={process.wait()})")
    finally:
        process.stdout.close()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    return elapsed


def run(quick: bool) -> list[Row]:
    runs = 3 if quick else 7
    app_argv = [sys.executable, "-m", "fpsdesk", "--smoke-test", "--sandbox"]
    bare_argv = [sys.executable, "-c", BARE]
    app_times: list[float] = []
    bare_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="fpsdesk-bench-start-") as tmp:
        app_home = pathlib.Path(tmp) / "app"
        bare_home = pathlib.Path(tmp) / "bare"
        app_home.mkdir()
        bare_home.mkdir()
        pycache = pathlib.Path(tmp) / "pycache"
        _launch(app_argv, app_home, pycache)  # warm-up: caches, sandbox state and key
        _launch(bare_argv, bare_home, pycache)
        for _ in range(runs):
            app_times.append(_launch(app_argv, app_home, pycache))
            bare_times.append(_launch(bare_argv, bare_home, pycache))
    app_ms = statistics.median(app_times) * 1000
    bare_ms = statistics.median(bare_times) * 1000
    return [
        Row(
            "ui start-up to first paint (fpsdesk --sandbox, source)",
            app_ms,
            "ms",
            bare_ms,
            "bare PySide6 window",
            f"ratio <= {TARGET_RATIO}",
            app_ms <= TARGET_RATIO * bare_ms,
        ),
    ]


if __name__ == "__main__":
    from run import print_table

    print_table(run(quick="--quick" in sys.argv))
