"""The bulk cancel confirmation: how many and how much in large type, where, the reason, and in
Production above 20 the number typed by hand.

Loaded on the first bulk run (``dialogs.confirm_bulk_cancel``), not at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.ui.prompts import ReasonChoice
from fpsdesk.ui.reason_picker import (
    ReasonPicker,
    caption_label,
    environment_pill,
    key_facts_panel,
    plain_label,
)

if TYPE_CHECKING:
    from fpsdesk.ui.prompts import BulkPrompt


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
        self._build_heading(layout, prompt)
        self._build_key_facts(layout, prompt)
        self._build_form(layout, prompt)
        self.picker = ReasonPicker(prompt.reason_codes, self.tr("e.g. Fraud wave of 28 November"))
        self.reason = self.picker.comment
        if prompt.ask_reason:
            layout.addWidget(self.picker)
        else:
            self.picker.hide()
        self._build_count_typed(layout, prompt)
        self._build_buttons(layout, prompt)
        self.count_edit.textChanged.connect(self._update_confirm)
        self.picker.code.currentIndexChanged.connect(self._update_confirm)
        self._update_confirm()
        if prompt.ask_reason:
            self.picker.code.setFocus()
        elif prompt.needs_count_typed:
            self.count_edit.setFocus()

    def _build_heading(self, layout: QVBoxLayout, prompt: BulkPrompt) -> None:
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

    def _build_key_facts(self, layout: QVBoxLayout, prompt: BulkPrompt) -> None:
        """How many and how much, in large type."""
        key, grid = key_facts_panel()
        grid.addWidget(caption_label(self.tr("Transactions to cancel")), 0, 0)
        grid.addWidget(caption_label(self.tr("Amount held")), 0, 1)
        count = plain_label(f"{prompt.count:,}")
        big = count.font()
        big.setPointSizeF(self.font().pointSizeF() * 1.8)
        big.setBold(True)
        count.setFont(big)
        self.amount_label = plain_label(prompt.amounts or "—")
        self.amount_label.setFont(big)
        self.amount_label.setWordWrap(True)
        grid.addWidget(count, 1, 0)
        grid.addWidget(self.amount_label, 1, 1)
        grid.setColumnStretch(1, 1)
        layout.addWidget(key)

    def _build_form(self, layout: QVBoxLayout, prompt: BulkPrompt) -> None:
        """Where it runs, which run, from which file."""
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        env_label = environment_pill(prompt.environment, prompt.endpoint)
        env_row = QHBoxLayout()
        env_row.addWidget(env_label)
        env_row.addWidget(plain_label(prompt.endpoint))
        env_row.addStretch(1)
        form.addRow(self.tr("Environment:"), env_row)
        form.addRow(self.tr("Bulk run:"), plain_label(f"#{prompt.job_id}"))
        if prompt.source:
            source = plain_label(prompt.source)
            source.setWordWrap(True)
            form.addRow(self.tr("From:"), source)
        layout.addLayout(form)

    def _build_count_typed(self, layout: QVBoxLayout, prompt: BulkPrompt) -> None:
        """In Production above 20: the number, typed by hand to confirm."""
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

    def _build_buttons(self, layout: QVBoxLayout, prompt: BulkPrompt) -> None:
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
