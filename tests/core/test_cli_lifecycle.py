"""The cancel lifecycle through real ``fpsdesk`` processes against the sandbox over loopback.

Observation 1 of the "one cancel lifecycle" issue, end to end: a CLI killed while the sandbox
holds its Cancel; a reconcile right after says "unknown until HH:MM", never "failed"; once the
held Cancel lands, reconcile and history say it succeeded; the sandbox saw exactly one Cancel.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fpsdesk.sandbox import SandboxServer
from tests.fixtures.cli import cli_env, fpsdesk, wait_until
from tests.fixtures.processes import Children


def _start_cancel(children: Children, sandbox: SandboxServer, txn: str, *extra: str) -> Any:
    return children.start(
        [
            sys.executable,
            "-m",
            "fpsdesk",
            "cancel",
            txn,
            "--yes",
            "--endpoint",
            sandbox.url,
            *extra,
        ],
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _status(sandbox: SandboxServer, txn: str) -> str:
    return str(sandbox.transaction(txn)["status"])


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_killed_cancel_is_unknown_then_succeeded_never_failed(
    sandbox: SandboxServer, children: Children
) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=4000)
    cli = _start_cancel(children, sandbox, txn)
    assert wait_until(lambda: sandbox.request_count("Cancel") == 1)
    time.sleep(0.2)  # the request is in the sandbox's hands
    cli.send_signal(signal.SIGKILL)
    cli.wait(10)

    right_after = fpsdesk("reconcile", "--endpoint", sandbox.url, "--json")
    report = _json(right_after)
    assert right_after.returncode == 4, right_after.stderr
    (row,) = report["unresolved"]
    assert row["state"] == "unknown"  # its sender is gone; not "failed"
    assert row["until"]
    assert _status(sandbox, txn) == "Reserved"  # still held: proves nothing

    assert wait_until(lambda: _status(sandbox, txn) == "Cancelled")
    settled = fpsdesk("reconcile", "--endpoint", sandbox.url)
    assert settled.returncode == 0, settled.stderr
    assert f"Cancel {txn}: succeeded (Cancelled)" in settled.stdout
    history = _json(fpsdesk("history", "--transaction", txn, "--json"))
    (action,) = history["actions"]
    assert action["state"] == "succeeded"
    assert action["corrected_from"] is None
    assert [e["outcome"] for e in action["events"]] == ["pending", "unknown", "succeeded"]
    assert sandbox.request_count("Cancel") == 1


def test_reconcile_leaves_a_cancel_that_is_still_being_sent_to_its_sender(
    sandbox: SandboxServer, children: Children
) -> None:
    """The variant: another front end starts while a CLI cancel is in flight."""
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=3000)
    cli = _start_cancel(children, sandbox, txn)
    assert wait_until(lambda: sandbox.request_count("Cancel") == 1)
    meanwhile = fpsdesk("reconcile", "--endpoint", sandbox.url, "--json")
    assert meanwhile.returncode == 4
    (row,) = _json(meanwhile)["unresolved"]
    assert row["state"] == "pending"
    assert row["in_flight"] is True
    out, err = cli.communicate(timeout=30)
    assert cli.returncode == 0, err
    assert "Cancelled" in out
    history = _json(fpsdesk("history", "--transaction", txn, "--json"))
    assert [a["state"] for a in history["actions"]] == ["succeeded"]


def test_after_exit_4_the_cli_never_sends_a_second_cancel_blindly(
    sandbox: SandboxServer,
) -> None:
    """Observation 3: the old advice ("you can try again") sent a second Cancel."""
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=3000)
    first = fpsdesk("cancel", txn, "--yes", "--timeout", "1", "--endpoint", sandbox.url)
    assert first.returncode == 4, first.stderr
    assert "try again" not in first.stderr
    assert "may still take effect until" in first.stderr
    again = fpsdesk("cancel", txn, "--yes", "--endpoint", sandbox.url)
    assert again.returncode == 8, again.stderr
    assert "action #1" in again.stderr
    assert "--again" in again.stderr
    assert sandbox.request_count("Cancel") == 1
    # The held Cancel lands; settling says so, and a new cancel is refused as already done.
    assert wait_until(lambda: _status(sandbox, txn) == "Cancelled")
    assert fpsdesk("reconcile", "--endpoint", sandbox.url).returncode == 0
    late = fpsdesk("cancel", txn, "--yes", "--again", "--endpoint", sandbox.url)
    assert late.returncode == 7
    assert sandbox.request_count("Cancel") == 1


def test_an_explicit_second_cancel_is_sent_and_both_are_settled(sandbox: SandboxServer) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="internal_error")  # lost: never reached FPS
    first = fpsdesk("cancel", txn, "--yes", "--endpoint", sandbox.url)
    assert first.returncode == 4
    second = fpsdesk("cancel", txn, "--yes", "--again", "--endpoint", sandbox.url)
    assert second.returncode == 0, second.stderr
    assert sandbox.request_count("Cancel") == 2
    assert fpsdesk("reconcile", "--endpoint", sandbox.url).returncode == 0
    states = [
        a["state"] for a in _json(fpsdesk("history", "--transaction", txn, "--json"))["actions"]
    ]
    assert states == ["succeeded", "not cancelled"]  # newest first: the --again one did it


def test_exit_0_when_the_read_after_a_lost_answer_shows_cancelled(sandbox: SandboxServer) -> None:
    """Observation 4: exit 4 came back even after the read proved the cancel happened."""
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="drop_after")
    result = fpsdesk("cancel", txn, "--yes", "--endpoint", sandbox.url, "--json")
    assert result.returncode == 0, result.stderr
    payload = _json(result)
    assert payload["state"] == "succeeded"
    assert payload["ok"] is True
    assert sandbox.request_count("Cancel") == 1


def test_reconcile_finds_rows_of_a_sandbox_that_moved_to_another_port(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="drop_after")
    # Recorded against the sandbox at one port ...
    first = fpsdesk("cancel", txn, "--yes", "--timeout", "1", "--endpoint", sandbox.url)
    assert first.returncode == 0
    assert sandbox.url != "http://127.0.0.1:1/"
    # ... and listed as nothing to settle from another port: it was settled already; the
    # matching itself is covered in tests/core/test_desk_cancel.py.
    other = fpsdesk("reconcile", "--endpoint", "http://127.0.0.1:1/")
    assert other.returncode == 0
    assert "Nothing to settle" in other.stdout
