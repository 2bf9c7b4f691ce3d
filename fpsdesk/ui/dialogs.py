"""Every message box and confirmation fpsdesk shows, in one module.

Callers use ``dialogs.<function>(...)`` (never ``from dialogs import``), so a test replaces a
function here with ``monkeypatch.setattr`` and drives the app without a modal loop.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.records.reasons import DEFAULT_REASON_CODES, ReasonCode
from fpsdesk.ui import theme
from fpsdesk.ui.widgets import short_id

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("dialogs", text)


@dataclass(frozen=True)
class CancelPrompt:
    """What the confirmation shows; empty strings are simply left out."""

    transaction_id: str
    amount: str
    status: str
    environment: str
    endpoint: str
    operation: str = ""
    caller_reference: str = ""
    description: str = ""
    sender_name: str = ""
    sender_email: str = ""
    reason_codes: tuple[ReasonCode, ...] = DEFAULT_REASON_CODES


@dataclass(frozen=True)
class ReasonChoice:
    """What the agent gave as the reason: a code from the profile's list and a comment."""

    code: str | None
    comment: str


class ReasonPicker(QWidget):
    """A reason code (required) and an optional comment, both sent to FPS in the Description.

    ``comment`` is the QPlainTextEdit, kept under the name ``reason`` by the dialogs."""

    def __init__(
        self, codes: tuple[ReasonCode, ...], placeholder: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.code = QComboBox()
        self.code.setPlaceholderText(self.tr("Choose a reason…"))
        for entry in codes:
            self.code.addItem(entry.label, entry.code)
            self.code.setItemData(
                self.code.count() - 1, f"{entry.label} ({entry.code})", Qt.ItemDataRole.ToolTipRole
            )
        self.code.setCurrentIndex(-1)
        self.code.setAccessibleName(self.tr("Reason code"))
        self.code.setAccessibleDescription(
            self.tr("Why it is cancelled, from this profile's list; required")
        )
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText(placeholder)
        self.comment.setTabChangesFocus(True)
        self.comment.setFixedHeight(60)
        self.comment.setAccessibleName(self.tr("Comment (optional)"))
        layout.addRow(self.tr("Reason:"), self.code)
        layout.addRow(self.tr("Comment (optional):"), self.comment)
        note = _caption(self.tr("Both are recorded and sent to FPS as the description."))
        note.setWordWrap(True)
        layout.addRow("", note)

    def chosen_code(self) -> str | None:
        value = self.code.currentData()
        return value if isinstance(value, str) else None

    def choose(self, code: str) -> None:
        self.code.setCurrentIndex(self.code.findData(code))


def _plain(text: str, selectable: bool = True) -> QLabel:
    """A label for data from FPS: shown as typed (never as HTML), selectable, never elided."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


class CancelDialog(QDialog):
    """Confirm a Cancel: the transaction and its amount, who paid, for what, its current status
    and where it runs, and an optional reason."""

    def __init__(self, prompt: CancelPrompt, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Cancel transaction"))
        self.setModal(True)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        heading = QLabel(self.tr("Cancel this transaction?"))
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)
        note = QLabel(
            self.tr(
                "The held amount is released and the transaction can no longer be settled. "
                "This cannot be undone."
            )
        )
        note.setWordWrap(True)
        layout.addWidget(note)

        # The two facts the agent checks against the ticket: the ID, and the amount beside it
        # in large type. Neither wraps nor is elided: the dialog grows to fit them.
        key = QFrame()
        key.setObjectName("keyfacts")
        key.setStyleSheet(
            "QFrame#keyfacts { background: palette(base); border: 1px solid palette(mid);"
            " border-radius: 6px; }"
        )
        grid = QGridLayout(key)
        grid.setContentsMargins(12, 8, 12, 10)
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(2)
        grid.addWidget(_caption(self.tr("Transaction ID")), 0, 0)
        amount_caption = _caption(self.tr("Amount"))
        amount_caption.setAlignment(Qt.AlignmentFlag.AlignRight)
        grid.addWidget(amount_caption, 0, 1)
        self.transaction_label = _plain(prompt.transaction_id)
        mono = theme.mono_font()
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(self.font().pointSizeF() * 1.1)
        self.transaction_label.setFont(mono)
        self.transaction_label.setAccessibleName(
            self.tr("Transaction ID: {id}").format(id=prompt.transaction_id)
        )
        self.amount_label = _plain(prompt.amount)
        big = self.amount_label.font()
        big.setPointSizeF(self.font().pointSizeF() * 1.8)
        big.setBold(True)
        self.amount_label.setFont(big)
        self.amount_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.amount_label.setAccessibleName(
            self.tr("Amount: {amount}").format(amount=prompt.amount)
        )
        grid.addWidget(self.transaction_label, 1, 0, Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.amount_label, 1, 1)
        grid.setColumnStretch(0, 1)
        layout.addWidget(key)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        sender = _person(prompt.sender_name, prompt.sender_email)
        if sender:
            form.addRow(self.tr("Sender:"), _plain(sender))
        if prompt.description:
            description = _plain(prompt.description)
            description.setWordWrap(True)
            form.addRow(self.tr("Description:"), description)
        if prompt.caller_reference:
            form.addRow(self.tr("Caller reference:"), _plain(prompt.caller_reference))
        look = theme.status_look(prompt.status)
        status = QLabel()
        status.setPixmap(
            theme.shape_pixmap(look.shape, look.color(), 14, self.devicePixelRatioF() or 1.0)
        )
        status_row = QHBoxLayout()
        status_row.addWidget(status)
        status_row.addWidget(QLabel(look.label))
        status_row.addStretch(1)
        form.addRow(self.tr("Current status:"), status_row)
        if prompt.operation:
            form.addRow(self.tr("Operation:"), _plain(prompt.operation))
        env = theme.environment_look(prompt.environment, prompt.endpoint)
        env_label = QLabel(f" {env.label} ")
        env_label.setStyleSheet(
            f"background:{env.background}; color:{env.foreground}; border-radius:3px;"
            " font-weight:600; padding:1px 6px;"
        )
        env_label.setToolTip(env.tooltip)
        env_label.setAccessibleName(self.tr("Environment: {env}").format(env=env.label))
        env_row = QHBoxLayout()
        env_row.addWidget(env_label)
        env_row.addStretch(1)
        form.addRow(self.tr("Environment:"), env_row)
        layout.addLayout(form)
        self.picker = ReasonPicker(
            prompt.reason_codes, self.tr("e.g. Customer asked to cancel the order")
        )
        self.reason = self.picker.comment
        layout.addWidget(self.picker)
        buttons = QDialogButtonBox()
        self.confirm_button = QPushButton(self.tr("Cancel transaction"))
        self.confirm_button.setAccessibleDescription(
            self.tr("Sends the Cancel to FPS for this transaction")
        )
        keep = QPushButton(self.tr("Keep it"))
        keep.setAccessibleDescription(self.tr("Closes this without cancelling anything"))
        buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(keep, QDialogButtonBox.ButtonRole.RejectRole)
        # Enter takes "Keep it" unless the agent has moved the focus to "Cancel transaction":
        # then Enter presses the focused button, as Space does (never a cancel by accident).
        keep.setDefault(True)
        self.confirm_button.setAutoDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.picker.code.currentIndexChanged.connect(self._update_confirm)
        self._update_confirm()
        self.picker.code.setFocus()

    def _update_confirm(self) -> None:
        self.confirm_button.setEnabled(self.picker.chosen_code() is not None)

    def accept(self) -> None:
        if self.picker.chosen_code() is not None:
            super().accept()

    def reason_text(self) -> str:
        return self.reason.toPlainText().strip()

    def choice(self) -> ReasonChoice:
        return ReasonChoice(self.picker.chosen_code(), self.reason_text())


def _person(name: str, email: str) -> str:
    if name and email:
        return f"{name} <{email}>"
    return name or email


def run_modal(dialog: QDialog) -> int:
    """Run a dialog built elsewhere (Settings) modally; tests replace this to drive it."""
    return int(dialog.exec())


def confirm_cancel(parent: QWidget | None, prompt: CancelPrompt) -> ReasonChoice | None:
    """The reason code and comment if the agent confirms, None if they back out."""
    dialog = CancelDialog(prompt, parent)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.choice()
        return None
    finally:
        dialog.deleteLater()


def show_error(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setInformativeText(details)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()
    box.deleteLater()


def show_info(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def _ask(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    yes_text: str,
    no_text: str,
    *,
    details: str = "",
    rich: bool = False,
    default_yes: bool = False,
) -> bool:
    """A two-button question; Esc always means no. True only if the yes button was clicked."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    if rich:
        box.setTextFormat(Qt.TextFormat.RichText)
    if details:
        box.setInformativeText(details)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(no_text, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes if default_yes else no)
    box.setEscapeButton(no)
    box.exec()
    chosen = box.clickedButton() is yes
    box.deleteLater()
    return chosen


def confirm(parent: QWidget | None, title: str, text: str, yes_text: str) -> bool:
    return _ask(parent, QMessageBox.Icon.Question, title, text, yes_text, _tr("Go back"))


def offer_lookup_first(parent: QWidget | None, page_id: str, field_id: str | None) -> bool:
    """Cancel was asked while the ID field shows another transaction than the page (or none).

    Nothing was cancelled. True if the agent takes the offer: look up ``field_id`` (or, with
    no ID in the field, put ``page_id`` back in it); the default button, so Enter takes it.
    """
    short = short_id(field_id, other=page_id) if field_id else short_id(page_id)

    def mono(transaction_id: str) -> str:
        return (
            "<span style='font-family: monospace; white-space: nowrap'>"
            f"{html.escape(transaction_id)}</span>"
        )

    if field_id:
        title = _tr("Look up the new ID first")
        rows = "".join(
            f"<tr><td style='padding-right: 12px; white-space: nowrap'>{html.escape(caption)}</td>"
            f"<td>{mono(value)}</td></tr>"
            for caption, value in (
                (_tr("This page shows:"), page_id),
                (_tr("The ID field shows:"), field_id),
            )
        )
        advice = _tr("Look up the ID in the field first; then cancel it if it is the right one.")
        details = f"<table cellspacing='2'>{rows}</table><p>{html.escape(advice)}</p>"
        yes_text = _tr("Look up {id} first").format(id=short)
    else:
        title = _tr("The ID field does not show this transaction")
        missing = html.escape(
            _tr("The ID field does not show {page}, the transaction on this page.")
        ).replace("{page}", mono(page_id))
        advice = _tr("Put its ID back in the field, check it, then cancel.")
        details = f"<p>{missing}</p><p>{html.escape(advice)}</p>"
        yes_text = _tr("Put {id} back").format(id=short)
    return _ask(
        parent,
        QMessageBox.Icon.Information,
        title,
        _tr("Nothing was cancelled."),
        yes_text,
        _tr("Go back"),
        details=details,
        rich=True,
        default_yes=True,
    )


def confirm_second_cancel(parent: QWidget | None, needs: Any) -> bool:
    """An earlier Cancel of this transaction has no known outcome: send a second one anyway?

    ``needs`` is a messages.CancelNeedsAgain. The default answer is No (Enter and Esc keep the
    one Cancel): a second Cancel is sent only on an explicit Yes.
    """
    from fpsdesk.desk.timeline import local_hm

    lines = []
    for attempt in needs.earlier:
        when = local_hm(attempt.created_at)
        if attempt.in_flight:
            state = _tr("still being sent by {owner}").format(owner=attempt.owner)
        else:
            state = _tr("answer lost; it may still take effect until {time}").format(
                time=local_hm(attempt.until) if attempt.until else "?"
            )
        lines.append(
            "<li>"
            + html.escape(
                _tr("Cancel #{id} at {when} by {who}: {state}").format(
                    id=attempt.action_id, when=when, who=attempt.operator, state=state
                )
            )
            + "</li>"
        )
    details = (
        f"<p style='font-family: monospace; white-space: nowrap'>"
        f"{html.escape(needs.transaction_id)}</p><ul>{''.join(lines)}</ul><p>"
        + html.escape(
            _tr(
                "fpsdesk keeps checking and will show how it ended. A second Cancel is needed "
                "only if the first one never arrives; if both arrive, FPS refuses the second."
            )
        )
        + "</p>"
    )
    return _ask(
        parent,
        QMessageBox.Icon.Warning,
        _tr("An earlier cancel is not settled yet"),
        _tr("Nothing was sent. An earlier Cancel of this transaction may still take effect."),
        _tr("Send a second Cancel"),
        _tr("Wait for the first"),
        details=details,
        rich=True,
    )


def confirm_close_during_cancel(parent: QWidget | None) -> bool:
    """Closing while a Cancel is in flight: the agent must know its outcome may be unknown."""
    return confirm(
        parent,
        _tr("A cancel is in progress"),
        _tr(
            "A Cancel request is being sent right now. If you close fpsdesk, it waits for the "
            "answer (at most the request timeout); if none comes, the outcome is recorded as "
            "unknown and checked the next time fpsdesk starts.\n\nClose anyway?"
        ),
        _tr("Close anyway"),
    )


def confirm_reset_sandbox(parent: QWidget | None) -> bool:
    return confirm(
        parent,
        _tr("Reset the sandbox"),
        _tr(
            "Delete every transaction in the local sandbox and load fresh demo data? "
            "Your action history in fpsdesk is kept."
        ),
        _tr("Reset sandbox"),
    )


def first_run_choice(parent: QWidget | None) -> str | None:
    """First start with no profile: "sandbox", "connect" or None (decide later)."""
    box = QMessageBox(parent)
    box.setWindowTitle(_tr("Welcome to fpsdesk"))
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(_tr("How would you like to start?"))
    box.setInformativeText(
        _tr(
            "Explore fpsdesk with the local sandbox: a built-in FPS server with demo "
            "transactions, no real money.\n\nOr connect your FPS account with its access key."
        )
    )
    sandbox = box.addButton(
        _tr("Explore with the local sandbox"), QMessageBox.ButtonRole.AcceptRole
    )
    connect = box.addButton(_tr("Connect an FPS account…"), QMessageBox.ButtonRole.ActionRole)
    later = box.addButton(_tr("Later"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(sandbox)
    box.setEscapeButton(later)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    if clicked is sandbox:
        return "sandbox"
    if clicked is connect:
        return "connect"
    return None


def show_about(parent: QWidget | None, version: str, keychain: str, qt_version: str) -> None:
    QMessageBox.about(
        parent,
        _tr("About fpsdesk"),
        _tr(
            "<h3>fpsdesk {version}</h3>"
            "<p>Look up and cancel Amazon FPS (API 2008-09-17) transactions and review their "
            "notifications.</p>"
            "<p>Keychain: {keychain}<br>Qt: {qt}</p>"
        ).format(version=version, keychain=keychain, qt=qt_version),
    )


def show_shortcuts(parent: QWidget | None, shortcuts: list[tuple[str, str]]) -> None:
    rows = "".join(
        f"<tr><td style='padding-right:16px'><b>{keys}</b></td><td>{what}</td></tr>"
        for keys, what in shortcuts
    )
    QMessageBox.information(
        parent, _tr("Keyboard shortcuts"), f"<table cellspacing='4'>{rows}</table>"
    )


def show_unexpected_error(parent: QWidget | None, log_path: str) -> None:
    """The excepthook's friendly face: never a traceback, always where the details are."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(_tr("Unexpected problem"))
    box.setText(_tr("fpsdesk ran into an unexpected problem. Your data is safe."))
    box.setInformativeText(
        _tr("The details were written to the log file:\n{path}").format(path=log_path)
    )
    box.exec()
    box.deleteLater()


def save_csv_path(parent: QWidget | None, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(
        parent, _tr("Export CSV"), suggested, _tr("CSV files (*.csv)")
    )
    return path or None


def offer_refund_details(parent: QWidget | None, transaction_id: str, amount: str) -> bool:
    """A completed payment cannot be cancelled: say how it is refunded. True: copy its details."""
    return _ask(
        parent,
        QMessageBox.Icon.Information,
        _tr("Refund instead"),
        _tr(
            "{id} is completed: the money has moved, so FPS cannot cancel it. To give it back, "
            "refund it: an FPS Refund of up to {amount} for this transaction, sent from the "
            "system that takes your payments (or by whoever handles refunds). fpsdesk does not "
            "send refunds.\n\nCopy the transaction's details for that request?"
        ).format(id=transaction_id, amount=amount),
        _tr("Copy refund details"),
        _tr("Close"),
        default_yes=True,
    )


def open_ca_bundle(parent: QWidget | None, current: str) -> str | None:
    """A profile's CA bundle: a PEM file of extra CAs (an inspecting proxy's)."""
    path, _ = QFileDialog.getOpenFileName(
        parent,
        _tr("CA bundle"),
        current or str(Path.home()),
        _tr("PEM certificates (*.pem *.crt *.cer);;All files (*)"),
    )
    return path or None


def save_report_path(parent: QWidget | None, suggested: str, file_filter: str) -> str | None:
    """Where to save a report (PDF) or a chart (PNG); None if the agent backs out."""
    path, _ = QFileDialog.getSaveFileName(parent, _tr("Save report"), suggested, file_filter)
    return path or None


def export_report(
    parent: QWidget | None,
    suggested_name: str,
    file_filter: str,
    write: Callable[[Path], object],
    what: str,
) -> Path | None:
    """Ask where, then write; a write error is shown, never raised. The path written, or None."""
    chosen = save_report_path(parent, str(Path.home() / suggested_name), file_filter)
    if not chosen:
        return None
    try:
        write(Path(chosen))
    except OSError as exc:
        show_error(
            parent,
            _tr("Export failed"),
            _tr("Could not write {path}.").format(path=chosen),
            str(exc),
        )
        return None
    log.info("saved the %s to %s", what, chosen)
    return Path(chosen)


# -- bulk cancel --------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkPrompt:
    """What the bulk confirmation shows: how many, how much, where; whether it asks for a
    reason (not on a resume: the run keeps the one given first) and for the count typed."""

    count: int
    environment: str
    endpoint: str
    amounts: str  # "USD 1,234.50, EUR 20.00"
    needs_count_typed: bool
    job_id: int
    source: str = ""
    ask_reason: bool = True
    resume: bool = False
    reason_codes: tuple[ReasonCode, ...] = DEFAULT_REASON_CODES


class BulkCancelDialog(QDialog):
    """Confirm a bulk cancel: the number and amounts in large type, the environment, an
    optional reason, and in Production above 20 the number typed by hand."""

    def __init__(self, prompt: BulkPrompt, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompt = prompt
        self.setWindowTitle(self.tr("Bulk cancel"))
        self.setModal(True)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        if prompt.resume:
            text = self.tr(
                "Resume bulk run #{job}: cancel the {n} transaction(s) left?", "", prompt.count
            )
        else:
            text = self.tr("Cancel {n} transaction(s)?", "", prompt.count)
        heading = QLabel(text.format(n=f"{prompt.count:,}", job=prompt.job_id))
        heading.setWordWrap(True)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)
        note = QLabel(
            self.tr(
                "Each one is read again right before its Cancel is sent, and recorded in the "
                "history first. A Cancel cannot be undone. The run can be paused or stopped; "
                "a stopped run resumes where it stopped, never sending a Cancel twice."
            )
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        key = QFrame()
        key.setObjectName("keyfacts")
        key.setStyleSheet(
            "QFrame#keyfacts { background: palette(base); border: 1px solid palette(mid);"
            " border-radius: 6px; }"
        )
        grid = QGridLayout(key)
        grid.setContentsMargins(12, 8, 12, 10)
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(2)
        grid.addWidget(_caption(self.tr("Transactions to cancel")), 0, 0)
        grid.addWidget(_caption(self.tr("Amount held")), 0, 1)
        count = _plain(f"{prompt.count:,}")
        big = count.font()
        big.setPointSizeF(self.font().pointSizeF() * 1.8)
        big.setBold(True)
        count.setFont(big)
        self.amount_label = _plain(prompt.amounts or "—")
        self.amount_label.setFont(big)
        self.amount_label.setWordWrap(True)
        grid.addWidget(count, 1, 0)
        grid.addWidget(self.amount_label, 1, 1)
        grid.setColumnStretch(1, 1)
        layout.addWidget(key)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        env = theme.environment_look(prompt.environment, prompt.endpoint)
        env_label = QLabel(f" {env.label} ")
        env_label.setStyleSheet(
            f"background:{env.background}; color:{env.foreground}; border-radius:3px;"
            " font-weight:600; padding:1px 6px;"
        )
        env_label.setToolTip(env.tooltip)
        env_label.setAccessibleName(self.tr("Environment: {env}").format(env=env.label))
        env_row = QHBoxLayout()
        env_row.addWidget(env_label)
        env_row.addWidget(_plain(prompt.endpoint))
        env_row.addStretch(1)
        form.addRow(self.tr("Environment:"), env_row)
        form.addRow(self.tr("Bulk run:"), _plain(f"#{prompt.job_id}"))
        if prompt.source:
            source = _plain(prompt.source)
            source.setWordWrap(True)
            form.addRow(self.tr("From:"), source)
        layout.addLayout(form)
        self.picker = ReasonPicker(prompt.reason_codes, self.tr("e.g. Fraud wave of 28 November"))
        self.reason = self.picker.comment
        if prompt.ask_reason:
            layout.addWidget(self.picker)
        else:
            self.picker.hide()
        self.count_edit = QLineEdit()
        self.count_edit.setAccessibleName(self.tr("Number of transactions, typed to confirm"))
        self.count_edit.setAccessibleDescription(
            self.tr("Type how many transactions will be cancelled; a safeguard in Production")
        )
        if prompt.needs_count_typed:
            typed = QLabel(
                self.tr(
                    "This is Production: type the number of transactions ({n}) to confirm."
                ).format(n=prompt.count)
            )
            typed.setWordWrap(True)
            layout.addWidget(typed)
            layout.addWidget(self.count_edit)
        else:
            self.count_edit.hide()
        buttons = QDialogButtonBox()
        self.confirm_button = QPushButton(
            self.tr("Cancel {n} transaction(s)", "", prompt.count).format(n=f"{prompt.count:,}")
        )
        keep = QPushButton(self.tr("Go back"))
        self.confirm_button.setAccessibleDescription(
            self.tr("Starts sending the Cancels, throttled, with a report at the end")
        )
        keep.setAccessibleDescription(self.tr("Closes this without cancelling anything"))
        buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(keep, QDialogButtonBox.ButtonRole.RejectRole)
        keep.setDefault(True)  # Enter never confirms by accident
        self.confirm_button.setAutoDefault(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.count_edit.textChanged.connect(self._update_confirm)
        self.picker.code.currentIndexChanged.connect(self._update_confirm)
        self._update_confirm()
        if prompt.ask_reason:
            self.picker.code.setFocus()
        elif prompt.needs_count_typed:
            self.count_edit.setFocus()

    def count_typed(self) -> bool:
        return not self.prompt.needs_count_typed or self.count_edit.text().strip().replace(
            ",", ""
        ) == str(self.prompt.count)

    def ready(self) -> bool:
        """The count typed (when needed) and a reason code chosen (when asked)."""
        code_ok = not self.prompt.ask_reason or self.picker.chosen_code() is not None
        return self.count_typed() and code_ok

    def _update_confirm(self) -> None:
        self.confirm_button.setEnabled(self.ready())

    def accept(self) -> None:
        if self.ready():
            super().accept()

    def reason_text(self) -> str:
        return self.reason.toPlainText().strip()

    def choice(self) -> ReasonChoice:
        return ReasonChoice(self.picker.chosen_code(), self.reason_text())


def confirm_bulk_cancel(parent: QWidget | None, prompt: BulkPrompt) -> ReasonChoice | None:
    """The reason code and comment (both empty on a resume) if the agent confirms, None if
    they go back."""
    dialog = BulkCancelDialog(prompt, parent)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.ready():
            return dialog.choice()
        return None
    finally:
        dialog.deleteLater()


def open_bulk_file(parent: QWidget | None) -> str | None:
    """A CSV, TSV or text file of transaction IDs (any column), or None."""
    path, _ = QFileDialog.getOpenFileName(
        parent,
        _tr("Transactions to cancel"),
        "",
        _tr("Lists of transaction IDs (*.csv *.tsv *.txt);;All files (*)"),
    )
    return path or None


def offer_resume_bulk(parent: QWidget | None, text: str, details: str) -> bool:
    """An unfinished bulk run of this environment: resume it now? The default is Not now."""
    return _ask(
        parent,
        QMessageBox.Icon.Question,
        _tr("An unfinished bulk cancel"),
        text,
        _tr("Resume it"),
        _tr("Not now"),
        details=details,
    )


def confirm_close_during_bulk(parent: QWidget | None) -> bool:
    """Closing while a bulk run sends Cancels: it stops after the one in flight."""
    return confirm(
        parent,
        _tr("A bulk cancel is running"),
        _tr(
            "Closing stops the bulk run after the Cancel being sent now (fpsdesk waits for its "
            "answer). Nothing is lost: the next time fpsdesk starts it offers to resume the "
            "run, and no Cancel is sent twice.\n\nClose anyway?"
        ),
        _tr("Stop and close"),
    )


def export_csv(
    parent: QWidget | None, suggested_name: str, write: Callable[[Path], int], what: str
) -> None:
    """Ask where, write with ``write(path) -> rows written``; a write error is shown, not raised."""
    path = save_csv_path(parent, str(Path.home() / suggested_name))
    if not path:
        return
    try:
        count = write(Path(path))
    except OSError as exc:
        show_error(
            parent,
            _tr("Export failed"),
            _tr("Could not write {path}.").format(path=path),
            str(exc),
        )
        return
    log.info("exported %d %s to %s", count, what, path)
    show_exported(parent, count, Path(path))


def open_folder(path: Path) -> bool:
    """Open the folder holding ``path`` in the desktop's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


def show_exported(parent: QWidget | None, count: int, path: Path) -> QMessageBox:
    """Say how many rows went to which file, with a button that opens its folder. Not modal:
    the agent goes on working, and the note closes with its window."""
    rows = _tr("1 row") if count == 1 else _tr("{n} rows").format(n=count)
    box = QMessageBox(
        QMessageBox.Icon.Information,
        _tr("Export finished"),
        _tr("{rows} written to {name}").format(rows=rows, name=path.name),
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setInformativeText(_tr("in {folder}").format(folder=path.parent))
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    folder = box.addButton(_tr("Open folder"), QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    folder.clicked.connect(lambda: open_folder(path))
    box.setObjectName("export-finished")
    box.show()
    return box
