# ruff: noqa: E501  (the spec samples are kept byte for byte)
"""A tiny loopback HTTP server that replays canned FPS answers and hostile bodies.

Used only for the spec's sample documents and for misbehaviour the real sandbox should not be
asked to produce (a 50 MiB body, a DOCTYPE, a body that drips). Everything else talks to the
sandbox. It records every request exactly as it arrived on the wire.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from tests.fixtures.serving import ServerThread


@dataclass
class Reply:
    """What the stub sends back for one request."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/xml"})
    delay: float = 0.0  # seconds to wait before answering at all
    drip: float | None = None  # send the body in pieces of drip_size with this pause between
    drip_size: int = 16
    chunks: Callable[[], Iterable[bytes]] | None = None  # streamed, chunked transfer encoding
    drop: bool = False  # close the connection without any answer
    declare_length: bool = True
    head_drip: float | None = None  # send the status line and headers a byte at a time


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def params(self) -> list[tuple[str, str]]:
        """The request parameters as the server decodes them (query or form body)."""
        raw = self.query if self.method == "GET" else self.body.decode("utf-8")
        return parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw))

    @property
    def param_dict(self) -> dict[str, str]:
        return dict(self.params)


class StubServer:
    """``with StubServer() as stub: stub.push(Reply(...)); client(stub.url)...``"""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._replies: deque[Reply] = deque()
        self.default: Reply | None = None
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(
                    self.command, parts.path, parts.query, dict(self.headers.items()), body
                )
                with stub._lock:
                    stub.requests.append(recorded)
                    reply = stub._replies.popleft() if stub._replies else stub.default
                if reply is None:
                    reply = Reply(status=599, body=b"no reply queued")
                with contextlib.suppress(ConnectionError):
                    stub._answer(self, reply)
                self.close_connection = True

            do_GET = _handle
            do_POST = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._running = ServerThread(server, start=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._running.port}/"

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def count(self, action: str | None = None) -> int:
        with self._lock:
            recorded = list(self.requests)
        if action is None:
            return len(recorded)
        return sum(1 for r in recorded if r.param_dict.get("Action") == action)

    def start(self) -> StubServer:
        self._running.start()
        return self

    def stop(self) -> None:
        self._running.stop()

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            handler.close_connection = True
            handler.connection.close()
            return
        if reply.head_drip is not None:
            head = f"HTTP/1.1 {reply.status} OK\r\nX-Slow: " + "y" * 4000 + "\r\n\r\n"
            for byte in head.encode():
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(reply.head_drip)
            return
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("Connection", "close")
        if reply.chunks is not None:
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            for chunk in reply.chunks():
                handler.wfile.write(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
            handler.wfile.write(b"0\r\n\r\n")
            return
        if reply.declare_length:
            handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        if reply.drip is None:
            handler.wfile.write(reply.body)
            return
        for start in range(0, len(reply.body), reply.drip_size):
            handler.wfile.write(reply.body[start : start + reply.drip_size])
            handler.wfile.flush()
            time.sleep(reply.drip)


def repeat(chunk: bytes, times: int) -> Callable[[], Iterator[bytes]]:
    """A chunk source that sends the same bytes object ``times`` times (no big allocation)."""

    def source() -> Iterator[bytes]:
        for _ in range(times):
            yield chunk

    return source


# The spec's samples (§3.1, §3.2, §3.3, §3.8, §5), byte for byte where the spec gives them.
CANCEL_XML = b"""<CancelResponse xmlns="http://fps.amazonaws.com/doc/2008-09-17/">
  <CancelResult>
    <TransactionId>14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD</TransactionId>
    <TransactionStatus>Cancelled</TransactionStatus>
  </CancelResult>
  <ResponseMetadata><RequestId>6fe4b755-a328-419d-8967-e1d3b43779fc:0</RequestId></ResponseMetadata>
</CancelResponse>"""

STATUS_XML = b"""<GetTransactionStatusResponse xmlns="http://fps.amazonaws.com/doc/2008-09-17/">
  <GetTransactionStatusResult>
    <TransactionId>14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM</TransactionId>
    <TransactionStatus>Success</TransactionStatus>
    <CallerReference>CallerReference07</CallerReference>
    <StatusCode>Success</StatusCode>
    <StatusMessage>The transaction was successful and the payment instrument was charged.</StatusMessage>
  </GetTransactionStatusResult>
  <ResponseMetadata><RequestId>13279842-6f84-41ef-ae36-c1ededaf278d:0</RequestId></ResponseMetadata>
</GetTransactionStatusResponse>"""

# §3.3's sample, with a RelatedTransaction and an Amount in one StatusHistory added so that
# every optional element is exercised (the spec's sample is abridged).
TRANSACTION_XML = b"""<GetTransactionResponse xmlns="http://fps.amazonaws.com/doc/2008-09-17/"><GetTransactionResult><Transaction>
  <TransactionId>14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL</TransactionId><CallerReference>CallerReference02</CallerReference>
  <CallerDescription>MyWish</CallerDescription>
  <SenderDescription>For the cake</SenderDescription>
  <DateReceived>2009-10-05T22:50:08.010-07:00</DateReceived><DateCompleted>2009-10-05T22:50:09.086-07:00</DateCompleted>
  <TransactionAmount><CurrencyCode>USD</CurrencyCode><Value>1.000000</Value></TransactionAmount>
  <FPSFees><CurrencyCode>USD</CurrencyCode><Value>0.100000</Value></FPSFees>
  <MarketplaceFees><CurrencyCode>USD</CurrencyCode><Value>0</Value></MarketplaceFees>
  <FPSFeesPaidBy>Recipient</FPSFeesPaidBy>
  <SenderTokenId>553ILMLCG6Z8J431H7BX3UMN3FFQU8VSNTSRNCTAASDJNX66LNZLKSZU3PI7TXIH</SenderTokenId>
  <RecipientTokenId>R53ILMLCG6Z8J431H7BX3UMN3FFQU8VSNTSRNCTAASDJNX66LNZLKSZU3PI7TXIH</RecipientTokenId>
  <PrepaidInstrumentId>P1</PrepaidInstrumentId><CreditInstrumentId>C1</CreditInstrumentId>
  <FPSOperation>Pay</FPSOperation><PaymentMethod>CC</PaymentMethod>
  <TransactionStatus>Success</TransactionStatus><StatusCode>Success</StatusCode>
  <StatusMessage>The transaction was successful and the payment instrument was charged.</StatusMessage>
  <SenderName>Test Business</SenderName><SenderEmail>new_premium@amazon.com</SenderEmail>
  <CallerName>Test Business</CallerName><RecipientName>Test Business</RecipientName><RecipientEmail>test-caller@amazon.com</RecipientEmail>
  <RelatedTransaction><TransactionId>14GKJZ7MBQN1ZT6JLI1D3IUAPRQ4C1PBBPS</TransactionId><RelationType>Refund</RelationType></RelatedTransaction>
  <StatusHistory><Date>2009-10-05T22:50:08.092-07:00</Date><TransactionStatus>Pending</TransactionStatus><StatusCode>PendingNetworkResponse</StatusCode></StatusHistory>
  <StatusHistory><Date>2009-10-05T22:50:09.086-07:00</Date><TransactionStatus>Success</TransactionStatus><StatusCode>Success</StatusCode><Amount><CurrencyCode>USD</CurrencyCode><Value>1.000000</Value></Amount></StatusHistory>
</Transaction></GetTransactionResult><ResponseMetadata><RequestId>0702960e-8221-4e04-9413-ca7d010d3b06:0</RequestId></ResponseMetadata></GetTransactionResponse>"""

VERIFY_XML = b"""<VerifySignatureResponse xmlns="http://fps.amazonaws.com/doc/2008-09-17/">
  <VerifySignatureResult><VerificationStatus>Success</VerificationStatus></VerifySignatureResult>
  <ResponseMetadata><RequestId>197e2085-1ed7-47a2-93d8-d76b452acc74:0</RequestId></ResponseMetadata>
</VerifySignatureResponse>"""

ERROR_RESPONSE_XML = b"""<?xml version="1.0"?>
<Response><Errors><Error><Code>InvalidParams</Code><Message>transactionId has to be a valid transaction ID. Specified value: FAKE</Message></Error></Errors><RequestID>50ca0b2f-9435-4852-a889-89d144c07ff6</RequestID></Response>"""

ERROR_WSDL_XML = b"""<ErrorResponse xmlns="http://fps.amazonaws.com/doc/2008-09-17/">
  <Error><Type>Sender</Type><Code>InvalidTransactionState</Code>
  <Message>The transaction is not in a state that allows cancellation.</Message><Detail/></Error>
  <RequestId>a3f1c2d4-0000-4000-8000-000000000001:0</RequestId>
</ErrorResponse>"""


def error_xml(code: str, message: str = "message", request_id: str = "req-1") -> bytes:
    return (
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        f"</Errors><RequestID>{request_id}</RequestID></Response>"
    ).encode()
