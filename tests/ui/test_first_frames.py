"""The first look-up's frame costs no more than the next: the page is rehearsed just after
start-up (fpsdesk/ui/rehearsal.py) and left as built; and a reply's page paints its history
tabs a frame after the rest, with the tables already filled (fpsdesk/ui/transaction_view.py)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel

from fpsdesk.ui import rehearsal
from fpsdesk.ui.transaction_view import HISTORIES_LATER_MS, TransactionView
from tests.ui.conftest import Desk
from tests.ui.helpers import lookup


def _page_texts(view: TransactionView) -> list[str]:
    return [label.text() for label in view.findChildren(QLabel)]


def _look_up_one(qtbot: Any, desk: Desk) -> tuple[str, TransactionView]:
    txn = desk.sandbox.create_transaction(status="Reserved", amount="7.00")
    lookup(qtbot, desk.window, txn)
    return txn, desk.window.transaction_view


def test_the_rehearsal_leaves_the_page_as_it_was_built(qtbot: Any, desk: Desk) -> None:
    window = desk.window
    qtbot.waitUntil(lambda: window.built_transaction_view is not None, timeout=5000)
    view = window.transaction_view
    built = TransactionView()
    qtbot.addWidget(built)
    before = window.pages.currentWidget()

    assert rehearsal.rehearse(window, window.pages, view)

    assert window.pages.currentWidget() is before
    assert view.detail is None
    assert view.timeline_events == []
    for table in (view.timeline_table, view.history_table, view.ipn_table, view.actions_table):
        assert table.rowCount() == 0
    assert view.tabs.tabText(1) == built.tabs.tabText(1)
    made_up = rehearsal.made_up_detail()
    texts = _page_texts(view)
    for value in (made_up.transaction_id, made_up.caller_reference, "ann@example.com"):
        assert not any(value in text for text in texts), value
    assert texts == _page_texts(built)


def test_the_rehearsal_never_touches_a_page_that_shows_a_transaction(
    qtbot: Any, desk: Desk
) -> None:
    window = desk.window
    txn, view = _look_up_one(qtbot, desk)

    assert not rehearsal.rehearse(window, window.pages, view)

    assert view.detail is not None
    assert view.detail.transaction_id == txn
    assert view.transaction_id.label.text() == txn


def test_the_window_rehearses_after_start_up_and_a_look_up_shows_only_its_own_facts(
    qtbot: Any, desk: Desk, monkeypatch: Any
) -> None:
    calls: list[bool] = []
    real = rehearsal.rehearse
    monkeypatch.setattr(rehearsal, "rehearse", lambda *a: calls.append(real(*a)) or calls[-1])
    qtbot.waitUntil(lambda: bool(calls), timeout=5000)
    assert calls == [True]

    txn, view = _look_up_one(qtbot, desk)

    assert view.transaction_id.label.text() == txn
    assert view.fields["caller_reference"].text() != rehearsal.made_up_detail().caller_reference
    assert view.history_table.rowCount() >= 1


def test_a_reply_fills_the_tables_at_once_and_paints_them_a_frame_later(
    qtbot: Any, desk: Desk
) -> None:
    _, view = _look_up_one(qtbot, desk)
    qtbot.waitUntil(view.tabs.updatesEnabled, timeout=2000)
    assert view.detail is not None

    view.show_detail(view.detail)

    # The page's state is whole at once: whoever reads the tables reads this transaction's.
    assert view.history_table.rowCount() == len(view.detail.status_history)
    assert not view.tabs.updatesEnabled()  # the tabs wait for a frame of their own
    qtbot.waitUntil(view.tabs.updatesEnabled, timeout=1000 + HISTORIES_LATER_MS)
