"""Polish an agent notices: the window title says fpsdesk once, the X window class is fpsdesk
however the app was started, a payment method names its code once, the status line does not
repeat the chip in FPS's spelling, and tables name event times alike."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from fpsdesk.ui.application import qt_argv
from fpsdesk.ui.notifications_table import IpnTableModel
from tests.ui.helpers import lookup, table_texts

pytestmark = pytest.mark.gui


def _shown_title(window) -> str:
    """The title the window manager gets: Qt's platform windows append " — <display name>"
    unless the title already ends with it (QPlatformWindow::formatWindowTitle)."""
    title = window.windowTitle()
    name = QGuiApplication.applicationDisplayName()
    return title if not name or title.endswith(name) else f"{title} \u2014 {name}"


def test_window_title_names_the_app_once(qtbot, desk):
    shown = _shown_title(desk.window)
    assert shown.count("fpsdesk") == 1, shown
    assert shown == "Local Sandbox \u2014 fpsdesk"


@pytest.mark.parametrize(
    "argv0", ["/usr/lib/python3/site-packages/fpsdesk/__main__.py", "/opt/fpsdesk/launcher"]
)
def test_x_window_class_is_fpsdesk_however_started(argv0):
    # WM_CLASS's instance part is argv[0]'s base name (Qt's xcb plugin); the desktop file
    # says StartupWMClass=fpsdesk.
    assert qt_argv([argv0, "--sandbox"]) == ["fpsdesk", "--sandbox"]


def test_payment_method_names_its_code_once(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved", payment_method="ACH")
    lookup(qtbot, desk.window, txn)
    assert desk.window.transaction_view.fields["payment_method"].text() == "Bank account (ACH)"


def test_status_line_does_not_repeat_the_chip_in_fps_spelling(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Cancelled", status_code="Canceled")
    lookup(qtbot, desk.window, txn)
    view = desk.window.transaction_view
    assert view.status_chip.text() == "Cancelled"
    assert not view.status_code.text().startswith("Canceled")
    assert view.status_code.text()  # FPS's message is still there
    expired = desk.sandbox.create_transaction(status="Cancelled", status_code="Expired")
    lookup(qtbot, desk.window, expired)
    assert view.status_code.text().startswith("Expired \u2014 ")  # a code that says more stays


def test_event_times_are_headed_when_everywhere(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, desk.window, txn)
    view = desk.window.transaction_view
    for table in (view.timeline_table, view.history_table, view.ipn_table, view.actions_table):
        assert table.horizontalHeaderItem(0).text() == "When"
    assert IpnTableModel.COLUMNS[0] == "When"
    assert table_texts(view.history_table)


def test_counts_use_plural_forms_not_parenthesised_s(qtbot, tmp_path):
    from fpsdesk.store.db import open_database
    from fpsdesk.store.ipns import IpnStore
    from fpsdesk.ui.application import create_application
    from fpsdesk.ui.notifications_view import NotificationsView
    from tests.ui.test_empty_states import _ipn

    create_application()  # loads the English plural forms, as the app does
    conn = open_database(tmp_path / "history.sqlite3")
    store = IpnStore(conn)
    store.add_many([_ipn(1)])
    view = NotificationsView(store)
    qtbot.addWidget(view)
    assert view.count.text() == "1 notification"
    store.add_many([_ipn(2)])
    view.refresh()
    assert view.count.text() == "2 notifications"
    conn.close()


def test_every_parenthesised_plural_is_a_translated_plural_form():
    """A count written "(s)" in the UI's source must be a Qt plural form with English forms."""
    import re
    from pathlib import Path

    from lxml import etree

    root = Path(__file__).resolve().parents[2]
    ts = etree.parse(str(root / "resources" / "translations" / "fpsdesk_en.ts"))
    plurals = {m.findtext("source") for m in ts.iter("message")}
    for path in (root / "fpsdesk" / "ui").glob("*.py"):
        for source in re.findall(r'tr\(\s*"([^"]*\(e?s\)[^"]*)"', path.read_text()):
            assert source in plurals, f"{path.name}: {source!r} is not a plural form"
