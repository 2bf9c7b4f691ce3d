"""``fpsdesk report``: the results dashboard of a period as a PDF (and its charts as a PNG).

The figures come from the same SQL as the app's dashboard (fpsdesk/store/report.py) and the file
is painted by the same code (fpsdesk/ui/report_pdf.py); Qt is imported only here, started on
its offscreen platform, so the command needs no display.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fpsdesk.commands.exit_codes import ExitCode
from fpsdesk.commands.output import emit, refuse, usage


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    report = subparsers.add_parser(
        "report",
        help="write the results dashboard of a period as a PDF (and PNG)",
        description="Write the cancellation results of a period (local dates, both included) "
        "as a PDF: the environment, the period, who produced it and when, the figures, the "
        "charts and the table of cancels. Reads the local history only; sends nothing.",
    )
    report.add_argument("--from", dest="first", required=True, metavar="DATE", help="YYYY-MM-DD")
    report.add_argument("--to", dest="last", required=True, metavar="DATE", help="YYYY-MM-DD")
    report.add_argument("--pdf", metavar="FILE", help="write the report here")
    report.add_argument("--png", metavar="FILE", help="write the charts here as a PNG")
    report.add_argument(
        "--environment",
        metavar="NAME",
        help="only this environment (Production, Sandbox, Local sandbox, Custom); default all",
    )
    report.set_defaults(func=cmd_report)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{option} takes a date as YYYY-MM-DD, not {text!r}.") from None


def cmd_report(args: argparse.Namespace) -> int:
    from fpsdesk.store import ActionStore, StoreError, open_database
    from fpsdesk.store.report import REPORT_ROWS, Period

    try:
        first, last = _date(args.first, "--from"), _date(args.last, "--to")
        period = Period.days(first, last)
    except ValueError as exc:
        return usage(str(exc), False)
    if not args.pdf and not args.png:
        return usage("Say where to write it: --pdf FILE and/or --png FILE.", False)
    try:
        store = ActionStore(open_database())
        report = store.report()
        environment = None
        if args.environment:
            known = report.environments()
            wanted = args.environment.strip().lower()
            environment = next((e for e in known if e.lower() == wanted), None)
            if environment is None:
                names = ", ".join(known) or "none yet"
                return usage(
                    f"No cancels were recorded in {args.environment!r}; environments in the "
                    f"history: {names}.",
                    False,
                )
        board = report.dashboard(period, environment)
        records = report.rows(period, environment, limit=REPORT_ROWS)
    except (StoreError, OSError, sqlite3.Error) as exc:
        return refuse(f"The history cannot be read ({exc}).", False, ExitCode.FAILURE, "No history")
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # paints files only: no display needed
    from fpsdesk.ui import report_pdf

    report_pdf.start_offscreen_app()

    written = []
    try:
        if args.pdf:
            report_pdf.write_pdf(
                Path(args.pdf), board, records, produced_at=datetime.now().astimezone()
            )
            written.append(args.pdf)
        if args.png:
            report_pdf.write_png(Path(args.png), board)
            written.append(args.png)
    except OSError as exc:
        return refuse(f"Could not write the report: {exc}", False, ExitCode.FAILURE, "Not written")
    where = board.environment or "all environments"
    emit(
        f"Wrote {' and '.join(written)}: {board.total:,} cancel{'' if board.total == 1 else 's'} "
        f"in {where}, "
        f"{period.first_day} to {period.last_day}."
    )
    return ExitCode.OK
