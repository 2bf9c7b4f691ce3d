"""The Cancel confirmation: the transaction and its amount, who paid, for what, its status and
where it runs, and the reason; and the wording of the other questions asked around a Cancel.

Loaded on the first Cancel (``dialogs.confirm_cancel``), not at start-up.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.ui import theme
from fpsdesk.ui.prompts import ReasonChoice
from fpsdesk.ui.reason_picker import (
    ReasonPicker,
    caption_label,
    environment_pill,
    key_facts_panel,
    plain_label,
)
from fpsdesk.ui.widgets import short_id

if TYPE_CHECKING:
    from fpsdesk.ui.prompts import CancelPrompt


def _tr(text: str) -> str:
    return QCoreApplication.translate("dialogs", text)


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
        self._build_heading(layout)
        self._build_key_facts(layout, prompt)
        self._build_form(layout, prompt)
        self.picker = ReasonPicker(
            prompt.reason_codes, self.tr("e.g. Customer asked to cancel the order")
        )
        self.reason = self.picker.comment
        layout.addWidget(self.picker)
        self._build_buttons(layout)
        self.picker.code.currentIndexChanged.connect(self._update_confirm)
        self._update_confirm()
        self.picker.code.setFocus()

    def _build_heading(self, layout: QVBoxLayout) -> None:
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

    def _build_key_facts(self, layout: QVBoxLayout, prompt: CancelPrompt) -> None:
        """The two facts the agent checks against the ticket: the ID, and the amount beside it
        in large type. Neither wraps nor is elided: the dialog grows to fit them."""
        key, grid = key_facts_panel()
        grid.addWidget(caption_label(self.tr("Transaction ID")), 0, 0)
        amount_caption = caption_label(self.tr("Amount"))
        amount_caption.setAlignment(Qt.AlignmentFlag.AlignRight)
        grid.addWidget(amount_caption, 0, 1)
        self.transaction_label = plain_label(prompt.transaction_id)
        mono = theme.mono_font()
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(self.font().pointSizeF() * 1.1)
        self.transaction_label.setFont(mono)
        self.transaction_label.setAccessibleName(
            self.tr("Transaction ID: {id}").format(id=prompt.transaction_id)
        )
        self.amount_label = plain_label(prompt.amount)
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

    def _build_form(self, layout: QVBoxLayout, prompt: CancelPrompt) -> None:
        """Who paid, for what, the current status, the operation and the environment."""
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        sender = _person(prompt.sender_name, prompt.sender_email)
        if sender:
            form.addRow(self.tr("Sender:"), plain_label(sender))
        if prompt.description:
            description = plain_label(prompt.description)
            description.setWordWrap(True)
            form.addRow(self.tr("Description:"), description)
        if prompt.caller_reference:
            form.addRow(self.tr("Caller reference:"), plain_label(prompt.caller_reference))
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
            form.addRow(self.tr("Operation:"), plain_label(prompt.operation))
        env_label = environment_pill(prompt.environment, prompt.endpoint)
        env_row = QHBoxLayout()
        env_row.addWidget(env_label)
        env_row.addStretch(1)
        form.addRow(self.tr("Environment:"), env_row)
        layout.addLayout(form)

    def _build_buttons(self, layout: QVBoxLayout) -> None:
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


def lookup_first_text(page_id: str, field_id: str | None) -> tuple[str, str, str]:
    """The title, rich details and offer button of ``dialogs.offer_lookup_first``."""
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
    return title, details, yes_text


def second_cancel_details(needs: Any) -> str:
    """The earlier Cancels of ``dialogs.confirm_second_cancel`` (a messages.CancelNeedsAgain),
    as rich text: when, by whom, and what is known of each."""
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
    return (
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
