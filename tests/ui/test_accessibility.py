"""Every control and status a screen reader reaches has a name and a description, read through
QAccessible as assistive technology reads them (not from the widget properties), on each of the
main screens, the settings dialog and the cancel confirmation; icons carry their words."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QTabBar,
    QWidget,
)

from fpsdesk.store.db import open_database
from fpsdesk.store.ipns import IpnStore
from fpsdesk.ui import prompts
from fpsdesk.ui.bulk_cancel_dialog import BulkCancelDialog
from fpsdesk.ui.cancel_dialog import CancelDialog
from fpsdesk.ui.notifications_view import NotificationsView
from fpsdesk.ui.result_banner import ResultBanner
from fpsdesk.ui.settings_dialog import SettingsDialog
from fpsdesk.ui.widgets import EnvironmentBadge, StatusChip
from tests.ui.helpers import WAIT_MS, lookup

pytestmark = pytest.mark.gui

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView, QTabBar)
PARTS = (QHeaderView,)  # part of a control named by its own items (a table's column headers)


def _is_status(widget: QWidget) -> bool:
    return isinstance(widget, StatusChip | EnvironmentBadge | ResultBanner)


def missing(root: QWidget) -> list[str]:
    """Visible controls and statuses under ``root`` without an accessible name or description."""
    problems = []
    checked: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root) or not (isinstance(widget, CONTROLS) or _is_status(widget)):
            continue
        if isinstance(widget, PARTS):
            continue
        checked.append(type(widget).__name__)
        if isinstance(widget, QLineEdit) and isinstance(
            widget.parent(), (QComboBox, QAbstractSpinBox)
        ):
            continue  # the editor inside a combo box or date edit: the box itself is the control
        iface = QAccessible.queryAccessibleInterface(widget)
        assert iface is not None
        assert iface.isValid()
        if isinstance(widget, QTabBar):  # a screen reader reads each tab: its text and tooltip
            for index in range(iface.childCount()):
                tab = iface.child(index)
                if tab.role() != QAccessible.Role.PageTab:
                    continue  # the scroll arrows
                if not tab.text(QAccessible.Text.Description).strip():
                    problems.append(f"tab {tab.text(QAccessible.Text.Name)!r}: no description")
            checked.append("QTabBar")
            continue
        name = iface.text(QAccessible.Text.Name).strip()
        description = iface.text(QAccessible.Text.Description).strip()
        if not name or not description:
            what = type(widget).__name__
            label = name or getattr(widget, "text", lambda: "")() or widget.objectName()
            label += f" in {type(widget.parent()).__name__}/{widget.parent().objectName()}"
            problems.append(f"{what} {label!r}: name={name!r} description={description!r}")
    assert checked, "nothing to check: the screen was not built"
    print("\n".join(problems))  # on failure, pytest shows the whole list
    return problems


def test_main_window_with_a_transaction(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved", amount="12.00")
    lookup(qtbot, desk.window, txn)
    assert missing(desk.window) == []
    chip = desk.window.transaction_view.status_chip
    iface = QAccessible.queryAccessibleInterface(chip)
    assert "Reserved" in iface.text(QAccessible.Text.Name)  # the icon's words


def test_result_banner_after_a_cancel(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved", amount="12.00")
    lookup(qtbot, desk.window, txn)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        desk.window.request_cancel()
    banner = desk.window.transaction_view.banner
    qtbot.waitUntil(banner.isVisible)
    iface = QAccessible.queryAccessibleInterface(banner)
    assert iface.text(QAccessible.Text.Name) == banner.headline.text()
    assert iface.text(QAccessible.Text.Description)
    assert missing(desk.window) == []


@pytest.mark.parametrize("view", ["results_view", "search_view", "bulk_view"])
def test_each_tab(qtbot, desk, view):
    widget = getattr(desk.window, view)  # built on first use
    desk.window.tabs.setCurrentIndex(
        desk.window.tabs.indexOf(widget.parentWidget())
        if desk.window.tabs.indexOf(widget) < 0
        else desk.window.tabs.indexOf(widget)
    )
    qtbot.waitUntil(widget.isVisible)
    assert missing(widget) == []


def test_notifications_view(qtbot, tmp_path):
    from tests.ui.test_empty_states import _ipn

    conn = open_database(tmp_path / "history.sqlite3")
    store = IpnStore(conn)
    store.add_many([_ipn(1)])
    view = NotificationsView(store)
    qtbot.addWidget(view)
    view.show()
    view.table.selectRow(0)
    try:
        assert missing(view) == []
    finally:
        conn.close()


def test_settings_dialog(qtbot, desk):
    dialog = SettingsDialog(desk.session)
    qtbot.addWidget(dialog)
    dialog.show()
    assert missing(dialog) == []


def test_cancel_confirmation(qtbot, desk, dialog_log):
    txn = desk.sandbox.create_transaction(status="Reserved", amount="12.00")
    lookup(qtbot, desk.window, txn)
    prompts = []
    dialog_log.on_confirm_cancel = prompts.append
    dialog_log.cancel_reason = None  # the agent backs out; the real dialog is built below
    desk.window.request_cancel()
    (prompt,) = prompts
    dialog = CancelDialog(prompt, desk.window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert missing(dialog) == []


def test_bulk_cancel_confirmation(qtbot, desk):
    prompt = prompts.BulkPrompt(
        count=25,
        environment="Production",
        endpoint="https://fps.amazonaws.com/",
        amounts="USD 1,234.50",
        needs_count_typed=True,
        job_id=7,
        source="fraud.csv",
    )
    dialog = BulkCancelDialog(prompt, desk.window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert missing(dialog) == []
