"""``fpsdesk ipn ...`` as a user runs it, and the crash test: SIGKILL the receiver in the middle
of a burst of 1,000 POSTs, then count that every acknowledged IPN is in the database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from fpsdesk.cli import main
from fpsdesk.commands.stopping import STOP_HINT
from tests.fixtures.processes import Children
from tests.ipn.helpers import CERT_PATH, CertServer, Signer, ipn_fields

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
TXN = "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"


def test_import_list_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "h.sqlite3")
    files = [str(DATA / n) for n in ("seed.form", "seed.jsonl", "seed.dump")]
    assert main(["ipn", "import", *files, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "3 IPNs read from 3 files: 1 added, 2 already stored" in out
    assert main(["ipn", "import", *files, "--db", db]) == 0
    assert "0 added, 3 already stored" in capsys.readouterr().out
    assert main(["ipn", "list", "--db", db, "--transaction", TXN]) == 0
    line = capsys.readouterr().out.strip()
    assert TXN in line
    assert "Cancelled" in line
    assert "USD 1.00" in line
    assert "Failed (certificate host fps.sandbox.amazonaws.com is not a trusted" not in line
    assert main(["ipn", "list", "--db", db, "--json"]) == 0
    (row,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert row["transaction_id"] == TXN
    assert row["verdict"] == "not_checked"
    assert row["reason_code"] == "endpoint_unknown"
    assert row["params"][0] == ["transactionId", TXN]


def test_bad_input_gets_a_message_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.sqlite3")
    bad = tmp_path / "bad.form"
    bad.write_text("notificationType=TransactionStatus&transactionId=abc\n")
    assert main(["ipn", "import", str(bad), "--db", db]) == 2
    captured = capsys.readouterr()
    assert f"{bad}:1: transactionId 'abc' is not a transaction ID" in captured.err
    assert "Traceback" not in captured.err
    assert main(["ipn", "list", "--db", db, "--transaction", "not an id!"]) == 2
    assert "transaction ID" in capsys.readouterr().err
    assert main(["ipn", "serve", "--db", db, "--bind", "nonsense"]) == 2
    assert "--bind wants HOST:PORT" in capsys.readouterr().err
    assert main(["ipn", "import", str(bad), "--db", db, "--endpoint-url", "http://a:99999/"]) == 2
    assert "--endpoint-url: the receiving URL" in capsys.readouterr().err
    assert main(["ipn", "import", str(bad), "--db", db, "--verify", "remote"]) == 2
    assert "needs a profile" in capsys.readouterr().err


def test_import_with_endpoint_then_recheck(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], signer: Signer, certs: CertServer
) -> None:
    endpoint = "https://merchant.example.com/ipn"
    pairs = signer.sign(
        ipn_fields(), endpoint_url=endpoint, certificate_url=certs.cert_url(CERT_PATH)
    )
    path = tmp_path / "one.form"
    path.write_text(urlencode(pairs))
    db = str(tmp_path / "h.sqlite3")
    trust = ["--trust", certs.host_port]
    assert main(["ipn", "import", str(path), "--db", db, *trust]) == 0
    assert "1 Not checked" in capsys.readouterr().out
    assert main(["ipn", "recheck", "--db", db, "--endpoint-url", endpoint, *trust]) == 0
    assert "Re-checked 1 IPN: 1 Verified; 1 verdict changed." in capsys.readouterr().out
    assert main(["ipn", "list", "--db", db, "--verdict", "verified"]) == 0
    assert "Verified" in capsys.readouterr().out


def test_quarantine_listing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fpsdesk.store import IpnStore, open_database

    db = tmp_path / "h.sqlite3"
    IpnStore(open_database(db)).quarantine(b"junk\x00", error="not an IPN", source="http x")
    assert main(["ipn", "quarantine", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "not an IPN" in out
    assert "junk" in out


# -- the receiver as a process ------------------------------------------------------------------


def _serve(
    children: Children, db: Path, *extra: str, **kwargs: Any
) -> tuple[subprocess.Popen[str], str]:
    proc = children.start(
        [
            sys.executable,
            "-m",
            "fpsdesk",
            "ipn",
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--db",
            str(db),
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        **kwargs,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("Receiving IPNs at http://127.0.0.1:"), first + proc.stderr.read()
    url = first.split(" at ", 1)[1].split(" ", 1)[0]
    assert first.rstrip("\n").endswith(STOP_HINT)
    # Keep draining stdout (one line per stored IPN) so the pipe never fills up.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, url


def _ignore_sigint() -> None:
    """As a non-interactive shell starts a background job: SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("inherited", ["default", "ignored"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_stops_cleanly_on_ctrl_c_and_sigterm(
    children: Children, tmp_path: Path, signum: signal.Signals, inherited: str
) -> None:
    """However it was started: a shell's background job inherits SIGINT as ignored."""
    kwargs: dict[str, Any] = {"preexec_fn": _ignore_sigint} if inherited == "ignored" else {}
    proc = children.start(
        [
            sys.executable,
            "-m",
            "fpsdesk",
            "ipn",
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--db",
            str(tmp_path / "h.sqlite3"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        **kwargs,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("Receiving IPNs at ")
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out == "Stopped.\n"
    assert "Traceback" not in err


def test_serve_stores_and_prints_each_ipn(
    children: Children, tmp_path: Path, signer: Signer, certs: CertServer
) -> None:
    db = tmp_path / "h.sqlite3"
    proc, url = _serve(children, db, "--trust", certs.host_port)
    try:
        endpoint = url + "ipn"
        body = urlencode(
            signer.sign(
                ipn_fields(), endpoint_url=endpoint, certificate_url=certs.cert_url(CERT_PATH)
            )
        )
        response = requests.post(
            endpoint,
            data=body,
            timeout=10,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert proc.returncode == 0
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT transaction_id, verdict FROM ipns").fetchall() == [
        (TXN, "verified")
    ]


@pytest.mark.slow
def test_sigkill_mid_burst_loses_no_acknowledged_ipn(
    children: Children, tmp_path: Path, signer: Signer, certs: CertServer
) -> None:
    db = tmp_path / "h.sqlite3"
    proc, url = _serve(children, db, "--trust", certs.host_port)
    endpoint = url + "ipn"
    total, kill_after, workers = 1000, 300, 8
    bodies = [
        urlencode(
            signer.sign(
                ipn_fields(f"1{n:034d}"),
                endpoint_url=endpoint,
                certificate_url=certs.cert_url(CERT_PATH),
            )
        )
        for n in range(total)
    ]
    acked: list[str] = []
    failed: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def fire(indexes: range) -> None:
        with requests.Session() as session:
            for n in indexes:
                txn = f"1{n:034d}"
                try:
                    response = session.post(endpoint, data=bodies[n], headers=headers, timeout=10)
                    ok = response.status_code == 200
                except requests.RequestException:
                    ok = False
                with lock:
                    (acked if ok else failed).append(txn)
                    if len(acked) >= kill_after:
                        enough.set()

    threads = [
        threading.Thread(target=fire, args=(range(w, total, workers),)) for w in range(workers)
    ]
    try:
        for thread in threads:
            thread.start()
        assert enough.wait(120), "the receiver never acknowledged enough IPNs"
        proc.kill()  # SIGKILL: no cleanup, no flush, no goodbye
        proc.wait(timeout=20)
        for thread in threads:
            thread.join(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=20)
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) + len(failed) == total
    assert kill_after <= len(acked) < total  # killed in the middle of the burst
    conn = sqlite3.connect(db)  # opened after the kill, recovering the WAL as any reader would
    stored = {row[0] for row in conn.execute("SELECT transaction_id FROM ipns")}
    missing = set(acked) - stored
    print(f"acknowledged {len(acked)}, stored {len(stored)}, refused/lost in flight {len(failed)}")
    assert not missing, f"{len(missing)} acknowledged IPNs were lost"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
