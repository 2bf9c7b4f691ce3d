"""The code stays in pieces a maintainer can read: no product module over 500 lines, no function
of cyclomatic complexity grade E or F (31 and above, as radon grades it).

Both were measured once by hand and had crept back (a 1,700-line main window, two functions of
complexity 45); here they are checked on every run, and each check is shown failing on a
deliberately bad module so that it can fail.
"""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "fpsdesk"
MAX_LINES = 500
WORST_RANK = "D"  # E (31-40) and F (41+) are refused


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _too_long(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            out.append(f"{path.relative_to(path.parents[1])}: {lines} lines")
    return out


def _too_complex(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        for block in cc_visit(path.read_text(encoding="utf-8")):
            rank = cc_rank(block.complexity)
            if rank > WORST_RANK:
                where = path.relative_to(path.parents[1])
                out.append(f"{where}:{block.lineno} {block.fullname}: {block.complexity} ({rank})")
    return out


def test_no_product_module_is_over_500_lines() -> None:
    assert _modules()
    assert _too_long(_modules()) == []


def test_no_function_is_graded_e_or_f() -> None:
    assert _too_complex(_modules()) == []


def test_both_checks_catch_a_bad_module(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    long = package / "long.py"
    long.write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    branches = "".join(f"    if n == {k}:\n        return {k}\n" for k in range(40))
    knotted = package / "knotted.py"
    knotted.write_text(f"def knot(n: int) -> int:\n{branches}    return -1\n", encoding="utf-8")
    assert _too_long([long, knotted]) == [f"pkg/long.py: {MAX_LINES + 1} lines"]
    assert _too_complex([long, knotted]) == ["pkg/knotted.py:1 knot: 41 (F)"]
