"""The committed icon files, .desktop entry and metainfo are complete and agree with each other."""

from __future__ import annotations

import configparser
import importlib.util
import struct
from pathlib import Path
from types import ModuleType

from lxml import etree

from fpsdesk import assets

ROOT = Path(__file__).resolve().parents[2]


def _make_icons() -> ModuleType:
    path = ROOT / "packaging" / "make_icons.py"
    spec = importlib.util.spec_from_file_location("make_icons", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_icons_are_present_and_well_formed() -> None:
    assert _make_icons().check() == []


def test_ico_and_icns_decode_with_qt(qapp: object) -> None:
    # An independent decoder (Qt's ico/icns image plugins) reads every size we wrote.
    from PySide6.QtGui import QImageReader

    make_icons = _make_icons()
    for name, expected in (
        ("fpsdesk.ico", sorted(make_icons.ICO_SIZES)),
        ("fpsdesk.icns", sorted(size for _kind, size in make_icons.ICNS_TYPES)),
    ):
        reader = QImageReader(str(ROOT / "resources" / "icons" / name))
        sizes = []
        for index in range(reader.imageCount()):
            assert reader.jumpToImage(index)
            image = reader.read()
            assert not image.isNull(), f"{name} image {index}: {reader.errorString()}"
            # The tile's centre is opaque in every size.
            assert image.pixelColor(image.width() // 2, image.height() // 2).alpha() == 255
            sizes.append(image.width())
        assert sorted(sizes) == expected, name


def test_ico_small_entries_are_dibs_with_masks() -> None:
    make_icons = _make_icons()
    entries = make_icons.read_ico((ROOT / "resources" / "icons" / "fpsdesk.ico").read_bytes())
    for width, height, payload in entries:
        if width < 256:
            header_size, w, h2, _planes, bits = struct.unpack_from("<IiiHH", payload)
            assert (header_size, w, h2, bits) == (40, width, 2 * height, 32)
            mask_row = ((width + 31) // 32) * 4
            assert len(payload) == 40 + width * height * 4 + mask_row * height
        else:
            assert make_icons.png_size(payload) == (width, height)


def test_desktop_entry_names_the_installed_icon_and_binary() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(assets.desktop_entry_path(), encoding="utf-8")
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application"
    assert main["Icon"] == assets.APP_ID
    assert main["Exec"].split()[0] == "fpsdesk"
    assert main["Categories"].endswith(";")


def test_metainfo_matches_desktop_entry_and_version() -> None:
    from fpsdesk import __version__

    tree = etree.parse(str(assets.metainfo_path()))
    assert tree.findtext("id") == assets.APP_ID
    assert tree.find("launchable").text == f"{assets.APP_ID}.desktop"
    assert __version__ in [r.get("version") for r in tree.iter("release")]
