"""FPS fidelity of what the sandbox writes: a refund's fee given back in proportion (the
documented sample: a USD 1.00 refund shows FPSFees -0.100000 and the sender's FeesPaid
-0.100000)."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.models import Amount
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.sandbox import sigv2


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
    read = sandbox_client.get_transaction(refund)
    assert (read.fps_fees.value, read.fps_fees_paid_by) == (Decimal("-0.20"), "Caller")
