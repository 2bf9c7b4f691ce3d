"""The merged timeline: order, sources, verdict badges and the contradictions it flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fpsdesk.desk.timeline import build_timeline, contradictions
from fpsdesk.fps.models import Amount, StatusHistoryEntry, TransactionDetail, TransactionStatus
from fpsdesk.records.ipn import FailReason, IpnVerdict
from fpsdesk.store.actions import ActionOutcome, ActionRecord
from fpsdesk.store.ipns import IpnRecord

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TXN = "1" + "A" * 34


def detail(status: TransactionStatus, history: list[tuple[int, TransactionStatus]]):
    return TransactionDetail(
        transaction_id=TXN,
        caller_reference="ref",
        date_received=T0,
        transaction_amount=Amount(Decimal("5")),
        fps_fees=Amount(Decimal("0.3")),
        fps_fees_paid_by="Recipient",
        fps_operation="Reserve",
        payment_method="CC",
        transaction_status=status,
        caller_name="Shop",
        request_id="r:0",
        status_history=tuple(StatusHistoryEntry(T0 + timedelta(minutes=m), s) for m, s in history),
    )


def ipn(
    minutes: int,
    status: TransactionStatus,
    verdict: IpnVerdict = IpnVerdict.VERIFIED,
    reason: str | None = None,
) -> IpnRecord:
    at = T0 + timedelta(minutes=minutes)
    return IpnRecord(
        id=minutes,
        content_hash=f"h{minutes}{status}",
        params=(("transactionId", TXN),),
        notification_type="TransactionStatus",
        transaction_id=TXN,
        parent_transaction_id=None,
        event_at=at,
        transaction_date=at,
        transaction_status=status,
        operation="RESERVE",
        status_code=None,
        amount=Amount(Decimal("5")),
        verdict=verdict,
        reason_code=FailReason.BAD_SIGNATURE if verdict is IpnVerdict.FAILED else None,
        reason=reason,
        verify_method="local",
        checked_at=at,
        endpoint_url=None,
        http_method="POST",
        source="test",
        received_at=at,
        last_received_at=at,
        delivery_count=1,
    )


def cancel_action(minutes: int, outcome: ActionOutcome = ActionOutcome.SUCCEEDED):
    at = T0 + timedelta(minutes=minutes)
    return ActionRecord(
        id=1,
        kind="Cancel",
        transaction_id=TXN,
        reason="asked",
        operator="agent",
        environment="Sandbox",
        endpoint="https://fps.sandbox.amazonaws.com/",
        created_at=at,
        finished_at=at,
        outcome=outcome,
        status_before="Reserved",
        status_after="Cancelled",
        request_id="req:0",
        error_code=None,
        error_message=None,
        reconciled_at=None,
    )


R, C, S = TransactionStatus.RESERVED, TransactionStatus.CANCELLED, TransactionStatus.SUCCESS


def test_merges_sources_in_time_order_with_cause_before_notice():
    events = build_timeline(
        detail(C, [(0, R), (5, C)]),
        [ipn(0, R), ipn(5, C)],
        [cancel_action(5)],
        now=T0 + timedelta(minutes=6),
    )
    assert [(e.source, e.title) for e in events] == [
        ("FPS status", "Reserved"),
        ("IPN", "Reserved"),
        ("Staff", "Cancel succeeded"),
        ("FPS status", "Cancelled"),
        ("IPN", "Cancelled"),
    ]
    assert [e.verdict for e in events if e.kind == "ipn"] == ["verified", "verified"]
    assert contradictions(events) == []
    assert events[2].request_id == "req:0"


def test_ipn_disagreeing_with_the_api_is_flagged():
    events = build_timeline(detail(R, [(0, R)]), [ipn(1, S)], [], now=T0)
    flags = contradictions(events)
    assert any("FPS's status history has no Success" in f for f in flags)
    assert any("newest IPN says Success, but FPS says Reserved" in f for f in flags)


def test_failed_ipn_is_shown_but_never_trusted():
    events = build_timeline(
        detail(R, [(0, R)]), [ipn(1, S, IpnVerdict.FAILED, "bad signature")], [], now=T0
    )
    (flag,) = contradictions(events)
    assert flag.startswith("Signature failed: bad signature")
    assert "newest IPN" not in flag  # a forged IPN is not compared as status


def test_cancel_without_ipn_after_grace_is_flagged():
    base = detail(C, [(0, R), (5, C)])
    early = build_timeline(base, [ipn(0, R)], [cancel_action(5)], now=T0 + timedelta(minutes=14))
    assert contradictions(early) == []
    late = build_timeline(base, [ipn(0, R)], [cancel_action(5)], now=T0 + timedelta(minutes=16))
    assert contradictions(late) == ["No Cancelled IPN arrived within 10 minutes of this cancel."]
    answered = build_timeline(
        base, [ipn(0, R), ipn(6, C)], [cancel_action(5)], now=T0 + timedelta(minutes=60)
    )
    assert contradictions(answered) == []
    failed_cancel = build_timeline(
        base, [], [cancel_action(5, ActionOutcome.FAILED)], now=T0 + timedelta(minutes=60)
    )
    assert not any("No Cancelled IPN" in f for f in contradictions(failed_cancel))


def test_a_2009_ipn_with_only_the_older_status_field_shows_its_status(tmp_path):
    """Amazon's 2009 sample has status=INITIATED and no transactionStatus: the store maps it,
    so the timeline shows a status for it instead of only "TransactionStatus"."""
    from urllib.parse import urlencode

    from fpsdesk.ipn.importer import Importer
    from fpsdesk.ipn.verify import IpnVerifier, TrustPolicy
    from fpsdesk.store import IpnStore, open_database
    from tests.ipn.test_legacy_status import SAMPLE_2009
    from tests.ipn.test_legacy_status import TXN as SAMPLE_TXN

    sample = tmp_path / "sample.form"
    sample.write_text(urlencode(SAMPLE_2009) + "\n")
    store = IpnStore(open_database(tmp_path / "history.sqlite3"))
    Importer(store, IpnVerifier(TrustPolicy.amazon())).import_paths([sample])
    (record,) = store.for_transaction(SAMPLE_TXN)
    (event,) = build_timeline(None, [record], [], now=T0)
    assert (event.source, event.status, event.title) == (
        "IPN",
        TransactionStatus.PENDING,
        "Pending (2009 status INITIATED)",  # marked as coming from the older field
    )
    assert record.status_label == "Pending (2009 status INITIATED)"
