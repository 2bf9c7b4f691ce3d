"""The main window: environment, look-up form, the transaction page, Results, Notifications.

It builds the widgets and wires them to the DeskSession; it never talks to the network or the
worker itself. Its concerns live in parts of their own: the menus (window_menus.py), the tabs
and their views (window_views.py), the look-up (lookup_flow.py), what changes underneath
(live_updates.py), and the cancel's presentation (cancel_presenter.py, a ``CancelPresenter``
the window owns).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.ui import dialogs, theme
from fpsdesk.ui.buttons import RingButton
from fpsdesk.ui.cancel_presenter import CancelPresenter
from fpsdesk.ui.live_updates import LiveUpdatesMixin
from fpsdesk.ui.lookup_flow import BeforeLookup, LookupMixin
from fpsdesk.ui.outcome_notices import OutcomeNotices
from fpsdesk.ui.result_banner import ResultBanner
from fpsdesk.ui.widgets import (
    ElidingStatusBar,
    EmptyState,
    EnvironmentBadge,
    accessible,
    clear_button_named,
)
from fpsdesk.ui.window_menus import MenusMixin
from fpsdesk.ui.window_views import ViewsMixin

if TYPE_CHECKING:  # loaded after the first paint (AppController.start)
    from fpsdesk.ui.bulk_view import BulkView
    from fpsdesk.ui.jobs import JobHost
    from fpsdesk.ui.search_view import SearchView
    from fpsdesk.ui.session import DeskSession
    from fpsdesk.ui.transaction_view import TransactionView

__all__ = ["PREBUILD_MS", "MainWindow"]

log = logging.getLogger(__name__)

PREBUILD_MS = 250  # after attach_session: the transaction page is built while the agent reads

IpnRowsSource = Callable[[str], list[Any]]


class MainWindow(MenusMixin, ViewsMixin, LookupMixin, LiveUpdatesMixin, QMainWindow):
    settings_requested = Signal()
    reset_sandbox_requested = Signal()

    def __init__(
        self,
        session: DeskSession | None = None,
        *,
        ipn_rows: IpnRowsSource | None = None,
        sandbox_mode: bool = False,
        profile_name: str = "",
        keychain_backend: Callable[[], str] | None = None,
        notifications: QWidget | None = None,
    ) -> None:
        super().__init__()
        self._session: DeskSession | None = None
        self._ipn_rows = ipn_rows
        self._keychain_backend = keychain_backend
        # Makes a fresh demo transaction of a kind ("Reserved", "Pending") and returns its ID;
        # set by the app while it runs the local sandbox.
        self.demo_factory: Callable[[str], str] | None = None
        self.demo_menu = None
        # What this window connected to the session and to its views (``_link``), cut at
        # shutdown: nothing they say after that reaches the window. All are emitted on the GUI
        # thread (direct connections), so a cut is final.
        self._links: list[tuple[Any, Callable[..., Any]]] = []
        self._closed = False  # shutdown() ran: a second close neither asks nor stops again
        # The context of the prebuild's single shot: deleted at shutdown, which cancels it.
        self._prebuild_context = QObject()
        self._reread_for: tuple[str, int] | None = None  # the IPN a page was last re-read for
        self.cancels = CancelPresenter(self, parent=self)
        self.shown_transaction: str | None = None
        self._before_lookup: BeforeLookup | None = None
        self.setWindowTitle(self.tr("fpsdesk"))
        self.setMinimumSize(760, 520)

        central = QWidget()
        root = QVBoxLayout(central)
        root.setContentsMargins(16, 12, 16, 8)
        root.setSpacing(10)

        self._build_header(root)
        self._build_pages(root)
        self._build_live_updates()
        self.setCentralWidget(central)

        self.setStatusBar(ElidingStatusBar())
        self.connection_label = QLabel()
        self.statusBar().addPermanentWidget(self.connection_label)

        # -- wiring -------------------------------------------------------------------------
        self.id_edit.returnPressed.connect(self.lookup_from_field)
        self.id_edit.textEdited.connect(self._on_id_edited)
        self.id_edit.textChanged.connect(self._on_id_changed)
        self.lookup_button.clicked.connect(self.lookup_from_field)

        self._build_menus(sandbox_mode)
        if notifications is not None:
            self.set_notifications(notifications)
        self.profile_label.setText(profile_name)
        self.profile_label.setVisible(bool(profile_name))
        self.pages.setCurrentWidget(self.welcome)
        self._restore_geometry()
        if session is not None:
            self.attach_session(session, profile_name)

    def _build_header(self, root: QVBoxLayout) -> None:
        """The environment, the ID field and Look up; what is said under them."""
        header = QHBoxLayout()
        header.setSpacing(10)
        self.env_badge = EnvironmentBadge()
        self.profile_label = QLabel()
        self.profile_label.setStyleSheet("color: palette(placeholder-text);")
        self.id_edit = QLineEdit()
        self.id_edit.setPlaceholderText(
            self.tr("Transaction ID — paste an ID, or a text or URL containing one")
        )
        self.id_edit.setAccessibleName(self.tr("Transaction ID"))
        self.id_edit.setClearButtonEnabled(True)
        self.id_edit.setFont(theme.mono_font())
        self.id_edit.setMinimumWidth(360)
        self.lookup_button = RingButton(self.tr("Look up"))
        self.lookup_button.setAccessibleDescription(
            self.tr("Reads the transaction in the ID field from FPS (Enter)")
        )
        self.lookup_button.setDefault(True)
        clear_button_named(self.id_edit)
        header.addWidget(self.env_badge)
        header.addWidget(self.profile_label)
        header.addSpacing(12)
        header.addWidget(self.id_edit, 1)
        header.addWidget(self.lookup_button)
        root.addLayout(header)
        self.id_error = QLabel()
        self.id_error.setWordWrap(True)
        self.id_error.setAccessibleName(self.tr("Transaction ID problem"))
        self.id_error.hide()
        root.addWidget(self.id_error)
        # Several IDs in one paste: one button per ID, the agent picks (keyboard: Tab, Enter).
        self.id_choices = QWidget()
        self.id_choices.setAccessibleName(self.tr("Transaction IDs in the pasted text"))
        self._id_choices_row = QHBoxLayout(self.id_choices)
        self._id_choices_row.setContentsMargins(0, 0, 0, 0)
        self.id_choices.hide()
        root.addWidget(self.id_choices)
        # Cancels that finished while the agent looked elsewhere; each stays until dismissed.
        self.notices = OutcomeNotices()
        self.notices.open_requested.connect(self.cancels.open_notice)
        self.notices.changed.connect(self.cancels.update_results_title)
        root.addWidget(self.notices)
        # A shared history that does not answer: said here, above every tab, until it is back.
        self.history_banner = ResultBanner()
        self.history_banner.setObjectName("history_banner")
        self.history_offline: str | None = None  # why the shared history is offline
        root.addWidget(self.history_banner)

    def _build_pages(self, root: QVBoxLayout) -> None:
        """The tabs: the transaction pages now, the other views as hosts built on first use."""
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        accessible(
            self.tabs.tabBar(),
            self.tr("Transaction, Results, Notifications, Search and Bulk cancel (Ctrl+1 to 5)"),
            self.tr("Views"),
        )
        self.pages = QStackedWidget()
        self.welcome = EmptyState(
            self.tr("Look up a transaction"),
            self.tr(
                "Paste a transaction ID above and press Enter (Ctrl+L jumps to the field). "
                "You see its status, history, notifications and the actions taken on it."
            ),
        )
        self.loading = EmptyState(
            self.tr("Looking up…"), self.tr("Taking long? Press Esc to stop waiting.")
        )
        self.stop_button = self.loading.add_action(self.tr("Stop (Esc)"))
        self.stop_button.setToolTip(
            self.tr("Stop waiting for this look-up and go back to what was shown before")
        )
        self.stop_button.clicked.connect(self.stop_lookup)
        self.error_page = self._build_error_page()
        # The transaction page is built on first use: the window paints sooner without it.
        self._transaction_view: TransactionView | None = None
        for page in (self.welcome, self.loading, self.error_page):
            self.pages.addWidget(page)
        # The Results view is built on first use too (it reads the action log).
        self._results: Any = None
        self._results_host = QWidget()
        QVBoxLayout(self._results_host).setContentsMargins(0, 0, 0, 0)
        # Search and Bulk cancel are built on first use too (they run jobs of their own).
        self._search: SearchView | None = None
        self._bulk: BulkView | None = None
        self._jobs: JobHost | None = None
        self._unfinished_look: Any = None
        self._search_host = QWidget()
        QVBoxLayout(self._search_host).setContentsMargins(0, 0, 0, 0)
        self._bulk_host = QWidget()
        QVBoxLayout(self._bulk_host).setContentsMargins(0, 0, 0, 0)
        self.pages.setObjectName("transaction")
        self._results_host.setObjectName("results")
        self._search_host.setObjectName("search")
        self._bulk_host.setObjectName("bulk")
        self.tabs.addTab(self.pages, self.tr("Transaction"))
        self.tabs.addTab(self._results_host, self.tr("Results"))
        self.tabs.addTab(self._search_host, self.tr("Search"))
        self.tabs.addTab(self._bulk_host, self.tr("Bulk cancel"))
        # A tab's tooltip is what a screen reader gives as the tab bar's description.
        for index, tip in enumerate(
            (
                self.tr("The transaction looked up, with its history (Ctrl+1)"),
                self.tr("Recent cancellations and their outcomes (Ctrl+2)"),
                self.tr("Find transactions without their ID (Ctrl+F)"),
                self.tr("Cancel many transactions from a file, a dry run first (Ctrl+O)"),
            )
        ):
            self.tabs.setTabToolTip(index, tip)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.notifications: QWidget | None = None
        self._wanted_tab = 0
        self._wanted_tab_name = ""
        root.addWidget(self.tabs, 1)

    def _build_error_page(self) -> QScrollArea:
        """A look-up that failed: what and why, Try again. Scrolls rather than squeezing the
        explanation when the window is short or the text large."""
        page = QScrollArea()
        page.setWidgetResizable(True)
        page.setFrameShape(QFrame.Shape.NoFrame)
        error_content = QWidget()
        page.setWidget(error_content)
        error_layout = QVBoxLayout(error_content)
        error_layout.setContentsMargins(24, 24, 24, 0)
        self.error_heading = QLabel()
        self.error_heading.setWordWrap(True)  # it names the ID: wrapped, never cut
        heading_font = self.error_heading.font()
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.1)
        self.error_heading.setFont(heading_font)
        self.error_heading.setStyleSheet("color: palette(placeholder-text);")
        self.error_banner = ResultBanner()
        self.error_banner.setMaximumWidth(900)
        retry_row = QHBoxLayout()
        self.retry_button = QPushButton(self.tr("Try again"))
        self.retry_button.clicked.connect(self.refresh)
        retry_hint = QLabel(self.tr("or look up another ID (Ctrl+L)"))
        retry_hint.setStyleSheet("color: palette(placeholder-text);")
        retry_row.addWidget(self.retry_button)
        retry_row.addWidget(retry_hint)
        retry_row.addStretch(1)
        error_layout.addWidget(self.error_heading)
        error_layout.addWidget(self.error_banner)
        error_layout.addLayout(retry_row)
        error_layout.addStretch(1)
        return page

    def attach_session(self, session: DeskSession, profile_name: str = "") -> None:
        """Wire the window to its session. AppController does this just after the first
        paint, so the worker, the models and SQLite load while the window is already up."""
        if self._session is not None:
            raise RuntimeError("MainWindow already has a session")
        self._session = session
        links: list[tuple[Any, Callable[..., Any]]] = [
            (session.lookup_finished, self._on_lookup_finished),
            (session.related_status_read, self._on_related_status),
            (session.lookup_failed, self._on_lookup_failed),
            (session.lookup_abandoned, self._on_lookup_abandoned),
            *(
                (signal, self._sync_stop_action)
                for signal in (
                    session.lookup_started,
                    session.lookup_finished,
                    session.lookup_failed,
                    session.lookup_abandoned,
                )
            ),
            *self.cancels.session_links(session),
            (session.actions_changed, self._on_actions_changed),
            (session.busy_changed, self._on_busy),
        ]
        for signal, slot in links:
            self._link(signal, slot)
        from fpsdesk.ui.jobs import JobHost, session_history

        self._jobs = JobHost(self._job_config, lambda: session_history(session), parent=self)
        if session.config is not None:
            self.set_environment(
                session.environment,
                session.config.endpoint,
                profile_name or self.profile_label.text(),
            )
        self._on_tab_changed(self.tabs.currentIndex())
        # The transaction page (~30 ms to build) and the cancel's modules (~30 ms to import)
        # are made ready just after start-up, while the agent reads the window, not inside
        # the first look-up or cancel (each a 30 ms stall).
        QTimer.singleShot(PREBUILD_MS, self._prebuild_context, self._prebuild)

    def _link(self, signal: Any, slot: Callable[..., Any]) -> None:
        """Connect ``signal`` to ``slot`` until shutdown, which disconnects it."""
        signal.connect(slot)
        self._links.append((signal, slot))

    def _prebuild(self) -> None:
        from fpsdesk.ui.worker import warm_up

        _ = self.transaction_view
        warm_up()
        # In a turn of its own: the build and the imports hold the GUI thread for some 90 ms,
        # the rehearsal for some 40 ms more; two stalls while the agent reads, not one.
        QTimer.singleShot(0, self._prebuild_context, self._rehearse)

    def _rehearse(self) -> None:
        from fpsdesk.ui.rehearsal import rehearse

        rehearse(self, self.pages, self.transaction_view)

    # -- the cancel (cancel_presenter.py) --------------------------------------------------

    def request_cancel(self) -> None:
        """Ctrl+Shift+X, the page's Cancel: ask, then send (or say why not)."""
        self.cancels.request_cancel()

    def _update_cancel(self) -> None:
        self.cancels.update_cancel()

    # -- environment ---------------------------------------------------------------------

    def set_connecting(self) -> None:
        """While start-up reads the profile or starts the sandbox: say so, not "not connected"."""
        self.env_badge.set_environment("connecting", "")

    def set_environment(self, environment: str, endpoint: str, profile_name: str = "") -> None:
        self.env_badge.set_environment(environment, endpoint)
        self.profile_label.setText(profile_name)
        self.profile_label.setVisible(bool(profile_name))
        look = theme.environment_look(environment, endpoint)
        # Qt appends the application display name ("… — fpsdesk"), so the title is the
        # environment alone; without a display name (never, in the app) it names the app.
        env = look.label.title()
        app_named = bool(QGuiApplication.applicationDisplayName())
        self.setWindowTitle(env if app_named else self.tr("fpsdesk — {env}").format(env=env))
        # The endpoint is context, not a key value: elided (whole in the tooltip) so the status
        # message beside it keeps its room.
        room = self.connection_label.fontMetrics().horizontalAdvance("x" * 32)
        self.connection_label.setText(
            self.connection_label.fontMetrics().elidedText(
                endpoint, Qt.TextElideMode.ElideMiddle, room
            )
        )
        self.connection_label.setToolTip(endpoint)
        if self._transaction_view is not None:
            self._update_cancel()
        if environment and self._jobs is not None and self._job_config() is not None:
            self._check_unfinished_bulk(endpoint)

    # -- geometry and shutdown -------------------------------------------------------------

    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("main_window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1120, 760)
        tab = settings.value("main_window/tab", 0)
        name = settings.value("main_window/tab_name", "")
        self._wanted_tab_name = name if isinstance(name, str) else ""
        named = (
            self.tabs.findChild(QWidget, self._wanted_tab_name) if self._wanted_tab_name else None
        )
        if named is not None and self.tabs.indexOf(named) >= 0:
            self.tabs.setCurrentWidget(named)
            return
        with contextlib.suppress(TypeError, ValueError):
            self._wanted_tab = int(tab)  # type: ignore[call-overload]
            self.tabs.setCurrentIndex(self._wanted_tab)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Notices never take the page's room in a short window: fewer at once, the rest scroll.
        height = event.size().height()
        self.notices.set_visible_rows(1 if height < 700 else 2 if height < 860 else 3)

    def _save_geometry(self) -> None:
        settings = QSettings()
        settings.setValue("main_window/geometry", self.saveGeometry())
        settings.setValue("main_window/tab", self.tabs.currentIndex())
        current = self.tabs.currentWidget()
        settings.setValue("main_window/tab_name", current.objectName() if current else "")
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        busy = self._session is not None and self._session.any_cancel_in_flight
        if not self._closed and busy and not dialogs.confirm_close_during_cancel(self):
            event.ignore()
            return
        bulk = self._bulk is not None and self._bulk.running
        if not self._closed and not busy and bulk and not dialogs.confirm_close_during_bulk(self):
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Save the UI state and stop the worker (bounded by the request timeout).

        Nothing that arrives later changes the window: what it linked to the session and its
        views is disconnected here (the session's own replies stop at the worker host's relay,
        reply_relay.py), the look for unfinished bulk runs is forgotten, and the refreshes the
        app's bridges poke are closed.
        """
        if self._closed:
            return
        self._closed = True
        links, self._links = self._links, []
        for signal, slot in links:
            signal.disconnect(slot)
        self._unfinished_look = None
        shiboken6.delete(self._prebuild_context)  # cancels the prebuild if still to come
        self.cancels.stop()
        self._stop_live_updates()
        self._save_geometry()
        if self.notifications is not None and hasattr(self.notifications, "shutdown"):
            self.notifications.shutdown()
        for view in (self._search, self._bulk):
            if view is not None:
                view.shutdown()
        if self._jobs is not None and not self._jobs.shutdown():
            log.warning("closing before a search or bulk run ended")
        if self._session is not None and not self._session.shutdown():
            log.warning("closing before the request in flight finished")
