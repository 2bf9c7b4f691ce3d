"""Many processes opening a brand-new history database at the same instant all succeed.

Independent testing saw 109 of 160 such opens fail with "table actions already exists": each
process read user_version 0 before any of them had migrated. Real processes (not threads),
each round a fresh file, every process released at the same wall-clock moment.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from fpsdesk.store.schema import MIGRATIONS
from tests.fixtures.processes import Children

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 8
ROUNDS = 20

_OPENER = """
import sys, time
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.schema import StoreError
from fpsdesk.store.db import open_database
folder, start, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
failures = 0
for n in range(rounds):
    moment = start + n * 0.25
    while time.time() < moment:
        time.sleep(0.0005)
    try:
        conn = open_database(f"{folder}/history-{n}.sqlite3")
        ActionStore(conn).start("Cancel", "T" * 35, environment="test", endpoint="http://x/")
        conn.close()
    except StoreError as exc:
        failures += 1
        print(f"round {n}: {exc}", file=sys.stderr)
print(failures)
"""


def test_parallel_first_opens_all_succeed_and_migrate_once(
    children: Children, tmp_path: Path
) -> None:
    start = time.time() + 3  # time for every interpreter to start and import
    procs = [
        children.start(
            [sys.executable, "-c", _OPENER, str(tmp_path), str(start), str(ROUNDS)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    errors = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        if out.strip() != "0":
            errors.append(err)
    assert not errors, f"{len(errors)} process(es) failed to open:\n" + "\n".join(errors)[:2000]
    for n in range(ROUNDS):
        conn = sqlite3.connect(tmp_path / f"history-{n}.sqlite3")
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
            assert conn.execute("SELECT count(*) FROM actions").fetchone()[0] == PROCESSES
        finally:
            conn.close()
