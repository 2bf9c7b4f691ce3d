"""The Notifications view over a real SQLite store: lazy paging, filters, detail pane, CSV."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QDate

from fpsdesk.ipn.parse import from_pairs
from fpsdesk.records.ipn import FailReason, Verdict
from fpsdesk.store.db import open_database
from fpsdesk.store.ipns import IpnStore, NewIpn
from fpsdesk.ui import dialogs
from fpsdesk.ui.application import create_application
from fpsdesk.ui.notifications_table import PAGE_SIZE
from fpsdesk.ui.notifications_view import NotificationsView

pytestmark = pytest.mark.gui

TOTAL = 650
STATUSES = ["SUCCESS", "PENDING", "RESERVED", "CANCELLED", "FAILURE"]
BASE_EPOCH = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
DAY = 86_400


def txn_id(n: int) -> str:
    return f"1T{n % 50:03d}" + "X" * 30


def pairs(n: int) -> list[tuple[str, str]]:
    return [
        ("notificationType", "TransactionStatus"),
        ("transactionId", txn_id(n)),
        ("transactionDate", str(BASE_EPOCH + (n % 10) * DAY + n)),
        ("transactionStatus", STATUSES[n % 5]),
        ("statusCode", "Success"),
        ("operation", "PAY" if n % 2 else "RESERVE"),
        ("callerReference", f"ref-{n}"),
        ("transactionAmount", f"USD {n}.00"),
        ("signatureVersion", "2"),
        ("signatureMethod", "RSA-SHA1"),
        ("certificateUrl", "https://fps.sandbox.amazonaws.com/certs/090909/PKICert.pem"),
        ("signature", f"c2lnbmF0dXJl{n}"),
    ]


def verdict(n: int) -> Verdict:
    if n % 3 == 0:
        return Verdict.verified("local")
    if n % 3 == 1:
        return Verdict.failed(FailReason.BAD_SIGNATURE, "bad signature", "local")
    return Verdict.not_checked(FailReason.CERTIFICATE_UNAVAILABLE, "offline")


@pytest.fixture
def view(qtbot, tmp_path):
    conn = open_database(tmp_path / "history.sqlite3")
    store = IpnStore(conn)
    store.add_many(
        NewIpn(
            from_pairs(pairs(n)), verdict(n), "test", endpoint_url="https://merchant.example/ipn"
        )
        for n in range(TOTAL)
    )
    create_application()  # with its English plural forms
    widget = NotificationsView(store)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    yield widget
    conn.close()


def test_lazy_model_loads_pages_on_demand(qtbot, view):
    model = view.model
    assert model.total == TOTAL
    assert model.rowCount() == PAGE_SIZE
    assert view.count.text() == f"{TOTAL} notifications"
    view.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > PAGE_SIZE)
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == TOTAL
    dates = [model.record(i).event_at for i in range(model.rowCount())]
    assert dates == sorted(dates, reverse=True)


def test_past_the_count_cap_the_view_says_more_and_still_pages_to_the_end(qtbot, view, monkeypatch):
    """The count stops at COUNT_CAP (a million IPNs on PostgreSQL must not be walked to paint
    the first page); the label says "N+" and every row still pages in, by key, in order."""
    from fpsdesk.ui import notifications_table

    monkeypatch.setattr(notifications_table, "COUNT_CAP", 300)
    view.apply_filters()
    model = view.model
    assert model.total > 300
    assert view.count.text() == "300+ notifications"
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == TOTAL
    assert len({model.record(i).id for i in range(TOTAL)}) == TOTAL
    dates = [model.record(i).event_at for i in range(TOTAL)]
    assert dates == sorted(dates, reverse=True)
    assert model.total == TOTAL  # everything loaded: the count is exact now


def test_filters_combine(view):
    view.status.setCurrentIndex(view.status.findData("Cancelled"))
    assert view.model.total == TOTAL // 5
    assert all(
        view.model.record(i).transaction_status.value == "Cancelled"
        for i in range(view.model.rowCount())
    )
    view.verdict.setCurrentIndex(view.verdict.findData("failed"))
    expected = sum(1 for n in range(TOTAL) if n % 5 == 3 and n % 3 == 1)
    assert view.model.total == expected
    view.status.setCurrentIndex(0)
    view.verdict.setCurrentIndex(0)
    view.operation.setCurrentIndex(view.operation.findData("PAY"))
    assert view.model.total == TOTAL // 2
    view.operation.setCurrentIndex(0)
    view.transaction.setText(txn_id(7).lower())
    assert view.model.total == TOTAL // 50
    view.transaction.clear()
    view.date_from.setDate(QDate(2026, 3, 3))
    view.date_to.setDate(QDate(2026, 3, 4))
    view.use_from.setChecked(True)
    view.use_to.setChecked(True)
    assert view.model.total == sum(1 for n in range(TOTAL) if n % 10 in (2, 3))


def test_detail_pane_shows_raw_parameters_and_verdict(qtbot, view):
    view.verdict.setCurrentIndex(view.verdict.findData("failed"))
    view.table.selectRow(0)
    record = view.model.record(0)
    assert view.raw.rowCount() == len(record.params)
    assert [view.raw.item(i, 0).text() for i in range(view.raw.rowCount())] == [
        k for k, _ in record.params
    ]
    assert view.raw.item(1, 1).text() == record.transaction_id
    assert "bad signature" in view.detail_verdict.text()
    assert "not trusted" in view.detail_verdict.text()
    with qtbot.waitSignal(view.open_transaction) as opened:
        view.open_button.click()
    assert opened.args == [record.transaction_id]


def test_csv_export_honours_the_filters(view, monkeypatch, tmp_path):
    target = tmp_path / "ipns.csv"
    monkeypatch.setattr(dialogs, "save_csv_path", lambda *a: str(target))
    view.status.setCurrentIndex(view.status.findData("Reserved"))
    view.export()
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == TOTAL // 5
    assert {r["transaction_status"] for r in rows} == {"Reserved"}
    assert all("signatureMethod=RSA-SHA1" in r["raw_parameters"] for r in rows)


def test_an_untrusted_notification_never_shows_its_status_as_a_fact(qtbot, view):
    from PySide6.QtCore import Qt

    from fpsdesk.ui import theme

    view.verdict.setCurrentIndex(view.verdict.findData("failed"))
    index = view.model.index(0, 2)
    record = view.model.record(0)
    label = theme.status_look(record.transaction_status).label
    assert index.data() == f"Untrusted: {label}"
    assert index.data(Qt.ItemDataRole.FontRole).strikeOut()
    assert index.data(Qt.ItemDataRole.ForegroundRole).color() == theme.untrusted_look().color()
    assert "not trusted" in index.data(Qt.ItemDataRole.ToolTipRole)
    # A Verified one reads as its status, plainly.
    view.verdict.setCurrentIndex(view.verdict.findData("verified"))
    verified = view.model.index(0, 2)
    assert not verified.data().startswith("Untrusted")
    assert verified.data(Qt.ItemDataRole.FontRole) is None
