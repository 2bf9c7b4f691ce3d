"""Layers, enforced: each fpsdesk module imports only the layers below its own, and no import
loop exists anywhere in the package.

The order, lowest first (README, "Architecture"):

- ``base``: the package itself (its version), paths, logsetup, envkeys, assets; any layer may
  use them.
- ``fps``: the FPS API client, its signing and parsers.
- ``records``: plain values several layers keep: the IPN records and the reason codes.
- ``config``: settings.py, settings_store.py and credentials.py, the profiles and their keys.
  Below the store because the store reads which history the current profile names
  (store/location.py).
- ``store``: the history (SQLite or PostgreSQL).
- ``ipn``: the IPN receiver, verifier, importer; it keeps what it receives in the store.
- ``desk``: the application layer, the business processes the app and the CLI share.
- ``smoke``: the half of ``--smoke-test`` that needs no Qt (fpsdesk/smoke.py).
- ``ui``: the desktop app, the only layer that imports PySide6 (test_qt_free.py).
- ``commands``: the ``fpsdesk`` subcommands. Above ``ui``, not beside it, because ``fpsdesk
  report`` paints its PDF with the app's own report code (ui/report_pdf.py); no ui module
  imports a command.
- ``cli``: cli.py and __main__.py, which dispatch to the commands, the app and the smoke test.

``sandbox`` stands for Amazon, not for fpsdesk: it may import ``base`` and ``fps`` only, and only
``ui``, ``commands`` and ``cli`` may import it (to run one).

Every import counts: module level, inside functions (lazy imports), under ``TYPE_CHECKING``, and a
string that names an fpsdesk module exactly (what ``importlib.import_module`` and the lazy
tables of cli.py, store/__init__.py and ui/worker.py load by name). ``from package import name``
is an import of ``package.name`` when that is a module, else of ``package``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

ORDER = (
    "base",
    "fps",
    "records",
    "config",
    "store",
    "ipn",
    "desk",
    "smoke",
    "ui",
    "commands",
    "cli",
)
# The longest matching prefix names a module's layer.
LAYER_OF = {
    "fpsdesk": "base",
    "fpsdesk.paths": "base",
    "fpsdesk.logsetup": "base",
    "fpsdesk.envkeys": "base",
    "fpsdesk.assets": "base",
    "fpsdesk.fps": "fps",
    "fpsdesk.sandbox": "sandbox",
    "fpsdesk.records": "records",
    "fpsdesk.settings": "config",
    "fpsdesk.settings_store": "config",
    "fpsdesk.credentials": "config",
    "fpsdesk.store": "store",
    "fpsdesk.ipn": "ipn",
    "fpsdesk.desk": "desk",
    "fpsdesk.smoke": "smoke",
    "fpsdesk.ui": "ui",
    "fpsdesk.commands": "commands",
    "fpsdesk.cli": "cli",
    "fpsdesk.__main__": "cli",
}
MAY_IMPORT: dict[str, set[str]] = {layer: set(ORDER[:i]) for i, layer in enumerate(ORDER)}
MAY_IMPORT["sandbox"] = {"base", "fps"}
for _runner in ("ui", "commands", "cli"):
    MAY_IMPORT[_runner].add("sandbox")


def modules(root: Path, package: str = "fpsdesk") -> dict[str, Path]:
    """Every module of ``package`` under ``root`` by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _owner(name: str, known: dict[str, Path]) -> str | None:
    """The module ``name`` is, or is in (``a.b.func`` → ``a.b``); None outside the package."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _imported_names(module: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    is_package = path.name == "__init__.py"
    here = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                full = f"{source}.{alias.name}"
                yield (full if full in known else source), node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known:
            yield node.value, node.lineno  # a module loaded by name (importlib)


def imports(root: Path, package: str = "fpsdesk") -> dict[str, dict[str, int]]:
    """Module → {package module it imports: first line}, self-imports left out."""
    known = modules(root, package)
    graph: dict[str, dict[str, int]] = {}
    for module, path in known.items():
        edges: dict[str, int] = {}
        for name, line in _imported_names(module, path, known):
            target = _owner(name, known)
            if target is not None and target != module:
                edges.setdefault(target, line)
        graph[module] = edges
    return graph


def layer_of(module: str) -> str | None:
    name = module
    while name:
        if name in LAYER_OF:
            return LAYER_OF[name]
        name = name.rpartition(".")[0]
    return None


def layer_violations(graph: dict[str, dict[str, int]], paths: dict[str, Path]) -> list[str]:
    """One line per import that runs up (or sideways into another layer it may not use)."""
    found = []
    for module, edges in sorted(graph.items()):
        source = layer_of(module)
        for target, line in sorted(edges.items()):
            wanted = layer_of(target)
            if source is None or wanted is None or source == wanted:
                continue
            if wanted not in MAY_IMPORT[source]:
                where = paths[module].as_posix().split("/fpsdesk/", 1)[-1]
                found.append(
                    f"fpsdesk/{where}:{line}: {module} ({source}) imports {target} ({wanted})"
                )
    return found


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The import loops: strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in modules(REPO) if layer_of(m) is None]
    assert unplaced == []
    assert set(LAYER_OF.values()) <= {*ORDER, "sandbox"}


def test_each_layer_imports_only_the_layers_below_it() -> None:
    graph = imports(REPO)
    assert len(graph) > 100  # the whole package was read
    violations = layer_violations(graph, modules(REPO))
    assert violations == [], "imports against the layer order:\n" + "\n".join(violations)


def test_no_import_loops() -> None:
    loops = cycles(imports(REPO))
    assert loops == [], "import loops:\n" + "\n".join(" ↔ ".join(group) for group in loops)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checks_report_a_wrong_import_a_lazy_one_and_a_loop(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "fpsdesk/__init__.py": "",
            "fpsdesk/fps/__init__.py": "",
            "fpsdesk/fps/client.py": "from fpsdesk.store import db\n",
            "fpsdesk/sandbox/__init__.py": "",
            "fpsdesk/sandbox/server.py": "from ..records import ipn\n",
            "fpsdesk/records/__init__.py": "",
            "fpsdesk/records/ipn.py": "",
            "fpsdesk/store/__init__.py": "",
            "fpsdesk/store/db.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from fpsdesk.store.report import Report\n"
                "def later():\n    import fpsdesk.ui\n"
            ),
            "fpsdesk/store/report.py": "import importlib\nM = 'fpsdesk.store.db'\n",
            "fpsdesk/ui/__init__.py": "from fpsdesk.store import db\n",
        },
    )
    graph = imports(tmp_path)
    assert layer_violations(graph, modules(tmp_path)) == [
        "fpsdesk/fps/client.py:1: fpsdesk.fps.client (fps) imports fpsdesk.store.db (store)",
        "fpsdesk/sandbox/server.py:1: fpsdesk.sandbox.server (sandbox) imports "
        "fpsdesk.records.ipn (records)",
        "fpsdesk/store/db.py:5: fpsdesk.store.db (store) imports fpsdesk.ui (ui)",
    ]
    # db → report (type only) → db (by name), and db → ui (lazy) → db: one knot of three.
    assert cycles(graph) == [["fpsdesk.store.db", "fpsdesk.store.report", "fpsdesk.ui"]]
