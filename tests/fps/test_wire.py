"""The wire format of one exchange, against a loopback server that answers with exact bytes:
the request as sent, and answers that are unusual (interim 100, chunked, ended by closing)
or hostile (ambiguous framing, bytes after the answer, a head without end)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from fpsdesk.fps import wire
from fpsdesk.fps.exceptions import NetworkError
from fpsdesk.fps.transport import MaybeSent, Transport

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n<ok/>"


Script = bytes | tuple[bytes, str] | None


class RawServer:
    """Accepts connections on loopback; for each request read, sends the next scripted
    answer as is (``None``: close the connection instead; ``(answer, "close")``: close right
    after sending it). Records each request's bytes and the number of connections accepted."""

    def __init__(self, *answers: Script) -> None:
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/fps"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            while self.answers:
                request = _read_request(conn)
                if request is None:
                    return
                self.requests.append(request)
                answer = self.answers.pop(0)
                if answer is None:
                    return
                if isinstance(answer, tuple):
                    conn.sendall(answer[0])
                    return
                conn.sendall(answer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return None
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += conn.recv(65536)
    return data


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[RawServer]:
    raw = RawServer(*request.param)
    yield raw
    raw.close()


def _transport(**options: Any) -> Transport:
    settings: dict[str, Any] = {"timeout": (2.0, 3.0), "total_timeout": 5.0, "max_body_bytes": 4096}
    settings.update(options)
    return Transport(**settings)


@pytest.mark.parametrize("server", [[OK]], indirect=True)
def test_the_request_goes_out_as_one_well_formed_http_11_message(server: RawServer) -> None:
    with _transport(headers={"User-Agent": "fpsdesk-test"}) as transport:
        transport.exchange("POST", server.url, b"a=1&b=2", {"Content-Type": "text/plain"})
    (sent,) = server.requests
    port = server.url.split(":")[2].split("/")[0]
    assert sent == (
        b"POST /fps HTTP/1.1\r\n"
        + f"Host: 127.0.0.1:{port}\r\n".encode()
        + b"User-Agent: fpsdesk-test\r\nContent-Type: text/plain\r\n"
        b"Accept-Encoding: identity\r\nContent-Length: 7\r\n\r\na=1&b=2"
    )


@pytest.mark.parametrize(
    "server",
    [[b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n<ok/>"]],
    indirect=True,
)
def test_an_interim_100_answer_is_passed_over(server: RawServer) -> None:
    with _transport() as transport:
        answer = transport.exchange("POST", server.url, b"a=1")
    assert (answer.status, answer.body) == (200, b"<ok/>")


@pytest.mark.parametrize(
    "server",
    [
        [
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\n<ok\r\n2\r\n/>\r\n0\r\n\r\n",
            OK,
        ]
    ],
    indirect=True,
)
def test_a_chunked_answer_is_read_whole_and_the_connection_kept(server: RawServer) -> None:
    with _transport() as transport:
        assert transport.exchange("POST", server.url, b"a=1").body == b"<ok/>"
        assert transport.exchange("POST", server.url, b"a=1").body == b"<ok/>"
        assert transport.connection_counts() == (1, 1)
    assert server.connections == 1


@pytest.mark.parametrize("server", [[(b"HTTP/1.0 200 OK\r\n\r\n<ok/>", "close")]], indirect=True)
def test_an_answer_ended_by_closing_the_connection_is_read_whole(server: RawServer) -> None:
    with _transport() as transport:
        answer = transport.exchange("GET", server.url)
        assert answer.body == b"<ok/>"
        assert transport.connection_counts() == (1, 0)  # not kept: it has ended


@pytest.mark.parametrize(
    "server", [[OK + b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n<stale>", OK]], indirect=True
)
def test_bytes_after_the_answer_make_the_connection_unusable(server: RawServer) -> None:
    # Kept, the stale second answer would be read as the answer to the next request.
    with _transport() as transport:
        assert transport.exchange("POST", server.url, b"a=1").body == b"<ok/>"
        assert transport.exchange("POST", server.url, b"a=2").body == b"<ok/>"
        assert transport.connection_counts()[0] == 2
    assert server.connections == 2


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        (
            [b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n<ok/>"],
            "not valid HTTP",
        ),
        (
            [
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\n<ok/>\r\n0\r\n\r\n"
            ],
            "not valid HTTP",
        ),
        ([b"HTTP/1.1 200 OK\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n"], "more than 100 headers"),
        ([b"HTTP/1.1 200 OK\r\nX-A: " + b"a" * 70_000 + b"\r\n\r\n"], "larger than 65,536"),
        ([b"<html>hello</html>\r\n\r\n"], "not valid HTTP"),
        ([(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this", "close")], "broke"),
        ([None], "without answering"),
    ],
    indirect=["server"],
)
def test_an_answer_that_cannot_be_trusted_may_have_followed_a_sent_request(
    server: RawServer, expected: str
) -> None:
    with _transport() as transport, pytest.raises(MaybeSent) as failed:
        transport.exchange("POST", server.url, b"a=1")
    assert failed.value.kind == "network"
    assert expected in failed.value.detail
    assert len(server.requests) == 1


@pytest.mark.parametrize("server", [[OK]], indirect=True)
@pytest.mark.parametrize(
    ("url_tail", "headers"),
    [
        ("?a=1 HTTP/1.1\r\nX-Injected: 1", None),
        ("", {"X-Note": "one\r\nX-Injected: 1"}),
        ("", {"Bad Name": "1"}),
        ("", {"Content-Length": "0"}),  # would contradict the one the transport writes
    ],
)
def test_a_request_that_would_break_its_framing_is_refused_before_sending(
    server: RawServer, url_tail: str, headers: dict[str, str] | None
) -> None:
    with _transport() as transport, pytest.raises(NetworkError) as refused:
        transport.exchange("GET", server.url + url_tail, None, headers)
    assert "could not be sent" in str(refused.value)
    assert server.requests == []


def test_a_constant_header_that_would_break_framing_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="line break"):
        _transport(headers={"User-Agent": "x\r\nX-Injected: 1"})


def test_headers_are_case_insensitive_and_a_repeated_name_keeps_its_first_value() -> None:
    headers = wire.Headers([(b"Retry-After", b" 3 "), (b"retry-after", b"9"), (b"X-A", b"b")])
    assert headers.get("RETRY-AFTER") == "3"
    assert headers["x-a"] == "b"
    assert "Location" not in headers
    assert headers.get("Location", "") == ""
    assert len(headers) == 2


@pytest.mark.parametrize(
    ("host", "port", "default", "expected"),
    [
        ("fps.amazonaws.com", 443, 443, "fps.amazonaws.com"),
        ("127.0.0.1", 8080, 80, "127.0.0.1:8080"),
        ("::1", 8443, 443, "[::1]:8443"),
        ("bücher.example", 80, 80, "xn--bcher-kva.example"),
    ],
)
def test_the_host_header_names_the_origin(
    host: str, port: int, default: int, expected: str
) -> None:
    assert wire.host_header(host, port, default) == expected
