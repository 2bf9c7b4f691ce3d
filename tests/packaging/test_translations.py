"""The committed English plural forms cover every plural string in the UI's source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fpsdesk import assets

ROOT = Path(__file__).resolve().parents[2]


def test_plural_forms_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "make_translations.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all translated" in done.stdout


def test_the_compiled_forms_are_found_where_the_app_looks() -> None:
    path = assets.translation_path("en")
    assert path is not None
    assert path.read_bytes()[:16] == bytes.fromhex("3cb86418caef9c95cd211cbf60a1bddd")  # .qm magic
