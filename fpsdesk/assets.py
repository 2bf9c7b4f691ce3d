"""Where the app's own files (icon, .desktop entry, metainfo) are, from a checkout or a bundle.

The files live in the repository's top-level ``resources/`` directory. A PyInstaller bundle
carries the same tree as ``resources/`` under ``sys._MEIPASS`` (see packaging/fpsdesk.spec),
so one lookup serves both. Qt-free on purpose: the UI turns these paths into a QIcon, the
packaging scripts and tests use them directly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_ID = "io.github.fpsdesk.FpsDesk"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
# Set to point the app at another resources tree (a distro package that installs them apart).
ENV_OVERRIDE = "FPSDESK_RESOURCES"


def _candidates() -> list[Path]:
    found: list[Path] = []
    override = os.environ.get(ENV_OVERRIDE)
    if override:
        found.append(Path(override))
    bundle_root = getattr(sys, "_MEIPASS", None)
    if isinstance(bundle_root, str):
        found.append(Path(bundle_root) / "resources")
    found.append(Path(__file__).resolve().parent.parent / "resources")
    return found


def resources_dir() -> Path:
    """The first resources tree that holds the icons; raises FileNotFoundError if none does."""
    candidates = _candidates()
    for candidate in candidates:
        if (candidate / "icons").is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"fpsdesk resources not found (looked in: {tried})")


def icon_path(size: int) -> Path:
    """The PNG icon best suited to ``size`` px: the smallest one at least that big.

    Falls back to the largest PNG for sizes above 512. Raises FileNotFoundError when the
    resources are missing (e.g. a wheel install without them): the caller goes without an icon.
    """
    if size <= 0:
        raise ValueError(f"icon size must be positive, not {size}")
    chosen = next((s for s in ICON_SIZES if s >= size), ICON_SIZES[-1])
    path = resources_dir() / "icons" / f"fpsdesk-{chosen}.png"
    if not path.is_file():
        raise FileNotFoundError(f"icon missing: {path}")
    return path


def icon_paths() -> list[Path]:
    """Every PNG icon size that exists, smallest first; empty when the resources are missing.

    The window icon is built from all of them so the window manager, the task bar and the
    Alt-Tab switcher each get a crisp size.
    """
    try:
        icons = resources_dir() / "icons"
    except FileNotFoundError:
        return []
    paths = [icons / f"fpsdesk-{size}.png" for size in ICON_SIZES]
    return [p for p in paths if p.is_file()]


def translation_path(language: str = "en") -> Path | None:
    """The compiled Qt translation for ``language`` (English: the plural forms), if present."""
    try:
        path = resources_dir() / "translations" / f"fpsdesk_{language}.qm"
    except FileNotFoundError:
        return None
    return path if path.is_file() else None


def desktop_entry_path() -> Path:
    return resources_dir() / f"{APP_ID}.desktop"


def metainfo_path() -> Path:
    return resources_dir() / f"{APP_ID}.metainfo.xml"
