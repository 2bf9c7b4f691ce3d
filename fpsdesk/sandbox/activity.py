"""GetAccountActivity (spec §3.7): a date-range search with filters and paging.

Choices where the spec says [GUESS]:
- StartDate is required and inclusive; EndDate (inclusive) defaults to now.
- MaxBatchSize is 1–200, default 20. SortOrderByDate defaults to Descending.
- When more transactions match than fit, StartTimeForNextTransaction is the DateReceived of the
  first one left out. With Ascending, send it back as the next StartDate; with Descending, as the
  next EndDate. Receive times are unique per sandbox, so pages never overlap or skip.
- Role.N filters by the role the sandbox account plays: Caller and Recipient of payments,
  reserves and settlements, Caller and Sender of refunds.
- TransactionPart lists those roles only, as the documented samples do: Recipient and Caller
  for a Pay (also a Reserve and a Settle), Caller and Sender for a Refund. FeesPaid is the fee
  on the part that paid it (FPSFeesPaidBy); a refund's fee is negative (given back).
- Balance is the account's running balance after the transaction (successes only).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from fpsdesk.sandbox import rules
from fpsdesk.sandbox.errors import SandboxError
from fpsdesk.sandbox.state import Txn
from fpsdesk.sandbox.timefmt import RANGE_TEXT, format_ms, in_range, now_ms, parse_iso
from fpsdesk.sandbox.xmlwriter import Node, amount_node

if TYPE_CHECKING:
    from fpsdesk.sandbox.engine import Engine

PARAMS = frozenset(
    {
        "StartDate",
        "EndDate",
        "MaxBatchSize",
        "SortOrderByDate",
        "FPSOperation",
        "PaymentMethod",
        "TransactionStatus",
    }
)
DEFAULT_BATCH = 20
MAX_BATCH = 200
ROLES = ("Sender", "Caller", "Recipient")
_ROLE = re.compile(r"Role\.[1-9][0-9]*")
_DIGITS = re.compile(r"[0-9]{1,6}")


def _date(params: Mapping[str, str], name: str) -> int | None:
    """A dateTime parameter: a real instant with an offset within ±14:00, from 1970 to 9999."""
    raw = params.get(name)
    if raw is None:
        return None
    shown = raw if len(raw) <= 64 else raw[:63] + "…"
    try:
        value = parse_iso(raw)
    except ValueError:
        raise SandboxError(
            "InvalidParams", f"{name} has to be a valid dateTime. Specified value: {shown}"
        ) from None
    if not in_range(value):
        raise SandboxError(
            "InvalidParams",
            f"{name} has to be a dateTime from {RANGE_TEXT}. Specified value: {shown}",
        )
    return value


def _enum(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = params.get(name)
    if value is not None and value not in allowed:
        raise SandboxError(
            "InvalidParams",
            f"{name} must be one of {', '.join(allowed)}. Specified value: {value}",
        )
    return value


def _fee_on(txn: Txn, role: str) -> Decimal:
    return txn.fps_fees if txn.fees_paid_by == role else Decimal(0)


def transaction_parts(txn: Txn) -> list[Node]:
    """The parts the documented samples list: Recipient and Caller for a Pay (and a Reserve or
    Settle), Caller and Sender for a Refund, each with the fee it paid."""
    caller: Node = (
        "TransactionPart",
        [
            ("Role", "Caller"),
            ("Name", txn.caller_name),
            ("Reference", txn.caller_reference),
            ("Description", txn.caller_description),
            amount_node("FeesPaid", _fee_on(txn, "Caller"), txn.currency),
        ],
    )
    if txn.operation == "Refund":
        refund_fee = txn.fps_fees if txn.fees_paid_by in ("Sender", "Recipient") else Decimal(0)
        sender: Node = (
            "TransactionPart",
            [
                ("InstrumentId", txn.sender_token_id),
                ("Role", "Sender"),
                ("Name", txn.sender_name),
                ("Description", txn.sender_description),
                amount_node("FeesPaid", refund_fee, txn.currency),
            ],
        )
        return [caller, sender]
    recipient: Node = (
        "TransactionPart",
        [
            ("InstrumentId", txn.recipient_token_id),
            ("Role", "Recipient"),
            ("Name", txn.recipient_name),
            amount_node("FeesPaid", _fee_on(txn, "Recipient"), txn.currency),
        ],
    )
    return [recipient, caller]


def _element(txn: Txn, balance: Decimal) -> Node:
    parts = transaction_parts(txn)
    return (
        "Transaction",
        [
            ("TransactionId", txn.id),
            ("CallerTransactionDate", format_ms(txn.date_received)),
            ("DateReceived", format_ms(txn.date_received)),
            (
                "DateCompleted",
                None if txn.date_completed is None else format_ms(txn.date_completed),
            ),
            amount_node("TransactionAmount", txn.amount, txn.currency),
            ("FPSOperation", txn.operation),
            ("TransactionStatus", txn.status),
            ("StatusMessage", txn.status_message),
            ("StatusCode", txn.status_code),
            ("OriginalTransactionId", txn.parent_id),
            *parts,
            ("PaymentMethod", txn.payment_method),
            ("SenderName", txn.sender_name),
            ("CallerName", txn.caller_name),
            ("RecipientName", txn.recipient_name),
            amount_node("FPSFees", txn.fps_fees, txn.currency),
            amount_node("Balance", balance, txn.currency),
            ("SenderTokenId", txn.sender_token_id),
            ("RecipientTokenId", txn.recipient_token_id),
        ],
    )


def get_account_activity(engine: Engine, params: Mapping[str, str]) -> list[Node]:
    now = now_ms()
    if "StartDate" not in params:
        raise SandboxError("InvalidParams", "Missing required parameter: StartDate.")
    start = _date(params, "StartDate")
    assert start is not None
    if start > now:
        raise SandboxError("InvalidParams", "StartDate cannot be in the future.")
    end = _date(params, "EndDate")
    end = now if end is None else end
    if end < start:
        raise SandboxError("InvalidParams", "EndDate must not be earlier than StartDate.")
    raw_size = params.get("MaxBatchSize", str(DEFAULT_BATCH))
    if not _DIGITS.fullmatch(raw_size) or not 1 <= int(raw_size) <= MAX_BATCH:
        shown = raw_size if len(raw_size) <= 64 else raw_size[:63] + "…"
        raise SandboxError(
            "InvalidParams",
            f"MaxBatchSize must be a whole number from 1 to {MAX_BATCH}. Specified value: {shown}",
        )
    size = int(raw_size)
    order = params.get("SortOrderByDate", "Descending")
    if order not in ("Ascending", "Descending"):
        raise SandboxError(
            "InvalidParams",
            f"SortOrderByDate must be Ascending or Descending. Specified value: {order}",
        )
    operation = _enum(params, "FPSOperation", rules.OPERATIONS)
    method = _enum(params, "PaymentMethod", rules.PAYMENT_METHODS)
    status = _enum(params, "TransactionStatus", rules.STATUSES)
    roles = {v for k, v in params.items() if _ROLE.fullmatch(k)}
    bad_roles = roles - set(ROLES)
    if bad_roles:
        raise SandboxError(
            "InvalidParams",
            f"Role must be Sender, Caller or Recipient. Specified value: {sorted(bad_roles)[0]}",
        )
    clauses = ["date_received BETWEEN ? AND ?"]
    args: list[object] = [start, end]
    for column, value in (("operation", operation), ("payment_method", method), ("status", status)):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    if roles and "Caller" not in roles and roles != {"Sender", "Recipient"}:
        # The account is Caller of everything, Sender of refunds, Recipient of the rest.
        clauses.append("operation = 'Refund'" if roles == {"Sender"} else "operation != 'Refund'")
    direction = "DESC" if order == "Descending" else "ASC"
    sql = (
        f"SELECT * FROM transactions WHERE {' AND '.join(clauses)} "
        f"ORDER BY date_received {direction}, n {direction} LIMIT ?"
    )
    with engine.store.read() as conn:
        rows = conn.execute(sql, [*args, size + 1]).fetchall()
        running = _balances(engine, conn)
    page = [Txn.from_row(r) for r in rows[:size]]
    result: list[Node] = [("BatchSize", str(len(page)))]
    result.extend(_element(t, running.get(t.id, Decimal(0))) for t in page)
    if len(rows) > size:
        result.append(("StartTimeForNextTransaction", format_ms(int(rows[size]["date_received"]))))
    return result


_BALANCE_CACHE: dict[int, tuple[int, dict[str, Decimal]]] = {}


def _balances(engine: Engine, conn: sqlite3.Connection) -> dict[str, Decimal]:
    """Every transaction's running balance, computed again only after a write (a page of a
    100,000-transaction search must not re-read them all)."""
    key = id(engine.store)
    cached = _BALANCE_CACHE.get(key)
    if cached is not None and cached[0] == engine.store.generation:
        return cached[1]
    running = Decimal(0)
    out: dict[str, Decimal] = {}
    rows = conn.execute(
        "SELECT id, status, operation, amount, fps_fees, fees_paid_by FROM transactions "
        "ORDER BY date_received, n"
    )
    for txn_id, status, operation, amount, fee, paid_by in rows:
        if status == "Success":
            if operation in ("Pay", "Settle"):
                running += Decimal(amount) - (Decimal(fee) if paid_by == "Recipient" else 0)
            elif operation == "Refund":
                # The merchant pays the refund and gets its (negative) fee share back.
                share = Decimal(fee) if paid_by in ("Sender", "Recipient") else 0
                running -= Decimal(amount) + share
        out[txn_id] = running
    _BALANCE_CACHE.clear()  # one sandbox at a time in practice; never grow without bound
    _BALANCE_CACHE[key] = (engine.store.generation, out)
    return out
