"""CredentialStore over the in-memory test keyring: the error mapping and the session option.

The real Secret Service is exercised in test_keychain_real.py; here the backends that cannot
exist on a CI box at the same time (none, null, plain text, a locked one) are set directly.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import keyring.core
import keyring.errors
import pytest
from keyring.compat import properties

from fpsdesk.credentials import (
    SERVICE_NAME,
    CredentialStore,
    InvalidSecret,
    KeychainLocked,
    KeychainUnavailable,
    ProfileUnavailable,
    SecretMissing,
    SessionSecrets,
    backend_name,
    resolve_profile,
)
from fpsdesk.settings import Profile
from fpsdesk.settings_store import SettingsStore
from tests.fixtures.keychain import MemoryKeyring

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _profile(name: str = "Sandbox") -> Profile:
    return Profile(name=name, endpoint="http://127.0.0.1:9/", access_key_id="AKIAIOSFODNN7EXAMPLE")


def test_secret_round_trip_uses_service_fpsdesk_and_profile_account() -> None:
    store = CredentialStore(SessionSecrets())
    store.set_secret("Sandbox", SECRET + "\n")  # a trailing newline (stdin) is trimmed
    assert MemoryKeyring.entries == {(SERVICE_NAME, "Sandbox"): SECRET}
    assert store.get_secret("Sandbox") == SECRET
    assert store.delete_secret("Sandbox") is True
    assert MemoryKeyring.entries == {}
    assert store.delete_secret("Sandbox") is False  # twice is fine
    with pytest.raises(SecretMissing, match="No secret key is stored for profile 'Sandbox'"):
        store.get_secret("Sandbox")


@pytest.mark.parametrize(
    "bad", ["", "   ", "two words", "line\nbreak", "tab\tkey", "\x1b[31m", "x" * 1025]
)
def test_bad_secret_refused_before_reaching_the_keychain(bad: str) -> None:
    with pytest.raises(InvalidSecret) as caught:
        CredentialStore(SessionSecrets()).set_secret("Sandbox", bad)
    assert MemoryKeyring.entries == {}
    if len(bad.strip()) > 3:
        assert bad not in str(caught.value)  # the refused value is never echoed


@pytest.mark.parametrize(
    "backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"]
)
def test_no_keychain_offers_session_only_and_never_writes(
    backend: str, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What keyring's detection yields on a machine without a keychain (or configured "off"),
    # also when the store re-detects after the first failure.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    keyring.core.init_backend()
    store = CredentialStore(SessionSecrets())
    with pytest.raises(KeychainUnavailable) as caught:
        store.set_secret("Sandbox", SECRET)
    assert caught.value.session_only_possible
    assert "this session only" in str(caught.value)
    with pytest.raises(KeychainUnavailable):
        store.get_secret("Sandbox")
    store.keep_for_session("Sandbox", SECRET)
    assert store.get_secret("Sandbox") == SECRET
    assert backend_name() == "none (no keychain found)"
    assert not any(p.is_file() for p in isolated_dirs.rglob("*"))


class _PlainTextKeyring(keyring.backend.KeyringBackend):
    """Stands in for keyrings.alt's PlaintextKeyring (priority 0.5): it writes a file."""

    path: Path | None = None
    viable = False  # never picked by keyring's detection in other tests of this process

    @properties.classproperty
    def priority(cls) -> float:
        return 0.5

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        assert self.path is not None
        self.path.write_text(password)

    def delete_password(self, service: str, username: str) -> None:
        return None


def test_plain_text_backend_is_refused(tmp_path: Path) -> None:
    backend = _PlainTextKeyring()
    backend.path = tmp_path / "keyring_pass.cfg"
    keyring.set_keyring(backend)
    with pytest.raises(KeychainUnavailable):
        CredentialStore(SessionSecrets()).set_secret("Sandbox", SECRET)
    assert not backend.path.exists()


class _LockedKeyring(keyring.backend.KeyringBackend):
    """A keychain that refuses like a locked Secret Service collection whose prompt was
    dismissed. The real lock is tested on gnome-keyring in test_keychain_real.py; this one
    checks the mapping for the other errors keyring documents for locked/broken backends."""

    error: BaseException = keyring.errors.KeyringLocked("Failed to unlock the collection!")
    viable = False  # never picked by keyring's detection in other tests of this process

    @properties.classproperty
    def priority(cls) -> float:
        return 1

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    set_password = delete_password = get_password  # type: ignore[assignment]


@pytest.mark.parametrize(
    "error",
    [
        keyring.errors.KeyringLocked("Failed to unlock the collection!"),
        keyring.errors.InitError("Failed to create the collection"),
        RuntimeError("org.freedesktop.DBus.Error.NoReply"),
    ],
)
def test_locked_keychain_says_unlock_and_retry_redetects(error: BaseException) -> None:
    locked = _LockedKeyring()
    locked.error = error
    keyring.set_keyring(locked)
    store = CredentialStore(SessionSecrets())
    with pytest.raises(KeychainLocked, match="Unlock your keychain and retry"):
        store.get_secret("Sandbox")
    # The user unlocks and presses Retry: the store runs keyring's detection again, which finds
    # the (now working) in-memory keychain instead of reusing the broken backend object.
    MemoryKeyring.entries[(SERVICE_NAME, "Sandbox")] = SECRET
    assert store.get_secret("Sandbox") == SECRET
    assert isinstance(keyring.get_keyring(), MemoryKeyring)


def test_keychain_secret_replaces_session_secret() -> None:
    store = CredentialStore(SessionSecrets())
    store.keep_for_session("Sandbox", "session-secret")
    assert store.get_secret("Sandbox") == "session-secret"
    store.set_secret("Sandbox", SECRET)
    assert store.get_secret("Sandbox") == SECRET
    assert "session-secret" not in repr(store.session)


def test_remove_profile_deletes_its_secret() -> None:
    settings, store = SettingsStore(), CredentialStore(SessionSecrets())
    settings.add(_profile("A"))
    settings.add(_profile("B"))
    store.set_secret("A", SECRET)
    store.set_secret("B", SECRET + "B")
    removed = store.remove_profile(settings, "A")
    assert removed.profile.name == "A"
    assert removed.secret_deleted is True
    assert [p.name for p in settings.profiles()] == ["B"]
    assert MemoryKeyring.entries == {(SERVICE_NAME, "B"): SECRET + "B"}


def test_remove_profile_keeps_everything_when_keychain_locked() -> None:
    settings = SettingsStore()
    settings.add(_profile("A"))
    keyring.set_keyring(_LockedKeyring())
    with pytest.raises(KeychainLocked):
        CredentialStore(SessionSecrets()).remove_profile(settings, "A")
    assert [p.name for p in settings.profiles()] == ["A"]


def test_resolve_profile() -> None:
    settings, store = SettingsStore(), CredentialStore(SessionSecrets())
    with pytest.raises(ProfileUnavailable, match="No profile is saved yet"):
        resolve_profile(None, settings=settings, credentials=store)
    settings.add(_profile("A"))
    with pytest.raises(SecretMissing):
        resolve_profile("A", settings=settings, credentials=store)
    store.set_secret("A", SECRET)
    assert resolve_profile("A", settings=settings, credentials=store) == (_profile("A"), SECRET)
    assert resolve_profile(None, settings=settings, credentials=store)[0].name == "A"
    with pytest.raises(ProfileUnavailable, match=r"no profile named 'nope'.*Saved profiles: A"):
        resolve_profile("nope", settings=settings, credentials=store)


def test_keychain_errors_log_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = CredentialStore(SessionSecrets())
    store.set_secret("A", SECRET)
    store.get_secret("A")
    keyring.set_keyring(_LockedKeyring())
    with pytest.raises(KeychainLocked):
        store.set_secret("A", SECRET)
    assert SECRET not in caplog.text
    assert all(SECRET not in str(r.args) for r in caplog.records)


def test_backend_name_for_about_dialog() -> None:
    assert backend_name()  # the in-memory backend here: some non-empty name
    keyring.set_keyring(keyring.backends.fail.Keyring())
    assert backend_name() == "none (no keychain found)"


@pytest.mark.parametrize(
    "backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"]
)
def test_cli_without_keychain_says_so_and_writes_no_secret(
    backend: str, isolated_dirs: Path, tmp_path: Path
) -> None:
    repo = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": backend,
        "FPSDESK_LOG_LEVEL": "DEBUG",
        "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fpsdesk",
            "profile",
            "add",
            "Local",
            "--endpoint",
            "http://127.0.0.1:8080",
            "--access-key-id",
            "AKIAIOSFODNN7EXAMPLE",
        ],
        input=SECRET + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "No system keychain is available" in result.stderr
    assert "never stores secret keys in files" in result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stdout + result.stderr
    for root in (isolated_dirs, tmp_path):
        for path in root.rglob("*"):
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), path
    assert not (isolated_dirs / "config" / "fpsdesk" / "settings.json").exists()


def test_chainer_uses_only_its_first_keychain(monkeypatch: pytest.MonkeyPatch) -> None:
    """With several keychains keyring picks its chainer, which would also read and write the
    lower backends (a plain-text file among them); we talk to the top one only."""
    import keyring.backends.chainer

    monkeypatch.setattr(
        keyring.backends.chainer.ChainerBackend, "backends", [MemoryKeyring(), _PlainTextKeyring()]
    )
    keyring.set_keyring(keyring.backends.chainer.ChainerBackend())
    store = CredentialStore(SessionSecrets())
    store.set_secret("A", SECRET)
    assert MemoryKeyring.entries == {(SERVICE_NAME, "A"): SECRET}
    monkeypatch.setattr(
        keyring.backends.chainer.ChainerBackend, "backends", [_PlainTextKeyring(), MemoryKeyring()]
    )
    with pytest.raises(KeychainUnavailable):
        store.set_secret("A", SECRET)
