"""``fpsdesk --sandbox`` as a whole: embedded sandbox, live IPNs during a cancel, reset."""

from __future__ import annotations

import argparse

import pytest
from PySide6.QtCore import Qt

from fpsdesk.paths import data_dir
from fpsdesk.sandbox import demo
from fpsdesk.ui import app as gui
from fpsdesk.ui.application import create_application
from tests.ui.helpers import WAIT_MS, lookup, shown_status, table_texts

pytestmark = pytest.mark.gui


@pytest.fixture
def controller(qapp, dialog_log):
    args = argparse.Namespace(sandbox=True, profile=None, smoke_test=False, verbose=0)
    create_application()
    ctl = gui.AppController(args)
    ctl.start()
    yield ctl
    ctl.close()


def test_sandbox_ipns_arrive_live_during_a_cancel(qtbot, controller, dialog_log):
    window = controller.window
    assert window.env_badge.text() == "LOCAL SANDBOX"
    assert controller.sandbox.sandbox_path.parent == data_dir()
    assert controller.sandbox.sandbox_path.exists()
    txn = demo.DEMO_RESERVED_IDS[0]
    lookup(qtbot, window, txn)
    assert shown_status(window) == "Reserved"
    qtbot.mouseClick(window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)

    def cancelled_ipn_shown() -> bool:
        rows = table_texts(window.transaction_view.ipn_table)
        return any(r[1] == "Cancelled" and r[4] == "Verified" for r in rows)

    assert not cancelled_ipn_shown()
    qtbot.waitUntil(cancelled_ipn_shown, timeout=WAIT_MS)
    timeline = [(e.source, e.title, e.verdict) for e in window.transaction_view.timeline_events]
    assert ("IPN", "Cancelled", "verified") in timeline
    assert ("Staff", "Cancel succeeded", None) in timeline
    # Double-clicking an IPN opens the Notifications view on this transaction.
    window.transaction_view.tabs.setCurrentIndex(2)
    window.transaction_view.ipn_table.cellDoubleClicked.emit(0, 0)
    view = window.notifications
    assert window.tabs.currentWidget() is view
    assert view.model.total == window.transaction_view.ipn_table.rowCount()
    assert {view.model.record(i).transaction_id for i in range(view.model.rowCount())} == {txn}


def test_reset_sandbox_restores_demo_data(qtbot, controller, dialog_log):
    window = controller.window
    txn = demo.DEMO_RESERVED_IDS[1]
    lookup(qtbot, window, txn)
    with qtbot.waitSignal(controller.session.cancel_finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_status(window) == "Cancelled", timeout=WAIT_MS)
    assert window.reset_sandbox_action is not None
    window.reset_sandbox_action.trigger()
    assert len(dialog_log.titles("confirm_reset_sandbox")) == 1
    qtbot.waitUntil(lambda: shown_status(window) == "Reserved", timeout=WAIT_MS)
