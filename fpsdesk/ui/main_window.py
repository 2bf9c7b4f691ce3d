"""The main window: environment, look-up form, the transaction page, Results, Notifications.

It wires widgets to the DeskSession and never talks to the network or the worker itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QResizeEvent,
)
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

from fpsdesk import __version__
from fpsdesk.desk.cancel_state import CANCEL_CHECKING, CANCEL_SENDING
from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.fps.ids import SeveralTransactionIds, pick_transaction_id
from fpsdesk.fps.status import TransactionStatus
from fpsdesk.store.outcome import ActionOutcome
from fpsdesk.ui import dialogs, theme
from fpsdesk.ui.widgets import (
    EmptyState,
    EnvironmentBadge,
    OutcomeNotices,
    ResultBanner,
    RingButton,
    accessible,
    clear_button_named,
)

if TYPE_CHECKING:  # loaded after the first paint (AppController.start)
    from fpsdesk.desk.replies import (
        CancelBlocked,
        CancelNeedsAgain,
        CancelReply,
        LookupReply,
        WorkerFailure,
    )
    from fpsdesk.ui.bulk_view import BulkView, RunSnapshot
    from fpsdesk.ui.jobs import JobHost
    from fpsdesk.ui.search_view import SearchView
    from fpsdesk.ui.session import DeskSession
    from fpsdesk.ui.transaction_view import TransactionView

log = logging.getLogger(__name__)
PREBUILD_MS = 250  # after attach_session: the transaction page is built while the agent reads

IpnRowsSource = Callable[[str], list[Any]]


@dataclass(frozen=True)
class _BeforeLookup:
    """What the window showed before a look-up, so Esc can go back to it."""

    transaction_id: str | None
    page: QWidget
    banner_visible: bool


def blocked_wording(blocked: CancelBlocked) -> tuple[str, str]:
    """(headline, text) for a Cancel not sent because the fresh status read said no: what the
    transaction is now, in the agent's words, and what to do instead; nothing was sent."""
    was = theme.status_look(blocked.expected_status).label
    now = theme.status_look(blocked.current_status).label
    if blocked.current_status is TransactionStatus.CANCELLED and blocked.status_code == "Expired":
        return (
            QCoreApplication.translate("cancel", "Nothing to cancel: the reserve expired"),
            QCoreApplication.translate(
                "cancel",
                "FPS cancelled this reserve itself when it expired, so the money is no longer "
                "held. Nothing was sent.",
            ),
        )
    if blocked.current_status is TransactionStatus.CANCELLED:
        return (
            QCoreApplication.translate("cancel", "Nothing to cancel: it is already cancelled"),
            QCoreApplication.translate(
                "cancel", "It was cancelled since it was loaded. Nothing was sent."
            ),
        )
    if blocked.current_status is TransactionStatus.SUCCESS:
        return (
            QCoreApplication.translate("cancel", "Not cancelled: it completed meanwhile"),
            QCoreApplication.translate(
                "cancel",
                "It changed from {was} to {now} since it was loaded: the payment completed, "
                "so it can only be refunded now. Nothing was sent.",
            ).format(was=was, now=now),
        )
    if blocked.current_status is TransactionStatus.FAILURE:
        return (
            QCoreApplication.translate("cancel", "Nothing to cancel: it failed"),
            QCoreApplication.translate(
                "cancel", "It failed since it was loaded; no money moves. Nothing was sent."
            ),
        )
    return (
        QCoreApplication.translate("cancel", "Not sent: it is {now} now").format(now=now),
        QCoreApplication.translate(
            "cancel",
            "Its status changed from {was} to {now} since it was loaded. Nothing was sent. "
            "Review the new status, then decide again.",
        ).format(was=was, now=now),
    )


class MainWindow(QMainWindow):
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
        self._shut = False
        self._ipn_refresh: QTimer | None = None
        self._reread_for: tuple[str, int] | None = None  # the IPN a page was last re-read for
        # While an unknown outcome is on the page: says each second what the app is doing.
        self._unknown_ticker = QTimer(self)
        self._unknown_ticker.setInterval(1000)
        self._unknown_ticker.timeout.connect(self._tick_unknown)
        self.shown_transaction: str | None = None
        self._before_lookup: _BeforeLookup | None = None
        self.setWindowTitle(self.tr("fpsdesk"))
        self.setMinimumSize(760, 520)

        central = QWidget()
        root = QVBoxLayout(central)
        root.setContentsMargins(16, 12, 16, 8)
        root.setSpacing(10)

        self._build_header(root)
        self._build_pages(root)
        self.setCentralWidget(central)

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
        self.notices.open_requested.connect(self._open_notice)
        self.notices.changed.connect(self._update_results_title)
        root.addWidget(self.notices)
        # A shared history that does not answer: said here, above every tab, until it is back.
        self.history_banner = ResultBanner()
        self.history_banner.setObjectName("history_banner")
        self.history_offline: str | None = None  # why the shared history is offline
        root.addWidget(self.history_banner)
        # Actions other desks wrote (a shared history's live updates), shown in one go.
        self._written: set[str] = set()
        self._written_refresh: QTimer | None = None

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

    @property
    def session(self) -> DeskSession:
        """The session the window asks; attached once, right after the first paint."""
        if self._session is None:
            raise RuntimeError("MainWindow has no session yet (attach_session)")
        return self._session

    def attach_session(self, session: DeskSession, profile_name: str = "") -> None:
        """Wire the window to its session. AppController does this just after the first
        paint, so the worker, the models and SQLite load while the window is already up."""
        if self._session is not None:
            raise RuntimeError("MainWindow already has a session")
        self._session = session
        session.lookup_finished.connect(self._on_lookup_finished)
        session.related_status_read.connect(self._on_related_status)
        session.lookup_failed.connect(self._on_lookup_failed)
        session.lookup_abandoned.connect(self._on_lookup_abandoned)
        for signal in (
            session.lookup_started,
            session.lookup_finished,
            session.lookup_failed,
            session.lookup_abandoned,
        ):
            signal.connect(self._sync_stop_action)
        session.cancel_state_changed.connect(self._on_cancel_state)
        session.cancel_finished.connect(self._on_cancel_finished)
        session.cancel_blocked.connect(self._on_cancel_blocked)
        session.cancel_needs_again.connect(self._on_cancel_needs_again)
        session.cancel_check_failed.connect(self._on_cancel_check_failed)
        session.action_resolved.connect(self._on_action_resolved)
        session.reconcile_checking.connect(self._on_reconcile_checking)
        session.actions_changed.connect(self._on_actions_changed)
        session.busy_changed.connect(self._on_busy)
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
        QTimer.singleShot(PREBUILD_MS, self, self._prebuild)

    def _prebuild(self) -> None:
        if not self._shut:
            from fpsdesk.ui.worker import warm_up

            _ = self.transaction_view
            warm_up()

    # -- menus and shortcuts ---------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: str | QKeySequence = "",
        menu: Any = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        if menu is not None:
            menu.addAction(action)
        self.addAction(action)
        return action

    def _build_menus(self, sandbox_mode: bool) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self.settings_action = self._action(
            self.tr("&Settings…"), self.settings_requested.emit, "Ctrl+,", file_menu
        )
        self._action(self.tr("&Export results as CSV…"), self._export_results, "", file_menu)
        self._action(self.tr("&Bulk cancel from a file…"), self.bulk_from_file, "Ctrl+O", file_menu)
        file_menu.addSeparator()
        self._action(self.tr("&Quit"), self.close, "Ctrl+Q", file_menu)
        txn_menu = bar.addMenu(self.tr("&Transaction"))
        self.focus_action = self._action(
            self.tr("&Go to transaction ID"), self.focus_id_field, "Ctrl+L", txn_menu
        )
        self._action(self.tr("&Refresh"), self.refresh, "F5", txn_menu)
        self.cancel_action = self._action(
            self.tr("&Cancel transaction…"), self.request_cancel, "Ctrl+Shift+X", txn_menu
        )
        self.cancel_action.setEnabled(False)
        self._action(self.tr("&Find transactions…"), self.find_transactions, "Ctrl+F", txn_menu)
        self.stop_action = self._action(
            self.tr("&Stop look-up or search"), self.stop_lookup, "Esc", txn_menu
        )
        # Only while a look-up or a search is in flight: otherwise Esc is free.
        self.stop_action.setEnabled(False)
        view_menu = bar.addMenu(self.tr("&View"))
        self._action(
            self.tr("&Transaction"), lambda: self.tabs.setCurrentIndex(0), "Ctrl+1", view_menu
        )
        self._action(self.tr("&Results"), self.show_results, "Ctrl+2", view_menu)
        self.notifications_action = self._action(
            self.tr("&Notifications"), self.show_notifications, "Ctrl+3", view_menu
        )
        self.notifications_action.setEnabled(False)
        self._action(self.tr("&Search"), self.show_search, "Ctrl+4", view_menu)
        self._action(self.tr("&Bulk cancel"), self.show_bulk, "Ctrl+5", view_menu)
        self.sandbox_menu = bar.addMenu(self.tr("&Sandbox"))
        self.reset_sandbox_action = self._action(
            self.tr("&Reset sandbox…"), self._confirm_reset_sandbox, "", self.sandbox_menu
        )
        self.set_sandbox_mode(sandbox_mode)
        help_menu = bar.addMenu(self.tr("&Help"))
        self._action(self.tr("&Keyboard shortcuts"), self.show_shortcuts, "F1", help_menu)
        self._action(self.tr("&About fpsdesk"), self.show_about, "", help_menu)

    def set_sandbox_mode(self, on: bool) -> None:
        """The Sandbox menu (demo transactions, Reset) exists only while the embedded sandbox
        runs; there the empty page also says where to find something to look up."""
        self.sandbox_menu.menuAction().setVisible(on)
        self.reset_sandbox_action.setEnabled(on)
        if on and getattr(self, "demo_menu", None) is None:
            self._build_demo_menu()
        if on:
            self.welcome.body.setText(
                self.tr(
                    "Paste a transaction ID above and press Enter (Ctrl+L jumps to the field). "
                    "New here? Sandbox → Open a demo transaction picks one for you."
                )
            )

    def _build_demo_menu(self) -> None:
        """One demo transaction of each kind, for first runs and training.

        The IDs are the sandbox's fixed demo set; their status is whatever the sandbox says now
        (a demo Reserve cancelled yesterday shows Cancelled until Reset sandbox).
        """
        from fpsdesk.sandbox import demo

        self.demo_menu = self.sandbox_menu.addMenu(self.tr("&Open a demo transaction"))
        # The cancellable kinds are made fresh (demo_factory) when the app runs the sandbox, so
        # a demo cancelled earlier never comes back as "Reserved (can be cancelled)".
        kinds = [
            (self.tr("&Reserved (can be cancelled)"), demo.DEMO_RESERVED_IDS, "Reserved"),
            (self.tr("&Pending (can be cancelled)"), demo.DEMO_PENDING_IDS, "Pending"),
            (self.tr("&Completed (refund instead)"), demo.DEMO_SUCCESS_IDS, ""),
            (self.tr("&Failed"), demo.DEMO_FAILURE_IDS, ""),
            (self.tr("Already &cancelled"), demo.DEMO_CANCELLED_IDS, ""),
        ]
        for label, ids, fresh in kinds:
            if ids:
                action = self.demo_menu.addAction(label)
                action.setData(ids[0])
                action.setProperty("fresh_kind", fresh)
                action.triggered.connect(self._open_demo)
        self.sandbox_menu.insertMenu(self.reset_sandbox_action, self.demo_menu)
        self.sandbox_menu.insertSeparator(self.reset_sandbox_action)

    @Slot()
    def _open_demo(self) -> None:
        action = self.sender()
        if not isinstance(action, QAction) or not action.data():
            return
        transaction_id = action.data()
        fresh = action.property("fresh_kind")
        if fresh and self.demo_factory is not None:
            try:
                transaction_id = self.demo_factory(fresh)
            except Exception:  # the seeded one still shows the kind, if it was not cancelled
                log.exception("a fresh demo transaction could not be made")
        self.open_transaction(str(transaction_id))

    def shortcut_list(self) -> list[tuple[str, str]]:
        return [
            ("Ctrl+L", self.tr("Go to the transaction ID field")),
            (self.tr("Enter"), self.tr("Look up the ID in the field")),
            ("F5", self.tr("Read the shown transaction again")),
            ("Ctrl+Shift+X", self.tr("Cancel the shown transaction (asks first)")),
            (
                "Ctrl+1 … Ctrl+5",
                self.tr("Transaction, Results, Notifications, Search, Bulk cancel"),
            ),
            ("Ctrl+F", self.tr("Find transactions (Search)")),
            ("Ctrl+O", self.tr("Bulk cancel from a file (a dry run first)")),
            ("Ctrl+,", self.tr("Settings")),
            (self.tr("Esc"), self.tr("Close a dialog; stop a look-up or a search")),
            ("F1", self.tr("This list")),
            ("Ctrl+Q", self.tr("Quit")),
        ]

    def show_shortcuts(self) -> None:
        dialogs.show_shortcuts(self, self.shortcut_list())

    def show_about(self) -> None:
        from PySide6 import __version__ as qt_version

        backend = self.tr("unknown")
        if self._keychain_backend is not None:
            try:
                backend = self._keychain_backend()
            except Exception:
                log.debug("keychain backend name failed", exc_info=True)
        dialogs.show_about(self, __version__, backend, qt_version)

    @property
    def transaction_view(self) -> TransactionView:
        if self._transaction_view is None:
            from fpsdesk.ui.transaction_view import TransactionView

            view = TransactionView()
            view.cancel_clicked.connect(self.request_cancel)
            view.lookup_field_clicked.connect(self.lookup_from_field)
            view.restore_field_clicked.connect(self._restore_field)
            view.refresh_clicked.connect(self.refresh)
            view.ipn_table.cellDoubleClicked.connect(self._show_ipns_of_shown)
            view.refund_help_clicked.connect(self._refund_help)
            view.related_clicked.connect(self.open_transaction)
            self.pages.addWidget(view)
            self._transaction_view = view
            self._update_cancel()
        return self._transaction_view

    @property
    def results_view(self) -> Any:
        """The Results tab's view, built (and its module imported) on first use."""
        if self._results is None:
            from fpsdesk.ui.results_view import ResultsView

            self._results = ResultsView(self.session.actions)
            self._results.open_transaction.connect(self.open_transaction)
            host_layout = self._results_host.layout()
            assert host_layout is not None
            host_layout.addWidget(self._results)
        return self._results

    def _job_config(self) -> Any:
        return self._session.config if self._session is not None else None

    @property
    def search_view(self) -> SearchView:
        """The Search tab's view, built (and its module imported) on first use."""
        if self._search is None:
            from fpsdesk.ui.search_view import SearchView

            assert self._jobs is not None, "attach_session makes the job host"
            view = SearchView(self._jobs)
            view.open_transaction.connect(self.open_transaction)
            view.cancel_requested.connect(self._cancel_from_search)
            view.running_changed.connect(self._sync_stop_action)
            host_layout = self._search_host.layout()
            assert host_layout is not None
            host_layout.addWidget(view)
            self._search = view
        return self._search

    @property
    def bulk_view(self) -> BulkView:
        """The Bulk cancel tab's view, built on first use (or to look for unfinished runs)."""
        if self._bulk is None:
            from fpsdesk.ui.bulk_view import BulkView

            assert self._jobs is not None, "attach_session makes the job host"
            view = BulkView(self._jobs, self._environment_now, reason_codes=self._reason_codes)
            view.open_transaction.connect(self.open_transaction)
            view.run_finished.connect(self._on_bulk_finished)
            view.resume_requested.connect(self.show_bulk)
            host_layout = self._bulk_host.layout()
            assert host_layout is not None
            host_layout.addWidget(view)
            self._bulk = view
        return self._bulk

    def _reason_codes(self) -> tuple[Any, ...]:
        config = self._job_config()
        if config is not None:
            return tuple(config.reason_codes)
        from fpsdesk.records.reasons import DEFAULT_REASON_CODES

        return DEFAULT_REASON_CODES

    def _environment_now(self) -> tuple[str, str]:
        config = self._job_config()
        return (config.environment, config.endpoint) if config is not None else ("", "")

    def _on_tab_changed(self, index: int) -> None:
        # Before the session is attached (a restored Results tab at start-up), attach_session
        # builds it: the view reads the session's action log.
        if index == self.tabs.indexOf(self._results_host):
            self.notices.mark_all_seen()  # the agent sees them in the list now
            if self._session is not None:
                _ = self.results_view
        elif index == self.tabs.indexOf(self._search_host) and self._jobs is not None:
            _ = self.search_view
        elif index == self.tabs.indexOf(self._bulk_host) and self._jobs is not None:
            _ = self.bulk_view

    def show_search(self) -> None:
        if self._jobs is None:
            return
        _ = self.search_view
        self.tabs.setCurrentWidget(self._search_host)

    def find_transactions(self) -> None:
        """Ctrl+F: the Search tab, with the cursor in its text field."""
        if self._jobs is None:
            return
        self.show_search()
        self.search_view.focus_text()

    def show_bulk(self) -> None:
        if self._jobs is None:
            return
        _ = self.bulk_view
        self.tabs.setCurrentWidget(self._bulk_host)

    def bulk_from_file(self) -> None:
        """Ctrl+O: choose a file of IDs; a dry run of it follows (nothing is sent)."""
        if self._jobs is None:
            return
        self.show_bulk()
        self.bulk_view.choose_file()

    def _cancel_from_search(self, ids: object) -> None:
        """Search's "Cancel selected…": a dry run of those IDs in Bulk cancel."""
        if not isinstance(ids, list) or not ids:
            return
        bulk = self.bulk_view
        if bulk.busy:
            bulk.start_ids(ids, "")  # says why it cannot start now
            return
        label = self.tr("{n} transaction(s) selected in Search", "", len(ids)).format(n=len(ids))
        if bulk.start_ids(ids, label):
            self.show_bulk()

    def _on_bulk_finished(self, progress: RunSnapshot) -> None:
        """A bulk run ended: Results shows its cancels; unknown outcomes are settled as
        any other (the session's reconciler watches them)."""
        if self._shut:
            return
        if self._results is not None:
            self._results.mark_dirty()
        if progress.unknown and self._session is not None:
            self._session.resume_unresolved()

    def _update_results_title(self) -> None:
        count = self.notices.unseen_count()
        title = self.tr("Results ({n})").format(n=count) if count else self.tr("Results")
        index = self.tabs.indexOf(self._results_host)
        self.tabs.setTabText(index, title)
        self.tabs.setTabToolTip(
            index,
            self.tr("{n} finished cancel(s) not seen yet", "", count).format(n=count)
            if count
            else "",
        )

    def _export_results(self) -> None:
        if self._session is not None:  # nothing to export before the session is attached
            self.results_view.export()

    def set_notifications(self, view: QWidget) -> None:
        """Add the Notifications tab (built after the first paint: it reads the IPN store)."""
        self.notifications = view
        view.setObjectName("notifications")
        index = self.tabs.insertTab(
            self.tabs.indexOf(self._search_host), view, self.tr("Notifications")
        )
        self.tabs.setTabToolTip(index, self.tr("Every notification stored, from any FPS (Ctrl+3)"))
        opener = getattr(view, "open_transaction", None)
        if opener is not None:
            opener.connect(self.open_transaction)
        self.notifications_action.setEnabled(True)
        if self._wanted_tab_name == "notifications" or (
            not self._wanted_tab_name and self._wanted_tab == self.tabs.indexOf(view)
        ):
            self.tabs.setCurrentWidget(view)

    def _show_ipns_of_shown(self, _row: int = 0, _column: int = 0) -> None:
        """Double-click on an IPN: the Notifications view, filtered to this transaction."""
        view = self.notifications
        if view is None or not self.shown_transaction:
            return
        search = getattr(view, "transaction", None)
        if search is not None:
            search.setText(self.shown_transaction)
        self.tabs.setCurrentWidget(view)

    def show_notifications(self) -> None:
        if self.notifications is not None:
            self.tabs.setCurrentWidget(self.notifications)

    def show_results(self) -> None:
        self.results_view.reload()
        self.tabs.setCurrentWidget(self._results_host)

    def _confirm_reset_sandbox(self) -> None:
        if dialogs.confirm_reset_sandbox(self):
            self.reset_sandbox_requested.emit()

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

    def _check_unfinished_bulk(self, endpoint: str) -> None:
        """An unfinished bulk run of this environment is offered for resuming, never resumed
        silently. The look runs on a job thread; the Bulk cancel view is built only when it
        finds one (or already exists)."""
        if self._bulk is not None:
            self._bulk.check_unfinished()
            return
        assert self._jobs is not None
        from fpsdesk.ui.bulk_view import unfinished_work

        self._unfinished_look = self._jobs.start(
            "unfinished-runs",
            unfinished_work(endpoint, None),
            succeeded=self._on_unfinished_bulk,
            failed=self._on_unfinished_bulk_failed,
        )

    @Slot(int, object)
    def _on_unfinished_bulk(self, job_id: int, runs: object) -> None:
        look = self._unfinished_look
        if self._shut or look is None or look.job_id != job_id:
            return
        self._unfinished_look = None
        if isinstance(runs, tuple) and runs:
            self.bulk_view.show_unfinished(runs, offer=True)

    @Slot(int, object)
    def _on_unfinished_bulk_failed(self, job_id: int, error: object) -> None:
        log.warning("could not look for unfinished bulk runs: %s", error)

    # -- look-up -------------------------------------------------------------------------

    def focus_id_field(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.id_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.id_edit.selectAll()

    def _on_id_edited(self, text: str) -> None:
        """A paste of a longer text or URL: keep only the one ID inside it, or offer the several."""
        self._show_id_error("")
        stripped = text.strip()
        if not stripped or (len(stripped) <= 35 and stripped.isalnum()):
            return
        try:
            found = pick_transaction_id(text)
        except SeveralTransactionIds as several:
            self._offer_id_choices(several)
            return
        except InvalidInput:
            return  # said on Enter: the agent may still be typing
        if found != text:
            self.id_edit.setText(found)
            self.statusBar().showMessage(
                self.tr("Picked the transaction ID out of the pasted text."), 5000
            )

    def _show_id_error(self, message: str) -> None:
        self.id_error.setText(f"⚠ {message}" if message else "")
        color = theme.status_look(TransactionStatus.FAILURE).color().name()
        self.id_error.setStyleSheet(f"color: {color};")
        self.id_error.setVisible(bool(message))
        if not message:
            self._clear_id_choices()

    def _clear_id_choices(self) -> None:
        layout = self._id_choices_row
        while layout.count():
            item = layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.id_choices.hide()

    def _offer_id_choices(self, several: SeveralTransactionIds) -> None:
        """Show why nothing was looked up, and one button per ID found (the first 6)."""
        self._show_id_error(
            self.tr("The pasted text holds {n} transaction IDs: pick one.").format(
                n=len(several.choices)
            )
        )
        layout = self._id_choices_row
        for txn in several.choices[:6]:
            button = QPushButton(txn)
            button.setFont(theme.mono_font())
            button.setAutoDefault(True)
            button.setAccessibleName(self.tr("Look up {id}").format(id=txn))
            button.clicked.connect(lambda _=False, t=txn: self._choose_id(t))
            layout.addWidget(button)
        layout.addStretch(1)
        self.id_choices.show()

    def _choose_id(self, txn: str) -> None:
        self._show_id_error("")
        self.id_edit.setText(txn)
        self.open_transaction(txn)

    def _field_transaction_id(self) -> str | None:
        """The ID the field shows, read exactly as a look-up would read it; None if none."""
        try:
            return pick_transaction_id(self.id_edit.text())
        except InvalidInput:
            return None

    def _on_id_changed(self, _text: str) -> None:
        # Cancel follows the field: it acts only while the field shows the page's transaction.
        if self._session is not None and self._transaction_view is not None:
            self._update_cancel()

    def _restore_field(self) -> None:
        """Put the shown transaction's ID back in the field (no look-up: the page has it)."""
        detail = self.transaction_view.detail
        if detail is not None:
            self._show_id_error("")
            self.id_edit.setText(detail.transaction_id)
            self.statusBar().showMessage(
                self.tr("The ID field shows {id} again.").format(id=detail.transaction_id), 5000
            )

    def lookup_from_field(self) -> None:
        try:
            txn = pick_transaction_id(self.id_edit.text())
        except SeveralTransactionIds as several:
            self._offer_id_choices(several)
            return
        except InvalidInput as exc:
            self._show_id_error(str(exc))
            return
        self._show_id_error("")
        if self.id_edit.text() != txn:
            self.id_edit.setText(txn)
        self.open_transaction(txn)

    @Slot()
    def _refund_help(self) -> None:
        """The next step for a completed payment: how to refund it, and its details to copy."""
        detail = self.transaction_view.detail
        if detail is None:
            return
        env = self.env_badge.text().title()
        if dialogs.offer_refund_details(
            self, detail.transaction_id, str(detail.transaction_amount)
        ):
            from fpsdesk.ui.transaction_view import refund_details

            QGuiApplication.clipboard().setText(refund_details(detail, env))
            self.statusBar().showMessage(
                self.tr("Refund details of {id} copied.").format(id=detail.transaction_id), 5000
            )

    def open_transaction(self, transaction_id: str) -> None:
        if self._session is None or self._session.config is None:
            self._show_id_error(self.tr("Not connected: open Settings (Ctrl+,) to add a profile."))
            return
        self.tabs.setCurrentIndex(0)
        if self._before_lookup is None:
            # What Esc goes back to; a look-up replacing one in flight keeps the first's.
            self._before_lookup = _BeforeLookup(
                self.shown_transaction,
                self.pages.currentWidget() or self.welcome,
                self._transaction_view is not None and self._transaction_view.banner.isVisible(),
            )
        if self.id_edit.text() != transaction_id:
            self.id_edit.setText(transaction_id)
        same = transaction_id == self.shown_transaction
        if not same:
            self.shown_transaction = transaction_id
            self.transaction_view.banner.hide()
            self.loading.title.setText(self.tr("Looking up {id}…").format(id=transaction_id))
            self.pages.setCurrentWidget(self.loading)
        self.statusBar().showMessage(self.tr("Reading {id}…").format(id=transaction_id))
        self.session.lookup(transaction_id)

    def refresh(self) -> None:
        if self.shown_transaction:
            self.open_transaction(self.shown_transaction)

    def stop_lookup(self) -> None:
        """Esc: stop waiting for the look-up in flight (its answer is ignored when it comes),
        or stop the search running (on the Search tab, or when no look-up is in flight)."""
        lookup = self._session is not None and self._session.lookup_in_flight
        search = self._search is not None and self._search.running
        if search and (not lookup or self.tabs.currentWidget() is self._search_host):
            assert self._search is not None
            self._search.stop()
            return
        if self._session is not None and lookup:
            self._session.abandon_lookup()  # lookup_abandoned -> _on_lookup_abandoned

    @Slot()
    def _sync_stop_action(self) -> None:
        lookup = self._session is not None and self._session.lookup_in_flight
        search = self._search is not None and self._search.running
        self.stop_action.setEnabled(lookup or search)

    @Slot(str)
    def _on_lookup_abandoned(self, transaction_id: str) -> None:
        if self._shut:
            return
        before, self._before_lookup = self._before_lookup, None
        if self.pages.currentWidget() is self.loading:
            if before is None:  # never leave the agent on a page that waits for nothing
                view = self._transaction_view
                detail = view.detail if view is not None else None
                before = _BeforeLookup(
                    detail.transaction_id if detail else None,
                    view if view is not None and detail is not None else self.welcome,
                    False,
                )
            self.shown_transaction = before.transaction_id
            page = before.page if before.page is not self.loading else self.welcome
            self.pages.setCurrentWidget(page)
            if before.transaction_id is not None:
                self.id_edit.setText(before.transaction_id)
            if before.banner_visible and page is self._transaction_view:
                self.transaction_view.banner.show()
        if self._transaction_view is not None:
            self._update_cancel()
        self.statusBar().showMessage(
            self.tr("Look-up of {id} stopped").format(id=transaction_id), 0
        )

    @Slot(object)
    def _on_lookup_finished(self, reply: LookupReply) -> None:
        if self._shut:  # closed: late queued replies change nothing
            return
        if reply.transaction_id != self.shown_transaction:
            return
        self._before_lookup = None
        with self.transaction_view.batch():
            self.transaction_view.show_detail(reply.detail)
            self._reload_lists(reply.transaction_id)
        self._update_cancel()
        related = [r.transaction_id for r in reply.detail.related_transactions]
        if related:  # their statuses follow the links as they are read
            self.session.read_related_statuses(related)
        self.pages.setCurrentWidget(self.transaction_view)
        read = self.tr("Read at {time} · RequestId {rid}").format(
            time=_now_text(), rid=reply.detail.request_id
        )
        # On the page, whole (a RequestId is never cut); the status bar keeps the short form.
        self.transaction_view.set_read(read)
        self.statusBar().showMessage(self.tr("Read at {time}").format(time=_now_text()), 0)

    @Slot(str, object)
    def _on_related_status(self, transaction_id: str, status: TransactionStatus) -> None:
        if not self._shut and self._transaction_view is not None:
            self.transaction_view.set_related_status(transaction_id, status)

    @Slot(object)
    def _on_lookup_failed(self, failure: WorkerFailure) -> None:
        if self._shut:  # closed: late queued replies change nothing
            return
        if failure.transaction_id != self.shown_transaction:
            return
        self._before_lookup = None
        error = failure.error
        self.statusBar().clearMessage()
        if self.pages.currentWidget() is self.transaction_view and (
            self.transaction_view.detail is not None
            and self.transaction_view.detail.transaction_id == failure.transaction_id
        ):
            banner = self.transaction_view.banner
            if banner.isVisible() and banner.kind in ("outcome_unknown", "cancelled", "reconciled"):
                # A cancel's outcome stays in front of the agent: a failed re-read behind it is
                # said in the status bar, not over it.
                self.statusBar().showMessage(
                    self.tr("Could not read it again: {why}").format(why=error.title), 15000
                )
            else:
                self._banner_error(banner, error)
            if self.transaction_view.stale_text:
                self.transaction_view.mark_stale(
                    self.tr(
                        "A newer Verified notification says otherwise, and reading the "
                        "transaction again failed (see above): Cancel stays off until a read "
                        "succeeds (Refresh, F5)."
                    )
                )
            return
        self._banner_error(self.error_banner, error)
        self.error_heading.setText(
            self.tr("Could not look up {id}").format(id=failure.transaction_id)
        )
        self.pages.setCurrentWidget(self.error_page)

    def _context(self, transaction_id: str | None) -> str:
        config = self.session.config
        parts = []
        if transaction_id:
            parts.append(f"Transaction: {transaction_id}")
        if config is not None:
            parts.append(f"Environment: {config.environment} ({config.endpoint})")
        return "\n".join(parts)

    def _banner_error(
        self, banner: ResultBanner, error: Any, transaction_id: str | None = None
    ) -> None:
        look = theme.StatusLook(error.title, "cross", "#b42318", "#f97066", "")
        if error.kind in ("network", "timeout", "tls", "outcome_unknown"):
            look = theme.StatusLook(error.title, "question", "#9a5b00", "#f0b43c", "")
        detail = error.explanation
        if error.next_step:
            detail = self.tr("{detail}\nNext step: {step}").format(
                detail=detail, step=error.next_step
            )
        banner.show_result(
            look,
            error.title,
            detail,
            error.code,
            error.request_id,
            kind=error.kind,
            context=self._context(transaction_id or self.shown_transaction),
        )

    def _reload_lists(self, transaction_id: str) -> None:
        from fpsdesk.store.db import database_errors

        try:
            self.transaction_view.set_actions(self.session.actions.for_transaction(transaction_id))
        except database_errors() as exc:  # a shared history offline: the look-up still shows
            log.info("could not read the actions of %s: %s", transaction_id, exc)
            self.transaction_view.set_actions([])
        rows: list[Any] = []
        if self._ipn_rows is not None:
            try:
                rows = self._ipn_rows(transaction_id)
            except Exception:
                log.exception("reading the IPNs of %s failed", transaction_id)
        self.transaction_view.set_ipns(rows)

    # -- cancel ----------------------------------------------------------------------------

    def _update_cancel(self) -> None:
        txn = self.shown_transaction
        in_flight = ""
        blocked = ""
        earlier = ""
        if txn:
            state = self.session.cancel_state(txn)
            if state == CANCEL_CHECKING:
                in_flight = self.tr("Checking status…")
            elif state == CANCEL_SENDING:
                in_flight = self.tr("Cancelling…")
            elif self.session.reconciler.is_pending(txn):
                # Not blocked: a second Cancel asks first, naming this one (the desk's rule).
                earlier = self.tr(
                    "An earlier cancel's outcome is not known yet; fpsdesk keeps checking. "
                    "A new cancel asks first."
                )
        view = self.transaction_view
        view.update_cancel_button(
            in_flight_text=in_flight,
            blocked_text=blocked,
            earlier_note=earlier,
            connected=self.session.config is not None,
            field_id=self._field_transaction_id(),
            check_field=True,
        )
        # The shortcut stays live whenever a transaction is on the page: when it will not
        # cancel it says why (completed, failed, in flight) or offers the look-up (request_cancel).
        self.cancel_action.setEnabled(
            view.cancel_button.isEnabled() or bool(view.field_offer) or view.detail is not None
        )

    def request_cancel(self) -> None:
        view = self.transaction_view
        detail = view.detail
        if detail is None or self.pages.currentWidget() is not view:
            return
        if self.session.cancel_in_flight(detail.transaction_id):
            self._say_why_not(detail.transaction_id, self.tr("a cancel of it is already running."))
            return
        field_id = self._field_transaction_id()
        if field_id != detail.transaction_id:
            # Never the wrong transaction: the page's is not the one the field shows.
            if view.field_offer and dialogs.offer_lookup_first(
                self, detail.transaction_id, field_id
            ):
                if field_id:
                    self.lookup_from_field()
                else:
                    self._restore_field()
            return
        if not view.cancel_button.isEnabled():
            self._say_why_not(detail.transaction_id, view.cancel_hint.text())
            return
        config = self.session.config
        prompt = dialogs.CancelPrompt(
            transaction_id=detail.transaction_id,
            amount=str(detail.transaction_amount),
            status=detail.transaction_status.value,
            environment=config.environment if config else "",
            endpoint=config.endpoint if config else "",
            operation=detail.fps_operation,
            caller_reference=detail.caller_reference or "",
            description=detail.caller_description or detail.sender_description or "",
            sender_name=detail.sender_name or "",
            sender_email=detail.sender_email or "",
            reason_codes=self._reason_codes(),
        )
        choice = dialogs.confirm_cancel(self, prompt)
        if choice is None:
            return
        # The page or the field may have changed while the dialog was open.
        current = self.transaction_view.detail
        if (
            current is None
            or current.transaction_id != detail.transaction_id
            or self._field_transaction_id() != detail.transaction_id
        ):
            return
        self.session.cancel(
            detail.transaction_id,
            choice.comment,
            detail.transaction_status,
            reason_code=choice.code,
            amount=detail.transaction_amount,
        )

    def _say_why_not(self, transaction_id: str, why: str) -> None:
        """Ctrl+Shift+X that will not cancel: say why where the agent looks, never silently."""
        text = self.tr("Not cancelling {id}: {why}").format(
            id=transaction_id, why=why or self.tr("it cannot be cancelled now.")
        )
        self.statusBar().showMessage(text, 10000)

    @Slot(str, str)
    def _on_cancel_state(self, transaction_id: str, state: str) -> None:
        if self._shut:  # closed: late queued replies change nothing
            return
        if transaction_id != self.shown_transaction:
            return
        if state == CANCEL_SENDING:
            look = theme.status_look(TransactionStatus.PENDING)
            self.transaction_view.banner.show_result(
                look,
                self.tr("Cancelling…"),
                self.tr("The Cancel is on record and being sent to FPS."),
                kind="progress",
            )
        self._update_cancel()

    @Slot(object)
    def _on_cancel_finished(self, reply: CancelReply) -> None:
        if self._shut:  # closed: late queued replies change nothing
            return
        txn = reply.transaction_id
        show: Callable[[], None] | None = None
        if reply.result is not None:
            result = reply.result
            look = theme.status_look(result.transaction_status)
            if result.transaction_status == TransactionStatus.CANCELLED:
                look = theme.outcome_look(ActionOutcome.SUCCEEDED.value)
                headline = self.tr("Cancelled")
                outcome = self.tr("Cancelled")
                detail = self.tr("FPS cancelled {id}. Nothing will be charged.").format(id=txn)
                summary = self.tr("FPS cancelled it: nothing will be charged")
            else:
                headline = self.tr("FPS answered: {status}").format(status=look.label)
                outcome = self.tr("Not cancelled")
                detail = self.tr("The transaction is now {status}.").format(status=look.label)
                summary = headline
            self.statusBar().showMessage(
                self.tr("{id}: {headline}").format(id=txn, headline=headline), 10000
            )

            def show_result() -> None:
                self.transaction_view.banner.show_result(
                    look,
                    headline,
                    detail,
                    None,
                    result.request_id,
                    kind="cancelled",
                    context=self._context(txn),
                )

            show = show_result
            self._notice(txn, look, outcome, summary, show)
        elif reply.error is not None:
            error = reply.error

            def show_error() -> None:
                self._banner_error(self.transaction_view.banner, error, txn)

            show = show_error
            if reply.unknown:
                look = theme.outcome_look(ActionOutcome.UNKNOWN.value)
                outcome = self.tr("Outcome unknown")
                if reply.until is not None:
                    from fpsdesk.desk.timeline import local_hm

                    summary = self.tr(
                        "The answer was lost; it may still take effect until {time}. "
                        "fpsdesk keeps checking."
                    ).format(time=local_hm(reply.until))
                    # Say what the app is doing and until when, instead of the catalogue's
                    # general advice (the same rule, without the time).
                    error = dataclasses.replace(
                        error,
                        next_step=self.tr(
                            "{summary} Do not cancel it again before then: the outcome will "
                            "show here."
                        ).format(summary=summary),
                    )
                else:
                    summary = self.tr("The answer was lost: fpsdesk is checking its status")
            else:
                look = theme.outcome_look(ActionOutcome.FAILED.value)
                outcome = self.tr("Not cancelled")
                summary = f"{error.title} ({error.code})" if error.code else error.title
            self.statusBar().showMessage(
                self.tr("{id}: {headline}").format(id=txn, headline=outcome), 10000
            )
            self._notice(txn, look, outcome, summary, show)
        if show is not None and txn == self.shown_transaction:
            show()
            self._tick_unknown()
        if self._results is not None:
            self._results.mark_dirty()
        if txn == self.shown_transaction:
            self._update_cancel()
            self.session.lookup(txn)  # show the new status and history

    @Slot(int, str)
    def _on_reconcile_checking(self, _action_id: int, _transaction_id: str) -> None:
        self._tick_unknown()

    def _tick_unknown(self) -> None:
        """Say on an unknown-outcome banner what fpsdesk does about it now; stop once settled."""
        if self._shut or self._transaction_view is None:
            self._unknown_ticker.stop()
            return
        banner = self.transaction_view.banner
        txn = self.shown_transaction
        progress = self.session.reconciler.progress(txn) if txn and not self._shut else None
        if banner.kind != "outcome_unknown" or not banner.isVisible() or progress is None:
            self._unknown_ticker.stop()
            if banner.kind == "outcome_unknown":
                banner.set_progress("")
            return
        if progress.planned is not None:
            which = self.tr("check {k} of {n}").format(k=progress.attempt, n=progress.planned)
        else:
            which = self.tr("check {k}").format(k=progress.attempt)
        if progress.checking:
            text = self.tr("Now: reading its status from FPS ({which})…").format(which=which)
        else:
            text = self.tr("Now: waiting; next status check in {s} s ({which}).").format(
                s=max(1, round(progress.next_in or 0)), which=which
            )
        banner.set_progress(
            text + " " + self.tr("Nothing to do: the outcome will replace this message.")
        )
        if not self._unknown_ticker.isActive():
            self._unknown_ticker.start()

    def _looking_at(self, transaction_id: str) -> bool:
        """The agent has this transaction's page in front of them right now."""
        return (
            self.tabs.currentWidget() is self.pages
            and self._transaction_view is not None
            and self.pages.currentWidget() is self._transaction_view
            and self.shown_transaction == transaction_id
        )

    def _notice(
        self,
        transaction_id: str,
        look: theme.StatusLook,
        outcome: str,
        summary: str,
        show: Callable[[], None],
        *,
        counted: bool = True,
    ) -> None:
        """A finished Cancel the agent is not looking at: a notice that stays until dismissed,
        counted on the Results tab unless that is what the agent is looking at."""
        if self._looking_at(transaction_id):
            return  # its page banner shows it, in front of the agent
        on_results = self.tabs.currentWidget() is self._results_host
        self.notices.add(
            transaction_id,
            look,
            outcome,
            summary,
            _now_text(),
            unseen=counted and not on_results,
            payload=show,
        )

    def _open_notice(self, transaction_id: str) -> None:
        """Open: show the transaction, with the outcome in its page banner; the notice is done."""
        row = self.notices.row(transaction_id)
        show = row.payload if row is not None else None
        self.open_transaction(transaction_id)
        if self.shown_transaction != transaction_id:
            return  # not opened (not connected: the field says why); the notice stays
        self.notices.remove(transaction_id)
        if callable(show):
            show()
            self._tick_unknown()

    @Slot(object)
    def _on_cancel_needs_again(self, needs: CancelNeedsAgain) -> None:
        """Nothing was sent: an earlier Cancel may still take effect. Ask, naming it."""
        if self._shut:  # closed: late queued replies change nothing
            return
        if needs.transaction_id == self.shown_transaction:
            self._update_cancel()
        if not dialogs.confirm_second_cancel(self, needs):
            self.statusBar().showMessage(
                self.tr("{id}: no second Cancel sent; waiting for the first one's outcome.").format(
                    id=needs.transaction_id
                ),
                10000,
            )
            return
        self.session.cancel(
            needs.transaction_id,
            needs.reason,
            needs.expected_status,
            again=True,
            reason_code=needs.reason_code,
            amount=needs.amount,
        )

    @Slot(object)
    def _on_cancel_blocked(self, blocked: CancelBlocked) -> None:
        if self._shut:  # closed: late queued replies change nothing
            return
        headline, text = blocked_wording(blocked)
        if blocked.transaction_id == self.shown_transaction:
            # Said once, on the page it is about; a dialog repeating it would only be dismissed.
            self.transaction_view.banner.show_result(
                theme.status_look(blocked.current_status),
                headline,
                text,
                kind="blocked",
                context=self._context(blocked.transaction_id),
            )
            self.session.lookup(blocked.transaction_id)
            return
        dialogs.show_error(self, headline, text)

    @Slot(object)
    def _on_cancel_check_failed(self, failure: WorkerFailure) -> None:
        if self._shut:  # closed: late queued replies change nothing
            return
        txn = failure.transaction_id
        error = failure.error

        def show() -> None:
            self._banner_error(self.transaction_view.banner, error, txn)
            self.transaction_view.banner.headline.setText(
                self.tr("Not cancelled: could not check the status first")
            )

        # Nothing was sent, so the Results list has no row for it: a notice, not a count.
        self._notice(
            txn,
            theme.outcome_look(ActionOutcome.FAILED.value),
            self.tr("Not cancelled"),
            self.tr("Could not check its status first: nothing was sent"),
            show,
            counted=False,
        )
        if txn == self.shown_transaction:
            show()
            self._update_cancel()

    @Slot(int, str, str, str)
    def _on_action_resolved(self, action_id: int, txn: str, outcome: str, status: str) -> None:
        if self._shut:  # closed: late queued replies change nothing
            return
        look = theme.status_look(status)
        if outcome == ActionOutcome.SUCCEEDED.value:
            look = theme.outcome_look(outcome)
            headline = self.tr("Cancelled")
            detail = self.tr(
                "The earlier Cancel with an unknown outcome did go through: a status read "
                "shows the transaction is Cancelled."
            )
            summary = self.tr("The lost answer is settled: a status read shows it Cancelled")
        else:
            headline = self.tr("Not cancelled")
            detail = self.tr(
                "The earlier Cancel with an unknown outcome did not take effect: the "
                "transaction is {status}."
            ).format(status=look.label)
            summary = self.tr("The lost answer is settled: a status read shows it {status}").format(
                status=look.label
            )
        self.statusBar().showMessage(f"{txn}: {headline}", 10000)
        context = self._context(txn)
        record = self.session.actions.get(action_id)
        if record is not None and (record.error_code or record.error_message):
            # The error that left it unknown: what support asks for first.
            original = ": ".join(x for x in (record.error_code, record.error_message) if x)
            context += "\n" + self.tr("Original error: {error}").format(error=original)
        request_id = record.request_id if record is not None else None

        def show() -> None:
            self.transaction_view.banner.show_result(
                look, headline, detail, None, request_id, kind="reconciled", context=context
            )

        self._notice(txn, look, headline, summary, show)
        if self._results is not None:
            self._results.mark_dirty()
        if txn == self.shown_transaction:
            show()
            self._update_cancel()
            self.session.lookup(txn)

    @Slot(str)
    def _on_actions_changed(self, transaction_id: str) -> None:
        if self._shut:  # closed: late queued replies change nothing
            return
        if transaction_id == self.shown_transaction:
            self._show_written_for(transaction_id)
        if self._results is not None:
            self._results.mark_dirty()

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        if self._shut:  # closed: late queued replies change nothing
            return
        self.lookup_button.setText(self.tr("Working…") if busy else self.tr("Look up"))

    # -- a shared history --------------------------------------------------------------------

    def set_history_offline(self, where: str, reason: str | None) -> None:
        """Say prominently that the shared history does not answer (``reason``), or clear it
        (None). Look-ups go on; a cancel is refused by the desk layer meanwhile."""
        self.history_offline = reason
        if reason is None:
            if self.history_banner.isVisible():
                self.statusBar().showMessage(
                    self.tr("The shared history is back: cancels can be recorded again."), 8000
                )
            self.history_banner.hide()
            self.history_banner.kind = ""
            self.refresh_from_history()
            return
        self.history_banner.show_result(
            theme.StatusLook(self.tr("Offline"), "cross", "#b42318", "#f97066", ""),
            self.tr("Offline: the shared history cannot be reached"),
            self.tr(
                "Look-ups still work. Cancels are refused until it is back: each one is "
                "recorded there before it is sent. fpsdesk reconnects by itself.\n"
                "{where}: {reason}"
            ).format(where=where, reason=reason),
            kind="history_offline",
        )

    def refresh_from_history(self) -> None:
        """Re-read what comes from the history (after a reconnect: anything may have changed)."""
        self.on_actions_written("")
        self.on_ipns_arrived()

    @Slot(str)
    def on_actions_written(self, transaction_id: str) -> None:
        """An action was written in the shared history (by anyone; "": maybe several): show
        it soon. A bulk run's thousand rows are one refresh, not a thousand."""
        if self._shut:
            return
        self._written.add(transaction_id)
        if self._written_refresh is None:
            self._written_refresh = QTimer(self)
            self._written_refresh.setSingleShot(True)
            self._written_refresh.setInterval(self.IPN_REFRESH_DELAY_MS)
            self._written_refresh.timeout.connect(self._show_written)
        if not self._written_refresh.isActive():
            self._written_refresh.start()

    def _show_written_for(self, transaction_id: str) -> None:
        from fpsdesk.store.db import database_errors

        try:
            actions = self.session.actions.for_transaction(transaction_id)
        except database_errors() as exc:  # offline: the page keeps what it shows
            log.info("could not re-read the actions of %s: %s", transaction_id, exc)
            return
        self.transaction_view.set_actions(actions)

    @Slot()
    def _show_written(self) -> None:
        written, self._written = self._written, set()
        if self._shut or self._session is None:
            return
        txn = self.shown_transaction
        if txn and ("" in written or txn in written) and self._transaction_view is not None:
            self._show_written_for(txn)
        if self._results is not None:
            self._results.mark_dirty()

    # A burst of IPNs (the demo set, FPS retries) is one refresh, not one per IPN: each refresh
    # re-reads the store on the GUI thread.
    IPN_REFRESH_DELAY_MS = 150

    @Slot()
    def on_ipns_arrived(self) -> None:
        """New IPNs were stored (the in-process receiver): refresh what shows them, soon."""
        if self._shut:  # closed: late queued replies change nothing
            return
        if self._ipn_refresh is None:
            self._ipn_refresh = QTimer(self)
            self._ipn_refresh.setSingleShot(True)
            self._ipn_refresh.setInterval(self.IPN_REFRESH_DELAY_MS)
            self._ipn_refresh.timeout.connect(self._refresh_ipns)
        if not self._ipn_refresh.isActive():
            self._ipn_refresh.start()

    @Slot()
    def _refresh_ipns(self) -> None:
        if self._shut:
            return
        txn = self.shown_transaction
        if txn and self._ipn_rows is not None and self.transaction_view.detail is not None:
            try:
                self.transaction_view.set_ipns(self._ipn_rows(txn))
            except Exception:
                log.exception("reading the IPNs of %s failed", txn)
            else:
                self._reread_if_contradicted(txn)
        if self.notifications is not None and hasattr(self.notifications, "on_ipns_arrived"):
            self.notifications.on_ipns_arrived()

    def _reread_if_contradicted(self, txn: str) -> None:
        """A Verified IPN newer than the page says another status: mark the page out of date,
        turn Cancel off, and read the transaction again (once per such notification)."""
        view = self.transaction_view
        newer = view.newer_trusted_ipn()
        if newer is None:
            return
        key = (txn, newer.id)
        if key == self._reread_for:
            return  # already read again for it: the timeline keeps flagging the difference
        self._reread_for = key
        from fpsdesk.desk.timeline import local_hm

        view.mark_stale(
            self.tr(
                "A Verified notification at {time} says {ipn}; this page shows {page}. "
                "Reading the transaction again…"
            ).format(
                time=local_hm(newer.event_at),
                ipn=theme.status_look(newer.transaction_status).label,
                page=theme.status_look(view.detail.transaction_status).label
                if view.detail is not None
                else "—",
            )
        )
        self._update_cancel()
        self.session.lookup(txn)

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
        if not self._shut and busy and not dialogs.confirm_close_during_cancel(self):
            event.ignore()
            return
        bulk = self._bulk is not None and self._bulk.running
        if not self._shut and not busy and bulk and not dialogs.confirm_close_during_bulk(self):
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Save the UI state and stop the worker (bounded by the request timeout)."""
        if self._shut:
            return
        self._shut = True
        self._unknown_ticker.stop()
        for timer in (self._ipn_refresh, self._written_refresh):
            if timer is not None:
                timer.stop()
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


def _now_text() -> str:
    from datetime import datetime

    return datetime.now().astimezone().strftime("%H:%M:%S")
