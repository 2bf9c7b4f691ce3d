"""The sandbox's deterministic business rules: fees, payment method, decline triggers.

FPS's own 2008-09-17 sandbox decline tables were not preserved (spec §7), so these are ours:

- SenderTokenId starting with ``ABT`` pays from an Amazon Payments balance, ``ACH`` from a bank
  account; any other token (the sandbox accepts any value) is a credit card.
- Pay/Reserve amounts are checked by their cents:
  ``.60``–``.69`` → the payment ends in Failure / TransactionDenied (after Pending for CC/ACH);
  ``.70``–``.79`` → it stays Pending / PendingVerification ("flagged for manual investigation")
  until cancelled or changed through the controls;
  ``.98`` → the request fails at once with the error InsufficientBalance (retriable);
  ``0.01`` or less → AmountOutOfRange. Everything else succeeds.
- Fees (FPSFees): 2.9% + $0.30 for CC, 1.5% + $0.05 for ACH, 1.5% + $0.01 for ABT. A refund
  gives back the original's fee in proportion to the amount refunded, as a negative fee (the
  documented sample: a USD 1.00 refund shows FPSFees -0.100000), to the party that paid it.
- Amounts are plain decimals: ASCII digits, at most 10 before the point and 6 after it, no sign,
  no exponent, no spaces ([GUESS] for the limits; FPS's own are not documented).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from fpsdesk.sandbox.errors import SandboxError

# The XSD enumerations (spec §3.6, §4).
STATUSES = ("Reserved", "Success", "Failure", "Pending", "Cancelled")
FINAL = ("Success", "Failure", "Cancelled")
OPERATIONS = ("Pay", "Refund", "Settle", "SettleDebt", "WriteOffDebt", "FundPrepaid", "Reserve")
PAYMENT_METHODS = ("ABT", "CC", "ACH", "Debt", "Prepaid")
ROLES = ("Sender", "Caller", "Recipient")  # TransactionalRole
AMOUNT_INTEGER_DIGITS = 10
AMOUNT_DECIMALS = 6
_AMOUNT = re.compile(rf"[0-9]{{1,{AMOUNT_INTEGER_DIGITS}}}(?:\.[0-9]{{1,{AMOUNT_DECIMALS}}})?")
DEFAULT_CODES = {
    "Reserved": "Reserved",
    "Success": "Success",
    "Failure": "TransactionDenied",
    "Pending": "PendingNetworkResponse",
    "Cancelled": "Canceled",
}
DEFAULT_PARTIES = {
    "caller_name": "Test Business",
    "recipient_name": "Test Business",
    "recipient_email": "test-caller@example.com",
    "sender_name": "Test Sender",
    "sender_email": "test-sender@example.com",
}

MESSAGES = {
    "PendingNetworkResponse": (
        "The transaction is awaiting a response from the backend payment processor."
    ),
    "PendingVerification": "The transaction has been flagged for manual investigation.",
    "Success": "The transaction was successful and the payment instrument was charged.",
    "Reserved": (
        "The requested amount was reserved successfully against the given payment instrument."
    ),
    "Canceled": "The transaction was explicitly canceled by the caller.",
    "TransactionDenied": "The transaction was denied by the payment processor.",
    "Expired": (
        "This reserved amount on the payment instrument was not settled within the timeout "
        "period OR the transaction could not be completed within the specified timeout."
    ),
    "Refunded": "The refund was successful and the payment instrument was credited.",
}

_FEES = {
    "CC": (Decimal("0.029"), Decimal("0.30")),
    "ACH": (Decimal("0.015"), Decimal("0.05")),
    "ABT": (Decimal("0.015"), Decimal("0.01")),
}
CENT = Decimal("0.01")


def parse_amount(text: str) -> Decimal | None:
    """``text`` as an amount, or None when it is not a plain decimal of the allowed shape.

    Decimal() alone would take " 5.00", full-width digits, "1e3" and a 23-digit number whose
    arithmetic later overflows the context; none of those is an amount FPS took.
    """
    if not _AMOUNT.fullmatch(text):
        return None
    return Decimal(text)


def message_for(code: str | None) -> str | None:
    return None if code is None else MESSAGES.get(code)


def payment_method_for(sender_token_id: str) -> str:
    token = sender_token_id.upper()
    if token.startswith("ABT"):
        return "ABT"
    if token.startswith("ACH"):
        return "ACH"
    return "CC"


def fees_for(amount: Decimal, payment_method: str) -> Decimal:
    rate, fixed = _FEES.get(payment_method, _FEES["CC"])
    return min(amount, (amount * rate + fixed).quantize(CENT, rounding=ROUND_HALF_UP))


def refund_fee(
    original_amount: Decimal, original_fee: Decimal, refunded_before: Decimal, amount: Decimal
) -> Decimal:
    """The (negative) FPSFees of a refund: the original's fee in proportion to what is refunded.

    Computed as the difference of the cumulative shares, so partial refunds that add up to the
    whole amount give back exactly the whole fee, never a cent more or less.
    """
    if original_amount <= 0:
        return Decimal(0)

    def share(refunded: Decimal) -> Decimal:
        return (original_fee * refunded / original_amount).quantize(CENT, rounding=ROUND_HALF_UP)

    return -(share(refunded_before + amount) - share(refunded_before))


def refund_fee_payer(original_payer: str) -> str:
    """Who gets a refund's fee back: the original's Recipient is the refund's Sender."""
    return "Sender" if original_payer == "Recipient" else original_payer


@dataclass(frozen=True)
class Outcome:
    """Where a Pay or Reserve ends: a status and code (PendingVerification stays Pending)."""

    status: str
    code: str


def outcome_for(amount: Decimal, operation: str) -> Outcome:
    """The deterministic end state of a Pay (Success) or Reserve (Reserved)."""
    cents = int((amount * 100) % 100)
    if 60 <= cents <= 69:
        return Outcome("Failure", "TransactionDenied")
    if 70 <= cents <= 79:
        return Outcome("Pending", "PendingVerification")
    if operation == "Reserve":
        return Outcome("Reserved", "Reserved")
    return Outcome("Success", "Success")


def check_amount(amount: Decimal) -> None:
    """Raise the synchronous errors of the amount triggers."""
    if amount <= CENT:
        raise SandboxError(
            "AmountOutOfRange", "The transaction amount must be greater than USD 0.01."
        )
    if int((amount * 100) % 100) == 98:
        raise SandboxError(
            "InsufficientBalance",
            "The sender does not have sufficient balance to complete this transaction "
            "(sandbox trigger: amounts ending in .98).",
        )
