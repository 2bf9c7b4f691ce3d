"""The spec's trim keeps what a Qt Widgets app loads and drops only what nothing kept needs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    path = ROOT / "packaging" / "bundle_filter.py"
    spec = importlib.util.spec_from_file_location("bundle_filter", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bundle_filter"] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


bf = _load()


@pytest.mark.parametrize(
    ("dest", "dropped"),
    [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", True),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", True),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", False),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", True),
        ("PySide6/Qt/plugins/imageformats/libqico.so", False),
        ("PySide6/Qt/plugins/imageformats/libqtiff.so", True),
        ("PySide6/plugins/platforms/qwindows.dll", False),  # Windows wheel layout
        ("PySide6\\plugins\\styles\\qmodernwindowsstyle.dll", False),
        ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", False),
        ("PySide6/Qt/translations/qtbase_de.qm", True),
        ("PySide6/Qt/lib/libQt6Core.so.6", False),
        ("resources/icons/fpsdesk-16.png", False),
    ],
)
def test_allow_list(dest: str, dropped: bool) -> None:
    assert (bf.rule_drops(dest) is not None) is dropped


def test_elf_needed_reads_a_real_qt_plugin() -> None:
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    needed = bf.elf_needed(plugin)
    assert "libQt6Gui.so.6" in needed
    assert "libxcb-cursor.so.0" in needed
    assert bf.elf_needed(ROOT / "pyproject.toml") == []


def test_trim_drops_orphans_but_keeps_shared_libraries() -> None:
    graph = {
        "/s/libqgtk3.so": ["libgtk-3.so.0", "libQt6Gui.so.6"],
        "/s/libgtk-3.so.0": ["libcairo.so.2", "libglib-2.0.so.0"],
        "/s/libcairo.so.2": [],
        "/s/libglib-2.0.so.0": [],
        "/s/libQt6Gui.so.6": ["libglib-2.0.so.0"],
        "/s/libqxcb.so": ["libQt6Gui.so.6", "libxcb-cursor.so.0"],
        "/s/libxcb-cursor.so.0": [],
    }
    binaries = [
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/s/libqgtk3.so", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/s/libqxcb.so", "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/s/libQt6Gui.so.6", "BINARY"),
        ("libgtk-3.so.0", "/s/libgtk-3.so.0", "BINARY"),
        ("libcairo.so.2", "/s/libcairo.so.2", "BINARY"),
        ("libglib-2.0.so.0", "/s/libglib-2.0.so.0", "BINARY"),
        ("libxcb-cursor.so.0", "/s/libxcb-cursor.so.0", "BINARY"),
    ]
    datas = [
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("libgtk-3.so.1", "libgtk-3.so.0", "SYMLINK"),
        ("PySide6/Qt/translations/qtbase_fr.qm", "/s/qtbase_fr.qm", "DATA"),
    ]
    bins, kept_datas, report = bf.trim(binaries, datas, needed=lambda src: graph.get(src, []))
    names = {d for d, _s, _t in bins}
    assert names == {
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "libglib-2.0.so.0",  # GTK needed it, but so does QtGui: kept
        "libxcb-cursor.so.0",
    }
    assert [d for d, _s, _t in kept_datas] == ["libQt6Gui.so.6"]
    reasons = dict(report.dropped)
    assert reasons["libgtk-3.so.0"] == "orphan library"
    assert reasons["libgtk-3.so.1"] == "dangling symlink"
    assert reasons["PySide6/Qt/translations/qtbase_fr.qm"] == "translation"
    assert "trimmed 5 files" in report.summary()
