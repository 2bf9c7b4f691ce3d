"""The --demo data set: big enough, every status/operation/method, histories and IPNs, stable."""

from __future__ import annotations

from collections import Counter

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.models import TransactionStatus
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from fpsdesk.sandbox.demo import (
    DEMO_CANCELLABLE_IDS,
    DEMO_IDS,
    DEMO_PENDING_IDS,
    DEMO_RESERVED_IDS,
)
from tests.fixtures.sandbox import FAST_IPN_RETRY, IpnCapture


def test_demo_covers_every_status_operation_and_method(demo_sandbox: SandboxServer) -> None:
    txns = demo_sandbox.transactions()
    assert len(txns) >= 30
    assert set(Counter(t["status"] for t in txns)) == {
        "Pending",
        "Reserved",
        "Success",
        "Failure",
        "Cancelled",
    }
    assert {"Pay", "Reserve", "Settle", "Refund"} <= {t["operation"] for t in txns}
    assert {"CC", "ABT", "ACH"} <= {t["payment_method"] for t in txns}
    assert {t["transaction_id"] for t in txns} == set(DEMO_IDS.values())
    for txn in txns:
        assert txn["history"], txn["transaction_id"]
        assert txn["history"][-1]["status"] == txn["status"]
        notes = demo_sandbox.notifications(txn["transaction_id"])
        assert len(notes) == len(txn["history"])
    assert len(DEMO_RESERVED_IDS) >= 3
    assert len(DEMO_PENDING_IDS) >= 2


def test_demo_ids_are_the_same_every_time(demo_sandbox: SandboxServer) -> None:
    with SandboxServer(demo=True) as other:
        mine = [
            (t["transaction_id"], t["status"], t["amount"], [h["status"] for h in t["history"]])
            for t in demo_sandbox.transactions()
        ]
        theirs = [
            (t["transaction_id"], t["status"], t["amount"], [h["status"] for h in t["history"]])
            for t in other.transactions()
        ]
    assert mine == theirs


def test_every_cancellable_demo_transaction_can_be_cancelled(
    demo_sandbox: SandboxServer,
) -> None:
    client = FpsClient(demo_sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    try:
        for txn_id in DEMO_CANCELLABLE_IDS:
            assert client.cancel(txn_id).transaction_status is TransactionStatus.CANCELLED
        refund = client.get_transaction(DEMO_IDS["refund_settle"])
        assert [(r.transaction_id, r.relation_type) for r in refund.related_transactions] == [
            (DEMO_IDS["settle_success_2"], "Parent")
        ]
    finally:
        client.close()


def test_demo_ipns_go_to_configured_urls(ipn_capture: IpnCapture) -> None:
    with SandboxServer(demo=True, ipn_urls=[ipn_capture.url], ipn_retry=FAST_IPN_RETRY) as server:
        expected = len(server.notifications())
        assert server.wait_for_ipns()
        assert len(ipn_capture.received) == expected
        assert all(d["state"] == "delivered" for d in server.ipn_deliveries())
