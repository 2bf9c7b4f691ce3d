"""The core is Qt-free: importing it (and building the CLI parser) never loads PySide6.

Run in a fresh interpreter, because this test process may already have Qt loaded by others.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE_MODULES = [
    "fpsdesk.fps",
    "fpsdesk.fps.client",
    "fpsdesk.fps.xmlparse",
    "fpsdesk.fps.errors",
    "fpsdesk.fps.endpoints",
    "fpsdesk.fps.signing",
    "fpsdesk.cli",
    "fpsdesk.commands.txn",
    "fpsdesk.commands.history",
    "fpsdesk.commands.report",
    "fpsdesk.store.report",
    "fpsdesk.records.reasons",
    "fpsdesk.desk",
    "fpsdesk.desk.cancel",
    "fpsdesk.desk.settle",
    "fpsdesk.desk.owner",
    "fpsdesk.desk.connection",
    "fpsdesk.store",
    "fpsdesk.ipn",
    "fpsdesk.sandbox",
    "fpsdesk.credentials",
    "fpsdesk.settings",
]


def _existing(modules: list[str]) -> list[str]:
    sys.path.insert(0, str(REPO))
    try:
        return [name for name in modules if importlib.util.find_spec(name) is not None]
    finally:
        sys.path.remove(str(REPO))


def test_core_imports_do_not_load_pyside6() -> None:
    modules = _existing(CORE_MODULES)
    assert "fpsdesk.fps.client" in modules
    assert "fpsdesk.cli" in modules
    assert "fpsdesk.desk.cancel" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "from fpsdesk.cli import build_parser\n"
        "build_parser().parse_args(['status', '14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD'])\n"
        "loaded = sorted(m for m in sys.modules if m == 'PySide6' or m.startswith('PySide6.'))\n"
        "print('QT:' + ','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "QT:\n" in result.stdout, result.stdout


def _qt_imports(source: str) -> list[int]:
    """Line numbers of real ``import PySide6…``/``from PySide6…`` statements (any depth).

    Parsed, not grepped: a build script that carries Qt code inside a string is not an import.
    """
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] == "PySide6" for alias in node.names):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "PySide6"
        ):
            lines.append(node.lineno)
    return lines


def test_no_pyside6_import_in_the_package_outside_ui() -> None:
    # The rule covers the shipped package. Qt tests (tests/ui), packaging tools and UI
    # benchmarks import Qt on purpose.
    package = REPO / "fpsdesk"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).parts[0] == "ui":
            continue
        found = _qt_imports(path.read_text(encoding="utf-8"))
        offenders.extend(f"{path.relative_to(REPO)}:{line}" for line in found)
    assert offenders == []


def test_static_check_can_fail() -> None:
    sample = (
        "from __future__ import annotations\n\n"
        "def later():\n    from PySide6.QtCore import QObject\n    import PySide6\n"
    )
    assert _qt_imports(sample) == [4, 5]
    assert _qt_imports("TEMPLATE = 'from PySide6 import QtCore'\n# import PySide6\n") == []
