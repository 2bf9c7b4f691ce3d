"""``fpsdesk cancel --from FILE [--dry-run]`` and ``--resume [RUN]``: bulk cancel from a shell.

The rules (reading the file, the dry run's classes, the throttled and resumable run through
the one cancel lifecycle) are fpsdesk/desk/bulk.py; this turns them into a terminal dialogue,
JSON and exit codes.
"""

from __future__ import annotations

import argparse
import signal
import sys
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from fpsdesk.commands.connecting import (
    UsageError,
    apply_verbosity,
    checked_reason_code,
    connection,
)
from fpsdesk.commands.exit_codes import ExitCode
from fpsdesk.commands.output import clean, emit, print_json, refuse, report_error, usage
from fpsdesk.commands.output import count as n_of
from fpsdesk.fps.exceptions import FpsClientError

if TYPE_CHECKING:
    from fpsdesk.desk.bulk import ClassSummary, DryRun, RunProgress
    from fpsdesk.desk.connection import Connection
    from fpsdesk.store.bulk import BulkItem

CENT = Decimal("0.01")


def cmd_bulk(args: argparse.Namespace) -> int:
    """The bulk path of ``fpsdesk cancel``: a dry run, then (unless --dry-run) the run."""
    from fpsdesk.desk.bulk_input import BulkInputError, read_file

    try:
        apply_verbosity(args)
        conn = connection(args)
        if args.reason_code is not None and args.resume is not None:
            raise UsageError(
                "--reason-code goes with --from FILE: a resumed run keeps the reason it was "
                "given first."
            )
        code = checked_reason_code(args.reason_code, conn)
    except UsageError as exc:
        return usage(str(exc), args.json)
    if not 0.1 <= args.rate <= 50:
        return usage("--rate must be between 0.1 and 50 cancels per second.", args.json)
    opened = _open(args.json)
    if isinstance(opened, int):
        return opened
    actions, jobs = opened
    from fpsdesk.desk.bulk import BulkDesk
    from fpsdesk.desk.connection import build_client

    with build_client(conn) as client:
        desk = BulkDesk(client, actions, jobs)
        if args.resume is not None:
            return _resume(args, conn, desk, jobs)
        try:
            lines = read_file(Path(args.from_file))
        except BulkInputError as exc:
            return usage(str(exc), args.json)
        for line in lines:
            if line.problem:
                emit(
                    f"fpsdesk: line {line.line_no}: {line.problem}: {clean(line.text)}", sys.stderr
                )
        try:
            dry = desk.dry_run(
                lines,
                source=str(Path(args.from_file).resolve()),
                reason=args.reason,
                reason_code=code,
                on_progress=_dry_progress if sys.stderr.isatty() and not args.json else None,
            )
        except BulkInputError as exc:
            return usage(str(exc), args.json)
        if sys.stderr.isatty() and not args.json:
            sys.stderr.write("\n")
        _print_dry_run(dry, conn, args.json and args.dry_run)
        if args.dry_run:
            if not args.json:
                emit(
                    f"Nothing was sent. This dry run is bulk run #{dry.job_id}; send it with: "
                    f"fpsdesk cancel --resume {dry.job_id}",
                    sys.stderr,
                )
            return ExitCode.OK
        if dry.cancellable == 0:
            return refuse(
                "Nothing to cancel: no line names a Reserved or Pending transaction.",
                args.json,
                ExitCode.NOT_CANCELLABLE,
                "Nothing to cancel",
            )
        if not _confirmed(args, conn, dry.cancellable, dry.needs_count_typed):
            emit(f"Not cancelled. Bulk run #{dry.job_id} is kept as a dry run.", sys.stderr)
            return ExitCode.FAILURE
        return _run(args, conn, desk, dry.job_id)


def _open(as_json: bool) -> tuple[Any, Any] | int:
    from fpsdesk.store import ActionStore, open_database
    from fpsdesk.store.bulk import BulkStore
    from fpsdesk.store.db import database_errors

    try:
        db = open_database()
    except database_errors(OSError) as exc:
        return refuse(
            f"The history cannot be written ({exc}), so nothing was checked or sent.",
            as_json,
            ExitCode.NOT_RECORDED,
            "Not recorded, not sent",
        )
    return ActionStore(db), BulkStore(db)


def _dry_progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rChecking {done} of {total}…")
    sys.stderr.flush()


def _amounts(summary: ClassSummary) -> str:
    return ", ".join(
        f"{currency} {amount.quantize(CENT)}"
        for currency, amount in sorted(summary.amounts.items())
    )


def _print_dry_run(dry: DryRun, conn: Connection, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "ok": True,
                "job_id": dry.job_id,
                "environment": dry.environment,
                "endpoint": conn.endpoint,
                "summary": {
                    k: {"count": v.count, "amounts": v.amounts}
                    for k, v in dry.summary.items()
                    if v.count
                },
                "items": [_item_json(i) for i in dry.items],
            }
        )
        return
    emit(f"Dry run #{dry.job_id} on {dry.environment} ({conn.endpoint}):")
    for klass, summary in dry.summary.items():
        if summary.count:
            amounts = _amounts(summary)
            emit(f"  {klass:<18}{summary.count:>7}  {amounts}")


def _confirmed(args: argparse.Namespace, conn: Connection, count: int, typed: bool) -> bool:
    if args.yes:
        if typed and args.confirm_count != count:
            emit(
                f"fpsdesk: {count} cancels in Production: add --confirm-count {count} to "
                "confirm the number.",
                sys.stderr,
            )
            return False
        return True
    if not sys.stdin.isatty():
        emit("fpsdesk: no terminal to confirm on: add --yes.", sys.stderr)
        return False
    want = str(count) if typed else "yes"
    sys.stderr.write(
        f"Cancel {n_of(count, 'transaction')} on {conn.environment} ({conn.endpoint})? "
        f"Type {want} to confirm: "
    )
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline().strip().lower()
    except (OSError, EOFError):
        return False
    return answer == want or (not typed and answer == "y")


def _resume(args: argparse.Namespace, conn: Connection, desk: Any, jobs: Any) -> int:
    from fpsdesk.fps.endpoints import environment_key

    if args.resume == 0:
        unfinished = [
            j
            for j in jobs.jobs(unfinished=True)
            if environment_key(j.endpoint) == environment_key(conn.endpoint)
        ]
        if not unfinished:
            emit(f"No unfinished bulk run on {conn.environment}.", sys.stderr)
            return ExitCode.OK
        job = unfinished[0]
    else:
        job = jobs.job(args.resume)
        if job is None:
            return usage(f"There is no bulk run #{args.resume}.", args.json)
        if environment_key(job.endpoint) != environment_key(conn.endpoint):
            return usage(
                f"Bulk run #{job.id} was made on {job.environment} ({job.endpoint}), not on "
                f"{conn.environment}; connect there to resume it.",
                args.json,
            )
    items = [i for i in jobs.items(job.id) if i.klass == "cancellable" and i.state != "done"]
    if not args.json:
        emit(f"Bulk run #{job.id}: {n_of(len(items), 'cancel')} left to send.", sys.stderr)
    if items and not _confirmed(args, conn, len(items), job.environment == "Production"
                                and len(items) > 20):  # fmt: skip
        return ExitCode.FAILURE
    return _run(args, conn, desk, job.id)


def _run(args: argparse.Namespace, conn: Connection, desk: Any, job_id: int) -> int:
    from fpsdesk.desk.bulk_control import BulkControl
    from fpsdesk.desk.cancel import NotRecorded

    control = BulkControl(rate=args.rate)

    def stop(signum: int, frame: FrameType | None) -> None:
        control.stop_from_signal()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        progress = desk.run(job_id, control=control, on_item=None if args.json else _print_item)
    except NotRecorded as exc:
        return refuse(
            f"Stopped: {exc} Resume with: fpsdesk cancel --resume {job_id}",
            args.json,
            ExitCode.NOT_RECORDED,
            "Not recorded, not sent",
        )
    except FpsClientError as exc:
        return report_error(exc, args.json, "Cancel")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return _report_run(args, conn, desk, job_id, progress)


def _print_item(item: BulkItem, progress: RunProgress) -> None:
    extra = f"  {clean(item.message)}" if item.message else ""
    eta = progress.eta_seconds
    left = f"  [{progress.done}/{progress.total}" + (f", ~{eta:.0f} s left]" if eta else "]")
    emit(f"{item.transaction_id}  {item.outcome}{extra}{left}")


def _report_run(
    args: argparse.Namespace, conn: Connection, desk: Any, job_id: int, progress: RunProgress
) -> int:
    code = ExitCode.OK
    if progress.stopped:
        code = ExitCode.FAILURE
    elif progress.unknown:
        code = ExitCode.OUTCOME_UNKNOWN
    if args.json:
        items = desk.jobs.items(job_id)
        print_json(
            {
                "ok": code == ExitCode.OK,
                "exit_code": code,
                "job_id": job_id,
                "environment": conn.environment,
                "stopped": progress.stopped,
                "total": progress.total,
                "done": progress.done,
                "succeeded": progress.succeeded,
                "not_cancelled": progress.not_cancelled,
                "unknown": progress.unknown,
                "not_sent": progress.not_sent,
                "items": [_item_json(i) for i in items],
            }
        )
        return code
    emit(
        f"Bulk run #{job_id}: {progress.succeeded} cancelled, {progress.not_cancelled} not "
        f"cancelled, {progress.unknown} unknown, {progress.not_sent} not sent, of "
        f"{progress.total}.",
        sys.stderr,
    )
    if progress.stopped:
        emit(f"Stopped. Resume with: fpsdesk cancel --resume {job_id}", sys.stderr)
    if progress.unknown:
        emit("Run 'fpsdesk reconcile' to settle the unknown outcomes.", sys.stderr)
    return code


def _item_json(item: BulkItem) -> dict[str, Any]:
    return {
        "seq": item.seq,
        "line": item.line_no,
        "transaction_id": item.transaction_id,
        "class": item.klass,
        "status": item.status,
        "amount": item.amount,
        "currency": item.currency,
        "state": item.state,
        "action_id": item.action_id,
        "outcome": item.outcome,
        "status_after": item.status_after,
        "request_id": item.request_id,
        "message": item.message,
    }
