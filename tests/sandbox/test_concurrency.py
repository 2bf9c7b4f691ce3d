"""Concurrent requests on one transaction: exactly one state change wins (spec §4, issue 3)."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.exceptions import FpsError
from fpsdesk.sandbox import SandboxServer
from tests.fixtures.sandbox import IpnCapture


def _race(calls: list[object]) -> list[str]:
    """Run the callables at the same moment; return "ok" or the FPS error code of each."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = [""] * len(calls)

    def run(index: int, call: object) -> None:
        barrier.wait()
        try:
            call()  # type: ignore[operator]
            outcomes[index] = "ok"
        except FpsError as exc:
            outcomes[index] = exc.code
        except Exception as exc:
            outcomes[index] = f"unexpected {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_twenty_concurrent_cancels_one_wins_one_ipn(
    sandbox: SandboxServer, sandbox_client: FpsClient, ipn_capture: IpnCapture
) -> None:
    sandbox.set_ipn_urls([ipn_capture.url])
    txn_id = sandbox.create_transaction(status="Reserved")
    outcomes = _race([lambda: sandbox_client.cancel(txn_id, "race")] * 20)
    assert Counter(outcomes) == {"ok": 1, "InvalidTransactionState": 19}
    assert sandbox.request_count("Cancel") == 20
    assert sandbox.wait_for_ipns()
    cancels = [i for i in ipn_capture.received if i.fields["transactionStatus"] == "CANCELLED"]
    assert len(cancels) == 1
    assert len(ipn_capture.received) == 1
    history = sandbox.transaction(txn_id)["history"]
    assert [h["status"] for h in history].count("Cancelled") == 1


@pytest.mark.parametrize("round_no", range(5))
def test_cancel_racing_settle_exactly_one_wins(
    sandbox: SandboxServer, sandbox_client: FpsClient, round_no: int
) -> None:
    txn_id = sandbox_client.reserve("CC-1", Decimal("40.00"), f"race-{round_no}").transaction_id
    outcomes = _race(
        [
            lambda: sandbox_client.cancel(txn_id),
            lambda: sandbox_client.settle(txn_id),
        ]
    )
    assert sorted(outcomes) == ["InvalidTransactionState", "ok"]
    final = sandbox.transaction(txn_id)
    statuses = [h["status"] for h in final["history"]]
    if outcomes[0] == "ok":
        assert final["status"] == "Cancelled"
        assert statuses == ["Pending", "Reserved", "Cancelled"]
    else:
        assert final["status"] == "Success"
        assert statuses == ["Pending", "Reserved", "Pending", "Success"]


def test_concurrent_pays_with_one_caller_reference(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    outcomes = _race([lambda: sandbox_client.pay("CC-1", Decimal("1.50"), "same")] * 8)
    assert Counter(outcomes) == {"ok": 1, "DuplicateRequest": 7}
    assert len(sandbox.transactions()) == 1
