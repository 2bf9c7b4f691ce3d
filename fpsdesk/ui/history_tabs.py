"""A transaction's histories, one tab each: the merged timeline, FPS's status history, the
notifications (IPNs) received for it and what staff did to it through fpsdesk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget

from fpsdesk.fps.models import TransactionDetail
from fpsdesk.records.reasons import shown_reason
from fpsdesk.store.actions import ActionRecord
from fpsdesk.ui import theme
from fpsdesk.ui.history_tables import TableOrEmpty, ipn_status_item, make_table, text_item
from fpsdesk.ui.timeline import TimelineEvent
from fpsdesk.ui.widgets import EmptyState, accessible, format_time, status_item


class HistoryTabs(QTabWidget):
    """The four history tables, each with an explanation while it is empty; the tab titles
    count their rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        accessible(
            self.tabBar(),
            self.tr("The timeline, FPS's status history, its notifications and staff actions"),
            self.tr("Histories"),
        )
        timeline_page = self._build_timeline()
        self._build_status_history()
        self._build_ipns()
        self._build_actions()
        self.addTab(timeline_page, self.tr("Timeline"))
        self.addTab(self.history, self.tr("Status history"))
        self.addTab(self.ipns, self.tr("Notifications (IPN)"))
        self.addTab(self.actions_list, self.tr("Staff actions"))
        for index, tip in enumerate(
            (
                self.tr("Everything that happened to it, oldest first, contradictions flagged"),
                self.tr("The status history FPS returned"),
                self.tr("The notifications received for it, with their signature verdicts"),
                self.tr("What staff did to it through fpsdesk"),
            )
        ):
            self.setTabToolTip(index, tip)

    def _build_timeline(self) -> QWidget:
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
        return timeline_page

    def _build_status_history(self) -> None:
        self.history_table = make_table(
            [self.tr("When"), self.tr("Status"), self.tr("Status code"), self.tr("Amount")]
        )
        accessible(self.history_table, self.tr("FPS's status history"), self.tr("Status history"))
        self.history = TableOrEmpty(
            self.history_table,
            EmptyState(self.tr("No status history"), self.tr("FPS returned no history.")),
        )

    def _build_ipns(self) -> None:
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

    def _build_actions(self) -> None:
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

    # -- filling ----------------------------------------------------------------------------

    def show_status_history(self, detail: TransactionDetail) -> None:
        table = self.history_table
        table.setRowCount(0)
        for entry in sorted(detail.status_history, key=lambda e: e.date):
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, text_item(format_time(entry.date)))
            table.setItem(row, 1, status_item(theme.status_look(entry.transaction_status)))
            table.setItem(row, 2, text_item(entry.status_code))
            table.setItem(row, 3, text_item(str(entry.amount) if entry.amount else None))
        self.history.refresh()
        self.update_titles()

    def show_actions(self, records: Sequence[ActionRecord]) -> None:
        from fpsdesk.desk.owner import agent_of

        table = self.actions_table
        table.setRowCount(0)
        for record in sorted(records, key=lambda r: r.created_at, reverse=True):
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, text_item(format_time(record.created_at)))
            # Who did it, and on which desk: on a shared history it may be anyone on the team.
            table.setItem(row, 1, text_item(agent_of(record)))
            table.setItem(row, 2, text_item(record.kind))
            look = theme.outcome_look(record.outcome.value)
            text = look.label
            if record.status_after:
                text = f"{look.label}: {theme.status_look(record.status_after).label}"
            if record.error_code:
                text = f"{look.label}: {record.error_code}"
            table.setItem(row, 3, status_item(look, text))
            table.setItem(row, 4, text_item(shown_reason(record.reason_code, record.reason)))
            table.setItem(row, 5, text_item(record.request_id, mono=True))
        self.actions_list.refresh()
        self.update_titles()

    def show_ipns(self, records: Sequence[Any]) -> None:
        """One transaction's stored IPNs (``fpsdesk.store.ipns.IpnRecord``), oldest first."""
        table = self.ipn_table
        table.setRowCount(0)
        for ipn in records:
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, text_item(format_time(ipn.event_at)))
            table.setItem(row, 1, ipn_status_item(ipn.transaction_status, ipn.verdict.value))
            table.setItem(row, 2, text_item(ipn.operation))
            table.setItem(row, 3, text_item(str(ipn.amount) if ipn.amount else None))
            verdict = theme.verdict_look(ipn.verdict.value)
            reason = ipn.reason
            table.setItem(
                row, 4, status_item(verdict, f"{verdict.label}: {reason}" if reason else None)
            )
            table.setItem(row, 5, text_item(str(ipn.delivery_count)))
        self.ipns.refresh()
        self.update_titles()

    def show_timeline(self, events: Sequence[TimelineEvent]) -> None:
        """The merged events, oldest first; a contradiction is marked on its row."""
        table = self.timeline_table
        table.setUpdatesEnabled(False)
        table.setRowCount(0)
        warn = theme.outcome_look("unknown")
        for event in events:
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, text_item(format_time(event.when)))
            table.setItem(row, 1, text_item(self.tr(event.source)))
            if event.kind == "action":
                event_item = status_item(theme.outcome_look(event.outcome or ""), event.title)
            elif event.kind == "ipn":
                event_item = ipn_status_item(event.status, event.verdict, event.title)
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
                item = text_item(text or "")
            table.setItem(row, 4, item)
        table.setUpdatesEnabled(True)
        self.timeline.refresh()

    def clear(self) -> None:
        """No rows anywhere: each table shows its explanation again."""
        for table, host in (
            (self.timeline_table, self.timeline),
            (self.history_table, self.history),
            (self.ipn_table, self.ipns),
            (self.actions_table, self.actions_list),
        ):
            table.setRowCount(0)
            host.refresh()
        self.update_titles()

    def update_titles(self) -> None:
        counts = (
            (1, self.tr("Status history"), self.history_table.rowCount()),
            (2, self.tr("Notifications (IPN)"), self.ipn_table.rowCount()),
            (3, self.tr("Staff actions"), self.actions_table.rowCount()),
        )
        for index, title, count in counts:
            self.setTabText(index, f"{title} ({count})" if count else title)
