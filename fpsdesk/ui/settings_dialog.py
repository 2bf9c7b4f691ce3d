"""Settings: FPS profiles (name, endpoint, access key ID) with the secret in the keychain.

The secret key is typed here and goes straight to the keychain (``fpsdesk.credentials``); the
settings file only holds the name, endpoint and key ID. "Test connection" sends one signed read
through the worker and tells apart bad credentials, an unreachable host, a TLS failure and a
wrong clock. The form itself is ``profile_form.ProfileFormDialog``; this module adds the list
of profiles, saving, removing and the test.
"""

from __future__ import annotations

import contextlib
import logging

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.credentials import CredentialError, CredentialStore, KeychainUnavailable
from fpsdesk.desk.replies import ConnectionConfig, ConnectionTestReply
from fpsdesk.fps.endpoints import environment_of
from fpsdesk.settings import Profile, SettingsError
from fpsdesk.settings_store import SettingsStore
from fpsdesk.ui import dialogs
from fpsdesk.ui.profile_form import ProfileFormDialog
from fpsdesk.ui.session import DeskSession
from fpsdesk.ui.widgets import accessible

log = logging.getLogger(__name__)

# The name a profile is tested under before it has one.
UNNAMED = "unsaved profile"


class SettingsDialog(ProfileFormDialog):
    """Edit profiles; ``profile_activated`` when the agent picks one to work with."""

    profile_activated = Signal(object, str)  # Profile, secret

    def __init__(
        self,
        session: DeskSession,
        store: SettingsStore | None = None,
        credentials: CredentialStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings — FPS profiles"))
        self.setMinimumSize(720, 420)
        self._session = session
        self._store = store or SettingsStore()
        self._credentials = credentials or CredentialStore()
        self._testing: int | None = None
        self._offer_to_use = False  # the last save was of a profile while none is in use

        layout = QHBoxLayout(self)
        self._build_list(layout)
        right = QVBoxLayout()
        self._build_form(right)
        self._build_actions(right)
        layout.addLayout(right, 2)
        self._connect(session)
        self._reload_list()
        self._mark_unchanged()  # also when the settings could not be read: nothing typed yet

    def _build_list(self, layout: QHBoxLayout) -> None:
        """The saved profiles, with New and Remove under them."""
        left = QVBoxLayout()
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Profiles"))
        left.addWidget(QLabel(self.tr("Profiles")))
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton(self.tr("New"))
        self.remove_button = QPushButton(self.tr("Remove"))
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)
        layout.addLayout(left, 1)
        accessible(self.list, self.tr("Saved FPS profiles; the one in use is marked"))
        accessible(self.add_button, self.tr("Starts a new, empty profile"))
        accessible(self.remove_button, self.tr("Deletes the selected profile and its secret key"))

    def _build_actions(self, right: QVBoxLayout) -> None:
        """Test connection, Save, Save and use, and Close."""
        right.addStretch(1)
        actions = QHBoxLayout()
        self.test_button = QPushButton(self.tr("Test connection"))
        self.save_button = QPushButton(self.tr("Save"))
        self.use_button = QPushButton(self.tr("Save and use"))
        self.use_button.setDefault(True)
        actions.addWidget(self.test_button)
        actions.addStretch(1)
        actions.addWidget(self.save_button)
        actions.addWidget(self.use_button)
        right.addLayout(actions)
        accessible(self.test_button, self.tr("Sends one signed read and says what happened"))
        accessible(self.save_button, self.tr("Saves the profile"))
        accessible(self.use_button, self.tr("Saves the profile and works with it now"))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setAccessibleDescription(
            self.tr("Closes Settings; asks first if there are unsaved changes")
        )
        close.rejected.connect(self.reject)
        right.addWidget(close)

    def _connect(self, session: DeskSession) -> None:
        self.environment.currentIndexChanged.connect(self._environment_changed)
        self.list.currentItemChanged.connect(self._load_item)
        self.add_button.clicked.connect(self._new_profile)
        self.remove_button.clicked.connect(self._remove_profile)
        self.test_button.clicked.connect(self.test_connection)
        self.save_button.clicked.connect(self.save_clicked)
        self.use_button.clicked.connect(self.save_and_use)
        self.ca_browse.clicked.connect(self._browse_ca_bundle)
        session.connection_tested.connect(self._on_tested)

    # -- list ------------------------------------------------------------------------------

    def _reload_list(self, select: str | None = None) -> None:
        try:
            settings = self._store.load()
        except SettingsError as exc:
            self._say(str(exc), error=True)
            return
        self.list.blockSignals(True)
        self.list.clear()
        in_use = self._in_use()
        for profile in settings.profiles:
            item = QListWidgetItem(profile.name)
            if profile.name == in_use:
                # Said in words (and bold), not only marked: the name stays the item's data.
                item.setText(self.tr("{name} (in use)").format(name=profile.name))
                font = item.font()
                font.setBold(True)
                item.setFont(font)
                item.setToolTip(self.tr("fpsdesk is working with this profile now"))
            item.setData(Qt.ItemDataRole.UserRole, profile.name)
            self.list.addItem(item)
        self.list.blockSignals(False)
        wanted = select or settings.current
        match = self._item_named(wanted) if wanted else None
        if match is not None:
            self.list.setCurrentItem(match)
        elif self.list.count():
            self.list.setCurrentRow(0)
        else:
            self._new_profile()

    def _in_use(self) -> str | None:
        """The profile the app is connected with (not the demo sandbox), if any."""
        config = self._session.config
        return config.profile_name if config is not None else None

    def _item_named(self, name: str) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                return item
        return None

    def _selected_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _load_item(self, current: QListWidgetItem | None) -> None:
        if current is not None:
            self._load_profile(current.data(Qt.ItemDataRole.UserRole))

    def _load_profile(self, name: str) -> None:
        if not name:
            return
        try:
            profile = self._store.get(name)
        except SettingsError as exc:
            self._say(str(exc), error=True)
            return
        self._fill_form(profile)

    def _new_profile(self) -> None:
        self.list.clearSelection()
        self._clear_form()

    def _remove_profile(self) -> None:
        name = self._selected_name()
        if not self.list.selectedItems() or name is None:
            return
        if not dialogs.confirm(
            self,
            self.tr("Remove profile"),
            self.tr("Remove the profile {name} and its secret key from the keychain?").format(
                name=name
            ),
            self.tr("Remove"),
        ):
            return
        try:
            self._credentials.remove_profile(self._store, name)
        except (CredentialError, SettingsError) as exc:
            self._say(str(exc), error=True)
            return
        self._reload_list()

    # -- saving ----------------------------------------------------------------------------

    def _secret_for(self, profile: Profile) -> str | None:
        """The typed secret, else the keychain's (read now, on the GUI thread)."""
        typed = self.secret.text()
        if typed:
            return typed
        try:
            return self._credentials.get_secret(profile.name)
        except CredentialError as exc:
            self._say(str(exc), error=True)
            return None

    def save(self) -> tuple[Profile, str] | None:
        try:
            profile = self._profile_from_form()
        except (SettingsError, ValueError) as exc:
            self._say(str(exc), error=True)
            return None
        typed = self.secret.text()
        try:
            before = self._store.load()
            is_new = before.find(profile.name) is None
            nothing_in_use = before.current is None
        except SettingsError:
            is_new = False  # unknown: never delete a secret that may belong to a profile
            nothing_in_use = False
        if typed:
            try:
                self._credentials.set_secret(profile.name, typed)
            except KeychainUnavailable as exc:
                if not dialogs.confirm(
                    self, self.tr("No keychain"), str(exc), self.tr("Keep for this session only")
                ):
                    return None
                self._credentials.keep_for_session(profile.name, typed)
            except CredentialError as exc:
                self._say(str(exc), error=True)
                return None
        secret = self._secret_for(profile)
        if secret is None:
            return None
        try:
            self._store.save(profile)
        except (SettingsError, OSError) as exc:
            if typed and is_new:
                # No profile was written, so a secret kept for it would be an orphan.
                with contextlib.suppress(CredentialError):
                    self._credentials.delete_secret(profile.name)
            message = (
                str(exc)
                if isinstance(exc, SettingsError)
                else self.tr(
                    "The settings file could not be written ({error}). Nothing was saved."
                ).format(error=exc.strerror or exc)
            )
            self._say(message, error=True)
            return None
        self.secret.clear()
        self._reload_list(select=profile.name)
        self._say(self.tr("Saved {name}.").format(name=profile.name), ok=True)
        self._mark_unchanged()
        self._offer_to_use = nothing_in_use and self._in_use() is None
        return profile, secret

    def save_clicked(self) -> None:
        """Save; when no profile is in use yet (the first one), offer to work with it now."""
        saved = self.save()
        if saved is None or not self._offer_to_use:
            return
        profile, secret = saved
        if dialogs.confirm(
            self,
            self.tr("Use this profile?"),
            self.tr(
                "{name} is saved. fpsdesk is not connected to any FPS account yet: work with "
                "{name} now?"
            ).format(name=profile.name),
            self.tr("Use {name}").format(name=profile.name),
        ):
            self._use(profile, secret)

    def save_and_use(self) -> None:
        saved = self.save()
        if saved is not None:
            self._use(*saved)

    def _use(self, profile: Profile, secret: str) -> None:
        try:
            self._store.set_current(profile.name)
        except SettingsError as exc:
            self._say(str(exc), error=True)
            return
        self.profile_activated.emit(profile, secret)
        self.accept()

    def reject(self) -> None:
        """Esc or Close: never throw away typed changes (a tested secret included) unasked."""
        if self.has_changes() and not dialogs.confirm(
            self,
            self.tr("Discard changes?"),
            self.tr(
                "The profile has changes that are not saved{secret}. Close and discard them?"
            ).format(
                secret=self.tr(", including the secret key typed") if self.secret.text() else ""
            ),
            self.tr("Discard"),
        ):
            return
        super().reject()

    def _browse_ca_bundle(self) -> None:
        path = dialogs.open_ca_bundle(self, self.ca_bundle.text().strip())
        if path:
            self.ca_bundle.setText(path)

    # -- test ------------------------------------------------------------------------------

    def test_connection(self) -> None:
        """Test what the form says; a profile needs no name (nor to be saved) to be tested."""
        unnamed = not self.name.text().strip()
        try:
            profile = self._profile_from_form(name=self.tr(UNNAMED) if unnamed else None)
        except (SettingsError, ValueError) as exc:
            self._say(str(exc), error=True)
            return
        if unnamed and not self.secret.text():
            self._say(self.tr("Type the secret key to test the connection."), error=True)
            self.secret.setFocus()
            return
        secret = self._secret_for(profile)
        if secret is None:
            return
        config = ConnectionConfig(
            endpoint=profile.endpoint,
            access_key_id=profile.access_key_id,
            secret_key=secret,
            environment=environment_of(profile.endpoint),
            profile_name=profile.name,
            read_timeout=10.0,
            ca_bundle=profile.ca_bundle,
        )
        self._say(self.tr("Testing {url}…").format(url=profile.endpoint))
        self.test_button.setEnabled(False)
        self._testing = self._session.test_connection(config)

    @Slot(object)
    def _on_tested(self, reply: ConnectionTestReply) -> None:
        if reply.request_id != self._testing:
            return
        self._testing = None
        self.test_button.setEnabled(True)
        self._say(reply.message, error=not reply.ok, ok=reply.ok)
        self.verdict = reply.verdict
