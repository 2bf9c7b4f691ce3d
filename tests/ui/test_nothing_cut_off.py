"""Nothing is cut off: the main screens at 900×600 with text at 1×, 1.5× and 2×, light and dark.

Each combination runs ``packaging/screenshots.py --check`` in its own process (the application
font is set before any widget exists, as display scaling does; one QApplication per process),
which looks up a demo transaction, cancels it, opens the Notifications view with a row selected,
shows an FPS error, an unknown outcome (and its settling) and a newer notification, and reports
every label, button or amount/ID column narrower than its text, and an amount, ID or Cancel
button out of view sideways (fpsdesk.ui.layout_check). The six run at once. The checker itself
is tested here on widgets known to be cut.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QTableView, QVBoxLayout, QWidget

from fpsdesk.ui.layout_check import cut_off
from tests.fixtures.processes import Children

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
SCREENS = (
    "reserved",
    "cancelled",
    "notifications",
    "error",
    "outcome-unknown",
    "outcome-settled",
    "newer-notification",
)


COMBINATIONS = [(scale, dark) for scale in (1.0, 1.5, 2.0) for dark in (False, True)]


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> Iterator[dict[tuple[float, bool], tuple[dict, Path]]]:
    """All six renders at once, each in its own process (they mostly wait on the sandbox)."""
    started = Children()
    running = {}
    try:
        for scale, dark in COMBINATIONS:
            out = tmp_path_factory.mktemp(f"shots-{scale:g}-{int(dark)}")
            args = [
                sys.executable,
                str(ROOT / "packaging" / "screenshots.py"),
                "--out",
                str(out),
                "--scale",
                str(scale),
                "--size",
                "900x600",
                "--check",
            ] + (["--dark"] if dark else [])
            env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
            process = started.start(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            running[(scale, dark)] = (process, out)
        results = {}
        for key, (process, out) in running.items():
            stdout, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
            results[key] = (json.loads(stdout), out)
        yield results
    finally:
        started.close()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0], ids=["1x", "1.5x", "2x"])
def test_main_screens_cut_nothing_off(renders, scale, dark):
    report, out = renders[(scale, dark)]
    for screen in SCREENS:
        assert report[screen] == [], f"{screen} at {scale}x ({'dark' if dark else 'light'})"
        assert (out / f"{screen}-{scale:g}x-{'dark' if dark else 'light'}-900x600.png").stat()
    width, height = report["minimum_size"]
    # At 2x the smallest window must still fit a 1440×900 screen.
    assert width <= 1440
    assert height <= 900


def test_the_check_finds_what_is_cut(qtbot):
    """Each kind of cut the check looks for, made on purpose, is reported."""
    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    label = QLabel("1D01EOSJQYLS8NT1CZTLWJRF74ZTJRZNO3V")
    label.setFixedWidth(60)
    wrapped = QLabel("Sender: julia.rossi.with.a.very.long.address@example.com")
    wrapped.setWordWrap(True)
    wrapped.setFixedWidth(120)
    button = QPushButton("Cancel transaction…")
    button.setStyleSheet("QPushButton { padding: 5px 14px; font-weight: 600; }")
    button.setFixedWidth(90)
    model = QStandardItemModel(1, 1)
    model.setHorizontalHeaderLabels(["Amount"])
    model.setItem(0, 0, QStandardItem("USD 1499.00"))
    table = QTableView()
    table.setModel(model)
    table.setColumnWidth(0, 40)
    for widget in (label, wrapped, button, table):
        layout.addWidget(widget)
    root.show()
    qtbot.waitExposed(root)
    found = {c.text for c in cut_off(root)}
    assert "1D01EOSJQYLS8NT1CZTLWJRF74ZTJRZNO3V" in found
    assert "julia.rossi.with.a.very.long.address@example.com" in found
    assert "Cancel transaction…" in found
    assert "USD 1499.00" in found
    # Given room, the same widgets pass.
    for widget in (label, wrapped, button):
        widget.setFixedWidth(700)
    table.setColumnWidth(0, 300)
    root.resize(760, 400)
    qtbot.wait(50)
    assert cut_off(root) == []


def test_a_long_status_message_ends_in_an_ellipsis_with_the_whole_of_it_in_the_tooltip(qtbot, desk):
    """Seen at 900×600 and 1.5×: "Could not read it again: The FPS endpoint answered with
    something that" stopped mid-sentence at the window's edge, with nothing to read the rest."""
    window = desk.window
    window.resize(900, 600)
    bar = window.statusBar()
    message = "Could not read it again: " + "the FPS endpoint answered with an error page " * 6
    bar.showMessage(message)
    shown = QStatusBar.currentMessage(bar)  # the text the bar paints
    assert shown.endswith("…")
    assert len(shown) < len(message)
    assert bar.fontMetrics().horizontalAdvance(shown) < bar.width()
    assert bar.currentMessage() == message  # what the app said, for everyone who asks
    assert bar.toolTip() == message
    window.resize(3000, 600)  # wide enough again: the whole message, no tooltip needed
    qtbot.waitUntil(lambda: QStatusBar.currentMessage(bar) == message, timeout=2_000)
    assert bar.toolTip() == ""
    bar.showMessage("Read at 12:00", 50)  # a short one, with a timeout: cleared by Qt
    assert QStatusBar.currentMessage(bar) == "Read at 12:00"
    qtbot.waitUntil(lambda: bar.currentMessage() == "", timeout=2_000)
