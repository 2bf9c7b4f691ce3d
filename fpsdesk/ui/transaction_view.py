"""The transaction page: status, facts, the Cancel action, and the histories.

Passive: the main window feeds it a TransactionDetail, the action records and the IPNs, and
tells it the Cancel state; the view only lays them out and says why Cancel is unavailable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.fps.models import TransactionDetail, TransactionStatus
from fpsdesk.store.actions import ActionRecord
from fpsdesk.ui import theme
from fpsdesk.ui.cancel_hint import cancel_hint
from fpsdesk.ui.facts_card import FactsCard
from fpsdesk.ui.history_tabs import HistoryTabs
from fpsdesk.ui.result_banner import ResultBanner
from fpsdesk.ui.timeline import TimelineEvent, build_timeline
from fpsdesk.ui.widgets import Card, StatusChip, keep_words_whole, short_id

# The histories are painted this long after the rest of the page (see _paint_histories_later).
HISTORIES_LATER_MS = 15


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
        self._batching = False
        self._ipn_records: list[Any] = []
        self._action_records: list[ActionRecord] = []
        self.timeline_events: list[TimelineEvent] = []
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
        self.facts = FactsCard()
        self.facts.related_clicked.connect(self.related_clicked)
        # Its values by the names the window and its tests use.
        self.transaction_id = self.facts.transaction_id
        self.fields = self.facts.fields
        outer.addWidget(self.facts)

    def _build_histories(self, outer: QVBoxLayout) -> None:
        """The histories: timeline, FPS status history, notifications, staff actions."""
        self.tabs = HistoryTabs()
        # Its tables by the names the window and its tests use.
        self.timeline_table = self.tabs.timeline_table
        self.timeline = self.tabs.timeline
        self.history_table = self.tabs.history_table
        self.ipn_table = self.tabs.ipn_table
        self.actions_table = self.tabs.actions_table
        self.tabs.setMinimumHeight(self.HISTORY_MIN_HEIGHT)
        outer.addWidget(self.tabs, 1)

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
        self.facts.show_detail(detail)
        # Once the new texts are laid out (and the page is on screen).
        QTimer.singleShot(0, self, self._reflow)
        self._paint_histories_later()
        self.tabs.show_status_history(detail)
        self.rebuild_timeline()

    def clear(self) -> None:
        """The page of no transaction, as built (after the start-up rehearsal)."""
        self.detail = None
        self._ipn_records = []
        self._action_records = []
        self.timeline_events = []
        self.mark_stale("")
        self.flags_label.hide()
        self.banner.hide()
        self.status_chip.clear()
        self.status_code.clear()
        self.amount.clear()
        self.amount_caption.clear()
        self.set_read("")
        self.facts.clear()
        self.tabs.clear()

    def _paint_histories_later(self) -> None:
        """Paint the history tabs in a frame after the rest of the page.

        A look-up or a cancel's reply changes the whole page at once: summary, facts and the
        four tables, laid out and painted in one frame of the GUI thread. The tables are filled
        now (the page's state stays whole for whoever reads it) but painted a frame later, so
        no one frame pays for all of it. Meanwhile the tabs' area is left as it was: after a
        look-up of another transaction, the loading page's background (a look-up shows the
        loading page first), never another transaction's rows."""
        tabs = self.tabs
        if not tabs.updatesEnabled() or not self.window().isVisible():
            return
        tabs.setUpdatesEnabled(False)
        QTimer.singleShot(HISTORIES_LATER_MS, tabs, lambda: tabs.setUpdatesEnabled(True))

    def set_related_status(self, transaction_id: str, status: TransactionStatus) -> None:
        """A related transaction's status, read after the page was shown, beside its link."""
        self.facts.set_related_status(transaction_id, status)

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
            theme.restyle(
                self.stale_label,
                f"QLabel#stale {{ color: {warn}; font-weight: 600; border: 2px solid {warn};"
                " border-radius: 6px; padding: 8px 10px; background: palette(base); }",
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
        self.facts.reflow(room)
        self._fit_hint()

    def set_actions(self, records: Sequence[ActionRecord]) -> None:
        self._paint_histories_later()
        self.tabs.show_actions(records)
        self._action_records = list(records)
        self.rebuild_timeline()

    def set_ipns(self, records: Sequence[Any]) -> None:
        """One transaction's stored IPNs (``fpsdesk.store.ipns.IpnRecord``), oldest first."""
        self._paint_histories_later()
        self.tabs.show_ipns(records)
        self._ipn_records = list(records)
        self.rebuild_timeline()

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
        self.tabs.show_timeline(events)
        flags = [e.flag for e in events if e.flag]
        if flags:
            color = theme.outcome_look("unknown").color().name()
            self.flags_label.setText(
                self.tr("⚠ {n} thing(s) to check: {flags}", "", len(flags)).format(
                    n=len(flags), flags=" ".join(flags)
                )
            )
            theme.restyle(self.flags_label, f"color: {color}; font-weight: 600;")
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
        enabled, reason, offer = cancel_hint(
            detail,
            stale=bool(self.stale_text),
            in_flight_text=in_flight_text,
            blocked_text=blocked_text,
            connected=connected,
            field_id=field_id,
            check_field=check_field,
            earlier_note=earlier_note,
        )
        self.cancel_button.setEnabled(enabled)
        self.cancel_button.setText(in_flight_text or self.tr("Cancel transaction…"))
        self._fit_cancel_button()
        self.cancel_hint.setText(reason if not in_flight_text else "")
        if offer or (enabled and earlier_note):  # worth noticing: where the eye already is
            warn = theme.outcome_look("unknown").color().name()
            theme.restyle(self.cancel_hint, f"color: {warn}; font-weight: 600;")
        else:
            theme.restyle(self.cancel_hint, "color: palette(placeholder-text);")
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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
