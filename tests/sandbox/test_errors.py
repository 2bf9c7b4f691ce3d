"""Authentication and request-shape errors, and the exact error document FPS sent (spec §2, §5).

Requests here are built by the independent signer, so each one differs from a good request in
exactly the way the test names.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.exceptions import FpsError
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.sandbox import sigv2

NS = "{http://fps.amazonaws.com/doc/2008-09-17/}"


def _call(
    sandbox: SandboxServer,
    params: dict[str, str],
    *,
    method: str = "POST",
    secret: str = DEFAULT_SECRET_KEY,
    sign: bool = True,
    drop: tuple[str, ...] = (),
) -> tuple[int, etree._Element]:
    host = f"127.0.0.1:{sandbox.port}"
    full = {
        "AWSAccessKeyId": DEFAULT_ACCESS_KEY,
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": sigv2.now_stamp(),
        "Version": "2008-09-17",
        **params,
    }
    for name in drop:
        full.pop(name, None)
    if sign:
        algorithm = full.get("SignatureMethod", "HmacSHA256")
        full["Signature"] = sigv2.signature(
            secret,
            method,
            host,
            "/",
            full,
            algorithm if algorithm in ("HmacSHA256", "HmacSHA1") else "HmacSHA256",
        )
    status, content_type, body = sigv2.send_raw(sandbox.url, method, sigv2.encode(full), host)
    assert content_type.startswith("text/xml")
    return status, etree.fromstring(body.encode("utf-8"))


def _code(root: etree._Element) -> str:
    assert root.tag == "Response", etree.tostring(root)
    return str(root.findtext("Errors/Error/Code"))


@pytest.fixture
def reserved(sandbox: SandboxServer) -> str:
    return sandbox.create_transaction(status="Reserved")


def _gts(txn_id: str, **extra: str) -> dict[str, str]:
    return {"Action": "GetTransactionStatus", "TransactionId": txn_id, **extra}


def test_error_document_has_the_wire_shape(sandbox: SandboxServer) -> None:
    status, root = _call(sandbox, _gts("FAKE"))
    assert status == 400
    assert root.tag == "Response"  # no namespace, as captured on the wire
    assert [c.tag for c in root] == ["Errors", "RequestID"]
    assert [c.tag for c in root.find("Errors/Error")] == ["Code", "Message"]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        str(root.findtext("RequestID")),
    )


def test_success_document_shape(sandbox: SandboxServer, reserved: str) -> None:
    status, root = _call(sandbox, _gts(reserved))
    assert status == 200
    assert root.tag == f"{NS}GetTransactionStatusResponse"
    assert [c.tag for c in root] == [f"{NS}GetTransactionStatusResult", f"{NS}ResponseMetadata"]
    assert [c.tag.removeprefix(NS) for c in root[0]] == [
        "TransactionId",
        "TransactionStatus",
        "CallerReference",
        "StatusCode",
        "StatusMessage",
    ]
    request_id = str(root.findtext(f"{NS}ResponseMetadata/{NS}RequestId"))
    assert re.fullmatch(r"[0-9a-f-]{36}:0", request_id)


def test_get_transaction_elements_follow_the_xsd_order(sandbox: SandboxServer) -> None:
    parent = sandbox.create_transaction(
        status="Success",
        operation="Pay",
        marketplace_fees="0.10",
        recipient_token_id="R" * 64,
        caller_description="c",
        sender_description="s",
    )
    sandbox.create_transaction(status="Success", operation="Refund", parent_id=parent)
    status, root = _call(sandbox, {"Action": "GetTransaction", "TransactionId": parent})
    assert status == 200
    order = [
        "TransactionId",
        "CallerReference",
        "CallerDescription",
        "SenderDescription",
        "DateReceived",
        "DateCompleted",
        "TransactionAmount",
        "FPSFees",
        "MarketplaceFees",
        "FPSFeesPaidBy",
        "SenderTokenId",
        "RecipientTokenId",
        "PrepaidInstrumentId",
        "CreditInstrumentId",
        "FPSOperation",
        "PaymentMethod",
        "TransactionStatus",
        "StatusCode",
        "StatusMessage",
        "SenderName",
        "SenderEmail",
        "CallerName",
        "RecipientName",
        "RecipientEmail",
        "RelatedTransaction",
        "StatusHistory",
    ]
    tags = [c.tag.removeprefix(NS) for c in root.find(f"{NS}GetTransactionResult/{NS}Transaction")]
    positions = [order.index(t) for t in tags]
    assert positions == sorted(positions)
    assert {"RelatedTransaction", "StatusHistory", "MarketplaceFees"} <= set(tags)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"AWSAccessKeyId": "AKIDNOTKNOWN00000000"}, 403, "InvalidClientTokenId"),
        ({"SignatureVersion": "1"}, 400, "InvalidParams"),
        ({"SignatureMethod": "HmacMD5"}, 400, "InvalidParams"),
        ({"Timestamp": "yesterday"}, 400, "InvalidParameterValue"),
        ({"Version": "2009-01-01"}, 400, "InvalidRequest"),
        ({"Foo": "bar"}, 400, "InvalidRequest"),
        ({"Action": "Teleport"}, 400, "InvalidRequest"),
        ({"Expires": "2099-01-01T00:00:00Z"}, 400, "InvalidRequest"),  # with Timestamp too
    ],
)
def test_request_errors(
    sandbox: SandboxServer, reserved: str, change: dict[str, str], status: int, code: str
) -> None:
    got_status, root = _call(sandbox, _gts(reserved, **change))
    assert (got_status, _code(root)) == (status, code)


@pytest.mark.parametrize(
    "missing",
    [
        "AWSAccessKeyId",
        "SignatureVersion",
        "SignatureMethod",
        "Timestamp",
        "Version",
        "Action",
        "TransactionId",
    ],
)
def test_missing_parameter_is_invalid_params(
    sandbox: SandboxServer, reserved: str, missing: str
) -> None:
    status, root = _call(sandbox, _gts(reserved), drop=(missing,))
    assert (status, _code(root)) == (400, "InvalidParams")
    assert missing in str(root.findtext("Errors/Error/Message"))


def test_missing_signature(sandbox: SandboxServer, reserved: str) -> None:
    status, root = _call(sandbox, _gts(reserved), sign=False)
    assert (status, _code(root)) == (400, "InvalidParams")


def test_wrong_secret_is_signature_does_not_match(sandbox: SandboxServer, reserved: str) -> None:
    status, root = _call(sandbox, _gts(reserved), secret="not-the-secret")
    assert (status, _code(root)) == (403, "SignatureDoesNotMatch")


def test_unimplemented_fps_action_says_so(sandbox: SandboxServer) -> None:
    status, root = _call(sandbox, {"Action": "GetAccountBalance"})
    assert (status, _code(root)) == (400, "InvalidRequest")
    assert "does not implement" in str(root.findtext("Errors/Error/Message"))


def test_a_parameter_given_twice_is_refused(sandbox: SandboxServer, reserved: str) -> None:
    host = f"127.0.0.1:{sandbox.port}"
    params = sigv2.signed_params(
        "GetTransactionStatus",
        {"TransactionId": reserved},
        access_key=DEFAULT_ACCESS_KEY,
        secret=DEFAULT_SECRET_KEY,
        method="GET",
        host=host,
    )
    raw = sigv2.encode(params) + "&TransactionId=" + reserved
    status, _, body = sigv2.send_raw(sandbox.url, "GET", raw, host)
    assert status == 400
    assert "<Code>InvalidRequest</Code>" in body


@pytest.mark.parametrize(
    ("offset_minutes", "ok"), [(-16, False), (16, False), (-14, True), (14, True)]
)
def test_timestamp_window_is_15_minutes(
    sandbox: SandboxServer, reserved: str, offset_minutes: int, ok: bool
) -> None:
    stamp = sigv2.now_stamp(offset_minutes * 60)
    status, root = _call(sandbox, _gts(reserved, Timestamp=stamp))
    if ok:
        assert status == 200
    else:
        assert (status, _code(root)) == (400, "RequestExpired")
        assert stamp in str(root.findtext("Errors/Error/Message"))


@pytest.mark.parametrize(("offset_minutes", "ok"), [(-1, False), (5, True)])
def test_expires_instead_of_timestamp(
    sandbox: SandboxServer, reserved: str, offset_minutes: int, ok: bool
) -> None:
    status, root = _call(
        sandbox, _gts(reserved, Expires=sigv2.now_stamp(offset_minutes * 60)), drop=("Timestamp",)
    )
    if ok:
        assert status == 200
    else:
        assert (status, _code(root)) == (400, "RequestExpired")


def test_unsigned_verify_signature_is_answered(sandbox: SandboxServer) -> None:
    query = sigv2.encode(
        {
            "Action": "VerifySignature",
            "Version": "2008-09-17",
            "UrlEndPoint": "http://example.com/ipn",
            "HttpParameters": "a=b&certificateUrl=x&signature=QUJD&signatureVersion=2"
            "&signatureMethod=RSA-SHA1",
        }
    )
    status, _, body = sigv2.send_raw(sandbox.url, "GET", query)
    assert status == 200
    assert "<VerificationStatus>Failure</VerificationStatus>" in body


# -- the same errors as fpsdesk's client reports them ----------------------------------------


def test_client_with_a_wrong_secret(sandbox: SandboxServer, reserved: str) -> None:
    client = FpsClient(sandbox.url, DEFAULT_ACCESS_KEY, "wrong-secret-key")
    try:
        with pytest.raises(FpsError) as caught:
            client.get_transaction_status(reserved)
    finally:
        client.close()
    assert (caught.value.code, caught.value.http_status) == ("SignatureDoesNotMatch", 403)


def test_client_with_an_unknown_key(sandbox: SandboxServer, reserved: str) -> None:
    client = FpsClient(sandbox.url, "AKIDUNKNOWN", DEFAULT_SECRET_KEY)
    try:
        with pytest.raises(FpsError) as caught:
            client.cancel(reserved)
    finally:
        client.close()
    assert (caught.value.code, caught.value.http_status) == ("InvalidClientTokenId", 403)
    assert sandbox.transaction(reserved)["status"] == "Reserved"


def test_client_with_a_skewed_clock(sandbox: SandboxServer, reserved: str) -> None:
    client = FpsClient(
        sandbox.url,
        DEFAULT_ACCESS_KEY,
        DEFAULT_SECRET_KEY,
        clock=lambda: datetime.now(UTC) - timedelta(hours=1),
    )
    try:
        with pytest.raises(FpsError) as caught:
            client.cancel(reserved)
    finally:
        client.close()
    assert caught.value.code == "RequestExpired"


@pytest.mark.parametrize("http_method", ["GET", "POST"])
@pytest.mark.parametrize("signature_method", ["HmacSHA256", "HmacSHA1"])
def test_client_in_every_signing_mode(
    sandbox: SandboxServer, http_method: str, signature_method: str
) -> None:
    client = FpsClient(
        sandbox.url,
        DEFAULT_ACCESS_KEY,
        DEFAULT_SECRET_KEY,
        http_method=http_method,
        signature_method=signature_method,
    )  # type: ignore[arg-type]
    try:
        txn_id = client.reserve(
            "CC-1", Decimal("5.00"), f"mode-{http_method}-{signature_method}"
        ).transaction_id
        assert client.cancel(txn_id, "Buyer changed mind ~ 50% * (é)/+ ok").transaction_id == (
            txn_id
        )
    finally:
        client.close()


def test_other_credentials() -> None:
    with SandboxServer(credentials={"MYKEY": "my/secret+key="}) as server:
        client = FpsClient(server.url, "MYKEY", "my/secret+key=")
        try:
            txn_id = server.create_transaction(status="Pending")
            assert client.cancel(txn_id).transaction_id == txn_id
        finally:
            client.close()
