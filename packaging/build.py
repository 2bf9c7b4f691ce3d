"""Build the fpsdesk bundle: ``dist/fpsdesk/`` (one folder) and a versioned tar.gz for Linux.

    python3 packaging/build.py            # -> dist/fpsdesk/, dist/fpsdesk-<ver>-linux-<arch>.tar.gz
    python3 packaging/smoke_test.py       # run the frozen binary's --smoke-test

It builds inside its own venv (``build/venv``, created on first use and recreated when the
pins change), holding exactly the pinned PyInstaller and hooks (pyproject.toml's ``bundle``
extra) and the bundle's lock, packaging/requirements-build.txt (PySide6 and run-time
dependencies); so the bundle is the same whatever else the build host has
installed, and nothing stray (numpy, a second Qt binding) can be picked up. ``--no-venv``
builds with the running interpreter instead, which must then match the pins.

Then it runs PyInstaller on packaging/fpsdesk.spec, adds the installer script, the .desktop
entry, icons and metainfo to the folder, and packs it. On Windows and macOS it stops after
PyInstaller (see docs/packaging.md for their installers).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.fpsdesk.FpsDesk"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def version() -> str:
    text = (ROOT / "fpsdesk" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if not match:
        raise SystemExit("build: no __version__ in fpsdesk/__init__.py")
    return match.group(1)


def _lock_lines() -> list[str]:
    """The requirement lines of packaging/requirements-build.txt (comments dropped)."""
    text = (PACKAGING / "requirements-build.txt").read_text(encoding="utf-8")
    return [
        line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()
    ]


def tool_pins() -> list[str]:
    """PyInstaller and its hooks, from pyproject.toml's ``bundle`` extra: their only pins."""
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    return list(project["optional-dependencies"]["bundle"])


def build_requirements() -> list[str]:
    """Everything the build venv holds: the tools' pins, then the bundle's lock."""
    return [*tool_pins(), *_lock_lines()]


def pinned_requirements() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in build_requirements():
        name, sep, ver = line.partition("==")
        if not sep:
            raise SystemExit(f"build: {line!r} is not an exact pin (NAME==VERSION)")
        pins[name.strip()] = ver.strip()
    return pins


def pin_problems() -> list[str]:
    """Installed build tools that differ from the pins (pyproject's bundle extra + the lock)."""
    problems = []
    for name, wanted in pinned_requirements().items():
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{name} is not installed (want {wanted})")
            continue
        if have != wanted:
            problems.append(f"{name} {have} is installed, the pinned version is {wanted}")
    return problems


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv: Path) -> Path:
    """The build venv's interpreter, (re)creating the venv when the pins changed."""
    requirements = build_requirements()
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    stamp = venv / "fpsdesk-requirements.sha256"
    python = venv_python(venv)
    if python.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return python
    print(f"build: creating the build venv {venv} from the pins", flush=True)
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            *requirements,
        ],
        check=True,
    )
    subprocess.run([str(python), "-m", "pip", "check"], check=True, stdout=subprocess.DEVNULL)
    stamp.write_text(digest + "\n")
    return python


def host_tool_problems() -> list[str]:
    """PyInstaller needs ldd + objdump to find libraries on Linux, and strip for strip=True."""
    if not sys.platform.startswith("linux"):
        return []
    return [
        f"'{tool}' not found (install binutils / libc-bin)"
        for tool in ("ldd", "objdump", "strip")
        if shutil.which(tool) is None
    ]


def run_pyinstaller(dist: Path, work: Path, clean: bool) -> None:
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
    ]
    if clean:
        cmd.append("--clean")
    cmd.append(str(PACKAGING / "fpsdesk.spec"))
    env = dict(os.environ, FPSDESK_TRIM_LOG=str(work / "trimmed.tsv"))
    print("build: " + " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"build: PyInstaller failed (exit {result.returncode})")


def add_linux_extras(bundle: Path) -> None:
    """The installer, its notes, and the freedesktop files laid out as under /usr/share."""
    resources = ROOT / "resources"
    share = bundle / "share"
    if share.exists():
        shutil.rmtree(share)
    for size in ICON_SIZES:
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        target.mkdir(parents=True)
        shutil.copy2(resources / "icons" / f"fpsdesk-{size}.png", target / f"{APP_ID}.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(resources / "icons" / "fpsdesk.svg", scalable / f"{APP_ID}.svg")
    (share / "applications").mkdir()
    shutil.copy2(resources / f"{APP_ID}.desktop", share / "applications")
    (share / "metainfo").mkdir()
    shutil.copy2(resources / f"{APP_ID}.metainfo.xml", share / "metainfo")
    shutil.copy2(PACKAGING / "linux" / "install.sh", bundle / "install.sh")
    (bundle / "install.sh").chmod(0o755)
    shutil.copy2(PACKAGING / "linux" / "INSTALL.txt", bundle / "INSTALL.txt")


def _normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def make_tarball(bundle: Path, dest: Path, top: str) -> None:
    """Pack ``bundle`` as ``top/…``, sorted, owner root, symlinks kept as symlinks."""
    tmp = dest.with_name(dest.name + ".part")
    with tarfile.open(tmp, "w:gz", compresslevel=9) as tar:
        tar.add(bundle, arcname=top, recursive=False, filter=_normalise)
        for path in sorted(bundle.rglob("*")):
            tar.add(
                path,
                arcname=f"{top}/{path.relative_to(bundle).as_posix()}",
                recursive=False,
                filter=_normalise,
            )
    tmp.replace(dest)


def tree_size(path: Path) -> int:
    """Bytes on disk the way ``du`` counts them (allocated blocks, symlinks not followed)."""
    return sum(p.lstat().st_blocks * 512 for p in path.rglob("*")) + path.lstat().st_blocks * 512


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output dir (dist/)")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller work dir"
    )
    parser.add_argument("--clean", action="store_true", help="discard PyInstaller's cache first")
    parser.add_argument("--no-tar", action="store_true", help="skip the tar.gz")
    parser.add_argument(
        "--no-venv",
        action="store_true",
        help="build with this interpreter instead of the build venv (it must match the pins)",
    )
    parser.add_argument(
        "--venv",
        type=Path,
        default=ROOT / "build" / "venv",
        help="the build venv (default build/venv)",
    )
    parser.add_argument(
        "--ignore-pins",
        action="store_true",
        help="with --no-venv: build even if this interpreter differs from the pins (not for "
        "releases)",
    )
    args = parser.parse_args(argv)

    if not args.no_venv:
        python = ensure_venv(args.venv.resolve())
        rerun = [
            str(python),
            str(Path(__file__).resolve()),
            "--no-venv",
            "--dist",
            str(args.dist),
            "--work",
            str(args.work),
        ]
        rerun += ["--clean"] * args.clean + ["--no-tar"] * args.no_tar
        return subprocess.run(rerun, check=False).returncode

    problems = host_tool_problems()
    pins = pin_problems()
    if pins and not args.ignore_pins:
        problems += [
            *pins,
            "run: python3 -m pip install -e '.[bundle]' -r packaging/requirements-build.txt",
        ]
    for problem in problems:
        print(f"build: {problem}", file=sys.stderr)
    if problems:
        return 2

    started = time.monotonic()
    run_pyinstaller(args.dist, args.work, args.clean)
    bundle = args.dist / "fpsdesk"
    built = time.monotonic() - started
    print(f"build: bundle {bundle} in {built:.0f} s, {tree_size(bundle) / 1e6:.1f} MB on disk")
    if not sys.platform.startswith("linux"):
        return 0
    add_linux_extras(bundle)
    if not args.no_tar:
        ver = version()
        tarball = args.dist / f"fpsdesk-{ver}-linux-{platform.machine()}.tar.gz"
        for stale in args.dist.glob("fpsdesk-*-linux-*.tar.gz"):  # one bundle, one tarball
            stale.unlink()
        make_tarball(bundle, tarball, f"fpsdesk-{ver}")
        print(f"build: {tarball} {tarball.stat().st_size / 1e6:.1f} MB")
    print(f"build: done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
