"""A table's rows shown a moment after the page around them, a band at a time.

When the Bulk cancel view changes page (the plan, the run, the results), Qt lays out and
paints the whole page in one frame; the items table's rows are the costliest part of it (each
visible cell is the model's Python and Qt's text layout: 6-12 ms of the GUI thread at
1440x900). ``RowsLater`` keeps them out of that frame: the page is painted with the table
empty, then the visible cells are computed (``prepare_visible``) in a frame of their own, then
the rows are painted in bands over the next frames, top first. All of it is over in about
30 ms, two frames at 60 Hz, and no frame does more than one part of it.

Whatever else asks the table to paint while the bands are under way (a hover, a changed row)
is painted at once, whole, and the bands stop: never a row shown and then blanked again.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QTimer
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import QTableView

from fpsdesk.ui.row_model import prepare_visible

LATER_MS = 15  # the page is painted first (its layout settles in that frame too)
BAND_MS = 3  # then the cells are computed, then each band, each in a frame of its own
BANDS = 3


class RowsLater(QObject):
    """Hold ``view``'s rows back while its page is painted, then show them in bands."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self._view = view
        self._viewport = view.viewport()
        self._shown: QRegion | None = None  # None: not holding; else what may be painted
        self._bands: list[QRect] = []
        self._hold = 0  # which hold the next step belongs to (a newer one drops it)
        self._viewport.installEventFilter(self)

    @property
    def holding(self) -> bool:
        return self._shown is not None

    def hold(self) -> None:
        """The page around the table changes now (the table may be about to be shown): paint
        its rows in later frames. Nothing to do while the window is not on screen."""
        if not self._view.window().isVisible():
            return
        self._shown = QRegion()
        self._bands = []
        self._hold += 1
        self._after(LATER_MS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._shown is None or watched is not self._viewport:
            return False
        if event.type() != QEvent.Type.Paint:
            return False
        if self._shown.isEmpty():
            return True  # no row yet: the viewport shows its background only
        region = event.region()  # type: ignore[attr-defined]
        if region.subtracted(self._shown).isEmpty():
            return False  # a band (or a part of one already shown)
        # Something else wants the table painted: paint it whole, now, and stop.
        self._stop()
        self._viewport.update()
        return False

    def _stop(self) -> None:
        self._hold += 1
        self._shown = None
        self._bands = []

    def _after(self, ms: int) -> None:
        hold = self._hold
        QTimer.singleShot(ms, self, lambda: self._next() if hold == self._hold else None)

    def _next(self) -> None:
        if self._shown is None:
            return
        if not self._bands:
            # First step: the cells, computed in a frame of their own; the bands follow.
            prepare_visible(self._view)
            self._bands = self._split()
            self._after(BAND_MS)
            return
        band = self._bands.pop(0)
        if self._bands:
            self._shown = self._shown.united(band)
            self._after(BAND_MS)
        else:
            self._stop()  # the last band: the rest of the viewport
        self._viewport.update(band)

    def _split(self) -> list[QRect]:
        """The viewport cut into ``BANDS`` bands on row boundaries (the last takes the rest,
        the empty space below the rows too)."""
        view, rect = self._view, self._viewport.rect()
        first = max(0, view.rowAt(0))
        last = view.rowAt(rect.height() - 1)
        if last < 0:
            last = view.model().rowCount() - 1 if view.model() is not None else -1
        rows = last - first + 1
        if rows < 2 * BANDS:
            return [rect]
        bands: list[QRect] = []
        top = rect.top()
        for n in range(1, BANDS):
            bottom = view.rowViewportPosition(first + rows * n // BANDS)
            bands.append(QRect(rect.left(), top, rect.width(), bottom - top))
            top = bottom
        bands.append(QRect(rect.left(), top, rect.width(), rect.bottom() - top + 1))
        return bands
