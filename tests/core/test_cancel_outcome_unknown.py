"""Cancel is never re-sent once it may have reached the server; the outcome is reported unknown.

The stub counts what actually arrived on the wire.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.errors import describe
from fpsdesk.fps.exceptions import FpsError, NetworkError, OutcomeUnknown
from tests.core.fpsstub import CANCEL_XML, Reply, StubServer, error_xml

ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TXID = "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def _client(stub: StubServer, sleeps: list[float] | None = None) -> FpsClient:
    record = sleeps if sleeps is not None else []
    return FpsClient(stub.url, ACCESS, SECRET, timeout=(2, 0.5), sleep=record.append)


def test_cancel_read_timeout_raises_outcome_unknown_after_exactly_one_request(
    stub: StubServer,
) -> None:
    stub.default = Reply(body=CANCEL_XML, delay=1.5)  # answers only after the read timeout
    sleeps: list[float] = []
    with _client(stub, sleeps) as client, pytest.raises(OutcomeUnknown) as info:
        client.cancel(TXID, "Buyer changed mind")
    err = info.value
    assert err.transaction_id == TXID
    assert err.action == "Cancel"
    assert "0.5 s" in err.detail
    assert stub.count("Cancel") == 1
    assert stub.count() == 1
    assert sleeps == []
    explanation = describe(err)
    assert "do not send it again" in explanation.next_step.lower()


def test_cancel_connection_dropped_after_sending_is_outcome_unknown(stub: StubServer) -> None:
    stub.default = Reply(drop=True)
    with _client(stub) as client, pytest.raises(OutcomeUnknown) as info:
        client.cancel(TXID)
    assert info.value.transaction_id == TXID
    assert stub.count("Cancel") == 1


@pytest.mark.parametrize("status", [500, 503])
def test_cancel_5xx_is_outcome_unknown_and_not_retried(stub: StubServer, status: int) -> None:
    stub.default = Reply(
        status=status, body=error_xml("InternalError"), headers={"Retry-After": "0"}
    )
    sleeps: list[float] = []
    with _client(stub, sleeps) as client, pytest.raises(OutcomeUnknown) as info:
        client.cancel(TXID)
    assert f"HTTP {status}" in info.value.detail
    assert stub.count("Cancel") == 1
    assert sleeps == []


def test_cancel_4xx_is_a_definite_fps_error(stub: StubServer) -> None:
    stub.default = Reply(status=400, body=error_xml("InvalidTransactionState", "no"))
    with _client(stub) as client, pytest.raises(FpsError) as info:
        client.cancel(TXID)
    assert info.value.code == "InvalidTransactionState"
    assert stub.count("Cancel") == 1


def test_cancel_refused_connection_is_network_error_nothing_sent() -> None:
    # A port nobody listens on: bind, note the port, close.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        FpsClient(f"http://127.0.0.1:{port}/", ACCESS, SECRET) as client,
        pytest.raises(NetworkError) as info,
    ):
        client.cancel(TXID)
    assert "nothing was sent" in str(info.value)
    assert not isinstance(info.value, OutcomeUnknown)


def test_refund_timeout_is_outcome_unknown_too(stub: StubServer) -> None:
    stub.default = Reply(body=CANCEL_XML, delay=1.5)
    with _client(stub) as client, pytest.raises(OutcomeUnknown) as info:
        client.refund(TXID, "refund-ref-1")
    assert info.value.action == "Refund"
    assert stub.count("Refund") == 1
