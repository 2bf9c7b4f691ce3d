"""Hostile input to the sandbox, round 2: nothing it is sent may become a stored row that breaks
later answers, and no request, signed or not, gets a 500 or a dropped connection.

Everything goes over loopback HTTP to a real sandbox; signed requests come from the tests'
independent SigV2 signer (tests/sandbox/sigv2.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from fpsdesk.sandbox.actions import ACTIONS as SANDBOX_ACTIONS
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
        ({"sender_name": "Ann\ud800"}, "sender_name"),
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
        good = first.create_transaction(status="Reserved", amount="5.00", sender_name="A\x00B")
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
        assert root.findtext(".//{*}SenderName") == "A\ufffdB"  # XML cannot carry a NUL
        status, root = _signed(second, "GetAccountActivity", {"StartDate": "2000-01-01T00:00:00Z"})
        assert status == 200, etree.tostring(root)


# -- signed FPS requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount", [" 5.00", "5.00 ", "５.00", "1e3", "99999999999999999999999.99", "-5.00", "5.", ""]
)
def test_amounts_fps_never_took_are_invalid_params(sandbox: SandboxServer, amount: str) -> None:
    status, root = _signed(
        sandbox,
        "Pay",
        {
            "SenderTokenId": "CC-1",
            "CallerReference": f"ref {amount!r}",
            "TransactionAmount.Value": amount,
        },
    )
    assert status == 400
    code, message = _error(root)
    assert code == "InvalidParams"
    assert "TransactionAmount.Value" in message
    assert sandbox.transactions() == []


def test_a_huge_pay_cannot_poison_later_reads(sandbox: SandboxServer) -> None:
    """A 23-digit Pay used to be stored; its GetTransaction and every GetAccountActivity covering
    it then answered 500 for good."""
    _signed(
        sandbox,
        "Pay",
        {
            "SenderTokenId": "CC-1",
            "CallerReference": "huge",
            "TransactionAmount.Value": "99999999999999999999999.99",
        },
    )
    ok = sandbox.create_transaction(status="Success", operation="Pay", amount="10.00")
    status, root = _signed(sandbox, "GetAccountActivity", {"StartDate": "2000-01-01T00:00:00Z"})
    assert status == 200, etree.tostring(root)
    assert [t.findtext("{*}TransactionId") for t in root.iter("{*}Transaction")] == [ok]
    status, _ = _signed(sandbox, "GetTransaction", {"TransactionId": ok})
    assert status == 200


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("StartDate", "0001-01-01T00:00:00Z"),
        ("StartDate", "0001-01-01T00:00:00+01:00"),
        ("StartDate", "2020-01-01T00:00:00+99:00"),
        ("StartDate", "2020-01-01T00:00:00+14:60"),
        ("StartDate", "２０２０-01-01T00:00:00Z"),
        ("EndDate", "9999-12-31T23:59:59-05:00"),
        ("EndDate", "1969-12-31T23:59:59Z"),
    ],
)
def test_dates_out_of_range_are_invalid_params_naming_the_parameter(
    sandbox: SandboxServer, name: str, value: str
) -> None:
    params = {"StartDate": "2020-01-01T00:00:00Z", name: value}
    status, root = _signed(sandbox, "GetAccountActivity", params)
    assert status == 400
    code, message = _error(root)
    assert code == "InvalidParams"
    assert message.startswith(name)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TransactionTimeoutInMins", "99999999999999999999"),
        ("TransactionTimeoutInMins", "²"),
        ("TransactionTimeoutInMins", "١٢"),
        ("MarketplaceVariableFee", "1e3"),
        ("CallerDescription", "bell\x07"),
    ],
)
def test_other_pay_parameters_are_checked(sandbox: SandboxServer, name: str, value: str) -> None:
    params = {
        "SenderTokenId": "CC-1",
        "CallerReference": "checked",
        "TransactionAmount.Value": "5.00",
        name: value,
    }
    status, root = _signed(sandbox, "Reserve", params)
    assert status == 400
    code, message = _error(root)
    assert code == "InvalidParams"
    assert name in message


# -- the property: no signed request gets a 500 --------------------------------------------------

ACTIONS = [
    "Pay",
    "Reserve",
    "Settle",
    "Cancel",
    "Refund",
    "GetTransactionStatus",
    "GetTransaction",
    "GetAccountActivity",
    "VerifySignature",
]
PARAMETER_NAMES = [
    "TransactionId",
    "ReserveTransactionId",
    "Description",
    "SenderTokenId",
    "RecipientTokenId",
    "TransactionAmount.Value",
    "TransactionAmount.CurrencyCode",
    "RefundAmount.Value",
    "RefundAmount.CurrencyCode",
    "MarketplaceFixedFee.Value",
    "MarketplaceVariableFee",
    "ChargeFeeTo",
    "CallerReference",
    "CallerDescription",
    "SenderDescription",
    "DescriptorPolicy.SoftDescriptorType",
    "DescriptorPolicy.CSOwner",
    "TransactionTimeoutInMins",
    "MarketplaceRefundPolicy",
    "StartDate",
    "EndDate",
    "MaxBatchSize",
    "SortOrderByDate",
    "FPSOperation",
    "PaymentMethod",
    "TransactionStatus",
    "Role.1",
    "Role.2",
    "UrlEndPoint",
    "HttpParameters",
    "OverrideIPNURL",
]


def _dates() -> st.SearchStrategy[str]:
    offsets = st.one_of(
        st.just("Z"),
        st.just(""),
        st.builds(
            lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
            st.sampled_from("+-"),
            st.integers(0, 99),
            st.integers(0, 99),
        ),
    )
    return st.builds(
        lambda y, mo, d, h, mi, s, frac, off: (
            f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{off}"
        ),
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 61),
        st.sampled_from(["", ".5", ".123", ".123456789"]),
        offsets,
    )


def _amounts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda n, c: f"{n}.{c:02d}", st.integers(0, 10**30), st.integers(0, 99)),
        st.integers(-(10**40), 10**40).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.from_regex(r"-?[0-9]{0,30}(\.[0-9]{0,12})?([eE][+-]?[0-9]{1,7})?", fullmatch=True),
        st.sampled_from(["0.01", "0.02", "5.00", "12.98", "52.61", "45.71", "9999999999.99"]),
    )


def _value_for(name: str, ids: list[str]) -> st.SearchStrategy[str]:
    """Values typed for ``name`` (an amount for an amount...), mixed with arbitrary text."""
    if name.endswith(".Value") or name == "MarketplaceVariableFee":
        typed = _amounts()
    elif name in ("StartDate", "EndDate"):
        typed = _dates()
    elif name in ("MaxBatchSize", "TransactionTimeoutInMins"):
        typed = st.from_regex(r"-?[0-9]{1,25}|[²١٢３]{1,3}", fullmatch=True)
    elif name.endswith("TransactionId"):
        typed = st.sampled_from(ids)
    elif name in ("OverrideIPNURL", "UrlEndPoint"):
        typed = st.sampled_from(
            ["http://127.0.0.1:9/ipn", "http://[", "http://a:99999/", "ftp://x"]
        )
    else:
        typed = st.sampled_from(["Caller", "Recipient", "Sender", "Ascending", "USD", "EUR", "Pay"])
    return st.one_of(typed, st.text(max_size=60))


def _valid_base(action: str, ids: list[str], reference: str) -> dict[str, str]:
    """A request of ``action`` that would succeed; the property then spoils parts of it."""
    reserved, paid, _ = ids
    pay = {"SenderTokenId": "CC-1", "CallerReference": reference, "TransactionAmount.Value": "5.00"}
    return {
        "Pay": pay,
        "Reserve": pay,
        "Settle": {"ReserveTransactionId": reserved},
        "Cancel": {"TransactionId": reserved},
        "Refund": {"TransactionId": paid, "CallerReference": reference},
        "GetTransactionStatus": {"TransactionId": paid},
        "GetTransaction": {"TransactionId": paid},
        "GetAccountActivity": {"StartDate": "2000-01-01T00:00:00Z"},
        "VerifySignature": {
            "UrlEndPoint": "http://127.0.0.1/ipn",
            "HttpParameters": "certificateUrl=x&signature=y",
        },
    }[action]


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[tuple[SandboxServer, list[str]]]:
    with SandboxServer() as server:
        ids = [
            server.create_transaction(status="Reserved", amount="40.00"),
            server.create_transaction(status="Success", operation="Pay", amount="25.00"),
            server.create_transaction(status="Pending", operation="Pay", amount="3.00"),
        ]
        yield server, ids


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_signed_request_gets_a_500(
    shared_sandbox: tuple[SandboxServer, list[str]], data: st.DataObject
) -> None:
    """Whatever a correctly signed request carries, the answer is never a 500, and nothing it
    stores makes a later GetTransaction or GetAccountActivity fail."""
    server, ids = shared_sandbox
    action = data.draw(st.sampled_from(ACTIONS), label="action")
    version = data.draw(st.sampled_from(["2008-09-17", "2010-08-28"]), label="version")
    reference = data.draw(st.uuids(), label="reference").hex
    params = _valid_base(action, ids, reference)
    own = sorted(SANDBOX_ACTIONS[action].params | {"OverrideIPNURL", "Role.1"})
    names = data.draw(
        st.lists(st.sampled_from(own), min_size=1, max_size=3, unique=True), label="spoiled"
    )
    names += data.draw(st.lists(st.sampled_from(PARAMETER_NAMES), max_size=1), label="foreign")
    for name in names:
        params[name] = data.draw(_value_for(name, ids), label=name)
    status, root = _signed(server, action, params, version)
    assert status != 500, etree.tostring(root)
    if status == 200 and action in ("Pay", "Reserve", "Refund"):
        created = root.findtext(f"{{*}}{action}Result/{{*}}TransactionId")
        assert created
        again, detail = _signed(server, "GetTransaction", {"TransactionId": created})
        assert again == 200, etree.tostring(detail)
    again, activity = _signed(server, "GetAccountActivity", {"StartDate": "1970-01-01T00:00:00Z"})
    assert again == 200, etree.tostring(activity)
