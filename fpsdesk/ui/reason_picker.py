"""What the two Cancel confirmations (cancel_dialog.py, bulk_cancel_dialog.py) share: the
reason a Cancel is sent with (a code from the profile's list and a comment), the plain labels
they show FPS's data in, the key-facts panel and the environment pill."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QWidget,
)

from fpsdesk.records.reasons import ReasonCode
from fpsdesk.ui import theme


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
        note = caption_label(self.tr("Both are recorded and sent to FPS as the description."))
        note.setWordWrap(True)
        layout.addRow("", note)

    def chosen_code(self) -> str | None:
        value = self.code.currentData()
        return value if isinstance(value, str) else None

    def choose(self, code: str) -> None:
        self.code.setCurrentIndex(self.code.findData(code))


def plain_label(text: str, selectable: bool = True) -> QLabel:
    """A label for data from FPS: shown as typed (never as HTML), selectable, never elided."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def caption_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


def key_facts_panel() -> tuple[QFrame, QGridLayout]:
    """The bordered panel both confirmations put their key facts in, in large type."""
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
    return key, grid


def environment_pill(environment: str, endpoint: str) -> QLabel:
    """The environment in its colours, as in the window's badge, inside a confirmation."""
    env = theme.environment_look(environment, endpoint)
    label = QLabel(f" {env.label} ")
    label.setStyleSheet(
        f"background:{env.background}; color:{env.foreground}; border-radius:3px;"
        " font-weight:600; padding:1px 6px;"
    )
    label.setToolTip(env.tooltip)
    label.setAccessibleName(
        QCoreApplication.translate("CancelDialog", "Environment: {env}").format(env=env.label)
    )
    return label
