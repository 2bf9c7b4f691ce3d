"""The profile form of Settings: its fields, what they hold, and the Profile they describe.

``ProfileFormDialog`` is the form's half of ``settings_dialog.SettingsDialog``, which adds the
list of profiles, saving, removing and the connection test. The secret typed here is never
written to the settings file: the dialog hands it to the keychain.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from fpsdesk.fps.endpoints import PRODUCTION_ENDPOINT, SANDBOX_ENDPOINT
from fpsdesk.records.reasons import DEFAULT_REASON_CODES
from fpsdesk.settings import Profile, format_reason_codes, parse_reason_codes
from fpsdesk.ui import theme
from fpsdesk.ui.widgets import accessible

# What the secret field says: a saved profile's secret is in the keychain already; a new one's
# is not anywhere yet.
KEEP_SECRET = "Stored in the keychain; leave empty to keep"
NEW_SECRET = "Required; kept in the system keychain once saved"

ENDPOINT_CHOICES = (
    ("Sandbox", SANDBOX_ENDPOINT),
    ("Production", PRODUCTION_ENDPOINT),
    ("Custom", ""),
)


class ProfileFormDialog(QDialog):
    """A dialog with the profile form: name, endpoint, access key ID, secret, IPN checking, CA
    bundle, reason codes and display name, and a line that says what happened."""

    def _build_form(self, right: QVBoxLayout) -> None:
        """The form's fields and the message line under them, into ``right``."""
        self._loaded: tuple[object, ...] = ()  # the form as loaded or saved: what "changed" means
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.name = QLineEdit()
        self.environment = QComboBox()
        for label, url in ENDPOINT_CHOICES:
            self.environment.addItem(self.tr(label), url)
        self.endpoint = QLineEdit()
        self.endpoint.setPlaceholderText("https://fps.example.com/")
        self.access_key = QLineEdit()
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(self.tr(NEW_SECRET))
        self.ipn_mode = QComboBox()
        self.ipn_mode.addItem(self.tr("Locally, with the FPS certificate"), "local")
        self.ipn_mode.addItem(self.tr("Remotely, with VerifySignature"), "remote")
        self.ca_bundle = QLineEdit()
        self.ca_bundle.setPlaceholderText(self.tr("Optional: PEM file of extra trusted CAs"))
        self.ca_browse = QPushButton(self.tr("Browse…"))
        self.ca_browse.setAccessibleDescription(self.tr("Choose the CA bundle file"))
        ca_row = QHBoxLayout()
        ca_row.setContentsMargins(0, 0, 0, 0)
        ca_row.addWidget(self.ca_bundle, 1)
        ca_row.addWidget(self.ca_browse)

        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText(self.tr("Optional: your name as the team sees it"))
        self.display_name.setMaxLength(64)
        # Not in the form: set with `fpsdesk profile`, kept as loaded when the form is saved.
        self._history = "local"
        self.history_label = QLabel()
        self.history_label.setWordWrap(True)
        self.history_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.reason_codes = QPlainTextEdit()
        self.reason_codes.setTabChangesFocus(True)
        self.reason_codes.setFixedHeight(110)
        self.reason_codes.setAccessibleName(self.tr("Reason codes, one 'code: Label' a line"))
        self.reason_codes.setToolTip(
            self.tr(
                "What a cancel's confirmation offers, one 'code: Label' a line. A code is "
                "recorded with each cancel and sent to FPS; codes already recorded keep their "
                "name even if you remove or rename them here."
            )
        )
        form.addRow(self.tr("Name:"), self.name)
        form.addRow(self.tr("Environment:"), self.environment)
        form.addRow(self.tr("Endpoint URL:"), self.endpoint)
        form.addRow(self.tr("Access key ID:"), self.access_key)
        form.addRow(self.tr("Secret key:"), self.secret)
        form.addRow(self.tr("Check IPN signatures:"), self.ipn_mode)
        form.addRow(self.tr("CA bundle:"), ca_row)
        form.addRow(self.tr("Reason codes:"), self.reason_codes)
        form.addRow(self.tr("Display name:"), self.display_name)
        form.addRow(self.tr("History:"), self.history_label)
        right.addLayout(form)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        right.addWidget(self.message)
        accessible(self.name, self.tr("A name for this profile"), self.tr("Name"))
        accessible(self.environment, self.tr("Which FPS this profile uses"), self.tr("Environment"))
        accessible(
            self.endpoint, self.tr("The FPS endpoint URL (for Custom)"), self.tr("Endpoint URL")
        )
        accessible(self.access_key, self.tr("The AWS access key ID"), self.tr("Access key ID"))
        accessible(
            self.secret,
            self.tr("The AWS secret key; it is kept only in the system keychain"),
            self.tr("Secret key"),
        )
        accessible(
            self.ipn_mode,
            self.tr("How the signatures of notifications are checked"),
            self.tr("Check IPN signatures"),
        )
        accessible(
            self.ca_bundle,
            self.tr("Optional PEM file of extra trusted certificate authorities"),
            self.tr("CA bundle"),
        )
        accessible(
            self.display_name,
            self.tr(
                "Recorded as the agent of every cancel made with this profile; empty: your "
                "user name on this computer"
            ),
            self.tr("Display name"),
        )

    def _form_state(self) -> tuple[object, ...]:
        return (
            self.name.text(),
            self.endpoint.text(),
            self.access_key.text(),
            self.ipn_mode.currentData(),
            self.ca_bundle.text(),
            self.secret.text(),
            self.reason_codes.toPlainText(),
            self.display_name.text(),
        )

    def _mark_unchanged(self) -> None:
        self._loaded = self._form_state()

    def has_changes(self) -> bool:
        """Typed in and not saved (a secret typed counts, even for a tested profile)."""
        return self._form_state() != self._loaded

    def _fill_form(self, profile: Profile) -> None:
        """Show a saved profile; its secret stays in the keychain."""
        self.name.setText(profile.name)
        self._set_endpoint(profile.endpoint)
        self.access_key.setText(profile.access_key_id)
        self.secret.clear()
        index = self.ipn_mode.findData(profile.ipn_verification)
        self.ipn_mode.setCurrentIndex(max(0, index))
        self.ca_bundle.setText(profile.ca_bundle or "")
        self.secret.setPlaceholderText(self.tr(KEEP_SECRET))

        self.reason_codes.setPlainText(format_reason_codes(profile.reason_codes))
        self.display_name.setText(profile.display_name or "")
        self._set_history(profile.history)
        self._say("")
        self._mark_unchanged()

    def _clear_form(self) -> None:
        """An empty profile on the sandbox, with the default reason codes."""
        self.name.clear()
        self._set_endpoint(SANDBOX_ENDPOINT)
        self.access_key.clear()
        self.secret.clear()
        self.ca_bundle.clear()
        self.secret.setPlaceholderText(self.tr(NEW_SECRET))

        self.reason_codes.setPlainText(format_reason_codes(DEFAULT_REASON_CODES))
        self.display_name.clear()
        self._set_history("local")
        self.name.setFocus()
        self._say(self.tr("New profile: fill in the fields and press Save."))
        self._mark_unchanged()

    def _set_history(self, history: str) -> None:
        self._history = history
        self.history_label.setText(
            self.tr("This computer only (local)")
            if history == "local"
            else self.tr("Shared with the team: {url}").format(url=history)
        )

    def _set_endpoint(self, url: str) -> None:
        index = next((i for i, (_, u) in enumerate(ENDPOINT_CHOICES) if u and u == url), 2)
        self.environment.setCurrentIndex(index)
        self.endpoint.setText(url)
        self._environment_changed(index)

    def _environment_changed(self, index: int) -> None:
        url = self.environment.itemData(index)
        custom = not url
        self.endpoint.setReadOnly(not custom)
        if url:
            self.endpoint.setText(url)

    def _say(self, text: str, *, error: bool = False, ok: bool = False) -> None:
        self.message.setText(text)
        if error:
            color = theme.status_look("Failure").color().name()
        elif ok:
            color = theme.status_look("Success").color().name()
        else:
            color = "palette(window-text)"
        theme.restyle(self.message, f"color: {color};")

    def _profile_from_form(self, name: str | None = None) -> Profile:
        return Profile(
            name=name or self.name.text(),
            endpoint=self.endpoint.text(),
            access_key_id=self.access_key.text(),
            ipn_verification=self.ipn_mode.currentData(),
            ca_bundle=self.ca_bundle.text().strip() or None,
            reason_codes=parse_reason_codes(self.reason_codes.toPlainText()),
            history=self._history,
            display_name=self.display_name.text() or None,
        )
