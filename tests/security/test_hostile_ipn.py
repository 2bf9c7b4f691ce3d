"""Hostile IPNs: Unicode, embedded newlines, duplicate keys, and a 10 MB body.

The IPNs come from the real sandbox, signed with its key, and are received by a loopback
capture server; fpsdesk's parser and verifier then judge them exactly as the app would.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

from fpsdesk.ipn.parse import parse_form, parse_query
from fpsdesk.ipn.receiver import ReceiverServer, make_app
from fpsdesk.ipn.verify import IpnVerifier, TrustPolicy
from fpsdesk.records.ipn import IpnParseError, IpnVerdict
from fpsdesk.sandbox import SandboxServer
from fpsdesk.store.db import open_database
from fpsdesk.store.ipns import IpnStore
from tests.fixtures.sandbox import IpnCapture

HOSTILE_NAME = "Zoë O'Brien\u202e\nLine two\r\nLine three\t🚀 ﷽ \x00end"
HOSTILE_REASON = "Bücher & <b>tags</b> = 100%; a+b?c=d&e\n\nΣ"


def _delivered(sandbox: SandboxServer, capture: IpnCapture, **fields: str) -> bytes:
    sandbox.set_ipn_urls([capture.url])
    sandbox.create_transaction(status="Reserved", notify=True, **fields)
    assert capture.wait_for(1), "the sandbox did not deliver the IPN"
    return capture.received[0].body


def _verifier(sandbox: SandboxServer) -> IpnVerifier:
    return IpnVerifier(TrustPolicy.for_endpoint(sandbox.url))


def test_unicode_and_newlines_survive_and_verify(
    sandbox: SandboxServer, ipn_capture: IpnCapture
) -> None:
    body = _delivered(
        sandbox, ipn_capture, sender_name=HOSTILE_NAME, caller_description=HOSTILE_REASON
    )
    ipn = parse_form(body)
    assert ipn.buyer_name == HOSTILE_NAME  # verbatim: no trimming, no newline folding
    assert ipn.payment_reason == HOSTILE_REASON
    verdict = _verifier(sandbox).verify(ipn, ipn_capture.url)
    assert verdict.status is IpnVerdict.VERIFIED, verdict.reason


@pytest.mark.parametrize(
    ("old", "new"),
    [("%0A", "%0D%0A"), ("%0A", ""), ("Zo%C3%AB", "Zoe"), ("%E2%80%AE", "")],
    ids=["lf-to-crlf", "newline-dropped", "accent-dropped", "rtl-override-dropped"],
)
def test_any_change_to_unicode_or_newlines_fails_verification(
    sandbox: SandboxServer, ipn_capture: IpnCapture, old: str, new: str
) -> None:
    body = _delivered(sandbox, ipn_capture, sender_name=HOSTILE_NAME)
    tampered = body.replace(old.encode(), new.encode(), 1)
    assert tampered != body
    verdict = _verifier(sandbox).verify(parse_form(tampered), ipn_capture.url)
    assert verdict.status is IpnVerdict.FAILED


@pytest.mark.parametrize(
    "extra",
    [
        "transactionStatus=SUCCESS",  # the classic: a second status after the signed one
        "TransactionStatus=SUCCESS",  # same name, other case
        "signature=AAAA",
        "buyerName=Mallory",
    ],
)
def test_duplicate_keys_rejected_not_guessed(
    sandbox: SandboxServer, ipn_capture: IpnCapture, extra: str
) -> None:
    body = _delivered(sandbox, ipn_capture, sender_name="Alice")
    for hostile in (body + b"&" + extra.encode(), extra.encode() + b"&" + body):
        with pytest.raises(IpnParseError, match="more than once"):
            parse_form(hostile)
        with pytest.raises(IpnParseError, match="more than once"):
            parse_query("https://merchant.example/ipn?" + hostile.decode())


@pytest.mark.parametrize(
    "body",
    [
        b"notificationType=TransactionStatus&transactionId=%FF%FE&x=1",  # not UTF-8
        b"notificationType=TransactionStatus&bad%0Aname=1",  # newline in a name
        b"notificationType=TransactionStatus&=empty",
        b"notificationType=TransactionStatus&transactionId=" + quote("ABC\u202eDEF").encode(),
        b"notificationType=TransactionStatus&transactionId=" + b"A" * 10_000,
        b"&".join(b"p%d=v" % n for n in range(1000)),
    ],
    ids=["bad-utf8", "newline-in-name", "empty-name", "rtl-in-id", "10k-id", "1000-params"],
)
def test_malformed_parameters_rejected_with_a_reason(body: bytes) -> None:
    with pytest.raises(IpnParseError) as caught:
        parse_form(body)
    assert str(caught.value)
    assert len(str(caught.value)) < 500  # the message never echoes a huge input back


# -- the receiver -----------------------------------------------------------------------------


@pytest.fixture
def receiver(sandbox: SandboxServer, tmp_path: Path) -> Iterator[tuple[ReceiverServer, IpnStore]]:
    """The real IPN receiver (WSGI app on the stdlib server) with a real SQLite file."""
    store = IpnStore(open_database(tmp_path / "ipns.sqlite3"))
    app = make_app(store=store, fps_endpoint=sandbox.url)
    server = ReceiverServer(app).start()
    try:
        yield server, store
    finally:
        server.stop()


def _raw_post(url: str, headers: list[str], body_chunks: Iterator[bytes]) -> tuple[int, int]:
    """POST over a raw socket; returns (HTTP status, bytes of body sent before the answer)."""
    parts = urlsplit(url)
    sent = 0
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        head = "POST /ipn HTTP/1.1\r\nHost: {}\r\n{}\r\n".format(
            parts.netloc, "".join(h + "\r\n" for h in headers)
        )
        sock.sendall(head.encode())
        sock.setblocking(False)
        answer = b""
        for chunk in body_chunks:
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sock.setblocking(True)
                sock.settimeout(5)
                sock.sendall(chunk)
                sent += len(chunk)
                sock.setblocking(False)
            except OSError:  # the receiver closed its side: it refused the rest
                break
        sock.setblocking(True)
        sock.settimeout(30)
        while b"\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent


def _ten_mb() -> Iterator[bytes]:
    chunk = b"notificationType=TransactionStatus&buyerName=" + b"A" * (1024 * 1024 - 45)
    for _ in range(10):
        yield chunk


def test_ten_megabyte_ipn_rejected_unread(
    receiver: tuple[ReceiverServer, IpnStore],
) -> None:
    server, store = receiver
    status, sent = _raw_post(
        server.url,
        ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {10 * 1024 * 1024}"],
        _ten_mb(),
    )
    assert status == 413
    assert sent < 10 * 1024 * 1024  # answered from the Content-Length, before the body came
    assert store.count() == 0
    assert store.quarantine_count() == 0  # not even quarantined: it was never read


def test_ten_megabyte_ipn_without_content_length_rejected(
    receiver: tuple[ReceiverServer, IpnStore],
) -> None:
    server, store = receiver
    status, _ = _raw_post(
        server.url,
        ["Content-Type: application/x-www-form-urlencoded", "Transfer-Encoding: chunked"],
        (b"%x\r\n%s\r\n" % (len(c), c) for c in _ten_mb()),
    )
    assert status in (411, 413)
    assert store.count() == 0


def test_ten_megabyte_ipn_with_requests_is_refused(
    receiver: tuple[ReceiverServer, IpnStore],
) -> None:
    """A plain client that sends the whole body anyway gets a 413 or a closed connection;
    either way nothing is stored and the receiver never holds the body in memory."""
    server, store = receiver
    body = b"".join(_ten_mb())
    try:
        answer = requests.post(
            server.url,
            data=body,
            timeout=30,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    except requests.exceptions.ConnectionError:
        pass  # the receiver closed after its 413 while the client was still sending
    else:
        assert answer.status_code == 413
    assert store.count() == 0
    assert store.quarantine_count() == 0


def test_signed_hostile_unicode_ipn_stored_verbatim_and_verified(
    sandbox: SandboxServer, receiver: tuple[ReceiverServer, IpnStore]
) -> None:
    server, store = receiver
    sandbox.set_ipn_urls([server.url + "ipn"])
    txid = sandbox.create_transaction(
        status="Reserved", notify=True, sender_name=HOSTILE_NAME, caller_description=HOSTILE_REASON
    )
    assert sandbox.wait_for_ipns(10)
    records = store.for_transaction(txid)
    assert len(records) == 1
    assert records[0].get("buyerName") == HOSTILE_NAME
    assert records[0].get("paymentReason") == HOSTILE_REASON
    assert records[0].verdict is IpnVerdict.VERIFIED


def test_duplicate_key_post_is_quarantined_not_stored(
    sandbox: SandboxServer, ipn_capture: IpnCapture, receiver: tuple[ReceiverServer, IpnStore]
) -> None:
    server, store = receiver
    body = _delivered(sandbox, ipn_capture, sender_name="Alice")
    answer = requests.post(
        server.url + "ipn",
        data=body + b"&transactionStatus=SUCCESS",
        timeout=30,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400
    assert "more than once" in answer.text
    assert store.count() == 0
    assert store.quarantine_count() == 1
