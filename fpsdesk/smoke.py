"""``fpsdesk --smoke-test``: prove, headless and in seconds, that this build's money path works.

It runs the real app, not a model of it: the same AppController that ``fpsdesk --sandbox``
uses starts the embedded sandbox and the in-process IPN receiver and builds the main window;
the look-up goes through the window's ID field, the cancel through the window's Cancel
command and its confirmation dialog (filled in and confirmed like an agent would), the
worker thread signs and sends both. Then it waits for the sandbox's Cancelled IPN to reach
the history database with a Verified signature, resolves the keychain backend and prints
every version that matters. Exit 0 only if all of that held.

Everything happens in a fresh temporary directory (XDG dirs, Qt runtime dir) on the offscreen
platform unless ``QT_QPA_PLATFORM`` says otherwise; ``PYTHON_KEYRING_BACKEND`` is honoured by
keyring itself. A watchdog ends the process after ``FPSDESK_SMOKE_TIMEOUT`` seconds (60) so a
hang fails the build instead of stalling it. Nothing is written to stderr on success: the
packaging smoke test treats any stderr line as a failure.

``FPSDESK_EXIT_AFTER_PAINT=1`` turns it into the start-up probe the bundle benchmark uses:
start the app exactly as ``fpsdesk`` would for the given arguments (``--sandbox``), print
``first-paint`` when the main window has painted, and quit (benchmarks/bench_bundle.py).

This module is the half that needs no Qt (the watchdog, the temporary home, versions, the
keychain); fpsdesk/ui/smoke.py drives the app and is what ``fpsdesk --smoke-test`` calls
(cli.py).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

OK_LINE = "smoke test: OK"
DEFAULT_TIMEOUT = 60.0


class SmokeFailure(Exception):
    """A check that did not hold; the message says which and what was seen instead."""


def out(label: str, value: object) -> None:
    print(f"  {label:<17}: {value}", flush=True)  # noqa: T201 - this command's report


class Watchdog:
    """Ends the process if the smoke test has not finished in time (a hang fails loudly)."""

    def __init__(self, seconds: float) -> None:
        self.step = "starting"
        self._timer = threading.Timer(seconds, self._fire, args=(seconds,))
        self._timer.daemon = True

    def start(self) -> Watchdog:
        self._timer.start()
        return self

    def _fire(self, seconds: float) -> None:
        sys.stderr.write(
            f"smoke test: FAILED: timed out after {seconds:.0f} s during step '{self.step}'\n"
        )
        sys.stderr.flush()
        os._exit(3)

    def cancel(self) -> None:
        self._timer.cancel()


def isolate(root: Path) -> None:
    """Point every per-user directory fpsdesk and Qt use into ``root``."""
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        path = root / sub
        path.mkdir(mode=0o700)
        os.environ[var] = str(path)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def versions(qt: str) -> None:
    """Print every version that matters; ``qt`` is the Qt line, made by the Qt half."""
    import importlib
    import importlib.metadata
    import platform

    import certifi
    from lxml import etree

    from fpsdesk import __version__

    frozen = " (frozen bundle)" if getattr(sys, "frozen", False) else ""
    out("fpsdesk", f"{__version__}{frozen}")
    out("python", f"{platform.python_version()} ({platform.platform(terse=True)})")
    out("qt", qt)
    lxml_version = ".".join(str(n) for n in etree.LXML_VERSION[:3])
    libxml = ".".join(str(n) for n in etree.LIBXML_VERSION)
    out("lxml", f"{lxml_version} (libxml2 {libxml})")
    for dist in ("requests", "cryptography", "keyring"):
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:  # a bundle may carry no metadata
            version = str(getattr(importlib.import_module(dist), "__version__", "unknown"))
        out(dist, version)
    ca_bundle = Path(certifi.where())
    if not ca_bundle.is_file():
        raise SmokeFailure(f"the TLS CA bundle is missing ({ca_bundle}): HTTPS would fail")
    out("tls ca bundle", f"{ca_bundle.name}, {ca_bundle.stat().st_size // 1024} KiB")


def keychain() -> None:
    """Resolve the backend the way the app does; no secret is written (that could prompt)."""
    import keyring

    from fpsdesk import credentials

    forced = os.environ.get("PYTHON_KEYRING_BACKEND")
    backend = keyring.get_keyring()
    kind = f"{type(backend).__module__}.{type(backend).__qualname__}"
    out("keychain backend", f"{kind}{f' (PYTHON_KEYRING_BACKEND={forced})' if forced else ''}")
    out("keychain in use", credentials.backend_name())


def run(checks: Callable[[Watchdog], None]) -> int:
    """Run ``checks`` (the Qt half, fpsdesk/ui/smoke.py) in a fresh temporary home under a
    watchdog; the exit code, with the failure told on stderr."""
    try:
        timeout = float(os.environ.get("FPSDESK_SMOKE_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        timeout = DEFAULT_TIMEOUT
    started = time.monotonic()
    watchdog = Watchdog(timeout).start()
    print("fpsdesk smoke test", flush=True)  # noqa: T201
    try:
        with tempfile.TemporaryDirectory(prefix="fpsdesk-smoke-") as tmp:
            isolate(Path(tmp))
            out("temp dir", tmp)
            checks(watchdog)
    except SmokeFailure as exc:
        sys.stderr.write(f"smoke test: FAILED at step '{watchdog.step}': {exc}\n")
        return 1
    except Exception as exc:  # any crash is a failed smoke test, told plainly
        log.debug("smoke test crashed", exc_info=True)
        sys.stderr.write(
            f"smoke test: FAILED at step '{watchdog.step}': "
            f"{type(exc).__name__}: {exc} (run with -vv for the traceback)\n"
        )
        return 1
    finally:
        watchdog.cancel()
    print(f"{OK_LINE} ({time.monotonic() - started:.1f} s)", flush=True)  # noqa: T201
    return 0
