"""What each FPS action does to the sandbox's transactions (spec §4), built on the engine's
write unit (engine.py): Pay and Reserve, Cancel, Settle, Refund.

The choices where the spec says [GUESS] are listed in engine.py's docstring.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fpsdesk.sandbox import rules
from fpsdesk.sandbox.engine import Engine, not_found
from fpsdesk.sandbox.errors import SandboxError
from fpsdesk.sandbox.ids import new_transaction_id
from fpsdesk.sandbox.state import Txn


def pay_or_reserve(
    engine: Engine,
    operation: str,
    *,
    sender_token_id: str,
    amount: Decimal,
    currency: str,
    caller_reference: str,
    caller_description: str | None = None,
    sender_description: str | None = None,
    charge_fee_to: str = "Recipient",
    recipient_token_id: str | None = None,
    marketplace_fees: Decimal | None = None,
    timeout_minutes: int | None = None,
    override_ipn_url: str | None = None,
) -> tuple[Txn, str]:
    """Returns the transaction and the status to answer with (its first status)."""
    rules.check_amount(amount)
    method = rules.payment_method_for(sender_token_id)
    outcome = rules.outcome_for(amount, operation)
    with engine.change() as batch:
        if engine.store.caller_reference_used(batch.conn, caller_reference):
            raise SandboxError(
                "DuplicateRequest",
                f"A request with CallerReference {caller_reference} was already processed.",
            )
        received = engine.received_ms()
        values: dict[str, Any] = {
            "id": new_transaction_id(),
            "caller_reference": caller_reference,
            "caller_description": caller_description,
            "sender_description": sender_description,
            "date_received": received,
            "amount": amount,
            "currency": currency,
            "fps_fees": rules.fees_for(amount, method),
            "marketplace_fees": marketplace_fees,
            "fees_paid_by": charge_fee_to,
            "sender_token_id": sender_token_id,
            "recipient_token_id": recipient_token_id,
            "operation": operation,
            "payment_method": method,
            "expires_at": (
                None
                if timeout_minutes is None or operation != "Reserve"
                else received + timeout_minutes * 60_000
            ),
            "override_ipn_url": override_ipn_url,
            **rules.DEFAULT_PARTIES,
        }
        if method == "ABT":
            values.update(
                status=outcome.status,
                status_code=outcome.code,
                status_message=rules.message_for(outcome.code),
            )
            if outcome.status in rules.FINAL:
                values["date_completed"] = received
            txn = engine.insert(batch, values)
            return txn, txn.status
        values.update(
            status="Pending",
            status_code="PendingNetworkResponse",
            status_message=rules.message_for("PendingNetworkResponse"),
        )
        txn = engine.insert(batch, values)
        engine.move_on(batch, txn, outcome.status, outcome.code)
    return txn, "Pending"


def cancel(
    engine: Engine, txn_id: str, description: str | None, override_ipn_url: str | None = None
) -> Txn:
    with engine.change() as batch:
        txn = engine.store.get_txn(batch.conn, txn_id)
        if txn is None:
            raise not_found(txn_id)
        if txn.operation not in ("Pay", "Reserve") or txn.status not in ("Pending", "Reserved"):
            what = (
                f"its status is {txn.status}"
                if txn.operation in ("Pay", "Reserve")
                else f"it is a {txn.operation} in status {txn.status}"
            )
            raise SandboxError(
                "InvalidTransactionState",
                f"Transaction {txn_id} cannot be canceled: {what}. Only a Pay or Reserve "
                "that is Pending or Reserved can be canceled.",
            )
        extra: dict[str, Any] = {"cancel_description": description}
        if override_ipn_url:
            extra["override_ipn_url"] = override_ipn_url
        return engine.change_status(batch, txn, "Cancelled", "Canceled", extra=extra)


def settle(
    engine: Engine, reserve_id: str, amount: Decimal | None, *, override_ipn_url: str | None = None
) -> Txn:
    with engine.change() as batch:
        txn = engine.store.get_txn(batch.conn, reserve_id)
        if txn is None:
            raise not_found(reserve_id)
        if txn.operation != "Reserve" or txn.status != "Reserved":
            raise SandboxError(
                "InvalidTransactionState",
                f"Transaction {reserve_id} cannot be settled: it is a {txn.operation} in "
                f"status {txn.status}. Only a Reserved transaction can be settled.",
            )
        settle_amount = txn.amount if amount is None else amount
        if settle_amount > txn.amount:
            raise SandboxError(
                "SettleAmountGreaterThanReserveAmount",
                f"The settle amount {settle_amount} is greater than the reserved amount "
                f"{txn.amount}.",
            )
        if settle_amount <= rules.CENT:
            raise SandboxError(
                "AmountOutOfRange", "The settle amount must be greater than USD 0.01."
            )
        pending = engine.change_status(
            batch,
            txn,
            "Pending",
            "PendingNetworkResponse",
            extra={
                "operation": "Settle",
                "amount": settle_amount,
                "fps_fees": rules.fees_for(settle_amount, txn.payment_method),
                "override_ipn_url": override_ipn_url or txn.override_ipn_url,
            },
        )
        engine.move_on(batch, pending, "Success", "Success")
        return pending


def refund(
    engine: Engine,
    txn_id: str,
    *,
    caller_reference: str,
    amount: Decimal | None,
    caller_description: str | None,
    override_ipn_url: str | None = None,
) -> Txn:
    with engine.change() as batch:
        orig = engine.store.get_txn(batch.conn, txn_id)
        if orig is None:
            raise not_found(txn_id)
        if orig.operation not in ("Pay", "Settle"):
            raise SandboxError(
                "TransactionTypeNotRefundable",
                f"Transaction {txn_id} is a {orig.operation}; only a Pay or a Settle can "
                "be refunded.",
            )
        if orig.status == "Pending":
            raise SandboxError(
                "OriginalTransactionIncomplete",
                f"Transaction {txn_id} is still Pending; refund it once it has completed.",
            )
        if orig.status != "Success":
            raise SandboxError(
                "OriginalTransactionFailed",
                f"Transaction {txn_id} is {orig.status}; there is nothing to refund.",
            )
        remaining = orig.amount - orig.refunded
        if remaining <= 0:
            raise SandboxError(
                "TransactionFullyRefundedAlready",
                f"Transaction {txn_id} has already been refunded in full.",
            )
        refund_amount = remaining if amount is None else amount
        if refund_amount <= 0:
            raise SandboxError("AmountOutOfRange", "The refund amount must be positive.")
        if refund_amount > remaining:
            raise SandboxError(
                "RefundAmountExceeded",
                f"The refund amount {refund_amount} exceeds the refundable amount "
                f"{remaining} of transaction {txn_id}.",
            )
        if engine.store.caller_reference_used(batch.conn, caller_reference):
            raise SandboxError(
                "DuplicateRequest",
                f"A request with CallerReference {caller_reference} was already processed.",
            )
        engine.store.update_txn(batch.conn, orig.id, {"refunded": orig.refunded + refund_amount})
        values: dict[str, Any] = {
            "id": new_transaction_id(),
            "caller_reference": caller_reference,
            "caller_description": caller_description,
            "date_received": engine.received_ms(),
            "amount": refund_amount,
            "currency": orig.currency,
            "fps_fees": rules.refund_fee(orig.amount, orig.fps_fees, orig.refunded, refund_amount),
            "fees_paid_by": rules.refund_fee_payer(orig.fees_paid_by),
            "sender_token_id": orig.sender_token_id,
            "recipient_token_id": orig.recipient_token_id,
            "operation": "Refund",
            "payment_method": orig.payment_method,
            "status": "Pending",
            "status_code": "PendingNetworkResponse",
            "status_message": rules.message_for("PendingNetworkResponse"),
            "sender_name": orig.sender_name,
            "sender_email": orig.sender_email,
            "caller_name": orig.caller_name,
            "recipient_name": orig.recipient_name,
            "recipient_email": orig.recipient_email,
            "parent_id": orig.id,
            "override_ipn_url": override_ipn_url,
        }
        refund = engine.insert(batch, values)
        engine.move_on(batch, refund, "Success", "Success")
        return refund
