"""An ``fpsdesk sandbox`` in its own process for benchmarks: server time off our GIL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_sandbox(*extra: str) -> tuple[subprocess.Popen[str], str]:
    """Start ``fpsdesk sandbox --port 0 EXTRA…``; the process and its URL (from line one)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "fpsdesk", "sandbox", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.fullmatch(r"FPS sandbox listening on (http://\S+/)\n", line)
    if match is None:
        process.kill()
        raise RuntimeError(f"sandbox did not start: {line!r}")
    return process, match.group(1)
