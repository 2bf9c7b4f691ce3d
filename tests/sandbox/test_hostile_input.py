"""Hostile input to the sandbox, round 2: nothing it is sent may become a stored row that breaks
later answers, and no control request gets a dropped connection.

Everything goes over loopback HTTP to a real sandbox; signed requests come from the tests'
independent SigV2 signer (tests/sandbox/sigv2.py).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree

from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.sandbox import sigv2


def _control(sandbox: SandboxServer, method: str, path: str, body: bytes | None = None) -> Any:
    return requests.request(method, f"{sandbox.url}_sandbox/{path}", data=body, timeout=30)


def _signed(
    sandbox: SandboxServer, action: str, params: dict[str, str], version: str = "2008-09-17"
) -> tuple[int, etree._Element]:
    host = f"127.0.0.1:{sandbox.port}"
    full = sigv2.signed_params(
        action,
        params,
        access_key=DEFAULT_ACCESS_KEY,
        secret=DEFAULT_SECRET_KEY,
        method="POST",
        host=host,
        version=version,
    )
    status, _, body = sigv2.send_raw(sandbox.url, "POST", sigv2.encode(full), host)
    return status, etree.fromstring(body.encode("utf-8"))


def _error(root: etree._Element) -> tuple[str, str]:
    assert root.tag == "Response", etree.tostring(root)
    return root.findtext("Errors/Error/Code") or "", root.findtext("Errors/Error/Message") or ""


# -- the control API ----------------------------------------------------------------------------


def test_a_refused_control_create_stores_nothing(sandbox: SandboxServer) -> None:
    """It answered 400 "year 10000 is out of range" but had saved the row: every listing after
    it failed. Now the date is refused before anything is written."""
    answer = _control(
        sandbox,
        "POST",
        "transactions",
        json.dumps({"date_received": "9999-12-31T23:59:59Z"}).encode(),
    )
    assert answer.status_code == 400
    assert "date_received" in answer.json()["error"]
    listing = _control(sandbox, "GET", "transactions")
    assert listing.status_code == 200
    assert listing.json() == {"transactions": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "1e999999"}, "amount"),
        ({"amount": "99999999999999999999999.99"}, "amount"),
        ({"fps_fees": "1e999999"}, "fps_fees"),
        ({"date_received": 1e400}, "date_received"),
        ({"expires_at": "0001-01-01T00:00:00+01:00"}, "expires_at"),
        ({"status_code": {"nested": True}}, "status_code"),
        ({"caller_name": None}, "caller_name"),
        ({"sender_name": "Ann\x00"}, "sender_name"),
        ({"history": [{"status": "Pending", "date": "9999-12-31T23:59:59Z"}]}, "history date"),
    ],
)
def test_bad_control_fields_get_a_400_naming_the_field(
    sandbox: SandboxServer, body: dict[str, Any], field: str
) -> None:
    answer = _control(sandbox, "POST", "transactions", json.dumps(body).encode())
    assert answer.status_code == 400, answer.text
    assert field in answer.json()["error"]
    assert _control(sandbox, "GET", "transactions").json() == {"transactions": []}


def test_deeply_nested_json_gets_a_400_not_a_dropped_connection(sandbox: SandboxServer) -> None:
    depth = 100_000
    answer = _control(sandbox, "POST", "transactions", b"[" * depth + b"]" * depth)
    assert answer.status_code == 400
    assert "nested too deeply" in answer.json()["error"]
    faults = _control(sandbox, "POST", "faults", b'{"kind": "delay", "delay_ms": 1e400}')
    assert faults.status_code == 400


def test_a_bad_row_from_an_earlier_build_never_breaks_a_listing(tmp_path: Path) -> None:
    """A data file an earlier build wrote with a date in year 10000 (it saved before it failed):
    after a restart with that file, the listings and FPS answers still work."""
    data = tmp_path / "sandbox.sqlite3"
    with SandboxServer(data_path=data) as first:
        good = first.create_transaction(status="Reserved", amount="5.00")
        bad = first.create_transaction(status="Success", operation="Pay", amount="7.00")
    with sqlite3.connect(data) as conn:  # what the earlier build left behind
        conn.execute(
            "UPDATE transactions SET date_received = ?, date_completed = ?, fps_fees = ? "
            "WHERE id = ?",
            (253402300799000, 253402300800000, "99999999999999999999999.99", bad),
        )
    conn.close()
    with SandboxServer(data_path=data) as second:
        listing = _control(second, "GET", "transactions")
        assert listing.status_code == 200
        rows = {t["transaction_id"]: t for t in listing.json()["transactions"]}
        assert set(rows) == {good, bad}
        assert rows[bad]["date_completed"] == "10000-01-01T00:00:00.000Z"
        assert _control(second, "GET", f"transactions/{bad}").status_code == 200
        status, root = _signed(second, "GetTransaction", {"TransactionId": good})
        assert status == 200, etree.tostring(root)
        status, root = _signed(second, "GetAccountActivity", {"StartDate": "2000-01-01T00:00:00Z"})
        assert status == 200, etree.tostring(root)
