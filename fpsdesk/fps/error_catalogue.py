"""The FPS error catalogue (spec §5): every code, whose side it is on, and what to do next.

Codes come from spec §5, with the concrete ``_Sender``/``_Recipient``/``_Caller`` variants that
boto's ``fps/exception.py`` and remit's ``error_codes.rb`` list. Only data lives here; turning
an error into words for a support agent is :mod:`fpsdesk.fps.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Party = Literal["caller", "sender", "recipient", "FPS", "network"]


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """One catalogue entry.

    ``retriable`` is the FPS/boto flag: the same request may succeed later. ``transient`` is the
    narrower set the client retries on its own for reads (a momentary server-side condition); an
    ``InsufficientBalance`` is retriable in FPS terms, but not in three seconds.
    """

    code: str
    summary: str
    party: Party
    retriable: bool
    next_step: str
    transient: bool = False


REPORT = "If it keeps happening, send the error code and RequestId to the FPS account owner."
_CHECK_KEYS = (
    "Check the profile's access key ID and secret key (Settings → Profiles) and that the "
    "endpoint is the one the keys belong to (sandbox keys do not work on production)."
)
LATER = "Wait a few minutes and try again."
_SENDER_FIX = "The buyer has to fix this on their Amazon Payments account; nothing to do here."
_RECIPIENT_FIX = (
    "The recipient (merchant) account needs attention in Amazon Payments; tell the account owner."
)
_CALLER_FIX = "Our own FPS developer account needs attention; tell the account owner."


def _e(
    code: str,
    summary: str,
    party: Party,
    retriable: bool,
    next_step: str,
    *,
    transient: bool = False,
) -> ErrorInfo:
    return ErrorInfo(code, summary, party, retriable, next_step, transient)


def _variants(
    family: str,
    what: str,
    retriable: bool,
    per_party: dict[Party, tuple[str, str]],
    *,
    party: Party = "caller",
) -> list[ErrorInfo]:
    """The plain family code plus its _Sender/_Recipient/_Caller variants."""
    entries: list[ErrorInfo] = []
    for who, (summary, step) in per_party.items():
        suffix = {"sender": "_Sender", "recipient": "_Recipient", "caller": "_Caller"}[who]
        entries.append(_e(family + suffix, summary, who, retriable, step))
    entries.append(
        _e(
            family,
            what,
            party,
            retriable,
            "The FPS message says which account or token; "
            "tell the account owner if it is ours, the buyer if it is theirs.",
        )
    )
    return entries


_ENTRIES: list[ErrorInfo] = [
    _e(
        "InvalidParams",
        "FPS rejected one or more parameters of the request.",
        "caller",
        False,
        "Check the transaction ID (35 capital letters and digits) and the other values; "
        "the message names the parameter.",
    ),
    _e(
        "InvalidTransactionId",
        "FPS has no such transaction for this account: the ID is wrong, belongs to another "
        "account or environment, or is not a Pay or Reserve.",
        "caller",
        False,
        "Check the ID for typos and that the profile is the right environment "
        "(sandbox vs production).",
    ),
    _e(
        "InvalidTransactionState",
        "The transaction is not in a state that allows this action (not complete, or it has "
        "temporarily failed).",
        "caller",
        False,
        "Refresh the transaction to see its current status before doing anything else.",
    ),
    _e(
        "SignatureDoesNotMatch",
        "FPS computed a different request signature: the secret key does not match the access "
        "key, or something changed the request on the way.",
        "caller",
        False,
        _CHECK_KEYS,
    ),
    _e(
        "InvalidClientTokenId",
        "FPS does not know this access key ID.",
        "caller",
        False,
        _CHECK_KEYS,
    ),
    _e(
        "AuthFailure",
        "FPS could not validate the credentials, or the account is not signed up for FPS.",
        "caller",
        True,
        _CHECK_KEYS + " " + LATER,
    ),
    _e(
        "AccessFailure",
        "The FPS account cannot be accessed right now.",
        "caller",
        True,
        LATER + " " + REPORT,
    ),
    _e(
        "AccountClosed",
        "The FPS account is not active.",
        "caller",
        True,
        "Tell the FPS account owner; nothing can be done from here until it is reactivated.",
    ),
    _e(
        "InternalError",
        "FPS had a temporary internal failure.",
        "FPS",
        True,
        LATER + " " + REPORT,
        transient=True,
    ),
    _e(
        "ConcurrentModification",
        "Two requests changed the same data at the same moment.",
        "FPS",
        True,
        "Refresh the transaction, then try again if it still needs the action.",
        transient=True,
    ),
    _e(
        "InsufficientBalance",
        "An account in the transaction does not have enough funds.",
        "sender",
        True,
        "The payer needs to add funds or use another payment method; retry later.",
    ),
    _e(
        "AccountLimitsExceeded",
        "A spending or receiving limit on an account in the transaction is exceeded.",
        "sender",
        True,
        "Retry after the limit resets, or ask the account holder to raise it.",
    ),
    *_variants(
        "InvalidAccountState",
        "An account in the transaction is suspended or closed.",
        True,
        {
            "caller": (
                "Our FPS developer account cannot take part in transactions (suspended or closed).",
                _CALLER_FIX,
            ),
            "recipient": (
                "The recipient account cannot take part in the transaction (suspended or closed).",
                _RECIPIENT_FIX,
            ),
            "sender": (
                "The sender's account cannot take part in the transaction (suspended or closed).",
                _SENDER_FIX,
            ),
        },
    ),
    _e(
        "OriginalTransactionIncomplete",
        "The original transaction is still in progress.",
        "caller",
        True,
        "Wait until the original transaction is Success, then try again.",
    ),
    _e(
        "NotMarketplaceApp",
        "This application is not registered as a marketplace application.",
        "caller",
        True,
        "Marketplace fees need a marketplace registration; tell the account owner.",
    ),
    _e(
        "PrepaidFundingLimitExceeded",
        "Funding the prepaid instrument would exceed its recharge limit.",
        "sender",
        True,
        "Use a smaller amount or try again later.",
    ),
    _e(
        "DuplicateRequest",
        "This CallerReference was already used for a different request.",
        "caller",
        False,
        "Look up the earlier transaction with that reference instead of sending a new one.",
    ),
    _e(
        "AmountOutOfRange",
        "The amount is outside the allowed range (it must exceed $0.01).",
        "caller",
        False,
        "Correct the amount and try again.",
    ),
    _e(
        "TransactionDenied",
        "FPS did not allow the transaction.",
        "sender",
        False,
        "Ask the buyer to use another payment method; do not retry the same request.",
    ),
    _e(
        "RefundAmountExceeded",
        "The refund is larger than the amount still refundable.",
        "caller",
        False,
        "Open the transaction, check what was already refunded, and refund less.",
    ),
    _e(
        "TransactionFullyRefundedAlready",
        "The transaction has already been refunded in full.",
        "caller",
        False,
        "Nothing left to refund; check the related refund transactions.",
    ),
    _e(
        "TransactionTypeNotRefundable",
        "This kind of transaction cannot be refunded.",
        "caller",
        False,
        "Only a completed Pay or Settle can be refunded.",
    ),
    _e(
        "OriginalTransactionFailed",
        "The original transaction failed, so there is nothing to refund or settle.",
        "caller",
        False,
        "No money moved; no refund is needed.",
    ),
    _e(
        "SenderNotOriginalRecipient",
        "The refund's sender is not the recipient of the original transaction.",
        "caller",
        False,
        "Refund from the account that received the original payment.",
    ),
    _e(
        "SettleAmountGreaterThanReserveAmount",
        "The amount to settle is more than was reserved.",
        "caller",
        False,
        "Settle at most the reserved amount.",
    ),
    _e(
        "IncompatibleTokens",
        "The payment tokens carry payment instructions that do not fit together.",
        "caller",
        False,
        "Get new tokens through the co-branded UI.",
    ),
    *_variants(
        "InvalidTokenId",
        "A payment token is invalid, cancelled or not active.",
        False,
        {
            "sender": (
                "The sender token is invalid, cancelled or not active.",
                "The buyer must authorize the payment again to get a new token.",
            ),
            "recipient": ("The recipient token is invalid or cancelled.", _RECIPIENT_FIX),
            "caller": ("The caller token is invalid, cancelled or not active.", _CALLER_FIX),
        },
    ),
    *_variants(
        "TokenNotActive",
        "A payment token has been cancelled.",
        False,
        {
            "sender": (
                "The sender token has been cancelled.",
                "The buyer must authorize the payment again to get a new token.",
            ),
            "recipient": ("The recipient token has been cancelled.", _RECIPIENT_FIX),
            "caller": ("The caller token has been cancelled.", _CALLER_FIX),
        },
    ),
    _e(
        "TokenUsageError",
        "The token's usage limit is exceeded.",
        "sender",
        False,
        "The buyer must authorize a new payment token.",
    ),
    _e("InactiveInstrument", "The payment instrument is inactive.", "sender", False, _SENDER_FIX),
    _e(
        "InstrumentExpired",
        "The prepaid or postpaid instrument has expired.",
        "sender",
        False,
        _SENDER_FIX,
    ),
    _e(
        "PaymentInstrumentNotCC",
        "This transaction needs a credit card as payment method.",
        "sender",
        False,
        "The buyer must pay by credit card.",
    ),
    _e(
        "PaymentMethodNotDefined",
        "The transaction has no payment method.",
        "caller",
        False,
        "Get a new token with a payment method through the co-branded UI.",
    ),
    *_variants(
        "UnverifiedAccount",
        "An account needs a verified credit card or bank account first.",
        False,
        {
            "sender": (
                "The sender's account needs a verified U.S. credit card or bank account.",
                _SENDER_FIX,
            ),
            "recipient": (
                "The recipient's account needs a verified bank account or credit card.",
                _RECIPIENT_FIX,
            ),
            # Not in boto or remit; listed because the family is open-ended in spec §5.
            "caller": ("Our developer account needs a verified payment method.", _CALLER_FIX),
        },
    ),
    *_variants(
        "UnverifiedEmailAddress",
        "An account's e-mail address is not verified.",
        False,
        {
            "sender": ("The sender's e-mail address is not verified.", _SENDER_FIX),
            "recipient": ("The recipient's e-mail address is not verified.", _RECIPIENT_FIX),
            "caller": ("Our developer account's e-mail address is not verified.", _CALLER_FIX),
        },
    ),
    _e(
        "InvalidRecipientForCCTransaction",
        "The recipient account cannot receive credit card payments.",
        "recipient",
        False,
        _RECIPIENT_FIX,
    ),
    _e(
        "SameSenderAndRecipient",
        "The sender and the recipient are the same account.",
        "caller",
        False,
        "Use different sender and recipient accounts.",
    ),
    _e(
        "InvalidRequest",
        "The request does not match the FPS interface (an unknown or misplaced parameter).",
        "caller",
        False,
        "This is a bug in fpsdesk or a wrong endpoint; " + REPORT,
    ),
    _e(
        "InvalidParameterValue",
        "A parameter value has the wrong format.",
        "caller",
        False,
        "Check the value the message names. A Timestamp error means this computer's clock is "
        "wrong: fix the clock and retry.",
    ),
    _e(
        "RequestExpired",
        "FPS thought the request was too old: this computer's clock is probably off by more than "
        "15 minutes.",
        "caller",
        False,
        "Set this computer's clock to the correct time (automatic time), then try again.",
    ),
    _e(
        "RequestThrottled",
        "FPS is limiting the request rate.",
        "FPS",
        True,
        "Wait a minute, then try again.",
        transient=True,
    ),
    _e("ServiceUnavailable", "FPS is temporarily unavailable.", "FPS", True, LATER, transient=True),
]

CATALOGUE: dict[str, ErrorInfo] = {info.code: info for info in _ENTRIES}

# Next steps that depend on the action that failed.
ACTION_STEPS: dict[tuple[str, str], str] = {
    ("Cancel", "InvalidTransactionState"): (
        "The transaction is no longer Reserved or Pending. If it completed, refund it instead."
    ),
    ("Cancel", "InvalidTransactionId"): (
        "Nothing was cancelled. Check the ID and that the profile is the right environment."
    ),
    ("Refund", "InvalidTransactionState"): (
        "Only a completed (Success) Pay or Settle can be refunded; refresh the transaction."
    ),
    ("Settle", "InvalidTransactionState"): (
        "Only a Reserved transaction can be settled; refresh the transaction."
    ),
}
