"""``fpsdesk sandbox`` as a user runs it: a real subprocess, its first line, SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fpsdesk.commands.stopping import STOP_HINT
from fpsdesk.fps.client import FpsClient
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fpsdesk.sandbox.demo import DEMO_IDS, DEMO_RESERVED_IDS
from tests.fixtures.processes import Children

ROOT = Path(__file__).resolve().parents[2]
FIRST_LINE = re.compile(r"FPS sandbox listening on (http://127\.0\.0\.1:(\d+)/)")


def _start(children: Children, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return children.start(
        [sys.executable, "-m", "fpsdesk", "sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        **kwargs,
    )


def _url(process: subprocess.Popen[str]) -> str:
    """Check the first line, read the rest of the banner, return the URL."""
    assert process.stdout is not None
    line = process.stdout.readline().rstrip("\n")
    match = FIRST_LINE.fullmatch(line)
    assert match, f"first line was {line!r}"
    banner = []
    while not banner or banner[-1] != STOP_HINT:
        banner.append(process.stdout.readline().rstrip("\n"))
        assert banner[-1] or process.poll() is None, banner
    BANNERS[match.group(1)] = "\n".join(banner)
    return match.group(1)


BANNERS: dict[str, str] = {}


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=20)
    return process.returncode, out


def test_demo_sandbox_prints_its_line_serves_demo_data_and_stops_on_sigterm(
    children: Children,
) -> None:
    process = _start(children, "--port", "0", "--demo")
    url = _url(process)
    client = FpsClient(url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    try:
        status = client.get_transaction_status(DEMO_RESERVED_IDS[0])
        assert status.transaction_status.value == "Reserved"
        detail = client.get_transaction(DEMO_IDS["settle_success_1"])
        assert [h.transaction_status.value for h in detail.status_history] == [
            "Pending",
            "Reserved",
            "Pending",
            "Success",
        ]
        assert client.cancel(DEMO_RESERVED_IDS[0], "cli test").transaction_status.value == (
            "Cancelled"
        )
    finally:
        client.close()
    code, out = _stop(process)
    assert code == 0
    assert DEFAULT_ACCESS_KEY in BANNERS[url]
    assert DEFAULT_SECRET_KEY in BANNERS[url]
    assert "Demo data:         36 transactions" in BANNERS[url]
    assert "stopped" in out


def test_own_credentials_and_a_data_file(children: Children, tmp_path: Path) -> None:
    data = tmp_path / "cli.sqlite3"
    process = _start(
        children,
        "--data",
        str(data),
        "--access-key",
        "CLIKEY",
        "--secret-key",
        "cli/secret",
        "--pending-delay",
        "0",
    )
    client = FpsClient(_url(process), "CLIKEY", "cli/secret")
    try:
        txn_id = client.reserve("CC-1", Decimal("10.00"), "cli-ref").transaction_id
    finally:
        client.close()
    assert _stop(process)[0] == 0
    again = _start(
        children, "--data", str(data), "--access-key", "CLIKEY", "--secret-key", "cli/secret"
    )
    client = FpsClient(_url(again), "CLIKEY", "cli/secret")
    try:
        assert client.get_transaction_status(txn_id).transaction_status.value == "Reserved"
    finally:
        client.close()
    assert _stop(again)[0] == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--access-key", "K"), "together"),
        (("--port", "70000"), "--port"),
        (("--ipn-url", "not a url"), "IPN URL"),
    ],
)
def test_bad_arguments_get_a_clear_message(
    children: Children, args: tuple[str, ...], fragment: str
) -> None:
    process = _start(children, *args)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert fragment in err
    assert "Traceback" not in err
    assert out == ""


def test_a_port_in_use(children: Children) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = _start(children, "--port", str(port))
        _out, err = process.communicate(timeout=20)
    assert process.returncode == 1
    assert "cannot listen" in err
    assert "Traceback" not in err


def _ignore_sigint() -> None:
    """As a non-interactive shell starts a background job: SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("inherited", ["default", "ignored"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_and_sigterm_stop_it_cleanly(
    children: Children, signum: signal.Signals, inherited: str
) -> None:
    """However it was started: a shell's background job inherits SIGINT as ignored."""
    kwargs: dict[str, Any] = {"preexec_fn": _ignore_sigint} if inherited == "ignored" else {}
    process = _start(children, "--demo", **kwargs)
    _url(process)
    process.send_signal(signum)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "FPS sandbox stopped." in out
    assert "Traceback" not in err


def test_a_data_file_of_another_program_is_refused(children: Children, tmp_path: Path) -> None:
    data = tmp_path / "other.sqlite3"
    other = sqlite3.connect(data)
    other.execute("CREATE TABLE notes (text TEXT)")
    other.close()
    process = _start(children, "--data", str(data))
    _out, err = process.communicate(timeout=20)
    assert process.returncode == 1
    assert "not a usable sandbox data file" in err
    assert "another program" in err
    assert "Traceback" not in err


def test_demo_size_and_throttle_options(children: Children) -> None:
    process = _start(children, "--demo-size", "250", "--throttle", "5")
    url = _url(process)
    assert "Demo data:         250 transactions" in BANNERS[url]
    assert "Throttle:          5 requests/s per access key" in BANNERS[url]
    code, _out = _stop(process)
    assert code == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(("--demo-size", "-1"), "--demo-size"), (("--throttle", "0"), "--throttle")],
)
def test_bad_volume_options(children: Children, args: tuple[str, ...], fragment: str) -> None:
    process = _start(children, *args)
    _out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert fragment in err
    assert "Traceback" not in err
