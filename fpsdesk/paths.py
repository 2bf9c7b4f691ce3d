"""Where fpsdesk keeps its files: the platform's config, data, cache and log dirs.

On Linux these follow the XDG base directory variables, so an administrator or a test moves
them by setting XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME or XDG_STATE_HOME.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "fpsdesk"


def _dirs() -> platformdirs.PlatformDirs:
    # Built per call: the XDG variables are read when the property is accessed, and tests change
    # them between calls.
    return platformdirs.PlatformDirs(APP_NAME, appauthor=False)


def config_dir() -> Path:
    return Path(_dirs().user_config_dir)


def data_dir() -> Path:
    return Path(_dirs().user_data_dir)


def cache_dir() -> Path:
    return Path(_dirs().user_cache_dir)


def log_dir() -> Path:
    return Path(_dirs().user_log_dir)


def ensure(path: Path) -> Path:
    """Create ``path`` (owner-only) if missing and return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
