"""The process's QApplication and what hangs on it for the whole run.

Its name and icon (so docks match the window to the desktop file), the English plural forms,
the palette that follows the system's light or dark scheme, Qt's own messages routed into the
log, and the hook that turns an uncaught exception into a log entry and a friendly dialog
(never a traceback). ``run_gui`` (app.py) puts them in place; tests and benchmarks create the
application from here without loading the main window.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, QtMsgType, QTranslator, Slot
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from fpsdesk import __version__
from fpsdesk.paths import ensure, log_dir
from fpsdesk.ui import dialogs, qt_compat, theme

log = logging.getLogger(__name__)

ORGANIZATION = "fpsdesk"
APPLICATION = "fpsdesk"
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
_qt_log = logging.getLogger("qt")


def qt_message(mode: QtMsgType, context: Any, message: str) -> None:
    """Route Qt's own warnings into our log instead of stderr."""
    if "propagateSizeHints" in message:  # offscreen/xvfb noise, harmless
        return
    _qt_log.log(_QT_LEVELS.get(mode, logging.WARNING), "%s", message)


def log_file_path() -> Path:
    return ensure(log_dir()) / "fpsdesk.log"


def window_icon() -> QIcon:
    from fpsdesk import assets

    icon = QIcon()
    for path in assets.icon_paths():
        icon.addFile(str(path))
    return icon


def qt_argv(argv: list[str]) -> list[str]:
    """``argv`` for QApplication with the program named "fpsdesk" whatever started it.

    On X11 the window's WM_CLASS instance is argv[0]'s base name: ``python3 -m fpsdesk`` would
    make it ``__main__.py`` and a frozen or installed launcher might be anything, so window
    managers and docks could not match the window to io.github.fpsdesk.FpsDesk.desktop
    (StartupWMClass=fpsdesk).
    """
    return [APPLICATION, *argv[1:]]


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists, as in tests), named and themed."""
    qt_compat.protect_none_refcount()
    existing = QApplication.instance()
    app = (
        existing
        if isinstance(existing, QApplication)
        else QApplication(qt_argv(argv or [sys.argv[0]]))
    )
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName("fpsdesk")
    QGuiApplication.setDesktopFileName("io.github.fpsdesk.FpsDesk")
    icon = window_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
    install_translations(app)
    theme.apply_palette(app)
    return app


def install_translations(app: QApplication) -> None:
    """The English plural forms ("1 notification", "2 notifications"), once per application.

    Counts are written with Qt's plural forms (``tr(text, "", n)``); without a translation
    loaded Qt would show the source's "(s)". Built by packaging/make_translations.py.
    """
    from fpsdesk import assets

    if app.property("fpsdesk_translations"):
        return
    path = assets.translation_path("en")
    translator = QTranslator(app)
    if path is None or not translator.load(str(path)):
        log.warning("the English plural forms are missing; counts read '(s)'")
        return
    app.installTranslator(translator)
    app.setProperty("fpsdesk_translations", True)


class PaletteFollower(QObject):
    """Re-applies the palette when the system switches between light and dark."""

    @Slot()
    def follow(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_palette(app)


class ExceptHook:
    """Log the traceback, show a friendly dialog once at a time, keep the app running."""

    def __init__(self) -> None:
        self._showing = False

    def __call__(
        self, kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        log.critical("unexpected error", exc_info=(kind, value, tb))
        if self._showing or QApplication.instance() is None:
            return
        self._showing = True
        try:
            dialogs.show_unexpected_error(None, str(log_file_path()))
        finally:
            self._showing = False
