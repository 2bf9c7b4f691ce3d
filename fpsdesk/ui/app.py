"""Start the desktop app: the window first, then the history, session, sandbox and connection.

``run_gui(args)`` is what ``fpsdesk`` with no subcommand calls: it sets up logging and the
QApplication (application.py: name, palette, Qt messages, the friendly exception hook), then
``AppController`` shows the main window at once and opens, just after its first paint, the
history, the session and the profile's connection (profile_opening.py) or the local sandbox.
QSettings holds only pure UI state (geometry).
"""

from __future__ import annotations

import faulthandler
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from fpsdesk import logsetup
from fpsdesk.ui import dialogs
from fpsdesk.ui.application import (
    ExceptHook,
    PaletteFollower,
    create_application,
    log_file_path,
    qt_message,
)
from fpsdesk.ui.interpreter import GuiThreadCollector
from fpsdesk.ui.main_window import MainWindow
from fpsdesk.ui.profile_opening import (
    connection_config,
    history_location,
    history_profile,
    keychain_backend_name,
    profile_config,
)
from fpsdesk.ui.unix_signals import SignalQuitter

if TYPE_CHECKING:  # loaded just after the first paint (AppController.start)
    from fpsdesk.desk.replies import ConnectionConfig
    from fpsdesk.store.actions import ActionStore
    from fpsdesk.store.db import HistoryConnection
    from fpsdesk.store.history_location import HistoryLocation
    from fpsdesk.store.live import HistoryWatch
    from fpsdesk.ui.session import DeskSession

log = logging.getLogger(__name__)


class StartupFailed(Exception):
    """Start-up cannot go on (the history database is unusable); the agent has been told."""


class IpnBridge(QObject):
    """Carries "new IPNs stored" from the receiver thread to the GUI thread (queued)."""

    arrived = Signal()

    def notify(self) -> None:  # called on the receiver's thread
        self.arrived.emit()


class HistoryBridge(QObject):
    """Carries the shared history's watch (fpsdesk/store/live.py) to the GUI thread (queued):
    an action written by anyone, and the server going away or coming back."""

    actions_written = Signal(str)  # transaction ID ("": anything may have changed)
    state_changed = Signal(object)  # None: reachable; else why not

    def action(self, transaction_id: str) -> None:  # called on the watch's thread
        self.actions_written.emit(transaction_id)

    def state(self, reason: str | None) -> None:  # called on the watch's thread
        self.state_changed.emit(reason)


class AppController(QObject):
    """Wires stores, session, sandbox and window for one run of the app."""

    def __init__(self, args: Any, on_window: Callable[[MainWindow], None] | None = None) -> None:
        super().__init__()
        self.args = args
        self._on_window = on_window  # the start-up probe watches the window (smoke.py)
        # Opened by start() right after the window's first paint: the history database, the
        # action log, the session with its worker thread, the IPN store.
        self.db: HistoryConnection | None = None
        self.ipn_db: HistoryConnection | None = None
        self.actions: ActionStore | None = None
        self.session: DeskSession | None = None
        self.ipns: Any = None
        self.sandbox: Any = None
        self.window: MainWindow | None = None
        self.bridge = IpnBridge()
        self.history_bridge = HistoryBridge()
        self.history: HistoryLocation | None = None  # where the history was opened from
        self.watch: HistoryWatch | None = None  # a shared history's live updates
        self.profile_name = ""
        self.quit_code: int | None = None  # set when a signal asks the app to end

    def start(self) -> MainWindow:
        """Show the window at once, then connect (sandbox start or keychain read)."""
        sandbox_mode = bool(getattr(self.args, "sandbox", False))
        self.window = self._make_window()
        self.window.set_connecting()
        self.window.show()
        self.window.statusBar().showMessage(
            self.tr("Starting the local sandbox…") if sandbox_mode else self.tr("Connecting…")
        )
        # Paint the window now: the sandbox start or the keychain read takes a moment, and a
        # window that appears at once is better than one that appears late.
        QApplication.processEvents()
        self._open_history()
        assert self.session is not None
        self.window.attach_session(self.session)
        self.ipns = _open_ipn_store(self.ipn_db)
        if self.ipns is not None:
            from fpsdesk.ui.notifications_view import NotificationsView

            self.window.set_notifications(NotificationsView(self.ipns))
        config: ConnectionConfig | None = None
        open_settings = False
        if not sandbox_mode:
            config, problem, have_profiles = profile_config(getattr(self.args, "profile", None))
            if config is not None:
                self.profile_name = config.profile_name
            if config is None:  # what the window says while a question or an error is shown
                self.window.set_environment("", "")
                self.window.statusBar().clearMessage()
            if config is None and not have_profiles and not problem:
                log.debug("first run: asking how to start")
                choice = dialogs.first_run_choice(self.window)
                if choice == "sandbox":
                    sandbox_mode = True
                    self.window.set_connecting()
                    self.window.statusBar().showMessage(self.tr("Starting the local sandbox…"))
                elif choice == "connect":
                    open_settings = True
            elif problem:
                dialogs.show_error(self.window, self.tr("Cannot open the profile"), problem)
                open_settings = True
        if sandbox_mode:
            try:
                config = self._start_sandbox()
            except Exception as exc:
                log.exception("the local sandbox did not start")
                dialogs.show_error(
                    self.window,
                    self.tr("The local sandbox could not start"),
                    str(exc) or type(exc).__name__,
                    self.tr("The details are in the log file."),
                )
            else:
                self.window.set_sandbox_mode(True)
                self.window.demo_factory = self.sandbox.fresh_demo
        self.window.statusBar().clearMessage()
        if config is not None:
            self.connect_profile(config)
        else:
            self.window.set_environment("", "")
            self.window.statusBar().showMessage(
                self.tr("Not connected: open Settings (Ctrl+,) to add an FPS profile.")
            )
        if open_settings:
            self.open_settings()
        return self.window

    def _open_history(self) -> None:
        """The history database, the action log and the session (with its worker thread).

        The history is the profile's (``--profile`` or the current one): the local file, or
        a team's shared history on PostgreSQL with its password from the keychain; the
        embedded sandbox always uses the local file. A shared history that cannot be reached
        (down, wrong password, TLS) is not fatal: the window says so, look-ups work, cancels
        are refused, and the watch reconnects by itself. A database that cannot be used
        (locked, corrupt, not ours, disk full, a newer schema) is told to the agent over the
        window, and start-up stops there: nothing is written to it.
        """
        from fpsdesk.store.actions import ActionStore, set_agent_name
        from fpsdesk.store.schema import HistoryUnreachable, StoreError
        from fpsdesk.ui.session import DeskSession

        profile = (
            None
            if getattr(self.args, "sandbox", False)
            else history_profile(getattr(self.args, "profile", None))
        )
        location = history_location(profile)
        set_agent_name(profile.display_name if profile is not None else None)
        offline: str | None = None
        try:
            try:
                self.db = location.open()
            except HistoryUnreachable as exc:
                log.warning("%s", exc)
                offline = exc.reason
                self.db = location.open()  # unconnected: the watch connects it when back
            # Its own connection: the GUI reads IPNs while the worker writes actions.
            self.ipn_db = location.open()
        except StoreError as exc:
            log.error("%s", exc)
            dialogs.show_error(self.window, "fpsdesk", str(exc))
            raise StartupFailed(str(exc)) from exc
        from fpsdesk.store.ipns import IpnStore

        self.history = location
        self.actions = ActionStore(self.db)
        # The actions thread settles cancels from Verified IPNs on its own connection.
        self.session = DeskSession(self.actions, ipns=IpnStore(self.db))
        self.session.history = location
        self.bridge.arrived.connect(self.session.ipns_arrived)
        if location.shared:
            self._watch(location, offline)

    def _watch(self, location: HistoryLocation, offline: str | None) -> None:
        """Live updates and reconnection of a shared history, on a thread of its own."""
        from fpsdesk.store.live import HistoryWatch

        assert self.window is not None
        self.history_bridge.actions_written.connect(self.window.on_actions_written)
        self.history_bridge.state_changed.connect(self._on_history_state)
        if offline is not None:
            self._on_history_state(offline)
        self.watch = HistoryWatch(
            str(location.target),
            location.password,
            location.reach,
            on_ipns=self.bridge.notify,
            on_actions=self.history_bridge.action,
            on_state=self.history_bridge.state,
        ).start()

    @Slot(object)
    def _on_history_state(self, reason: str | None) -> None:
        if self.window is None or self.history is None:
            return
        self.window.set_history_offline(self.history.describe(), reason)
        if reason is None and self.session is not None:
            self.session.resume_unresolved()  # what the history could not take meanwhile

    def _ipn_rows(self, transaction_id: str) -> list[Any]:
        """The transaction's stored IPNs (none until the store opens, just after first paint)."""
        return [] if self.ipns is None else list(self.ipns.for_transaction(transaction_id))

    def _make_window(self) -> MainWindow:
        window = MainWindow(
            ipn_rows=self._ipn_rows,
            keychain_backend=keychain_backend_name,
        )
        window.settings_requested.connect(self.open_settings)
        window.reset_sandbox_requested.connect(self.reset_sandbox)
        self.bridge.arrived.connect(window.on_ipns_arrived)
        if self._on_window is not None:
            self._on_window(window)
        return window

    def _start_sandbox(self) -> ConnectionConfig:
        from fpsdesk.store.location import default_path
        from fpsdesk.ui.sandbox_runtime import SandboxRuntime

        self.sandbox = SandboxRuntime(history_path=default_path(), on_ipn=self.bridge.notify)
        self.sandbox.start()
        key, secret = self.sandbox.credentials
        self.profile_name = self.tr("Demo data")
        return connection_config(self.sandbox.url, key, secret, self.profile_name)

    def connect_profile(self, config: ConnectionConfig) -> None:
        assert self.session is not None, "start() opens the session first"
        self.session.connect_to(config)
        if self.window is not None:
            self.window.set_environment(config.environment, config.endpoint, config.profile_name)
            self.window.statusBar().clearMessage()  # no "Not connected" once connected
        self.session.resume_unresolved()

    def quit_on_signal(self, signum: int) -> None:
        """SIGINT/SIGTERM: leave every event loop (an open dialog answers "no"); run_gui then
        closes everything in order and exits with 128 + the signal number."""
        self.quit_code = 128 + signum
        QApplication.exit(self.quit_code)

    @Slot()
    def open_settings(self) -> None:
        from fpsdesk.ui.settings_dialog import SettingsDialog

        if self.session is None or self.quit_code is not None:
            return  # start() failed before the session existed, or the app is ending
        dialog = SettingsDialog(self.session, parent=self.window)
        dialog.profile_activated.connect(self._on_profile_activated)
        dialogs.run_modal(dialog)
        dialog.deleteLater()

    @Slot(object, str)
    def _on_profile_activated(self, profile: Any, secret: str) -> None:
        from fpsdesk.store.actions import set_agent_name

        if self.history is not None and self._needs_restart(profile):
            # Its cancels would be recorded where this profile's team does not look (and
            # its claims not seen): the profile is saved as current, used from the next
            # start; until then the app stays on the profile it opened.
            dialogs.show_info(
                self.window,
                self.tr("Restart fpsdesk to use this profile"),
                self.tr(
                    "{name} keeps its history in {new}; this window uses {old}. Quit and "
                    "start fpsdesk again to work with {name}: until then fpsdesk stays "
                    "connected as before, so no cancel is recorded in the wrong history."
                ).format(
                    name=profile.name,
                    new=history_location(profile).describe(),
                    old=self.history.describe(),
                ),
            )
            return
        set_agent_name(profile.display_name)
        self.connect_profile(
            connection_config(
                profile.endpoint,
                profile.access_key_id,
                secret,
                profile.name,
                profile.ca_bundle,
                profile.reason_codes,
            )
        )

    def _needs_restart(self, profile: Any) -> bool:
        """Whether ``profile``'s history is elsewhere than the one this app opened."""
        if self.sandbox is not None or self.history is None:
            return False  # the demo keeps to the local file
        return history_location(profile).target != self.history.target

    @Slot()
    def reset_sandbox(self) -> None:
        if self.sandbox is None:
            return
        try:
            self.sandbox.reset()
        except Exception as exc:
            log.exception("sandbox reset failed")
            dialogs.show_error(self.window, self.tr("Reset failed"), str(exc))
            return
        if self.window is not None:
            self.window.statusBar().showMessage(self.tr("The sandbox was reset."), 5000)
            self.window.refresh()

    def close(self) -> None:
        if self.watch is not None:
            if not self.watch.stop():
                log.warning("the shared history's watch did not stop in time")
            self.watch = None
        if self.window is not None:
            self.window.shutdown()
            self.window.hide()  # no view may repaint from a database closed below
        if self.session is not None:
            self.session.shutdown()
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        for db in (self.ipn_db, self.db):
            if db is None:
                continue
            try:
                db.close()
            except Exception:
                log.debug("closing the database failed", exc_info=True)


def _open_ipn_store(db: Any) -> Any:
    try:
        from fpsdesk.store.ipns import IpnStore
    except ImportError:
        return None
    try:
        return IpnStore(db)
    except Exception:
        log.exception("the IPN store could not be opened")
        return None


def run_gui(args: Any, on_window: Callable[[MainWindow], None] | None = None) -> int:
    """Run the desktop app until its window closes; the process exit code.

    ``on_window`` is called with the main window as soon as it exists, before it is shown:
    the start-up probe (smoke.py) watches it for the first paint.
    """
    if sys.stderr is not None:
        faulthandler.enable()
    verbose = int(getattr(args, "verbose", 0) or 0)
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logsetup.configure(level, log_file=log_file_path())
    qInstallMessageHandler(qt_message)
    app = create_application(sys.argv[:1])
    follower = PaletteFollower(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(follower.follow)
    previous_hook = sys.excepthook
    sys.excepthook = ExceptHook()
    controller = AppController(args, on_window)
    collector = GuiThreadCollector(app)
    quitter = SignalQuitter(controller.quit_on_signal, controller)
    quitter.install()
    try:
        try:
            controller.start()
        except StartupFailed:  # already told to the agent
            return 1
        if controller.quit_code is not None:  # a signal came while starting
            return controller.quit_code
        collector.install()  # after start-up: what exists now is frozen (see interpreter.py)
        code = int(app.exec())
        return controller.quit_code if controller.quit_code is not None else code
    finally:
        collector.uninstall()
        controller.close()
        quitter.uninstall()
        sys.excepthook = previous_hook
