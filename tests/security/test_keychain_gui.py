"""The settings dialog on the keychain: save, read back, locked, retry, remove; no keychain.

The dialog is the real one (fpsdesk.ui.settings_dialog) with a real session and worker thread;
``keychain``-marked tests run it on gnome-keyring (tests/fixtures/keychain.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring.core
import pytest
import secretstorage
from PySide6.QtCore import Qt

from fpsdesk.credentials import SessionSecrets
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from fpsdesk.settings_store import SettingsStore
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.db import open_database
from fpsdesk.ui import dialogs
from tests.fixtures.keychain import MemoryKeyring, RealKeychain

pytestmark = pytest.mark.gui
WAIT_MS = 20_000


def _keychain_items() -> list[tuple[str, str]]:
    with contextlib.closing(secretstorage.dbus_init()) as conn:
        collection = secretstorage.get_default_collection(conn)
        return [
            (i.get_attributes()["username"], i.get_secret().decode())
            for i in collection.get_all_items()
        ]


@pytest.fixture
def confirms(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    asked: list[tuple[Any, ...]] = []

    def confirm(*args: Any, **kwargs: Any) -> bool:
        asked.append(args[1:])
        return True

    monkeypatch.setattr(dialogs, "confirm", confirm)
    monkeypatch.setattr(dialogs, "show_error", lambda *a, **k: None)
    return asked


@pytest.fixture
def session(qapp: Any, tmp_path: Path) -> Iterator[Any]:
    from fpsdesk.ui.session import DeskSession

    conn = open_database(tmp_path / "history.sqlite3")
    desk = DeskSession(ActionStore(conn))
    yield desk
    desk.shutdown()
    conn.close()


def _dialog(qtbot: Any, session: Any) -> Any:
    from fpsdesk.credentials import CredentialStore
    from fpsdesk.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(session, credentials=CredentialStore(SessionSecrets()))
    qtbot.addWidget(dialog)
    return dialog


def _fill(dialog: Any, url: str, secret: str, name: str = "Local") -> None:
    dialog.name.setText(name)
    dialog.environment.setCurrentIndex(2)  # Custom
    dialog.endpoint.setText(url)
    dialog.access_key.setText(DEFAULT_ACCESS_KEY)
    dialog.secret.setText(secret)


def _click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.mark.keychain
def test_settings_flow_on_gnome_keyring(
    qtbot: Any,
    real_keychain: RealKeychain,
    session: Any,
    sandbox: SandboxServer,
    confirms: list[tuple[Any, ...]],
    isolated_dirs: Path,
) -> None:
    # Save: the secret goes to gnome-keyring, the rest to the settings file.
    dialog = _dialog(qtbot, session)
    _fill(dialog, sandbox.url, DEFAULT_SECRET_KEY)
    _click(qtbot, dialog.save_button)
    assert "Saved Local" in dialog.message.text()
    assert dialog.secret.text() == ""  # the field does not keep it
    assert _keychain_items() == [("Local", DEFAULT_SECRET_KEY)]
    settings_file = isolated_dirs / "config" / "fpsdesk" / "settings.json"
    assert DEFAULT_SECRET_KEY not in settings_file.read_text()
    assert SettingsStore().get("Local").endpoint == sandbox.url

    # A new dialog (a later session) tests the connection with the keychain's secret.
    dialog = _dialog(qtbot, session)
    assert dialog.name.text() == "Local"
    with qtbot.waitSignal(session.connection_tested, timeout=WAIT_MS) as tested:
        _click(qtbot, dialog.test_button)
    assert tested.args[0].ok, tested.args[0].message

    # Locked keychain: a clear message, nothing changed; unlock and Save again works.
    real_keychain.lock()
    dialog.secret.setText("new-secret-value")
    _click(qtbot, dialog.save_button)
    assert "Unlock your keychain and retry" in dialog.message.text()
    real_keychain.unlock()
    assert _keychain_items() == [("Local", DEFAULT_SECRET_KEY)]
    dialog.secret.setText(DEFAULT_SECRET_KEY + "X")
    _click(qtbot, dialog.save_button)
    assert "Saved Local" in dialog.message.text()
    assert _keychain_items() == [("Local", DEFAULT_SECRET_KEY + "X")]

    # Save and use hands the secret (read on the GUI thread) to whoever connects.
    dialog.secret.setText(DEFAULT_SECRET_KEY)
    with qtbot.waitSignal(dialog.profile_activated, timeout=WAIT_MS) as activated:
        _click(qtbot, dialog.use_button)
    profile, secret = activated.args
    assert profile.name == "Local"
    assert secret == DEFAULT_SECRET_KEY

    # Remove: the profile and its secret both go.
    dialog = _dialog(qtbot, session)
    dialog.list.setCurrentRow(0)
    _click(qtbot, dialog.remove_button)
    assert confirms
    assert _keychain_items() == []
    assert SettingsStore().profiles() == []


def test_settings_without_keychain_keeps_secret_for_session_only(
    qtbot: Any,
    session: Any,
    sandbox: SandboxServer,
    confirms: list[tuple[Any, ...]],
    isolated_dirs: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()  # a machine with no keychain at all
    dialog = _dialog(qtbot, session)
    _fill(dialog, sandbox.url, DEFAULT_SECRET_KEY)
    with qtbot.waitSignal(dialog.profile_activated, timeout=WAIT_MS) as activated:
        _click(qtbot, dialog.use_button)
    # The agent was told, and chose "Keep for this session only".
    (asked,) = confirms
    assert "No system keychain is available" in asked[1]
    assert activated.args[1] == DEFAULT_SECRET_KEY
    assert MemoryKeyring.entries == {}
    for path in isolated_dirs.rglob("*"):
        if path.is_file():
            assert DEFAULT_SECRET_KEY.encode() not in path.read_bytes(), path
