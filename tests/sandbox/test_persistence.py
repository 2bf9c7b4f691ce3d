"""A sandbox with a data file keeps everything across a restart: transactions, history, IPN
records and the IPN signing key; timed moves and undelivered IPNs resume."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.exceptions import FpsError
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.fixtures.sandbox import FAST_IPN_RETRY, IpnCapture


def _client(server: SandboxServer) -> FpsClient:
    return FpsClient(server.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)


def test_state_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with SandboxServer(data_path=data) as first:
        client = _client(first)
        paid = client.pay("CC-1", Decimal("12.00"), "persist-pay").transaction_id
        reserved = client.reserve("CC-1", Decimal("30.00"), "persist-res").transaction_id
        client.cancel(reserved, "kept")
        client.close()
        before = (first.transaction(paid), first.transaction(reserved))
        notes = first.notifications()
        pem = first.certificate_pem
    with SandboxServer(data_path=data) as second:
        client = _client(second)
        try:
            assert (second.transaction(paid), second.transaction(reserved)) == before
            detail = client.get_transaction(reserved)
            assert [h.transaction_status.value for h in detail.status_history] == [
                "Pending",
                "Reserved",
                "Cancelled",
            ]
            assert second.notifications() == notes
            assert second.certificate_pem == pem
            # A reference used before the restart is still a duplicate.
            with pytest.raises(FpsError) as caught:
                client.pay("CC-1", Decimal("12.00"), "persist-pay")
            assert caught.value.code == "DuplicateRequest"
        finally:
            client.close()
    key_file = tmp_path / "sandbox.sqlite3.ipn-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_pending_move_resumes_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with SandboxServer(data_path=data, pending_delay=0.3) as first:
        client = _client(first)
        txn_id = client.reserve("CC-1", Decimal("30.00"), "resume").transaction_id
        client.close()
        assert first.transaction(txn_id)["status"] == "Pending"
    with SandboxServer(data_path=data, pending_delay=0.3) as second:
        assert second.wait_for_ipns()
        assert second.transaction(txn_id)["status"] == "Reserved"


def test_undelivered_ipns_resume_after_a_restart(tmp_path: Path, ipn_capture: IpnCapture) -> None:
    data = tmp_path / "sandbox.sqlite3"
    ipn_capture.status = 503
    with SandboxServer(
        data_path=data, ipn_urls=[ipn_capture.url], ipn_retry=FAST_IPN_RETRY
    ) as first:
        txn_id = first.create_transaction(status="Reserved", notify=True)
        assert ipn_capture.wait_for(1)
    ipn_capture.status = 200
    with SandboxServer(data_path=data, ipn_retry=FAST_IPN_RETRY) as second:
        assert second.wait_for_ipns()
        [delivery] = second.ipn_deliveries(txn_id)
        assert delivery["state"] == "delivered"
        assert delivery["attempts"][0]["http_status"] == 503
        assert delivery["attempts"][-1]["ok"] is True


def test_demo_is_seeded_once_per_data_file(tmp_path: Path) -> None:
    data = tmp_path / "demo.sqlite3"
    with SandboxServer(data_path=data, demo=True) as first:
        count = len(first.transactions())
    with SandboxServer(data_path=data, demo=True) as second:
        assert len(second.transactions()) == count


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "junk.sqlite3"
    data.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        SandboxServer(data_path=data).start()
    assert data.read_bytes() == b"this is not sqlite" * 100


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    data = tmp_path / "history.sqlite3"
    other = sqlite3.connect(data)
    other.execute("CREATE TABLE actions (id INTEGER PRIMARY KEY, note TEXT)")
    other.execute("INSERT INTO actions (note) VALUES ('precious')")
    other.commit()
    other.close()
    with pytest.raises(sqlite3.DatabaseError, match="another program"):
        SandboxServer(data_path=data).start()
    check = sqlite3.connect(data)
    try:
        tables = [r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert tables == ["actions"]
        assert check.execute("SELECT note FROM actions").fetchall() == [("precious",)]
    finally:
        check.close()


def test_a_file_from_an_earlier_schema_gains_the_new_columns(tmp_path: Path) -> None:
    data = tmp_path / "old.sqlite3"
    with SandboxServer(data_path=data) as first:
        txn_id = first.create_transaction(status="Reserved")
    old = sqlite3.connect(data)
    old.execute("ALTER TABLE transactions DROP COLUMN expires_at")
    old.commit()
    old.close()
    with SandboxServer(data_path=data) as second:
        assert second.transaction(txn_id)["expires_at"] is None
        client = _client(second)
        try:
            assert client.cancel(txn_id).transaction_id == txn_id
        finally:
            client.close()


def test_waiting_ignores_moves_due_much_later() -> None:
    with SandboxServer() as server:
        later = datetime.now(UTC) + timedelta(hours=1)
        server.create_transaction(status="Reserved", expires_at=later.isoformat())
        assert server.wait_for_ipns(0.5)
