"""Reads retry HTTP 500/503 and transient FPS codes with 4^n × 100 ms backoff and Retry-After.

``sleep`` is injected and records the delays, so no test waits for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from fpsdesk.fps.client import FpsClient, parse_retry_after
from fpsdesk.fps.exceptions import FpsError, ProtocolError
from fpsdesk.fps.models import TransactionStatus
from tests.core.fpsstub import STATUS_XML, TRANSACTION_XML, VERIFY_XML, Reply, StubServer, error_xml

ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TXID = "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM"
BACKOFF = [pytest.approx(0.4), pytest.approx(1.6), pytest.approx(6.4)]


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(stub: StubServer, sleeps: list[float]) -> Iterator[FpsClient]:
    with FpsClient(stub.url, ACCESS, SECRET, sleep=sleeps.append) as c:
        yield c


def test_500_then_success(stub: StubServer, client: FpsClient, sleeps: list[float]) -> None:
    stub.push(Reply(status=500, body=error_xml("InternalError")), Reply(body=STATUS_XML))
    result = client.get_transaction_status(TXID)
    assert result.transaction_status is TransactionStatus.SUCCESS
    assert stub.count("GetTransactionStatus") == 2
    assert sleeps == [pytest.approx(0.4)]


def test_503_three_times_then_success(
    stub: StubServer, client: FpsClient, sleeps: list[float]
) -> None:
    busy = Reply(status=503, body=error_xml("ServiceUnavailable"))
    stub.push(busy, busy, busy, Reply(body=TRANSACTION_XML))
    detail = client.get_transaction(TXID)
    assert detail.transaction_id == "14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL"
    assert stub.count("GetTransaction") == 4
    assert sleeps == BACKOFF


def test_gives_up_after_three_retries(
    stub: StubServer, client: FpsClient, sleeps: list[float]
) -> None:
    stub.default = Reply(status=503, body=error_xml("RequestThrottled", "slow down", "r-9"))
    with pytest.raises(FpsError) as info:
        client.get_transaction_status(TXID)
    assert info.value.code == "RequestThrottled"
    assert info.value.http_status == 503
    assert info.value.request_id == "r-9"
    assert stub.count() == 4  # the first try and three retries
    assert sleeps == BACKOFF


def test_retry_after_seconds_is_honoured(
    stub: StubServer, client: FpsClient, sleeps: list[float]
) -> None:
    stub.push(
        Reply(
            status=503,
            body=error_xml("ServiceUnavailable"),
            headers={"Retry-After": "3", "Content-Type": "text/xml"},
        ),
        Reply(body=VERIFY_XML),
    )
    assert client.verify_signature("https://m.example/ipn", "a=b").verified
    assert sleeps == [pytest.approx(3.0)]


def test_retry_after_is_capped(stub: StubServer, client: FpsClient, sleeps: list[float]) -> None:
    stub.push(
        Reply(status=503, body=error_xml("ServiceUnavailable"), headers={"Retry-After": "86400"}),
        Reply(body=STATUS_XML),
    )
    client.get_transaction_status(TXID)
    assert sleeps == [pytest.approx(10.0)]


def test_retry_after_never_shortens_backoff(
    stub: StubServer, client: FpsClient, sleeps: list[float]
) -> None:
    stub.push(
        Reply(status=500, body=error_xml("InternalError"), headers={"Retry-After": "0"}),
        Reply(status=500, body=error_xml("InternalError"), headers={"Retry-After": "0"}),
        Reply(body=STATUS_XML),
    )
    client.get_transaction_status(TXID)
    assert sleeps == BACKOFF[:2]


def test_transient_code_with_400_is_retried(
    stub: StubServer, client: FpsClient, sleeps: list[float]
) -> None:
    # ConcurrentModification is transient in the catalogue even when the HTTP status is 400.
    stub.push(Reply(status=400, body=error_xml("ConcurrentModification")), Reply(body=STATUS_XML))
    client.get_transaction_status(TXID)
    assert stub.count() == 2
    assert sleeps == [pytest.approx(0.4)]


def test_non_transient_error_is_not_retried(
    stub: StubServer, client: FpsClient, sleeps: list[float]
) -> None:
    stub.default = Reply(status=400, body=error_xml("InvalidTransactionId"))
    with pytest.raises(FpsError):
        client.get_transaction_status(TXID)
    assert stub.count() == 1
    assert sleeps == []


def test_html_503_is_retried_then_reported(
    stub: StubServer, client: FpsClient, sleeps: list[float]
) -> None:
    stub.default = Reply(status=503, body=b"<html><body>Service Unavailable</body></html>")
    with pytest.raises(ProtocolError) as info:
        client.get_transaction_status(TXID)
    assert info.value.http_status == 503
    assert stub.count() == 4
    assert sleeps == BACKOFF


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(later, now) == pytest.approx(30.0)
    earlier = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(earlier, now) == 0.0
