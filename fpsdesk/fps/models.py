"""Plain, frozen results of FPS calls: what the worker hands back to the UI and the CLI.

Amounts are Decimal, dates are timezone-aware, and TransactionStatus is an enum, so no caller ever
parses a string twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from fpsdesk.fps.status import TransactionStatus as TransactionStatus  # re-exported


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    currency: str = "USD"

    def __str__(self) -> str:
        return f"{self.currency} {self.value.quantize(Decimal('0.01'))}"


@dataclass(frozen=True, slots=True)
class ActionResult:
    """Result of Cancel, Refund, Settle, Pay and Reserve: a transaction and its new status."""

    transaction_id: str
    transaction_status: TransactionStatus
    request_id: str


@dataclass(frozen=True, slots=True)
class TransactionStatusResult:
    """GetTransactionStatus."""

    transaction_id: str
    transaction_status: TransactionStatus
    caller_reference: str
    status_code: str | None
    status_message: str | None
    request_id: str


@dataclass(frozen=True, slots=True)
class StatusHistoryEntry:
    date: datetime
    transaction_status: TransactionStatus
    status_code: str | None = None
    amount: Amount | None = None


@dataclass(frozen=True, slots=True)
class RelatedTransaction:
    transaction_id: str
    # Refund | Parent | MarketplaceFee | RefundReversal; optional in the schema (minOccurs=0).
    relation_type: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionDetail:
    """GetTransaction's TransactionDetail (spec §3.3), in the XSD's element order."""

    transaction_id: str
    caller_reference: str
    date_received: datetime
    transaction_amount: Amount
    fps_fees: Amount
    fps_fees_paid_by: str
    fps_operation: str
    payment_method: str
    transaction_status: TransactionStatus
    caller_name: str
    request_id: str
    caller_description: str | None = None
    sender_description: str | None = None
    date_completed: datetime | None = None
    marketplace_fees: Amount | None = None
    sender_token_id: str | None = None
    recipient_token_id: str | None = None
    prepaid_instrument_id: str | None = None
    credit_instrument_id: str | None = None
    status_code: str | None = None
    status_message: str | None = None
    sender_name: str | None = None
    sender_email: str | None = None
    recipient_name: str | None = None
    recipient_email: str | None = None
    related_transactions: tuple[RelatedTransaction, ...] = ()
    status_history: tuple[StatusHistoryEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class VerifySignatureResult:
    verification_status: str  # Success | Failure
    request_id: str

    @property
    def verified(self) -> bool:
        return self.verification_status == "Success"


@dataclass(frozen=True, slots=True)
class TransactionPart:
    role: str
    instrument_id: str | None = None
    name: str | None = None
    reference: str | None = None
    description: str | None = None
    fees_paid: Amount | None = None


@dataclass(frozen=True, slots=True)
class ActivityTransaction:
    """One Transaction of GetAccountActivity (spec §3.7)."""

    transaction_id: str
    caller_transaction_date: datetime
    date_received: datetime
    transaction_amount: Amount
    fps_operation: str
    transaction_status: TransactionStatus
    payment_method: str
    caller_name: str
    fps_fees: Amount
    balance: Amount
    date_completed: datetime | None = None
    status_message: str | None = None
    status_code: str | None = None
    original_transaction_id: str | None = None
    transaction_parts: tuple[TransactionPart, ...] = ()
    sender_name: str | None = None
    recipient_name: str | None = None
    sender_token_id: str | None = None
    recipient_token_id: str | None = None


@dataclass(frozen=True, slots=True)
class AccountActivity:
    batch_size: int
    request_id: str
    transactions: tuple[ActivityTransaction, ...] = field(default_factory=tuple)
    start_time_for_next_transaction: datetime | None = None
