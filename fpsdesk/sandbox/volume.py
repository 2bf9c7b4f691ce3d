"""``--demo-size N``: a realistic volume of transactions for search and bulk work.

N transactions spread over the last 90 days, deterministic for a given N (the same IDs, order
numbers, people and statuses every time; only the dates move with the moment of seeding):
payments, reserves (some settled, some still Reserved or Pending, some cancelled or expired)
and refunds, by card, Amazon balance and bank account, for a few hundred customers with names
and e-mails, each with an order number as its caller reference. Inserted in one transaction with
``executemany``, so 100,000 take seconds. No IPNs are recorded for them (volume data is for
searching, not for notification history).

Receive times are unique (a fixed spacing plus jitter below it), as GetAccountActivity's paging
needs.
"""

from __future__ import annotations

import random
from decimal import Decimal

from fpsdesk.sandbox import rules
from fpsdesk.sandbox.engine import Engine
from fpsdesk.sandbox.ids import new_token_id, new_transaction_id
from fpsdesk.sandbox.timefmt import now_ms

SEED = 20080918
DAY_MS = 24 * 60 * 60 * 1000
SPAN_MS = 90 * DAY_MS
MAX_SIZE = 1_000_000

FIRST = [
    "Alice",
    "Bob",
    "Chen",
    "Dana",
    "Erik",
    "Fatima",
    "George",
    "Hana",
    "Ivan",
    "Julia",
    "Kwame",
    "Laura",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
    "Quinn",
    "Rosa",
    "Samir",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Xenia",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Johnson",
    "Martinez",
    "Wei",
    "Okafor",
    "Lindqvist",
    "Zahra",
    "Papadopoulos",
    "Sato",
    "Petrov",
    "Rossi",
    "Mensah",
    "Schmidt",
    "Garcia",
    "Novak",
    "Brown",
    "Kowalski",
    "Dubois",
    "Tanaka",
    "Silva",
    "Nguyen",
]
DOMAINS = ("example.com", "example.net", "example.org", "mail.example")
ITEMS = (
    "Ceramic mug set",
    "Walnut desk organiser",
    "Wool throw blanket",
    "Espresso grinder",
    "Linen apron",
    "Trail running socks",
    "Cast-iron skillet",
    "Notebook set",
    "Reading lamp",
    "Herb garden kit",
)
MERCHANT = "Harbor Street Goods"
MERCHANT_EMAIL = "payments@harborstreet.example"

# (operation, [(status, code), ...], weight): the path each transaction took.
PATHS: tuple[tuple[str, tuple[tuple[str, str], ...], int], ...] = (
    ("Pay", (("Pending", "PendingNetworkResponse"), ("Success", "Success")), 40),
    ("Pay", (("Pending", "PendingNetworkResponse"), ("Failure", "TransactionDenied")), 6),
    ("Pay", (("Pending", "PendingVerification"),), 4),
    ("Reserve", (("Pending", "PendingNetworkResponse"), ("Reserved", "Reserved")), 14),
    ("Reserve", (("Pending", "PendingNetworkResponse"),), 4),
    ("Reserve", (("Reserved", "Reserved"), ("Cancelled", "Canceled")), 8),
    ("Reserve", (("Reserved", "Reserved"), ("Cancelled", "Expired")), 3),
    (
        "Settle",
        (("Reserved", "Reserved"), ("Pending", "PendingNetworkResponse"), ("Success", "Success")),
        12,
    ),
    ("Refund", (("Pending", "PendingNetworkResponse"), ("Success", "Success")), 6),
    ("Pay", (("Success", "Success"),), 3),
)
METHODS = (("CC", 70), ("ABT", 20), ("ACH", 10))

_TXN_COLUMNS = (
    "id",
    "caller_reference",
    "caller_description",
    "date_received",
    "date_completed",
    "amount",
    "currency",
    "fps_fees",
    "fees_paid_by",
    "sender_token_id",
    "operation",
    "payment_method",
    "status",
    "status_code",
    "status_message",
    "sender_name",
    "sender_email",
    "caller_name",
    "recipient_name",
    "recipient_email",
    "parent_id",
)


def _people(rng: random.Random) -> list[tuple[str, str]]:
    people = []
    for first in FIRST:
        for last in LAST:
            domain = rng.choice(DOMAINS)
            people.append((f"{first} {last}", f"{first}.{last}@{domain}".lower()))
    rng.shuffle(people)
    return people


def seed_volume(engine: Engine, size: int, *, seed: int = SEED) -> int:
    """Add ``size`` volume transactions (once per data file); the number added."""
    if not 0 <= size <= MAX_SIZE:
        raise ValueError(f"--demo-size must be 0 to {MAX_SIZE}, not {size}")
    if size == 0 or engine.store.get_meta("volume_seeded") is not None:
        return 0
    rng = random.Random(seed)
    people = _people(rng)
    paths = [p for p in PATHS for _ in range(p[2])]
    methods = [m for m, weight in METHODS for _ in range(weight)]
    step = max(1, SPAN_MS // size)
    start = (now_ms() // 1000) * 1000 - SPAN_MS
    rows: list[tuple[object, ...]] = []
    history: list[tuple[object, ...]] = []
    paid: list[tuple[str, Decimal, int]] = []  # settled payments a refund may point at
    for index in range(size):
        operation, steps, _weight = rng.choice(paths)
        method = rng.choice(methods)
        name, email = people[index % len(people)] if index % 7 else rng.choice(people)
        received = start + index * step + rng.randrange(step)
        parent_id = None
        amount = Decimal(rng.randrange(199, 49_999)) / 100
        if operation == "Refund":
            if paid:
                parent_id, parent_amount, _when = paid[rng.randrange(len(paid))]
                amount = min(amount, parent_amount)
            else:
                operation = "Pay"
        txn_id = new_transaction_id(rng)
        order = f"ORD-{100_000 + index}"
        item = rng.choice(ITEMS)
        final_status, final_code = steps[-1]
        completed = None
        if final_status in ("Success", "Failure", "Cancelled"):
            completed = received + len(steps) * 7 * 60 * 1000
        fees = Decimal(0) if operation == "Refund" else rules.fees_for(amount, method)
        token = {"ABT": "ABT", "ACH": "ACH", "CC": ""}[method] + new_token_id(rng)
        rows.append(
            (
                txn_id,
                order,
                f"Order {order}: {item}" if operation != "Refund" else f"Refund of {order}",
                received,
                completed,
                str(amount),
                "USD",
                str(fees),
                "Recipient",
                token[:64],
                "Reserve" if operation == "Settle" and final_status != "Success" else operation,
                method,
                final_status,
                final_code,
                rules.message_for(final_code),
                name,
                email,
                MERCHANT,
                MERCHANT,
                MERCHANT_EMAIL,
                parent_id,
            )
        )
        for number, (status, code) in enumerate(steps):
            history.append((txn_id, received + number * 7 * 60 * 1000, status, code, None))
        if operation in ("Pay", "Settle") and final_status == "Success":
            paid.append((txn_id, amount, received))
    names = ", ".join(_TXN_COLUMNS)
    marks = ", ".join("?" for _ in _TXN_COLUMNS)
    with engine.store.write() as conn:
        conn.executemany(f"INSERT INTO transactions ({names}) VALUES ({marks})", rows)
        conn.executemany(
            "INSERT INTO history (txn_id, date, status, status_code, amount) VALUES (?,?,?,?,?)",
            history,
        )
        engine.store.set_meta(conn, "volume_seeded", str(size))
    return size
