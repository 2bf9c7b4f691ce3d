"""Every element the 2008-09-17 schema marks optional (minOccurs="0", spec §3.2, §3.3, §3.7) may
be absent from the responses fpsdesk reads: one test per element, each removing it from an
otherwise complete document and checking the field is then empty. A RelatedTransaction without
RelationType used to fail the whole GetTransaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from fpsdesk.fps.exceptions import ProtocolError
from fpsdesk.fps.xmlparse import (
    parse_account_activity,
    parse_transaction,
    parse_transaction_status,
)

NS = "http://fps.amazonaws.com/doc/2008-09-17/"
AMOUNT = "<CurrencyCode>USD</CurrencyCode><Value>1.000000</Value>"
META = "<ResponseMetadata><RequestId>0702960e-8221-4e04-9413-ca7d010d3b06:0</RequestId>"
META += "</ResponseMetadata>"

TRANSACTION = f"""<GetTransactionResponse xmlns="{NS}"><GetTransactionResult><Transaction>
<TransactionId>14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL</TransactionId>
<CallerReference>CallerReference02</CallerReference>
<CallerDescription>MyWish</CallerDescription>
<SenderDescription>Mug</SenderDescription>
<DateReceived>2009-10-05T22:50:08.010-07:00</DateReceived>
<DateCompleted>2009-10-05T22:50:09.086-07:00</DateCompleted>
<TransactionAmount>{AMOUNT}</TransactionAmount>
<FPSFees><CurrencyCode>USD</CurrencyCode><Value>0.100000</Value></FPSFees>
<MarketplaceFees><CurrencyCode>USD</CurrencyCode><Value>0.050000</Value></MarketplaceFees>
<FPSFeesPaidBy>Recipient</FPSFeesPaidBy>
<SenderTokenId>553ILMLCG6Z8J431H7BX3UMN3FFQU8VSNTSRNCTAASDJNX66LNZLKSZU3PI7TXIH</SenderTokenId>
<RecipientTokenId>R-TOKEN</RecipientTokenId>
<PrepaidInstrumentId>P-1</PrepaidInstrumentId>
<CreditInstrumentId>C-1</CreditInstrumentId>
<FPSOperation>Pay</FPSOperation><PaymentMethod>CC</PaymentMethod>
<TransactionStatus>Success</TransactionStatus><StatusCode>Success</StatusCode>
<StatusMessage>The transaction was successful.</StatusMessage>
<SenderName>Test Business</SenderName><SenderEmail>new_premium@amazon.com</SenderEmail>
<CallerName>Test Business</CallerName><RecipientName>Test Business</RecipientName>
<RecipientEmail>test-caller@amazon.com</RecipientEmail>
<RelatedTransaction><TransactionId>14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD</TransactionId>
<RelationType>Refund</RelationType></RelatedTransaction>
<StatusHistory><Date>2009-10-05T22:50:08.092-07:00</Date><TransactionStatus>Pending</TransactionStatus>
<StatusCode>PendingNetworkResponse</StatusCode><Amount>{AMOUNT}</Amount></StatusHistory>
</Transaction></GetTransactionResult>{META}</GetTransactionResponse>"""

STATUS = f"""<GetTransactionStatusResponse xmlns="{NS}"><GetTransactionStatusResult>
<TransactionId>14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM</TransactionId>
<TransactionStatus>Success</TransactionStatus><CallerReference>CallerReference07</CallerReference>
<StatusCode>Success</StatusCode><StatusMessage>The transaction was successful.</StatusMessage>
</GetTransactionStatusResult>{META}</GetTransactionStatusResponse>"""

ACTIVITY = f"""<GetAccountActivityResponse xmlns="{NS}"><GetAccountActivityResult>
<BatchSize>1</BatchSize><Transaction>
<TransactionId>14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD</TransactionId>
<CallerTransactionDate>2009-10-07T10:55:01.265-07:00</CallerTransactionDate>
<DateReceived>2009-10-07T10:55:01.265-07:00</DateReceived>
<DateCompleted>2009-10-07T10:55:02.000-07:00</DateCompleted>
<TransactionAmount>{AMOUNT}</TransactionAmount><FPSOperation>Refund</FPSOperation>
<TransactionStatus>Success</TransactionStatus><StatusMessage>Refunded.</StatusMessage>
<StatusCode>Success</StatusCode>
<OriginalTransactionId>14GK6BGKA7U6OU6SUTNLBI5SBBV9PGDJ6UL</OriginalTransactionId>
<TransactionPart><InstrumentId>I-1</InstrumentId><Role>Sender</Role><Name>Shop</Name>
<Reference>ref-1</Reference><Description>Refund</Description>
<FeesPaid><CurrencyCode>USD</CurrencyCode><Value>-0.100000</Value></FeesPaid></TransactionPart>
<PaymentMethod>CC</PaymentMethod><SenderName>Shop</SenderName><CallerName>Shop</CallerName>
<RecipientName>Ann</RecipientName>
<FPSFees><CurrencyCode>USD</CurrencyCode><Value>-0.100000</Value></FPSFees>
<Balance><CurrencyCode>USD</CurrencyCode><Value>0.000000</Value></Balance>
<SenderTokenId>S-TOKEN</SenderTokenId><RecipientTokenId>R-TOKEN</RecipientTokenId>
</Transaction>
<StartTimeForNextTransaction>2009-10-07T10:56:00.000-07:00</StartTimeForNextTransaction>
</GetAccountActivityResult>{META}</GetAccountActivityResponse>"""


def _without(document: str, path: str) -> bytes:
    """``document`` with every element at ``path`` (local names joined by '/') removed."""
    root = etree.fromstring(document.encode("utf-8"))
    steps = "/".join(f"*[local-name()='{name}']" for name in path.split("/"))
    found = root.xpath(f"//{steps}")
    assert found, f"the complete document has no {path}"
    for element in found:
        element.getparent().remove(element)
    return etree.tostring(root)


# (document, parser, element path removed, what the field reads then)
CASES: list[tuple[str, Callable[[bytes], Any], str, Callable[[Any], Any], Any]] = [
    *(
        (
            TRANSACTION,
            parse_transaction,
            f"Transaction/{name}",
            lambda d, f=field: getattr(d, f),
            None,
        )
        for name, field in [
            ("CallerDescription", "caller_description"),
            ("SenderDescription", "sender_description"),
            ("DateCompleted", "date_completed"),
            ("MarketplaceFees", "marketplace_fees"),
            ("SenderTokenId", "sender_token_id"),
            ("RecipientTokenId", "recipient_token_id"),
            ("PrepaidInstrumentId", "prepaid_instrument_id"),
            ("CreditInstrumentId", "credit_instrument_id"),
            ("StatusCode", "status_code"),
            ("StatusMessage", "status_message"),
            ("SenderName", "sender_name"),
            ("SenderEmail", "sender_email"),
            ("RecipientName", "recipient_name"),
            ("RecipientEmail", "recipient_email"),
        ]
    ),
    (
        TRANSACTION,
        parse_transaction,
        "Transaction/RelatedTransaction",
        lambda d: d.related_transactions,
        (),
    ),
    (
        TRANSACTION,
        parse_transaction,
        "RelatedTransaction/RelationType",
        lambda d: [(r.transaction_id, r.relation_type) for r in d.related_transactions],
        [("14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD", None)],
    ),
    (
        TRANSACTION,
        parse_transaction,
        "StatusHistory/StatusCode",
        lambda d: d.status_history[0].status_code,
        None,
    ),
    (
        TRANSACTION,
        parse_transaction,
        "StatusHistory/Amount",
        lambda d: d.status_history[0].amount,
        None,
    ),
    (
        STATUS,
        parse_transaction_status,
        "GetTransactionStatusResult/StatusCode",
        lambda d: d.status_code,
        None,
    ),
    (
        STATUS,
        parse_transaction_status,
        "GetTransactionStatusResult/StatusMessage",
        lambda d: d.status_message,
        None,
    ),
    (
        ACTIVITY,
        parse_account_activity,
        "GetAccountActivityResult/Transaction",
        lambda a: (a.batch_size, a.transactions),
        (1, ()),
    ),
    (
        ACTIVITY,
        parse_account_activity,
        "GetAccountActivityResult/StartTimeForNextTransaction",
        lambda a: a.start_time_for_next_transaction,
        None,
    ),
    (
        ACTIVITY,
        parse_account_activity,
        "GetAccountActivityResponse/GetAccountActivityResult",
        lambda a: (a.batch_size, a.transactions, a.start_time_for_next_transaction),
        (0, (), None),
    ),
    *(
        (
            ACTIVITY,
            parse_account_activity,
            f"Transaction/{name}",
            lambda a, f=field: getattr(a.transactions[0], f),
            None,
        )
        for name, field in [
            ("DateCompleted", "date_completed"),
            ("StatusMessage", "status_message"),
            ("StatusCode", "status_code"),
            ("OriginalTransactionId", "original_transaction_id"),
            ("SenderName", "sender_name"),
            ("RecipientName", "recipient_name"),
            ("SenderTokenId", "sender_token_id"),
            ("RecipientTokenId", "recipient_token_id"),
        ]
    ),
    *(
        (
            ACTIVITY,
            parse_account_activity,
            f"TransactionPart/{name}",
            lambda a, f=field: getattr(a.transactions[0].transaction_parts[0], f),
            None,
        )
        for name, field in [
            ("InstrumentId", "instrument_id"),
            ("Name", "name"),
            ("Reference", "reference"),
            ("Description", "description"),
            ("FeesPaid", "fees_paid"),
        ]
    ),
]


@pytest.mark.parametrize(
    ("document", "parse", "path", "read", "expected"),
    CASES,
    ids=[f"{case[1].__name__}:{case[2]}" for case in CASES],
)
def test_an_optional_element_may_be_absent(
    document: str,
    parse: Callable[[bytes], Any],
    path: str,
    read: Callable[[Any], Any],
    expected: Any,
) -> None:
    complete = parse(document.encode("utf-8"))
    assert read(complete) != expected  # the complete document really has it
    assert read(parse(_without(document, path))) == expected


def test_batch_size_may_be_absent() -> None:
    """Then it is the number of transactions in the answer."""
    activity = parse_account_activity(_without(ACTIVITY, "GetAccountActivityResult/BatchSize"))
    assert activity.batch_size == len(activity.transactions) == 1


@pytest.mark.parametrize(
    ("document", "parse", "path"),
    [
        (TRANSACTION, parse_transaction, "Transaction/CallerName"),
        (TRANSACTION, parse_transaction, "Transaction/FPSFees"),
        (TRANSACTION, parse_transaction, "RelatedTransaction/TransactionId"),
        (TRANSACTION, parse_transaction, "StatusHistory/Date"),
        (STATUS, parse_transaction_status, "GetTransactionStatusResult/CallerReference"),
        (ACTIVITY, parse_account_activity, "Transaction/Balance"),
        (ACTIVITY, parse_account_activity, "TransactionPart/Role"),
    ],
)
def test_a_required_element_is_still_required(
    document: str, parse: Callable[[bytes], Any], path: str
) -> None:
    with pytest.raises(ProtocolError, match=path.rsplit("/", 1)[1]):
        parse(_without(document, path))
