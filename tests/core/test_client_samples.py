"""Each spec sample served over loopback: the parsed models carry every field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.errors import describe
from fpsdesk.fps.exceptions import FpsError
from fpsdesk.fps.models import (
    ActionResult,
    Amount,
    RelatedTransaction,
    StatusHistoryEntry,
    TransactionStatus,
)
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.core import fpsstub
from tests.core.fpsstub import Reply, StubServer

ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PDT = timezone(timedelta(hours=-7))


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.fixture
def client(stub: StubServer) -> Iterator[FpsClient]:
    with FpsClient(stub.url, ACCESS, SECRET, timeout=(2, 5), sleep=lambda s: None) as c:
        yield c


def test_cancel_sample(stub: StubServer, client: FpsClient) -> None:
    stub.push(Reply(body=fpsstub.CANCEL_XML))
    result = client.cancel(" 14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD\n", "Buyer changed mind")
    assert result == ActionResult(
        transaction_id="14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD",
        transaction_status=TransactionStatus.CANCELLED,
        request_id="6fe4b755-a328-419d-8967-e1d3b43779fc:0",
    )
    (request,) = stub.requests
    assert request.method == "POST"
    assert request.path == "/"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded; charset=utf-8"
    params = request.param_dict
    assert params["Action"] == "Cancel"
    assert params["Version"] == "2008-09-17"
    assert params["TransactionId"] == "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD"
    assert params["Description"] == "Buyer changed mind"
    assert params["SignatureVersion"] == "2"
    assert params["SignatureMethod"] == "HmacSHA256"
    assert params["AWSAccessKeyId"] == ACCESS
    stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert len(params["Timestamp"]) == len("2009-10-06T09:14:58.796Z")
    assert abs(stamp.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=5)


def test_get_transaction_status_sample(stub: StubServer, client: FpsClient) -> None:
    stub.push(Reply(body=fpsstub.STATUS_XML))
    result = client.get_transaction_status("14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM")
    assert result.transaction_id == "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM"
    assert result.transaction_status is TransactionStatus.SUCCESS
    assert result.caller_reference == "CallerReference07"
    assert result.status_code == "Success"
    assert result.status_message == (
        "The transaction was successful and the payment instrument was charged."
    )
    assert result.request_id == "13279842-6f84-41ef-ae36-c1ededaf278d:0"
    assert stub.requests[0].param_dict["Action"] == "GetTransactionStatus"


def test_get_transaction_sample_every_field(stub: StubServer, client: FpsClient) -> None:
    stub.push(Reply(body=fpsstub.TRANSACTION_XML))
    d = client.get_transaction("14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL")
    assert d.transaction_id == "14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL"
    assert d.caller_reference == "CallerReference02"
    assert d.caller_description == "MyWish"
    assert d.sender_description == "For the cake"
    assert d.date_received == datetime(2009, 10, 5, 22, 50, 8, 10000, tzinfo=PDT)
    assert d.date_received.utcoffset() == timedelta(hours=-7)
    assert d.date_completed == datetime(2009, 10, 5, 22, 50, 9, 86000, tzinfo=PDT)
    assert d.transaction_amount == Amount(Decimal("1.000000"), "USD")
    assert d.fps_fees == Amount(Decimal("0.100000"), "USD")
    assert d.marketplace_fees == Amount(Decimal("0"), "USD")
    assert d.fps_fees_paid_by == "Recipient"
    assert d.sender_token_id == ("553ILMLCG6Z8J431H7BX3UMN3FFQU8VSNTSRNCTAASDJNX66LNZLKSZU3PI7TXIH")
    assert d.recipient_token_id == (
        "R53ILMLCG6Z8J431H7BX3UMN3FFQU8VSNTSRNCTAASDJNX66LNZLKSZU3PI7TXIH"
    )
    assert d.prepaid_instrument_id == "P1"
    assert d.credit_instrument_id == "C1"
    assert d.fps_operation == "Pay"
    assert d.payment_method == "CC"
    assert d.transaction_status is TransactionStatus.SUCCESS
    assert d.status_code == "Success"
    assert d.status_message == (
        "The transaction was successful and the payment instrument was charged."
    )
    assert d.sender_name == "Test Business"
    assert d.sender_email == "new_premium@amazon.com"
    assert d.caller_name == "Test Business"
    assert d.recipient_name == "Test Business"
    assert d.recipient_email == "test-caller@amazon.com"
    assert d.related_transactions == (
        RelatedTransaction("14GKJZ7MBQN1ZT6JLI1D3IUAPRQ4C1PBBPS", "Refund"),
    )
    assert d.status_history == (
        StatusHistoryEntry(
            date=datetime(2009, 10, 5, 22, 50, 8, 92000, tzinfo=PDT),
            transaction_status=TransactionStatus.PENDING,
            status_code="PendingNetworkResponse",
            amount=None,
        ),
        StatusHistoryEntry(
            date=datetime(2009, 10, 5, 22, 50, 9, 86000, tzinfo=PDT),
            transaction_status=TransactionStatus.SUCCESS,
            status_code="Success",
            amount=Amount(Decimal("1.000000"), "USD"),
        ),
    )
    assert d.request_id == "0702960e-8221-4e04-9413-ca7d010d3b06:0"


def test_verify_signature_sample(stub: StubServer, client: FpsClient) -> None:
    stub.push(Reply(body=fpsstub.VERIFY_XML))
    pairs = [("signature", "a+b/c="), ("certificateUrl", "https://x/c.pem"), ("status", "PS")]
    result = client.verify_signature("https://merchant.example/ipn", pairs)
    assert result.verification_status == "Success"
    assert result.verified
    assert result.request_id == "197e2085-1ed7-47a2-93d8-d76b452acc74:0"
    params = stub.requests[0].param_dict
    assert params["Action"] == "VerifySignature"
    assert params["UrlEndPoint"] == "https://merchant.example/ipn"
    # The pairs are encoded once into HttpParameters (and again by the form encoding).
    assert params["HttpParameters"] == (
        "signature=a%2Bb%2Fc%3D&certificateUrl=https%3A%2F%2Fx%2Fc.pem&status=PS"
    )


def test_error_response_shape(stub: StubServer, client: FpsClient) -> None:
    stub.push(Reply(status=400, body=fpsstub.ERROR_RESPONSE_XML))
    with pytest.raises(FpsError) as info:
        client.get_transaction_status("1" + "F" * 34)  # well-shaped, so it is sent
    err = info.value
    assert err.code == "InvalidParams"
    assert err.message == ("transactionId has to be a valid transaction ID. Specified value: FAKE")
    assert err.request_id == "50ca0b2f-9435-4852-a889-89d144c07ff6"
    assert err.http_status == 400
    assert stub.count() == 1  # a 400 is not retried


def test_error_wsdl_shape_on_cancel(stub: StubServer, client: FpsClient) -> None:
    stub.push(Reply(status=400, body=fpsstub.ERROR_WSDL_XML))
    with pytest.raises(FpsError) as info:
        client.cancel("14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD")
    err = info.value
    assert err.code == "InvalidTransactionState"
    assert err.message == "The transaction is not in a state that allows cancellation."
    assert err.request_id == "a3f1c2d4-0000-4000-8000-000000000001:0"
    assert err.http_status == 400
    explanation = describe(err)
    assert explanation.next_step == (
        "The transaction is no longer Reserved or Pending. If it completed, refund it instead."
    )
    assert explanation.request_id == err.request_id


def test_get_method_sends_query_string(stub: StubServer) -> None:
    stub.push(Reply(body=fpsstub.STATUS_XML))
    with FpsClient(stub.url, ACCESS, SECRET, http_method="GET") as client:
        client.get_transaction_status("14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM")
    (request,) = stub.requests
    assert request.method == "GET"
    assert request.body == b""
    assert request.param_dict["Action"] == "GetTransactionStatus"
    assert "Signature" in request.param_dict


def test_fixed_clock_timestamp_has_milliseconds(stub: StubServer) -> None:
    stub.push(Reply(body=fpsstub.STATUS_XML))
    moment = datetime(2009, 10, 6, 11, 14, 58, 796123, tzinfo=timezone(timedelta(hours=2)))
    with FpsClient(stub.url, ACCESS, SECRET, clock=lambda: moment) as client:
        client.get_transaction_status("14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM")
    assert stub.requests[0].param_dict["Timestamp"] == "2009-10-06T09:14:58.796Z"


def test_invalid_id_is_refused_before_sending(stub: StubServer, client: FpsClient) -> None:
    from fpsdesk.fps.exceptions import InvalidInput

    with pytest.raises(InvalidInput):
        client.cancel("14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQU")  # 34 characters
    with pytest.raises(InvalidInput):
        client.cancel("12345")
    with pytest.raises(InvalidInput):
        client.get_transaction("X" * 36)
    assert stub.count() == 0


def test_account_activity_request_and_result(stub: StubServer, client: FpsClient) -> None:
    from tests.core.test_xmlparse import ACTIVITY_XML

    stub.push(Reply(body=ACTIVITY_XML))
    start = datetime(2009, 10, 1, tzinfo=UTC)
    activity = client.get_account_activity(
        start,
        datetime(2009, 10, 8, 2, 0, tzinfo=timezone(timedelta(hours=2))),
        max_batch_size=50,
        sort_order_by_date="Ascending",
        fps_operation="Refund",
        roles=("Caller", "Recipient"),
        transaction_status=TransactionStatus.SUCCESS,
    )
    assert activity.batch_size == 1
    assert activity.transactions[0].original_transaction_id == (
        "14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL"
    )
    params = stub.requests[0].param_dict
    assert params["Action"] == "GetAccountActivity"
    assert params["StartDate"] == "2009-10-01T00:00:00.000Z"
    assert params["EndDate"] == "2009-10-08T00:00:00.000Z"
    assert params["MaxBatchSize"] == "50"
    assert params["SortOrderByDate"] == "Ascending"
    assert params["FPSOperation"] == "Refund"
    assert (params["Role.1"], params["Role.2"]) == ("Caller", "Recipient")
    assert params["TransactionStatus"] == "Success"


def test_state_changing_requests_carry_their_parameters(
    stub: StubServer, client: FpsClient
) -> None:
    refund_xml = fpsstub.CANCEL_XML.replace(b"Cancelled", b"Pending").replace(b"Cancel", b"Refund")
    settle_xml = fpsstub.CANCEL_XML.replace(b"Cancelled", b"Pending").replace(b"Cancel", b"Settle")
    pay_xml = fpsstub.CANCEL_XML.replace(b"Cancelled", b"Pending").replace(b"Cancel", b"Pay")
    stub.push(Reply(body=refund_xml), Reply(body=settle_xml), Reply(body=pay_xml))
    refund = client.refund(
        "14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL",
        "refund-1",
        Decimal("0.50"),
        caller_description="goodwill",
    )
    assert refund.transaction_status is TransactionStatus.PENDING
    client.settle("14GKD9GE66FAA63E6O6B2JDPZKN53LZ7F22", Decimal("2"))
    client.pay("SENDERTOKEN1", Decimal("1.25"), "pay-1", ChargeFeeTo="Recipient")
    refund_params, settle_params, pay_params = (r.param_dict for r in stub.requests)
    assert refund_params["Action"] == "Refund"
    assert refund_params["RefundAmount.Value"] == "0.50"
    assert refund_params["RefundAmount.CurrencyCode"] == "USD"
    assert refund_params["CallerReference"] == "refund-1"
    assert refund_params["CallerDescription"] == "goodwill"
    assert settle_params["ReserveTransactionId"] == "14GKD9GE66FAA63E6O6B2JDPZKN53LZ7F22"
    assert settle_params["TransactionAmount.Value"] == "2"
    assert pay_params["SenderTokenId"] == "SENDERTOKEN1"
    assert pay_params["TransactionAmount.Value"] == "1.25"
    assert pay_params["ChargeFeeTo"] == "Recipient"


def test_bad_amount_refused_before_sending(stub: StubServer, client: FpsClient) -> None:
    from fpsdesk.fps.exceptions import InvalidInput

    for bad in (Decimal("0"), Decimal("-1"), Decimal("NaN")):
        with pytest.raises(InvalidInput):
            client.refund("14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL", "r", bad)
    assert stub.count() == 0


def test_redirect_is_not_followed(stub: StubServer, client: FpsClient) -> None:
    from fpsdesk.fps.exceptions import ProtocolError

    with StubServer() as elsewhere:
        elsewhere.default = Reply(body=fpsstub.STATUS_XML)
        stub.push(Reply(status=307, headers={"Location": elsewhere.url}))
        with pytest.raises(ProtocolError) as info:
            client.get_transaction_status("14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM")
        assert info.value.http_status == 307
        assert "redirect" in str(info.value)
        assert elsewhere.count() == 0


def test_unsafe_endpoint_refused_by_constructor() -> None:
    from fpsdesk.fps.exceptions import InvalidInput

    with pytest.raises(InvalidInput, match="only to this computer"):
        FpsClient("http://fps.amazonaws.com/", ACCESS, SECRET)
    with pytest.raises(InvalidInput):
        FpsClient("https://fps.amazonaws.com/", ACCESS, "")
    with pytest.raises(InvalidInput):
        FpsClient("https://fps.amazonaws.com/", ACCESS, SECRET, ca_bundle="/nonexistent.pem")


def test_connections_are_shared_by_threads_not_kept_per_thread(sandbox: SandboxServer) -> None:
    """The app runs each look-up on a new short-lived thread: one session per thread grew
    the window's memory by a session and its pool with every look-up. The client's
    transport keeps its keep-alive connections for all threads."""
    import threading

    txid = sandbox.create_transaction(status="Reserved")
    with FpsClient(sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY) as client:
        for _ in range(50):
            thread = threading.Thread(target=client.get_transaction_status, args=(txid,))
            thread.start()
            thread.join(30)
        assert sandbox.request_count("GetTransactionStatus") == 50
        assert client._transport.connection_counts() == (1, 1)  # (opened, idle): one, reused


def test_concurrent_exchanges_each_get_a_connection(stub: StubServer, client: FpsClient) -> None:
    import threading

    stub.default = Reply(body=fpsstub.STATUS_XML)
    results: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                results.append(
                    client.get_transaction_status("14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM").request_id
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(results) == 18
    # The stub answers "Connection: close": every exchange opened its own, none is kept.
    assert client._transport.connection_counts() == (18, 0)
    assert stub.count() == 18


def test_secret_never_in_repr_or_logs(stub: StubServer, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from fpsdesk.fps.signing import percent_encode

    stub.push(Reply(body=fpsstub.STATUS_XML))
    caplog.set_level(logging.DEBUG)
    with FpsClient(stub.url, ACCESS, SECRET, http_method="GET") as client:
        assert SECRET not in repr(client)
        client.get_transaction_status("14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM")
    signature = stub.requests[0].param_dict["Signature"]
    assert "FPS request" in caplog.text
    assert "[REDACTED]" in caplog.text
    assert signature not in caplog.text
    assert percent_encode(signature) not in caplog.text  # nor in a logged GET query string
    assert "'Signature': '[REDACTED]'" in caplog.text
    assert SECRET not in caplog.text
