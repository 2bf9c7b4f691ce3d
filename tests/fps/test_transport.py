"""The transport's rules, over loopback: redirects not followed, the size cap, the overall
deadline, what counts as "nothing was sent", and keep-alive connections that went stale."""

from __future__ import annotations

import gzip
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fpsdesk.fps import transport as transport_module
from fpsdesk.fps.exceptions import InvalidInput, NetworkError
from fpsdesk.fps.transport import BodyRefused, MaybeSent, Transport
from tests.core.fpsstub import Reply, StubServer
from tests.fixtures.serving import ServerThread


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def _transport(**options: Any) -> Transport:
    settings: dict[str, Any] = {
        "timeout": (2.0, 5.0),
        "total_timeout": 7.0,
        "max_body_bytes": 64 * 1024,
    }
    settings.update(options)
    return Transport(**settings)


def test_a_redirect_comes_back_as_an_answer_and_is_not_followed(stub: StubServer) -> None:
    with StubServer() as elsewhere, _transport() as transport:
        stub.push(Reply(status=302, headers={"Location": f"{elsewhere.url}steal"}))
        answer = transport.exchange("POST", stub.url, b"a=1", {"X-Test": "1"})
        assert answer.status == 302
        assert answer.headers.get("location") == f"{elsewhere.url}steal"
        assert elsewhere.count() == 0
    assert stub.count() == 1


def test_a_declared_oversize_body_is_refused_unread(stub: StubServer) -> None:
    stub.push(Reply(body=b"x" * 100_000))
    with _transport() as transport, pytest.raises(BodyRefused) as refused:
        transport.exchange("GET", stub.url)
    assert refused.value.error.http_status == 200
    assert "declares 100,000 bytes" in str(refused.value.error)


def test_an_undeclared_oversize_body_stops_at_the_cap(stub: StubServer) -> None:
    stub.push(Reply(chunks=lambda: (b"y" * 16_384 for _ in range(1_000))))  # 16 MB chunked
    with _transport() as transport, pytest.raises(BodyRefused) as refused:
        transport.exchange("GET", stub.url)
    assert "larger than the 65,536-byte limit" in str(refused.value.error)


def test_a_compressed_body_is_capped_after_decoding(stub: StubServer) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)  # 20 MB that packs into about 20 KB
    stub.push(Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    stub.push(Reply(body=gzip.compress(b"<ok/>"), headers={"Content-Encoding": "gzip"}))
    with _transport() as transport:
        with pytest.raises(BodyRefused):
            transport.exchange("GET", stub.url)
        assert transport.exchange("GET", stub.url).body == b"<ok/>"


def test_a_dripping_head_is_cut_off_at_the_overall_deadline(stub: StubServer) -> None:
    stub.push(Reply(head_drip=0.05))  # ~4 KB of head, each byte well inside the read timeout
    started = time.monotonic()
    with _transport(total_timeout=1.0) as transport, pytest.raises(MaybeSent) as cut:
        transport.exchange("POST", stub.url, b"a=1")
    assert time.monotonic() - started < 4
    assert cut.value.kind == "timeout"
    assert "cut off" in cut.value.detail


def test_a_dripping_body_is_cut_off_at_the_overall_deadline(stub: StubServer) -> None:
    stub.push(Reply(body=b"z" * 4_000, drip=0.05, drip_size=8))
    started = time.monotonic()
    with _transport(total_timeout=1.0) as transport, pytest.raises(MaybeSent) as cut:
        transport.exchange("GET", stub.url)
    assert time.monotonic() - started < 4
    assert cut.value.kind == "timeout"


def test_a_refused_connection_sent_nothing() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with _transport() as transport, pytest.raises(NetworkError) as refused:
        transport.exchange("POST", f"http://127.0.0.1:{port}/", b"a=1")
    assert "refused" in str(refused.value)
    assert "nothing was sent" in str(refused.value)


def test_a_dropped_connection_after_sending_may_have_been_processed(stub: StubServer) -> None:
    stub.push(Reply(drop=True))
    with _transport() as transport, pytest.raises(MaybeSent) as dropped:
        transport.exchange("POST", stub.url, b"a=1")
    assert dropped.value.kind == "network"
    assert stub.count() == 1


class _ClosesWhenIdle(BaseHTTPRequestHandler):
    """Keep-alive by its headers, but closes each connection after one answer (as a server
    does when its idle timeout passes)."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_kept_connection_the_server_closed_is_replaced_not_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Cancel sent on a connection the server had already closed would come back as an
    unknown outcome: the transport checks a connection idle for a while before reusing it
    (here: any idle time)."""
    monkeypatch.setattr(transport_module, "CHECK_IDLE_AFTER_S", 0.0)
    running = ServerThread(ThreadingHTTPServer(("127.0.0.1", 0), _ClosesWhenIdle))
    try:
        url = f"http://127.0.0.1:{running.port}/"
        with _transport() as transport:
            for _ in range(3):
                assert transport.exchange("POST", url, b"a=1").body == b"ok"
                time.sleep(0.05)  # let the server's close arrive
            assert transport.connection_counts()[0] == 3
    finally:
        running.stop()


def test_a_careful_exchange_checks_even_a_connection_used_a_moment_ago() -> None:
    """A Cancel (careful) never rides on a connection the server has closed, however recent:
    it would come back as an unknown outcome. Reads skip the check for a second after use."""
    running = ServerThread(ThreadingHTTPServer(("127.0.0.1", 0), _ClosesWhenIdle))
    try:
        url = f"http://127.0.0.1:{running.port}/"
        with _transport() as transport:
            for _ in range(3):
                assert transport.exchange("POST", url, b"a=1", careful=True).body == b"ok"
                time.sleep(0.05)  # the server's close arrives well within the second
            assert transport.connection_counts()[0] == 3
    finally:
        running.stop()


def test_a_closed_transport_refuses_to_send(stub: StubServer) -> None:
    transport = _transport()
    transport.close()
    with pytest.raises(InvalidInput, match="closed"):
        transport.exchange("GET", stub.url)
    assert stub.count() == 0


def test_a_ca_bundle_that_is_not_one_is_a_tls_error_before_sending(tmp_path: Any) -> None:
    bundle = tmp_path / "not-a-bundle.pem"
    bundle.write_text("this is not a certificate\n")
    with (
        _transport(ca_bundle=str(bundle)) as transport,
        pytest.raises(NetworkError) as refused,
    ):
        transport.exchange("GET", "https://127.0.0.1:9/")
    assert refused.value.kind == "tls"
    assert "could not be loaded" in str(refused.value)


@pytest.mark.parametrize("proxy", ["socks5://127.0.0.1:1080", "http://127.0.0.1:notaport"])
def test_an_unusable_environment_proxy_is_a_clear_error_before_sending(
    proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    with _transport() as transport, pytest.raises(NetworkError) as refused:
        transport.exchange("GET", "https://fps.sandbox.amazonaws.com/")
    assert "proxy" in str(refused.value)
    assert "Nothing was sent" in str(refused.value)
