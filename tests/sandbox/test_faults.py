"""Every injectable fault, as fpsdesk's client meets it (see fpsdesk/sandbox/faults.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.exceptions import FpsError, OutcomeUnknown, ProtocolError
from fpsdesk.fps.models import TransactionStatus
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.fixtures.sandbox import IpnCapture


@pytest.fixture
def no_retry_client(sandbox: SandboxServer) -> Iterator[FpsClient]:
    client = FpsClient(sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, max_retries=0)
    yield client
    client.close()


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [
        ("internal_error", "InternalError", 500),
        ("throttled", "RequestThrottled", 503),
        ("unavailable", "ServiceUnavailable", 503),
    ],
)
def test_error_faults_on_a_read_are_retried_and_then_reported(
    sandbox: SandboxServer, sandbox_client: FpsClient, kind: str, code: str, status: int
) -> None:
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="GetTransactionStatus", kind=kind, times=None)
    with pytest.raises(FpsError) as caught:
        sandbox_client.get_transaction_status(txn_id)
    assert (caught.value.code, caught.value.http_status) == (code, status)
    assert sandbox.request_count("GetTransactionStatus") == 4  # 1 + the client's 3 retries


def test_a_single_error_fault_is_retried_away(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="GetTransaction", kind="internal_error")
    assert sandbox_client.get_transaction(txn_id).transaction_status is TransactionStatus.RESERVED
    assert sandbox.request_count("GetTransaction") == 2


def test_times_counts_the_requests_a_fault_hits(
    sandbox: SandboxServer, no_retry_client: FpsClient
) -> None:
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="GetTransactionStatus", kind="unavailable", times=2)
    for _ in range(2):
        with pytest.raises(FpsError):
            no_retry_client.get_transaction_status(txn_id)
    assert no_retry_client.get_transaction_status(txn_id).transaction_status.value == "Reserved"
    assert sandbox.faults() == []


@pytest.mark.parametrize("kind", ["internal_error", "throttled", "unavailable", "html"])
def test_unprocessed_faults_on_cancel_leave_the_transaction_alone(
    sandbox: SandboxServer, sandbox_client: FpsClient, kind: str
) -> None:
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind=kind)
    # RequestThrottled is an FPS error document: a refusal, not an unknown outcome (4574c7c).
    refused = (FpsError,) if kind == "throttled" else (OutcomeUnknown, ProtocolError)
    with pytest.raises(refused):
        sandbox_client.cancel(txn_id)
    assert sandbox.request_count("Cancel") == 1  # a Cancel is never re-sent
    assert sandbox.transaction(txn_id)["status"] == "Reserved"
    assert sandbox_client.cancel(txn_id).transaction_status is TransactionStatus.CANCELLED


def test_dropped_connection_after_processing(
    sandbox: SandboxServer, sandbox_client: FpsClient, ipn_capture: IpnCapture
) -> None:
    sandbox.set_ipn_urls([ipn_capture.url])
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="drop_after")
    with pytest.raises(OutcomeUnknown) as caught:
        sandbox_client.cancel(txn_id)
    assert caught.value.transaction_id == txn_id
    assert sandbox.request_count("Cancel") == 1
    status = sandbox_client.get_transaction_status(txn_id)  # reconcile, as the app does
    assert status.transaction_status is TransactionStatus.CANCELLED
    assert sandbox.wait_for_ipns()
    assert [i.fields["transactionStatus"] for i in ipn_capture.received] == ["CANCELLED"]


def test_malformed_xml_after_processing(sandbox: SandboxServer, sandbox_client: FpsClient) -> None:
    txn_id = sandbox.create_transaction(status="Pending")
    sandbox.inject_fault(action="Cancel", kind="malformed_xml")
    with pytest.raises(OutcomeUnknown):
        sandbox_client.cancel(txn_id)
    assert sandbox.transaction(txn_id)["status"] == "Cancelled"
    sandbox.inject_fault(action="GetTransactionStatus", kind="malformed_xml")
    with pytest.raises(ProtocolError):
        FpsClient(
            sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, max_retries=0
        ).get_transaction_status(txn_id)


@pytest.mark.parametrize("http_status", [None, 200])
def test_html_proxy_page(
    sandbox: SandboxServer, no_retry_client: FpsClient, http_status: int | None
) -> None:
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="GetTransactionStatus", kind="html", http_status=http_status)
    with pytest.raises(ProtocolError) as caught:
        no_retry_client.get_transaction_status(txn_id)
    assert caught.value.http_status == (http_status or 502)


def test_delay_then_normal_answer(sandbox: SandboxServer, sandbox_client: FpsClient) -> None:
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=50)
    assert sandbox_client.cancel(txn_id).transaction_status is TransactionStatus.CANCELLED


def test_delay_longer_than_the_read_timeout_still_processes(sandbox: SandboxServer) -> None:
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=1500)
    client = FpsClient(sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, timeout=(2.0, 0.3))
    try:
        with pytest.raises(OutcomeUnknown):
            client.cancel(txn_id)
    finally:
        client.close()
    # The server finishes the Cancel after the client gave up: poll for it (not a timed assert).
    deadline = time.monotonic() + 10
    while sandbox.transaction(txn_id)["status"] != "Cancelled" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.transaction(txn_id)["status"] == "Cancelled"


def test_fault_per_transaction(sandbox: SandboxServer, no_retry_client: FpsClient) -> None:
    target = sandbox.create_transaction(status="Reserved")
    other = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(transaction_id=target, kind="internal_error", times=None)
    assert no_retry_client.get_transaction(other).transaction_id == other
    with pytest.raises(FpsError):
        no_retry_client.get_transaction(target)
    with pytest.raises(OutcomeUnknown):
        no_retry_client.cancel(target)
    sandbox.clear_faults()
    assert no_retry_client.cancel(target).transaction_id == target


def test_bad_fault_requests_are_refused(sandbox: SandboxServer) -> None:
    with pytest.raises(ValueError, match="kind"):
        sandbox.inject_fault(kind="explode")
    with pytest.raises(ValueError, match="times"):
        sandbox.inject_fault(kind="delay", times=0)
