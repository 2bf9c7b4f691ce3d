"""Bulk cancel (fpsdesk/desk/bulk.py) against the real sandbox, and through real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from fpsdesk.desk.bulk import BulkDesk, DryRun
from fpsdesk.desk.bulk_control import BulkControl
from fpsdesk.desk.bulk_input import BulkInputError, read_file, read_lines
from fpsdesk.fps.client import FpsClient
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.bulk import BulkStore
from fpsdesk.store.db import open_database
from tests.fixtures.cli import cli_env, fpsdesk, wait_until
from tests.fixtures.processes import Children

UNKNOWN = "1" + "Z" * 34  # well formed, never issued


@pytest.fixture
def stores(history: Path | str) -> Iterator[tuple[ActionStore, BulkStore]]:
    """Both backends."""
    conn = open_database(history)
    try:
        yield ActionStore(conn), BulkStore(conn)
    finally:
        conn.close()


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[FpsClient]:
    with FpsClient(sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, sleep=lambda s: None) as c:
        yield c


def test_ids_are_found_in_any_column_and_bad_lines_are_numbered() -> None:
    a, b = "1" + "A" * 34, "1" + "B" * 34
    text = (
        "transaction_id;order;note\n"
        f"ORD-1;{a};late\n"
        "\n"
        f"https://shop.example/o?txn={b}\tsecond\n"
        "no id here\n"
        f"{a},{b}\n"
        f"{a}\n"
    )
    lines = read_lines(text)
    assert [(x.line_no, x.transaction_id) for x in lines] == [
        (2, a),
        (4, b),
        (5, None),
        (6, None),
        (7, a),
    ]
    assert lines[2].problem == "no transaction ID on this line"
    assert lines[3].problem == "2 different transaction IDs on one line"


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    binary = tmp_path / "export.xlsx"
    binary.write_bytes(b"PK\x03\x04\0\0binary")
    with pytest.raises(BulkInputError, match="not a text file"):
        read_file(binary)
    with pytest.raises(BulkInputError, match="not a file"):
        read_file(tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(("Müller;" + "1" + "C" * 34 + "\n").encode("latin-1"))
    assert [x.transaction_id for x in read_file(latin)] == ["1" + "C" * 34]


def test_the_dry_run_classifies_every_line_and_sends_nothing(
    sandbox: SandboxServer, client: FpsClient, stores: tuple[ActionStore, BulkStore]
) -> None:
    reserved = sandbox.create_transaction(status="Reserved", amount="10.00")
    pending = sandbox.create_transaction(status="Pending", amount="5.50")
    cancelled = sandbox.create_transaction(status="Cancelled", amount="7.00")
    done = sandbox.create_transaction(status="Success", amount="3.00")
    failed = sandbox.create_transaction(status="Failure", amount="2.00")
    text = "\n".join(
        ["id", reserved, pending, cancelled, done, failed, UNKNOWN, "nonsense", reserved]
    )
    dry = BulkDesk(client, *stores).dry_run(read_lines(text), source="test")
    counts = {k: v.count for k, v in dry.summary.items() if v.count}
    assert counts == {
        "cancellable": 2,
        "already cancelled": 1,
        "completed": 1,
        "failed": 1,
        "unknown ID": 1,
        "invalid line": 1,
        "duplicate": 1,
    }
    assert dry.summary["cancellable"].amounts == {"USD": Decimal("15.50")}
    assert dry.environment == "Local sandbox"
    assert not dry.needs_count_typed
    assert sandbox.request_count("Cancel") == 0
    duplicate = next(i for i in dry.items if i.klass == "duplicate")
    assert duplicate.message == "same as line 2"
    assert stores[1].items(dry.job_id) == dry.items


def test_production_above_20_needs_the_count_typed() -> None:
    from fpsdesk.desk.bulk import ClassSummary

    summary = {"cancellable": ClassSummary(count=21)}
    assert DryRun(1, "Production", [], summary).needs_count_typed
    assert not DryRun(
        1, "Production", [], {"cancellable": ClassSummary(count=20)}
    ).needs_count_typed
    assert not DryRun(1, "Sandbox", [], summary).needs_count_typed


def test_a_run_cancels_each_once_slowing_down_when_throttled(
    sandbox: SandboxServer, client: FpsClient, stores: tuple[ActionStore, BulkStore]
) -> None:
    txns = [sandbox.create_transaction(status="Reserved") for _ in range(6)]
    desk = BulkDesk(client, *stores)
    dry = desk.dry_run(read_lines("\n".join(txns)), source="test", reason="fraud wave")
    # FPS says "too fast" when the run goes at 20 a second (a read and a Cancel per item).
    sandbox.set_throttle(3.0, 2.0)
    try:
        with FpsClient(
            sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, max_retries=0
        ) as impatient:
            progress = BulkDesk(impatient, *stores).run(dry.job_id, control=BulkControl(rate=20.0))
    finally:
        sandbox.set_throttle(None)
    assert progress.finished
    assert progress.succeeded == 6
    assert progress.slowed > 0
    assert sandbox.request_counts_by_transaction("Cancel") == {t: 1 for t in txns}
    items = stores[1].items(dry.job_id)
    assert {i.outcome for i in items} == {"succeeded"}
    assert all(i.action_id for i in items)
    assert all(stores[0].get(i.action_id).reason == "fraud wave" for i in items)


def test_cli_dry_run_then_resume_sends_it(sandbox: SandboxServer, tmp_path: Path) -> None:
    txns = [sandbox.create_transaction(status="Reserved") for _ in range(3)]
    done = sandbox.create_transaction(status="Success")
    listing = tmp_path / "ids.csv"
    listing.write_text(
        "id,order\n" + "\n".join(f"{t},ORD-{n}" for n, t in enumerate([*txns, done]))
    )
    dry = fpsdesk(
        "cancel", "--from", str(listing), "--dry-run", "--endpoint", sandbox.url, "--json"
    )
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["summary"]["cancellable"]["count"] == 3
    assert report["summary"]["completed"]["count"] == 1
    assert sandbox.request_count("Cancel") == 0
    run = fpsdesk("cancel", "--resume", str(report["job_id"]), "--yes", "--endpoint", sandbox.url)
    assert run.returncode == 0, run.stderr
    assert "3 cancelled" in run.stderr
    assert sandbox.request_counts_by_transaction("Cancel") == {t: 1 for t in txns}


def test_a_killed_run_resumes_without_any_cancel_sent_twice(
    sandbox: SandboxServer, children: Children, tmp_path: Path
) -> None:
    txns = [sandbox.create_transaction(status="Reserved") for _ in range(24)]
    listing = tmp_path / "ids.txt"
    listing.write_text("\n".join(txns))
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=150, times=None)
    first = children.start(
        [
            sys.executable,
            "-m",
            "fpsdesk",
            "cancel",
            "--from",
            str(listing),
            "--yes",
            "--rate",
            "20",
            "--endpoint",
            sandbox.url,
        ],
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert wait_until(lambda: sandbox.request_count("Cancel") >= 8)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert sandbox.request_count("Cancel") < len(txns)  # killed in the middle
    resumed = fpsdesk("cancel", "--resume", "--yes", "--rate", "20", "--endpoint", sandbox.url)
    assert resumed.returncode in (0, 4), resumed.stderr  # 4: the killed one may be unknown
    sandbox.clear_faults()
    settled = fpsdesk("reconcile", "--wait", "20", "--endpoint", sandbox.url)
    assert settled.returncode == 0, settled.stdout + settled.stderr
    assert sandbox.request_counts_by_transaction("Cancel") == {t: 1 for t in txns}
    assert {sandbox.transaction(t)["status"] for t in txns} == {"Cancelled"}
    conn = open_database(Path(os.environ["XDG_DATA_HOME"]) / "fpsdesk" / "history.sqlite3")
    try:
        (job,) = BulkStore(conn).jobs()
        items = BulkStore(conn).items(job.id)
        assert len(items) == len(txns)
        assert all(i.state == "done" and i.action_id for i in items)
        actions = ActionStore(conn)
        assert {actions.get(i.action_id).outcome.value for i in items} == {"succeeded"}
    finally:
        conn.close()
