"""Look-up through the real window against the real sandbox: every status, bad input, errors."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from fpsdesk.fps.models import TransactionStatus
from tests.ui.helpers import (
    WAIT_MS,
    lookup,
    shown_status,
    table_texts,
    type_and_enter,
    wait_shown,
)

pytestmark = pytest.mark.gui

WHY_NOT = {
    TransactionStatus.SUCCESS: "Completed: refund instead.",
    TransactionStatus.FAILURE: "Failed: nothing to cancel.",
    TransactionStatus.CANCELLED: "Already cancelled.",
}


@pytest.mark.parametrize("status", list(TransactionStatus))
def test_lookup_shows_each_status(qtbot, desk, status):
    txn = desk.sandbox.create_transaction(
        status=status.value, amount="12.34", caller_reference=f"order-{status.value}"
    )
    lookup(qtbot, desk.window, txn)
    view = desk.window.transaction_view
    assert shown_status(desk.window) == status.value
    # The status is a word and an icon, never colour alone.
    assert view.status_chip._icon.pixmap() is not None
    assert not view.status_chip._icon.pixmap().isNull()
    assert view.amount.text() == "USD 12.34"
    assert view.fields["caller_reference"].text() == f"order-{status.value}"
    assert view.transaction_id.label.text() == txn
    history = table_texts(view.history_table)
    assert history, "GetTransaction's status history is shown"
    assert history[-1][1] == status.value
    assert view.cancel_button.isEnabled() is status.cancellable
    if not status.cancellable:
        assert view.cancel_hint.text() == WHY_NOT[status]
    assert desk.sandbox.request_count("GetTransaction") == 1


def test_invalid_id_explained_inline_before_any_request(qtbot, desk):
    type_and_enter(qtbot, desk.window, "  abc-123  ")
    assert desk.window.id_error.isVisible()
    assert "found '-'" in desk.window.id_error.text()
    type_and_enter(qtbot, desk.window, "")
    assert "Enter a transaction ID" in desk.window.id_error.text()
    assert desk.sandbox.request_count("GetTransaction") == 0
    assert desk.session.current_lookup is None


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("12345", "A transaction ID has 35 characters; this one has 5."),
        ("1" + "A" * 33, "this one has 34."),
        ("Hello, I would like to cancel my order please", "No transaction ID in the pasted text."),
    ],
)
def test_wrong_length_or_prose_is_explained_locally(qtbot, desk, typed, said):
    type_and_enter(qtbot, desk.window, typed)
    assert said in desk.window.id_error.text()
    assert desk.sandbox.request_count("GetTransaction") == 0
    assert desk.session.current_lookup is None


def test_a_lower_case_id_is_upper_cased_and_looked_up(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    type_and_enter(qtbot, desk.window, txn.lower())
    wait_shown(qtbot, desk.window, txn)
    assert desk.window.id_edit.text() == txn
    assert not desk.window.id_error.isVisible()


def test_several_ids_in_a_paste_offer_a_choice(qtbot, desk):
    first = desk.sandbox.create_transaction(status="Reserved")
    second = desk.sandbox.create_transaction(status="Pending")
    window = desk.window
    QGuiApplication.clipboard().setText(f"Refund {first}? No wait, it was {second}.")
    window.id_edit.clear()
    window.id_edit.setFocus()
    qtbot.keyClick(window.id_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert "holds 2 transaction IDs: pick one." in window.id_error.text()
    buttons = window.id_choices.findChildren(QPushButton)
    assert [b.text() for b in buttons] == [first, second]
    assert window.id_choices.isVisible()
    assert desk.sandbox.request_count("GetTransaction") == 0
    qtbot.keyClick(window.id_edit, Qt.Key.Key_Return)  # Enter alone does not guess
    assert desk.sandbox.request_count("GetTransaction") == 0
    buttons[1].click()
    wait_shown(qtbot, window, second)
    assert window.id_edit.text() == second
    assert not window.id_choices.isVisible()


def test_whitespace_trimmed_and_pasted_text_yields_the_id(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    type_and_enter(qtbot, desk.window, f"   {txn}\t ")
    wait_shown(qtbot, desk.window, txn)
    assert desk.window.id_edit.text() == txn
    other = desk.sandbox.create_transaction(status="Pending")
    QGuiApplication.clipboard().setText(
        f"Hi, please check https://payments.example.com/txn?transactionId={other}&x=1 thanks"
    )
    desk.window.id_edit.clear()
    desk.window.id_edit.setFocus()
    qtbot.keyClick(desk.window.id_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert desk.window.id_edit.text() == other
    qtbot.keyClick(desk.window.id_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shown_status(desk.window) == "Pending", timeout=WAIT_MS)


def test_fps_error_is_shown_in_plain_language(qtbot, desk):
    unknown = "1" + "Z" * 34
    type_and_enter(qtbot, desk.window, unknown)
    window = desk.window
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.error_page, timeout=WAIT_MS)
    banner = window.error_banner
    assert banner.isVisible()
    assert banner.code.label.text() == "InvalidTransactionId"
    assert banner.request_id.label.text() not in ("", "—")
    text = f"{banner.headline.text()} {banner.detail.text()}"
    assert "no such transaction" in text.lower()
    assert "Traceback" not in text
    banner.request_id.copy()
    assert QGuiApplication.clipboard().text() == banner.request_id.label.text()


def test_stale_lookup_reply_is_ignored(qtbot, desk):
    slow = desk.sandbox.create_transaction(status="Success")
    fast = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(
        action="GetTransaction", transaction_id=slow, kind="delay", delay_ms=800
    )
    with qtbot.waitSignal(
        desk.session.host.reads.lookup_done,
        timeout=WAIT_MS,
        check_params_cb=lambda r: r.transaction_id == slow,
    ):
        type_and_enter(qtbot, desk.window, slow)
        type_and_enter(qtbot, desk.window, fast)
        # Reads run side by side: the fast one is shown while the slow one is still out.
        qtbot.waitUntil(lambda: shown_status(desk.window) == "Reserved", timeout=WAIT_MS)
    # The slow reply arrived last and was dropped as stale.
    qtbot.wait(50)
    assert desk.sandbox.request_count("GetTransaction") == 2
    assert desk.window.transaction_view.detail.transaction_id == fast
    assert shown_status(desk.window) == "Reserved"


def test_shortcuts_and_help(qtbot, desk, dialog_log):
    window = desk.window
    window.tabs.setCurrentIndex(1)
    window.focus_action.trigger()
    assert window.tabs.currentIndex() == 0
    assert window.focus_action.shortcut().toString() == "Ctrl+L"
    assert window.cancel_action.shortcut().toString() == "Ctrl+Shift+X"
    window.show_shortcuts()
    (listed,) = dialog_log.titles("show_shortcuts")
    keys = [k for k, _ in listed[0]]
    assert {"Ctrl+L", "F5", "Ctrl+Shift+X", "F1"} <= set(keys)
    window.show_about()
    ((version, backend, _qt),) = dialog_log.titles("show_about")
    assert version
    assert backend


def test_unusable_endpoint_is_explained_on_look_up(qtbot, desk):
    from dataclasses import replace

    desk.session.connect_to(replace(desk.config, endpoint="http://fps.example.com/"))
    type_and_enter(qtbot, desk.window, "1" + "A" * 34)
    window = desk.window
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.error_page, timeout=WAIT_MS)
    assert "https" in window.error_banner.detail.text()
    assert desk.sandbox.request_count("GetTransaction") == 0


@pytest.mark.parametrize(
    ("entry", "status"),
    [
        ("Reserved", "Reserved"),
        ("Pending", "Pending"),
        ("Completed", "Success"),
        ("Failed", "Failure"),
        ("Already", "Cancelled"),
    ],
)
def test_sandbox_menu_opens_a_demo_transaction_of_each_kind(qtbot, desk, entry, status):
    desk.sandbox.reset(demo=True)
    assert "Open a demo transaction" in desk.window.welcome.body.text()
    [action] = [a for a in desk.window.demo_menu.actions() if entry in a.text().replace("&", "")]
    action.trigger()
    wait_shown(qtbot, desk.window, action.data())
    assert shown_status(desk.window) == status
    assert desk.window.id_edit.text() == action.data()


def test_a_burst_of_arriving_ipns_is_one_refresh(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, desk.window, txn)
    reads: list[str] = []

    def ipn_rows(transaction_id: str) -> list:
        reads.append(transaction_id)
        return []

    desk.window._ipn_rows = ipn_rows
    for _ in range(50):  # e.g. the demo set arriving, or FPS retrying
        desk.window.on_ipns_arrived()
    qtbot.waitUntil(lambda: reads == [txn], timeout=WAIT_MS)
    qtbot.wait(3 * desk.window.IPN_REFRESH_DELAY_MS)
    assert reads == [txn]
