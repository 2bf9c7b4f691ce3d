"""``--demo-size`` volume data, throttling per access key, and Cancels counted per transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.exceptions import FpsError
from fpsdesk.fps.models import ActivityTransaction
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer

SIZE = 1200


@pytest.fixture(scope="module")
def volume() -> Iterator[SandboxServer]:
    server = SandboxServer(demo_size=SIZE).start()
    try:
        yield server
    finally:
        server.stop()


def _client(sandbox: SandboxServer, retries: int = 3) -> FpsClient:
    return FpsClient(
        sandbox.url,
        DEFAULT_ACCESS_KEY,
        DEFAULT_SECRET_KEY,
        max_retries=retries,
        sleep=lambda seconds: None,
    )


def _scan(client: FpsClient, order: str, **filters: str) -> list[ActivityTransaction]:
    start = datetime.now(UTC) - timedelta(days=91)
    end: datetime | None = None
    seen: list[ActivityTransaction] = []
    while True:
        page = client.get_account_activity(
            start, end, max_batch_size=200, sort_order_by_date=order, **filters
        )
        seen.extend(page.transactions)
        nxt = page.start_time_for_next_transaction
        if nxt is None:
            return seen
        if order == "Ascending":
            start = nxt
        else:
            end = nxt


@pytest.mark.parametrize("order", ["Ascending", "Descending"])
def test_paging_through_the_volume_sees_each_transaction_once(
    volume: SandboxServer, order: str
) -> None:
    with _client(volume) as client:
        seen = _scan(client, order)
    ids = [t.transaction_id for t in seen]
    assert len(ids) == SIZE
    assert len(set(ids)) == SIZE
    dates = [t.date_received for t in seen]
    assert dates == sorted(dates, reverse=order == "Descending")
    assert min(dates) >= datetime.now(UTC) - timedelta(days=90, minutes=1)


def test_the_volume_is_realistic_and_filters_apply_server_side(volume: SandboxServer) -> None:
    with _client(volume) as client:
        everything = _scan(client, "Descending")
        reserved = _scan(client, "Descending", transaction_status="Reserved")
    statuses = Counter(t.transaction_status.value for t in everything)
    assert set(statuses) == {"Reserved", "Success", "Failure", "Pending", "Cancelled"}
    assert {t.fps_operation for t in everything} >= {"Pay", "Reserve", "Settle", "Refund"}
    assert {t.payment_method for t in everything} == {"CC", "ABT", "ACH"}
    assert len(reserved) == statuses["Reserved"]
    assert all(t.transaction_status.value == "Reserved" for t in reserved)
    references = [
        p.reference for t in everything for p in t.transaction_parts if p.role == "Caller"
    ]
    assert all(r and r.startswith("ORD-") for r in references)
    assert len({t.sender_name for t in everything}) > 100


def test_the_same_size_seeds_the_same_transactions() -> None:
    first = SandboxServer(demo_size=50).start()
    second = SandboxServer(demo_size=50).start()
    try:
        ids = [
            sorted((t["transaction_id"], t["caller_reference"]) for t in s.transactions())
            for s in (first, second)
        ]
    finally:
        first.stop()
        second.stop()
    assert ids[0] == ids[1]
    assert len(ids[0]) == 50


def test_throttling_answers_request_throttled_per_access_key(sandbox: SandboxServer) -> None:
    answer = requests.post(
        f"{sandbox.url}_sandbox/throttle", json={"rate": 2, "burst": 2}, timeout=5
    )
    assert answer.status_code == 200
    assert answer.json()["rate"] == 2
    txn = sandbox.create_transaction(status="Reserved")
    refused = []
    with _client(sandbox, retries=0) as client:
        for _ in range(8):
            try:
                client.get_transaction_status(txn)
            except FpsError as exc:
                refused.append((exc.code, exc.http_status))
    assert refused
    assert set(refused) == {("RequestThrottled", 503)}
    assert requests.get(f"{sandbox.url}_sandbox/throttle", timeout=5).json()["refused"] == len(
        refused
    )
    requests.post(f"{sandbox.url}_sandbox/throttle", json={"rate": None}, timeout=5)
    with _client(sandbox, retries=0) as client:
        for _ in range(8):
            client.get_transaction_status(txn)


def test_a_throttle_setting_is_checked(sandbox: SandboxServer) -> None:
    for body in ({"rate": -1}, {"rate": "fast"}, {"rate": True}, {"rate": 5, "burst": 0}):
        answer = requests.post(f"{sandbox.url}_sandbox/throttle", json=body, timeout=5)
        assert answer.status_code == 400, body


def test_cancels_are_counted_per_transaction(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    one = sandbox.create_transaction(status="Reserved")
    two = sandbox.create_transaction(status="Reserved")
    sandbox_client.cancel(one)
    with pytest.raises(FpsError):
        sandbox_client.cancel(one)
    sandbox_client.cancel(two)
    answer = requests.get(
        f"{sandbox.url}_sandbox/requests", params={"per_transaction": "Cancel"}, timeout=5
    )
    assert answer.json()["counts"] == {one: 2, two: 1}
