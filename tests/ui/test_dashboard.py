"""The results dashboard as a team lead uses it: figures, clicks that filter, the PDF report.

The history is seeded through the real ActionStore (tests/fixtures/history.py) and the app is
the real main window on the sandbox; the expected figures are counted from the seed list, not
by the SQL under test.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from fpsdesk.store import open_database
from fpsdesk.store.report import AGENT, GROUPS, REASON, reason_key
from fpsdesk.ui import dialogs, prompts
from fpsdesk.ui.cancel_dialog import CancelDialog
from fpsdesk.ui.dashboard_tiles import money
from tests.fixtures.seeded_history import SEEDS, Seed, expected_released, seed_history
from tests.ui.helpers import table_texts

pytestmark = pytest.mark.gui

NOW = datetime.now(UTC)


def _day(seed: Seed) -> str:
    return (NOW.astimezone() - timedelta(days=seed.days_ago)).date().isoformat()


def _open(qtbot: Any, desk: Any, history_path: Path) -> Any:
    conn = open_database(history_path)
    try:
        seed_history(desk.actions, conn, NOW)
    finally:
        conn.close()
    view = desk.window.results_view
    assert view.isVisible() or view.dashboard is None  # built when first shown
    desk.window.show_results()
    view.reload()  # the seeds were written behind the window's back
    qtbot.waitUntil(lambda: view.dashboard is not None and view.dashboard.board is not None)
    dashboard = view.dashboard
    dashboard.set_environment("Sandbox")
    return view


def _ids(view: Any) -> set[str]:
    return {row[1] for row in table_texts(view.table)}


def _seed_ids(seeds: list[Seed]) -> set[str]:
    return {f"SEED{SEEDS.index(s):031d}" for s in seeds}


def _click(qtbot: Any, chart: Any, index: int, group: str | None) -> None:
    chart.repaint()  # the hit areas are those of the last paint
    area = next(h[0] for h in chart.hits if h[1] == index and h[2] == group)
    # A segment in its middle; a whole bar by its label, left of the segments.
    point = area.center() if group is not None else QPointF(area.left() + 4, area.center().y())
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=point.toPoint())


def test_the_figures_equal_the_history_counted_independently(qtbot, desk, history_path):
    view = _open(qtbot, desk, history_path)
    dashboard = view.dashboard
    seeds = [s for s in SEEDS if s.environment == "Sandbox"]
    assert dashboard.count_figure.value.text() == f"{len(seeds):,}"
    assert dashboard.released_figure.value.text() == money(
        dict(sorted(expected_released("Sandbox").items()))
    )
    assert "USD" in dashboard.released_figure.value.text()
    assert "EUR" in dashboard.released_figure.value.text()
    unresolved = sum(1 for s in seeds if s.group == "unresolved")
    assert dashboard.unresolved_figure.value.text() == f"⚠ {unresolved} need attention"
    known = [s for s in seeds if s.group != "unresolved"]
    rate = sum(1 for s in known if s.took_effect) / len(known)
    assert dashboard.rate_figure.value.text() == f"{rate * 100:.1f}%"
    bars = {s.key: s.counts for s in dashboard.columns.slices}
    for day, counts in bars.items():
        for group in GROUPS:
            assert counts[group] == sum(1 for s in seeds if _day(s) == day and s.group == group)
    agents = {s.key: s.total for s in dashboard.breakdowns[AGENT].slices}
    assert agents == {a: sum(1 for s in seeds if s.operator == a) for a in agents}
    assert sum(agents.values()) == len(seeds)
    reasons = {s.key: s.total for s in dashboard.breakdowns[REASON].slices}
    assert reasons["text:customer asked"] == 2  # case and spacing folded
    assert reasons == {
        k: sum(1 for s in seeds if reason_key(s.reason_code, s.reason) == k) for k in reasons
    }
    # Every bucket of the last 7 days is in the table for screen readers, with its counts.
    table = table_texts(dashboard.table)
    for day, counts in bars.items():
        if sum(counts.values()):
            row = next(r for r in table if r[1] == day)
            assert row[2] == str(sum(counts.values()))
    assert "Succeeded" in dashboard.columns.accessibleDescription()
    # The table below lists the period's cancels of the environment, all of them.
    assert _ids(view) == _seed_ids(seeds)


def test_clicking_a_segment_filters_the_table_to_exactly_its_rows(qtbot, desk, history_path):
    view = _open(qtbot, desk, history_path)
    dashboard = view.dashboard
    seeds = [s for s in SEEDS if s.environment == "Sandbox"]
    yesterday = next(i for i, b in enumerate(dashboard.columns.slices) if b.key == _day(SEEDS[3]))
    _click(qtbot, dashboard.columns, yesterday, "succeeded")
    expected = [s for s in seeds if _day(s) == _day(SEEDS[3]) and s.group == "succeeded"]
    assert len(expected) == 2
    assert _ids(view) == _seed_ids(expected)
    assert dashboard.clear_button.isVisible()
    assert "Succeeded" in dashboard.filter_label.text()
    # A breakdown segment: ana's cancels that were not cancelled.
    agents = dashboard.breakdowns[AGENT]
    ana = next(i for i, s in enumerate(agents.slices) if s.key == "ana")
    _click(qtbot, agents, ana, "not_cancelled")
    expected = [s for s in seeds if s.operator == "ana" and s.group == "not_cancelled"]
    assert _ids(view) == _seed_ids(expected)
    assert "By agent: ana" in dashboard.filter_label.text()
    # The whole bar (its label), then cleared: every cancel of the period again.
    _click(qtbot, agents, ana, None)
    assert _ids(view) == _seed_ids([s for s in seeds if s.operator == "ana"])
    qtbot.mouseClick(dashboard.clear_button, Qt.MouseButton.LeftButton)
    assert not dashboard.clear_button.isVisible()
    assert _ids(view) == _seed_ids(seeds)


def test_switching_period_and_environment(qtbot, desk, history_path):
    view = _open(qtbot, desk, history_path)
    dashboard = view.dashboard
    dashboard.set_period("today")
    today = [s for s in SEEDS if s.days_ago == 0 and s.environment == "Sandbox"]
    assert dashboard.board.period.unit == "hour"
    assert dashboard.board.total == len(today)
    assert _ids(view) == _seed_ids(today)
    dashboard.set_period("7")
    dashboard.set_environment(None)
    assert dashboard.board.total == len(SEEDS)
    assert "Production" in {row[4] for row in table_texts(view.table)}
    first = (NOW.astimezone() - timedelta(days=3)).date()
    dashboard.set_period("custom", first, first)
    assert dashboard.first.isVisible()
    assert dashboard.board.total == sum(1 for s in SEEDS if s.days_ago == 3)


def test_the_pdf_names_period_environment_and_has_charts_and_table(
    qtbot, desk, history_path, monkeypatch, tmp_path
):
    view = _open(qtbot, desk, history_path)
    pdf = tmp_path / "results.pdf"
    png = tmp_path / "charts.png"
    answers = iter([str(pdf), str(png)])
    monkeypatch.setattr(dialogs, "save_report_path", lambda *args: next(answers))
    qtbot.mouseClick(view.dashboard.pdf_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.dashboard.png_button, Qt.MouseButton.LeftButton)
    text = _pdf_text(pdf)
    first_day = (NOW.astimezone() - timedelta(days=6)).date().isoformat()
    today = NOW.astimezone().date().isoformat()
    assert "Environment: Sandbox" in text
    assert f"Period: Last 7 days ({first_day} to {today})" in text
    from fpsdesk.ui.report_pdf import produced_by

    assert f"Produced by {produced_by()} at " in text
    assert "with fpsdesk" in text
    for title in (
        "Cancels over time, by outcome",
        "By agent",
        "By reason",
        "By status before the cancel",
        "Not cancelled, by FPS error code",
    ):
        assert title in text
    for label in ("Succeeded", "Not cancelled", "Unknown or settling", "Corrected"):
        assert label in text
    assert "customer asked" in text  # a folded free-text reason
    assert "Duplicate order" in text  # a code, by its label
    # The table: every Sandbox cancel of the period, by its transaction ID.
    for number, seed in enumerate(SEEDS):
        shown = f"SEED{number:031d}" in text
        assert shown == (seed.environment == "Sandbox"), number
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1400, 780)


def _pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (poppler-utils) is needed to read the PDF"
    result = subprocess.run(
        [tool, "-layout", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout


def test_keyboard_reaches_a_bar_and_lists_it(qtbot, desk, history_path):
    view = _open(qtbot, desk, history_path)
    chart = view.dashboard.columns
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    last_day = chart.slices[0]
    qtbot.keyClick(chart, Qt.Key.Key_Return)
    assert view.dashboard.selection.bucket == last_day.key
    assert last_day.key in chart.accessibleDescription()


def test_charts_follow_the_dark_palette(qtbot, monkeypatch):
    from fpsdesk.ui import dashboard_charts, theme

    monkeypatch.setattr(theme, "system_color_scheme", lambda: Qt.ColorScheme.Dark)
    dark = dashboard_charts.chart_colors()
    monkeypatch.setattr(theme, "system_color_scheme", lambda: Qt.ColorScheme.Light)
    light = dashboard_charts.chart_colors()
    assert dark.dark
    assert not light.dark
    assert dark.text.lightness() > 128 > light.text.lightness()


def test_the_confirmation_needs_a_reason_code_and_returns_it_with_the_comment(qtbot):
    prompt = prompts.CancelPrompt(
        "14GKI1SKSR1V6DO1RCCB32RBR6KLODMGQUD",
        "USD 5.00",
        "Reserved",
        "Sandbox",
        "https://fps.sandbox.amazonaws.com/",
    )
    dialog = CancelDialog(prompt)
    qtbot.addWidget(dialog)
    labels = [dialog.picker.code.itemText(i) for i in range(dialog.picker.code.count())]
    assert labels == [
        "Customer request",
        "Duplicate order",
        "Suspected fraud",
        "Out of stock",
        "Address problem",
        "Other",
    ]
    assert not dialog.confirm_button.isEnabled()
    dialog.accept()  # Enter or a script cannot confirm without a code
    assert dialog.result() != dialogs.QDialog.DialogCode.Accepted
    dialog.picker.choose("duplicate-order")
    dialog.reason.setPlainText("  ordered twice  ")
    assert dialog.confirm_button.isEnabled()
    assert dialog.choice() == prompts.ReasonChoice("duplicate-order", "ordered twice")


def test_an_empty_period_says_so_not_that_nothing_was_ever_cancelled(qtbot, desk, history_path):
    view = _open(qtbot, desk, history_path)
    first = (NOW.astimezone() - timedelta(days=40)).date()
    view.dashboard.set_period("custom", first, first)
    assert view.table.rowCount() == 0
    assert view.empty.title.text() == "No cancellations in this period"
    assert view.dashboard.count_figure.value.text() == "0"
