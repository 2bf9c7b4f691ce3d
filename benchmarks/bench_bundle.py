"""The frozen bundle: size on disk and as tar.gz, and start-up time beside a bare Qt window.

Start-up is the wall time from spawning the process to the main window's first paint event.
The baseline is a bare frozen PySide6 window (a QMainWindow with a label), built in this same
run into a temp dir by the same build venv with the same trimming (packaging/bundle_filter.py:
same excludes, same plugin/translation/orphan-library trim, stripped), and launched
alternately with the app, so both see the same machine load and page cache.

The app is started through its real start-up path (fpsdesk/ui/app.py's run_gui) via
``--smoke-test`` with ``FPSDESK_EXIT_AFTER_PAINT=1`` (fpsdesk/ui/smoke.py), which prints
``first-paint`` at the main window's first paint event and exits. Both probes are event
filters on their window alone, so neither measures PySide6 wrapping every start-up event
for a Python filter. Two launches are measured: ``fpsdesk --sandbox`` (history database,
embedded sandbox with demo data, IPN receiver, main window; the second launch, as a user sees
it) and a plain first ``fpsdesk`` launch with no profile (the main window paints, then the
first-run dialog opens over it).
Each launch is measured after one unmeasured warm-up; medians are reported. On the offscreen
platform always, and on xcb under Xvfb when Xvfb is installed.

The bundle in dist/ is rebuilt (packaging/build.py) when it is missing or older than the code.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from run import Row

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUNDLE = DIST / "fpsdesk"
EXE = BUNDLE / "fpsdesk"
BUILD_PYTHON = ROOT / "build" / "venv" / "bin" / "python"  # made by packaging/build.py
MB = 1_000_000

BARE_SCRIPT = """\
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

app = QApplication(sys.argv)
window = QMainWindow()
window.setWindowTitle("bare")
window.setCentralWidget(QLabel("bare PySide6 window"))
window.resize(880, 600)


class Probe(QObject):
    painted = False

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            print("first-paint", flush=True)
            QTimer.singleShot(0, app.quit)
        return False


probe = Probe(window)
window.installEventFilter(probe)
window.show()
sys.exit(app.exec())
"""

BARE_SPEC = """\
import sys
sys.path.insert(0, {packaging!r})
import bundle_filter

a = Analysis([{script!r}], excludes=list(bundle_filter.EXCLUDES), noarchive=False)
a.binaries, a.datas, _report = bundle_filter.trim(a.binaries, a.datas)
pyz = PYZ(a.pure)
exe = EXE(pyz, a.scripts, [], exclude_binaries=True, name="bare", strip=True, upx=False,
          console=True)
coll = COLLECT(exe, a.binaries, a.datas, strip=True, upx=False, name="bare")
"""


def _du(path: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in path.rglob("*")) + path.lstat().st_blocks * 512


def _newest_source() -> float:
    paths = [
        *ROOT.glob("fpsdesk/**/*.py"),
        *ROOT.glob("resources/**/*"),
        *(
            ROOT / "packaging" / name
            for name in ("fpsdesk.spec", "bundle_filter.py", "requirements-build.txt")
        ),
    ]
    return max(p.stat().st_mtime for p in paths if p.is_file())


def _tarball() -> Path | None:
    found = sorted(DIST.glob("fpsdesk-*-linux-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def ensure_bundle() -> float | None:
    """Build the bundle if missing or stale; the build's seconds, or None if reused."""
    tarball = _tarball()
    if EXE.is_file() and tarball is not None and EXE.stat().st_mtime >= _newest_source():
        print("bench_bundle: reusing the bundle in dist/ (newer than the code)", file=sys.stderr)
        return None
    print("bench_bundle: building the bundle (packaging/build.py)", file=sys.stderr)
    started = time.monotonic()
    subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py")], check=True)
    return time.monotonic() - started


def build_bare(workdir: Path) -> tuple[Path, float]:
    """Freeze the bare window the way the spec freezes fpsdesk; its executable and seconds."""
    script = workdir / "bare.py"
    script.write_text(BARE_SCRIPT, encoding="utf-8")
    spec = workdir / "bare.spec"
    spec.write_text(
        BARE_SPEC.format(packaging=str(ROOT / "packaging"), script=str(script)), encoding="utf-8"
    )
    started = time.monotonic()
    subprocess.run(
        [
            str(BUILD_PYTHON),
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "ERROR",
            "--distpath",
            str(workdir / "dist"),
            "--workpath",
            str(workdir / "build"),
            str(spec),
        ],
        check=True,
        cwd=workdir,
    )
    return workdir / "dist" / "bare" / "bare", time.monotonic() - started


def launch_to_paint(cmd: list[str], env: dict[str, str], timeout: float = 60.0) -> float:
    """Seconds from spawning ``cmd`` to its ``first-paint`` line."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    painted: float | None = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "first-paint":
            painted = time.perf_counter() - started
            break
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    if painted is None:
        raise RuntimeError(f"{cmd[0]} never painted (exit {proc.returncode}): {err[-2000:]}")
    return painted


class _Xvfb:
    """A private X server for the xcb measurements."""

    def __init__(self) -> None:
        read, write = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            self.display = ":" + pipe.readline().strip()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


SCENARIOS = (
    # (row label, fpsdesk arguments, XDG dirs kept between launches)
    ("fpsdesk --sandbox: main window", ["--sandbox"], True),
    ("fpsdesk, first launch (no profile): main window", [], False),
)


def _xdg_env(env: dict[str, str], root: Path) -> dict[str, str]:
    env = dict(env)
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        (root / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        env[var] = str(root / sub)
    return env


def _startup_rows(
    bare: Path, platform: str, env: dict[str, str], runs: int, work: Path
) -> list[Row]:
    rows = []
    launch_to_paint([str(bare)], env)  # warm-up
    launches = 0

    def app_env(scenario: int, keep: bool) -> dict[str, str]:
        # A kept home is seeded by the warm-up (the second launch a user sees); a fresh one
        # each time measures the very first launch.
        nonlocal launches
        launches += 1
        name = f"{platform}-{scenario}" if keep else f"{platform}-fresh-{launches}"
        return dict(_xdg_env(env, work / name.replace(" ", "_")), FPSDESK_EXIT_AFTER_PAINT="1")

    for index, (label, args, keep_dirs) in enumerate(SCENARIOS):
        cmd = [str(EXE), *args, "--smoke-test"]
        launch_to_paint(cmd, app_env(index, keep_dirs))  # warm-up: page cache, sandbox data
        app_times, bare_times = [], []
        for _ in range(runs):  # alternate, so drift in machine load hits both alike
            app_times.append(launch_to_paint(cmd, app_env(index, keep_dirs)))
            bare_times.append(launch_to_paint([str(bare)], env))
        app_s, bare_s = statistics.median(app_times), statistics.median(bare_times)
        rows.append(
            Row(
                f"{label}, launch -> first paint ({platform}, median of {runs})",
                app_s,
                "s",
                baseline=bare_s,
                baseline_name="bare frozen PySide6 window",
                target="ratio <= 2.0",
                ok=app_s <= 2.0 * bare_s,
            )
        )
    return rows


def run(quick: bool) -> list[Row]:
    build_s = ensure_bundle()
    tarball = _tarball()
    assert tarball is not None
    disk = _du(BUNDLE)
    rows = [
        Row(
            "bundle: size on disk (dist/fpsdesk)",
            disk / MB,
            "MB",
            target="<= 150 MB",
            ok=disk <= 150 * MB,
        ),
        Row(
            f"bundle: {tarball.name}",
            tarball.stat().st_size / MB,
            "MB",
            target="<= 60 MB",
            ok=tarball.stat().st_size <= 60 * MB,
        ),
    ]
    if build_s is not None:
        rows.append(Row("bundle: build (PyInstaller + tar.gz)", build_s, "s"))
    runs = 3 if quick else 7
    with tempfile.TemporaryDirectory(prefix="fpsdesk-bench-bundle-") as tmp:
        work = Path(tmp)
        bare, bare_build_s = build_bare(work)
        bare_disk = _du(bare.parent)
        rows.append(Row("bare window bundle: size on disk", bare_disk / MB, "MB"))
        env = _xdg_env(dict(os.environ), work / "bare-home")
        env.pop("FPSDESK_LOG_LEVEL", None)
        rows += _startup_rows(bare, "offscreen", dict(env, QT_QPA_PLATFORM="offscreen"), runs, work)
        if not quick and shutil.which("Xvfb"):
            xvfb = _Xvfb()
            try:
                xenv = dict(env, QT_QPA_PLATFORM="xcb", DISPLAY=xvfb.display)
                xenv.pop("WAYLAND_DISPLAY", None)
                rows += _startup_rows(bare, "xcb on Xvfb", xenv, runs, work)
            finally:
                xvfb.stop()
        print(f"bench_bundle: bare window built in {bare_build_s:.0f} s", file=sys.stderr)
    return rows
