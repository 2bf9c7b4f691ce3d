"""Transactions made by hand through the controls: any state, any fields, a history.

Validation lives here so the control API answers a plain message for every bad field, and the
engine only ever inserts rows it could have produced itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from fpsdesk.sandbox import rules
from fpsdesk.sandbox.ids import is_well_formed_transaction_id, new_token_id
from fpsdesk.sandbox.state import TXN_COLUMNS
from fpsdesk.sandbox.timefmt import parse_iso


@dataclass
class Handmade:
    transaction_id: str  # "" = make one up
    values: dict[str, Any]
    history: list[tuple[int, str, str | None, Decimal | None]]
    notify: bool


def prepare(spec: dict[str, Any], received_ms: Callable[[], int]) -> Handmade:
    """Check a create-transaction request and fill in every field it leaves out."""
    fields_in = dict(spec)
    history_in = fields_in.pop("history", None)
    notify = bool(fields_in.pop("notify", False))
    txn_id = str(fields_in.pop("transaction_id", fields_in.pop("id", "")) or "")
    allowed = set(TXN_COLUMNS) - {
        "id",
        "version",
        "advance_at",
        "advance_status",
        "advance_code",
    }
    unknown = sorted(set(fields_in) - allowed)
    if unknown:
        raise ValueError(f"unknown transaction field(s): {', '.join(unknown)}")
    status = str(fields_in.get("status") or "Reserved")
    if status not in rules.STATUSES:
        raise ValueError(f"status must be one of {', '.join(rules.STATUSES)}, not {status!r}")
    operation = str(fields_in.get("operation") or ("Reserve" if status == "Reserved" else "Pay"))
    if operation not in rules.OPERATIONS:
        raise ValueError(f"operation must be one of {', '.join(rules.OPERATIONS)}")
    method = str(fields_in.get("payment_method") or "CC")
    if method not in rules.PAYMENT_METHODS:
        raise ValueError(f"payment_method must be one of {', '.join(rules.PAYMENT_METHODS)}")
    amount = _decimal(fields_in.get("amount", "1.00"), "amount")
    received = (
        _instant(fields_in["date_received"], "date_received")
        if fields_in.get("date_received") is not None
        else received_ms()
    )
    code = fields_in.get("status_code", rules.DEFAULT_CODES[status])
    values: dict[str, Any] = {
        **rules.DEFAULT_PARTIES,
        **fields_in,
        "status": status,
        "status_code": code,
        "operation": operation,
        "payment_method": method,
        "amount": amount,
        "date_received": received,
        "currency": fields_in.get("currency") or "USD",
        "fees_paid_by": fields_in.get("fees_paid_by") or "Recipient",
    }
    values["fps_fees"] = _decimal(
        fields_in.get("fps_fees", rules.fees_for(amount, method)), "fps_fees"
    )
    values["refunded"] = _decimal(fields_in.get("refunded", "0"), "refunded")
    if fields_in.get("marketplace_fees") is not None:
        values["marketplace_fees"] = _decimal(fields_in["marketplace_fees"], "marketplace_fees")
    if "status_message" not in fields_in:
        values["status_message"] = rules.message_for(code)
    if fields_in.get("expires_at") is not None:
        values["expires_at"] = _instant(fields_in["expires_at"], "expires_at")
    if fields_in.get("date_completed") is not None:
        values["date_completed"] = _instant(fields_in["date_completed"], "date_completed")
    elif status in rules.FINAL:
        values["date_completed"] = received + 1000
    values.setdefault("sender_token_id", new_token_id())
    if not values.get("caller_reference"):
        values["caller_reference"] = f"sandbox-{values['sender_token_id'][:8]}-{received}"
    history = _history(
        history_in, status, code, amount, received, values.get("date_completed"), method, operation
    )
    if txn_id and not is_well_formed_transaction_id(txn_id):
        raise ValueError("transaction_id must be 35 characters A-Z 0-9")
    return Handmade(txn_id, values, history, notify)


def _decimal(value: Any, name: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{name} must be a decimal amount, not {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{name} must be a finite amount")
    return result


def _instant(value: Any, name: str) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    try:
        return parse_iso(str(value))
    except ValueError:
        raise ValueError(f"{name} must be ISO-8601 or epoch milliseconds, not {value!r}") from None


def _history(
    given: Any,
    status: str,
    code: str | None,
    amount: Decimal,
    received: int,
    completed: int | None,
    method: str,
    operation: str,
) -> list[tuple[int, str, str | None, Decimal | None]]:
    """The given StatusHistory, or a plausible one ending in the current state."""
    if given is not None:
        if not isinstance(given, list):
            raise ValueError("history must be a list of {date, status, status_code, amount}")
        out: list[tuple[int, str, str | None, Decimal | None]] = []
        for entry in given:
            if not isinstance(entry, dict) or entry.get("status") not in rules.STATUSES:
                raise ValueError(
                    "each history entry needs a status among " + ", ".join(rules.STATUSES)
                )
            out.append(
                (
                    _instant(entry.get("date", received), "history date"),
                    str(entry["status"]),
                    entry.get("status_code", rules.DEFAULT_CODES[str(entry["status"])]),
                    _decimal(entry.get("amount", amount), "history amount"),
                )
            )
        return out
    end = completed if completed is not None else received + 1000
    steps: list[tuple[str, str | None]] = []
    if method != "ABT" or status == "Pending":
        steps.append(("Pending", "PendingNetworkResponse"))
    if operation in ("Reserve", "Settle") and status in ("Reserved", "Cancelled", "Success"):
        steps.append(("Reserved", "Reserved"))
    if operation == "Settle":
        steps.append(("Pending", "PendingNetworkResponse"))
    if (status, code) != steps[-1] if steps else True:
        steps.append((status, code))
    span = max(1, end - received)
    return [
        (received + (span * i) // max(1, len(steps) - 1), s, c, amount)
        for i, (s, c) in enumerate(steps)
    ]
