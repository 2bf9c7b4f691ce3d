"""The hardened parser on its own: namespaces, dates, amounts, both error shapes, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from fpsdesk.fps import xmlparse
from fpsdesk.fps.exceptions import FpsError, ProtocolError
from fpsdesk.fps.models import Amount, TransactionPart, TransactionStatus
from tests.core import fpsstub

NS08 = "http://fps.amazonaws.com/doc/2008-09-17/"
NS10 = "http://fps.amazonaws.com/doc/2010-08-28/"


def status_doc(
    *,
    ns: str | None = NS08,
    status: str = "Pending",
    extra: str = "",
    caller_reference: str | None = "ref-1",
    metadata: bool = True,
) -> bytes:
    xmlns = f' xmlns="{ns}"' if ns else ""
    ref = f"<CallerReference>{caller_reference}</CallerReference>" if caller_reference else ""
    meta = "<ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata>" if metadata else ""
    return (
        f"<GetTransactionStatusResponse{xmlns}><GetTransactionStatusResult>"
        f"<TransactionId>14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM</TransactionId>"
        f"<TransactionStatus>{status}</TransactionStatus>{ref}{extra}"
        f"</GetTransactionStatusResult>{meta}</GetTransactionStatusResponse>"
    ).encode()


@pytest.mark.parametrize("ns", [NS08, None, NS10])
def test_accepted_namespaces(ns: str | None) -> None:
    result = xmlparse.parse_transaction_status(status_doc(ns=ns))
    assert result.transaction_status is TransactionStatus.PENDING
    assert result.caller_reference == "ref-1"
    assert result.status_code is None
    assert result.status_message is None
    assert result.request_id == "rid-1"


def test_foreign_namespace_is_refused() -> None:
    with pytest.raises(ProtocolError, match="namespace"):
        xmlparse.parse_transaction_status(status_doc(ns="urn:evil"))


def test_missing_required_element_is_named() -> None:
    with pytest.raises(ProtocolError, match="CallerReference"):
        xmlparse.parse_transaction_status(status_doc(caller_reference=None), 200)


def test_missing_request_id_is_named() -> None:
    with pytest.raises(ProtocolError, match="ResponseMetadata"):
        xmlparse.parse_transaction_status(status_doc(metadata=False))


def test_unknown_status_is_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="TransactionStatus"):
        xmlparse.parse_transaction_status(status_doc(status="Exploded"))


def test_upper_case_status_is_accepted() -> None:
    result = xmlparse.parse_transaction_status(status_doc(status="CANCELLED"))
    assert result.transaction_status is TransactionStatus.CANCELLED


def test_wrong_document_for_the_action() -> None:
    with pytest.raises(ProtocolError, match="expected a <GetTransactionResponse>"):
        xmlparse.parse_transaction(status_doc())


def test_comments_and_processing_instructions_are_ignored() -> None:
    body = b'<?xml version="1.0"?><!-- hi -->' + status_doc().replace(
        b"<TransactionId>", b"<?pi x?><!-- c --><TransactionId>"
    )
    assert xmlparse.parse_transaction_status(body).transaction_id.startswith("14GK")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "2009-10-05T22:50:08.010-07:00",
            datetime(2009, 10, 5, 22, 50, 8, 10000, tzinfo=timezone(timedelta(hours=-7))),
        ),
        ("2009-10-05T22:50:08Z", datetime(2009, 10, 5, 22, 50, 8, tzinfo=UTC)),
        ("2009-10-05T22:50:08.5Z", datetime(2009, 10, 5, 22, 50, 8, 500000, tzinfo=UTC)),
        (
            "2009-10-05T22:50:08.123456789+05:30",
            datetime(
                2009, 10, 5, 22, 50, 8, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))
            ),
        ),
        ("2009-10-05T22:50:08", datetime(2009, 10, 5, 22, 50, 8, tzinfo=UTC)),
    ],
)
def test_datetimes(text: str, expected: datetime) -> None:
    parsed = xmlparse.parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["yesterday", "2009-13-05T22:50:08Z", "20091005T225008Z", ""])
def test_bad_datetimes(text: str) -> None:
    with pytest.raises(ProtocolError):
        xmlparse.parse_datetime(text)


def test_bad_date_in_document_names_the_element() -> None:
    body = fpsstub.TRANSACTION_XML.replace(
        b"<DateReceived>2009-10-05T22:50:08.010-07:00", b"<DateReceived>soon"
    )
    with pytest.raises(ProtocolError, match="DateReceived"):
        xmlparse.parse_transaction(body)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1,00", "abc"])
def test_bad_amounts(value: str) -> None:
    body = fpsstub.TRANSACTION_XML.replace(
        b"<Value>0.100000</Value>", f"<Value>{value}</Value>".encode()
    )
    with pytest.raises(ProtocolError, match="FPSFees"):
        xmlparse.parse_transaction(body)


def test_amount_is_exact_decimal() -> None:
    detail = xmlparse.parse_transaction(fpsstub.TRANSACTION_XML)
    assert detail.fps_fees.value == Decimal("0.100000")
    assert isinstance(detail.fps_fees.value, Decimal)
    assert str(detail.fps_fees) == "USD 0.10"


def test_response_errors_shape() -> None:
    with pytest.raises(FpsError) as info:
        xmlparse.parse_transaction_status(fpsstub.ERROR_RESPONSE_XML, 400)
    assert info.value.code == "InvalidParams"
    assert info.value.request_id == "50ca0b2f-9435-4852-a889-89d144c07ff6"
    assert info.value.http_status == 400


def test_error_response_wsdl_shape() -> None:
    with pytest.raises(FpsError) as info:
        xmlparse.parse_action_result("Cancel", fpsstub.ERROR_WSDL_XML, 400)
    assert info.value.code == "InvalidTransactionState"
    assert info.value.request_id == "a3f1c2d4-0000-4000-8000-000000000001:0"


def test_error_document_with_200_is_still_an_error() -> None:
    with pytest.raises(FpsError):
        xmlparse.parse_transaction_status(fpsstub.error_xml("InternalError"), 200)


def test_only_first_error_is_reported() -> None:
    body = (
        b"<Response><Errors><Error><Code>A1</Code><Message>first</Message></Error>"
        b"<Error><Code>B2</Code><Message>second</Message></Error></Errors>"
        b"<RequestID>r</RequestID></Response>"
    )
    with pytest.raises(FpsError) as info:
        xmlparse.parse_transaction_status(body, 400)
    assert (info.value.code, info.value.message) == ("A1", "first")


def test_error_without_code_is_protocol_error() -> None:
    body = b"<Response><Errors><Error><Message>m</Message></Error></Errors></Response>"
    with pytest.raises(ProtocolError, match="Code"):
        xmlparse.parse_transaction_status(body, 400)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"Service Unavailable", "not XML"),
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<html><body>oops</body></html>", "web page"),
        (b"<GetTransactionStatusResponse><GetTrans", "truncated"),
        (b"\x00\x01\x02garbage", "not XML"),
    ],
)
def test_non_xml_names_the_status(body: bytes, needle: str) -> None:
    with pytest.raises(ProtocolError) as info:
        xmlparse.parse_transaction_status(body, 503)
    assert info.value.http_status == 503
    assert str(info.value).startswith("HTTP 503: ")
    assert needle in str(info.value)


def test_doctype_refused_even_if_harmless() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE x><x/>'
    with pytest.raises(ProtocolError, match="DOCTYPE"):
        xmlparse.parse_document(body, 200)


def test_oversized_body_refused() -> None:
    with pytest.raises(ProtocolError, match="larger"):
        xmlparse.parse_document(b"<a>" + b" " * xmlparse.MAX_BODY_BYTES + b"</a>", 200)


def test_action_results() -> None:
    result = xmlparse.parse_action_result("Cancel", fpsstub.CANCEL_XML)
    assert result.transaction_status is TransactionStatus.CANCELLED
    refund = fpsstub.CANCEL_XML.replace(b"Cancelled", b"Pending").replace(b"Cancel", b"Refund")
    assert xmlparse.parse_action_result("Refund", refund).transaction_status is (
        TransactionStatus.PENDING
    )


def test_verify_signature_failure_value() -> None:
    body = fpsstub.VERIFY_XML.replace(b">Success<", b">Failure<")
    result = xmlparse.parse_verify_signature(body)
    assert not result.verified
    with pytest.raises(ProtocolError):
        xmlparse.parse_verify_signature(fpsstub.VERIFY_XML.replace(b">Success<", b">Maybe<"))


ACTIVITY_XML = f"""<GetAccountActivityResponse xmlns="{NS08}"><GetAccountActivityResult>
<BatchSize>1</BatchSize>
<Transaction>
  <TransactionId>14GKD9GE66FAA63E6O6B2JDPZKN53LZ7F22</TransactionId>
  <CallerTransactionDate>2009-10-07T10:55:01.250-07:00</CallerTransactionDate>
  <DateReceived>2009-10-07T10:55:01.265-07:00</DateReceived>
  <DateCompleted>2009-10-07T10:55:02.000-07:00</DateCompleted>
  <TransactionAmount><CurrencyCode>USD</CurrencyCode><Value>2.500000</Value></TransactionAmount>
  <FPSOperation>Refund</FPSOperation>
  <TransactionStatus>Success</TransactionStatus>
  <StatusMessage>done</StatusMessage><StatusCode>Success</StatusCode>
  <OriginalTransactionId>14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL</OriginalTransactionId>
  <TransactionPart><InstrumentId>I1</InstrumentId><Role>Caller</Role><Name>Shop</Name>
    <Reference>CallerReference02</Reference><Description>d</Description>
    <FeesPaid><CurrencyCode>USD</CurrencyCode><Value>0.000000</Value></FeesPaid></TransactionPart>
  <TransactionPart><Role>Sender</Role></TransactionPart>
  <PaymentMethod>CC</PaymentMethod>
  <SenderName>Buyer</SenderName><CallerName>Shop</CallerName><RecipientName>Shop</RecipientName>
  <FPSFees><CurrencyCode>USD</CurrencyCode><Value>0.000000</Value></FPSFees>
  <Balance><CurrencyCode>USD</CurrencyCode><Value>10.000000</Value></Balance>
  <SenderTokenId>S1</SenderTokenId><RecipientTokenId>R1</RecipientTokenId>
</Transaction>
<StartTimeForNextTransaction>2009-10-07T10:55:01Z</StartTimeForNextTransaction>
</GetAccountActivityResult>
<ResponseMetadata><RequestId>act-1</RequestId></ResponseMetadata></GetAccountActivityResponse>
""".encode()


def test_account_activity_every_field() -> None:
    activity = xmlparse.parse_account_activity(ACTIVITY_XML)
    assert activity.batch_size == 1
    assert activity.request_id == "act-1"
    assert activity.start_time_for_next_transaction == datetime(2009, 10, 7, 10, 55, 1, tzinfo=UTC)
    (txn,) = activity.transactions
    pdt = timezone(timedelta(hours=-7))
    assert txn.transaction_id == "14GKD9GE66FAA63E6O6B2JDPZKN53LZ7F22"
    assert txn.caller_transaction_date == datetime(2009, 10, 7, 10, 55, 1, 250000, tzinfo=pdt)
    assert txn.date_received == datetime(2009, 10, 7, 10, 55, 1, 265000, tzinfo=pdt)
    assert txn.date_completed == datetime(2009, 10, 7, 10, 55, 2, tzinfo=pdt)
    assert txn.transaction_amount == Amount(Decimal("2.5"), "USD")
    assert txn.fps_operation == "Refund"
    assert txn.transaction_status is TransactionStatus.SUCCESS
    assert txn.status_message == "done"
    assert txn.status_code == "Success"
    assert txn.original_transaction_id == "14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL"
    assert txn.transaction_parts == (
        TransactionPart(
            "Caller", "I1", "Shop", "CallerReference02", "d", Amount(Decimal("0"), "USD")
        ),
        TransactionPart("Sender"),
    )
    assert txn.payment_method == "CC"
    assert (txn.sender_name, txn.caller_name, txn.recipient_name) == ("Buyer", "Shop", "Shop")
    assert txn.fps_fees == Amount(Decimal("0"), "USD")
    assert txn.balance == Amount(Decimal("10"), "USD")
    assert (txn.sender_token_id, txn.recipient_token_id) == ("S1", "R1")
