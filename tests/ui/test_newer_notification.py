"""A notification that arrives while a page is open changes what the page says; an untrusted
one never looks like a fact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fpsdesk.fps.models import Amount, TransactionStatus
from fpsdesk.records.ipn import FailReason, IpnVerdict
from fpsdesk.store.ipns import IpnRecord
from fpsdesk.ui import theme
from tests.ui.helpers import WAIT_MS, lookup, shown_status

pytestmark = pytest.mark.gui


def _ipn(txn: str, status: TransactionStatus, verdict: IpnVerdict) -> IpnRecord:
    # The sandbox dates a new transaction's last history entry a second ahead: the
    # notification comes a few seconds after that.
    at = datetime.now(UTC) + timedelta(seconds=5)
    failed = verdict is IpnVerdict.FAILED
    return IpnRecord(
        id=int(at.timestamp() * 1000) % 1_000_000,
        content_hash=f"h-{txn}-{status.value}-{verdict.value}",
        params=(("transactionId", txn), ("transactionStatus", status.value.upper())),
        notification_type="TransactionStatus",
        transaction_id=txn,
        parent_transaction_id=None,
        event_at=at,
        transaction_date=at,
        transaction_status=status,
        operation="RESERVE",
        status_code=None,
        amount=Amount(Decimal("5.00")),
        verdict=verdict,
        reason_code=FailReason.BAD_SIGNATURE if failed else None,
        reason="the signature does not match" if failed else None,
        verify_method="local",
        checked_at=at,
        endpoint_url=None,
        http_method="POST",
        source="test",
        received_at=at,
        last_received_at=at,
        delivery_count=1,
    )


def _arrive(qtbot, window, records: list[IpnRecord]) -> None:
    """What the in-process receiver does after storing: the window re-reads its IPN rows."""
    window._ipn_rows = lambda transaction_id: [
        r for r in records if r.transaction_id == transaction_id
    ]
    window.on_ipns_arrived()
    qtbot.waitUntil(lambda: not window._ipn_refresh.isActive(), timeout=WAIT_MS)


def test_a_live_verified_failure_changes_the_page_and_turns_cancel_off(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved", amount="5.00")
    window = desk.window
    lookup(qtbot, window, txn)
    view = window.transaction_view
    assert view.cancel_button.isEnabled()
    # FPS fails the reserve and notifies; the next read is held up so the stale state shows.
    desk.sandbox.set_status(txn, "Failure")
    desk.sandbox.inject_fault(action="GetTransaction", kind="delay", delay_ms=600)
    reads = desk.sandbox.request_count("GetTransaction")
    _arrive(qtbot, window, [_ipn(txn, TransactionStatus.FAILURE, IpnVerdict.VERIFIED)])
    assert view.stale_label.isVisible()
    assert "says Failure; this page shows Reserved" in view.stale_label.text()
    # Prominent: on the page above the card, not inside the Timeline tab.
    assert not view.tabs.isAncestorOf(view.stale_label)
    assert not view.cancel_button.isEnabled()
    assert "newer notification" in view.cancel_hint.text()
    # ... and the page is read again: it follows FPS, and the warning goes.
    qtbot.waitUntil(lambda: shown_status(window) == "Failure", timeout=WAIT_MS)
    assert desk.sandbox.request_count("GetTransaction") == reads + 1
    assert not view.stale_label.isVisible()
    assert not view.cancel_button.isEnabled()
    assert view.cancel_hint.text() == "Failed: nothing to cancel."


def test_a_contradiction_that_stays_is_shown_on_the_page_not_only_in_the_timeline(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved", amount="5.00")
    window = desk.window
    lookup(qtbot, window, txn)
    view = window.transaction_view
    reads = desk.sandbox.request_count("GetTransaction")
    # FPS still says Reserved after the re-read: the page keeps saying they disagree.
    _arrive(qtbot, window, [_ipn(txn, TransactionStatus.FAILURE, IpnVerdict.VERIFIED)])
    qtbot.waitUntil(
        lambda: desk.sandbox.request_count("GetTransaction") == reads + 1, timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: not view.stale_label.isVisible(), timeout=WAIT_MS)
    assert view.flags_label.isVisible()
    assert not view.tabs.isAncestorOf(view.flags_label)
    assert "The newest IPN says Failure, but FPS says Reserved now." in view.flags_label.text()
    # Read once for that notification, not in a loop.
    window.on_ipns_arrived()
    qtbot.waitUntil(lambda: not window._ipn_refresh.isActive(), timeout=WAIT_MS)
    qtbot.wait(200)
    assert desk.sandbox.request_count("GetTransaction") == reads + 1


def test_a_forged_success_never_shows_as_a_green_success(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved", amount="5.00")
    window = desk.window
    lookup(qtbot, window, txn)
    view = window.transaction_view
    reads = desk.sandbox.request_count("GetTransaction")
    _arrive(qtbot, window, [_ipn(txn, TransactionStatus.SUCCESS, IpnVerdict.FAILED)])
    table = view.timeline_table
    [row] = [r for r in range(table.rowCount()) if table.item(r, 1).text() == "IPN"]
    event = table.item(row, 2)
    assert event.text() == "Untrusted: Success"
    assert event.font().strikeOut()
    assert event.foreground().color() == theme.untrusted_look().color()
    assert "not trusted" in event.toolTip()
    assert "Signature failed: the signature does not match" in table.item(row, 4).text()
    # The Notifications tab of the page says the same.
    status = view.ipn_table.item(0, 1)
    assert status.text() == "Untrusted: Success"
    assert status.font().strikeOut()
    # A forged notification is no reason to read again or to touch Cancel.
    assert not view.stale_label.isVisible()
    assert view.cancel_button.isEnabled()
    qtbot.wait(200)
    assert desk.sandbox.request_count("GetTransaction") == reads
