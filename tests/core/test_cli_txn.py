"""``fpsdesk status`` and ``fpsdesk cancel`` run as real subprocesses.

Canned answers and failures come from the loopback stub; the happy paths also run against the
real sandbox. Every exit code of the contract is exercised: 0, 1, 2, 3, 4 and 5.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from fpsdesk.store import ActionOutcome, ActionRecord, ActionStore, open_database
from tests.core import fpsstub
from tests.core.fpsstub import Reply, StubServer
from tests.fixtures.processes import Children, end_process

REPO = str(Path(__file__).resolve().parents[2])
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCESS = "AKIAIOSFODNN7EXAMPLE"
TXID = "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def _env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])),
        "AWS_ACCESS_KEY_ID": ACCESS,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    env.pop("FPSDESK_LOG_LEVEL", None)
    env.update(extra)
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fpsdesk", *args],
        env=env or _env(),
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr


# -- status ------------------------------------------------------------------------------


def test_status_ok(stub: StubServer) -> None:
    stub.push(Reply(body=fpsstub.STATUS_XML))
    result = run_cli("status", "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM", "--endpoint", stub.url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM" in out
    assert "Success" in out
    assert "CallerReference07" in out
    assert "13279842-6f84-41ef-ae36-c1ededaf278d:0" in out
    assert "Local sandbox" in out
    assert stub.count("GetTransactionStatus") == 1


def test_status_detail_json(stub: StubServer) -> None:
    stub.push(Reply(body=fpsstub.TRANSACTION_XML))
    result = run_cli(
        "status",
        "14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL",
        "--detail",
        "--json",
        "--endpoint",
        stub.url,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True
    txn = data["transaction"]
    assert txn["transaction_amount"] == {"value": "1.000000", "currency": "USD"}
    assert txn["date_received"] == "2009-10-05T22:50:08.010-07:00"
    assert txn["transaction_status"] == "Success"
    assert [h["transaction_status"] for h in txn["status_history"]] == ["Pending", "Success"]
    assert txn["status_history"][0]["amount"] is None
    assert txn["related_transactions"] == [
        {"transaction_id": "14GKJZ7MBQN1ZT6JLI1D3IUAPRQ4C1PBBPS", "relation_type": "Refund"}
    ]
    assert stub.count("GetTransaction") == 1


def test_status_detail_human(stub: StubServer) -> None:
    stub.push(Reply(body=fpsstub.TRANSACTION_XML))
    result = run_cli(
        "status", "14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL", "--detail", "--endpoint", stub.url
    )
    assert result.returncode == 0, result.stderr
    for needle in (
        "Status history",
        "PendingNetworkResponse",
        "USD 1.00",
        "Related",
        "new_premium@amazon.com",
        "2009-10-05 22:50:08.010-07:00",
    ):
        assert needle in result.stdout


def test_server_text_cannot_inject_terminal_escapes(stub: StubServer) -> None:
    # ESC itself is not allowed in XML 1.0; the C1 CSI (U+009B) and a bidi override are.
    hostile = fpsstub.STATUS_XML.replace(b"CallerReference07", b"ref&#x9B;31mRED&#x202E;x")
    stub.push(Reply(body=hostile))
    result = run_cli("status", "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM", "--endpoint", stub.url)
    assert result.returncode == 0
    assert "\x9b" not in result.stdout
    assert "\u202e" not in result.stdout
    assert "ref?31mRED?x" in result.stdout


@pytest.mark.parametrize("bad", ["12345", TXID[:34], "X" * 36, "   ", "1 2", "no id in here"])
def test_invalid_id_exit_2_nothing_sent(stub: StubServer, bad: str) -> None:
    result = run_cli("status", bad, "--endpoint", stub.url)
    assert result.returncode == 2
    assert "transaction ID" in result.stderr
    _no_traceback(result)
    assert stub.count() == 0


@pytest.mark.parametrize(
    "pasted",
    [
        f"https://shop.example/orders?txn={TXID}&ref=mail",
        f"Subject: please cancel transaction {TXID} today",
        TXID.lower(),
    ],
)
def test_status_finds_the_id_like_the_field_does(stub: StubServer, pasted: str) -> None:
    stub.push(Reply(body=fpsstub.STATUS_XML))
    result = run_cli("status", pasted, "--endpoint", stub.url)
    assert result.returncode == 0, result.stderr
    assert stub.count("GetTransactionStatus") == 1
    assert stub.requests[0].param_dict["TransactionId"] == TXID


def test_status_with_two_ids_names_both_and_sends_nothing(stub: StubServer) -> None:
    other = "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM"
    result = run_cli("status", f"{TXID} or {other}", "--endpoint", stub.url)
    assert result.returncode == 2
    assert "2 transaction IDs" in result.stderr
    assert TXID in result.stderr
    assert other in result.stderr
    _no_traceback(result)
    assert stub.count() == 0


def test_fps_error_exit_3_prints_code_message_request_id(stub: StubServer) -> None:
    stub.push(
        Reply(
            status=400,
            body=fpsstub.error_xml("InvalidTransactionId", "Transaction does not exist", "rid-123"),
        )
    )
    result = run_cli("status", TXID, "--endpoint", stub.url)
    assert result.returncode == 3
    assert "InvalidTransactionId" in result.stderr
    assert "Transaction does not exist" in result.stderr
    assert "rid-123" in result.stderr
    assert "Next step" in result.stderr
    _no_traceback(result)


def test_fps_error_json(stub: StubServer) -> None:
    stub.push(Reply(status=400, body=fpsstub.error_xml("InvalidParams", "bad", "rid-9")))
    result = run_cli("status", TXID, "--endpoint", stub.url, "--json")
    assert result.returncode == 3
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["error"]["code"] == "InvalidParams"
    assert data["error"]["request_id"] == "rid-9"


def test_html_502_exit_5(stub: StubServer) -> None:
    stub.push(Reply(status=502, body=b"<html><body>Bad Gateway</body></html>"))
    result = run_cli("status", TXID, "--endpoint", stub.url)
    assert result.returncode == 5
    assert "HTTP 502" in result.stderr
    _no_traceback(result)


def test_refused_connection_exit_5() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli("status", TXID, "--endpoint", f"http://127.0.0.1:{port}/")
    assert result.returncode == 5
    assert "Could not reach" in result.stderr
    _no_traceback(result)


@pytest.mark.parametrize(
    ("endpoint", "needle"),
    [("http://fps.example.com/", "only to this computer"), ("file:///etc/passwd", "https://")],
)
def test_bad_endpoint_exit_2(endpoint: str, needle: str) -> None:
    result = run_cli("status", TXID, "--endpoint", endpoint)
    assert result.returncode == 2
    assert needle in result.stderr


def test_endpoint_without_env_credentials_exit_2(stub: StubServer) -> None:
    env = _env()
    del env["AWS_SECRET_ACCESS_KEY"]
    result = run_cli("status", TXID, "--endpoint", stub.url, env=env)
    assert result.returncode == 2
    assert "AWS_SECRET_ACCESS_KEY" in result.stderr
    assert stub.count() == 0


def test_profile_and_endpoint_together_exit_2(stub: StubServer) -> None:
    result = run_cli("status", TXID, "--endpoint", stub.url, "--profile", "x")
    assert result.returncode == 2
    assert "either" in result.stderr


def test_unknown_profile_exit_2() -> None:
    result = run_cli("status", TXID, "--profile", "Nope")
    assert result.returncode == 2
    assert "Nope" in result.stderr
    _no_traceback(result)


def test_profile_without_keychain_exit_2(stub: StubServer) -> None:
    from fpsdesk.settings import Profile
    from fpsdesk.settings_store import SettingsStore

    SettingsStore().add(Profile("Stub", stub.url, ACCESS))
    result = run_cli("status", TXID, "--profile", "Stub")
    assert result.returncode == 2
    assert "keychain" in result.stderr.lower()
    _no_traceback(result)
    assert stub.count() == 0


def test_no_secret_and_no_signature_in_output_even_with_vv(stub: StubServer) -> None:
    stub.push(
        Reply(body=fpsstub.STATUS_XML), Reply(body=RESERVED_STATUS), Reply(body=fpsstub.CANCEL_XML)
    )
    first = run_cli("-vv", "status", TXID, "--endpoint", stub.url)
    second = run_cli("cancel", TXID, "--yes", "--reason", "x", "--endpoint", stub.url, "-vv")
    assert first.returncode == 0
    assert second.returncode == 0
    signatures = [r.param_dict["Signature"] for r in stub.requests]
    assert len(signatures) == 3
    for result in (first, second):
        text = result.stdout + result.stderr
        assert "DEBUG" in result.stderr  # debug logging really was on
        assert SECRET not in text
        assert "wJalrXUtnFEMI" not in text
        for signature in signatures:
            assert signature not in text
            assert signature.replace("+", "%2B").replace("/", "%2F") not in text


# -- cancel ------------------------------------------------------------------------------


def test_cancel_yes_ok(stub: StubServer) -> None:
    stub.push(Reply(body=RESERVED_STATUS), Reply(body=fpsstub.CANCEL_XML))
    result = run_cli(
        "cancel", TXID, "--yes", "--reason", "Buyer changed mind", "--endpoint", stub.url
    )
    assert result.returncode == 0, result.stderr
    assert "Cancelled" in result.stdout
    assert "6fe4b755-a328-419d-8967-e1d3b43779fc:0" in result.stdout
    read, request = stub.requests  # the status is always read first, also with --yes
    assert read.param_dict["Action"] == "GetTransactionStatus"
    assert request.param_dict["Description"] == "Buyer changed mind"


def test_cancel_without_tty_or_yes_refuses_exit_2(stub: StubServer) -> None:
    result = run_cli("cancel", TXID, "--endpoint", stub.url)
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert stub.count() == 0


def test_cancel_timeout_exit_4_one_request(stub: StubServer) -> None:
    stub.push(
        Reply(body=RESERVED_STATUS),
        Reply(body=fpsstub.CANCEL_XML, delay=2.0),
        Reply(body=RESERVED_STATUS),
    )
    result = run_cli("cancel", TXID, "--yes", "--timeout", "0.5", "--endpoint", stub.url)
    assert result.returncode == 4
    assert "may or may not have happened" in result.stderr
    assert "Status read just now: Reserved: that proves nothing yet" in result.stderr
    assert "may still take effect until" in result.stderr
    assert "try again" not in result.stderr  # never advice to send a second Cancel
    assert stub.count("Cancel") == 1
    _no_traceback(result)


def test_cancel_fps_refusal_exit_3_with_refund_hint(stub: StubServer) -> None:
    stub.push(Reply(body=RESERVED_STATUS), Reply(status=400, body=fpsstub.ERROR_WSDL_XML))
    result = run_cli("cancel", TXID, "--yes", "--endpoint", stub.url)
    assert result.returncode == 3
    assert "If it completed, refund it instead." in result.stderr
    assert "a3f1c2d4-0000-4000-8000-000000000001:0" in result.stderr


def _run_on_tty(args: list[str], answer: bytes) -> subprocess.CompletedProcess[str]:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fpsdesk", *args],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        try:
            os.close(slave)
            os.write(master, answer)
            out, err = proc.communicate(timeout=60)
        finally:
            end_process(proc)  # also when it timed out: never leave it running
    finally:
        os.close(master)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


RESERVED_STATUS = fpsstub.STATUS_XML.replace(b">Success<", b">Reserved<", 1)


def test_cancel_on_tty_shows_status_and_asks(stub: StubServer) -> None:
    # Read to show it, read again after the human said yes (it may have changed), send.
    stub.push(
        Reply(body=RESERVED_STATUS), Reply(body=RESERVED_STATUS), Reply(body=fpsstub.CANCEL_XML)
    )
    result = _run_on_tty(["cancel", TXID, "--endpoint", stub.url], b"yes\n")
    assert result.returncode == 0, result.stderr
    assert "Reserved" in result.stdout  # the status shown before asking
    assert "Type yes to confirm" in result.stderr
    assert [r.param_dict["Action"] for r in stub.requests] == [
        "GetTransactionStatus",
        "GetTransactionStatus",
        "Cancel",
    ]


def test_cancel_on_tty_declined_exit_1(stub: StubServer) -> None:
    stub.push(Reply(body=RESERVED_STATUS))
    result = _run_on_tty(["cancel", TXID, "--endpoint", stub.url], b"no\n")
    assert result.returncode == 1
    assert "Not cancelled" in result.stderr
    assert stub.count("Cancel") == 0


@pytest.mark.parametrize("tty", [True, False], ids=["tty", "yes"])
def test_a_final_state_is_refused_locally_exit_7_not_sent(stub: StubServer, tty: bool) -> None:
    """Observation 4: --yes skipped the status read and sent the Cancel to a Completed one."""
    stub.push(Reply(body=fpsstub.STATUS_XML))  # Success
    if tty:
        result = _run_on_tty(["cancel", TXID, "--endpoint", stub.url], b"yes\n")
    else:
        result = run_cli("cancel", TXID, "--yes", "--endpoint", stub.url)
    assert result.returncode == 7
    assert "FPS error" not in result.stderr  # our refusal, not FPS's
    assert "refund it instead" in result.stderr
    assert stub.count("Cancel") == 0


def _history(txid: str) -> list[ActionRecord]:

    conn = open_database()
    try:
        return list(ActionStore(conn).for_transaction(txid))
    finally:
        conn.close()


TXID2 = "15GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUE"
CANCELLED_STATUS = fpsstub.STATUS_XML.replace(b">Success<", b">Cancelled<", 1)


def test_cancels_are_recorded_in_the_shared_history(stub: StubServer) -> None:
    stub.push(
        Reply(body=RESERVED_STATUS),
        Reply(body=fpsstub.CANCEL_XML),
        Reply(body=RESERVED_STATUS),
        Reply(status=400, body=fpsstub.error_xml("InvalidTransactionState", "no", "rid-s")),
        Reply(body=RESERVED_STATUS),
        Reply(body=fpsstub.CANCEL_XML, delay=2.0),
        Reply(body=CANCELLED_STATUS),
    )
    codes = [
        run_cli("cancel", TXID, "--yes", "--reason", "first", "--endpoint", stub.url).returncode,
        run_cli("cancel", TXID, "--yes", "--endpoint", stub.url).returncode,
        run_cli("cancel", TXID2, "--yes", "--timeout", "0.5", "--endpoint", stub.url).returncode,
    ]
    assert codes == [0, 3, 0]  # the lost answer is proved Cancelled by the read after it
    first, refused = _history(TXID)
    (lost,) = _history(TXID2)
    assert [r.outcome for r in (first, refused, lost)] == [
        ActionOutcome.SUCCEEDED,
        ActionOutcome.FAILED,
        ActionOutcome.SUCCEEDED,
    ]
    assert first.kind == "Cancel"
    assert first.reason == "first"
    assert first.environment == "Local sandbox"
    assert first.request_id == "6fe4b755-a328-419d-8967-e1d3b43779fc:0"
    assert refused.error_code == "InvalidTransactionState"
    assert refused.request_id == "rid-s"
    # The lost answer was settled by the status read that followed it.
    assert lost.status_after == "Cancelled"
    assert lost.reconciled_at is not None


def test_unknown_cancel_stays_unknown_while_still_reserved(stub: StubServer) -> None:
    stub.push(
        Reply(body=RESERVED_STATUS),
        Reply(body=fpsstub.CANCEL_XML, delay=2.0),
        Reply(body=RESERVED_STATUS),
    )
    result = run_cli("cancel", TXID, "--yes", "--timeout", "0.5", "--endpoint", stub.url)
    assert result.returncode == 4
    assert "may still take effect until" in result.stderr
    (record,) = _history(TXID)
    assert record.outcome == ActionOutcome.UNKNOWN


# -- the journal contract: recorded before sent, or not sent --------------------------------


def test_parallel_first_run_cancels_each_leave_a_row(
    sandbox: SandboxServer, children: Children
) -> None:
    """8 cancels at once on a fresh data dir: 8 Cancels sent, 8 rows (7 before the fix)."""
    txids = [sandbox.create_transaction(status="Reserved") for _ in range(8)]
    env = _env(AWS_ACCESS_KEY_ID=DEFAULT_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=DEFAULT_SECRET_KEY)
    assert not (Path(os.environ["XDG_DATA_HOME"]) / "fpsdesk").exists()  # a first run
    procs = [
        children.start(
            [sys.executable, "-m", "fpsdesk", "cancel", txid, "--yes", "--endpoint", sandbox.url],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for txid in txids
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "warning" not in err
    assert sandbox.request_count("Cancel") == 8
    for txid in txids:
        (record,) = _history(txid)
        assert record.outcome == ActionOutcome.SUCCEEDED


def _limit_file_size() -> None:
    """preexec_fn: the kernel refuses to grow any file, as on a full disk (EFBIG, not SIGXFSZ)."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _break_data_dir_with_a_file() -> dict[str, str]:
    blocker = Path(os.environ["XDG_DATA_HOME"]) / "not-a-dir"
    blocker.write_text("a file where the data dir should be\n")
    return {"XDG_DATA_HOME": str(blocker)}


def _corrupt_history_file() -> dict[str, str]:
    history = Path(os.environ["XDG_DATA_HOME"]) / "fpsdesk" / "history.sqlite3"
    history.parent.mkdir(parents=True)
    history.write_bytes(b"this is not an SQLite database" * 100)
    return {}


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("breakage", ["disk full", "data dir is a file", "corrupt history"])
def test_a_cancel_that_cannot_be_recorded_is_not_sent(
    stub: StubServer, children: Children, breakage: str, as_json: bool
) -> None:
    preexec = None
    if breakage == "disk full":
        extra: dict[str, str] = {}
        preexec = _limit_file_size
    elif breakage == "data dir is a file":
        extra = _break_data_dir_with_a_file()
    else:
        extra = _corrupt_history_file()
    stub.push(Reply(body=fpsstub.CANCEL_XML))
    args = ["cancel", TXID, "--yes", "--endpoint", stub.url] + ["--json"] * as_json
    proc = children.start(
        [sys.executable, "-m", "fpsdesk", *args],
        env=_env(**extra),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 6, err
    assert stub.count("Cancel") == 0
    assert "cannot be recorded in the history" in err
    assert "nothing was sent to FPS" in err
    assert "Traceback" not in out + err
    if as_json:
        payload = json.loads(out)
        assert payload["ok"] is False
        assert payload["exit_code"] == 6


def _full_filesystem_runner() -> list[str]:
    """A command prefix that runs its command with XDG_DATA_HOME on a full tmpfs.

    unshare gives the child its own mount namespace (as an unprivileged user too, through a
    user namespace), so the full filesystem exists only for that process and nothing is left
    mounted. Without unshare the test cannot run: a skip locally, a failure in CI.
    """
    probe = (
        subprocess.run(
            ["unshare", "--mount", "--map-root-user", "true"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if shutil.which("unshare")
        else None
    )
    if probe is None or probe.returncode != 0:
        why = "unshare is missing" if probe is None else probe.stderr.strip()
        if os.environ.get("CI"):
            pytest.fail(f"cannot make a full filesystem in CI: {why}")
        pytest.skip(f"cannot make a full filesystem here: {why}")
    script = (
        'mount -t tmpfs -o size=256k tmpfs "$XDG_DATA_HOME" && '
        'head -c 400000 /dev/zero > "$XDG_DATA_HOME/filler" 2>/dev/null; '
        'exec "$@"'
    )
    return ["unshare", "--mount", "--map-root-user", "sh", "-c", script, "sh"]


def test_a_full_filesystem_sends_nothing(stub: StubServer) -> None:
    """The acceptance case itself: the data dir on a really full filesystem (ENOSPC)."""
    stub.push(Reply(body=RESERVED_STATUS), Reply(body=fpsstub.CANCEL_XML))
    result = subprocess.run(
        [
            *_full_filesystem_runner(),
            sys.executable,
            "-m",
            "fpsdesk",
            "cancel",
            TXID,
            "--yes",
            "--endpoint",
            stub.url,
        ],
        env=_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 6, result.stderr
    assert stub.count("Cancel") == 0
    assert "cannot be recorded in the history" in result.stderr
    assert "nothing was sent to FPS" in result.stderr
    _no_traceback(result)


# -- against the real sandbox ------------------------------------------------------------


def test_status_and_cancel_against_sandbox(sandbox: SandboxServer) -> None:
    txid = sandbox.create_transaction(status="Reserved")
    env = _env(AWS_ACCESS_KEY_ID=DEFAULT_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=DEFAULT_SECRET_KEY)
    status = run_cli("status", txid, "--detail", "--endpoint", sandbox.url, env=env)
    assert status.returncode == 0, status.stderr
    assert "Reserved" in status.stdout
    cancel = run_cli(
        "cancel", txid, "--yes", "--reason", "test", "--endpoint", sandbox.url, env=env
    )
    assert cancel.returncode == 0, cancel.stderr
    again = run_cli("cancel", txid, "--yes", "--endpoint", sandbox.url, "--json", env=env)
    assert again.returncode == 7  # refused here, from the fresh read: nothing sent
    assert "already cancelled" in json.loads(again.stdout)["error"]["detail"]
    assert sandbox.request_count("Cancel") == 1
    # The attempt that sent nothing is on record too, naming the Cancel that had done it.
    history = run_cli("history", "--transaction", txid, "--json", env=env)
    body = json.loads(history.stdout)
    (action,) = body["actions"]
    (refused,) = body["refused_attempts"]
    assert refused["why"] == "already cancelled"
    assert refused["holder_action_id"] == action["id"]
    assert refused["operator"] == action["operator"]
    text = run_cli("history", "--transaction", txid, env=env).stdout
    assert f"already cancelled (action #{action['id']})" in text
    after = run_cli("status", txid, "--json", "--endpoint", sandbox.url, env=env)
    assert json.loads(after.stdout)["transaction"]["transaction_status"] == "Cancelled"


@pytest.mark.keychain
def test_profile_with_real_keychain_against_sandbox(
    sandbox: SandboxServer, real_keychain: object
) -> None:
    from fpsdesk.credentials import CredentialStore
    from fpsdesk.settings import Profile
    from fpsdesk.settings_store import SettingsStore

    SettingsStore().add(Profile("Local", sandbox.url, DEFAULT_ACCESS_KEY))
    CredentialStore().set_secret("Local", DEFAULT_SECRET_KEY)
    txid = sandbox.create_transaction(status="Pending")
    env = {
        k: v
        for k, v in _env().items()
        if k not in ("PYTHON_KEYRING_BACKEND", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    result = run_cli("status", txid, "--profile", "Local", env=env)
    assert result.returncode == 0, result.stderr
    assert "Pending" in result.stdout
    assert DEFAULT_SECRET_KEY not in result.stdout + result.stderr


@pytest.mark.keychain
def test_a_profiles_display_name_is_who_cancelled(
    sandbox: SandboxServer, real_keychain: object
) -> None:
    """As in the app: the agent is the profile's display name, not the OS user."""
    from fpsdesk.settings_store import SettingsStore
    from fpsdesk.store import ActionStore, open_database

    env = {
        k: v
        for k, v in _env().items()
        if k not in ("PYTHON_KEYRING_BACKEND", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    add = ["profile", "add", "Team", "--endpoint", sandbox.url]
    add += ["--access-key-id", DEFAULT_ACCESS_KEY, "--display-name", "Ana (tier 2)"]
    added = subprocess.run(
        [sys.executable, "-m", "fpsdesk", *add],
        input=DEFAULT_SECRET_KEY + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    assert SettingsStore().get("Team").display_name == "Ana (tier 2)"
    txid = sandbox.create_transaction(status="Reserved")
    result = run_cli("cancel", txid, "--yes", "--profile", "Team", env=env)
    assert result.returncode == 0, result.stderr
    conn = open_database()
    try:
        (action,) = ActionStore(conn).for_transaction(txid)
    finally:
        conn.close()
    assert action.operator == "Ana (tier 2)"


def test_missing_ca_bundle_exit_2(stub: StubServer, tmp_path: Path) -> None:
    result = run_cli(
        "status", TXID, "--endpoint", stub.url, "--ca-bundle", str(tmp_path / "missing.pem")
    )
    assert result.returncode == 2
    assert "CA bundle" in result.stderr
    assert stub.count() == 0


def test_connection_repr_hides_the_secret() -> None:
    from fpsdesk.desk.connection import Connection

    assert SECRET not in repr(Connection("https://fps.amazonaws.com/", ACCESS, SECRET))
