"""packaging/fpsdesk.spec builds the right targets on Linux, Windows and macOS.

Only Linux can really be built here, so the spec is executed with stand-ins for PyInstaller's
build classes that record what it asks for; the real PyInstaller helpers (collect_submodules,
copy_metadata) run for real. A typo in the Windows or macOS branch fails here, not on a
release machine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "fpsdesk.spec"


class _Recorded:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs


class _Analysis(_Recorded):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.binaries: list[tuple[str, str, str]] = []
        # Analysis turns the spec's (source, dest dir) pairs into TOC entries.
        self.datas = [(dest, src, "DATA") for src, dest in kwargs["datas"]]
        self.pure: list[Any] = []
        self.scripts: list[Any] = []


def _run_spec(platform: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import PyInstaller.utils.hooks  # noqa: F401 - imported before sys.platform is changed

    built: dict[str, Any] = {"EXE": [], "COLLECT": [], "BUNDLE": []}

    def recorder(kind: str) -> Any:
        def make(*args: Any, **kwargs: Any) -> _Recorded:
            item = _Recorded(*args, **kwargs)
            built[kind].append(item)
            return item

        return make

    namespace: dict[str, Any] = {
        "SPECPATH": str(SPEC.parent),
        "Analysis": lambda *a, **k: built.setdefault("Analysis", _Analysis(*a, **k)),
        "PYZ": _Recorded,
        "EXE": recorder("EXE"),
        "COLLECT": recorder("COLLECT"),
        "BUNDLE": recorder("BUNDLE"),
    }
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the spec prepends its own dirs
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return built


def test_linux_one_folder_with_resources_and_keyring_backends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = _run_spec("linux", monkeypatch)
    analysis = built["Analysis"]
    hidden = analysis.kwargs["hiddenimports"]
    for backend in ("SecretService", "macOS", "Windows", "fail", "null", "chainer"):
        assert f"keyring.backends.{backend}" in hidden
    assert "fpsdesk.ui.smoke" in hidden  # loaded lazily by cli.py (--smoke-test)
    assert "fpsdesk.commands.txn" in hidden  # loaded by name from cli.py
    assert (str(ROOT / "resources"), "resources") in analysis.kwargs["datas"]
    assert "PySide6.QtNetwork" in analysis.kwargs["excludes"]
    assert "PySide6.QtWidgets" not in analysis.kwargs["excludes"]
    [exe] = built["EXE"]
    assert exe.kwargs["name"] == "fpsdesk"
    assert exe.kwargs["strip"] is True
    assert exe.kwargs["icon"] is None
    [collect] = built["COLLECT"]
    assert collect.kwargs["name"] == "fpsdesk"
    assert built["BUNDLE"] == []


def test_windows_gui_and_console_executables_with_icon_and_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = _run_spec("win32", monkeypatch)
    names = {exe.kwargs["name"]: exe.kwargs for exe in built["EXE"]}
    assert set(names) == {"fpsdesk", "fpsdesk-cli"}
    assert names["fpsdesk"]["console"] is False
    assert names["fpsdesk-cli"]["console"] is True
    for kwargs in names.values():
        assert Path(kwargs["icon"]).name == "fpsdesk.ico"
        assert Path(kwargs["icon"]).is_file()
        assert Path(kwargs["version"]).is_file()
        assert kwargs["strip"] is False
    assert built["BUNDLE"] == []


def test_macos_app_bundle_with_id_and_info_plist(monkeypatch: pytest.MonkeyPatch) -> None:
    from fpsdesk import __version__, assets

    monkeypatch.setenv("FPSDESK_CODESIGN_IDENTITY", "Developer ID Application: Test (TEAMID)")
    built = _run_spec("darwin", monkeypatch)
    [exe] = built["EXE"]
    assert exe.kwargs["console"] is False
    assert exe.kwargs["codesign_identity"] == "Developer ID Application: Test (TEAMID)"
    assert Path(exe.kwargs["entitlements_file"]).is_file()
    [bundle] = built["BUNDLE"]
    assert bundle.kwargs["name"] == "fpsdesk.app"
    assert bundle.kwargs["bundle_identifier"] == assets.APP_ID
    assert Path(bundle.kwargs["icon"]).name == "fpsdesk.icns"
    plist = bundle.kwargs["info_plist"]
    assert plist["NSHighResolutionCapable"] is True
    assert plist["CFBundleShortVersionString"] == __version__
    assert plist["LSMinimumSystemVersion"]
