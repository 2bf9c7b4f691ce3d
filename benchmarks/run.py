"""Run every benchmark and print one table.

Each ``benchmarks/bench_*.py`` defines ``run(quick: bool) -> list[Row]``. A row compares a
measurement with a baseline taken in the same process or the same call, so the ratio means
something on a noisy machine; the target says what the ratio (or value) should stay within.

    python benchmarks/run.py            # everything
    python benchmarks/run.py client     # only modules whose name contains "client"
    python benchmarks/run.py --quick    # smaller sizes, for a smoke run
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class Row:
    name: str
    value: float
    unit: str
    baseline: float | None = None  # measured in the same run
    baseline_name: str = ""
    target: str = ""  # e.g. "ratio >= 0.80" or "< 16 ms"
    ok: bool | None = None  # did it meet the target

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"


def print_table(rows: list[Row]) -> None:
    headers = ["benchmark", "value", "unit", "baseline", "ratio", "target", "met"]
    table = [
        [
            r.name,
            _fmt(r.value),
            r.unit,
            (f"{_fmt(r.baseline)} ({r.baseline_name})" if r.baseline is not None else "-"),
            _fmt(r.ratio),
            r.target or "-",
            {True: "yes", False: "NO", None: "-"}[r.ok],
        ]
        for r in rows
    ]
    widths = [
        max(len(h), *(len(row[i]) for row in table)) if table else len(h)
        for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="substrings of benchmark module names")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    rows: list[Row] = []
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and not any(s in path.stem for s in args.only):
            continue
        print(f"running {path.stem} …", file=sys.stderr, flush=True)
        try:
            rows.extend(_load(path).run(quick=args.quick))
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the rest
            traceback.print_exc()
            failed.append(path.stem)
    print_table(rows)
    if failed:
        print(f"\nbenchmarks that crashed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
