"""How a recorded Cancel's outcome reads in the Results table and in the PDF report.

One function both use (results_view.py, report_pdf.py), in its own module so that the report
does not import the view that exports it.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from fpsdesk.store.actions import ActionOutcome, ActionRecord
from fpsdesk.ui import theme


def outcome_text(record: ActionRecord) -> str:
    """The state as docs/ui.md names it: unknown until HH:MM, not cancelled, corrected."""
    from fpsdesk.desk.settle import deadline_of
    from fpsdesk.desk.timeline import local_hm

    look = theme.outcome_look(record.outcome.value)
    text = look.label
    if record.outcome == ActionOutcome.UNKNOWN:
        text = QCoreApplication.translate(
            "results", "{label}, may still take effect until {time}"
        ).format(label=look.label, time=local_hm(deadline_of(record)))
    elif record.error_code:
        text = f"{look.label}: {record.error_code}"
    elif record.status_after and record.outcome != ActionOutcome.SUCCEEDED:
        text = f"{look.label} ({theme.status_look(record.status_after).label})"
    if record.corrected_from is not None:
        was = theme.outcome_look(record.corrected_from.value).label
        text += QCoreApplication.translate("results", " · corrected (was {was})").format(was=was)
    return text
