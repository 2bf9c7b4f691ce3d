"""Results that must not confuse: an expired reserve said once and plainly, demo entries that
open what they promise, a next step for a completed payment, and related transactions as links.
All against the real sandbox over loopback."""

from __future__ import annotations

import argparse

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from fpsdesk.sandbox import demo
from fpsdesk.ui import app as gui
from fpsdesk.ui import dialogs
from fpsdesk.ui.application import create_application
from tests.ui.helpers import WAIT_MS, lookup, shown_status, wait_shown

pytestmark = pytest.mark.gui


def test_expired_reserve_is_said_once_and_plainly(qtbot, desk, dialog_log):
    txn = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, desk.window, txn)
    # The reserve lapses while the page is open: FPS cancels it itself (StatusCode Expired).
    desk.sandbox.set_status(txn, "Cancelled", "Expired")
    with qtbot.waitSignal(desk.session.cancel_blocked, timeout=WAIT_MS) as blocked:
        qtbot.mouseClick(desk.window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)
    assert blocked.args[0].status_code == "Expired"
    banner = desk.window.transaction_view.banner
    assert banner.headline.text() == "Nothing to cancel: the reserve expired"
    assert "changed" not in banner.headline.text()
    assert "Nothing was sent" in banner.detail.text()
    assert dialog_log.titles("show_error") == []  # not repeated in a modal
    assert desk.sandbox.request_count("Cancel") == 0
    qtbot.waitUntil(lambda: shown_status(desk.window) == "Cancelled", timeout=WAIT_MS)
    hint = desk.window.transaction_view.cancel_hint
    qtbot.waitUntil(lambda: hint.text() == "The reserve expired: nothing to cancel.")


@pytest.fixture
def controller(qapp, dialog_log):
    args = argparse.Namespace(sandbox=True, profile=None, smoke_test=False, verbose=0)
    create_application()
    ctl = gui.AppController(args)
    ctl.start()
    yield ctl
    ctl.close()


def _demo_action(window, prefix: str):
    (action,) = [a for a in window.demo_menu.actions() if a.text().startswith(prefix)]
    return action


def _open_from_menu(qtbot, window, prefix: str) -> str:
    before = window.shown_transaction
    _demo_action(window, prefix).trigger()
    qtbot.waitUntil(
        lambda: (
            window.shown_transaction not in (None, before)
            and window.session.current_lookup is None
            and window.transaction_view.detail is not None
            and window.transaction_view.detail.transaction_id == window.shown_transaction
        ),
        timeout=WAIT_MS,
    )
    return window.shown_transaction


def test_demo_reserved_is_fresh_after_earlier_cancels(qtbot, controller, dialog_log):
    window = controller.window
    first = _open_from_menu(qtbot, window, "&Reserved")
    assert shown_status(window) == "Reserved"
    assert first not in demo.DEMO_RESERVED_IDS
    with qtbot.waitSignal(controller.session.cancel_finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_status(window) == "Cancelled", timeout=WAIT_MS)
    second = _open_from_menu(qtbot, window, "&Reserved")
    assert second != first
    assert shown_status(window) == "Reserved"
    assert window.transaction_view.cancel_button.isEnabled()
    _open_from_menu(qtbot, window, "&Pending")
    assert shown_status(window) == "Pending"
    assert window.transaction_view.cancel_button.isEnabled()


def test_completed_payment_offers_the_refund_as_next_step(qtbot, desk, monkeypatch):
    txn = desk.sandbox.create_transaction(
        status="Success", amount="42.00", sender_name="Ada Lovelace", caller_reference="ord-7"
    )
    lookup(qtbot, desk.window, txn)
    view = desk.window.transaction_view
    assert view.cancel_hint.text() == "Completed: refund instead."
    assert view.refund_button.isVisible()
    asked = []
    monkeypatch.setattr(
        dialogs, "offer_refund_details", lambda parent, *args: asked.append(args) or True
    )
    qtbot.mouseClick(view.refund_button, Qt.MouseButton.LeftButton)
    assert asked == [(txn, "USD 42.00")]
    copied = QGuiApplication.clipboard().text()
    assert f"Transaction ID: {txn}" in copied
    assert "Amount: USD 42.00" in copied
    assert "Caller reference: ord-7" in copied
    # Not offered where a Cancel is the next step.
    reserved = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, desk.window, reserved)
    assert not view.refund_button.isVisible()


def test_related_transactions_are_links_that_open_them(qtbot, desk):
    parent = desk.sandbox.create_transaction(status="Success", operation="Pay", amount="20.00")
    refund = desk.sandbox.create_transaction(
        status="Success", operation="Refund", amount="5.00", parent_id=parent
    )
    lookup(qtbot, desk.window, refund)
    label = desk.window.transaction_view.fields["related"]
    assert label.textFormat() == Qt.TextFormat.RichText
    assert f"href='txn:{parent}'" in label.text()
    assert label.textInteractionFlags() & Qt.TextInteractionFlag.LinksAccessibleByKeyboard
    # Each link gets its transaction's status once it is read (off the GUI thread).
    qtbot.waitUntil(lambda: f"{parent}</span></a> · Success" in label.text(), timeout=WAIT_MS)
    label.linkActivated.emit(f"txn:{parent}")
    wait_shown(qtbot, desk.window, parent)
    assert shown_status(desk.window) == "Success"
