"""Work around a reference leak of PySide6 6.12.0 on Python 3.11 that aborts the app.

PySide6 6.12.0 built for Python 3.11 releases one reference to ``None`` every time a Qt method
that returns nothing is called (``label.setText(...)``, ``widget.show()``...). Before Python
3.12 ``None`` is an ordinary object with a reference count, so after some thousands of UI
updates the count reaches zero and CPython aborts ("Fatal Python error: none_dealloc"): a
support agent would lose the app mid-shift. Python 3.12 made ``None`` immortal (PEP 683), and
PySide6 6.11 does not leak; the packaged bundle pins 6.11.3 (packaging/requirements-build.txt).

When the leak is detected at start-up, ``None`` gets a reserve of references so large that no
session can use it up. That is all this does: it does not touch any other object, and nothing
happens on an interpreter or binding that does not leak.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

PROBE_CALLS = 64
RESERVE = 1 << 48  # references; at a million Qt calls a second, about nine years


def none_refcount_drift(calls: int = PROBE_CALLS) -> int:
    """How many references to None ``calls`` void Qt calls released (negative = a leak)."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(calls):
        probe.setObjectName("fpsdesk-probe")
    return sys.getrefcount(None) - before


def protect_none_refcount() -> bool:
    """Give ``None`` a reserve of references if the Qt binding leaks them; True if it did."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal
    drift = none_refcount_drift()
    if drift >= 0:
        return False
    import ctypes  # only here, where the leak was found

    # CPython's object header starts with ob_refcnt (a Py_ssize_t) in release builds.
    refcount = ctypes.c_ssize_t.from_address(id(None))
    refcount.value += RESERVE
    log.info(
        "this PySide6 build releases a reference to None on every Qt call (%d over %d calls); "
        "gave None a reserve so the app cannot abort. Use PySide6 6.11.x or Python 3.12+.",
        -drift,
        PROBE_CALLS,
    )
    return True
