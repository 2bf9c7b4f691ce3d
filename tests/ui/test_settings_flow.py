"""Settings as an agent uses it: the first profile saved is offered for use, typed changes are
never discarded unasked, the list says which profile is in use, a connection can be tested
before the profile has a name, a new profile's secret field does not claim a stored secret, and
the CA bundle can be browsed for. Secrets go to the real keychain; the sandbox is real."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fpsdesk.settings_store import SettingsStore
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.db import open_database
from fpsdesk.ui import dialogs
from fpsdesk.ui.application import create_application
from fpsdesk.ui.profile_form import KEEP_SECRET
from fpsdesk.ui.session import DeskSession
from fpsdesk.ui.settings_dialog import SettingsDialog
from tests.ui.helpers import WAIT_MS

pytestmark = pytest.mark.gui


@pytest.fixture
def idle_session(qapp, tmp_path, dialog_log):
    """A session connected to nothing, as at first start without --sandbox."""
    create_application()
    conn = open_database(tmp_path / "history.sqlite3")
    session = DeskSession(ActionStore(conn))
    yield session
    session.shutdown()
    conn.close()


def _fill(dialog: SettingsDialog, url: str, name: str = "Support") -> None:
    dialog.name.setText(name)
    dialog.environment.setCurrentIndex(dialog.environment.findData(""))  # custom URL
    dialog.endpoint.setText(url)
    dialog.access_key.setText(DEFAULT_ACCESS_KEY)
    dialog.secret.setText(DEFAULT_SECRET_KEY)


def _dialog(qtbot, session) -> SettingsDialog:
    dialog = SettingsDialog(session)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_saving_the_first_profile_offers_to_use_it(qtbot, idle_session, sandbox, dialog_log):
    dialog = _dialog(qtbot, idle_session)
    _fill(dialog, sandbox.url)
    with qtbot.waitSignal(dialog.profile_activated) as activated:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    ((title, text, yes),) = [args[:3] for args in dialog_log.titles("confirm")]
    assert title == "Use this profile?"
    assert "not connected" in text
    assert yes == "Use Support"
    assert activated.args[0].name == "Support"
    assert SettingsStore().load().current == "Support"
    assert not dialog.isVisible()


def test_declining_the_offer_keeps_the_profile_saved_and_the_dialog_open(
    qtbot, idle_session, sandbox, dialog_log
):
    dialog_log.confirm_answer = False
    dialog = _dialog(qtbot, idle_session)
    _fill(dialog, sandbox.url)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert [args[0] for args in dialog_log.titles("confirm")] == ["Use this profile?"]
    assert SettingsStore().get("Support").endpoint == sandbox.url
    assert dialog.isVisible()


def test_saving_while_connected_does_not_ask(qtbot, desk, dialog_log):
    dialog = _dialog(qtbot, desk.session)
    _fill(dialog, desk.sandbox.url, name="Second")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog_log.titles("confirm") == []
    assert dialog.message.text() == "Saved Second."


def test_esc_on_a_tested_profile_asks_before_discarding(qtbot, desk, dialog_log):
    dialog = _dialog(qtbot, desk.session)
    _fill(dialog, desk.sandbox.url)
    with qtbot.waitSignal(desk.session.connection_tested, timeout=WAIT_MS):
        dialog.test_button.click()
    assert dialog.verdict == "ok"
    dialog_log.confirm_answer = False  # "Go back"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    ((title, text, _yes),) = [args[:3] for args in dialog_log.titles("confirm")]
    assert title == "Discard changes?"
    assert "secret key" in text
    assert dialog.isVisible()
    assert dialog.secret.text() == DEFAULT_SECRET_KEY
    dialog_log.confirm_answer = True
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_esc_with_nothing_typed_closes_without_asking(qtbot, desk, dialog_log):
    dialog = _dialog(qtbot, desk.session)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog_log.titles("confirm") == []
    assert not dialog.isVisible()


def test_list_says_which_profile_is_in_use(qtbot, desk, dialog_log):
    # The desk fixture works with the profile named "Test".
    dialog = _dialog(qtbot, desk.session)
    for name in ("Other", "Test"):
        dialog._new_profile()
        _fill(dialog, desk.sandbox.url, name=name)
        assert dialog.save() is not None
    texts = sorted(dialog.list.item(i).text() for i in range(dialog.list.count()))
    assert texts == ["Other", "Test (in use)"]
    dialog.list.setCurrentRow([dialog.list.item(i).text() for i in range(2)].index("Other"))
    assert dialog.name.text() == "Other"


def test_connection_can_be_tested_before_naming_the_profile(qtbot, desk):
    dialog = _dialog(qtbot, desk.session)
    _fill(dialog, desk.sandbox.url, name="")
    with qtbot.waitSignal(desk.session.connection_tested, timeout=WAIT_MS):
        dialog.test_button.click()
    assert dialog.verdict == "ok", dialog.message.text()
    assert dialog.message.text().startswith("Connected")


def test_new_profile_secret_field_does_not_claim_a_stored_secret(qtbot, desk):
    dialog = _dialog(qtbot, desk.session)
    assert "Stored in the keychain" not in dialog.secret.placeholderText()
    _fill(dialog, desk.sandbox.url)
    assert dialog.save() is not None
    assert dialog.secret.placeholderText() == KEEP_SECRET
    dialog._new_profile()
    assert "Stored in the keychain" not in dialog.secret.placeholderText()


def test_ca_bundle_has_a_browse_button(qtbot, desk, monkeypatch, tmp_path):
    pem = tmp_path / "proxy-ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    asked = []
    monkeypatch.setattr(
        dialogs, "open_ca_bundle", lambda parent, current: asked.append(current) or str(pem)
    )
    dialog = _dialog(qtbot, desk.session)
    qtbot.mouseClick(dialog.ca_browse, Qt.MouseButton.LeftButton)
    assert asked == [""]
    assert dialog.ca_bundle.text() == str(pem)


def test_first_profile_saved_at_first_run_connects_the_window(qtbot, qapp, sandbox, dialog_log):
    import argparse

    from fpsdesk.ui import app as gui

    dialog_log.first_run = "connect"

    def fill(dialog):
        _fill(dialog, sandbox.url)
        dialog.save_clicked()  # Save, not "Save and use"; the offer is taken
        return 1

    dialog_log.on_modal = fill
    create_application()
    controller = gui.AppController(
        argparse.Namespace(sandbox=False, profile=None, smoke_test=False, verbose=0)
    )
    controller.start()
    try:
        assert controller.session.config is not None
        assert controller.session.config.endpoint == sandbox.url
        assert controller.window.profile_label.text() == "Support"
        assert "Not connected" not in controller.window.statusBar().currentMessage()
    finally:
        controller.close()
