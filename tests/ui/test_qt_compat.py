"""The guard against PySide6 6.12.0's None reference leak on Python 3.11 (fpsdesk.ui.qt_compat)."""

from __future__ import annotations

import sys

from fpsdesk.ui import qt_compat


def test_none_survives_many_void_qt_calls(qapp):
    qt_compat.protect_none_refcount()
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    leak = qt_compat.none_refcount_drift(1000)
    for _ in range(20_000):  # more than None's natural reference count on Python 3.11
        label.setText("x")
    assert sys.getrefcount(None) > 0
    if sys.version_info < (3, 12) and leak < 0:
        assert sys.getrefcount(None) > qt_compat.RESERVE // 2


def test_no_reserve_without_a_leak(monkeypatch):
    monkeypatch.setattr(qt_compat, "none_refcount_drift", lambda calls=64: 0)
    before = sys.getrefcount(None)
    assert qt_compat.protect_none_refcount() is False
    assert abs(sys.getrefcount(None) - before) < 100
