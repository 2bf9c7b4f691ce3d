"""The error catalogue covers every code of spec §5, and describe() explains every error type."""

from __future__ import annotations

import pytest

from fpsdesk.fps.errors import CATALOGUE, Explanation, describe, explain, is_transient
from fpsdesk.fps.exceptions import (
    FpsClientError,
    FpsError,
    InvalidInput,
    NetworkError,
    OutcomeUnknown,
    ProtocolError,
)

PARTIES = {"caller", "sender", "recipient", "FPS", "network"}

# Spec §5's table, with every family expanded to its concrete variants.
_SPEC_TABLE = """
InvalidParams InvalidTransactionId InvalidTransactionState SignatureDoesNotMatch
InvalidClientTokenId AuthFailure AccessFailure AccountClosed InternalError
ConcurrentModification InsufficientBalance AccountLimitsExceeded
InvalidAccountState InvalidAccountState_Caller InvalidAccountState_Recipient
InvalidAccountState_Sender OriginalTransactionIncomplete NotMarketplaceApp
PrepaidFundingLimitExceeded DuplicateRequest AmountOutOfRange TransactionDenied
RefundAmountExceeded TransactionFullyRefundedAlready TransactionTypeNotRefundable
OriginalTransactionFailed SenderNotOriginalRecipient SettleAmountGreaterThanReserveAmount
IncompatibleTokens InvalidTokenId InvalidTokenId_Sender InvalidTokenId_Recipient
InvalidTokenId_Caller TokenNotActive TokenNotActive_Sender TokenNotActive_Recipient
TokenNotActive_Caller TokenUsageError InactiveInstrument InstrumentExpired
PaymentInstrumentNotCC PaymentMethodNotDefined UnverifiedAccount_Sender
UnverifiedAccount_Recipient UnverifiedEmailAddress_Sender UnverifiedEmailAddress_Recipient
UnverifiedEmailAddress_Caller InvalidRecipientForCCTransaction SameSenderAndRecipient
InvalidRequest InvalidParameterValue RequestExpired RequestThrottled ServiceUnavailable
"""
SPEC_CODES = _SPEC_TABLE.split()

RETRIABLE = {
    "AuthFailure",
    "AccessFailure",
    "AccountClosed",
    "InternalError",
    "ConcurrentModification",
    "InsufficientBalance",
    "AccountLimitsExceeded",
    "InvalidAccountState",
    "InvalidAccountState_Caller",
    "InvalidAccountState_Recipient",
    "InvalidAccountState_Sender",
    "OriginalTransactionIncomplete",
    "NotMarketplaceApp",
    "PrepaidFundingLimitExceeded",
    "RequestThrottled",
    "ServiceUnavailable",
}


@pytest.mark.parametrize("code", SPEC_CODES)
def test_every_spec_code_is_catalogued(code: str) -> None:
    info = CATALOGUE[code]
    assert info.code == code
    assert info.summary.strip()
    assert info.next_step.strip()
    assert info.party in PARTIES
    assert info.retriable is (code in RETRIABLE)
    assert code not in info.summary  # plain language, not the code repeated


def test_variants_name_their_party() -> None:
    assert CATALOGUE["InvalidAccountState_Sender"].party == "sender"
    assert CATALOGUE["TokenNotActive_Recipient"].party == "recipient"
    assert CATALOGUE["UnverifiedEmailAddress_Caller"].party == "caller"


def test_cancel_invalid_state_next_step() -> None:
    assert explain("InvalidTransactionState", "Cancel").next_step == (
        "The transaction is no longer Reserved or Pending. If it completed, refund it instead."
    )
    assert "refund" not in explain("InvalidTransactionState").next_step.lower()


def test_transient_codes_are_a_subset_of_retriable() -> None:
    transient = {code for code in CATALOGUE if is_transient(code)}
    assert transient == {
        "InternalError",
        "ConcurrentModification",
        "RequestThrottled",
        "ServiceUnavailable",
    }
    assert transient <= RETRIABLE


def test_unknown_code_is_explained_honestly() -> None:
    info = explain("WeirdNewCode")
    assert "WeirdNewCode" in info.summary
    assert info.next_step
    assert not is_transient("WeirdNewCode")


def _all_errors() -> list[FpsClientError]:
    return [
        FpsError("InvalidTransactionId", "not found", "rid-7", 400),
        FpsError("Mystery", "", None, 500),
        ProtocolError("the response is an HTML page", 502),
        NetworkError("could not connect", kind="network"),
        NetworkError("certificate verify failed", kind="tls"),
        NetworkError("no answer", kind="timeout"),
        OutcomeUnknown("14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD", "Cancel", "timed out"),
        InvalidInput("A transaction ID has at most 35 characters."),
        FpsClientError("something"),
    ]


@pytest.mark.parametrize("exc", _all_errors(), ids=lambda e: type(e).__name__)
def test_describe_every_error_type(exc: FpsClientError) -> None:
    explanation = describe(exc)
    assert isinstance(explanation, Explanation)
    assert explanation.title.strip()
    assert explanation.next_step.strip()
    text = explanation.as_text()
    assert "Traceback" not in text
    assert explanation.title in text


def test_describe_fps_error_carries_code_and_request_id() -> None:
    explanation = describe(FpsError("InvalidTransactionId", "not found", "rid-7", 400))
    assert explanation.code == "InvalidTransactionId"
    assert explanation.request_id == "rid-7"
    assert explanation.http_status == 400
    assert explanation.party == "caller"
    assert "not found" in explanation.detail
    assert "RequestId: rid-7" in explanation.as_text()


def test_describe_uses_action_set_by_client() -> None:
    err = FpsError("InvalidTransactionState", "nope", "r", 400)
    err.action = "Cancel"  # type: ignore[attr-defined]
    assert "refund it instead" in describe(err).next_step


def test_describe_tls_and_outcome_unknown() -> None:
    assert describe(NetworkError("x", kind="tls")).code == "TLS"
    unknown = describe(OutcomeUnknown("14GK", "Cancel", "timed out"))
    assert "14GK" in unknown.title
    assert "Do not send it again" in unknown.next_step


def test_describe_non_client_error_is_still_safe() -> None:
    explanation = describe(RuntimeError("secret details"))
    assert "secret details" not in explanation.as_text()


def test_server_text_is_made_plain_and_bounded() -> None:
    hostile = "<b>bold</b>\x1b[31m red \u202e evil\n" + "x" * 5000
    explanation = describe(FpsError("Weird\x07Code", hostile, "rid\x1b", 400))
    for text in (
        explanation.title,
        explanation.detail,
        explanation.code or "",
        explanation.request_id or "",
    ):
        assert all(ch.isprintable() for ch in text)
        assert "<" not in text
        assert ">" not in text
    assert len(explanation.detail) < 700
    assert "bold" in explanation.detail
