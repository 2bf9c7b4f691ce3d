"""The transaction page: status, facts, the Cancel action, and the histories.

Passive: the main window feeds it a TransactionDetail, the action records and the IPNs, and
tells it the Cancel state; the view only lays them out and says why Cancel is unavailable.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.fps.models import TransactionDetail, TransactionStatus
from fpsdesk.records.reasons import shown_reason
from fpsdesk.store.actions import ActionRecord
from fpsdesk.ui import theme
from fpsdesk.ui.timeline import TimelineEvent, build_timeline
from fpsdesk.ui.widgets import (
    Card,
    CopyField,
    EmptyState,
    ResultBanner,
    StatusChip,
    accessible,
    format_time,
    keep_words_whole,
    short_id,
    status_item,
)

PAYMENT_METHODS = {
    "CC": "Credit card",
    "ACH": "Bank account",
    "ABT": "Amazon Payments balance",
    "Debt": "Debt balance",
    "Prepaid": "Prepaid balance",
}


def make_table(headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    # Tab leaves the table (arrows move inside it): one Tab stop, never a cell-by-cell trap.
    table.setTabKeyNavigation(False)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _item(text: str | None, mono: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text or "—")
    if text:
        item.setToolTip(text)
    if mono:
        item.setFont(theme.mono_font())
    return item


class TableOrEmpty(QStackedWidget):
    """A table that shows an explanation when it has no rows."""

    def __init__(
        self, table: QTableWidget, empty: EmptyState, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.table = table
        self.empty = empty
        self.addWidget(empty)
        self.addWidget(table)

    def refresh(self) -> None:
        self.setCurrentWidget(self.table if self.table.rowCount() else self.empty)


class TransactionView(QWidget):
    HISTORY_MIN_HEIGHT = 180  # header and about four rows of the timeline

    cancel_clicked = Signal()
    refresh_clicked = Signal()
    # The ID field no longer shows this transaction: look up what it shows instead, or (the
    # field is empty or holds no valid ID) put this transaction's ID back in it.
    lookup_field_clicked = Signal()
    restore_field_clicked = Signal()
    refund_help_clicked = Signal()  # "Completed: refund instead": how, and the details to copy
    related_clicked = Signal(str)  # a related transaction's ID link: open it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: TransactionDetail | None = None
        self._related_of: str | None = None  # whose related statuses _related_status holds
        self._related_status: dict[str, TransactionStatus] = {}
        # In a short window (a laptop at 1.5x, notices above the tabs) the page scrolls rather
        # than squeezing the cards until their lines overlap; the histories get the rest.
        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        self.page_scroll = QScrollArea()
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        self.page_scroll.setWidget(content)
        page.addWidget(self.page_scroll)
        # PySide6 sets up the Python types of every scroll area the first time one's viewport()
        # is asked for (38 enum classes, about 12 ms): here, while the page is built ahead of
        # time, rather than in the first look-up's _reflow.
        self.page_scroll.viewport()
        outer = QVBoxLayout(content)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(10)

        self.banner = ResultBanner()
        outer.addWidget(self.banner)
        # A newer Verified IPN says something else than this page: prominent, above the card,
        # until the page is read again (Cancel is off meanwhile).
        self.stale_label = QLabel()
        self.stale_label.setObjectName("stale")
        self.stale_label.setWordWrap(True)
        self.stale_label.setAccessibleName(self.tr("This page may be out of date"))
        self.stale_label.hide()
        outer.addWidget(self.stale_label)
        self.stale_text = ""
        # What the sources disagree on (from the timeline), on the page, not only in its tab.
        self.flags_label = QLabel()
        self.flags_label.setWordWrap(True)
        self.flags_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.flags_label.setAccessibleName(self.tr("Things to check"))
        self.flags_label.hide()
        outer.addWidget(self.flags_label)
        self._build_summary(outer)
        self._build_facts(outer)
        self._build_histories(outer)
        # Every badge this page can show, drawn now rather than in a look-up's first frame.
        theme.warm_up((26,), self.devicePixelRatioF() or 1.0)

    def _build_summary(self, outer: QVBoxLayout) -> None:
        """The summary card: status, amount, the action buttons."""
        summary = Card()
        grid = QGridLayout(summary)
        grid.setContentsMargins(16, 14, 16, 14)
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(4)
        self.status_chip = StatusChip(icon_size=26, bold=True)
        self.status_code = QLabel()
        self.status_code.setWordWrap(True)
        self.status_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_code.setStyleSheet("color: palette(placeholder-text);")
        grid.addWidget(self.status_chip, 0, 0)
        grid.addWidget(self.status_code, 1, 0)
        # When this page was read, and FPS's RequestId for that read (whole, selectable).
        self.read_label = QLabel()
        self.read_label.setWordWrap(True)
        self.read_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.read_label.setStyleSheet("color: palette(placeholder-text);")
        self.read_label.setAccessibleName(self.tr("When this page was read"))
        self.read_label.hide()
        grid.addWidget(self.read_label, 2, 0, 1, 2)

        self.amount = QLabel()
        amount_font = self.amount.font()
        amount_font.setPointSizeF(amount_font.pointSizeF() * 1.6)
        amount_font.setBold(True)
        self.amount.setFont(amount_font)
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.amount_caption = QLabel()
        self.amount_caption.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.amount_caption.setStyleSheet("color: palette(placeholder-text);")
        grid.addWidget(self.amount, 0, 1)
        grid.addWidget(self.amount_caption, 1, 1)

        action_box = QVBoxLayout()
        action_box.setSpacing(4)
        buttons = QHBoxLayout()
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.refresh_button.setToolTip(self.tr("Read the transaction again (F5)"))
        self.refresh_button.clicked.connect(self.refresh_clicked)
        self.cancel_button = QPushButton(self.tr("Cancel transaction…"))
        self.cancel_button.setMinimumWidth(170)
        self.cancel_button.setObjectName("danger")
        self.cancel_button.setStyleSheet(
            "QPushButton#danger:enabled { background: #b42318; color: white;"
            " border: 1px solid #912018; border-radius: 4px; padding: 5px 14px;"
            " font-weight: 600; }"
            "QPushButton#danger:enabled:hover { background: #912018; }"
            "QPushButton#danger:enabled:focus { border: 2px solid palette(highlight); }"
        )
        self.cancel_button.clicked.connect(self.cancel_clicked)
        # Shown only while the ID field shows another transaction than this page.
        self.lookup_first_button = QPushButton()
        self.lookup_first_button.clicked.connect(self._on_lookup_first)
        self.lookup_first_button.hide()
        self._offer = ""  # "lookup" | "restore" | ""
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.lookup_first_button)
        buttons.addWidget(self.cancel_button)
        self.cancel_hint = QLabel()
        self.cancel_hint.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.cancel_hint.setWordWrap(True)
        self.cancel_hint.setStyleSheet("color: palette(placeholder-text);")
        # The next step when Cancel cannot be it: a completed payment is refunded instead.
        self.refund_button = QPushButton(self.tr("How to refund…"))
        self.refund_button.setAccessibleDescription(
            self.tr("Explains how to refund a completed payment and copies its details")
        )
        self.refund_button.clicked.connect(self.refund_help_clicked)
        self.refund_button.hide()
        action_box.addLayout(buttons)
        action_box.addWidget(self.cancel_hint)
        action_box.addWidget(self.refund_button, 0, Qt.AlignmentFlag.AlignRight)
        grid.addLayout(action_box, 0, 2, 2, 1, Qt.AlignmentFlag.AlignRight)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        outer.addWidget(summary)
        # In a narrow window (or with large text) the buttons go under the status and amount,
        # and the two columns of facts one under the other: nothing needs a sideways scroll.
        self._summary_grid = grid
        self._action_box = action_box
        self._actions_below = False

    def _build_facts(self, outer: QVBoxLayout) -> None:
        """The facts card: identifiers, parties, dates, fees."""
        facts = Card()
        facts_layout = QHBoxLayout(facts)
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
        outer.addWidget(facts)

    def _build_histories(self, outer: QVBoxLayout) -> None:
        """The histories: timeline, FPS status history, notifications, staff actions."""
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        accessible(
            self.tabs.tabBar(),
            self.tr("The timeline, FPS's status history, its notifications and staff actions"),
            self.tr("Histories"),
        )
        self._batching = False
        self._ipn_records: list[Any] = []
        self._action_records: list[ActionRecord] = []
        self.timeline_events: list[TimelineEvent] = []
        timeline_page = QWidget()
        timeline_layout = QVBoxLayout(timeline_page)
        timeline_layout.setContentsMargins(0, 6, 0, 0)
        timeline_layout.setSpacing(6)
        self.timeline_table = make_table(
            [
                self.tr("When"),
                self.tr("Source"),
                self.tr("Event"),
                self.tr("Signature"),
                self.tr("Details"),
            ]
        )
        accessible(
            self.timeline_table,
            self.tr("Status changes, notifications and staff actions, oldest first"),
            self.tr("Timeline"),
        )
        self.timeline = TableOrEmpty(
            self.timeline_table,
            EmptyState(self.tr("Nothing yet"), self.tr("Look up a transaction.")),
        )
        timeline_layout.addWidget(self.timeline, 1)
        self.history_table = make_table(
            [self.tr("When"), self.tr("Status"), self.tr("Status code"), self.tr("Amount")]
        )
        accessible(self.history_table, self.tr("FPS's status history"), self.tr("Status history"))
        self.history = TableOrEmpty(
            self.history_table,
            EmptyState(self.tr("No status history"), self.tr("FPS returned no history.")),
        )
        # "When" is when a thing happened, in every table; "Received" only ever means when
        # fpsdesk received an IPN (Notifications) or FPS a payment (the facts card).
        self.ipn_table = make_table(
            [
                self.tr("When"),
                self.tr("Status"),
                self.tr("Operation"),
                self.tr("Amount"),
                self.tr("Signature"),
                self.tr("Deliveries"),
            ]
        )
        accessible(
            self.ipn_table,
            self.tr("Notifications of this transaction; double-click to see them all"),
            self.tr("Notifications (IPN)"),
        )
        self.ipns = TableOrEmpty(
            self.ipn_table,
            EmptyState(
                self.tr("No notifications yet"),
                self.tr(
                    "No IPN for this transaction has been received or imported. "
                    "Notifications appear here as they arrive."
                ),
            ),
        )
        self.actions_table = make_table(
            [
                self.tr("When"),
                self.tr("Who"),
                self.tr("Action"),
                self.tr("Result"),
                self.tr("Reason"),
                self.tr("RequestId"),
            ]
        )
        accessible(
            self.actions_table,
            self.tr("What staff did to this transaction through fpsdesk"),
            self.tr("Staff actions"),
        )
        self.actions_list = TableOrEmpty(
            self.actions_table,
            EmptyState(
                self.tr("No actions from fpsdesk"),
                self.tr("Cancels sent from fpsdesk are listed here with who, when and why."),
            ),
        )
        self.tabs.addTab(timeline_page, self.tr("Timeline"))
        self.tabs.addTab(self.history, self.tr("Status history"))
        self.tabs.addTab(self.ipns, self.tr("Notifications (IPN)"))
        self.tabs.addTab(self.actions_list, self.tr("Staff actions"))
        for index, tip in enumerate(
            (
                self.tr("Everything that happened to it, oldest first, contradictions flagged"),
                self.tr("The status history FPS returned"),
                self.tr("The notifications received for it, with their signature verdicts"),
                self.tr("What staff did to it through fpsdesk"),
            )
        ):
            self.tabs.setTabToolTip(index, tip)
        self.tabs.setMinimumHeight(self.HISTORY_MIN_HEIGHT)
        outer.addWidget(self.tabs, 1)

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

    # -- feeding --------------------------------------------------------------------------

    def show_detail(self, detail: TransactionDetail) -> None:
        self.detail = detail
        self.mark_stale("")  # a fresh read
        status = detail.transaction_status
        look = theme.status_look(status)
        self.status_chip.set_look(look)
        self.status_code.setText(status_line(detail.status_code, detail.status_message, look))
        self.amount.setText(str(detail.transaction_amount))
        self.amount_caption.setText(detail.fps_operation)
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
        self._set("sender", _person(detail.sender_name, detail.sender_email))
        self._set("recipient", _person(detail.recipient_name, detail.recipient_email))
        self._set("received", format_time(detail.date_received))
        self._set(
            "completed", format_time(detail.date_completed) if detail.date_completed else None
        )
        self._set("fees", f"{detail.fps_fees} ({self.tr('paid by')} {detail.fps_fees_paid_by})")
        self._set("caller", detail.caller_name)
        # Once the new texts are laid out (and the page is on screen).
        QTimer.singleShot(0, self, self._reflow)
        table = self.history_table
        table.setRowCount(0)
        for entry in sorted(detail.status_history, key=lambda e: e.date):
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, _item(format_time(entry.date)))
            table.setItem(row, 1, status_item(theme.status_look(entry.transaction_status)))
            table.setItem(row, 2, _item(entry.status_code))
            table.setItem(row, 3, _item(str(entry.amount) if entry.amount else None))
        self.history.refresh()
        self._tab_titles()
        self.rebuild_timeline()

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

    def set_read(self, text: str) -> None:
        self.read_label.setText(text)
        keep_words_whole(self.read_label)
        self.read_label.setVisible(bool(text))

    def mark_stale(self, text: str) -> None:
        """Say prominently that a newer notification contradicts this page ("" clears it)."""
        self.stale_text = text
        self.stale_label.setText(f"⚠ {text}" if text else "")
        if text:
            warn = theme.outcome_look("unknown").color().name()
            self.stale_label.setStyleSheet(
                f"QLabel#stale {{ color: {warn}; font-weight: 600; border: 2px solid {warn};"
                " border-radius: 6px; padding: 8px 10px; background: palette(base); }"
            )
        self.stale_label.setVisible(bool(text))

    def newer_trusted_ipn(self) -> Any | None:
        """The newest Verified IPN, if it is newer than FPS's last status change and says
        another status than the page: the page is out of date."""
        detail = self.detail
        if detail is None:
            return None
        trusted = [
            r
            for r in self._ipn_records
            if r.transaction_id == detail.transaction_id
            and r.verdict.value == "verified"
            and r.transaction_status is not None
        ]
        if not trusted:
            return None
        newest = max(trusted, key=lambda r: _aware(r.event_at))
        latest = max((_aware(e.date) for e in detail.status_history), default=None)
        if newest.transaction_status == detail.transaction_status:
            return None
        if latest is not None and _aware(newest.event_at) <= latest:
            return None
        return newest

    def _set(self, key: str, value: str | None) -> None:
        self.fields[key].setText(value or "—")
        keep_words_whole(self.fields[key])  # an e-mail or an ID wraps whole, never cut

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self, self._reflow)

    def _reflow(self) -> None:
        """Side by side when the page is wide enough, one under the other when it is not."""
        room = self.page_scroll.viewport().width()
        grid = self._summary_grid
        margins = grid.contentsMargins()
        beside = (
            self.status_chip.minimumSizeHint().width()
            + max(self.amount.sizeHint().width(), self.amount_caption.sizeHint().width())
            + self._action_box.sizeHint().width()
            + 2 * grid.horizontalSpacing()
            + margins.left()
            + margins.right()
            + 8
        )
        below = beside > room
        if below != self._actions_below:
            self._actions_below = below
            grid.removeItem(self._action_box)
            if below:
                grid.addLayout(self._action_box, 3, 0, 1, 2, Qt.AlignmentFlag.AlignRight)
            else:
                grid.addLayout(self._action_box, 0, 2, 2, 1, Qt.AlignmentFlag.AlignRight)
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
        self._fit_hint()

    def set_actions(self, records: Sequence[ActionRecord]) -> None:
        from fpsdesk.desk.owner import agent_of

        table = self.actions_table
        table.setRowCount(0)
        for record in sorted(records, key=lambda r: r.created_at, reverse=True):
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, _item(format_time(record.created_at)))
            # Who did it, and on which desk: on a shared history it may be anyone on the team.
            table.setItem(row, 1, _item(agent_of(record)))
            table.setItem(row, 2, _item(record.kind))
            look = theme.outcome_look(record.outcome.value)
            text = look.label
            if record.status_after:
                text = f"{look.label}: {theme.status_look(record.status_after).label}"
            if record.error_code:
                text = f"{look.label}: {record.error_code}"
            table.setItem(row, 3, status_item(look, text))
            table.setItem(row, 4, _item(shown_reason(record.reason_code, record.reason)))
            table.setItem(row, 5, _item(record.request_id, mono=True))
        self.actions_list.refresh()
        self._action_records = list(records)
        self._tab_titles()
        self.rebuild_timeline()

    def set_ipns(self, records: Sequence[Any]) -> None:
        """One transaction's stored IPNs (``fpsdesk.store.ipns.IpnRecord``), oldest first."""
        table = self.ipn_table
        table.setRowCount(0)
        for ipn in records:
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, _item(format_time(ipn.event_at)))
            table.setItem(row, 1, _ipn_status_item(ipn.transaction_status, ipn.verdict.value))
            table.setItem(row, 2, _item(ipn.operation))
            table.setItem(row, 3, _item(str(ipn.amount) if ipn.amount else None))
            verdict = theme.verdict_look(ipn.verdict.value)
            reason = ipn.reason
            table.setItem(
                row, 4, status_item(verdict, f"{verdict.label}: {reason}" if reason else None)
            )
            table.setItem(row, 5, _item(str(ipn.delivery_count)))
        self.ipns.refresh()
        self._ipn_records = list(records)
        self._tab_titles()
        self.rebuild_timeline()

    def _tab_titles(self) -> None:
        counts = (
            (1, self.tr("Status history"), self.history_table.rowCount()),
            (2, self.tr("Notifications (IPN)"), self.ipn_table.rowCount()),
            (3, self.tr("Staff actions"), self.actions_table.rowCount()),
        )
        for index, title, count in counts:
            self.tabs.setTabText(index, f"{title} ({count})" if count else title)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Feed detail, actions and IPNs together; the timeline is built once, at the end."""
        self._batching = True
        try:
            yield
        finally:
            self._batching = False
            self.rebuild_timeline()

    def rebuild_timeline(self) -> None:
        """Merge the three sources, oldest first, and flag where they disagree."""
        if self._batching:
            return
        ipns = [
            r
            for r in self._ipn_records
            if self.detail is None or r.transaction_id == self.detail.transaction_id
        ]
        actions = [
            r
            for r in self._action_records
            if self.detail is None or r.transaction_id == self.detail.transaction_id
        ]
        events = build_timeline(self.detail, ipns, actions)
        self.timeline_events = events
        table = self.timeline_table
        table.setUpdatesEnabled(False)
        table.setRowCount(0)
        warn = theme.outcome_look("unknown")
        for event in events:
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, _item(format_time(event.when)))
            table.setItem(row, 1, _item(self.tr(event.source)))
            if event.kind == "action":
                event_item = status_item(theme.outcome_look(event.outcome or ""), event.title)
            elif event.kind == "ipn":
                event_item = _ipn_status_item(event.status, event.verdict, event.title)
            else:
                event_item = status_item(theme.status_look(event.status), event.title)
            table.setItem(row, 2, event_item)
            if event.verdict:
                table.setItem(row, 3, status_item(theme.verdict_look(event.verdict)))
            else:
                table.setItem(row, 3, QTableWidgetItem(""))
            text = event.detail
            if event.request_id:
                text = f"{text} · RequestId {event.request_id}" if text else event.request_id
            if event.flag:
                item = QTableWidgetItem(theme.look_icon(warn), f"{event.flag}  {text}".strip())
                item.setForeground(warn.color())
                item.setToolTip(event.flag)
            else:
                item = _item(text or "")
            table.setItem(row, 4, item)
        table.setUpdatesEnabled(True)
        self.timeline.refresh()
        flags = [e.flag for e in events if e.flag]
        if flags:
            color = warn.color().name()
            self.flags_label.setText(
                self.tr("⚠ {n} thing(s) to check: {flags}", "", len(flags)).format(
                    n=len(flags), flags=" ".join(flags)
                )
            )
            self.flags_label.setStyleSheet(f"color: {color}; font-weight: 600;")
        self.flags_label.setVisible(bool(flags))

    def update_cancel_button(
        self,
        *,
        in_flight_text: str = "",
        blocked_text: str = "",
        connected: bool = True,
        field_id: str | None = None,
        check_field: bool = False,
        earlier_note: str = "",
    ) -> None:
        """Enable Cancel only for Reserved/Pending, and (with ``check_field``) only while the
        ID field shows this very transaction (``field_id``: the field's ID after the look-up's
        own normalising, None if it holds none); otherwise say why not, in words."""
        detail = self.detail
        reason = ""
        enabled = False
        offer = ""
        if in_flight_text:
            reason = in_flight_text
        elif blocked_text:
            reason = blocked_text
        elif not connected:
            reason = self.tr("Not connected: open Settings.")
        elif detail is None:
            reason = ""
        elif self.stale_text:
            reason = self.tr("Reading it again first: a newer notification says otherwise.")
        else:
            status = detail.transaction_status
            if status.cancellable and check_field and field_id != detail.transaction_id:
                if field_id:
                    offer = "lookup"
                    reason = self.tr(
                        "The ID field shows another transaction: press Enter to look it up first."
                    )
                else:
                    offer = "restore"
                    reason = self.tr(
                        "The ID field does not show this transaction: put its ID back to cancel it."
                    )
            elif status.cancellable:
                enabled = True
                reason = earlier_note or self.tr("{status}: can be cancelled.").format(
                    status=theme.status_look(status).label
                )
            else:
                reason = {
                    TransactionStatus.SUCCESS: self.tr("Completed: refund instead."),
                    TransactionStatus.FAILURE: self.tr("Failed: nothing to cancel."),
                    TransactionStatus.CANCELLED: self.tr("The reserve expired: nothing to cancel.")
                    if detail.status_code == "Expired"
                    else self.tr("Already cancelled."),
                }.get(status, "")
        self.cancel_button.setEnabled(enabled)
        self.cancel_button.setText(in_flight_text or self.tr("Cancel transaction…"))
        self._fit_cancel_button()
        self.cancel_hint.setText(reason if not in_flight_text else "")
        if offer or (enabled and earlier_note):  # worth noticing: where the eye already is
            warn = theme.outcome_look("unknown").color().name()
            self.cancel_hint.setStyleSheet(f"color: {warn}; font-weight: 600;")
        else:
            self.cancel_hint.setStyleSheet("color: palette(placeholder-text);")
        self.cancel_button.setToolTip(reason)
        self.cancel_button.setAccessibleDescription(reason)
        self.refund_button.setVisible(
            not (in_flight_text or blocked_text)
            and connected
            and detail is not None
            and detail.transaction_status is TransactionStatus.SUCCESS
        )
        self._fit_hint()
        self._show_offer(offer, field_id or "")

    def _fit_hint(self) -> None:
        """The grid does not give a wrapped label nested in its action column the height its
        lines need at large text sizes: ask for it."""
        hint = self.cancel_hint
        hint.setMinimumHeight(hint.heightForWidth(max(hint.width(), 1)) if hint.text() else 0)

    def _fit_cancel_button(self) -> None:
        """Wide enough for its bold text plus the style sheet's padding: the sheet's padding is
        not in the size hint, so without this "Cancel transaction…" loses its first letter."""
        button = self.cancel_button
        text = button.fontMetrics().horizontalAdvance(button.text())
        button.setMinimumWidth(max(170, text + 2 * 14 + 2 * 2 + 12))

    def _show_offer(self, offer: str, field_id: str) -> None:
        self._offer = offer
        button = self.lookup_first_button
        if offer == "lookup":
            shown = self.detail.transaction_id if self.detail is not None else ""
            button.setText(self.tr("Look up {id} first").format(id=short_id(field_id, other=shown)))
            tip = self.tr("Look up {id}, the transaction the ID field shows (Enter)").format(
                id=field_id
            )
        elif offer == "restore" and self.detail is not None:
            shown = self.detail.transaction_id
            button.setText(self.tr("Put {id} back").format(id=short_id(shown)))
            tip = self.tr("Put {id}, the transaction on this page, back in the ID field").format(
                id=shown
            )
        else:
            button.hide()
            return
        button.setToolTip(tip)
        button.setAccessibleDescription(tip)
        button.show()

    @property
    def field_offer(self) -> str:
        """What the offer button does now: "lookup", "restore", or "" (not shown)."""
        return self._offer

    def _on_lookup_first(self) -> None:
        if self._offer == "lookup":
            self.lookup_field_clicked.emit()
        elif self._offer == "restore":
            self.restore_field_clicked.emit()


def status_line(code: str | None, message: str | None, look: theme.StatusLook) -> str:
    """The line under the status chip: FPS's StatusCode and message, minus a code that only
    repeats the chip in FPS's spelling ("Canceled" under "Cancelled", "Success" under it)."""
    code = code or ""
    if _same_word(code, look.label):
        code = ""
    message = message or ""
    return f"{code} — {message}" if code and message else (code or message or look.meaning)


def _same_word(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return text.strip().lower().replace("cancelled", "canceled")

    return bool(a) and norm(a) == norm(b)


def refund_details(detail: TransactionDetail, environment: str) -> str:
    """What a refund request needs, as plain text to paste into a ticket or the payments tool."""
    lines = [
        "Refund request",
        f"Transaction ID: {detail.transaction_id}",
        f"Amount: {detail.transaction_amount}",
        f"Operation: {detail.fps_operation}",
        f"Sender: {_person(detail.sender_name, detail.sender_email) or '-'}",
        f"Caller reference: {detail.caller_reference or '-'}",
        f"Description: {detail.caller_description or detail.sender_description or '-'}",
        f"Environment: {environment}",
    ]
    return "\n".join(lines)


def _ipn_status_item(
    status: TransactionStatus | None, verdict: str | None, title: str | None = None
) -> QTableWidgetItem:
    """An IPN's status: a fact only when its signature is Verified. Otherwise grey, struck
    through, marked "Untrusted" and with the reason, so it never reads as a status."""
    if verdict == "verified":
        return status_item(theme.status_look(status), title)
    label = title or theme.status_look(status).label
    look = theme.untrusted_look()
    item = status_item(
        look,
        QCoreApplication.translate("TransactionView", "Untrusted: {status}").format(status=label),
    )
    font = item.font()
    font.setStrikeOut(True)
    item.setFont(font)
    item.setForeground(look.color())
    item.setToolTip(
        QCoreApplication.translate(
            "TransactionView",
            "Signature {verdict}: this notification is not trusted as the transaction's status.",
        ).format(verdict=theme.verdict_look(verdict or "").label.lower())
    )
    return item


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _person(name: str | None, email: str | None) -> str | None:
    if name and email:
        return f"{name} <{email}>"
    return name or email
