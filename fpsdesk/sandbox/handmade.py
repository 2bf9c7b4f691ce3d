"""Transactions made by hand through the controls: any state, any fields, a history.

Validation lives here so the control API answers a plain message for every bad field, and the
engine only ever inserts rows it could have produced itself: every field is checked (type,
shape, range) *before* anything is written, so a refused request leaves nothing behind and no
stored row can later break a listing or an FPS answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fpsdesk.sandbox import rules
from fpsdesk.sandbox.ids import is_well_formed_transaction_id, new_token_id
from fpsdesk.sandbox.state import TXN_COLUMNS
from fpsdesk.sandbox.timefmt import RANGE_TEXT, in_range, parse_iso

# Free-text columns a control may set (None allowed unless listed in _REQUIRED_TEXT).
_TEXT_FIELDS = (
    "caller_reference",
    "caller_description",
    "sender_description",
    "sender_token_id",
    "recipient_token_id",
    "status_code",
    "status_message",
    "sender_name",
    "sender_email",
    "caller_name",
    "recipient_name",
    "recipient_email",
    "cancel_description",
)
_REQUIRED_TEXT = ("caller_name",)
MAX_TEXT = 4096  # characters in one hand-made text field
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Handmade:
    transaction_id: str  # "" = make one up
    values: dict[str, Any]
    history: list[tuple[int, str, str | None, Decimal | None]]
    notify: bool


def prepare(spec: dict[str, Any], received_ms: Callable[[], int]) -> Handmade:
    """Check a create-transaction request and fill in every field it leaves out.

    Raises ValueError with a plain message for the first bad field; nothing is written then.
    """
    fields_in = dict(spec)
    history_in = fields_in.pop("history", None)
    notify = fields_in.pop("notify", False)
    if not isinstance(notify, bool):
        raise ValueError("notify must be true or false")
    txn_id = _text(fields_in.pop("transaction_id", fields_in.pop("id", None)), "transaction_id")
    if txn_id and not is_well_formed_transaction_id(txn_id):
        raise ValueError("transaction_id must be 35 characters A-Z 0-9")
    allowed = set(TXN_COLUMNS) - {
        "id",
        "version",
        "advance_at",
        "advance_status",
        "advance_code",
        "override_ipn_url",
    }
    unknown = sorted(set(fields_in) - allowed)
    if unknown:
        raise ValueError(f"unknown transaction field(s): {', '.join(unknown)}")
    status = _choice(fields_in.get("status"), "status", rules.STATUSES, "Reserved")
    operation = _choice(
        fields_in.get("operation"),
        "operation",
        rules.OPERATIONS,
        "Reserve" if status == "Reserved" else "Pay",
    )
    method = _choice(fields_in.get("payment_method"), "payment_method", rules.PAYMENT_METHODS, "CC")
    texts = {name: _text(fields_in.get(name), name) for name in _TEXT_FIELDS if name in fields_in}
    for name in _REQUIRED_TEXT:
        if name in texts and not texts[name]:
            raise ValueError(f"{name} cannot be empty")
    currency = _text(fields_in.get("currency"), "currency") or "USD"
    if len(currency) != 3 or not currency.isascii() or not currency.isupper():
        raise ValueError(f"currency must be a three-letter code like USD, not {currency!r}")
    amount = _decimal(fields_in.get("amount", "1.00"), "amount")
    received = (
        _instant(fields_in["date_received"], "date_received")
        if fields_in.get("date_received") is not None
        else received_ms()
    )
    default_payer = rules.refund_fee_payer("Recipient") if operation == "Refund" else "Recipient"
    payer = _choice(fields_in.get("fees_paid_by"), "fees_paid_by", rules.ROLES, default_payer)
    code = texts["status_code"] if "status_code" in fields_in else rules.DEFAULT_CODES[status]
    values: dict[str, Any] = {
        **rules.DEFAULT_PARTIES,
        "caller_description": None,
        "sender_description": None,
        "recipient_token_id": None,
        "parent_id": None,
        "cancel_description": None,
        **texts,
        "status": status,
        "status_code": code,
        "operation": operation,
        "payment_method": method,
        "amount": amount,
        "date_received": received,
        "currency": currency,
        "fees_paid_by": payer,
    }
    if fields_in.get("parent_id") is not None:
        parent = _text(fields_in["parent_id"], "parent_id")
        if not parent or not is_well_formed_transaction_id(parent):
            raise ValueError("parent_id must be a transaction ID (35 characters A-Z 0-9)")
        values["parent_id"] = parent
    default_fees = rules.fees_for(amount, method)
    if operation == "Refund":  # a whole refund gives the whole fee back (rules.refund_fee)
        default_fees = -default_fees
    values["fps_fees"] = _decimal(
        fields_in.get("fps_fees", default_fees), "fps_fees", negative_ok=True
    )
    values["refunded"] = _decimal(fields_in.get("refunded", "0"), "refunded")
    values["marketplace_fees"] = (
        _decimal(fields_in["marketplace_fees"], "marketplace_fees")
        if fields_in.get("marketplace_fees") is not None
        else None
    )
    if "status_message" not in fields_in:
        values["status_message"] = rules.message_for(code)
    values["expires_at"] = (
        _instant(fields_in["expires_at"], "expires_at")
        if fields_in.get("expires_at") is not None
        else None
    )
    if fields_in.get("date_completed") is not None:
        values["date_completed"] = _instant(fields_in["date_completed"], "date_completed")
    elif status in rules.FINAL:
        values["date_completed"] = received + 1000
    else:
        values["date_completed"] = None
    if not values.get("sender_token_id"):
        values["sender_token_id"] = new_token_id()
    if not values.get("caller_reference"):
        values["caller_reference"] = f"sandbox-{values['sender_token_id'][:8]}-{received}"
    history = _history(
        history_in, status, code, amount, received, values["date_completed"], method, operation
    )
    return Handmade(txn_id or "", values, history, notify)


def _choice(value: Any, name: str, allowed: tuple[str, ...], default: str) -> str:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _text(value: Any, name: str) -> str | None:
    """A text field: a string (or null) of Unicode text, bounded in length.

    Control characters are allowed on purpose (hostile-IPN tests need a NUL in a name; the FPS
    answers show U+FFFD for what XML cannot carry), lone surrogates are not: they cannot be
    stored or sent.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{name} is longer than {MAX_TEXT} characters")
    if _SURROGATE.search(value):
        raise ValueError(f"{name} is not valid Unicode text (a lone surrogate)")
    return value


def _decimal(value: Any, name: str, *, negative_ok: bool = False) -> Decimal:
    """An amount: a JSON number or a decimal string within FPS's shape (rules.parse_amount)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{name} must be a decimal amount, not {value!r}"[:200])
    text = str(value).strip()
    negative = negative_ok and text.startswith("-")
    parsed = rules.parse_amount(text[1:] if negative else text)
    if parsed is None:
        raise ValueError(
            f"{name} must be a decimal amount with at most {rules.AMOUNT_INTEGER_DIGITS} digits "
            f"before the point and {rules.AMOUNT_DECIMALS} after it, not {text[:40]!r}"
        )
    return -parsed if negative else parsed


def _instant(value: Any, name: str) -> int:
    """ISO-8601 text or epoch milliseconds, within timefmt's range."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be ISO-8601 or epoch milliseconds, not {value!r}")
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{name} must be a finite number of milliseconds")
        ms = int(value)
    elif isinstance(value, str):
        try:
            ms = parse_iso(value)
        except ValueError:
            raise ValueError(
                f"{name} must be ISO-8601 or epoch milliseconds, not {value[:40]!r}"
            ) from None
    else:
        raise ValueError(f"{name} must be ISO-8601 or epoch milliseconds, not {value!r}"[:200])
    if not in_range(ms):
        raise ValueError(f"{name} must be a date from {RANGE_TEXT}")
    return ms


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
        # No length cap: over HTTP the 1 MiB body limit bounds it, and tests build 10,000.
        if not isinstance(given, list):
            raise ValueError("history must be a list of {date, status, status_code, amount}")
        out: list[tuple[int, str, str | None, Decimal | None]] = []
        for entry in given:
            if not isinstance(entry, dict) or entry.get("status") not in rules.STATUSES:
                raise ValueError(
                    "each history entry needs a status among " + ", ".join(rules.STATUSES)
                )
            entry_status = str(entry["status"])
            entry_code = (
                _text(entry["status_code"], "history status_code")
                if "status_code" in entry
                else rules.DEFAULT_CODES[entry_status]
            )
            out.append(
                (
                    _instant(entry.get("date", received), "history date"),
                    entry_status,
                    entry_code,
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
