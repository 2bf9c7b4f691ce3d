"""Hostile answers: each gives a clear error, leaks nothing and keeps memory bounded.

Served by the stub over loopback, because no honest sandbox should be taught to send them.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.errors import describe
from fpsdesk.fps.exceptions import NetworkError, OutcomeUnknown, ProtocolError
from tests.core.fpsstub import STATUS_XML, Reply, StubServer, repeat

ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TXID = "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM"


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def _client(stub: StubServer, **options: object) -> FpsClient:
    return FpsClient(stub.url, ACCESS, SECRET, sleep=lambda s: None, **options)  # type: ignore[arg-type]


def _assert_user_facing(exc: BaseException, *needles: str) -> None:
    text = str(exc)
    assert "Traceback" not in text
    assert "lxml" not in text
    explanation = describe(exc)
    assert explanation.title
    assert explanation.next_step
    for needle in needles:
        assert needle in text


def test_xxe_pointing_at_local_file_is_refused_and_leaks_nothing(
    stub: StubServer, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("TOP-SECRET-CONTENT-42")
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret_file}">]>\n'
        "<GetTransactionStatusResponse><GetTransactionStatusResult>"
        f"<TransactionId>{TXID}</TransactionId><TransactionStatus>Success</TransactionStatus>"
        "<CallerReference>&xxe;</CallerReference></GetTransactionStatusResult>"
        "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
        "</GetTransactionStatusResponse>"
    ).encode()
    stub.push(Reply(body=body))
    with _client(stub) as client, pytest.raises(ProtocolError) as info:
        client.get_transaction_status(TXID)
    _assert_user_facing(info.value, "DOCTYPE")
    assert "TOP-SECRET" not in str(info.value)
    assert "TOP-SECRET" not in describe(info.value).as_text()


def test_xxe_in_utf16_is_refused_too(stub: StubServer, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("TOP-SECRET-CONTENT-43")
    body = (
        f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x SYSTEM '
        f'"file://{secret_file}">]><Response><Errors><Error><Code>&x;</Code>'
        "<Message>m</Message></Error></Errors></Response>"
    ).encode("utf-16")
    stub.push(Reply(body=body))
    with _client(stub) as client, pytest.raises(ProtocolError) as info:
        client.get_transaction_status(TXID)
    assert "TOP-SECRET" not in str(info.value)


def test_billion_laughs_is_refused(stub: StubServer) -> None:
    entities = ['<!ENTITY lol "lol">']
    for level in range(1, 10):
        prev = f"lol{level - 1}" if level > 1 else "lol"
        entities.append(f'<!ENTITY lol{level} "{("&" + prev + ";") * 10}">')
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [' + "".join(entities) + "]>\n"
        "<Response><Errors><Error><Code>&lol9;</Code><Message>m</Message></Error></Errors>"
        "</Response>"
    ).encode()
    stub.push(Reply(body=body))
    tracemalloc.start()
    try:
        with _client(stub) as client, pytest.raises(ProtocolError) as info:
            client.get_transaction_status(TXID)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    _assert_user_facing(info.value, "DOCTYPE")
    assert peak < 5 * 1024 * 1024


def test_50_mib_body_is_cut_off_with_bounded_memory(stub: StubServer) -> None:
    # Streamed chunked, with no Content-Length, so the client must count while reading.
    chunk = b"<x>" + b"A" * (1024 * 1024 - 3)
    stub.push(Reply(chunks=repeat(chunk, 50)))
    tracemalloc.start()
    try:
        with _client(stub) as client, pytest.raises(ProtocolError) as info:
            client.get_transaction_status(TXID)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    _assert_user_facing(info.value, "limit")
    assert info.value.http_status == 200
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


def test_declared_50_mib_body_is_not_read(stub: StubServer) -> None:
    stub.push(
        Reply(body=b"", headers={"Content-Length": str(50 * 1024 * 1024)}, declare_length=False)
    )
    with _client(stub) as client, pytest.raises(ProtocolError) as info:
        client.get_transaction_status(TXID)
    _assert_user_facing(info.value, "limit")


def test_html_502_page(stub: StubServer) -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response.</p>"
        b"</body></html>"
    )
    stub.push(Reply(status=502, body=page, headers={"Content-Type": "text/html"}))
    with _client(stub) as client, pytest.raises(ProtocolError) as info:
        client.get_transaction_status(TXID)
    assert info.value.http_status == 502
    _assert_user_facing(info.value, "HTTP 502")
    assert stub.count() == 1  # 502 is not one of the statuses the SDKs retry


def test_html_page_without_doctype(stub: StubServer) -> None:
    page = b"<html><body><h1>Bad Gateway</h1><br></body></html>"
    stub.push(Reply(status=502, body=page, headers={"Content-Type": "text/html"}))
    with _client(stub) as client, pytest.raises(ProtocolError) as info:
        client.get_transaction_status(TXID)
    _assert_user_facing(info.value, "HTTP 502")


def test_truncated_xml(stub: StubServer) -> None:
    stub.push(Reply(body=STATUS_XML[: len(STATUS_XML) // 2]))
    with _client(stub) as client, pytest.raises(ProtocolError) as info:
        client.get_transaction_status(TXID)
    _assert_user_facing(info.value, "HTTP 200", "truncated")


def test_empty_body(stub: StubServer) -> None:
    stub.push(Reply(body=b""))
    with _client(stub) as client, pytest.raises(ProtocolError) as info:
        client.get_transaction_status(TXID)
    _assert_user_facing(info.value, "empty")


def test_body_dripping_past_the_read_timeout_is_cut_off(stub: StubServer) -> None:
    # 20 bytes every 0.1 s: each receive is well inside the 1 s read timeout, but the whole
    # 2 KB body would take 10 s. The overall deadline (1.5 s) cuts it.
    stub.push(Reply(body=STATUS_XML, drip=0.1, drip_size=20))
    with (
        _client(stub, timeout=(1, 1), total_timeout=1.5) as client,
        pytest.raises(NetworkError) as info,
    ):
        client.get_transaction_status(TXID)
    assert info.value.kind == "timeout"
    _assert_user_facing(info.value, "cut off")


def test_dripping_cancel_is_outcome_unknown(stub: StubServer) -> None:
    stub.push(Reply(body=STATUS_XML, drip=0.1, drip_size=20))
    with (
        _client(stub, timeout=(1, 1), total_timeout=1.0) as client,
        pytest.raises(OutcomeUnknown) as info,
    ):
        client.cancel(TXID)
    assert info.value.transaction_id == TXID
    assert stub.count("Cancel") == 1


def test_headers_dripping_past_the_read_timeout_are_cut_off(stub: StubServer) -> None:
    # A byte of header every 50 ms never trips the 1 s read timeout; the overall deadline does.
    stub.push(Reply(head_drip=0.05))
    with (
        _client(stub, timeout=(1, 1), total_timeout=1.5) as client,
        pytest.raises(NetworkError) as info,
    ):
        client.get_transaction_status(TXID)
    assert info.value.kind == "timeout"
    _assert_user_facing(info.value, "cut off")


def test_gzip_bomb_is_cut_off_with_bounded_memory(stub: StubServer) -> None:
    import gzip

    # 64 MiB of zeros compress to ~64 KiB; the cap counts decompressed bytes.
    bomb = gzip.compress(b"<a>" + b"\0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 200 * 1024
    stub.push(Reply(body=bomb, headers={"Content-Type": "text/xml", "Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        with _client(stub) as client, pytest.raises(ProtocolError) as info:
            client.get_transaction_status(TXID)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    _assert_user_facing(info.value, "limit")
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
