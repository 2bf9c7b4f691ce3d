"""Many pokes in a short time, one call: a burst of IPNs or of a bulk run's thousand written
actions is one refresh (each refresh re-reads the store on the GUI thread)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Coalescer(QObject):
    """Calls ``action`` once, ``delay_ms`` after the first poke of a burst, until closed.

    The app's bridges poke it from queued calls that may arrive after the window closed (it
    cannot disconnect what the app connected): a closed one ignores them, so nothing is
    re-read from a store the app is closing.
    """

    def __init__(self, delay_ms: int, action: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._timer: QTimer | None = None  # made on the first poke: most runs never need one
        self._delay_ms = delay_ms
        self._action = action
        self._closed = False

    def poke(self) -> None:
        if self._closed:
            return
        if self._timer is None:
            self._timer = QTimer(self)
            self._timer.setSingleShot(True)
            self._timer.setInterval(self._delay_ms)
            self._timer.timeout.connect(self._action)
        if not self._timer.isActive():
            self._timer.start()

    def isActive(self) -> bool:  # as QTimer's, which it stands for
        return self._timer is not None and self._timer.isActive()

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.stop()
