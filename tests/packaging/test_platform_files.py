"""The Windows, macOS and Linux packaging files agree with the app's version and ids."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from fpsdesk import __version__, assets

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def test_windows_version_info_parses_and_matches_version() -> None:
    # PyInstaller reads this file with eval() into its VSVersionInfo classes, whose module needs
    # pefile (Windows-only); evaluate it the same way with recording stand-ins instead.
    def record(kind: str):  # type: ignore[no-untyped-def]
        return lambda *args, **kwargs: {"kind": kind, "args": args, **kwargs}

    names = (
        "VSVersionInfo",
        "FixedFileInfo",
        "StringFileInfo",
        "StringTable",
        "StringStruct",
        "VarFileInfo",
        "VarStruct",
    )
    text = (PACKAGING / "windows" / "version_info.txt").read_text(encoding="utf-8")
    info = eval(text, {"__builtins__": {}}, {n: record(n) for n in names})
    numbers = (*(int(p) for p in __version__.split(".")), 0)
    assert info["ffi"]["filevers"] == numbers
    assert info["ffi"]["prodvers"] == numbers
    table = info["kids"][0]["args"][0][0]
    strings = dict(s["args"] for s in table["args"][1])
    assert strings["FileVersion"] == __version__
    assert strings["ProductVersion"] == __version__
    assert strings["OriginalFilename"] == "fpsdesk.exe"


def test_inno_setup_default_version_and_icon() -> None:
    iss = (PACKAGING / "windows" / "fpsdesk.iss").read_text(encoding="utf-8")
    assert f'#define AppVersion "{__version__}"' in iss
    assert r"resources\icons\fpsdesk.ico" in iss
    assert "fpsdesk-cli.exe" in iss  # the console twin the spec builds on Windows


def test_spec_bundle_id_and_keyring_backends() -> None:
    spec = (PACKAGING / "fpsdesk.spec").read_text(encoding="utf-8")
    assert f'BUNDLE_ID = "{assets.APP_ID}"' in spec
    assert '"NSHighResolutionCapable": True' in spec
    for backend in ("SecretService", "macOS", "Windows", "fail", "null", "chainer"):
        assert f'"keyring.backends.{backend}"' in spec


def _build_module() -> Any:
    spec = importlib.util.spec_from_file_location("fpsdesk_build", PACKAGING / "build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]  # type: ignore[no-any-return]


def test_build_requirements_are_exact_pins_including_the_tool_set() -> None:
    lines = _build_module().build_requirements()
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line) for line in lines)
    pins = _build_module().pinned_requirements()
    assert len(pins) == len(lines)  # nothing pinned twice
    names = {name.lower() for name in pins}
    assert {"pyinstaller", "pyinstaller-hooks-contrib", "pyside6-essentials", "shiboken6"} <= names
    # fpsdesk's own run-time dependencies are all in the bundle's pinned set ...
    for dep in ("requests", "keyring", "lxml", "cryptography", "platformdirs"):
        assert dep in names
    # ... at versions its requirements allow (the lock cannot drift out of pyproject's ranges).
    for dep in _pyproject()["dependencies"]:
        requirement = Requirement(dep)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        version = next(
            v for n, v in pins.items() if canonicalize_name(n) == requirement.name.lower()
        )
        assert requirement.specifier.contains(version), (requirement, version)
    # PySide6 and shiboken6 are released in lockstep.
    assert pins["PySide6-Essentials"] == pins["shiboken6"]


def test_the_packaging_tools_are_pinned_once_and_installed_by_the_dev_extra() -> None:
    """One source of truth: the bundle extra; the build venv and `.[dev]` both use it."""
    extras = _pyproject()["optional-dependencies"]
    tools = {Requirement(line).name.lower() for line in extras["bundle"]}
    assert tools == {"pyinstaller", "pyinstaller-hooks-contrib"}
    lock = (PACKAGING / "requirements-build.txt").read_text(encoding="utf-8")
    lock_names = {
        canonicalize_name(line.split("==")[0])
        for line in lock.splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert not tools & lock_names, "a tool is pinned in requirements-build.txt as well"
    assert "fpsdesk[test,bundle]" in extras["dev"]
    # What the dev environment runs is what the build venv gets.
    for line in extras["bundle"]:
        requirement = Requirement(line)
        assert importlib.metadata.version(requirement.name) in requirement.specifier, line


def _fake_bundle(root: Path) -> Path:
    """A bundle laid out like build.py's output, with a stand-in executable."""
    bundle = root / "fpsdesk-0.1.0"
    (bundle / "_internal").mkdir(parents=True)
    exe = bundle / "fpsdesk"
    exe.write_text('#!/bin/sh\necho fake fpsdesk "$@"\n')
    exe.chmod(0o755)
    share = bundle / "share"
    for size in assets.ICON_SIZES:
        d = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        d.mkdir(parents=True)
        (d / f"{assets.APP_ID}.png").write_bytes(assets.icon_path(size).read_bytes())
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    (scalable / f"{assets.APP_ID}.svg").write_text("<svg/>")
    (share / "applications").mkdir()
    (share / "applications" / f"{assets.APP_ID}.desktop").write_bytes(
        assets.desktop_entry_path().read_bytes()
    )
    (share / "metainfo").mkdir()
    (share / "metainfo" / f"{assets.APP_ID}.metainfo.xml").write_bytes(
        assets.metainfo_path().read_bytes()
    )
    install = bundle / "install.sh"
    install.write_bytes((PACKAGING / "linux" / "install.sh").read_bytes())
    install.chmod(0o755)
    return bundle


def test_install_script_installs_menu_entry_and_uninstalls(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, HOME=str(home), PATH="/usr/bin:/bin")
    done = subprocess.run(
        ["sh", str(bundle / "install.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    local = home / ".local"
    opt = local / "opt" / "fpsdesk"
    assert (opt / "fpsdesk").is_file()
    link = local / "bin" / "fpsdesk"
    assert link.is_symlink()
    assert link.resolve() == (opt / "fpsdesk").resolve()
    entry = (local / "share" / "applications" / f"{assets.APP_ID}.desktop").read_text()
    assert f"\nExec={opt}/fpsdesk\n" in entry
    assert f"\nExec={opt}/fpsdesk --sandbox\n" in entry
    assert (local / "share/icons/hicolor/48x48/apps" / f"{assets.APP_ID}.png").is_file()
    assert (local / "share/metainfo" / f"{assets.APP_ID}.metainfo.xml").is_file()
    assert "not on your PATH" in done.stdout

    gone = subprocess.run(
        ["sh", str(opt / "install.sh"), "--uninstall"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert gone.returncode == 0, gone.stderr
    assert not opt.exists()
    assert not link.is_symlink()
    assert not (local / "share" / "applications" / f"{assets.APP_ID}.desktop").exists()


def test_install_script_rejects_unknown_option_and_non_bundle(tmp_path: Path) -> None:
    script = PACKAGING / "linux" / "install.sh"
    bad = subprocess.run(
        ["sh", str(script), "--frobnicate"], capture_output=True, text=True, check=False, timeout=60
    )
    assert bad.returncode == 2
    assert "unknown option" in bad.stderr
    lone = tmp_path / "install.sh"
    lone.write_bytes(script.read_bytes())
    env = dict(os.environ, HOME=str(tmp_path))
    outside = subprocess.run(
        ["sh", str(lone)], env=env, capture_output=True, text=True, check=False, timeout=60
    )
    assert outside.returncode == 1
    assert "unpacked fpsdesk bundle" in outside.stderr
