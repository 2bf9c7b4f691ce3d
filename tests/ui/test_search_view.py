"""The Search view on a real sandbox with volume data: filters, text, stop, cache, throttling.

The sandbox here holds ``SIZE`` transactions over 90 days (``--demo-size``), shared by the
tests of this module; each test has its own history database, so its own search cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt

from fpsdesk.sandbox import SandboxServer
from fpsdesk.ui.search_form import day_start
from tests.fixtures.sandbox import FAST_IPN_RETRY
from tests.ui.helpers import WAIT_MS, wait_shown

pytestmark = pytest.mark.gui

SIZE = 1200  # 90 days: ~13 a day, so 30 days are ~400 (two pages of 200) and 90 days six


@pytest.fixture(scope="module")
def volume() -> Iterator[SandboxServer]:
    server = SandboxServer(ipn_retry=FAST_IPN_RETRY, demo_size=SIZE).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(volume: SandboxServer) -> Iterator[SandboxServer]:
    """The ``desk`` fixture's sandbox is the module's volume sandbox, left as it was found."""
    yield volume
    volume.clear_faults()
    volume.set_throttle(None)


def received(txn: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(txn["date_received"]).replace("Z", "+00:00"))


def since(sandbox: SandboxServer, days: int) -> list[dict[str, Any]]:
    """What a search from ``days`` days ago (local midnight) until now should find."""
    start = day_start(date.today() - timedelta(days=days))
    return [t for t in sandbox.transactions() if received(t) >= start]


def open_search(desk: Any) -> Any:
    desk.window.find_transactions()
    view = desk.window.search_view
    assert desk.window.tabs.currentWidget() is desk.window._search_host
    return view


def set_days(view: Any, days: int) -> None:
    view.from_date.setDate(QDate.currentDate().addDays(-days))
    view.to_date.setDate(QDate.currentDate())


def run_search(qtbot: Any, view: Any) -> None:
    """Enter in the text field, then wait until the search has ended."""
    view.text.setFocus()
    qtbot.keyClick(view.text, Qt.Key.Key_Return)
    assert view.running
    qtbot.waitUntil(lambda: not view.running, timeout=WAIT_MS * 4)


def double_click(qtbot: Any, table: Any, index: Any) -> None:
    """As a mouse does it: press and release, then the double click."""
    where = table.visualRect(index).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)


def shown_ids(view: Any) -> list[str]:
    return [f.transaction_id for f in view.matches()]


def test_a_status_filter_shows_the_right_rows_and_a_double_click_opens_one(qtbot, desk):
    view = open_search(desk)
    set_days(view, 30)
    view.status.setCurrentIndex(view.status.findData("Reserved"))
    run_search(qtbot, view)
    expected = {t["transaction_id"] for t in since(desk.sandbox, 30) if t["status"] == "Reserved"}
    assert expected
    assert set(shown_ids(view)) == expected
    assert len(shown_ids(view)) == len(expected)
    # Newest first, status as icon and word, the ID in full.
    dates = [f.date_received for f in view.matches()]
    assert dates == sorted(dates, reverse=True)
    model = view.model
    assert {model.index(r, 2).data() for r in range(model.rowCount())} == {"Reserved"}
    assert model.index(0, 2).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(0, 1).data() == view.matches()[0].transaction_id
    matches = f"{len(expected)} match" + ("" if len(expected) == 1 else "es")
    assert f"{matches} in" in view.progress_label.text()
    assert matches in view.count.text()
    # Double-click a row: the transaction page shows it.
    target = view.matches()[1].transaction_id
    double_click(qtbot, view.table, model.index(1, 1))
    wait_shown(qtbot, desk.window, target)
    assert desk.window.tabs.currentIndex() == 0


def test_text_finds_an_order_number_and_enter_opens_it(qtbot, desk):
    txn = desk.sandbox.create_transaction(
        status="Pending",
        operation="Reserve",
        amount="31.41",
        caller_reference="ORD-SEARCH-8812",
        sender_name="Zelda Quartermaine",
    )
    view = open_search(desk)
    view.text.setText("ord-search-8812")
    run_search(qtbot, view)
    assert shown_ids(view) == [txn]
    row = [view.model.index(0, c).data() for c in range(view.model.columnCount())]
    assert row[1:4] == [txn, "Pending", "USD 31.41"]
    assert row[4] == "ORD-SEARCH-8812"
    assert row[5].startswith("Zelda Quartermaine")
    assert row[7] == "Reserve"
    # By the sender's name, in other case and with spaces, and by an amount range.
    view.text.setText("  zelda QUARTERMAINE ")
    run_search(qtbot, view)
    assert shown_ids(view) == [txn]
    view.text.clear()
    view.amount.setText("31.40-31.42")
    run_search(qtbot, view)
    assert txn in shown_ids(view)
    assert all(Decimal("31.40") <= f.amount <= Decimal("31.42") for f in view.matches())
    # Enter on the selected row opens it.
    view.table.setFocus()
    view.table.setCurrentIndex(view.model.index(shown_ids(view).index(txn), 1))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    wait_shown(qtbot, desk.window, txn)


def test_bad_input_is_explained_next_to_its_field_and_nothing_runs(qtbot, desk):
    view = open_search(desk)
    before = desk.sandbox.request_count("GetAccountActivity")
    view.amount.setText("abc")
    qtbot.keyClick(view.amount, Qt.Key.Key_Return)
    assert not view.running
    assert view.amount_error.isVisible()
    assert "“abc” is not an amount" in view.amount_error.text()
    assert not view.date_error.isVisible()
    view.amount.setText("10-50")
    view.from_date.setDate(QDate.currentDate().addDays(-2))
    view.to_date.setDate(QDate.currentDate().addDays(-5))
    assert not view.search()
    assert view.date_error.isVisible()
    assert "before the start date" in view.date_error.text()
    assert not view.amount_error.isVisible()
    # Typing again clears the message.
    view.to_date.setDate(QDate.currentDate())
    assert not view.date_error.isVisible()
    assert desk.sandbox.request_count("GetAccountActivity") == before
    assert view.model.rowCount() == 0


def test_a_repeat_search_answers_from_the_cache_and_refresh_reads_again(qtbot, desk):
    view = open_search(desk)
    set_days(view, 30)
    run_search(qtbot, view)
    first = view.progress
    assert first.pages >= 2
    assert first.from_cache == 0
    assert len(shown_ids(view)) == len(since(desk.sandbox, 30))
    pages = desk.sandbox.request_count("GetAccountActivity")
    # Narrower: answered from the cache, saying how fresh it is.
    view.method.setCurrentIndex(view.method.findData("CC"))
    run_search(qtbot, view)
    again = view.progress
    assert again.from_cache > 0
    assert desk.sandbox.request_count("GetAccountActivity") - pages <= 1  # the last moments
    read_at = again.oldest_read.astimezone().strftime("%H:%M")
    assert f"from the cache read at {read_at}" in view.progress_label.text()
    assert {f.payment_method for f in view.matches()} == {"CC"}
    assert view.refresh_button.isVisible()
    # Refresh reads every page from FPS again.
    qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.running, timeout=WAIT_MS * 4)
    assert view.progress.from_cache == 0
    assert view.progress.pages >= 2
    assert "from the cache" not in view.progress_label.text()


def test_esc_stops_a_search_and_keeps_what_it_found(qtbot, desk):
    desk.sandbox.inject_fault(action="GetAccountActivity", kind="delay", delay_ms=400, times=None)
    view = open_search(desk)
    set_days(view, 90)
    view.text.setFocus()
    qtbot.keyClick(view.text, Qt.Key.Key_Return)
    assert view.running
    assert desk.window.stop_action.isEnabled()
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=WAIT_MS)
    qtbot.keyClick(view.text, Qt.Key.Key_Escape)
    assert "Stopping" in view.progress_label.text()
    qtbot.waitUntil(lambda: not view.running, timeout=WAIT_MS)
    assert view.progress.stopped
    assert 0 < view.model.rowCount() < SIZE
    assert view.progress_label.text().startswith("Stopped:")
    assert not desk.window.stop_action.isEnabled()
    # Nothing recorded as read whole: the next search reads FPS again, and finds them all.
    desk.sandbox.clear_faults()
    view.stop_button.click()  # nothing runs: does nothing
    run_search(qtbot, view)
    assert not view.progress.stopped
    assert len(shown_ids(view)) == len(since(desk.sandbox, 90))


def test_the_stop_button_stops_a_search(qtbot, desk):
    desk.sandbox.inject_fault(action="GetAccountActivity", kind="delay", delay_ms=400, times=None)
    view = open_search(desk)
    set_days(view, 90)
    assert view.search()
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=WAIT_MS)
    qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.running, timeout=WAIT_MS)
    assert view.progress.stopped
    assert view.model.rowCount() < SIZE


def test_a_throttled_sandbox_slows_the_search_down_and_it_still_completes(qtbot, desk):
    desk.sandbox.set_throttle(2.0, 1.0)
    view = open_search(desk)
    set_days(view, 30)
    run_search(qtbot, view)
    assert desk.sandbox.throttle.describe()["refused"] > 0  # FPS did say "too fast"
    assert view.error is None
    assert not view.progress.stopped
    assert set(shown_ids(view)) == {t["transaction_id"] for t in since(desk.sandbox, 30)}


def test_sorting_by_a_column_and_back(qtbot, desk):
    view = open_search(desk)
    set_days(view, 7)
    run_search(qtbot, view)
    assert view.model.rowCount() > 3
    view.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    amounts = [(f.currency, f.amount) for f in view.matches()]
    assert amounts == sorted(amounts)
    selected = view.matches()[0].transaction_id
    view.table.selectRow(0)
    view.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    assert view.selected_ids() == [selected]  # the selection follows its row
    view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    dates = [f.date_received for f in view.matches()]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] <= datetime.now(UTC)
