"""Transaction IDs are checked before anything is sent, and picked out of pasted text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.fps.ids import extract_transaction_id, normalize_transaction_id

TXID = "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"


def test_valid_id_is_trimmed() -> None:
    assert normalize_transaction_id(f"  {TXID}\n\t") == TXID


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "Enter a transaction ID"),
        ("   ", "Enter a transaction ID"),
        ("A" * 36, "at most 35"),
        ("14gki1sk", "capital letters"),
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
