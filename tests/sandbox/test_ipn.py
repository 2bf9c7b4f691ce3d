"""IPNs from the sandbox: signed per spec §6 (checked here with an independent RSA-SHA1
verification against the certificate the sandbox serves), delivered, retried and recorded."""

from __future__ import annotations

import base64
import socket
from decimal import Decimal
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fpsdesk.fps.client import FpsClient
from fpsdesk.sandbox import RetryPolicy, SandboxServer
from tests.fixtures.sandbox import CapturedIpn, IpnCapture
from tests.sandbox import sigv2


def independent_string_to_sign(url: str, params: list[tuple[str, str]]) -> str:
    """Spec §6 step 2, written here from the text (no fpsdesk code)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port is not None and parts.port != {"http": 80, "https": 443}[parts.scheme]:
        host += f":{parts.port}"
    pairs = sorted(
        ((k, v) for k, v in params if k.lower() != "signature"),
        key=lambda kv: kv[0].encode("utf-8"),
    )
    query = "&".join(f"{sigv2.rfc3986(k)}={sigv2.rfc3986(v)}" for k, v in pairs)
    path = "/".join(sigv2.rfc3986(p) for p in (parts.path or "/").split("/"))
    return f"POST\n{host}\n{path}\n{query}"


def independently_verified(ipn: CapturedIpn, receiver_url: str) -> bool:
    fields = ipn.fields
    assert fields["signatureVersion"] == "2"
    assert fields["signatureMethod"] == "RSA-SHA1"
    pem = requests.get(fields["certificateUrl"], timeout=5)
    assert pem.status_code == 200
    certificate = x509.load_pem_x509_certificate(pem.content)
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    signature = base64.b64decode("".join(fields["signature"].split()))
    text = independent_string_to_sign(receiver_url, ipn.params)
    try:
        key.verify(signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA1())
    except Exception:
        return False
    return True


def test_ipn_signature_verifies_independently(
    sandbox: SandboxServer, sandbox_client: FpsClient, ipn_capture: IpnCapture
) -> None:
    sandbox.set_ipn_urls([ipn_capture.url])
    txn_id = sandbox.create_transaction(status="Reserved", caller_description="Mug ~ 50% (é)")
    sandbox_client.cancel(txn_id, "changed mind")
    assert ipn_capture.wait_for(1)
    ipn = ipn_capture.received[0]
    assert ipn.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert ipn.path == "/ipn"
    assert independently_verified(ipn, ipn_capture.url)
    fields = ipn.fields
    assert fields["certificateUrl"] == (
        f"{sandbox.url}certs/{sandbox.identity.issued_yymmdd}/PKICert.pem"
    )
    lines = fields["signature"].split("\n")
    assert len(lines) == 5  # 2048-bit key: 344 base64 characters, LF every 76
    assert all(len(line) == 76 for line in lines[:-1])
    assert fields["notificationType"] == "TransactionStatus"
    assert fields["transactionId"] == txn_id
    assert fields["transactionStatus"] == "CANCELLED"
    assert fields["statusCode"] == "Canceled"
    assert fields["operation"] == "RESERVE"
    assert fields["paymentReason"] == "Mug ~ 50% (é)"
    assert fields["transactionDate"].isdigit()


def test_a_changed_field_fails_the_independent_check(
    sandbox: SandboxServer, ipn_capture: IpnCapture
) -> None:
    sandbox.set_ipn_urls([ipn_capture.url])
    sandbox.create_transaction(status="Reserved", notify=True)
    assert ipn_capture.wait_for(1)
    ipn = ipn_capture.received[0]
    forged = CapturedIpn(
        ipn.path,
        [(k, "CANCELLED" if k == "transactionStatus" else v) for k, v in ipn.params],
        ipn.body,
        ipn.headers,
    )
    assert independently_verified(ipn, ipn_capture.url)
    assert not independently_verified(forged, ipn_capture.url)


def test_certificate_is_served_only_at_its_own_date(sandbox: SandboxServer) -> None:
    good = requests.get(sandbox.certificate_url + "?requestId=abc", timeout=5)
    assert good.status_code == 200
    assert good.text == sandbox.certificate_pem
    assert requests.get(f"{sandbox.url}certs/090909/PKICert.pem", timeout=5).status_code == 404


def test_every_change_reaches_every_url(
    sandbox: SandboxServer, sandbox_client: FpsClient, ipn_capture: IpnCapture
) -> None:
    second = IpnCapture()
    try:
        sandbox.set_ipn_urls([ipn_capture.url, second.url])
        txn_id = sandbox_client.pay("CC-1", Decimal("2.00"), "multi")
        assert ipn_capture.wait_for(2)
        assert second.wait_for(2)
        for capture in (ipn_capture, second):
            assert [i.fields["transactionStatus"] for i in capture.received] == [
                "PENDING",
                "SUCCESS",
            ]
            assert all(i.fields["transactionId"] == txn_id.transaction_id for i in capture.received)
            assert all(independently_verified(i, capture.url) for i in capture.received)
    finally:
        second.stop()


def test_failed_deliveries_are_retried_and_every_attempt_recorded(
    sandbox: SandboxServer, ipn_capture: IpnCapture
) -> None:
    ipn_capture.status = 500
    sandbox.set_ipn_urls([ipn_capture.url])
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox.set_status(txn_id, "Cancelled")
    assert ipn_capture.wait_for(2)
    ipn_capture.status = 204
    assert sandbox.wait_for_ipns()
    [delivery] = sandbox.ipn_deliveries(txn_id)
    assert delivery["state"] == "delivered"
    attempts = delivery["attempts"]
    assert len(attempts) >= 3
    assert [a["http_status"] for a in attempts[:2]] == [500, 500]
    assert attempts[0]["ok"] is False
    assert attempts[-1] == {**attempts[-1], "http_status": 204, "ok": True}
    assert all(not a["ok"] for a in attempts[:-1])
    # The same signed notification every time.
    assert len({i.body for i in ipn_capture.received}) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_receiver_is_given_up_after_the_window() -> None:
    policy = RetryPolicy(initial=0.01, max_interval=0.02, give_up_after=0.3, timeout=1.0)
    url = f"http://127.0.0.1:{_closed_port()}/ipn"
    with SandboxServer(ipn_urls=[url], ipn_retry=policy) as server:
        txn_id = server.create_transaction(status="Reserved", notify=True)
        assert server.wait_for_ipns()
        [delivery] = server.ipn_deliveries(txn_id)
    assert delivery["state"] == "failed"
    assert len(delivery["attempts"]) >= 2
    assert all(
        a["http_status"] is None and "Connection" in a["error"] for a in delivery["attempts"]
    )


def test_replay_sends_recorded_notifications_again(
    sandbox: SandboxServer, ipn_capture: IpnCapture
) -> None:
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox.set_status(txn_id, "Cancelled")  # no URL yet: recorded, not delivered
    assert len(sandbox.notifications(txn_id)) == 1
    assert sandbox.ipn_deliveries() == []
    sandbox.set_ipn_urls([ipn_capture.url])
    assert sandbox.replay_ipns() == 1
    assert ipn_capture.wait_for(1)
    assert independently_verified(ipn_capture.received[0], ipn_capture.url)


def test_refund_ipn_names_the_parent(
    sandbox: SandboxServer, sandbox_client: FpsClient, ipn_capture: IpnCapture
) -> None:
    sandbox.set_ipn_urls([ipn_capture.url])
    paid = sandbox.create_transaction(status="Success", operation="Pay", amount="9.00")
    refund = sandbox_client.refund(paid, "refund-ipn", Decimal("4.00")).transaction_id
    assert ipn_capture.wait_for(2)
    fields = ipn_capture.received[-1].fields
    assert fields["transactionId"] == refund
    assert fields["operation"] == "REFUND"
    assert fields["parentTransactionId"] == paid
    assert fields["transactionAmount"] == "USD 4.00"
