"""The settings file: owner-only, atomic, and a broken or foreign file never silently lost."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fpsdesk import paths
from fpsdesk.settings import InvalidProfile, Profile, ProfileExists, SettingsFileBroken
from fpsdesk.settings_store import SettingsStore

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _profile(name: str = "Sandbox", endpoint: str = "http://127.0.0.1:8080/") -> Profile:
    return Profile(name=name, endpoint=endpoint, access_key_id="AKIAIOSFODNN7EXAMPLE")


def _no_keychain_env() -> dict[str, str]:
    """A child fpsdesk must never reach a developer's real keychain from these tests."""
    return {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``fpsdesk <args>`` in a child process, no keychain, ``stdin`` as its input (or none)."""
    return subprocess.run(
        [sys.executable, "-m", "fpsdesk", *args],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=_no_keychain_env(),
    )


def _settings_path() -> Path:
    return paths.config_dir() / "settings.json"


def test_file_is_owner_only_in_the_xdg_config_dir(isolated_dirs: Path) -> None:
    store = SettingsStore()
    store.add(_profile())
    assert store.path == isolated_dirs / "config" / "fpsdesk" / "settings.json"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    # A file someone made world-readable becomes 0600 again on the next write.
    os.chmod(store.path, 0o644)
    store.add(_profile("Two"))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    data = json.loads(store.path.read_text())
    assert data["version"] == 1
    assert [p["name"] for p in data["profiles"]] == ["Sandbox", "Two"]
    assert data["current"] == "Sandbox"


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    profile = Profile("Prod ünïcode", "https://FPS.amazonaws.com", "AKID", "remote", str(ca))
    store = SettingsStore()
    store.add(profile, make_current=True)
    loaded = SettingsStore().get("Prod ünïcode")
    assert loaded == profile
    assert loaded.endpoint == "https://fps.amazonaws.com/"
    assert SettingsStore().current() == profile


def test_write_failure_leaves_the_old_file_intact(monkeypatch: pytest.MonkeyPatch) -> None:
    store = SettingsStore()
    store.add(_profile("A"))
    before = store.path.read_bytes()

    # A full disk cannot be caused for real in a test without mounting a tiny file system, so
    # fsync of the temp file is made to fail the way it does on ENOSPC.
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        store.add(_profile("B"))
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "settings.json",
        "settings.json.lock",
    ]  # no temp file left behind


def test_concurrent_writers_lose_nothing() -> None:
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            SettingsStore().add(_profile(f"P{n}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.name for p in SettingsStore().profiles()) == sorted(f"P{n}" for n in range(12))


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"profiles": []}',
        b'{"version": 1, "profiles": {"a": 1}}',
        b'{"version": 1, "profiles": [{"name": "x"}]}',
        b'{"version": 1, "profiles": [{"name": "x", "endpoint": "file:///etc/passwd",'
        b' "access_key_id": "A"}]}',
        b'{"version": 1, "profiles": [{"name": "x", "endpoint": "https://a/",'
        b' "access_key_id": "A", "secret_key": "oops"}]}',
        b"[" * 100_000,
        b"",
    ],
    ids=[
        "truncated",
        "binary",
        "list",
        "no-version",
        "profiles-dict",
        "missing-fields",
        "file-endpoint",
        "unknown-field",
        "deep-nesting",
        "empty",
    ],
)
def test_broken_file_is_moved_aside_not_lost(content: bytes) -> None:
    path = _settings_path()
    paths.ensure(path.parent)
    path.write_bytes(content)
    store = SettingsStore()
    with pytest.raises(SettingsFileBroken) as caught:
        store.load()
    moved = caught.value.moved_to
    assert moved is not None
    assert moved.name.startswith("settings.json.broken-")
    assert moved.read_bytes() == content
    assert str(moved) in str(caught.value)
    assert "Traceback" not in str(caught.value)
    # Next start: empty, and a new profile can be saved without touching the kept file.
    assert store.profiles() == []
    store.add(_profile())
    assert moved.read_bytes() == content


def test_newer_format_is_left_alone_and_never_overwritten() -> None:
    path = _settings_path()
    paths.ensure(path.parent)
    original = b'{"version": 99, "profiles": [], "future": true}'
    path.write_bytes(original)
    store = SettingsStore()
    with pytest.raises(SettingsFileBroken, match="newer version of fpsdesk"):
        store.load()
    with pytest.raises(SettingsFileBroken):
        store.add(_profile())
    assert path.read_bytes() == original
    assert list(path.parent.glob("*.broken-*")) == []


def test_unknown_top_level_keys_survive_a_write() -> None:
    path = _settings_path()
    paths.ensure(path.parent)
    path.write_text(json.dumps({"version": 1, "profiles": [], "window": {"w": 800}}))
    SettingsStore().add(_profile())
    assert json.loads(path.read_text())["window"] == {"w": 800}


def test_add_existing_name_refused_unless_replacing() -> None:
    store = SettingsStore()
    store.add(_profile("A"))
    with pytest.raises(ProfileExists):
        store.add(_profile("A", "https://fps.sandbox.amazonaws.com/"))
    assert store.get("A").endpoint == "http://127.0.0.1:8080/"
    store.save(_profile("A", "https://fps.sandbox.amazonaws.com/"))
    assert store.get("A").endpoint == "https://fps.sandbox.amazonaws.com/"


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "a\nb",
        "tab\there",
        "\x1b[2Jclear",
        "evil\u202etxt.exe",
        "zero\u200bwidth",
        "x" * 65,
        "nul\x00",
    ],
)
def test_hostile_profile_names_refused(name: str) -> None:
    with pytest.raises(InvalidProfile):
        _profile(name)


def test_name_limits() -> None:
    assert _profile("  x  ").name == "x"
    assert _profile("y" * 64).name == "y" * 64
    assert _profile("Prod (EU) – ünicode ✓").name == "Prod (EU) – ünicode ✓"


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("https://user:pass@fps.amazonaws.com/", "user name or password"),
        ("https://AKIA@fps.amazonaws.com/", "user name or password"),
        ("http://u:p@127.0.0.1:8080/", "user name or password"),
        ("file:///etc/passwd", "https://"),
        ("file://localhost/home/agent/.ssh/id_rsa", "https://"),
        ("http://fps.amazonaws.com/", "only to this computer"),
        ("http://10.0.0.5:8080/", "only to this computer"),
        ("http://127.0.0.1.nip.io/", "only to this computer"),
        ("ftp://fps.amazonaws.com/", "https://"),
        ("fps.amazonaws.com", "no scheme"),
    ],
)
def test_hostile_endpoints_refused_everywhere(endpoint: str, reason: str) -> None:
    from fpsdesk.fps.endpoints import validate_endpoint
    from fpsdesk.fps.exceptions import InvalidInput

    with pytest.raises(InvalidInput, match=reason):
        validate_endpoint(endpoint)
    with pytest.raises(InvalidProfile, match=reason):
        _profile(endpoint=endpoint)
    # The CLI: exit 2, a clear message, no traceback, nothing written, no secret read.
    result = _cli(
        "profile",
        "add",
        "X",
        "--endpoint",
        endpoint,
        "--access-key-id",
        "AKID",
        stdin=SECRET + "\n",
    )
    assert result.returncode == 2
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    assert "pass@" not in result.stderr  # the refused credentials are not echoed back
    assert not _settings_path().exists()


def test_cli_never_takes_the_secret_as_an_argument() -> None:
    result = _cli(
        "profile",
        "add",
        "X",
        "--endpoint",
        "https://fps.sandbox.amazonaws.com/",
        "--access-key-id",
        "AKID",
        "--secret-key",
        SECRET,
    )
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr
    assert not _settings_path().exists()


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "Enter the secret key"),
        ("a b c\n", "spaces"),
        ("key\nsecond line\n", "one line"),
        ("k" * 5000, "too long"),
    ],
    ids=["empty", "spaces", "two-lines", "5000-chars"],
)
def test_cli_bad_stdin_secret_refused(stdin: str, message: str) -> None:
    result = _cli(
        "profile",
        "add",
        "X",
        "--endpoint",
        "https://fps.sandbox.amazonaws.com/",
        "--access-key-id",
        "AKID",
        stdin=stdin,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not _settings_path().exists()


def test_cli_list_reports_broken_file_and_keeps_it() -> None:
    path = _settings_path()
    paths.ensure(path.parent)
    path.write_bytes(b'{"version": 1, "profiles": [')
    result = _cli("profile", "list")
    assert result.returncode == 1
    assert "was kept as" in result.stderr
    assert "Traceback" not in result.stderr
    kept = list(path.parent.glob("settings.json.broken-*"))
    assert len(kept) == 1
    assert kept[0].read_bytes() == b'{"version": 1, "profiles": ['


@pytest.mark.parametrize(
    "command",
    [("profile", "list"), ("status", "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD")],
    ids=["profile-list", "status"],
)
def test_a_settings_fifo_is_refused_not_waited_on(command: tuple[str, ...]) -> None:
    """Opening a FIFO for reading waits for a writer: both commands hung forever."""
    path = _settings_path()
    paths.ensure(path.parent)
    os.mkfifo(path, 0o600)
    result = subprocess.run(
        [sys.executable, "-m", "fpsdesk", *command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=_no_keychain_env(),
    )
    assert result.returncode != 0
    assert f"The settings file {path} is not a regular file (it is a named pipe (FIFO))" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert stat.S_ISFIFO(path.lstat().st_mode)  # left as it was, not moved or replaced


def test_a_settings_path_that_is_a_directory_or_device_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "dir.json"
    directory.mkdir()
    with pytest.raises(SettingsFileBroken, match="not a regular file \\(it is a directory\\)"):
        SettingsStore(directory).load()
    device = tmp_path / "zero.json"
    device.symlink_to("/dev/zero")
    with pytest.raises(SettingsFileBroken, match="not a regular file \\(it is a device\\)"):
        SettingsStore(device).load()
