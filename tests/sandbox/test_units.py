"""Small pure pieces of the sandbox: dates, IDs, host matching, amounts, backoff."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from fpsdesk.sandbox import rules
from fpsdesk.sandbox.auth import host_candidates
from fpsdesk.sandbox.ids import (
    is_well_formed_transaction_id,
    new_request_id,
    new_transaction_id,
)
from fpsdesk.sandbox.ipn import RetryPolicy, ipn_amount
from fpsdesk.sandbox.timefmt import format_ms, parse_iso
from fpsdesk.sandbox.xmlwriter import error_response, format_amount, success_response


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2009-10-06T09:14:58.796Z", 1254820498796),
        ("2009-10-06T09:14:58Z", 1254820498000),
        ("2009-10-06T09:14:58", 1254820498000),
        ("2009-10-06T02:14:58.796-07:00", 1254820498796),
        ("2009-10-06T11:14:58.796+0200", 1254820498796),
        ("2009-10-06T09:14:58.796123456Z", 1254820498796),
    ],
)
def test_parse_iso(text: str, expected: int) -> None:
    assert parse_iso(text) == expected


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2009-10-06", "2009-13-06T09:14:58Z", "2009-10-06T09:14:58 Z"]
)
def test_parse_iso_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso(text)


def test_format_ms_round_trips() -> None:
    assert format_ms(1254820498796) == "2009-10-06T09:14:58.796Z"
    assert parse_iso(format_ms(1254820498007)) == 1254820498007


def test_id_shapes() -> None:
    txn_id = new_transaction_id()
    assert re.fullmatch(r"1[0-9A-Z]{34}", txn_id)
    assert is_well_formed_transaction_id(txn_id)
    assert not is_well_formed_transaction_id("FAKE")
    assert not is_well_formed_transaction_id(txn_id.lower())
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}:0", new_request_id()
    )


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("LOCALHOST:8443", ["localhost:8443", "localhost"]),
        ("fps.sandbox.amazonaws.com", ["fps.sandbox.amazonaws.com"]),
        ("[::1]:8080", ["[::1]:8080", "[::1]"]),
        ("", [""]),
    ],
)
def test_host_candidates(host: str, expected: list[str]) -> None:
    assert host_candidates(host) == expected


def test_amount_formats() -> None:
    assert format_amount(Decimal("1")) == "1.000000"
    assert ipn_amount(Decimal("2.2"), "USD") == "USD 2.20"


def test_documents_escape_text() -> None:
    body = success_response("Cancel", [("TransactionId", "<&>")], "r:0").decode()
    assert "<TransactionId>&lt;&amp;&gt;</TransactionId>" in body
    assert (
        error_response("X", "a < b", "r")
        .decode()
        .endswith(
            "<Response><Errors><Error><Code>X</Code><Message>a &lt; b</Message></Error></Errors>"
            "<RequestID>r</RequestID></Response>"
        )
    )


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(initial=1, max_interval=5)
    assert [policy.delay(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        ("10.00", "Success", "Success"),
        ("10.60", "Failure", "TransactionDenied"),
        ("10.69", "Failure", "TransactionDenied"),
        ("10.70", "Pending", "PendingVerification"),
        ("10.80", "Success", "Success"),
    ],
)
def test_outcome_triggers(amount: str, status: str, code: str) -> None:
    outcome = rules.outcome_for(Decimal(amount), "Pay")
    assert (outcome.status, outcome.code) == (status, code)
    assert rules.outcome_for(Decimal("10.00"), "Reserve").status == "Reserved"


def test_fees() -> None:
    assert rules.fees_for(Decimal("100.00"), "CC") == Decimal("3.20")
    assert rules.fees_for(Decimal("0.10"), "CC") == Decimal("0.10")  # never more than the amount
    assert rules.payment_method_for("abt-123") == "ABT"
