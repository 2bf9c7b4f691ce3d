"""Transaction IDs are checked before anything is sent, and picked out of pasted text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.fps.ids import (
    SeveralTransactionIds,
    extract_transaction_id,
    normalize_transaction_id,
    pick_transaction_id,
)

TXID = "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"


def test_valid_id_is_trimmed() -> None:
    assert normalize_transaction_id(f"  {TXID}\n\t") == TXID


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "Enter a transaction ID"),
        ("   ", "Enter a transaction ID"),
        ("A" * 36, "has 35 characters; this one has 36"),
        ("12345", "has 35 characters; this one has 5"),
        (TXID[:34], "this one has 34"),
        ("14GK-I1SK", "'-'"),
        ("14GK\x00I1", "U+0000"),
        ("14GK\u202eI1", "U+202E"),  # right-to-left override
        ("14GK I1", "U+0020"),
    ],
)
def test_invalid_ids_are_explained(text: str, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle.replace("+", r"\+")):
        normalize_transaction_id(text)


def test_ten_kilobytes_of_text_is_refused_with_its_length() -> None:
    with pytest.raises(InvalidInput, match="this one has 10240"):
        normalize_transaction_id("A" * 10240)


@given(st.text(max_size=60))
def test_normalize_raises_only_invalid_input(text: str) -> None:
    try:
        result = normalize_transaction_id(text)
    except InvalidInput:
        return
    assert 1 <= len(result) <= 35
    assert result.isascii()
    assert result.isalnum()
    assert result.upper() == result
    assert len(result) == 35


@pytest.mark.parametrize(
    "pasted",
    [
        TXID,
        f"  {TXID}  ",
        f"https://example.com/orders?txn={TXID}&x=1",
        f"Customer says: please cancel {TXID}. Thanks!",
        f"transactionId: {TXID}\nstatus: RESERVED",
    ],
)
def test_extract_picks_the_one_id(pasted: str) -> None:
    assert extract_transaction_id(pasted) == TXID


def test_extract_refuses_ambiguous_or_absent() -> None:
    other = "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM"
    assert extract_transaction_id(f"{TXID} and {other}") is None
    assert extract_transaction_id("nothing to see here") is None
    # The same ID twice is still one ID.
    assert extract_transaction_id(f"{TXID} / {TXID}") == TXID


def test_a_lower_case_id_is_upper_cased() -> None:
    assert normalize_transaction_id(TXID.lower()) == TXID
    assert pick_transaction_id(f" {TXID.lower()} ") == TXID
    assert pick_transaction_id(f"https://shop.example/orders?txn={TXID.lower()}") == TXID


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a transaction ID."),
        ("12345", "A transaction ID has 35 characters; this one has 5."),
        (TXID[:34], "A transaction ID has 35 characters; this one has 34."),
        ("14GK-I1SK", "A transaction ID uses only the letters A–Z and digits 0–9; found '-'"),
        ("please cancel my order from yesterday", "No transaction ID in the pasted text."),
        ("https://shop.example/orders?id=12345&ref=mail", "No transaction ID in the pasted text."),
    ],
)
def test_pick_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        pick_transaction_id(text)
    assert str(caught.value).startswith(message)


def test_pick_offers_every_id_when_there_are_several() -> None:
    other = "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM"
    with pytest.raises(SeveralTransactionIds) as caught:
        pick_transaction_id(f"first {TXID}, then {other.lower()}")
    assert caught.value.choices == (TXID, other)
    assert "2 transaction IDs" in str(caught.value)


def test_a_mixed_case_token_in_prose_is_not_an_id() -> None:
    token = "aB" * 17 + "c"  # 35 letters and digits, but a session key, not an ID
    with pytest.raises(InvalidInput, match="No transaction ID"):
        pick_transaction_id(f"session={token} in the log line")
