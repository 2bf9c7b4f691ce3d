"""SigV2 (spec §2): the published vectors, properties over arbitrary Unicode, and a request
captured on the wire checked by an independent signer written here (not fpsdesk's)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import string
from collections.abc import Iterator
from urllib.parse import unquote, unquote_to_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.signing import (
    canonical_query,
    hmac_signature,
    host_for_signing,
    percent_encode,
    sign_request,
    string_to_sign,
)
from tests.core.fpsstub import CANCEL_XML, STATUS_XML, Recorded, Reply, StubServer

ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TXID = "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"
UNRESERVED = set(string.ascii_letters + string.digits + "-_.~")

# ---------------------------------------------------------------------------- vectors


def test_emr_published_vector() -> None:
    text = (
        "GET\nelasticmapreduce.amazonaws.com\n/\nAWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&"
        "Action=DescribeJobFlows&SignatureMethod=HmacSHA256&SignatureVersion=2&"
        "Timestamp=2011-10-03T15%3A19%3A30&Version=2009-03-31"
    )
    assert hmac_signature(SECRET, text, "HmacSHA256") == (
        "i91nKc4PWAt0JJIdXwz9HxZCJDdiy6cf/Mj6vPxyYIs="
    )
    params = {
        "AWSAccessKeyId": ACCESS,
        "Action": "DescribeJobFlows",
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": "2011-10-03T15:19:30",
        "Version": "2009-03-31",
    }
    assert string_to_sign("GET", "elasticmapreduce.amazonaws.com", "/", params) == text
    post = "POST" + text[3:]
    assert hmac_signature(SECRET, post, "HmacSHA256") == (
        "wseguMzBRgA/4/fan8ZwEa0PIF+ws4WFbTJcG1ts5RY="
    )


BASE = {
    "Action": "Cancel",
    "Description": "MyWish",
    "Timestamp": "2009-10-06T09:14:58.796Z",
    "TransactionId": TXID,
    "Version": "2008-09-17",
}
V1_CANONICAL = (
    "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Action=Cancel&Description=MyWish&"
    "SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2009-10-06T09%3A14%3A58.796Z&"
    "TransactionId=14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD&Version=2008-09-17"
)

VECTORS = [
    (
        "V1",
        "GET",
        "https://fps.sandbox.amazonaws.com/",
        {},
        "HmacSHA256",
        "jdzD2OCD6dKwBT6hc3x/DV532vyQJInilkvuDlQWBxA=",
    ),
    (
        "V2",
        "POST",
        "https://fps.sandbox.amazonaws.com/",
        {},
        "HmacSHA256",
        "x8XfRPwb+RjIyLbMImNnEukypLoXozZmBVrVPXW8vbc=",
    ),
    (
        "V3",
        "GET",
        "https://fps.sandbox.amazonaws.com/",
        {},
        "HmacSHA1",
        "/x4NYihKk/kv0Vbeo1JUQ7Wizeo=",
    ),
    (
        "V4",
        "POST",
        "https://localhost:8443/",
        {"Description": "Buyer changed mind ~ 50% * (é)/+ ok"},
        "HmacSHA256",
        "yNRRbwInVL5PrJfIwEEj+BLl/A5hOGTJgQYSfSQj6VM=",
    ),
    (
        "V5",
        "GET",
        "https://fps.sandbox.amazonaws.com/",
        {
            "Action": "GetTransactionStatus",
            "Timestamp": "2009-10-06T09:14:58Z",
            "TransactionId": "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM",
            "Description": None,
        },
        "HmacSHA256",
        "doMYttlztPsBN5f+Osav9Pe+QYpjVJNoN5Us98JYzss=",
    ),
    (
        "V6",
        "GET",
        "https://fps.sandbox.amazonaws.com/",
        {"Description": ""},
        "HmacSHA256",
        "7t6q+8Vvw39YOkxewP/nFMgjAcvUZPNynFVp5MlYxwQ=",
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "url", "changes", "sig_method", "expected"),
    VECTORS,
    ids=[v[0] for v in VECTORS],
)
def test_fps_vectors(
    name: str,
    method: str,
    url: str,
    changes: dict[str, str | None],
    sig_method: str,
    expected: str,
) -> None:
    params = dict(BASE)
    for key, value in changes.items():
        if value is None:
            params.pop(key)
        else:
            params[key] = value
    timestamp = params.pop("Timestamp")
    signed = sign_request(
        params,
        method=method,
        url=url,
        access_key_id=ACCESS,
        secret_key=SECRET,
        timestamp=timestamp,
        signature_method=sig_method,  # type: ignore[arg-type]
    )
    assert signed["Signature"] == expected
    # The independent signer below agrees on every vector.
    assert independent_signature(method, url, signed, SECRET) == expected
    if name == "V1":
        assert canonical_query(signed) == V1_CANONICAL
    if name == "V4":
        assert host_for_signing(url) == "localhost:8443"
        assert (
            "Description=Buyer%20changed%20mind%20~%2050%25%20%2A%20%28%C3%A9%29%2F%2B%20ok"
            in canonical_query(signed)
        )


def test_host_for_signing_ports() -> None:
    assert host_for_signing("https://FPS.Sandbox.AmazonAWS.com:443/") == (
        "fps.sandbox.amazonaws.com"
    )
    assert host_for_signing("http://127.0.0.1:80/") == "127.0.0.1"
    assert host_for_signing("http://127.0.0.1:8080/") == "127.0.0.1:8080"
    assert host_for_signing("https://localhost:8443/") == "localhost:8443"


# ---------------------------------------------------------------------------- properties

any_text = st.text(st.characters(codec="utf-8"), max_size=40)


@given(any_text)
def test_percent_encode_round_trips(value: str) -> None:
    encoded = percent_encode(value)
    assert unquote(encoded, encoding="utf-8", errors="strict") == value
    assert unquote_to_bytes(encoded) == value.encode("utf-8")


@given(any_text)
def test_only_unreserved_characters_stay_literal(value: str) -> None:
    encoded = percent_encode(value)
    index = 0
    while index < len(encoded):
        char = encoded[index]
        if char == "%":
            hex_pair = encoded[index + 1 : index + 3]
            assert len(hex_pair) == 2
            assert hex_pair == hex_pair.upper()
            assert chr(int(hex_pair, 16)) not in UNRESERVED
            index += 3
        else:
            assert char in UNRESERVED
            index += 1
    assert "+" not in encoded


@given(st.dictionaries(any_text, any_text, max_size=8))
def test_canonical_order_is_byte_order(params: dict[str, str]) -> None:
    query = canonical_query(params)
    pairs = [p.split("=", 1) for p in query.split("&")] if query else []
    names = [unquote_to_bytes(name) for name, _ in pairs]
    assert names == sorted(name.encode("utf-8") for name in params if name != "Signature")
    for name, value in pairs:
        key = unquote_to_bytes(name).decode("utf-8")
        assert unquote_to_bytes(value).decode("utf-8") == params[key]


@given(
    st.dictionaries(any_text.filter(lambda s: s != "Signature"), any_text, max_size=6),
    st.sampled_from(["GET", "POST"]),
    st.sampled_from(["HmacSHA256", "HmacSHA1"]),
)
def test_signer_agrees_with_independent_signer(
    params: dict[str, str], method: str, sig_method: str
) -> None:
    signed = sign_request(
        params,
        method=method,
        url="http://127.0.0.1:8080/",
        access_key_id=ACCESS,
        secret_key=SECRET,
        timestamp="2020-01-01T00:00:00.000Z",
        signature_method=sig_method,  # type: ignore[arg-type]
    )
    assert signed["Signature"] == independent_signature(
        method, "http://127.0.0.1:8080/", signed, SECRET
    )


# ---------------------------------------------------------------------------- on the wire
# An independent SigV2 implementation: different encoding routine, different sort, no shared
# code with fpsdesk.fps.signing.

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _rfc3986(text: str) -> str:
    return "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in text.encode("utf-8"))


def independent_signature(method: str, url: str, params: dict[str, str], secret: str) -> str:
    scheme, rest = url.split("://", 1)
    hostport, _, path = rest.partition("/")
    host = hostport.lower()
    if (scheme == "https" and host.endswith(":443")) or (scheme == "http" and host.endswith(":80")):
        host = host.rsplit(":", 1)[0]
    items = sorted(
        ((k.encode("utf-8"), v.encode("utf-8")) for k, v in params.items() if k != "Signature"),
    )
    query = "&".join(
        _rfc3986(k.decode("utf-8")) + "=" + _rfc3986(v.decode("utf-8")) for k, v in items
    )
    text = f"{method}\n{host}\n/{path}\n{query}"
    digest = hashlib.sha1 if params.get("SignatureMethod") == "HmacSHA1" else hashlib.sha256
    mac = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), digest).digest()
    return base64.b64encode(mac).decode()


def _verify_wire(request: Recorded, host_header_url: str) -> None:
    params = dict(request.params)
    assert len(params) == len(request.params), "a parameter was sent twice"
    host = request.headers["Host"]
    assert host_header_url.split("://", 1)[1].rstrip("/") == host
    expected = independent_signature(request.method, f"http://{host}/", params, SECRET)
    assert params["Signature"] == expected


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("sig_method", ["HmacSHA256", "HmacSHA1"])
def test_request_captured_on_the_wire_verifies_independently(
    stub: StubServer, method: str, sig_method: str
) -> None:
    stub.push(Reply(body=CANCEL_XML))
    reason = "Buyer changed mind ~ 50% * (é)/+ ok & more=yes 日本"
    with FpsClient(
        stub.url,
        ACCESS,
        SECRET,
        http_method=method,
        signature_method=sig_method,  # type: ignore[arg-type]
    ) as client:
        client.cancel(TXID, reason)
    (request,) = stub.requests
    assert request.method == method
    params = dict(request.params)
    assert params["Description"] == reason
    assert params["SignatureMethod"] == sig_method
    _verify_wire(request, stub.url)
    # Tampering with one byte breaks it: the check above can fail.
    params["Description"] = reason + "!"
    assert independent_signature(method, stub.url, params, SECRET) != params["Signature"]


def test_empty_value_is_sent_and_signed(stub: StubServer) -> None:
    stub.push(Reply(body=CANCEL_XML))
    with FpsClient(stub.url, ACCESS, SECRET) as client:
        client.cancel(TXID, "")
    (request,) = stub.requests
    assert ("Description", "") in request.params
    _verify_wire(request, stub.url)


def test_post_body_uses_rfc3986_encoding(stub: StubServer) -> None:
    stub.push(Reply(body=STATUS_XML))
    with FpsClient(stub.url, ACCESS, SECRET) as client:
        client.get_transaction_status("14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM")
    body = stub.requests[0].body.decode("ascii")
    assert "Timestamp=" in body
    assert "%3A" in body.split("Timestamp=", 1)[1].split("&", 1)[0]
    assert "+" not in body.replace("%2B", "")
