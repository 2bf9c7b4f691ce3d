"""App start: first run, profiles, error handling, Qt messages, palette, remembered geometry."""

from __future__ import annotations

import argparse
import logging

import pytest
from PySide6.QtCore import QRect, Qt, qWarning
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fpsdesk.settings import Profile
from fpsdesk.settings_store import SettingsStore
from fpsdesk.ui import app as gui
from fpsdesk.ui import application, dialogs, theme
from fpsdesk.ui.main_window import MainWindow
from tests.ui.helpers import WAIT_MS, lookup, shown_status

pytestmark = pytest.mark.gui


def start(args: dict[str, object]) -> gui.AppController:
    application.create_application()
    namespace = argparse.Namespace(
        **{"sandbox": False, "profile": None, "smoke_test": False, "verbose": 0, **args}
    )
    controller = gui.AppController(namespace)
    controller.start()
    return controller


def test_first_run_offers_the_sandbox(qtbot, qapp, dialog_log, monkeypatch):
    asked_with: list[str] = []

    def first_run_choice(parent):
        asked_with.append(parent.env_badge.text())  # the window behind the question
        return "sandbox"

    monkeypatch.setattr(dialogs, "first_run_choice", first_run_choice)
    controller = start({})
    try:
        assert asked_with == ["NOT CONNECTED"]  # not "connecting" while waiting for the agent
        assert controller.sandbox is not None
        assert controller.window.env_badge.text() == "LOCAL SANDBOX"
        assert controller.window.sandbox_menu.menuAction().isVisible()
    finally:
        controller.close()


def test_first_run_connect_opens_settings(qtbot, qapp, dialog_log):
    dialog_log.first_run = "connect"
    controller = start({})
    try:
        ((dialog,),) = dialog_log.titles("run_modal")
        assert dialog.windowTitle().startswith("Settings")
        assert controller.sandbox is None
        assert controller.window.env_badge.text() == "NOT CONNECTED"
        assert not controller.window.sandbox_menu.menuAction().isVisible()
    finally:
        controller.close()


def test_saved_profile_is_used_with_its_keychain_secret(qtbot, qapp, sandbox, dialog_log):
    import keyring

    SettingsStore().add(Profile("Desk", sandbox.url, DEFAULT_ACCESS_KEY), make_current=True)
    keyring.set_password("fpsdesk", "Desk", DEFAULT_SECRET_KEY)
    txn = sandbox.create_transaction(status="Pending")
    controller = start({})
    try:
        assert dialog_log.titles("first_run_choice") == []
        window = controller.window
        assert window.env_badge.text() == "LOCAL SANDBOX"
        assert window.profile_label.text() == "Desk"
        lookup(qtbot, window, txn)
        assert shown_status(window) == "Pending"
    finally:
        controller.close()


def test_missing_secret_is_explained_and_settings_open(qtbot, qapp, sandbox, dialog_log):
    SettingsStore().add(Profile("NoSecret", sandbox.url, DEFAULT_ACCESS_KEY), make_current=True)
    controller = start({})
    try:
        ((title, text),) = dialog_log.titles("show_error")
        assert title == "Cannot open the profile"
        assert "No secret key is stored" in text
        assert len(dialog_log.titles("run_modal")) == 1
        assert controller.session.config is None
    finally:
        controller.close()


def test_uncaught_exception_is_logged_and_shown_without_traceback(qapp, dialog_log, caplog):
    hook = application.ExceptHook()
    try:
        raise ValueError("boom in a slot")
    except ValueError as exc:
        with caplog.at_level(logging.CRITICAL):
            hook(type(exc), exc, exc.__traceback__)
    ((log_path,),) = dialog_log.titles("show_unexpected_error")
    assert log_path.endswith("fpsdesk.log")
    assert "Traceback" not in log_path
    assert any(r.exc_info and r.exc_info[0] is ValueError for r in caplog.records)


def test_qt_messages_go_to_the_log(qapp, caplog):
    from PySide6.QtCore import qInstallMessageHandler

    previous = qInstallMessageHandler(application.qt_message)
    try:
        with caplog.at_level(logging.WARNING, logger="qt"):
            qWarning("fpsdesk test warning")
    finally:
        qInstallMessageHandler(previous)
    assert [r.getMessage() for r in caplog.records if r.name == "qt"] == ["fpsdesk test warning"]


def test_palette_follows_the_system_scheme(qapp, monkeypatch):
    # The offscreen platform has no colour scheme (it stays Unknown even when asked), so the
    # system's answer is replaced here; the palette choice and the widgets' colours are real.
    app = QApplication.instance()
    try:
        monkeypatch.setattr(theme, "system_color_scheme", lambda: Qt.ColorScheme.Dark)
        application.PaletteFollower().follow()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 100
        assert theme.status_look("Success").color().name() == "#5cc971"  # dark variant
        monkeypatch.setattr(theme, "system_color_scheme", lambda: Qt.ColorScheme.Light)
        application.PaletteFollower().follow()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200
        assert theme.status_look("Success").color().name() == "#1a7f37"
    finally:
        monkeypatch.undo()
        theme.apply_palette(app)


def test_window_geometry_is_remembered(qtbot, desk):
    desk.window.setGeometry(QRect(5, 5, 790, 570))
    desk.window.tabs.setCurrentIndex(1)
    desk.window.close()
    again = MainWindow(desk.session)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (790, 570)
    assert again.tabs.currentIndex() == 1
    again.shutdown()


def test_results_tab_restored_at_start_is_built_once_the_session_is_attached(qtbot, desk):
    """A restored Results tab is selected before AppController attaches the session."""
    desk.window.tabs.setCurrentIndex(1)
    desk.window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    try:
        assert again.tabs.currentIndex() == 1
        assert again._results is None  # nothing to read the action log from yet
        again.attach_session(desk.session)
        assert again._results is not None
        assert again.results_view.isVisibleTo(again)
    finally:
        again.shutdown()


def test_first_paint_says_connecting_then_the_sandbox(qtbot, qapp, dialog_log):
    """The window paints before the sandbox is up; its badge must not claim "not connected"."""
    from PySide6.QtCore import QEvent, QObject

    painted: list[str] = []

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append(watched.env_badge.text())
            return False

    def watch(window):
        window.installEventFilter(FirstPaint(window))

    application.create_application()
    controller = gui.AppController(
        argparse.Namespace(sandbox=True, profile=None, smoke_test=False, verbose=0), watch
    )
    try:
        controller.start()
        assert painted == ["CONNECTING…"]
        assert controller.window.env_badge.text() == "LOCAL SANDBOX"
    finally:
        controller.close()


def test_unusable_history_database_is_explained_and_left_untouched(qtbot, qapp, dialog_log):
    from fpsdesk.store.location import default_path

    path = default_path()
    junk = b"this is not an SQLite database\n" * 64
    path.write_bytes(junk)
    application.create_application()
    controller = gui.AppController(
        argparse.Namespace(sandbox=True, profile=None, smoke_test=False, verbose=0)
    )
    try:
        with pytest.raises(gui.StartupFailed):
            controller.start()
        ((_title, text),) = dialog_log.titles("show_error")
        assert str(path) in text
        assert controller.window is not None
        assert controller.window.isVisible()  # told over the window, not before it
        assert controller.session is None
        assert controller.sandbox is None
    finally:
        controller.close()
    assert path.read_bytes() == junk


def test_settings_from_the_menu_and_switching_profile(qtbot, qapp, sandbox, dialog_log):
    dialog_log.first_run = "sandbox"
    controller = start({})
    txn = sandbox.create_transaction(status="Success")

    def fill(dialog):
        dialog._new_profile()
        dialog.name.setText("Other")
        dialog.environment.setCurrentIndex(dialog.environment.findData(""))
        dialog.endpoint.setText(sandbox.url)
        dialog.access_key.setText(DEFAULT_ACCESS_KEY)
        dialog.secret.setText(DEFAULT_SECRET_KEY)
        dialog.save_and_use()
        return 1

    dialog_log.on_modal = fill
    try:
        controller.window.settings_action.trigger()
        assert controller.session.config.endpoint == sandbox.url
        assert controller.window.profile_label.text() == "Other"
        lookup(qtbot, controller.window, txn)
        qtbot.waitUntil(lambda: shown_status(controller.window) == "Success", timeout=WAIT_MS)
    finally:
        controller.close()
