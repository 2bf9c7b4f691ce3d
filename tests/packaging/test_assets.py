"""fpsdesk.assets finds the icon from a checkout and from a PyInstaller-style bundle root."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from fpsdesk import assets

REPO_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def test_from_source_checkout_finds_every_icon_size() -> None:
    assert assets.resources_dir() == REPO_RESOURCES
    paths = assets.icon_paths()
    assert [p.name for p in paths] == [f"fpsdesk-{s}.png" for s in assets.ICON_SIZES]


@pytest.mark.parametrize(
    ("asked", "expected"), [(1, 16), (16, 16), (20, 24), (100, 128), (512, 512), (4000, 512)]
)
def test_icon_path_picks_smallest_size_at_least_asked(asked: int, expected: int) -> None:
    assert assets.icon_path(asked).name == f"fpsdesk-{expected}.png"


def test_icon_path_rejects_nonpositive_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        assets.icon_path(0)


def test_frozen_bundle_root_wins_over_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO_RESOURCES, tmp_path / "resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert assets.resources_dir() == tmp_path / "resources"
    assert assets.icon_path(48) == tmp_path / "resources" / "icons" / "fpsdesk-48.png"


def test_missing_resources_give_no_icons_and_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Point every candidate at empty directories: the override, the bundle root and the
    # checkout (by pretending the module lives elsewhere).
    monkeypatch.setenv(assets.ENV_OVERRIDE, str(tmp_path / "nothing"))
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(assets, "__file__", str(tmp_path / "pkg" / "assets.py"))
    assert assets.icon_paths() == []
    with pytest.raises(FileNotFoundError, match="resources not found"):
        assets.icon_path(32)


def test_override_env_points_at_another_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO_RESOURCES, tmp_path / "res")
    monkeypatch.setenv(assets.ENV_OVERRIDE, str(tmp_path / "res"))
    assert assets.desktop_entry_path() == tmp_path / "res" / f"{assets.APP_ID}.desktop"
    assert assets.metainfo_path().is_file()
