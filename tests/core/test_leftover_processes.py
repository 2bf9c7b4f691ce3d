"""The suite's own guard: a test that leaves a process running fails the session.

Each case runs an inner pytest session (a real subprocess) with the plugin from
tests/fixtures/processes.py on a small test file, and checks its exit code, its report, and
that the leftover process is really gone afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.processes import Children

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the check reads /proc (Linux only)"
)


def _inner_session(children: Children, tmp_path: Path, body: str) -> tuple[int, str, int]:
    """Run ``body`` as an inner test module; return (exit code, output, the pid it wrote)."""
    pid_file = tmp_path / "pid"
    (tmp_path / "test_inner.py").write_text(
        "import os, subprocess, sys, time\n"
        f"PID_FILE = {str(pid_file)!r}\n"
        "def test_inner():\n" + "".join(f"    {line}\n" for line in body.splitlines())
    )
    inner = children.start(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.fixtures.processes",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out, _ = inner.communicate(timeout=120)
    pid = int(pid_file.read_text()) if pid_file.exists() else 0
    return inner.returncode, out, pid


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_child_left_running_fails_the_session_and_is_killed(
    children: Children, tmp_path: Path
) -> None:
    code, out, pid = _inner_session(
        children,
        tmp_path,
        "p = subprocess.Popen(['sleep', '300'])\nopen(PID_FILE, 'w').write(str(p.pid))",
    )
    assert pid
    assert code == pytest.ExitCode.TESTS_FAILED, out
    assert "1 passed" in out
    assert "1 process(es) left running by the tests (now killed)" in out
    assert f"pid {pid}: sleep 300" in out
    assert "started during test_inner.py::test_inner" in out
    assert _gone(pid)


def test_a_daemon_that_forked_away_is_found_too(children: Children, tmp_path: Path) -> None:
    # The shell exits at once; its background sleep is orphaned, as a daemon's child would be.
    code, out, pid = _inner_session(
        children,
        tmp_path,
        "subprocess.run(['sh', '-c', 'sleep 300 & echo $! > ' + PID_FILE], check=True)",
    )
    assert pid
    assert code == pytest.ExitCode.TESTS_FAILED, out
    assert f"pid {pid}: sleep 300" in out
    assert _gone(pid)


def test_a_child_that_was_ended_passes(children: Children, tmp_path: Path) -> None:
    code, out, pid = _inner_session(
        children,
        tmp_path,
        "p = subprocess.Popen(['sleep', '300'])\nopen(PID_FILE, 'w').write(str(p.pid))\n"
        "p.kill()\np.wait()",
    )
    assert pid
    assert code == pytest.ExitCode.OK, out
    assert "left running" not in out


def test_children_fixture_ends_its_process_group_when_the_test_fails(
    children: Children, tmp_path: Path
) -> None:
    """A failing test that started a server (and its helper) through ``children``."""
    (tmp_path / "conftest.py").write_text("pytest_plugins = ['tests.fixtures.processes']\n")
    (tmp_path / "test_inner.py").write_text(
        "import subprocess\n"
        f"PID_FILE = {str(tmp_path / 'pid')!r}\n"
        "def test_inner(children):\n"
        "    children.start(['sh', '-c', 'sleep 300 & echo $! > ' + PID_FILE + '; wait'])\n"
        "    import time\n"
        "    for _ in range(100):\n"
        "        time.sleep(0.05)\n"
        "    assert False, 'the test fails with its server running'\n"
    )
    inner = children.start(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out, _ = inner.communicate(timeout=120)
    assert inner.returncode == pytest.ExitCode.TESTS_FAILED, out
    assert "1 failed" in out
    assert "left running" not in out  # the fixture ended the sh and its sleep, not the guard
    assert _gone(int((tmp_path / "pid").read_text()))
