"""Shared test setup: offscreen Qt, private XDG dirs per test, and the fixture plugins.

Every test gets its own config, data, cache and state directories, so nothing a test writes can
leak into another test or into the developer's home.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.keychain",
    "tests.fixtures.processes",
    "tests.fixtures.postgres",
    "tests.fixtures.history",
]


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Remove the handlers fpsdesk.logsetup.configure installed during a test (an in-process
    ``main()`` call does), so one test's redacting handlers never rewrite the next test's
    log records."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in list(root.handlers):
        if getattr(handler, "_fpsdesk", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point XDG_CONFIG/DATA/CACHE/STATE_HOME at a fresh temp tree for this test."""
    root = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        path = root / sub
        path.mkdir()
        monkeypatch.setenv(var, str(path))
    return root
