"""The main window's menus, actions and shortcuts; the Sandbox menu's demo transactions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QTabWidget

from fpsdesk import __version__
from fpsdesk.ui import dialogs
from fpsdesk.ui.widgets import EmptyState

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow as _Window
else:
    _Window = object

log = logging.getLogger(__name__)


class MenusMixin(_Window):
    """Part of ``MainWindow`` (a QMainWindow): the menu bar and the window's shortcuts."""

    tabs: QTabWidget
    welcome: EmptyState
    sandbox_menu: QMenu
    demo_menu: QMenu | None
    demo_factory: Callable[[str], str] | None
    _keychain_backend: Callable[[], str] | None
    settings_requested: Signal
    reset_sandbox_requested: Signal
    # What the menus call, in the window's other parts.
    focus_id_field: Callable[[], None]
    refresh: Callable[[], None]
    request_cancel: Callable[[], None]
    find_transactions: Callable[[], None]
    stop_lookup: Callable[[], None]
    show_results: Callable[[], None]
    show_notifications: Callable[[], None]
    show_search: Callable[[], None]
    show_bulk: Callable[[], None]
    bulk_from_file: Callable[[], None]
    open_transaction: Callable[[str], None]
    _export_results: Callable[[], None]

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
                # The action itself: PySide gives a mixin's slot no sender().
                action.triggered.connect(lambda _=False, a=action: self._open_demo(a))
        self.sandbox_menu.insertMenu(self.reset_sandbox_action, self.demo_menu)
        self.sandbox_menu.insertSeparator(self.reset_sandbox_action)

    def _open_demo(self, action: QAction) -> None:
        if not action.data():
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

    def _confirm_reset_sandbox(self) -> None:
        if dialogs.confirm_reset_sandbox(self):
            self.reset_sandbox_requested.emit()
