"""Empty states: a filter that matches nothing says so and offers to clear it, which is not the
same as a history with nothing in it; and no pane is a set of empty labels."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from fpsdesk.ipn.parse import from_pairs
from fpsdesk.records.ipn import Verdict
from fpsdesk.store.actions import ActionOutcome, ActionStore
from fpsdesk.store.db import open_database
from fpsdesk.store.ipns import IpnStore, NewIpn
from fpsdesk.ui.notifications_view import NotificationsView
from fpsdesk.ui.results_view import ResultsView

pytestmark = pytest.mark.gui

TXN = "14GKE3B85HCMF1BTSH5C4PD2IHZL95RJ2LM"


@pytest.fixture
def conn(tmp_path):
    connection = open_database(tmp_path / "history.sqlite3")
    yield connection
    connection.close()


def _shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    return widget


def test_results_tell_no_match_from_nothing_yet(qtbot, conn):
    actions = ActionStore(conn)
    view = _shown(qtbot, ResultsView(actions))
    assert view.body.currentWidget() is view.empty
    assert view.empty.title.text() == "No cancellations yet"
    assert not view.clear_filters_button.isVisible()

    action = actions.start("Cancel", TXN, environment="Local sandbox", endpoint="http://x/")
    actions.finish(action, ActionOutcome.SUCCEEDED, request_id="r-1", status_after="Cancelled")
    view.mark_dirty()
    assert view.body.currentWidget() is view.table
    view.outcome.setCurrentIndex(view.outcome.findData(ActionOutcome.UNKNOWN.value))
    assert view.body.currentWidget() is view.empty
    assert view.empty.title.text() == "No cancellations match"
    assert "No cancellations yet" not in view.empty.body.text()
    assert view.clear_filters_button.isVisible()
    qtbot.mouseClick(view.clear_filters_button, Qt.MouseButton.LeftButton)
    assert view.outcome.currentIndex() == 0
    assert [r.transaction_id for r in view.records] == [TXN]
    assert view.body.currentWidget() is view.table

    view.search.setText("NOSUCHID")
    assert view.empty.title.text() == "No cancellations match"


def _ipn(n: int) -> NewIpn:
    pairs = [
        ("notificationType", "TransactionStatus"),
        ("transactionId", TXN),
        ("transactionDate", str(1_772_323_200 + n)),
        ("transactionStatus", "SUCCESS"),
        ("operation", "PAY"),
        ("transactionAmount", "USD 1.00"),
        ("certificateUrl", "https://fps.sandbox.amazonaws.com/certs/090909/PKICert.pem"),
        ("signature", f"c2ln{n}"),
    ]
    return NewIpn(from_pairs(pairs), Verdict.verified("local"), "test")


def test_notifications_empty_and_no_match_are_explained(qtbot, conn):
    store = IpnStore(conn)
    view = _shown(qtbot, NotificationsView(store))
    assert view.body.currentWidget() is view.empty
    assert view.empty.title.text() == "No notifications yet"
    assert not view.clear_filters_button.isVisible()

    store.add_many([_ipn(1)])
    view.refresh()
    assert view.body.currentWidget() is not view.empty
    view.environment.setCurrentIndex(view.environment.findData("Production"))
    assert view.model.total == 0
    assert view.body.currentWidget() is view.empty
    assert view.empty.title.text() == "No notifications match these filters"
    assert view.clear_filters_button.isVisible()
    qtbot.mouseClick(view.clear_filters_button, Qt.MouseButton.LeftButton)
    assert view.environment.currentIndex() == 0
    assert view.model.total == 1
    assert view.body.currentWidget() is not view.empty


def test_notification_pane_without_a_selection_is_a_hint_not_empty_labels(qtbot, conn):
    store = IpnStore(conn)
    store.add_many([_ipn(1)])
    view = _shown(qtbot, NotificationsView(store))
    assert view.detail_title.text() == "Select a notification"
    assert view.detail_hint.isVisible()
    assert not view.raw.isVisible()
    assert not view.detail_verdict.isVisible()
    assert not view.open_button.isVisible()
    view.table.selectRow(0)
    assert view.raw.isVisible()
    assert view.detail_verdict.text().startswith("Verified")
    assert not view.detail_hint.isVisible()
    # Every row is labelled with the FPS it came from.
    assert view.model.index(0, 8).data() == "Sandbox"
