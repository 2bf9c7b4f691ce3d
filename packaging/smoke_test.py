"""Smoke-test the frozen app: run ``dist/fpsdesk/fpsdesk --smoke-test`` and judge it strictly.

It passes only if the binary exits 0 within the time limit, prints its ``smoke test: OK`` line,
and writes nothing to stderr except the few lines listed in ``EXPECTED_STDERR`` (each with the
reason it is harmless). On failure it runs the binary again with ``-vv`` and
``QT_DEBUG_PLUGINS=1`` and shows everything, so a CI log says why.

    python3 packaging/smoke_test.py                       # dist/fpsdesk/fpsdesk
    python3 packaging/smoke_test.py path/to/fpsdesk --expect-backend SecretService

The frozen app's own ``--smoke-test`` (fpsdesk/smoke.py and fpsdesk/ui/smoke.py) already runs
headless in temporary directories; this runner also gives it a temporary HOME so nothing outside
is touched.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BINARY = ROOT / "dist" / "fpsdesk" / ("fpsdesk.exe" if os.name == "nt" else "fpsdesk")
OK_LINE = "smoke test: OK"
# stderr lines that are not a problem, with why. Keep this list short and specific.
EXPECTED_STDERR: list[tuple[re.Pattern[str], str]] = [
    # The offscreen platform (headless CI) cannot forward size hints to a window manager it
    # doesn't have; a desktop session never prints this.
    (re.compile(r"^This plugin does not support propagateSizeHints\(\)$"), "offscreen platform"),
]


def unexpected_stderr(stderr: str) -> list[str]:
    """The stderr lines not covered by ``EXPECTED_STDERR``."""
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not any(pattern.search(line) for pattern, _why in EXPECTED_STDERR)
    ]


def smoke_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["HOME"] = str(home)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Never inherit the developer's own fpsdesk dirs; the app picks temp ones itself too.
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env.pop(var, None)
    env.pop("FPSDESK_LOG_LEVEL", None)
    env.update(extra or {})
    return env


def run_once(
    binary: Path, args: list[str], env: dict[str, str], timeout: float
) -> tuple[int | None, str, str, float]:
    """Run the binary once; on a hang, end it and everything it started (its process group)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(binary), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=os.name == "posix",
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(process)
        # Whatever it printed before the hang; the pipes close now that the group is gone.
        out, err = process.communicate(timeout=10)
        return None, out or "", err or "", time.monotonic() - started
    return process.returncode, out, err, time.monotonic() - started


def _kill_tree(process: subprocess.Popen[str]) -> None:
    if os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)
            return
        except ProcessLookupError:
            pass
    process.kill()


def judge(code: int | None, stdout: str, stderr: str, expect_backend: str | None) -> list[str]:
    problems = []
    if code is None:
        problems.append("did not finish in time")
    elif code != 0:
        problems.append(f"exit code {code}")
    if OK_LINE not in stdout:
        problems.append(f"no '{OK_LINE}' line on stdout")
    extra = unexpected_stderr(stderr)
    if extra:
        problems.append(f"{len(extra)} unexpected stderr line(s): {extra[0]!r}")
    if expect_backend:
        backend = re.search(r"^\s*keychain backend\s*:\s*(\S+)", stdout, re.MULTILINE)
        if not backend or expect_backend not in backend.group(1):
            found = backend.group(1) if backend else "none reported"
            problems.append(f"keychain backend {found}, expected {expect_backend}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", nargs="?", type=Path, default=DEFAULT_BINARY)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    parser.add_argument(
        "--expect-backend",
        metavar="NAME",
        help="fail unless the resolved keyring backend contains NAME (e.g. SecretService)",
    )
    args = parser.parse_args(argv)
    if not args.binary.is_file():
        print(
            f"smoke_test: no binary at {args.binary}; build it with packaging/build.py",
            file=sys.stderr,
        )
        return 2

    with tempfile.TemporaryDirectory(prefix="fpsdesk-smoke-home-") as home:
        code, out, err, took = run_once(
            args.binary, ["--smoke-test"], smoke_env(Path(home)), args.timeout
        )
    sys.stdout.write(out)
    problems = judge(code, out, err, args.expect_backend)
    if not problems:
        print(f"smoke_test: PASS ({args.binary}, {took:.1f} s)")
        return 0

    print(f"smoke_test: FAIL after {took:.1f} s: " + "; ".join(problems), file=sys.stderr)
    if err:
        print("---- stderr ----", file=sys.stderr)
        print(err, file=sys.stderr)
    print("---- rerun with -vv and QT_DEBUG_PLUGINS=1 for diagnostics ----", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="fpsdesk-smoke-home-") as home:
        env = smoke_env(Path(home), {"QT_DEBUG_PLUGINS": "1"})
        code2, out2, err2, _ = run_once(args.binary, ["-vv", "--smoke-test"], env, args.timeout)
    print(f"(exit {code2})", file=sys.stderr)
    print(out2, file=sys.stderr)
    print(err2, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
