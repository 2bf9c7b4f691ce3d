"""Hostile IPN parameters: Unicode, embedded newlines, duplicate keys (and later: a 10 MB body).

The IPNs come from the real sandbox, signed with its key, and are received by a loopback
capture server; fpsdesk's parser and verifier then judge them exactly as the app would.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from fpsdesk.ipn.models import IpnParseError, IpnVerdict
from fpsdesk.ipn.parse import parse_form, parse_query
from fpsdesk.ipn.verify import IpnVerifier, TrustPolicy
from fpsdesk.sandbox import SandboxServer
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
