"""The Bulk cancel view's run and results panels: progress, counts, the rate, Pause and Stop
while Cancels are sent; the summary banner, Export, New and Resume when the run has ended.
The view (fpsdesk/ui/bulk_view.py) tells them what happened; they choose the words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fpsdesk.ui import theme
from fpsdesk.ui.bulk_jobs import RunSnapshot
from fpsdesk.ui.bulk_panels import muted, rate_spin
from fpsdesk.ui.bulk_text import counts_text, eta_text
from fpsdesk.ui.widgets import TintedFrame


class SummaryBanner(TintedFrame):
    """The run's outcome on top of its results: an icon, a headline and a line of detail."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(5, 6, parent)
        self.setObjectName("bulkbanner")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 8)
        row.setSpacing(12)
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        body = QVBoxLayout()
        body.setSpacing(2)
        self.headline = QLabel()
        font = self.headline.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body.addWidget(self.headline)
        body.addWidget(self.detail)
        row.addWidget(self.icon)
        row.addLayout(body, 1)

    def show_result(self, look: theme.StatusLook, headline: str, detail: str) -> None:
        self.icon.setPixmap(
            theme.shape_pixmap(look.shape, look.color(), 28, self.devicePixelRatioF() or 1.0)
        )
        self.headline.setText(headline)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.set_tint(look.color())
        self.setAccessibleName(headline)


class RunPanel(QWidget):
    """Above the items of a run: progress, counts, the rate, Pause and Stop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        self.bar = QProgressBar()
        self.bar.setAccessibleName(self.tr("Bulk cancel progress"))
        self.bar.setFormat("%v / %m")
        column.addWidget(self.bar)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setAccessibleName(self.tr("Bulk cancel status"))
        column.addWidget(self.label)
        self.counts_label = QLabel()
        self.counts_label.setWordWrap(True)
        column.addWidget(self.counts_label)
        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.rate = rate_spin(self)
        self.pause_button = QPushButton(self.tr("Pause"))
        self.pause_button.setToolTip(self.tr("Pause after the Cancel being sent now"))
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(
            self.tr("Stop after the Cancel being sent now; the rest can be resumed later")
        )
        self.rate_note = muted()
        actions.addWidget(QLabel(self.tr("Rate:")))
        actions.addWidget(self.rate)
        actions.addWidget(self.rate_note, 1)
        actions.addWidget(self.pause_button)
        actions.addWidget(self.stop_button)
        column.addLayout(actions)

    def starting(self, rate: float) -> None:
        """A run starts: its rate, no note, zero counts. Zero counts, not an empty line: the
        first report then changes only text, never the page's layout (a layout change
        repaints the whole table while the run starts)."""
        self.rate.blockSignals(True)
        self.rate.setValue(rate)
        self.rate.blockSignals(False)
        self.rate_note.setText("")
        self.label.setText(self.tr("Starting…"))
        self.counts_label.setText(counts_text(RunSnapshot(total=0)))
        self.bar.setRange(0, 0)
        self.pause_button.setText(self.tr("Pause"))
        self.pause_button.setEnabled(True)
        self.stop_button.setEnabled(True)

    def show_progress(self, p: RunSnapshot, *, running: bool) -> None:
        """Done of total, the counts per outcome, the rate FPS slowed it to, the time left."""
        self.bar.setRange(0, max(1, p.total))
        self.bar.setValue(p.done)
        self.counts_label.setText(counts_text(p))
        if p.rate < self.rate.value() - 1e-9:
            self.rate.blockSignals(True)
            self.rate.setValue(p.rate)
            self.rate.blockSignals(False)
            self.rate_note.setText(
                self.tr("FPS asked to slow down ({n}×): the rate was lowered.").format(n=p.slowed)
            )
        if running:
            self.label.setText(
                self.tr("{done} of {total} done · {left} at {rate:.1f} per second").format(
                    done=f"{p.done:,}",
                    total=f"{p.total:,}",
                    left=eta_text(p.eta_seconds),
                    rate=p.rate,
                )
            )

    def pausing(self) -> None:
        self.pause_button.setText(self.tr("Resume"))
        self.pause_button.setToolTip(self.tr("Go on sending Cancels"))
        self.label.setText(self.tr("Pausing after the Cancel being sent now…"))

    def paused(self, done: str, total: str) -> None:
        self.label.setText(
            self.tr("Paused after {done} of {total}: nothing is being sent.").format(
                done=done, total=total
            )
        )

    def resumed(self) -> None:
        self.pause_button.setText(self.tr("Pause"))
        self.pause_button.setToolTip(self.tr("Pause after the Cancel being sent now"))

    def stopping(self) -> None:
        self.pause_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        self.label.setText(self.tr("Stopping after the Cancel being sent now…"))


class DonePanel(QWidget):
    """Above the items of a finished run: its summary, Export, New, Resume."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        self.banner = SummaryBanner()
        column.addWidget(self.banner)
        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.note = muted()
        self.export_button = QPushButton(self.tr("Export CSV…"))
        self.resume_button = QPushButton(self.tr("Resume"))
        self.resume_button.setToolTip(self.tr("Send the Cancels left; none is sent twice"))
        self.new_button = QPushButton(self.tr("New bulk cancel"))
        actions.addWidget(self.note, 1)
        actions.addWidget(self.export_button)
        actions.addWidget(self.new_button)
        actions.addWidget(self.resume_button)
        column.addLayout(actions)

    def show_results(self, p: RunSnapshot, job_id: int, skipped: int) -> None:
        """The summary on top: how the run ended, its counts, and what happens next."""
        if p.stopped:
            look = theme.StatusLook("", "hold", "#9a5b00", "#f0b43c", "")
            headline = self.tr("Bulk run #{job} stopped: {done} of {total} done").format(
                job=job_id, done=f"{p.done:,}", total=f"{p.total:,}"
            )
        elif p.not_cancelled or p.unknown or p.not_sent:
            look = theme.outcome_look("unknown")
            headline = self.tr("Bulk run #{job} finished: {ok} of {total} cancelled").format(
                job=job_id, ok=f"{p.succeeded:,}", total=f"{p.total:,}"
            )
        else:
            look = theme.StatusLook("", "check", "#1a7f37", "#5cc971", "")
            headline = self.tr("Bulk run #{job} finished: all {total} cancelled").format(
                job=job_id, total=f"{p.total:,}"
            )
        detail = counts_text(p)
        if skipped:
            detail += self.tr(" · {n} line(s) skipped in the dry run", "", skipped).format(
                n=f"{skipped:,}"
            )
        notes = []
        if p.stopped:
            notes.append(
                self.tr("Resume sends the {n} left; none is sent twice.").format(
                    n=f"{p.total - p.done:,}"
                )
            )
        if p.unknown:
            notes.append(
                self.tr(
                    "Unknown outcomes may still take effect: fpsdesk keeps checking them "
                    "(see Results)."
                )
            )
        if p.slowed:
            notes.append(self.tr("FPS slowed the run down {n}×.").format(n=p.slowed))
        if notes:
            detail += "\n" + " ".join(notes)
        self.banner.show_result(look, headline, detail)
        self.resume_button.setVisible(p.stopped)
        self.note.setText("")
