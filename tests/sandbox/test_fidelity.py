"""FPS fidelity of what the sandbox writes: a refund's fee given back in proportion (the
documented sample: a USD 1.00 refund shows FPSFees -0.100000 and the sender's FeesPaid
-0.100000), and the TransactionPart roles of the documented samples (Recipient and Caller for a
Pay, Caller and Sender for a Refund), read by fpsdesk's client whichever shape arrives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from lxml import etree

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.models import Amount
from fpsdesk.fps.xmlparse import parse_account_activity
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.sandbox import sigv2

START = datetime(2000, 1, 1, tzinfo=UTC)


def _raw(sandbox: SandboxServer, action: str, params: dict[str, str]) -> etree._Element:
    host = f"127.0.0.1:{sandbox.port}"
    full = sigv2.signed_params(
        action,
        params,
        access_key=DEFAULT_ACCESS_KEY,
        secret=DEFAULT_SECRET_KEY,
        method="POST",
        host=host,
    )
    status, _, body = sigv2.send_raw(sandbox.url, "POST", sigv2.encode(full), host)
    assert status == 200, body
    return etree.fromstring(body.encode("utf-8"))


def _activity_entry(sandbox: SandboxServer, txn_id: str) -> etree._Element:
    root = _raw(sandbox, "GetAccountActivity", {"StartDate": "2000-01-01T00:00:00Z"})
    (entry,) = [t for t in root.iter("{*}Transaction") if t.findtext("{*}TransactionId") == txn_id]
    return entry


def test_a_refund_gives_the_fee_back_as_in_the_documented_sample(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    paid = sandbox.create_transaction(
        status="Success", operation="Pay", amount="1.00", fps_fees="0.10"
    )
    refund = sandbox_client.refund(paid, "refund-sample", Decimal("1.00")).transaction_id
    assert sandbox.wait_for_ipns()
    detail = _raw(sandbox, "GetTransaction", {"TransactionId": refund})
    assert detail.findtext("{*}GetTransactionResult/{*}Transaction/{*}FPSFees/{*}Value") == (
        "-0.100000"
    )
    entry = _activity_entry(sandbox, refund)
    assert entry.findtext("{*}FPSFees/{*}Value") == "-0.100000"
    (sender,) = [p for p in entry.iter("{*}TransactionPart") if p.findtext("{*}Role") == "Sender"]
    assert sender.findtext("{*}FeesPaid/{*}Value") == "-0.100000"
    read = sandbox_client.get_transaction(refund)
    assert read.fps_fees == Amount(Decimal("-0.100000"))
    assert read.fps_fees_paid_by == "Sender"


def test_partial_refunds_give_back_exactly_the_whole_fee(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    paid = sandbox.create_transaction(
        status="Success", operation="Pay", amount="10.00", fps_fees="0.30"
    )
    fees = []
    for n, amount in enumerate(["3.33", "3.33", "3.34"]):
        refund = sandbox_client.refund(paid, f"part-{n}", Decimal(amount)).transaction_id
        fees.append(sandbox_client.get_transaction(refund).fps_fees.value)
    assert fees == [Decimal("-0.10"), Decimal("-0.10"), Decimal("-0.10")]
    assert sum(fees) == Decimal("-0.30")


def test_a_refund_of_a_caller_paid_fee_gives_it_back_to_the_caller(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    paid = sandbox.create_transaction(
        status="Success", operation="Pay", amount="4.00", fps_fees="0.40", fees_paid_by="Caller"
    )
    refund = sandbox_client.refund(paid, "caller-fee", Decimal("2.00")).transaction_id
    entry = _activity_entry(sandbox, refund)
    fees = {
        p.findtext("{*}Role"): p.findtext("{*}FeesPaid/{*}Value")
        for p in entry.iter("{*}TransactionPart")
    }
    assert fees == {"Caller": "-0.200000", "Sender": "0.000000"}


def test_parts_list_the_documented_roles_per_operation(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    pay = sandbox_client.pay("CC-1", Decimal("1.00"), "parts-pay").transaction_id
    reserve = sandbox_client.reserve("CC-1", Decimal("2.00"), "parts-reserve").transaction_id
    assert sandbox.wait_for_ipns()
    refund = sandbox_client.refund(pay, "parts-refund").transaction_id
    activity = sandbox_client.get_account_activity(START, sort_order_by_date="Ascending")
    roles = {t.transaction_id: [p.role for p in t.transaction_parts] for t in activity.transactions}
    assert roles == {
        pay: ["Recipient", "Caller"],
        reserve: ["Recipient", "Caller"],
        refund: ["Caller", "Sender"],
    }
    by_id = {t.transaction_id: t for t in activity.transactions}
    recipient = by_id[pay].transaction_parts[0]
    assert recipient.fees_paid == by_id[pay].fps_fees  # the Recipient paid the Pay's fee
    caller = by_id[pay].transaction_parts[1]
    assert caller.reference == "parts-pay"
    assert caller.fees_paid == Amount(Decimal("0"))


def test_the_client_reads_either_parts_shape() -> None:
    """The three parts an earlier sandbox wrote, and the two of the documented samples."""

    def document(parts: str) -> bytes:
        return (
            '<GetAccountActivityResponse xmlns="http://fps.amazonaws.com/doc/2008-09-17/">'
            "<GetAccountActivityResult><BatchSize>1</BatchSize><Transaction>"
            "<TransactionId>14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD</TransactionId>"
            "<CallerTransactionDate>2009-10-07T10:55:01.265-07:00</CallerTransactionDate>"
            "<DateReceived>2009-10-07T10:55:01.265-07:00</DateReceived>"
            "<TransactionAmount><CurrencyCode>USD</CurrencyCode><Value>1.000000</Value>"
            "</TransactionAmount><FPSOperation>Refund</FPSOperation>"
            "<TransactionStatus>Success</TransactionStatus>"
            f"{parts}<PaymentMethod>CC</PaymentMethod><CallerName>Shop</CallerName>"
            "<FPSFees><CurrencyCode>USD</CurrencyCode><Value>-0.100000</Value></FPSFees>"
            "<Balance><CurrencyCode>USD</CurrencyCode><Value>0</Value></Balance>"
            "</Transaction></GetAccountActivityResult><ResponseMetadata>"
            "<RequestId>r:0</RequestId></ResponseMetadata></GetAccountActivityResponse>"
        ).encode()

    def part(role: str, fee: str) -> str:
        return (
            f"<TransactionPart><Role>{role}</Role><FeesPaid><CurrencyCode>USD</CurrencyCode>"
            f"<Value>{fee}</Value></FeesPaid></TransactionPart>"
        )

    three = parse_account_activity(
        document(part("Sender", "0") + part("Caller", "0") + part("Recipient", "0.1"))
    )
    two = parse_account_activity(document(part("Caller", "0") + part("Sender", "-0.100000")))
    assert [p.role for p in three.transactions[0].transaction_parts] == [
        "Sender",
        "Caller",
        "Recipient",
    ]
    assert [p.role for p in two.transactions[0].transaction_parts] == ["Caller", "Sender"]
    assert two.transactions[0].transaction_parts[1].fees_paid == Amount(Decimal("-0.1"))
