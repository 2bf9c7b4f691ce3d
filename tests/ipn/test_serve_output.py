"""A stalled stdout must not stop the receiver: ``fpsdesk ipn serve`` printed each stored IPN
before answering, so with nobody reading its stdout every request blocked once the pipe was
full (622 acknowledged, then timeouts). Here a real ``fpsdesk ipn serve`` runs with stdout and
stderr pipes that nobody reads while well over a pipe buffer's worth of IPNs (stdout lines) and
garbage (stderr warnings) is posted: every request is answered, and when someone reads again
the lost lines are counted."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import requests

from fpsdesk.commands.background_output import DEFAULT_CAPACITY
from tests.fixtures.processes import Children
from tests.ipn.helpers import ipn_fields

ROOT = Path(__file__).resolve().parents[2]
F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SHORTEST_LINE = 60  # bytes: every stored-IPN line and every log line is longer


class Drain:
    """Reads a pipe on a thread from now on, keeping what it read."""

    def __init__(self, pipe: object) -> None:
        self.data = b""
        self._cond = threading.Condition()
        self._pipe = pipe
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            chunk = os.read(self._pipe.fileno(), 65536)  # type: ignore[attr-defined]
            with self._cond:
                if not chunk:
                    self.data += b"\0EOF"
                    self._cond.notify_all()
                    return
                self.data += chunk
                self._cond.notify_all()

    def wait_for(self, needle: bytes, timeout: float = 120.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: needle in self.data, timeout)


def _post_all(url: str, bodies: list[str], expected: int) -> None:
    """POST every body on 8 connections; each must get ``expected``. The first request that
    does not (or times out) stops the others, so a blocked receiver fails the test at once."""
    failed = threading.Event()
    problems: list[str] = []

    def post(chunk: list[str]) -> None:
        with requests.Session() as session:
            for body in chunk:
                if failed.is_set():
                    return
                try:
                    status = session.post(url, data=body, headers=FORM, timeout=30).status_code
                except requests.RequestException as exc:
                    problems.append(f"{type(exc).__name__}: {exc}")
                    failed.set()
                    return
                if status != expected:
                    problems.append(f"HTTP {status}")
                    failed.set()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(post, [bodies[i::8] for i in range(8)]))
    assert not problems, problems[:3]


def test_a_stdout_and_stderr_nobody_reads_never_hold_up_an_answer(
    children: Children, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    proc = children.start(
        [sys.executable, "-m", "fpsdesk", "ipn", "serve", "--bind", "127.0.0.1:0", "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = b""
    while not first.endswith(b"\n"):  # read the first line only, byte by byte
        byte = os.read(proc.stdout.fileno(), 1)
        assert byte, proc.stderr.read()
        first += byte
    assert first.startswith(b"Receiving IPNs at http://127.0.0.1:")
    url = first.split(b" at ", 1)[1].split(b" ", 1)[0].decode()
    # From here on nobody reads stdout or stderr. Enough lines to fill each pipe and the
    # writer's queue behind it, with room to spare: some lines must be dropped.
    out_pipe = fcntl.fcntl(proc.stdout.fileno(), F_GETPIPE_SZ)
    err_pipe = fcntl.fcntl(proc.stderr.fileno(), F_GETPIPE_SZ)
    ipns = DEFAULT_CAPACITY + out_pipe // SHORTEST_LINE + 200
    garbage = DEFAULT_CAPACITY + err_pipe // SHORTEST_LINE + 200
    _post_all(url, [urlencode(ipn_fields(f"1{n:034d}")) for n in range(ipns)], 200)
    _post_all(url, [f"junk={n}" for n in range(garbage)], 400)
    assert proc.poll() is None

    # Someone reads again: the next lines come, after a note of how many were lost.
    out, err = Drain(proc.stdout), Drain(proc.stderr)
    marker = "1" + "M" * 34
    _post_all(url, [urlencode(ipn_fields(marker))], 200)
    assert out.wait_for(marker.encode())
    before_marker = out.data[: out.data.index(marker.encode())]
    assert b"line(s) were not printed: the output was not being read" in before_marker
    assert err.wait_for(b"line(s) were not printed: the output was not being read")

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert out.wait_for(b"Stopped.\n")
    conn_rows = _count_ipns(db)
    assert conn_rows == ipns + 1  # every acknowledged IPN is stored


def _count_ipns(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM ipns").fetchone()[0])
    finally:
        conn.close()
