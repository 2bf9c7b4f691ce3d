"""Settings: profiles with the secret in the keychain, and "Test connection" verdicts.

Every verdict is caused for real against the sandbox over loopback: a wrong secret, an unknown
key, a closed port, TLS spoken to a plain-HTTP server, and a client whose clock is an hour off
(FpsClient's injectable clock; the sandbox then answers RequestExpired).
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import keyring
import pytest

from fpsdesk.fps.client import FpsClient
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fpsdesk.settings_store import SettingsStore
from fpsdesk.ui.connection_probe import probe_connection
from fpsdesk.ui.settings_dialog import SettingsDialog
from tests.ui.helpers import WAIT_MS

pytestmark = pytest.mark.gui


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def probe(endpoint: str, key: str = DEFAULT_ACCESS_KEY, secret: str = DEFAULT_SECRET_KEY, **kwargs):
    client = FpsClient(endpoint, key, secret, timeout=(2, 5), max_retries=0, **kwargs)
    try:
        return probe_connection(1, client)
    finally:
        client.close()


def test_connection_verdicts_are_told_apart(qapp, sandbox):
    assert probe(sandbox.url).verdict == "ok"
    wrong_secret = probe(sandbox.url, secret="not-the-secret-key-at-all")
    assert (wrong_secret.verdict, wrong_secret.ok) == ("credentials", False)
    assert "SignatureDoesNotMatch" in wrong_secret.message
    unknown_key = probe(sandbox.url, key="AKIANOSUCHKEY0000000")
    assert unknown_key.verdict == "credentials"
    assert "InvalidClientTokenId" in unknown_key.message
    assert probe(f"http://127.0.0.1:{closed_port()}/").verdict == "unreachable"
    tls = probe(sandbox.url.replace("http://", "https://"))
    assert tls.verdict == "tls", tls.message
    skewed = probe(sandbox.url, clock=lambda: datetime.now(UTC) - timedelta(hours=1))
    assert skewed.verdict == "clock"
    assert "clock" in skewed.message


def test_profile_saved_with_secret_in_keychain_and_tested(qtbot, desk, dialog_log):
    dialog = SettingsDialog(desk.session, parent=desk.window)
    qtbot.addWidget(dialog)
    dialog.name.setText("Support sandbox")
    dialog.environment.setCurrentIndex(dialog.environment.findData(""))  # custom URL
    dialog.endpoint.setText(desk.sandbox.url)
    dialog.access_key.setText(DEFAULT_ACCESS_KEY)
    dialog.secret.setText(DEFAULT_SECRET_KEY)
    with qtbot.waitSignal(desk.session.connection_tested, timeout=WAIT_MS):
        dialog.test_button.click()
    assert dialog.verdict == "ok"
    assert dialog.message.text().startswith("Connected")
    with qtbot.waitSignal(dialog.profile_activated) as activated:
        dialog.use_button.click()
    profile, secret = activated.args
    assert (profile.name, profile.endpoint, secret) == (
        "Support sandbox",
        desk.sandbox.url,
        DEFAULT_SECRET_KEY,
    )
    saved = SettingsStore().get("Support sandbox")
    assert saved.access_key_id == DEFAULT_ACCESS_KEY
    assert keyring.get_password("fpsdesk", "Support sandbox") == DEFAULT_SECRET_KEY
    assert DEFAULT_SECRET_KEY not in SettingsStore().path.read_text()
    # A wrong secret typed later is caught by the test before it is saved over the good one.
    dialog.secret.setText("wrong-secret-wrong-secret")
    with qtbot.waitSignal(desk.session.connection_tested, timeout=WAIT_MS):
        dialog.test_button.click()
    assert dialog.verdict == "credentials"
    assert "Bad credentials" in dialog.message.text()


def test_invalid_profile_is_explained_and_nothing_saved(qtbot, desk):
    dialog = SettingsDialog(desk.session, parent=desk.window)
    qtbot.addWidget(dialog)
    dialog.name.setText("Bad")
    dialog.environment.setCurrentIndex(dialog.environment.findData(""))
    dialog.endpoint.setText("http://fps.example.com/")  # plain http off loopback
    dialog.access_key.setText(DEFAULT_ACCESS_KEY)
    dialog.secret.setText(DEFAULT_SECRET_KEY)
    assert dialog.save() is None
    assert "https" in dialog.message.text()
    assert SettingsStore().profiles() == []


def test_unwritable_settings_file_is_explained_and_leaves_no_orphan_secret(
    qtbot, desk, monkeypatch
):
    # Mocked: a full disk cannot be caused for real here (the tests run as root, so a read-only
    # directory would not stop the write). Only the settings write fails; the keychain is real.
    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SettingsStore, "save", disk_full)
    dialog = SettingsDialog(desk.session, parent=desk.window)
    qtbot.addWidget(dialog)
    dialog.name.setText("Full disk")
    dialog.environment.setCurrentIndex(dialog.environment.findData(""))
    dialog.endpoint.setText(desk.sandbox.url)
    dialog.access_key.setText(DEFAULT_ACCESS_KEY)
    dialog.secret.setText(DEFAULT_SECRET_KEY)
    assert dialog.save() is None
    assert "No space left on device" in dialog.message.text()
    assert "Nothing was saved" in dialog.message.text()
    assert keyring.get_password("fpsdesk", "Full disk") is None  # no orphaned secret
    assert dialog.secret.text() == DEFAULT_SECRET_KEY  # what the agent typed is kept


def test_a_profile_edits_its_reason_codes_and_a_bad_list_is_refused(qtbot, desk):
    from fpsdesk.records.reasons import DEFAULT_REASON_CODES

    dialog = SettingsDialog(desk.session, parent=desk.window)
    qtbot.addWidget(dialog)
    dialog.name.setText("Team")
    dialog.environment.setCurrentIndex(dialog.environment.findData(""))
    dialog.endpoint.setText(desk.sandbox.url)
    dialog.access_key.setText(DEFAULT_ACCESS_KEY)
    dialog.secret.setText(DEFAULT_SECRET_KEY)
    assert "duplicate-order: Duplicate order" in dialog.reason_codes.toPlainText()
    dialog.reason_codes.setPlainText("Not A Code: x")
    assert dialog.save() is None
    assert "Reason codes, line 1" in dialog.message.text()
    assert SettingsStore().profiles() == []
    dialog.reason_codes.setPlainText("chargeback: Chargeback risk\nother: Other")
    assert dialog.save() is not None
    saved = SettingsStore().get("Team")
    assert [c.code for c in saved.reason_codes] == ["chargeback", "other"]
    assert saved.reason_codes != DEFAULT_REASON_CODES
