"""The credential store and ``fpsdesk profile`` on a real GNOME Keyring (Secret Service).

Marked ``keychain``: each test gets a private D-Bus bus and an unlocked gnome-keyring-daemon
(tests/fixtures/keychain.py). In CI (CI=true) these tests fail rather than skip if the keyring
cannot be started.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.core
import pytest
import secretstorage

from fpsdesk.credentials import (
    SERVICE_NAME,
    CredentialStore,
    KeychainLocked,
    KeychainUnavailable,
    SecretMissing,
    SessionSecrets,
    backend_name,
    resolve_profile,
)
from fpsdesk.sandbox import SandboxServer
from fpsdesk.settings import Profile
from fpsdesk.settings_store import SettingsStore
from tests.fixtures.keychain import RealKeychain

pytestmark = pytest.mark.keychain

REPO = Path(__file__).resolve().parents[2]
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _items_in_keychain() -> dict[str, tuple[dict[str, str], str]]:
    """Every item of the default collection, read straight over D-Bus (label → attrs, secret)."""
    with contextlib.closing(secretstorage.dbus_init()) as conn:
        collection = secretstorage.get_default_collection(conn)
        return {
            item.get_label(): (item.get_attributes(), item.get_secret().decode())
            for item in collection.get_all_items()
        }


def _fpsdesk(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fpsdesk", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_store_read_delete_on_gnome_keyring(real_keychain: RealKeychain) -> None:
    store = CredentialStore(SessionSecrets())
    assert backend_name() == "Secret Service (GNOME Keyring, KWallet)"
    store.set_secret("Sandbox", SECRET)
    # Really in gnome-keyring: one item, service fpsdesk, account = profile name, only the secret.
    items = _items_in_keychain()
    assert len(items) == 1
    attributes, secret = next(iter(items.values()))
    assert secret == SECRET
    assert attributes["service"] == SERVICE_NAME
    assert attributes["username"] == "Sandbox"
    # A fresh store (as after an app restart) reads it back.
    assert CredentialStore(SessionSecrets()).get_secret("Sandbox") == SECRET
    assert store.delete_secret("Sandbox") is True
    assert _items_in_keychain() == {}
    with pytest.raises(SecretMissing):
        store.get_secret("Sandbox")


def test_locked_keychain_then_unlock_and_retry(real_keychain: RealKeychain) -> None:
    store = CredentialStore(SessionSecrets())
    store.set_secret("Sandbox", SECRET)
    backend_before = keyring.get_keyring()
    real_keychain.lock()  # a real lock of the collection over D-Bus, as a screen lock does
    with pytest.raises(KeychainLocked) as caught:
        store.get_secret("Sandbox")
    assert "Unlock your keychain and retry" in str(caught.value)
    with pytest.raises(KeychainLocked):
        store.set_secret("Other", SECRET)
    real_keychain.unlock()  # the login password again, as an unlock dialog would
    assert store.get_secret("Sandbox") == SECRET
    # The retry re-ran keyring's backend detection rather than reusing the old object.
    assert keyring.get_keyring() is not backend_before
    assert [a["username"] for a, _ in _items_in_keychain().values()] == ["Sandbox"]


def test_keychain_started_after_the_app_is_found_on_retry(
    real_keychain: RealKeychain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app started before the session's keychain was reachable: keyring's detection found
    nothing (and keyring caches that list). Retry must find the keychain once it is there."""
    address = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    keyring.core.init_backend()  # what the first keyring call of the app does
    store = CredentialStore(SessionSecrets())
    with pytest.raises(KeychainUnavailable):
        store.set_secret("Sandbox", SECRET)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    store.set_secret("Sandbox", SECRET)  # the Retry
    assert backend_name() == "Secret Service (GNOME Keyring, KWallet)"
    assert [s for _, s in _items_in_keychain().values()] == [SECRET]


def test_resolve_profile_on_real_keychain(real_keychain: RealKeychain) -> None:
    settings = SettingsStore()
    profile = Profile("Sandbox", "http://127.0.0.1:8080/", "AKIAIOSFODNN7EXAMPLE")
    settings.add(profile)
    CredentialStore(SessionSecrets()).set_secret("Sandbox", SECRET)
    assert resolve_profile("Sandbox") == (profile, SECRET)


def test_cli_profile_add_list_remove(real_keychain: RealKeychain, isolated_dirs: Path) -> None:
    env = real_keychain.subprocess_env()
    added = _fpsdesk(
        [
            "profile",
            "add",
            "Local",
            "--endpoint",
            "http://127.0.0.1:8080",
            "--access-key-id",
            "AKIAIOSFODNN7EXAMPLE",
        ],
        env,
        stdin=SECRET + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert "Saved profile 'Local'" in added.stdout
    assert SECRET not in added.stdout + added.stderr
    # The secret is in gnome-keyring, and the settings file has everything but the secret.
    assert [s for _, s in _items_in_keychain().values()] == [SECRET]
    settings_file = isolated_dirs / "config" / "fpsdesk" / "settings.json"
    data = json.loads(settings_file.read_text())
    assert data["profiles"][0]["access_key_id"] == "AKIAIOSFODNN7EXAMPLE"
    assert data["profiles"][0]["endpoint"] == "http://127.0.0.1:8080/"
    for path in isolated_dirs.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path

    listed = _fpsdesk(["profile", "list"], env)
    assert listed.returncode == 0, listed.stderr
    assert "Local" in listed.stdout
    assert "stored" in listed.stdout
    assert "Local sandbox" in listed.stdout
    assert SECRET not in listed.stdout

    duplicate = _fpsdesk(
        ["profile", "add", "Local", "--endpoint", "http://127.0.0.1:9", "--access-key-id", "X"],
        env,
        stdin="other-secret\n",
    )
    assert duplicate.returncode == 2
    assert "already exists" in duplicate.stderr
    assert [s for _, s in _items_in_keychain().values()] == [SECRET]  # untouched

    removed = _fpsdesk(["profile", "remove", "Local"], env)
    assert removed.returncode == 0, removed.stderr
    assert "secret key was deleted" in removed.stdout
    assert _items_in_keychain() == {}
    assert json.loads(settings_file.read_text())["profiles"] == []


def test_cli_add_on_locked_keychain_saves_nothing(
    real_keychain: RealKeychain, isolated_dirs: Path
) -> None:
    real_keychain.lock()
    result = _fpsdesk(
        [
            "profile",
            "add",
            "Local",
            "--endpoint",
            "http://127.0.0.1:8080",
            "--access-key-id",
            "AKIAIOSFODNN7EXAMPLE",
        ],
        real_keychain.subprocess_env(),
        stdin=SECRET + "\n",
    )
    assert result.returncode == 1
    assert "Unlock your keychain and retry" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (isolated_dirs / "config" / "fpsdesk" / "settings.json").exists()
    real_keychain.unlock()
    assert _items_in_keychain() == {}


def test_cli_remove_on_locked_keychain_keeps_profile(real_keychain: RealKeychain) -> None:
    SettingsStore().add(Profile("Local", "http://127.0.0.1:8080/", "AKIAIOSFODNN7EXAMPLE"))
    CredentialStore(SessionSecrets()).set_secret("Local", SECRET)
    real_keychain.lock()
    result = _fpsdesk(["profile", "remove", "Local"], real_keychain.subprocess_env())
    assert result.returncode == 1
    assert "Unlock your keychain and retry" in result.stderr
    assert "not removed" in result.stderr
    assert [p.name for p in SettingsStore().profiles()] == ["Local"]
    real_keychain.unlock()
    assert [s for _, s in _items_in_keychain().values()] == [SECRET]


def test_environment_is_private(real_keychain: RealKeychain) -> None:
    """The fixture never touches a developer's own keyring: its bus and files are private."""
    assert os.environ["DBUS_SESSION_BUS_ADDRESS"] == real_keychain.bus_address
    assert real_keychain.daemon_env["XDG_DATA_HOME"].startswith(str(real_keychain.root))
    assert (real_keychain.root / "data" / "keyrings").is_dir()


def test_cli_status_with_profile_reads_the_keychain(
    real_keychain: RealKeychain, sandbox: SandboxServer
) -> None:
    from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

    env = real_keychain.subprocess_env()
    txid = sandbox.create_transaction(status="Reserved")
    added = _fpsdesk(
        [
            "profile",
            "add",
            "Local",
            "--endpoint",
            sandbox.url,
            "--access-key-id",
            DEFAULT_ACCESS_KEY,
        ],
        env,
        stdin=DEFAULT_SECRET_KEY + "\n",
    )
    assert added.returncode == 0, added.stderr
    status = _fpsdesk(["status", txid, "--profile", "Local"], env)
    assert status.returncode == 0, status.stderr
    assert "Reserved" in status.stdout
    assert DEFAULT_SECRET_KEY not in status.stdout + status.stderr
    assert sandbox.request_count("GetTransactionStatus") == 1

    real_keychain.lock()
    locked = _fpsdesk(["status", txid, "--profile", "Local"], env)
    assert locked.returncode == 2
    assert "Unlock your keychain and retry" in locked.stderr
    assert "Traceback" not in locked.stderr
    assert sandbox.request_count("GetTransactionStatus") == 1  # nothing sent


def _read_until(fd: int, needle: bytes, deadline_s: float = 60.0) -> bytes:
    """Read a pty until ``needle`` shows (or EOF); bounded by a generous deadline."""
    import select
    import time

    data = b""
    end = time.monotonic() + deadline_s
    while needle not in data and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        data += chunk
    return data


def test_cli_profile_add_on_a_terminal_prompts_without_echo(
    real_keychain: RealKeychain,
) -> None:
    """On a terminal the secret comes from a hidden prompt: typed, not echoed, stored."""
    import pty

    env = real_keychain.subprocess_env()
    argv = [
        sys.executable,
        "-m",
        "fpsdesk",
        "profile",
        "add",
        "Tty",
        "--endpoint",
        "https://fps.sandbox.amazonaws.com/",
        "--access-key-id",
        "AKIAIOSFODNN7EXAMPLE",
    ]
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session whose controlling terminal is the pty
        try:
            os.chdir(REPO)
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    try:
        prompt = _read_until(fd, b"(input hidden): ")
        assert b"Secret key for profile 'Tty'" in prompt
        os.write(fd, SECRET.encode() + b"\n")
        rest = _read_until(fd, b"\x00never\x00")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, rest
    assert b"Saved profile 'Tty'" in rest
    assert SECRET.encode() not in prompt + rest  # the terminal never showed it
    assert [s for _, s in _items_in_keychain().values()] == [SECRET]


def test_cli_add_over_a_broken_settings_file_keeps_it(
    real_keychain: RealKeychain, isolated_dirs: Path
) -> None:
    config = isolated_dirs / "config" / "fpsdesk"
    config.mkdir(parents=True)
    broken = b'{"version": 1, "profiles": [{"name": "Prod", "endpoint": '
    (config / "settings.json").write_bytes(broken)
    added = _fpsdesk(
        [
            "profile",
            "add",
            "Local",
            "--endpoint",
            "http://127.0.0.1:8080",
            "--access-key-id",
            "AKIAIOSFODNN7EXAMPLE",
        ],
        real_keychain.subprocess_env(),
        stdin=SECRET + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert "was kept as" in added.stderr
    (kept,) = config.glob("settings.json.broken-*")
    assert kept.read_bytes() == broken
    assert [p.name for p in SettingsStore().profiles()] == ["Local"]
