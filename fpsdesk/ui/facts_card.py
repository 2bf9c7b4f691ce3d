"""The facts card of the transaction page: identifiers, parties, dates, fees, and the related
transactions as links that open them."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QWidget,
)

from fpsdesk.fps.models import TransactionDetail, TransactionStatus
from fpsdesk.ui import theme
from fpsdesk.ui.buttons import CopyField
from fpsdesk.ui.widgets import Card, format_time, keep_words_whole

PAYMENT_METHODS = {
    "CC": "Credit card",
    "ACH": "Bank account",
    "ABT": "Amazon Payments balance",
    "Debt": "Debt balance",
    "Prepaid": "Prepaid balance",
}


class FactsCard(Card):
    """Two columns of facts (one under the other in a narrow window); every value selectable,
    FPS's free text shown as plain text."""

    related_clicked = Signal(str)  # a related transaction's ID link: open it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: TransactionDetail | None = None
        self._related_of: str | None = None  # whose related statuses _related_status holds
        self._related_status: dict[str, TransactionStatus] = {}
        facts_layout = QHBoxLayout(self)
        facts_layout.setContentsMargins(16, 12, 16, 12)
        facts_layout.setSpacing(32)
        left, right = QFormLayout(), QFormLayout()
        for form in (left, right):
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
            form.setHorizontalSpacing(12)
            form.setVerticalSpacing(6)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.transaction_id = CopyField()
        self.transaction_id.label.setFont(theme.mono_font())
        self.transaction_id.set_value(None)  # as clear() leaves it
        self.fields: dict[str, QLabel] = {}
        left.addRow(self.tr("Transaction ID"), self.transaction_id)
        for key, caption in (
            ("operation", self.tr("Operation")),
            ("payment_method", self.tr("Payment method")),
            ("caller_reference", self.tr("Caller reference")),
            ("description", self.tr("Description")),
            ("related", self.tr("Related")),
        ):
            left.addRow(caption, self._field(key))
        for key, caption in (
            ("sender", self.tr("Sender")),
            ("recipient", self.tr("Recipient")),
            ("received", self.tr("Received")),
            ("completed", self.tr("Completed")),
            ("fees", self.tr("FPS fees")),
            ("caller", self.tr("Caller")),
        ):
            right.addRow(caption, self._field(key))
        facts_layout.addLayout(left, 3)
        facts_layout.addLayout(right, 2)
        self._facts_layout = facts_layout
        self._facts_columns = (left, right)

    def _field(self, key: str) -> QLabel:
        label = QLabel("—")
        label.setTextFormat(Qt.TextFormat.PlainText)  # FPS's free text, never HTML
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if key == "related":  # links to the related transactions, by mouse or keyboard
            label.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.LinksAccessibleByMouse
                | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
            )
            label.linkActivated.connect(self._open_related)
        label.setWordWrap(True)
        label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.fields[key] = label
        return label

    def show_detail(self, detail: TransactionDetail) -> None:
        self.detail = detail
        self.transaction_id.set_value(detail.transaction_id)
        method = detail.payment_method
        self._set("operation", detail.fps_operation)
        self._set(
            "payment_method",
            f"{self.tr(PAYMENT_METHODS[method])} ({method})"
            if method in PAYMENT_METHODS
            else method,
        )
        self._set("caller_reference", detail.caller_reference)
        self._set("description", detail.caller_description or detail.sender_description)
        self._set_related(detail)
        self._set("sender", person(detail.sender_name, detail.sender_email))
        self._set("recipient", person(detail.recipient_name, detail.recipient_email))
        self._set("received", format_time(detail.date_received))
        self._set(
            "completed", format_time(detail.date_completed) if detail.date_completed else None
        )
        self._set("fees", f"{detail.fps_fees} ({self.tr('paid by')} {detail.fps_fees_paid_by})")
        self._set("caller", detail.caller_name)

    def clear(self) -> None:
        """Every fact back to "—", as before the first look-up."""
        self.detail = None
        self._related_of = None
        self._related_status = {}
        self.transaction_id.set_value(None)
        for key, label in self.fields.items():
            if key == "related":
                label.setTextFormat(Qt.TextFormat.PlainText)
                label.setToolTip("")
            self._set(key, None)

    def _set(self, key: str, value: str | None) -> None:
        self.fields[key].setText(value or "—")
        keep_words_whole(self.fields[key])  # an e-mail or an ID wraps whole, never cut

    def set_related_status(self, transaction_id: str, status: TransactionStatus) -> None:
        """A related transaction's status, read after the page was shown, beside its link."""
        if self.detail is None or all(
            r.transaction_id != transaction_id for r in self.detail.related_transactions
        ):
            return  # another page by now
        self._related_status[transaction_id] = status
        self._set_related(self.detail)

    def _set_related(self, detail: TransactionDetail) -> None:
        """Each related transaction as a link that opens it, with its status once read."""
        label = self.fields["related"]
        if self._related_of != detail.transaction_id:
            self._related_of = detail.transaction_id
            self._related_status = {}
        links = []
        for r in detail.related_transactions:
            link = (
                f"{html.escape(r.relation_type or self.tr('Related'))}: "
                f"<a href='txn:{html.escape(r.transaction_id)}'>"
                f"<span style='font-family: monospace'>{html.escape(r.transaction_id)}</span></a>"
            )
            status = self._related_status.get(r.transaction_id)
            if status is not None:
                link += f" · {html.escape(theme.status_look(status).label)}"
            links.append(link)
        if not links:
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setText("—")
            label.setToolTip("")
            return
        label.setTextFormat(Qt.TextFormat.RichText)  # only escaped FPS text inside
        label.setText("<br>".join(links))
        label.setToolTip(self.tr("Open a related transaction to see it with its status"))

    def _open_related(self, link: str) -> None:
        if link.startswith("txn:"):
            self.related_clicked.emit(link[4:])

    def reflow(self, room: int) -> None:
        """The two columns side by side when ``room`` fits them, one under the other if not."""
        facts = self._facts_layout
        left, right = self._facts_columns
        fm = facts.contentsMargins()
        side_by_side = (
            left.minimumSize().width()
            + right.minimumSize().width()
            + facts.spacing()
            + fm.left()
            + fm.right()
            + 8
        )
        direction = (
            QBoxLayout.Direction.TopToBottom
            if side_by_side > room
            else QBoxLayout.Direction.LeftToRight
        )
        if facts.direction() != direction:
            facts.setDirection(direction)


def person(name: str | None, email: str | None) -> str | None:
    """A party as "Name <e-mail>", or whichever of the two FPS gave."""
    if name and email:
        return f"{name} <{email}>"
    return name or email


def refund_details(detail: TransactionDetail, environment: str) -> str:
    """What a refund request needs, as plain text to paste into a ticket or the payments tool."""
    lines = [
        "Refund request",
        f"Transaction ID: {detail.transaction_id}",
        f"Amount: {detail.transaction_amount}",
        f"Operation: {detail.fps_operation}",
        f"Sender: {person(detail.sender_name, detail.sender_email) or '-'}",
        f"Caller reference: {detail.caller_reference or '-'}",
        f"Description: {detail.caller_description or detail.sender_description or '-'}",
        f"Environment: {environment}",
    ]
    return "\n".join(lines)
