"""Separate worlds: every stored IPN is labelled with the FPS it came from, and can be listed by
it, so a local sandbox's demo IPNs never pass for real ones; and a receiver next to a local
sandbox says how to trust it."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from fpsdesk.cli import main
from fpsdesk.store.db import open_database
from fpsdesk.store.ipns import IPN_ENVIRONMENTS, IpnFilter, IpnStore
from tests.ipn.helpers import CERT_PATH, CertServer, Signer, ipn_fields

DATA = Path(__file__).parent / "data"
LOCAL_TXN = "14GKLOCALSANDBOXTXN000000000000000A"
NO_CERT_TXN = "14GKNOCERTIFICATE00000000000000000B"


def _write_local_ipn(path: Path, signer: Signer, certs: CertServer) -> None:
    """An IPN signed by a sandbox on this computer, as the app's --sandbox mode stores them."""
    pairs = signer.sign(
        ipn_fields(LOCAL_TXN),
        endpoint_url="http://127.0.0.1:8765/ipn",
        certificate_url=certs.cert_url(CERT_PATH),
    )
    path.write_text(urlencode(pairs) + "\n", encoding="utf-8")


def _history(tmp_path: Path, signer: Signer, certs: CertServer, db: str | None = None) -> str:
    db = db or str(tmp_path / "h.sqlite3")
    local = tmp_path / "local.form"
    _write_local_ipn(local, signer, certs)
    no_cert = tmp_path / "old.form"
    no_cert.write_text(urlencode(ipn_fields(NO_CERT_TXN)) + "\n", encoding="utf-8")
    for name in (str(DATA / "seed.form"), str(local), str(no_cert)):
        assert main(["ipn", "import", name, "--db", db, "--endpoint-url", "http://x/ipn"]) == 0
    return db


def test_every_row_says_its_environment_and_lists_filter_by_it(
    tmp_path: Path, signer: Signer, certs: CertServer, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _history(tmp_path, signer, certs)
    capsys.readouterr()
    assert main(["ipn", "list", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    by_txn = {txn: line for line in lines for txn in (LOCAL_TXN, NO_CERT_TXN) if txn in line}
    assert "Local sandbox" in by_txn[LOCAL_TXN]
    assert "Unknown" in by_txn[NO_CERT_TXN]
    assert any("Sandbox" in line and "Local sandbox" not in line for line in lines)

    assert main(["ipn", "list", "--db", db, "--environment", "Local sandbox", "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["transaction_id"], r["environment"]) for r in rows] == [(LOCAL_TXN, "Local sandbox")]
    assert main(["ipn", "list", "--db", db, "--environment", "Production"]) == 0
    assert capsys.readouterr().out == "No IPNs stored from Production.\n"
    with pytest.raises(SystemExit) as exit_info:
        main(["ipn", "list", "--db", db, "--environment", "Moon"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'Moon'" in capsys.readouterr().err


def test_store_filter_agrees_with_the_label(
    tmp_path: Path, signer: Signer, certs: CertServer, history: Path | str
) -> None:
    """On both backends (the filter is SQL over the stored parameters)."""
    db = _history(tmp_path, signer, certs, str(history))
    store = IpnStore(open_database(db))
    labels = {r.transaction_id: r.environment for r in store.iter_all()}
    for environment in IPN_ENVIRONMENTS:
        listed = {r.transaction_id for r in store.iter_all(IpnFilter(environment=environment))}
        assert listed == {t for t, e in labels.items() if e == environment}, environment
        assert store.count(IpnFilter(environment=environment)) == len(listed)


def test_one_ipn_and_one_file_are_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.sqlite3")
    assert main(["ipn", "import", str(DATA / "seed.form"), "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 IPN read from 1 file: 1 added"), out


def test_an_untrusted_local_sandbox_is_told_how_to_trust_it(
    tmp_path: Path, signer: Signer, certs: CertServer, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _history(tmp_path, signer, certs)
    capsys.readouterr()
    assert main(["ipn", "list", "--db", db, "--transaction", LOCAL_TXN]) == 0
    line = capsys.readouterr().out
    assert f"trust it with --trust {certs.host_port}" in line, line


def test_cli_counts_read_as_english() -> None:
    from fpsdesk.commands.output import count

    assert [count(1, "IPN"), count(2, "IPN"), count(1_200, "file")] == [
        "1 IPN",
        "2 IPNs",
        "1,200 files",
    ]
    assert count(1, "match", "matches") == "1 match"
    assert count(3, "match", "matches") == "3 matches"
