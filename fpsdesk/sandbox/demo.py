"""The ``--demo`` data set: 36 realistic transactions across every status, operation and
payment method, each with its status history and IPNs.

It is deterministic: the same IDs, amounts, statuses and histories every time (only the dates
move, relative to the moment of seeding), so tests and training material can name transactions.
The ``DEMO_*_IDS`` constants list the interesting ones; ``GET /_sandbox/demo`` returns them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fpsdesk.sandbox import rules
from fpsdesk.sandbox.engine import Engine
from fpsdesk.sandbox.ids import new_token_id, new_transaction_id
from fpsdesk.sandbox.timefmt import now_ms

SEED = 20080917
MINUTE = 60_000
DAY = 24 * 60 * MINUTE

Step = tuple[str, str]  # (TransactionStatus, StatusCode)
PENDING: Step = ("Pending", "PendingNetworkResponse")
VERIFY: Step = ("Pending", "PendingVerification")
SUCCESS: Step = ("Success", "Success")
RESERVED: Step = ("Reserved", "Reserved")
CANCELED: Step = ("Cancelled", "Canceled")
EXPIRED: Step = ("Cancelled", "Expired")
DENIED: Step = ("Failure", "TransactionDenied")

BUYERS = [
    ("Alice Johnson", "alice.johnson@example.com"),
    ("Bob Martinez", "bob.martinez@example.net"),
    ("Chen Wei", "chen.wei@example.org"),
    ("Dana Okafor", "dana.okafor@example.com"),
    ("Erik Lindqvist", "erik.l@example.net"),
    ("Fatima Zahra", "fatima.zahra@example.org"),
    ("George Papadopoulos", "gpapadopoulos@example.com"),
    ("Hana Sato", "hana.sato@example.net"),
    ("Ivan Petrov", "ivan.petrov@example.org"),
    ("Julia Rossi", "julia.rossi@example.com"),
    ("Kwame Mensah", "kwame.mensah@example.net"),
    ("Laura Schmidt", "laura.schmidt@example.org"),
]


@dataclass(frozen=True)
class DemoTxn:
    key: str
    operation: str  # Pay | Reserve | Settle (a settled Reserve) | Refund
    method: str
    amount: str
    steps: tuple[Step, ...]
    description: str
    days_ago: float
    parent: str | None = None


SPECS: tuple[DemoTxn, ...] = (
    DemoTxn(
        "pay_cc_success_1",
        "Pay",
        "CC",
        "24.95",
        (PENDING, SUCCESS),
        "Order #10231: 1 x Ceramic mug, blue",
        29.5,
    ),
    DemoTxn(
        "pay_cc_success_2",
        "Pay",
        "CC",
        "129.00",
        (PENDING, SUCCESS),
        "Order #10244: Espresso grinder",
        27.2,
    ),
    DemoTxn(
        "pay_cc_success_3",
        "Pay",
        "CC",
        "8.50",
        (PENDING, SUCCESS),
        "Order #10250: Gift card top-up",
        25.9,
    ),
    DemoTxn(
        "pay_abt_success_1", "Pay", "ABT", "15.00", (SUCCESS,), "Donation: community garden", 24.1
    ),
    DemoTxn(
        "pay_abt_success_2", "Pay", "ABT", "42.10", (SUCCESS,), "Order #10262: Tea sampler", 22.4
    ),
    DemoTxn(
        "pay_ach_success",
        "Pay",
        "ACH",
        "310.00",
        (PENDING, SUCCESS),
        "Invoice INV-2291: Consulting, March",
        21.0,
    ),
    DemoTxn(
        "pay_cc_failure_1",
        "Pay",
        "CC",
        "52.61",
        (PENDING, DENIED),
        "Order #10270: Running shoes",
        19.7,
    ),
    DemoTxn(
        "pay_abt_failure", "Pay", "ABT", "9.65", (DENIED,), "Order #10271: E-book bundle", 19.2
    ),
    DemoTxn(
        "pay_cc_cancelled",
        "Pay",
        "CC",
        "77.40",
        (PENDING, CANCELED),
        "Order #10275: Wool scarf (customer changed mind)",
        18.3,
    ),
    DemoTxn(
        "reserve_reserved_1",
        "Reserve",
        "CC",
        "64.99",
        (PENDING, RESERVED),
        "Order #10301: Backpack, ships in 3 days",
        2.1,
    ),
    DemoTxn(
        "reserve_reserved_2",
        "Reserve",
        "CC",
        "219.50",
        (PENDING, RESERVED),
        "Order #10304: Standing desk frame",
        1.6,
    ),
    DemoTxn(
        "reserve_reserved_3",
        "Reserve",
        "CC",
        "12.00",
        (PENDING, RESERVED),
        "Order #10307: Phone case",
        1.2,
    ),
    DemoTxn(
        "reserve_reserved_4",
        "Reserve",
        "ABT",
        "35.25",
        (RESERVED,),
        "Order #10309: Board game",
        0.9,
    ),
    DemoTxn(
        "reserve_reserved_5",
        "Reserve",
        "CC",
        "1499.00",
        (PENDING, RESERVED),
        "Order #10312: Laptop, backorder",
        0.5,
    ),
    DemoTxn(
        "pay_cc_pending_1", "Pay", "CC", "18.20", (PENDING,), "Order #10315: Notebook set", 0.3
    ),
    DemoTxn(
        "pay_cc_pending_2",
        "Pay",
        "CC",
        "45.00",
        (PENDING, VERIFY),
        "Order #10316: Concert tickets (flagged for review)",
        0.25,
    ),
    DemoTxn(
        "pay_ach_pending",
        "Pay",
        "ACH",
        "640.00",
        (PENDING,),
        "Invoice INV-2304: Annual maintenance",
        0.2,
    ),
    DemoTxn(
        "reserve_pending", "Reserve", "CC", "89.90", (PENDING,), "Order #10318: Headphones", 0.1
    ),
    DemoTxn(
        "reserve_cancelled_1",
        "Reserve",
        "CC",
        "58.00",
        (PENDING, RESERVED, CANCELED),
        "Order #10280: Desk lamp (out of stock)",
        16.4,
    ),
    DemoTxn(
        "reserve_cancelled_2",
        "Reserve",
        "CC",
        "23.45",
        (PENDING, RESERVED, CANCELED),
        "Order #10283: Poster (duplicate order)",
        14.8,
    ),
    DemoTxn(
        "reserve_expired",
        "Reserve",
        "CC",
        "310.40",
        (PENDING, RESERVED, EXPIRED),
        "Order #10190: Bicycle rack (never shipped)",
        28.0,
    ),
    DemoTxn(
        "reserve_failure",
        "Reserve",
        "CC",
        "75.66",
        (PENDING, DENIED),
        "Order #10286: Camera strap",
        13.9,
    ),
    DemoTxn(
        "settle_success_1",
        "Settle",
        "CC",
        "64.00",
        (PENDING, RESERVED, PENDING, SUCCESS),
        "Order #10201: Hiking boots",
        26.5,
    ),
    DemoTxn(
        "settle_success_2",
        "Settle",
        "CC",
        "15.99",
        (PENDING, RESERVED, PENDING, SUCCESS),
        "Order #10222: Water bottle",
        23.3,
    ),
    DemoTxn(
        "settle_success_3",
        "Settle",
        "ABT",
        "120.00",
        (RESERVED, PENDING, SUCCESS),
        "Order #10229: Rain jacket",
        20.2,
    ),
    DemoTxn(
        "settle_pending",
        "Settle",
        "CC",
        "49.00",
        (PENDING, RESERVED, PENDING),
        "Order #10320: Yoga mat",
        0.15,
    ),
    DemoTxn(
        "pay_cc_success_4", "Pay", "CC", "36.00", (PENDING, SUCCESS), "Order #10290: Cookbook", 12.6
    ),
    DemoTxn(
        "pay_cc_success_5",
        "Pay",
        "CC",
        "250.00",
        (PENDING, SUCCESS),
        "Order #10293: Office chair",
        11.1,
    ),
    DemoTxn(
        "pay_cc_success_6", "Pay", "CC", "19.99", (PENDING, SUCCESS), "Subscription: March", 9.4
    ),
    DemoTxn(
        "refund_success_full",
        "Refund",
        "CC",
        "36.00",
        (PENDING, SUCCESS),
        "Refund for order #10290: damaged in transit",
        10.0,
        parent="pay_cc_success_4",
    ),
    DemoTxn(
        "refund_success_partial",
        "Refund",
        "CC",
        "50.00",
        (PENDING, SUCCESS),
        "Partial refund for order #10293: missing armrest",
        8.2,
        parent="pay_cc_success_5",
    ),
    DemoTxn(
        "refund_pending",
        "Refund",
        "CC",
        "19.99",
        (PENDING,),
        "Refund for subscription: March",
        0.05,
        parent="pay_cc_success_6",
    ),
    DemoTxn(
        "refund_failure",
        "Refund",
        "CC",
        "24.95",
        (PENDING, DENIED),
        "Refund for order #10231",
        6.0,
        parent="pay_cc_success_1",
    ),
    DemoTxn(
        "refund_settle",
        "Refund",
        "CC",
        "15.99",
        (PENDING, SUCCESS),
        "Refund for order #10222: wrong colour",
        5.5,
        parent="settle_success_2",
    ),
    DemoTxn("pay_abt_success_3", "Pay", "ABT", "5.00", (SUCCESS,), "Tip jar", 3.3),
    DemoTxn(
        "pay_cc_success_7",
        "Pay",
        "CC",
        "72.80",
        (PENDING, SUCCESS),
        "Order #10298: Plant pots (set of 3)",
        4.2,
    ),
)


def _ids() -> dict[str, str]:
    rng = random.Random(SEED)
    return {spec.key: new_transaction_id(rng) for spec in SPECS}


DEMO_IDS: dict[str, str] = _ids()
_by_final = {spec.key: spec.steps[-1] for spec in SPECS}
_ops = {spec.key: spec.operation for spec in SPECS}
DEMO_RESERVED_IDS: tuple[str, ...] = tuple(
    DEMO_IDS[k] for k, step in _by_final.items() if step == RESERVED
)
# Pending and cancellable: a Pay or Reserve still in Pending (a pending Settle or Refund is not).
DEMO_PENDING_IDS: tuple[str, ...] = tuple(
    DEMO_IDS[k]
    for k, step in _by_final.items()
    if step[0] == "Pending" and _ops[k] in ("Pay", "Reserve")
)
DEMO_CANCELLABLE_IDS: tuple[str, ...] = DEMO_RESERVED_IDS + DEMO_PENDING_IDS
DEMO_SUCCESS_IDS: tuple[str, ...] = tuple(
    DEMO_IDS[k] for k, step in _by_final.items() if step[0] == "Success"
)
DEMO_FAILURE_IDS: tuple[str, ...] = tuple(
    DEMO_IDS[k] for k, step in _by_final.items() if step[0] == "Failure"
)
DEMO_CANCELLED_IDS: tuple[str, ...] = tuple(
    DEMO_IDS[k] for k, step in _by_final.items() if step[0] == "Cancelled"
)
DEMO_REFUND_IDS: tuple[str, ...] = tuple(DEMO_IDS[s.key] for s in SPECS if s.operation == "Refund")


# What "Open a demo transaction" makes fresh each time for the cancellable kinds, so earlier
# cancels never leave the menu opening one that is already cancelled. Amounts with cents .70-.79
# stay Pending (rules.py), so the Pending one is still Pending when the agent gets to it.
FRESH_KINDS: dict[str, dict[str, str]] = {
    "Reserved": {
        "status": "Reserved",
        "status_code": "Reserved",
        "operation": "Reserve",
        "amount": "64.50",
        "caller_description": "Order #10391: Walnut desk organiser (fresh demo reserve)",
    },
    "Pending": {
        "status": "Pending",
        "status_code": "PendingVerification",
        "operation": "Pay",
        "amount": "38.75",
        "caller_description": "Order #10392: Linen apron, 2 x (fresh demo payment)",
    },
}


def fresh_fields(kind: str) -> dict[str, Any]:
    """Fields for ``SandboxServer.create_transaction``: a new demo transaction of ``kind``
    (a key of ``FRESH_KINDS``), with an IPN for its state like every sandbox change."""
    stamp = now_ms()
    buyer, email = BUYERS[(stamp // 1000) % len(BUYERS)]
    return {
        **FRESH_KINDS[kind],
        "payment_method": "CC",
        "currency": "USD",
        "caller_reference": f"demo-fresh-{stamp}",
        "sender_name": buyer,
        "sender_email": email,
        "caller_name": "Harbor Street Goods",
        "recipient_name": "Harbor Street Goods",
        "recipient_email": "payments@harborstreet.example",
        "notify": True,
    }


def interesting_ids() -> dict[str, Any]:
    return {
        "ids": DEMO_IDS,
        "reserved": list(DEMO_RESERVED_IDS),
        "pending": list(DEMO_PENDING_IDS),
        "cancellable": list(DEMO_CANCELLABLE_IDS),
        "success": list(DEMO_SUCCESS_IDS),
        "failure": list(DEMO_FAILURE_IDS),
        "cancelled": list(DEMO_CANCELLED_IDS),
        "refunds": list(DEMO_REFUND_IDS),
    }


def seed(engine: Engine) -> bool:
    """Add the demo set unless this data file already has it; True if it was added."""
    if engine.store.get_meta("demo_seeded") is not None:
        return False
    rng = random.Random(SEED + 1)
    base = (now_ms() // MINUTE) * MINUTE
    with engine.change() as batch:
        for index, spec in enumerate(SPECS):
            buyer, email = BUYERS[index % len(BUYERS)]
            amount = Decimal(spec.amount)
            received = base - int(spec.days_ago * DAY)
            first_status, first_code = spec.steps[0]
            token = {"ABT": "ABT", "ACH": "ACH", "CC": ""}[spec.method] + new_token_id(rng)
            parent_id = DEMO_IDS[spec.parent] if spec.parent else None
            fees = rules.fees_for(amount, spec.method)
            if parent_id is not None:  # a refund gives back its share of the parent's fee
                parent = engine.store.get_txn(batch.conn, parent_id)
                assert parent is not None
                fees = rules.refund_fee(parent.amount, parent.fps_fees, parent.refunded, amount)
            values: dict[str, Any] = {
                "id": DEMO_IDS[spec.key],
                "caller_reference": f"demo-{index + 1:03d}-{spec.key}",
                "caller_description": spec.description,
                "date_received": received,
                "amount": amount,
                "currency": "USD",
                "fps_fees": fees,
                "fees_paid_by": "Sender" if spec.operation == "Refund" else "Recipient",
                "sender_token_id": token[:64],
                "operation": "Reserve" if spec.operation == "Settle" else spec.operation,
                "payment_method": spec.method,
                "status": first_status,
                "status_code": first_code,
                "status_message": rules.message_for(first_code),
                "sender_name": buyer,
                "sender_email": email,
                "caller_name": "Harbor Street Goods",
                "recipient_name": "Harbor Street Goods",
                "recipient_email": "payments@harborstreet.example",
                "parent_id": parent_id,
            }
            txn = engine.insert(batch, values)
            for step_no, (status, code) in enumerate(spec.steps[1:], start=1):
                at = received + step_no * (7 * MINUTE if status != "Cancelled" else 2 * DAY // 3)
                extra_op = spec.operation == "Settle" and status == "Pending" and step_no > 0
                if extra_op:
                    engine.store.update_txn(batch.conn, txn.id, {"operation": "Settle"})
                    current = engine.store.get_txn(batch.conn, txn.id)
                    assert current is not None
                    txn = current
                txn = engine.record_change(batch, txn, status, code, at)
            if parent_id is not None and spec.steps[-1][0] in ("Pending", "Success"):
                parent = engine.store.get_txn(batch.conn, parent_id)
                assert parent is not None
                engine.store.update_txn(
                    batch.conn, parent_id, {"refunded": parent.refunded + amount}
                )
        engine.store.set_meta(batch.conn, "demo_seeded", "1")
    return True
