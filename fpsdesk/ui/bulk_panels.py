"""The Bulk cancel view's pages and panels: widgets only, built once; the view
(fpsdesk/ui/bulk_view.py) fills them and connects their buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.store.bulk import CANCELLABLE, INVALID_LINE, BulkItem
from fpsdesk.ui import theme
from fpsdesk.ui.bulk_jobs import DEFAULT_RATE, Unfinished
from fpsdesk.ui.bulk_text import amounts_text, class_look, class_meaning
from fpsdesk.ui.widgets import EmptyState, format_time

if TYPE_CHECKING:
    from fpsdesk.desk.bulk import DryRun

MAX_RATE = 50.0
INVALID_SHOWN = 3  # lines without a usable ID listed above the table; the rest are in it


class OneOf(QWidget):
    """Shows one of its panels and takes the height of that one only (a QStackedWidget takes
    the tallest), so the table below gets the rest of the page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._panels: list[QWidget] = []
        self._current: QWidget | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def addWidget(self, panel: QWidget) -> None:
        self._panels.append(panel)
        self._layout.addWidget(panel)
        if self._current is None:
            self._current = panel
        else:
            panel.hide()

    def setCurrentWidget(self, panel: QWidget) -> None:
        self._current = panel
        for other in self._panels:
            other.setVisible(other is panel)

    def currentWidget(self) -> QWidget | None:
        return self._current


def muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


def heading(text: str = "", scale: float = 1.2) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    label.setWordWrap(True)
    return label


def rate_spin(parent: QWidget) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.1, MAX_RATE)
    spin.setDecimals(1)
    spin.setSingleStep(0.5)
    spin.setValue(DEFAULT_RATE)
    spin.setSuffix(parent.tr(" per second"))
    spin.setAccessibleName(parent.tr("Cancels per second"))
    spin.setToolTip(
        parent.tr("How many Cancels to send per second; FPS's throttling slows it further")
    )
    return spin


class StartPage(QWidget):
    """Choose a file; below it, this environment's unfinished runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 16)
        self.intro = EmptyState(
            self.tr("Cancel many transactions at once"),
            self.tr(
                "Choose a CSV, TSV or text file with the transaction IDs (in any column; other "
                "columns are ignored), or select transactions in Search and press “Cancel "
                "selected…”. A dry run always comes first: every transaction is read and "
                "sorted, and nothing is sent until you confirm."
            ),
        )
        self.file_button = self.intro.add_action(self.tr("Choose a file…"))
        self.file_button.setToolTip(self.tr("A CSV, TSV or text file of transaction IDs (Ctrl+O)"))
        outer.addWidget(self.intro, 1)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error.setAccessibleName(self.tr("Bulk cancel problem"))
        self.error.hide()
        outer.addWidget(self.error)
        self.unfinished_box = QFrame()
        self.unfinished_box.setObjectName("unfinished")
        self.unfinished_box.setStyleSheet(
            "QFrame#unfinished { background: palette(base); border: 1px solid palette(mid);"
            " border-radius: 6px; }"
        )
        self.unfinished_layout = QVBoxLayout(self.unfinished_box)
        self.unfinished_layout.setContentsMargins(12, 8, 12, 8)
        self.unfinished_layout.addWidget(heading(self.tr("Unfinished bulk runs"), 1.05))
        self.unfinished_box.hide()
        outer.addWidget(self.unfinished_box)
        outer.addStretch(1)

    def show_unfinished(self, runs: Sequence[Unfinished], on_resume: Callable[[], None]) -> None:
        """One line per unfinished run, each with its Resume button (``job_id`` property)."""
        layout = self.unfinished_layout
        while layout.count() > 1:
            item = layout.takeAt(1)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        for run in runs:
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            text = QLabel(
                self.tr(
                    "Bulk run #{job}: {left} of {total} left to send · {source} · "
                    "{when} by {who} ({state})"
                ).format(
                    job=run.job.id,
                    left=f"{run.left:,}",
                    total=f"{run.total:,}",
                    source=Path(run.job.source).name or run.job.source,
                    when=format_time(run.job.created_at),
                    who=run.job.operator,
                    state=run.job.state,
                )
            )
            text.setWordWrap(True)
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setToolTip(run.job.source)
            button = QPushButton(self.tr("Resume #{job}…").format(job=run.job.id))
            button.setProperty("job_id", run.job.id)
            button.clicked.connect(on_resume)
            line.addWidget(text, 1)
            line.addWidget(button)
            layout.addWidget(row)
        self.unfinished_box.setVisible(bool(runs))

    def resume_buttons(self) -> list[QPushButton]:
        return [b for b in self.unfinished_box.findChildren(QPushButton) if b.property("job_id")]

    def show_error(self, text: str) -> None:
        color = theme.status_look("Failure").color().name()
        theme.restyle(self.error, f"color: {color};")
        self.error.setText(f"⚠ {text}" if text else "")
        self.error.setVisible(bool(text))


class CheckingPage(QWidget):
    """The dry run's progress, and Stop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(40, 40, 40, 40)
        column.addStretch(1)
        self.title = heading(self.tr("Dry run: reading the transactions…"))
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bar = QProgressBar()
        self.bar.setAccessibleName(self.tr("Dry run progress"))
        self.bar.setFormat("%v / %m")
        self.label = muted(
            self.tr("Each transaction is read to see whether it can be cancelled. Nothing is sent.")
        )
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stop_button = QPushButton(self.tr("Stop the dry run"))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        column.addWidget(self.title)
        column.addWidget(self.bar)
        column.addWidget(self.label)
        column.addLayout(row)
        column.addStretch(2)

    def show_progress(self, done: int, total: int) -> None:
        self.title.setText(
            self.tr("Dry run: reading {n} transaction(s)…", "", total).format(n=f"{total:,}")
        )
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(done)
        self.label.setText(
            self.tr("Read {done} of {total}. Nothing is sent.").format(
                done=f"{done:,}", total=f"{total:,}"
            )
        )


class PlanPanel(QWidget):
    """Above the items of a dry run: the summary per class, bad lines, the rate, Confirm."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        self.summary_table = table = QTableWidget(0, 4)
        table.setHorizontalHeaderLabels(
            [self.tr("Dry run"), self.tr("Count"), self.tr("Amount"), self.tr("What happens")]
        )
        table.setAccessibleName(self.tr("Dry run summary"))
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.verticalHeader().setDefaultSectionSize(int(table.fontMetrics().height() * 1.5))
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        column.addWidget(table)
        self.invalid_label = QLabel()
        self.invalid_label.setWordWrap(True)
        self.invalid_label.setTextFormat(Qt.TextFormat.PlainText)
        self.invalid_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.invalid_label.setAccessibleName(self.tr("Lines without a usable ID"))
        column.addWidget(self.invalid_label)
        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.rate = rate_spin(self)
        self.confirm_button = QPushButton()
        self.start_over_button = QPushButton(self.tr("Start over"))
        self.start_over_button.setToolTip(self.tr("Leave this dry run; nothing was sent"))
        self.note = muted()
        actions.addWidget(QLabel(self.tr("Rate:")))
        actions.addWidget(self.rate)
        actions.addWidget(self.note, 1)
        actions.addWidget(self.start_over_button)
        actions.addWidget(self.confirm_button)
        column.addLayout(actions)

    def show_invalid(self, items: Sequence[BulkItem]) -> None:
        """The first lines without a usable ID, with their numbers; the rest are in the table."""
        bad = [i for i in items if i.klass == INVALID_LINE]
        if not bad:
            self.invalid_label.hide()
            return
        lines = [
            self.tr("Line {n}: {why}: {text}").format(
                n=i.line_no, why=i.message or "", text=(i.line or "")[:80]
            )
            for i in bad[:INVALID_SHOWN]
        ]
        if len(bad) > INVALID_SHOWN:
            lines.append(
                self.tr("…and {n} more (sort the table by Dry run).").format(
                    n=len(bad) - INVALID_SHOWN
                )
            )
        heading = self.tr("{n} line(s) without a usable transaction ID:", "", len(bad)).format(
            n=len(bad)
        )
        self.invalid_label.setText("\n".join([heading, *lines]))
        self.invalid_label.show()

    def fill_summary(self, dry: DryRun) -> None:
        """One row per class the dry run found: its look, count, amounts and meaning."""
        table = self.summary_table
        rows = [(k, s) for k, s in dry.summary.items() if s.count]
        table.setRowCount(len(rows))
        bold = table.font()
        bold.setBold(True)
        for n, (klass, summary) in enumerate(rows):
            look = class_look(klass)
            name = QTableWidgetItem(theme.look_icon(look), look.label)
            count = QTableWidgetItem(f"{summary.count:,}")
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            amounts = QTableWidgetItem(amounts_text(summary))
            meaning = QTableWidgetItem(class_meaning(klass))
            if klass == CANCELLABLE:
                for item in (name, count, amounts, meaning):
                    item.setFont(bold)
            for col, item in enumerate((name, count, amounts, meaning)):
                item.setToolTip(item.text())
                table.setItem(n, col, item)
        table.resizeColumnsToContents()
        height = table.horizontalHeader().height() + 2 * table.frameWidth()
        height += sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setFixedHeight(height)
