"""Every FPS action end to end: fpsdesk's FpsClient against the sandbox over loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.exceptions import FpsError, InvalidInput
from fpsdesk.fps.models import TransactionStatus
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from tests.fixtures.sandbox import FAST_IPN_RETRY, IpnCapture

S = TransactionStatus


def _history(client: FpsClient, txn_id: str) -> list[tuple[str, str | None]]:
    detail = client.get_transaction(txn_id)
    return [(h.transaction_status.value, h.status_code) for h in detail.status_history]


def _error(call: object, *args: object, **kwargs: object) -> FpsError:
    with pytest.raises(FpsError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


# -- Pay and Reserve ---------------------------------------------------------------------


def test_credit_card_pay_is_pending_then_success_with_an_ipn_per_change(
    sandbox: SandboxServer, sandbox_client: FpsClient, ipn_capture: IpnCapture
) -> None:
    sandbox.set_ipn_urls([ipn_capture.url])
    result = sandbox_client.pay("CCTOKEN123", Decimal("10.00"), "order-1")
    assert result.transaction_status is S.PENDING
    assert len(result.transaction_id) == 35
    assert result.transaction_id.startswith("1")
    assert sandbox_client.get_transaction_status(result.transaction_id).transaction_status is (
        S.SUCCESS
    )
    assert _history(sandbox_client, result.transaction_id) == [
        ("Pending", "PendingNetworkResponse"),
        ("Success", "Success"),
    ]
    dates = [h.date for h in sandbox_client.get_transaction(result.transaction_id).status_history]
    assert dates == sorted(dates)
    assert ipn_capture.wait_for(2)
    assert [i.fields["transactionStatus"] for i in ipn_capture.received] == ["PENDING", "SUCCESS"]
    assert ipn_capture.received[0].fields["operation"] == "PAY"
    assert ipn_capture.received[0].fields["transactionAmount"] == "USD 10.00"


def test_amazon_balance_pay_completes_at_once(sandbox_client: FpsClient) -> None:
    result = sandbox_client.pay("ABT-anything", Decimal("5.00"), "order-abt")
    assert result.transaction_status is S.SUCCESS
    detail = sandbox_client.get_transaction(result.transaction_id)
    assert detail.payment_method == "ABT"
    assert [h.transaction_status for h in detail.status_history] == [S.SUCCESS]


def test_ach_pay(sandbox_client: FpsClient) -> None:
    result = sandbox_client.pay("ACH-1", Decimal("300.00"), "order-ach")
    assert sandbox_client.get_transaction(result.transaction_id).payment_method == "ACH"


def test_pending_delay_moves_a_payment_on_later() -> None:
    with SandboxServer(pending_delay=0.2, ipn_retry=FAST_IPN_RETRY) as server:
        client = FpsClient(server.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
        try:
            txn_id = client.reserve("CC-1", Decimal("20.00"), "late-1").transaction_id
            assert client.get_transaction_status(txn_id).transaction_status is S.PENDING
            assert server.transaction(txn_id)["pending_move"]["status"] == "Reserved"
            assert server.wait_for_ipns(10)
            assert client.get_transaction_status(txn_id).transaction_status is S.RESERVED
        finally:
            client.close()


@pytest.mark.parametrize(
    ("amount", "method", "history"),
    [
        ("52.61", "CC", [("Pending", "PendingNetworkResponse"), ("Failure", "TransactionDenied")]),
        ("9.65", "ABT", [("Failure", "TransactionDenied")]),
        (
            "45.71",
            "CC",
            [("Pending", "PendingNetworkResponse"), ("Pending", "PendingVerification")],
        ),
    ],
)
def test_decline_triggers(
    sandbox_client: FpsClient, amount: str, method: str, history: list[tuple[str, str]]
) -> None:
    token = "ABT-1" if method == "ABT" else "CC-1"
    txn_id = sandbox_client.pay(token, Decimal(amount), f"decline-{amount}").transaction_id
    assert _history(sandbox_client, txn_id) == history


@pytest.mark.parametrize(
    ("amount", "code"), [("12.98", "InsufficientBalance"), ("0.01", "AmountOutOfRange")]
)
def test_amount_error_triggers(sandbox_client: FpsClient, amount: str, code: str) -> None:
    error = _error(sandbox_client.pay, "CC-1", Decimal(amount), f"err-{amount}")
    assert error.code == code
    assert error.http_status == 400


def test_reused_caller_reference_is_a_duplicate_request(sandbox_client: FpsClient) -> None:
    sandbox_client.pay("CC-1", Decimal("3.00"), "same-ref")
    assert _error(sandbox_client.reserve, "CC-1", Decimal("3.00"), "same-ref").code == (
        "DuplicateRequest"
    )


# -- Cancel ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "operation"), [("Reserved", "Reserve"), ("Pending", "Pay"), ("Pending", "Reserve")]
)
def test_cancel_from_pending_or_reserved(
    sandbox: SandboxServer,
    sandbox_client: FpsClient,
    ipn_capture: IpnCapture,
    status: str,
    operation: str,
) -> None:
    sandbox.set_ipn_urls([ipn_capture.url])
    txn_id = sandbox.create_transaction(status=status, operation=operation)
    result = sandbox_client.cancel(txn_id, "customer asked")
    assert (result.transaction_id, result.transaction_status) == (txn_id, S.CANCELLED)
    history = _history(sandbox_client, txn_id)
    assert history[-1] == ("Cancelled", "Canceled")
    assert ipn_capture.wait_for(1)
    fields = ipn_capture.received[0].fields
    assert (fields["transactionId"], fields["transactionStatus"]) == (txn_id, "CANCELLED")
    assert fields["operation"] == operation.upper()


@pytest.mark.parametrize("status", ["Success", "Failure", "Cancelled"])
def test_cancel_from_a_final_state_is_invalid_transaction_state(
    sandbox: SandboxServer, sandbox_client: FpsClient, status: str
) -> None:
    txn_id = sandbox.create_transaction(status=status, operation="Pay")
    error = _error(sandbox_client.cancel, txn_id)
    assert (error.code, error.http_status) == ("InvalidTransactionState", 400)
    assert status in error.message
    assert sandbox.notifications(txn_id) == []


def test_cancel_of_a_settlement_in_progress_is_refused(sandbox: SandboxServer) -> None:
    txn_id = sandbox.create_transaction(status="Pending", operation="Settle")
    client = FpsClient(sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    try:
        assert _error(client.cancel, txn_id).code == "InvalidTransactionState"
    finally:
        client.close()


@pytest.mark.parametrize(
    "action", ["cancel", "get_transaction_status", "get_transaction", "settle"]
)
def test_well_formed_unknown_id_is_invalid_transaction_id(
    sandbox_client: FpsClient, action: str
) -> None:
    error = _error(getattr(sandbox_client, action), "1" + "Z" * 34)
    assert (error.code, error.http_status) == ("InvalidTransactionId", 400)


def test_unknown_id_refund_is_invalid_transaction_id(sandbox_client: FpsClient) -> None:
    assert _error(sandbox_client.refund, "1" + "Z" * 34, "r-1").code == "InvalidTransactionId"


@pytest.mark.parametrize("action", ["cancel", "get_transaction_status", "get_transaction"])
def test_malformed_id_is_refused_by_the_client_before_sending(
    sandbox_client: FpsClient, sandbox: SandboxServer, action: str
) -> None:
    # The sandbox's own answer to it (InvalidParams, like the wire sample) is checked over raw
    # HTTP in test_errors.py; the client never lets such an ID reach FPS.
    with pytest.raises(InvalidInput, match="has 35 characters; this one has 4"):
        getattr(sandbox_client, action)("FAKE")
    wire = {"cancel": "Cancel", "get_transaction_status": "GetTransactionStatus"}
    assert sandbox.request_count(wire.get(action, "GetTransaction")) == 0


# -- Settle and Refund ------------------------------------------------------------------------


def test_reserve_then_partial_settle(sandbox_client: FpsClient, sandbox: SandboxServer) -> None:
    txn_id = sandbox_client.reserve("CC-9", Decimal("80.00"), "res-1").transaction_id
    assert sandbox_client.get_transaction_status(txn_id).transaction_status is S.RESERVED
    settled = sandbox_client.settle(txn_id, Decimal("75.50"))
    assert (settled.transaction_id, settled.transaction_status) == (txn_id, S.PENDING)
    detail = sandbox_client.get_transaction(txn_id)
    assert detail.transaction_status is S.SUCCESS
    assert detail.fps_operation == "Settle"
    assert detail.transaction_amount.value == Decimal("75.50")
    assert [h.transaction_status.value for h in detail.status_history] == [
        "Pending",
        "Reserved",
        "Pending",
        "Success",
    ]
    notifications = sandbox.notifications(txn_id)
    assert [n["params"]["operation"] for n in notifications] == [
        "RESERVE",
        "RESERVE",
        "SETTLE",
        "SETTLE",
    ]


def test_settle_errors(sandbox: SandboxServer, sandbox_client: FpsClient) -> None:
    reserved = sandbox.create_transaction(status="Reserved", amount="10.00")
    error = _error(sandbox_client.settle, reserved, Decimal("10.01"))
    assert error.code == "SettleAmountGreaterThanReserveAmount"
    paid = sandbox.create_transaction(status="Success", operation="Pay")
    assert _error(sandbox_client.settle, paid).code == "InvalidTransactionState"


def test_refunds_link_both_ways_and_stop_at_the_amount(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    paid = sandbox_client.pay("CC-2", Decimal("30.00"), "pay-r").transaction_id
    first = sandbox_client.refund(paid, "refund-1", Decimal("10.00"), caller_description="damaged")
    assert first.transaction_status is S.PENDING
    assert first.transaction_id != paid
    refund = sandbox_client.get_transaction(first.transaction_id)
    assert refund.fps_operation == "Refund"
    assert refund.transaction_status is S.SUCCESS
    assert [(r.transaction_id, r.relation_type) for r in refund.related_transactions] == [
        (paid, "Parent")
    ]
    error = _error(sandbox_client.refund, paid, "refund-2", Decimal("20.01"))
    assert error.code == "RefundAmountExceeded"
    rest = sandbox_client.refund(paid, "refund-3").transaction_id  # no amount: the rest
    assert sandbox_client.get_transaction(rest).transaction_amount.value == Decimal("20.00")
    original = sandbox_client.get_transaction(paid)
    assert [(r.transaction_id, r.relation_type) for r in original.related_transactions] == [
        (first.transaction_id, "Refund"),
        (rest, "Refund"),
    ]
    assert _error(sandbox_client.refund, paid, "refund-4").code == (
        "TransactionFullyRefundedAlready"
    )
    assert _error(sandbox_client.refund, paid, "refund-1").code in (
        "DuplicateRequest",
        "TransactionFullyRefundedAlready",
    )


def test_refund_duplicate_caller_reference(sandbox_client: FpsClient) -> None:
    paid = sandbox_client.pay("CC-2", Decimal("30.00"), "pay-d").transaction_id
    sandbox_client.refund(paid, "refund-d", Decimal("1.00"))
    assert _error(sandbox_client.refund, paid, "refund-d", Decimal("1.00")).code == (
        "DuplicateRequest"
    )


@pytest.mark.parametrize(
    ("status", "operation", "code"),
    [
        ("Reserved", "Reserve", "TransactionTypeNotRefundable"),
        ("Pending", "Pay", "OriginalTransactionIncomplete"),
        ("Failure", "Pay", "OriginalTransactionFailed"),
        ("Cancelled", "Pay", "OriginalTransactionFailed"),
    ],
)
def test_refund_errors(
    sandbox: SandboxServer, sandbox_client: FpsClient, status: str, operation: str, code: str
) -> None:
    txn_id = sandbox.create_transaction(status=status, operation=operation)
    assert _error(sandbox_client.refund, txn_id, f"r-{status}").code == code


# -- GetTransaction -------------------------------------------------------------------------


def test_get_transaction_returns_every_field(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    txn_id = sandbox.create_transaction(
        status="Success",
        operation="Pay",
        payment_method="CC",
        amount="19.99",
        caller_reference="ref-77",
        caller_description="Order 77",
        sender_description="Mug",
        fps_fees="0.88",
        marketplace_fees="0.50",
        fees_paid_by="Caller",
        sender_token_id="T" * 64,
        recipient_token_id="R" * 64,
        sender_name="Ann",
        sender_email="ann@example.com",
        caller_name="Shop",
        recipient_name="Shop",
        recipient_email="shop@example.com",
        date_received="2024-03-01T10:00:00.000Z",
        date_completed="2024-03-01T10:00:02.500Z",
    )
    detail = sandbox_client.get_transaction(txn_id)
    assert detail.caller_reference == "ref-77"
    assert detail.caller_description == "Order 77"
    assert detail.sender_description == "Mug"
    assert detail.date_received == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert detail.date_completed == datetime(2024, 3, 1, 10, 0, 2, 500000, tzinfo=UTC)
    assert detail.transaction_amount.value == Decimal("19.99")
    assert detail.fps_fees.value == Decimal("0.88")
    assert detail.marketplace_fees is not None
    assert detail.marketplace_fees.value == Decimal("0.50")
    assert detail.fps_fees_paid_by == "Caller"
    assert (detail.sender_token_id, detail.recipient_token_id) == ("T" * 64, "R" * 64)
    assert (detail.fps_operation, detail.payment_method) == ("Pay", "CC")
    assert detail.status_code == "Success"
    assert detail.status_message
    assert (detail.sender_name, detail.sender_email) == ("Ann", "ann@example.com")
    assert (detail.caller_name, detail.recipient_name) == ("Shop", "Shop")
    assert detail.recipient_email == "shop@example.com"
    assert [h.date for h in detail.status_history] == sorted(h.date for h in detail.status_history)
    assert all(
        h.amount is not None and h.amount.value == Decimal("19.99") for h in detail.status_history
    )


def test_history_given_to_the_control_comes_back_in_order(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    history = [
        {"date": "2024-01-01T00:00:00Z", "status": "Pending", "status_code": "PendingVerification"},
        {"date": "2024-01-01T00:05:00Z", "status": "Reserved", "status_code": "Reserved"},
        {"date": "2024-01-02T00:00:00Z", "status": "Cancelled", "status_code": "Expired"},
    ]
    txn_id = sandbox.create_transaction(
        status="Cancelled", status_code="Expired", operation="Reserve", history=history
    )
    assert _history(sandbox_client, txn_id) == [
        ("Pending", "PendingVerification"),
        ("Reserved", "Reserved"),
        ("Cancelled", "Expired"),
    ]


# -- GetAccountActivity ---------------------------------------------------------------------


def _make_activity(sandbox: SandboxServer) -> list[str]:
    base = datetime(2024, 5, 1, tzinfo=UTC)
    ids = []
    for i, (status, operation, method) in enumerate(
        [
            ("Success", "Pay", "CC"),
            ("Reserved", "Reserve", "CC"),
            ("Success", "Pay", "ABT"),
            ("Failure", "Pay", "CC"),
            ("Cancelled", "Reserve", "CC"),
            ("Success", "Settle", "ACH"),
            ("Pending", "Pay", "CC"),
        ]
    ):
        when = (base + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        ids.append(
            sandbox.create_transaction(
                status=status, operation=operation, payment_method=method, date_received=when
            )
        )
    return ids


def test_account_activity_filters(sandbox: SandboxServer, sandbox_client: FpsClient) -> None:
    ids = _make_activity(sandbox)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    everything = sandbox_client.get_account_activity(start, sort_order_by_date="Ascending")
    assert [t.transaction_id for t in everything.transactions] == ids
    assert everything.batch_size == 7
    assert everything.start_time_for_next_transaction is None
    newest_first = sandbox_client.get_account_activity(start)
    assert [t.transaction_id for t in newest_first.transactions] == ids[::-1]
    pays = sandbox_client.get_account_activity(start, fps_operation="Pay")
    assert {t.transaction_id for t in pays.transactions} == {ids[0], ids[2], ids[3], ids[6]}
    abt = sandbox_client.get_account_activity(start, payment_method="ABT")
    assert [t.transaction_id for t in abt.transactions] == [ids[2]]
    reserved = sandbox_client.get_account_activity(start, transaction_status=S.RESERVED)
    assert [t.transaction_id for t in reserved.transactions] == [ids[1]]
    window = sandbox_client.get_account_activity(
        start + timedelta(hours=2), start + timedelta(hours=3), sort_order_by_date="Ascending"
    )
    assert [t.transaction_id for t in window.transactions] == ids[2:4]
    senders = sandbox_client.get_account_activity(start, roles=["Sender"])
    assert senders.transactions == ()
    callers = sandbox_client.get_account_activity(start, roles=["Caller", "Sender"])
    assert len(callers.transactions) == 7
    first = everything.transactions[0]
    assert first.fps_operation == "Pay"
    assert first.payment_method == "CC"
    assert [p.role for p in first.transaction_parts] == ["Recipient", "Caller"]
    caller_part = next(p for p in first.transaction_parts if p.role == "Caller")
    assert caller_part.reference == sandbox.transaction(ids[0])["caller_reference"]


@pytest.mark.parametrize("order", ["Ascending", "Descending"])
def test_account_activity_pages(
    sandbox: SandboxServer, sandbox_client: FpsClient, order: str
) -> None:
    ids = _make_activity(sandbox)
    expected = ids if order == "Ascending" else ids[::-1]
    start: datetime = datetime(2024, 5, 1, tzinfo=UTC)
    end: datetime | None = None
    seen: list[str] = []
    for _ in range(10):
        page = sandbox_client.get_account_activity(
            start, end, max_batch_size=3, sort_order_by_date=order
        )
        seen.extend(t.transaction_id for t in page.transactions)
        if page.start_time_for_next_transaction is None:
            break
        if order == "Ascending":
            start = page.start_time_for_next_transaction
        else:
            end = page.start_time_for_next_transaction
    assert seen == expected


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"max_batch_size": 201}, "MaxBatchSize"),
        ({"fps_operation": "Nope"}, "FPSOperation"),
        ({"payment_method": "Gold"}, "PaymentMethod"),
        ({"transaction_status": "Lost"}, "TransactionStatus"),
        ({"roles": ["Buyer"]}, "Role"),
    ],
)
def test_account_activity_bad_values(
    sandbox_client: FpsClient, kwargs: dict[str, object], fragment: str
) -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    error = _error(sandbox_client.get_account_activity, start, **kwargs)
    assert error.code == "InvalidParams"
    assert fragment in error.message


def test_account_activity_start_in_the_future(sandbox_client: FpsClient) -> None:
    error = _error(sandbox_client.get_account_activity, datetime.now(UTC) + timedelta(days=1))
    assert error.code == "InvalidParams"


# -- VerifySignature ------------------------------------------------------------------------


def test_verify_signature_of_a_real_ipn(
    sandbox: SandboxServer, sandbox_client: FpsClient, ipn_capture: IpnCapture
) -> None:
    sandbox.set_ipn_urls([ipn_capture.url])
    txn_id = sandbox.create_transaction(status="Reserved")
    sandbox_client.cancel(txn_id)
    assert ipn_capture.wait_for(1)
    received = ipn_capture.received[0].params
    assert sandbox_client.verify_signature(ipn_capture.url, received).verified
    tampered = [(k, "USD 999.00" if k == "transactionAmount" else v) for k, v in received]
    assert not sandbox_client.verify_signature(ipn_capture.url, tampered).verified
    assert not sandbox_client.verify_signature(ipn_capture.url + "/", received).verified
    without_cert = [(k, v) for k, v in received if k != "certificateUrl"]
    error = _error(sandbox_client.verify_signature, ipn_capture.url, without_cert)
    assert error.code == "InvalidParams"
    assert error.message == "certificateUrl is missing in 'HttpParameters'."


def test_verify_signature_reads_plus_as_space(
    sandbox: SandboxServer, sandbox_client: FpsClient, ipn_capture: IpnCapture
) -> None:
    sandbox.set_ipn_urls([ipn_capture.url])
    sandbox.create_transaction(status="Reserved", notify=True)
    assert ipn_capture.wait_for(1)
    from urllib.parse import quote_plus

    joined = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in ipn_capture.received[0].params)
    assert "+" in joined
    assert sandbox_client.verify_signature(ipn_capture.url, joined).verified


# -- Reserve expiry -------------------------------------------------------------------------


def test_unsettled_reserve_expires(
    sandbox: SandboxServer, sandbox_client: FpsClient, ipn_capture: IpnCapture
) -> None:
    sandbox.set_ipn_urls([ipn_capture.url])
    soon = datetime.now(UTC) + timedelta(milliseconds=200)
    txn_id = sandbox.create_transaction(status="Reserved", expires_at=soon.isoformat())
    assert sandbox.wait_for_ipns()
    assert _history(sandbox_client, txn_id)[-1] == ("Cancelled", "Expired")
    assert [i.fields["statusCode"] for i in ipn_capture.received] == ["Expired"]


def test_reserve_timeout_is_scheduled_and_dropped_by_cancel_or_settle(
    sandbox: SandboxServer, sandbox_client: FpsClient
) -> None:
    first = sandbox_client.reserve(
        "CC-1", Decimal("10.00"), "exp-1", TransactionTimeoutInMins="5"
    ).transaction_id
    move = sandbox.transaction(first)["pending_move"]
    assert (move["status"], move["status_code"]) == ("Cancelled", "Expired")
    sandbox_client.settle(first)
    assert sandbox.transaction(first)["pending_move"] is None
    second = sandbox_client.reserve(
        "ABT-1", Decimal("10.00"), "exp-2", TransactionTimeoutInMins="5"
    ).transaction_id
    assert sandbox.transaction(second)["pending_move"]["status_code"] == "Expired"
    sandbox_client.cancel(second)
    assert sandbox.transaction(second)["pending_move"] is None
    error = _error(
        sandbox_client.reserve, "CC-1", Decimal("10.00"), "exp-3", TransactionTimeoutInMins="soon"
    )
    assert error.code == "InvalidParams"
