"""One HTTP/1.1 exchange on an open socket: the request head written whole, the answer parsed
by llhttp (the parser Node.js uses, through ``httptools``).

http.client builds a request header by header and parses the answer's head with the e-mail
package; on loopback those two cost more of the client's CPU than the server's answer took to
arrive. Here the head is one formatted string sent with the body in one ``sendall``, and the
answer is fed to llhttp as it arrives. llhttp is also stricter than http.client where strictness
protects the client: two Content-Length headers, Content-Length beside chunked encoding, bare
LF line ends and folded headers are refused, never guessed at.

The caller (:mod:`fpsdesk.fps.transport`) opens the connection and classifies failures; this
module only moves bytes, within the limits it is given, and raises :class:`WireError` saying
how far the exchange got.
"""

from __future__ import annotations

import re
import socket
import time
import zlib
from collections.abc import Iterator, Mapping
from typing import overload

import httptools

MAX_HEAD_BYTES = 64 * 1024  # the answer's status line and headers together (http.client: per line)
MAX_HEADERS = 100  # as http.client
READ_SIZE = 64 * 1024

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(r"[\x00\r\n]")
_BAD_TARGET = re.compile(r"[\x00-\x20\x7f]")
_EXPECTS_BODY = frozenset({"POST", "PUT", "PATCH"})
# Framing is this module's alone: a caller's own value could contradict what is sent.
_FRAMING = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class Headers(Mapping[str, str]):
    """An answer's headers; names are case-insensitive, and a repeated name keeps its first
    value (as ``email.message.Message.get`` did)."""

    __slots__ = ("_values",)

    def __init__(self, pairs: list[tuple[bytes, bytes]] = []) -> None:  # noqa: B006 - not mutated
        values: dict[str, str] = {}
        for name, value in pairs:
            values.setdefault(name.decode("latin-1").lower(), value.decode("latin-1").strip())
        self._values = values

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    @overload  # type: ignore[override]
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        return self._values.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Headers({self._values!r})"


class WireError(Exception):
    """The exchange failed. ``stage`` says how far it got: "send", "head" (no complete head
    yet) or "body"; ``kind`` what happened: "timeout" (one receive waited longer than the
    socket's timeout), "deadline" (the exchange's deadline passed), "closed" (the server closed
    the connection early) or "error" (a socket error, its exception the ``__cause__``, or an
    answer that is not valid HTTP)."""

    def __init__(self, stage: str, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.stage = stage
        self.kind = kind
        self.detail = detail


class Oversize(Exception):
    """The answer's body is, or declares itself, larger than the limit."""

    def __init__(self, status: int, declared: int | None) -> None:
        super().__init__(f"status {status}, declared {declared}")
        self.status = status
        self.declared = declared


def check_request(target: str, headers: Mapping[str, str]) -> None:
    """Refuse what would break the request's framing (raises ValueError): a target with spaces
    or control characters, a header name that is not a token, a value with CR, LF or NUL, and
    the headers that frame the request (Host, Content-Length, Transfer-Encoding, Connection),
    which :func:`request_bytes` writes itself."""
    if not target or _BAD_TARGET.search(target):
        raise ValueError(f"the request target {target[:80]!r} has spaces or control characters")
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"the header name {name[:40]!r} is not valid")
        if name.lower() in _FRAMING:
            raise ValueError(f"the {name} header is set by the transport, not by its caller")
        if _BAD_VALUE.search(value):
            raise ValueError(f"the value of the {name} header contains a line break")


def host_header(host: str, port: int, default_port: int) -> str:
    """The Host header for ``host``:``port`` (IPv6 in brackets, IDNA for non-ASCII names)."""
    shown = f"[{host}]" if ":" in host else host
    try:
        shown.encode("ascii")
    except UnicodeEncodeError:
        shown = shown.encode("idna").decode("ascii")
    return shown if port == default_port else f"{shown}:{port}"


def request_bytes(
    method: str, target: str, host: str, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    """The request's head (and its body): headers as given, then Content-Length where a body
    is sent or expected, and ``Accept-Encoding: identity`` unless an encoding is offered."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    if not any(name.lower() == "accept-encoding" for name in headers):
        lines.append("Accept-Encoding: identity")
    if body is not None or method in _EXPECTS_BODY:
        lines.append(f"Content-Length: {len(body) if body is not None else 0}")
    lines.append("\r\n")
    head = "\r\n".join(lines).encode("latin-1")
    return head + body if body else head


class _Reader:
    """llhttp's callbacks for one answer: collects the head and the (decoded, capped) body.

    Callbacks never raise (httptools would wrap the exception): they set flags that
    :func:`exchange` checks after each piece fed."""

    def __init__(self, limit: int) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.limit = limit
        self.pairs: list[tuple[bytes, bytes]] = []
        self.head_size = 0  # bytes of the headers, counted as llhttp hands them over
        self.headers: Headers | None = None  # set when the final answer's head is complete
        self.chunks: list[bytes] = []
        self.total = 0
        self.decoder: zlib._Decompress | None = None
        self.declared: int | None = None
        self.framed = False  # Content-Length or chunked: the end is known without EOF
        self.keep_alive = False
        self.complete = False
        self.oversize = False
        self.too_many_headers = False
        self.inflate_error: str | None = None
        self.extra = False  # bytes after the answer: the connection cannot be reused

    # -- llhttp callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.complete:
            self.extra = True

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.complete:
            return
        self.head_size += len(name) + len(value) + 4
        if len(self.pairs) >= MAX_HEADERS:
            self.too_many_headers = True
            return
        self.pairs.append((name, value))

    def on_headers_complete(self) -> None:
        if self.complete or self.parser.get_status_code() < 200:
            return  # 100 Continue and other interim answers: the real one follows
        headers = Headers(self.pairs)
        self.headers = headers
        self.keep_alive = self.parser.should_keep_alive()
        length = headers.get("Content-Length") or ""
        # llhttp has refused anything but ASCII digits already; isdigit() alone takes "²".
        self.declared = int(length) if length.isascii() and length.isdigit() else None
        chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
        self.framed = self.declared is not None or chunked
        if self.declared is not None and self.declared > self.limit:
            self.oversize = True
        self.decoder = _decoder(headers.get("Content-Encoding") or "")

    def on_body(self, piece: bytes) -> None:
        if self.complete or self.oversize or self.inflate_error is not None:
            return
        if self.decoder is not None:
            try:
                # At most one byte past the limit is ever inflated: a bomb stays small.
                piece = self.decoder.decompress(piece, self.limit - self.total + 1)
            except zlib.error as exc:
                self.inflate_error = str(exc)
                return
        self.total += len(piece)
        if self.total > self.limit:
            self.oversize = True
            return
        self.chunks.append(piece)

    def on_message_complete(self) -> None:
        if self.complete:
            return
        if self.headers is None:  # an interim answer ended: start over for the real one
            self.pairs = []
            return
        self.keep_alive = self.keep_alive and self.parser.should_keep_alive()
        self.complete = True

    # -- after the last piece -------------------------------------------------------------

    def finished(self) -> bool:
        return self.complete

    def body(self) -> bytes:
        if self.decoder is not None:  # all input was taken (else the cap was hit)
            rest = self.decoder.flush()
            self.total += len(rest)
            if self.total > self.limit:
                raise Oversize(self.status, None)
            self.chunks.append(rest)
        return b"".join(self.chunks)

    @property
    def status(self) -> int:
        return self.parser.get_status_code()


def exchange(
    sock: socket.socket, request: bytes, *, limit: int, deadline: float
) -> tuple[int, Headers, bytes, bool]:
    """Send ``request`` and read the answer: (status, headers, body, keep the connection?).

    Raises :class:`WireError` saying how far the exchange got, or :class:`Oversize`. The
    deadline (a ``time.monotonic()`` value) is checked between receives; a receive that blocks
    is the caller's to cut (it shuts the socket down, and the receive returns)."""
    try:
        sock.sendall(request)
    except TimeoutError:
        raise WireError("send", "timeout") from None
    except OSError as exc:
        raise WireError("send", "error") from exc
    reader = _Reader(limit)
    buffer = bytearray(READ_SIZE)
    view = memoryview(buffer)
    head_bytes = 0
    while not reader.finished():
        stage = "head" if reader.headers is None else "body"
        if time.monotonic() > deadline:
            raise WireError(stage, "deadline")
        try:
            received = sock.recv_into(buffer)
        except TimeoutError:
            raise WireError(stage, "timeout") from None
        except OSError as exc:
            raise WireError(stage, "error") from exc
        if not received:
            if reader.headers is not None and not reader.framed:
                reader.keep_alive = False  # the body ended with the connection, as HTTP/1.0 may
                break
            if head_bytes == 0:
                raise WireError(
                    stage, "closed", "the server closed the connection without answering"
                )
            raise WireError(
                stage, "closed", "the server closed the connection before the answer was complete"
            )
        if reader.headers is None:
            head_bytes += received
        try:
            reader.parser.feed_data(view[:received])
        except httptools.HttpParserError as exc:
            if not reader.finished():
                raise WireError(stage, "error", f"the answer is not valid HTTP: {exc}") from None
            reader.extra = True
        if reader.too_many_headers:
            raise WireError("head", "error", f"the answer has more than {MAX_HEADERS} headers")
        if max(reader.head_size, 0 if reader.headers else head_bytes) > MAX_HEAD_BYTES:
            raise WireError(
                "head", "error", f"the answer's head is larger than {MAX_HEAD_BYTES:,} bytes"
            )
        if reader.oversize:
            raise Oversize(reader.status, reader.declared)
        if reader.inflate_error is not None:
            raise WireError(
                "body", "error", f"the compressed answer is corrupt ({reader.inflate_error})"
            )
    assert reader.headers is not None
    body = reader.body()
    return reader.status, reader.headers, body, reader.keep_alive and not reader.extra


def _decoder(content_encoding: str) -> zlib._Decompress | None:
    """A decompressor for a gzip or deflate answer (the encodings the client accepts)."""
    encoding = content_encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    return None
