"""Reason codes: the profile's list, recorded with the Cancel and sent in its Description."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from fpsdesk.desk.cancel import CancelDesk
from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.models import Amount
from fpsdesk.records.reasons import (
    DEFAULT_REASON_CODES,
    MAX_DESCRIPTION_LENGTH,
    InvalidReasonCode,
    ReasonCode,
    description,
    find_code,
)
from fpsdesk.sandbox import SandboxServer
from fpsdesk.settings import InvalidProfile, Profile, format_reason_codes, parse_reason_codes
from fpsdesk.settings_store import SettingsStore
from fpsdesk.store import ActionStore, open_database
from tests.core import fpsstub
from tests.core.fpsstub import Reply, StubServer

REPO = str(Path(__file__).resolve().parents[2])
TXID = "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"
RESERVED_STATUS = fpsstub.STATUS_XML.replace(b">Success<", b">Reserved<", 1)


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])),
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    return subprocess.run(
        [sys.executable, "-m", "fpsdesk", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_desk_records_code_and_amount_and_sends_both_in_the_description(
    sandbox: SandboxServer, sandbox_client: FpsClient, tmp_path: Path
) -> None:
    store = ActionStore(open_database(tmp_path / "h.sqlite3"))
    txn = sandbox.create_transaction(status="Reserved")
    done = CancelDesk(sandbox_client, store).cancel(
        txn,
        "customer wrote twice",
        reason_code="duplicate-order",
        amount=Amount(Decimal("12.50"), "EUR"),
    )
    assert done.record.reason_code == "duplicate-order"
    assert done.record.reason == "customer wrote twice"
    assert (done.record.amount, done.record.currency) == ("12.50", "EUR")
    assert sandbox.transaction(txn)["cancel_description"] == (
        "[duplicate-order] customer wrote twice"
    )


def test_the_description_keeps_the_code_within_the_limit() -> None:
    assert description("other", None) == "[other]"
    assert description(None, " as before ") == "as before"
    assert description(None, None) is None
    long = description("suspected-fraud", "x" * 5000)
    assert long is not None
    assert len(long) == MAX_DESCRIPTION_LENGTH
    assert long.startswith("[suspected-fraud] xxx")
    assert long.endswith("…")


def test_codes_are_checked_against_the_list() -> None:
    assert find_code(" Duplicate-Order ", DEFAULT_REASON_CODES).code == "duplicate-order"
    with pytest.raises(InvalidReasonCode, match="customer-request, duplicate-order"):
        find_code("fraud", DEFAULT_REASON_CODES)
    with pytest.raises(InvalidReasonCode, match="lower-case letters"):
        ReasonCode("no spaces please", "x")


def test_a_profile_edits_its_list_and_keeps_it(tmp_path: Path) -> None:
    codes = parse_reason_codes("chargeback: Chargeback risk\n\nother: Something else\n")
    assert format_reason_codes(codes) == "chargeback: Chargeback risk\nother: Something else"
    store = SettingsStore(tmp_path / "settings.json")
    store.add(
        Profile(
            "team", "https://fps.sandbox.amazonaws.com/", "AKIAIOSFODNN7EXAMPLE", reason_codes=codes
        ),
    )
    assert store.get("team").reason_codes == codes
    store.add(Profile("plain", "https://fps.sandbox.amazonaws.com/", "AKIAIOSFODNN7EXAMPLE"))
    raw = json.loads((tmp_path / "settings.json").read_text())
    plain = next(p for p in raw["profiles"] if p["name"] == "plain")
    assert "reason_codes" not in plain  # the defaults are not frozen into the file
    assert store.get("plain").reason_codes == DEFAULT_REASON_CODES
    with pytest.raises(InvalidProfile, match="listed twice"):
        parse_reason_codes("other: A\nother: B")
    with pytest.raises(InvalidProfile, match="line 1"):
        parse_reason_codes("Bad Code: x")


def test_cli_cancel_with_a_reason_code(stub: StubServer) -> None:
    stub.push(Reply(body=RESERVED_STATUS), Reply(body=fpsstub.CANCEL_XML))
    result = _cli(
        "cancel",
        TXID,
        "--yes",
        "--reason-code",
        "out-of-stock",
        "--reason",
        "last one sold",
        "--endpoint",
        stub.url,
    )
    assert result.returncode == 0, result.stderr
    _read, request = stub.requests
    assert request.param_dict["Description"] == "[out-of-stock] last one sold"
    [record] = ActionStore(open_database()).for_transaction(TXID)
    assert (record.reason_code, record.reason) == ("out-of-stock", "last one sold")


def test_cli_refuses_an_unknown_code_and_sends_nothing(stub: StubServer) -> None:
    result = _cli("cancel", TXID, "--yes", "--reason-code", "fraud", "--endpoint", stub.url)
    assert result.returncode == 2
    assert "not one of this profile's reason codes" in result.stderr
    assert "duplicate-order" in result.stderr
    assert "Traceback" not in result.stderr
    assert stub.count() == 0


def test_a_bulk_run_records_its_code_and_each_amount(
    sandbox: SandboxServer, sandbox_client: FpsClient, tmp_path: Path
) -> None:
    from fpsdesk.desk.bulk import BulkDesk
    from fpsdesk.desk.bulk_control import BulkControl
    from fpsdesk.desk.bulk_input import read_lines
    from fpsdesk.store.bulk import BulkStore

    conn = open_database(tmp_path / "h.sqlite3")
    actions, jobs = ActionStore(conn), BulkStore(conn)
    txns = [sandbox.create_transaction(status="Reserved") for _ in range(2)]
    desk = BulkDesk(sandbox_client, actions, jobs)
    dry = desk.dry_run(
        read_lines("\n".join(txns)), source="test", reason="wave", reason_code="suspected-fraud"
    )
    desk.run(dry.job_id, control=BulkControl(rate=20.0))
    for txn in txns:
        [record] = actions.for_transaction(txn)
        assert (record.reason_code, record.reason) == ("suspected-fraud", "wave")
        shown = sandbox.transaction(txn)
        assert record.amount == "1.00"
        assert Decimal(record.amount) == Decimal(str(shown["amount"]))
        assert record.currency == shown["currency"]
        assert shown["cancel_description"] == "[suspected-fraud] wave"
    conn.close()


def test_cli_bulk_cancel_takes_a_reason_code_and_a_resume_refuses_one(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    from tests.fixtures.cli import fpsdesk

    txns = [sandbox.create_transaction(status="Reserved") for _ in range(2)]
    listing = tmp_path / "ids.txt"
    listing.write_text("\n".join(txns))
    done = fpsdesk(
        "cancel",
        "--from",
        str(listing),
        "--yes",
        "--rate",
        "20",
        "--reason-code",
        "duplicate-order",
        "--reason",
        "double charge",
        "--endpoint",
        sandbox.url,
    )
    assert done.returncode == 0, done.stderr
    actions = ActionStore(open_database())
    for txn in txns:
        [record] = actions.for_transaction(txn)
        assert (record.reason_code, record.reason) == ("duplicate-order", "double charge")
        assert record.amount is not None
        assert sandbox.transaction(txn)["cancel_description"] == "[duplicate-order] double charge"
    refused = fpsdesk(
        "cancel", "--resume", "--yes", "--reason-code", "other", "--endpoint", sandbox.url
    )
    assert refused.returncode == 2
    assert "keeps the reason it was given first" in refused.stderr


def test_cli_profile_reason_codes_show_set_and_reset(tmp_path: Path) -> None:
    from tests.fixtures.cli import fpsdesk

    SettingsStore().add(
        Profile("team", "https://fps.sandbox.amazonaws.com/", "AKIAIOSFODNN7EXAMPLE")
    )
    shown = fpsdesk("profile", "reason-codes", "team")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[1] == "duplicate-order: Duplicate order"
    listing = tmp_path / "codes.txt"
    listing.write_text("chargeback: Chargeback risk\nother: Other\n")
    changed = fpsdesk("profile", "reason-codes", "team", "--set", str(listing))
    assert changed.returncode == 0, changed.stderr
    assert [c.code for c in SettingsStore().get("team").reason_codes] == ["chargeback", "other"]
    listing.write_text("Bad Code: x\n")
    refused = fpsdesk("profile", "reason-codes", "team", "--set", str(listing))
    assert refused.returncode == 2
    assert "line 1" in refused.stderr
    assert [c.code for c in SettingsStore().get("team").reason_codes] == ["chargeback", "other"]
    reset = fpsdesk("profile", "reason-codes", "team", "--defaults")
    assert reset.returncode == 0
    assert SettingsStore().get("team").reason_codes == DEFAULT_REASON_CODES
    missing = fpsdesk("profile", "reason-codes", "nobody")
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
