"""SigV2 as the sandbox checks it, tested with an independent signer (tests/sandbox/sigv2.py).

A request signed by that signer is accepted as GET and POST, with the Host header with or
without the port; changing any one character of the request (query, body or Host) is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest

from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.sandbox import sigv2

FIXED_ID = "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM"
FIXED_HOST = "127.0.0.1"  # signed without the port: the SDK style
FIXED_EXPIRES = "2099-01-01T00:00:00Z"


def _fixed_params(method: str) -> dict[str, str]:
    params = {
        "Action": "GetTransactionStatus",
        "AWSAccessKeyId": DEFAULT_ACCESS_KEY,
        "Expires": FIXED_EXPIRES,
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "TransactionId": FIXED_ID,
        "Version": "2008-09-17",
    }
    params["Signature"] = sigv2.signature(DEFAULT_SECRET_KEY, method, FIXED_HOST, "/", params)
    return params


FIXED_GET = sigv2.encode(_fixed_params("GET"))
FIXED_POST = sigv2.encode(_fixed_params("POST"))


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[SandboxServer]:
    """One server for the hundreds of one-character mutations (they change nothing)."""
    with SandboxServer() as server:
        server.create_transaction(transaction_id=FIXED_ID, status="Reserved")
        yield server


def test_independent_signer_reproduces_the_spec_vectors() -> None:
    base = {
        "AWSAccessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "Action": "Cancel",
        "Description": "MyWish",
        "SignatureVersion": "2",
        "Timestamp": "2009-10-06T09:14:58.796Z",
        "TransactionId": "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD",
        "Version": "2008-09-17",
    }
    v1 = {**base, "SignatureMethod": "HmacSHA256"}
    v3 = {**base, "SignatureMethod": "HmacSHA1"}
    host = "fps.sandbox.amazonaws.com"
    assert sigv2.signature(DEFAULT_SECRET_KEY, "GET", host, "/", v1) == (
        "jdzD2OCD6dKwBT6hc3x/DV532vyQJInilkvuDlQWBxA="
    )
    assert sigv2.signature(DEFAULT_SECRET_KEY, "POST", host, "/", v1) == (
        "x8XfRPwb+RjIyLbMImNnEukypLoXozZmBVrVPXW8vbc="
    )
    assert sigv2.signature(DEFAULT_SECRET_KEY, "GET", host, "/", v3, "HmacSHA1") == (
        "/x4NYihKk/kv0Vbeo1JUQ7Wizeo="
    )


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("header_port", "signed_port"),
    [(True, True), (False, False), (True, False)],
    ids=["host:port", "host", "sent-with-port-signed-without (SDK style)"],
)
@pytest.mark.parametrize("algorithm", ["HmacSHA256", "HmacSHA1"])
def test_independently_signed_request_is_accepted(
    sandbox: SandboxServer, method: str, header_port: bool, signed_port: bool, algorithm: str
) -> None:
    txn_id = sandbox.create_transaction(status="Reserved", caller_reference="ref-é ~*")
    with_port = f"127.0.0.1:{sandbox.port}"
    params = sigv2.signed_params(
        "GetTransactionStatus",
        {"TransactionId": txn_id},
        access_key=DEFAULT_ACCESS_KEY,
        secret=DEFAULT_SECRET_KEY,
        method=method,
        host=with_port if signed_port else "127.0.0.1",
        algorithm=algorithm,
    )
    status, content_type, body = sigv2.send_raw(
        sandbox.url, method, sigv2.encode(params), with_port if header_port else "127.0.0.1"
    )
    assert status == 200, body
    assert content_type.startswith("text/xml")
    assert "<TransactionStatus>Reserved</TransactionStatus>" in body
    assert "<CallerReference>ref-é ~*</CallerReference>" in body


def test_cancel_signed_independently_with_odd_characters_in_the_description(
    sandbox: SandboxServer,
) -> None:
    txn_id = sandbox.create_transaction(status="Pending")
    host = f"127.0.0.1:{sandbox.port}"
    description = "Buyer changed mind ~ 50% * (é)/+ ok & more=yes"
    params = sigv2.signed_params(
        "Cancel",
        {"TransactionId": txn_id, "Description": description},
        access_key=DEFAULT_ACCESS_KEY,
        secret=DEFAULT_SECRET_KEY,
        method="POST",
        host=host,
    )
    status, _, body = sigv2.send_raw(sandbox.url, "POST", sigv2.encode(params), host)
    assert status == 200, body
    assert sandbox.transaction(txn_id)["cancel_description"] == description


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_fixed_request_is_accepted_unchanged(shared_sandbox: SandboxServer, method: str) -> None:
    raw = FIXED_GET if method == "GET" else FIXED_POST
    status, _, body = sigv2.send_raw(shared_sandbox.url, method, raw, FIXED_HOST)
    assert status == 200, body


def _mutate(text: str, position: int) -> str:
    replacement = "B" if text[position] == "A" else "A"
    return text[:position] + replacement + text[position + 1 :]


def _assert_refused(status: int, body: str) -> None:
    assert status in (400, 403), body
    assert "<Errors><Error><Code>" in body


@pytest.mark.parametrize("position", range(len(FIXED_GET)))
def test_changing_one_character_of_the_query_is_refused(
    shared_sandbox: SandboxServer, position: int
) -> None:
    mutated = _mutate(FIXED_GET, position)
    assert parse_qsl(mutated, keep_blank_values=True) != parse_qsl(FIXED_GET)
    _assert_refused(*_send(shared_sandbox, "GET", mutated, FIXED_HOST))


@pytest.mark.parametrize("position", range(len(FIXED_POST)))
def test_changing_one_character_of_the_body_is_refused(
    shared_sandbox: SandboxServer, position: int
) -> None:
    mutated = _mutate(FIXED_POST, position)
    assert parse_qsl(mutated, keep_blank_values=True) != parse_qsl(FIXED_POST)
    _assert_refused(*_send(shared_sandbox, "POST", mutated, FIXED_HOST))


@pytest.mark.parametrize("position", range(len(FIXED_HOST)))
def test_changing_one_character_of_the_host_is_refused(
    shared_sandbox: SandboxServer, position: int
) -> None:
    _assert_refused(*_send(shared_sandbox, "GET", FIXED_GET, _mutate(FIXED_HOST, position)))


def test_the_method_is_part_of_the_signature(shared_sandbox: SandboxServer) -> None:
    _assert_refused(*_send(shared_sandbox, "POST", FIXED_GET, FIXED_HOST))


def _send(sandbox: SandboxServer, method: str, raw: str, host: str) -> tuple[int, str]:
    status, _, body = sigv2.send_raw(sandbox.url, method, raw, host)
    return status, body
