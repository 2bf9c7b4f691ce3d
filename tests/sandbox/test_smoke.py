"""The first things the other engineers rely on: the fixture, Cancel and the lookups."""

from __future__ import annotations

import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.exceptions import FpsError
from fpsdesk.fps.models import TransactionStatus
from fpsdesk.sandbox import SandboxServer


def test_cancel_a_reserved_transaction(sandbox: SandboxServer, sandbox_client: FpsClient) -> None:
    txn_id = sandbox.create_transaction(status="Reserved", amount="12.34")
    result = sandbox_client.cancel(txn_id, "customer asked")
    assert result.transaction_status is TransactionStatus.CANCELLED
    status = sandbox_client.get_transaction_status(txn_id)
    assert status.transaction_status is TransactionStatus.CANCELLED
    assert status.status_code == "Canceled"
    detail = sandbox_client.get_transaction(txn_id)
    assert [(h.transaction_status.value, h.status_code) for h in detail.status_history] == [
        ("Pending", "PendingNetworkResponse"),
        ("Reserved", "Reserved"),
        ("Cancelled", "Canceled"),
    ]
    assert sandbox.transaction(txn_id)["cancel_description"] == "customer asked"


def test_cancel_a_completed_transaction_is_refused(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    txn_id = sandbox.create_transaction(status="Success", operation="Pay")
    with pytest.raises(FpsError) as caught:
        sandbox_client.cancel(txn_id)
    assert caught.value.code == "InvalidTransactionState"
    assert caught.value.http_status == 400
