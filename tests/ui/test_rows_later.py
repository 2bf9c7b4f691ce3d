"""A table's cells are computed once until their row changes, and a page change paints the
table's rows after the page, in bands, never a row shown and then blanked again."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from fpsdesk.ui import row_model, rows_later
from fpsdesk.ui.row_model import Column, RowModel, make_view, prepare_visible
from fpsdesk.ui.rows_later import RowsLater
from tests.ui.helpers import painted_text

pytestmark = pytest.mark.gui


class Counted:
    """A column's text function that records each row it is asked about."""

    def __init__(self, prefix: str = "row") -> None:
        self.prefix = prefix
        self.asked: list[int] = []

    def __call__(self, row: int) -> str:
        self.asked.append(row)
        return f"{self.prefix} {row}"


class PaintLog(QObject):
    """Each paint the viewport gets (installed before RowsLater: it sees only the paints that
    RowsLater lets through), with how many cells had been computed by then."""

    def __init__(self, viewport: QWidget, text: Counted) -> None:
        super().__init__(viewport)
        self.text = text
        self.paints: list[tuple[QRect, int]] = []
        viewport.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints.append((event.region().boundingRect(), len(self.text.asked)))  # type: ignore[attr-defined]
        return False


def shown_table(qtbot: Any, rows: int, text: Counted) -> tuple[QWidget, Any, RowModel]:
    columns = [Column("Row", text, chars=10), Column("Twice", lambda r: str(2 * r), key=int)]
    model = RowModel(columns, identity=lambda r: r)
    model.set_rows(range(rows))
    view = make_view(model)
    page = QWidget()
    QVBoxLayout(page).addWidget(view)
    qtbot.addWidget(page)
    page.resize(500, 400)
    page.show()
    qtbot.waitExposed(page)
    qtbot.waitUntil(lambda: len(text.asked) > 0)
    return page, view, model


def test_a_cell_is_computed_once_until_its_row_changes(qtbot):
    text = Counted()
    _, view, model = shown_table(qtbot, 200, text)
    visible = view.rowAt(view.viewport().height() - 1) + 1
    assert 5 < visible < 200
    view.viewport().repaint()
    view.viewport().repaint()
    assert sorted(text.asked) == list(range(visible))  # each visible row once, no more
    assert painted_text(model, 3, 0) == "row 3"

    # A changed row is computed again and painted as it is now; the others are not.
    text.asked.clear()
    text.prefix = "new"
    model.replace([3])  # row 3 again, as a run's update replaces a row
    view.viewport().repaint()
    assert text.asked == [3]
    assert painted_text(model, 3, 0) == "new 3"
    assert painted_text(model, 4, 0) == "row 4"  # kept: its row did not change

    # Sorting moves rows: each cell is painted from its new row.
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert painted_text(model, 0, 0) == "new 199"
    assert painted_text(model, 0, 1) == "398"

    # Something else the cells depend on changed: all computed again.
    text.asked.clear()
    model.forget_cells()
    view.viewport().repaint()
    assert len(text.asked) == visible


def test_the_kept_cells_never_grow_past_their_bound(qtbot, monkeypatch):
    monkeypatch.setattr(row_model, "MEMO_ROWS", 20)
    text = Counted()
    _, view, model = shown_table(qtbot, 500, text)
    for row in range(0, 500, 20):
        view.scrollTo(model.index(row, 0))
        view.viewport().repaint()
        assert len(model._cells) <= 20
    assert painted_text(model, 499, 0) == "row 499"


def _table_with_bands(qtbot):
    """200 rows on screen, their paints logged, and a RowsLater on the table (the table's
    window is returned too: it must outlive the test)."""
    text = Counted()
    window, view, model = shown_table(qtbot, 200, text)
    viewport = view.viewport()
    log = PaintLog(viewport, text)
    return window, text, view, model, viewport, log, RowsLater(view)


def test_a_page_change_paints_the_rows_after_the_page_in_bands(qtbot):
    _window, text, view, model, viewport, log, later = _table_with_bands(qtbot)
    text.asked.clear()
    log.paints.clear()

    # The page changes: new rows, and the page repainted around the table.
    model.set_rows(range(1000, 1200))
    later.hold()
    viewport.update()
    qtbot.wait(5)
    assert later.holding
    assert log.paints == []  # the page's frame: the table's background only
    assert text.asked == []  # and none of its rows computed
    qtbot.waitUntil(lambda: not later.holding, timeout=1000)
    qtbot.wait(rows_later.BAND_MS * 2)

    visible = view.rowAt(viewport.height() - 1) + 1
    assert sorted(text.asked) == list(range(1000, 1000 + visible))  # once each
    bands = [rect for rect, _ in log.paints]
    assert len(bands) == rows_later.BANDS
    assert [b.top() for b in bands] == sorted(b.top() for b in bands)  # top first
    assert all(b.height() < viewport.height() for b in bands)
    assert sum(b.height() for b in bands) == viewport.height()  # all of it, no overlap
    # Every cell was computed before the first band was painted (its own frame).
    assert all(computed == visible for _, computed in log.paints)
    assert painted_text(model, 0, 0) == "row 1000"


def test_a_paint_asked_for_during_the_bands_paints_the_whole_table_at_once(qtbot):
    _window, _text, _view, _model, viewport, log, later = _table_with_bands(qtbot)
    log.paints.clear()
    later.hold()
    qtbot.waitUntil(lambda: len(log.paints) == 1, timeout=1000)  # the first band
    assert later.holding
    viewport.update()  # a hover, a changed row...
    qtbot.waitUntil(lambda: not later.holding, timeout=1000)
    qtbot.waitUntil(lambda: log.paints[-1][0] == viewport.rect(), timeout=1000)
    qtbot.wait(rows_later.BAND_MS * 4)
    assert log.paints[-1][0] == viewport.rect()  # no band after it
    assert not later.holding


def test_the_rows_are_computed_even_when_few(qtbot):
    text = Counted()
    _, view, model = shown_table(qtbot, 3, text)
    later = RowsLater(view)
    text.asked.clear()
    model.set_rows(range(10, 13))
    later.hold()
    view.viewport().update()
    qtbot.waitUntil(lambda: not later.holding, timeout=1000)
    qtbot.waitUntil(lambda: sorted(text.asked) == [10, 11, 12], timeout=1000)
    prepare_visible(view)  # all computed already: nothing asked again
    assert sorted(text.asked) == [10, 11, 12]
