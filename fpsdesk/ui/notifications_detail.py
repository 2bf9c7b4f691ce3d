"""The Notifications view's detail pane: the selected IPN's verdict, delivery and raw parameters.

Nothing selected: a title and a hint, not labels and a table with nothing in them. The title
and the facts wrap (an ID in them is never cut) so selecting a row never widens the pane and
pushes the table's columns off screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.store.ipns import IpnRecord
from fpsdesk.ui import theme
from fpsdesk.ui.widgets import Card, accessible, format_time, keep_words_whole


class IpnDetailPane(Card):
    """One notification: status and ID, signature verdict, deliveries, parameters verbatim."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        self.title = QLabel(self.tr("Select a notification"))
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        # Wraps (the ID in it is never cut): selecting a row must not widen the pane and push
        # the table's columns off screen.
        self.title.setWordWrap(True)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("0" * 28))
        self.facts = QFormLayout()
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.source = QLabel()
        self.source.setWordWrap(True)
        self.facts.addRow(self.tr("Signature:"), self.verdict)
        self.facts.addRow(self.tr("Received:"), self.source)
        self.raw = QTableWidget(0, 2)
        self.raw.setTabKeyNavigation(False)
        self.raw.setHorizontalHeaderLabels([self.tr("Parameter"), self.tr("Value (verbatim)")])
        self.raw.verticalHeader().setVisible(False)
        accessible(
            self.raw,
            self.tr("The parameters FPS sent, exactly as received"),
            self.tr("Raw parameters"),
        )
        self.raw.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.raw.horizontalHeader().setStretchLastSection(True)
        self.raw.setWordWrap(True)
        self.open_button = QPushButton(self.tr("Open transaction"))
        self.open_button.setEnabled(False)
        self.open_button.setAccessibleDescription(
            self.tr("Looks up the selected notification's transaction")
        )
        layout.addWidget(self.title)
        self.hint = QLabel(
            self.tr("Select a row to see its signature verdict and its raw parameters.")
        )
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.hint)
        layout.addLayout(self.facts)
        layout.addWidget(self.raw, 1)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addStretch(0)  # takes the height only while the raw table is hidden

    def show_record(self, record: IpnRecord | None) -> None:
        """Show ``record``, or the hint when None."""
        self.raw.setRowCount(0)
        self.open_button.setEnabled(bool(record and record.transaction_id))
        # Nothing selected: a title and a hint, not labels and a table with nothing in them.
        for row in range(self.facts.rowCount()):
            self.facts.setRowVisible(row, record is not None)
        self.raw.setVisible(record is not None)
        self.hint.setVisible(record is None)
        self.open_button.setVisible(record is not None)
        if record is None:
            self.title.setText(self.tr("Select a notification"))
            self.verdict.clear()
            self.source.clear()
            return
        status = (
            theme.status_look(record.transaction_status).label
            if record.transaction_status
            else record.notification_type
        )
        self.title.setText(f"{status} · {record.transaction_id or ''}")
        verdict = theme.verdict_look(record.verdict.value)
        text = verdict.label
        if record.reason:
            text = f"{text}: {record.reason}"
        if not record.trusted:
            text = self.tr("{text} — not trusted as status").format(text=text)
        self.verdict.setText(text)
        theme.restyle(self.verdict, f"color: {verdict.color().name()};")
        if record.delivery_count == 1:
            received = self.tr("{first}, once").format(first=format_time(record.received_at))
        else:
            received = self.tr("{first} first; delivered {n} times").format(
                first=format_time(record.received_at), n=record.delivery_count
            )
        url = record.endpoint_url or self.tr("an unknown URL")
        if record.source.startswith("http"):  # received live: the URL says it all
            posted = self.tr("posted to {url}").format(url=url)
        else:  # imported from a file, say which
            posted = self.tr("posted to {url}; from {source}").format(url=url, source=record.source)
        self.source.setText(f"{received}\n{posted}")
        for label in (self.title, self.verdict, self.source):
            keep_words_whole(label)
        for key, value in record.params:
            row = self.raw.rowCount()
            self.raw.insertRow(row)
            self.raw.setItem(row, 0, QTableWidgetItem(key))
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            item.setFont(theme.mono_font())
            self.raw.setItem(row, 1, item)
        self.raw.resizeColumnToContents(0)
