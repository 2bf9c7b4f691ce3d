"""``fpsdesk history`` and ``fpsdesk reconcile``: what was done, and settling what is not known.

``history`` reads the local history (no FPS request). ``reconcile`` settles this environment's
unresolved Cancels now, with the app's rules (fpsdesk/desk/settle.py): the Verified IPNs already
received first, then one status read per transaction; ``--wait`` keeps reading, with backoff,
until every outcome is known or the time is up.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpsdesk.commands.connecting import (
    UsageError,
    apply_verbosity,
    connection,
    connection_options,
)
from fpsdesk.commands.exit_codes import ExitCode
from fpsdesk.commands.output import clean, emit, local_time, print_json, refuse, report_error, usage
from fpsdesk.fps.errors import clause
from fpsdesk.fps.exceptions import FpsClientError, InvalidInput
from fpsdesk.fps.ids import pick_transaction_id
from fpsdesk.records.reasons import shown_reason

if TYPE_CHECKING:
    from fpsdesk.desk.connection import Connection
    from fpsdesk.desk.settle import ReadFailed, Settlement
    from fpsdesk.store.actions import (
        ActionEvent,
        ActionOutcome,
        ActionRecord,
        ActionStore,
        CancelRefusal,
    )

WAIT_STEPS = (2.0, 5.0, 10.0, 20.0, 40.0, 60.0)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    history = subparsers.add_parser(
        "history",
        help="list the actions taken (cancels and their outcomes)",
        description="List what staff did through fpsdesk, newest first, from the local history: "
        "each cancel's state (pending, unknown until HH:MM, succeeded, not cancelled, "
        "corrected) and, for one transaction, every change of its outcome.",
    )
    history.add_argument("--transaction", metavar="TXID", help="only this transaction")
    history.add_argument(
        "--unresolved", action="store_true", help="only cancels whose outcome is not known yet"
    )
    history.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    history.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    history.add_argument(
        "action",
        nargs="?",
        choices=("migrate",),
        help="migrate: copy the local history into a shared PostgreSQL history (--to); "
        "idempotent and resumable, the counts are verified at the end",
    )
    history.add_argument(
        "--to", metavar="URL", help="migrate: postgresql://user@host:port/db (no password)"
    )
    history.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="FILE",
        help="migrate: the local history file (default: this desk's)",
    )
    history.set_defaults(func=cmd_history)

    reconcile = subparsers.add_parser(
        "reconcile",
        help="settle cancels whose outcome is not known yet",
        description="Settle the unresolved cancels of this environment now, as the app does: "
        "from Verified IPNs already received, then by reading each transaction's status. A "
        "cancel still on its way stays unknown until FPS can no longer accept it. Exit codes: "
        "0 all settled, 2 invalid input, 4 some outcomes still unknown, 5 status reads failed, "
        "6 the history cannot be used.",
    )
    reconcile.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep reading, with backoff, until all are settled or SECONDS have passed",
    )
    reconcile.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    connection_options(reconcile)
    reconcile.set_defaults(func=cmd_reconcile)


def _open_actions() -> ActionStore:
    from fpsdesk.store import ActionStore, open_database

    return ActionStore(open_database())


def _describe_state(record: ActionRecord, in_flight: bool = False) -> str:
    from fpsdesk.desk.owner import describe_owner
    from fpsdesk.desk.settle import CancelState, deadline_of, state_of

    state = state_of(record)
    if state is CancelState.IN_FLIGHT:
        if in_flight:
            return f"pending: being sent by {describe_owner(record)}"
        return "pending: no answer recorded yet"
    if state is CancelState.UNKNOWN:
        return f"unknown: may still take effect until {local_time(deadline_of(record))}"
    text = "succeeded" if state is CancelState.SUCCEEDED else "not cancelled"
    if record.status_after:
        text += f" ({clean(record.status_after)})"
    if record.corrected_from is not None:
        text += f", corrected (was {_outcome_word(record.corrected_from)})"
    return text


def _outcome_word(outcome: ActionOutcome) -> str:
    words = {"succeeded": "succeeded", "failed": "not cancelled"}
    return words.get(outcome.value, outcome.value)


def _record_json(record: ActionRecord, events: list[ActionEvent] | None = None) -> dict[str, Any]:
    from fpsdesk.desk.settle import CancelState, deadline_of, state_of

    state = state_of(record)
    data: dict[str, Any] = {
        "id": record.id,
        "kind": record.kind,
        "transaction_id": record.transaction_id,
        "state": state.value,
        "outcome": record.outcome.value,
        "until": deadline_of(record) if state is CancelState.UNKNOWN else None,
        "corrected_from": record.corrected_from.value if record.corrected_from else None,
        "created_at": record.created_at,
        "finished_at": record.finished_at,
        "reconciled_at": record.reconciled_at,
        "operator": record.operator,
        "owner": {"host": record.owner_host, "pid": record.owner_pid},
        "environment": record.environment,
        "endpoint": record.endpoint,
        "reason": record.reason,
        "reason_code": record.reason_code,
        "amount": record.amount,
        "currency": record.currency,
        "status_before": record.status_before,
        "status_after": record.status_after,
        "request_id": record.request_id,
        "error_code": record.error_code,
        "error_message": record.error_message,
    }
    if events is not None:
        data["events"] = [
            {
                "at": e.at,
                "outcome": e.outcome.value,
                "status": e.status,
                "source": e.source,
                "detail": e.detail,
                "recorded_by": e.recorded_by,
            }
            for e in events
        ]
    return data


def cmd_migrate(args: argparse.Namespace) -> int:
    """Copy the local history into a shared one; per-table counts, verified."""
    from fpsdesk.settings import InvalidProfile, validate_history
    from fpsdesk.store.copy import copy_history
    from fpsdesk.store.db import database_errors, open_database, open_sqlite
    from fpsdesk.store.location import default_path
    from fpsdesk.store.postgres import PostgresHistory

    if not args.to:
        return usage("migrate needs --to postgresql://user@host:port/database.", args.json)
    try:
        url = validate_history(args.to)
    except InvalidProfile as exc:
        return usage(str(exc), args.json)
    if not url.startswith("postgres"):
        return usage("migrate copies into a postgresql:// history.", args.json)
    source_path: Path = args.source or default_path()
    if not source_path.is_file():
        return usage(f"There is no local history at {source_path}.", args.json)
    try:
        source = open_sqlite(source_path)
        target = open_database(url)
        assert isinstance(target, PostgresHistory)
        report = copy_history(source, source_path, target)
    except database_errors(OSError) as exc:
        return refuse(f"Nothing more was copied: {exc}", args.json, ExitCode.FAILURE, "Not copied")
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "source": report.source,
                "target": report.target,
                "tables": [
                    {"table": t.table, "source": t.source, "target": t.target, "copied": t.copied}
                    for t in report.tables
                ],
            }
        )
    else:
        emit(f"Copied {report.source} into {report.target}:")
        for t in report.tables:
            mark = "ok" if t.ok else "MISSING ROWS"
            emit(f"  {t.table:<16} {t.source:>9} here  {t.target:>9} there  +{t.copied:<9} {mark}")
        emit("All rows are there." if report.ok else "Some rows are missing: run it again.")
    return ExitCode.OK if report.ok else ExitCode.FAILURE


def cmd_history(args: argparse.Namespace) -> int:
    from fpsdesk.store.db import database_errors

    if args.action == "migrate":
        return cmd_migrate(args)

    txn: str | None = None
    if args.transaction:
        try:
            txn = pick_transaction_id(args.transaction)
        except InvalidInput as exc:
            return usage(str(exc), args.json)
    if not 1 <= args.limit <= 100_000:
        return usage("--limit must be between 1 and 100000.", args.json)
    try:
        found = _read_history(txn, unresolved=args.unresolved, limit=args.limit)
    except database_errors(OSError) as exc:
        return refuse(
            f"The history cannot be read ({clause(str(exc))}).",
            args.json,
            ExitCode.FAILURE,
            "No history",
        )
    if args.json:
        print_json(_history_json(found))
    else:
        _emit_history(found)
    return ExitCode.OK


@dataclass
class _Found:
    """What ``fpsdesk history`` shows: actions, and for one transaction their events and the
    attempts that sent nothing."""

    txn: str | None
    records: list[ActionRecord]
    events: dict[int, list[ActionEvent]]
    refused: list[CancelRefusal]


def _read_history(txn: str | None, *, unresolved: bool, limit: int) -> _Found:
    actions = _open_actions()
    if txn is not None:
        records = list(reversed(actions.for_transaction(txn)))
    elif unresolved:
        records = list(reversed(actions.unresolved()))
    else:
        records = actions.recent(limit=limit)
    if unresolved:
        records = [r for r in records if not r.resolved]
    records = records[:limit]
    events = {r.id: actions.events(r.id) for r in records} if txn else {}
    refused = actions.refusals(txn) if txn else []
    return _Found(txn, records, events, refused)


def _history_json(found: _Found) -> dict[str, object]:
    txn = found.txn
    body: dict[str, object] = {
        "ok": True,
        "actions": [
            _record_json(r, found.events.get(r.id) if txn else None) for r in found.records
        ],
    }
    if txn:
        body["refused_attempts"] = [
            {
                "at": r.at.isoformat(),
                "operator": r.operator,
                "recorded_by": r.recorded_by,
                "environment": r.environment,
                "why": r.why,
                "holder_action_id": r.holder_action_id,
            }
            for r in found.refused
        ]
    return body


def _emit_history(found: _Found) -> None:
    if not found.records:
        emit("No actions recorded" + (f" for {found.txn}." if found.txn else "."))
        return
    for record in found.records:
        _emit_record(record, found.events.get(record.id, []))
    if found.refused:  # attempts that sent nothing: another Cancel held it or had done it
        emit("Attempts that sent nothing:")
    for attempt in found.refused:
        emit(
            f"        {attempt.at.astimezone():%Y-%m-%d %H:%M:%S}  by "
            f"{clean(attempt.operator)}: {attempt.why} (action #{attempt.holder_action_id})"
        )


def _emit_record(record: ActionRecord, events: list[ActionEvent]) -> None:
    shown = shown_reason(record.reason_code, record.reason)
    reason = f'  "{clean(shown)}"' if shown else ""
    emit(
        f"#{record.id:<5} {record.created_at.astimezone():%Y-%m-%d %H:%M}  "
        f"{record.kind} {record.transaction_id}  {_describe_state(record)}  "
        f"by {clean(record.operator)} on {clean(record.environment)}{reason}"
    )
    if record.error_code or (record.error_message and not record.resolved):
        detail = ": ".join(clean(x) for x in (record.error_code, record.error_message) if x)
        emit(f"        {detail}")
    if record.request_id:
        emit(f"        RequestId {clean(record.request_id)}")
    for event in events:
        detail = f" — {clean(event.detail)}" if event.detail else ""
        status = f" ({clean(event.status)})" if event.status else ""
        emit(
            f"        {event.at.astimezone():%Y-%m-%d %H:%M:%S}  "
            f"{_outcome_word(event.outcome)}{status}  [{event.source}]{detail}"
        )


def cmd_reconcile(args: argparse.Namespace) -> int:
    from fpsdesk.desk.connection import build_client
    from fpsdesk.desk.settle import Settler, apply_ipn_truths
    from fpsdesk.store import IpnStore, open_database
    from fpsdesk.store.actions import ActionStore
    from fpsdesk.store.db import database_errors

    if not 0 <= args.wait <= 24 * 3600:
        return usage("--wait must be between 0 and 86400 seconds.", args.json)
    try:
        apply_verbosity(args)
        conn = connection(args)
    except UsageError as exc:
        return usage(str(exc), args.json)
    try:
        db = open_database()
        actions = ActionStore(db)
        ipns = IpnStore(db)
    except database_errors(OSError) as exc:
        return refuse(
            f"The history cannot be used ({clause(str(exc))}).",
            args.json,
            ExitCode.NOT_RECORDED,
            "No history",
        )
    deadline = time.monotonic() + args.wait
    changed: dict[int, Settlement] = {}
    with build_client(conn) as client:
        settler = Settler(
            actions,
            conn.endpoint,
            lambda txn: client.get_transaction_status(txn).transaction_status,
        )
        step = 0
        while True:
            for settled in apply_ipn_truths(settler, ipns):
                changed[settled.record.id] = settled
            done, failed = settler.settle_all()
            for settled in done:
                if settled.changed:
                    changed[settled.record.id] = settled
            still = {s.record.id: s for s in done if not s.record.resolved}
            for record in settler.unresolved():
                still.setdefault(record.id, _plain(record))
            remaining = deadline - time.monotonic()
            if (not still and not failed) or remaining <= 0:
                break
            pause = min(WAIT_STEPS[min(step, len(WAIT_STEPS) - 1)], remaining)
            step += 1
            time.sleep(pause)
    return _report_reconcile(conn, changed, still, failed, args.json)


def _plain(record: ActionRecord) -> Settlement:
    from fpsdesk.desk.settle import Settlement

    return Settlement(record)


def _report_reconcile(
    conn: Connection,
    changed: dict[int, Settlement],
    still: dict[int, Settlement],
    failed: list[ReadFailed],
    as_json: bool,
) -> int:
    code = ExitCode.OK
    if still:
        code = ExitCode.OUTCOME_UNKNOWN
    elif failed:
        code = ExitCode.NETWORK
    if as_json:
        print_json(
            {
                "ok": code == ExitCode.OK,
                "exit_code": code,
                "endpoint": conn.endpoint,
                "environment": conn.environment,
                "settled": [_record_json(s.record) for s in changed.values() if s.record.resolved],
                "unresolved": [
                    dict(_record_json(s.record), in_flight=s.in_flight) for s in still.values()
                ],
                "read_errors": [
                    {"transaction_id": f.transaction_id, "error": str(f.error)} for f in failed
                ],
                "checked_at": datetime.now(UTC),
            }
        )
        return code
    for settled in changed.values():
        if settled.record.resolved:
            record = settled.record
            emit(f"#{record.id} Cancel {record.transaction_id}: {_describe_state(record)}")
    for settled in still.values():
        record = settled.record
        emit(
            f"#{record.id} Cancel {record.transaction_id}: "
            f"{_describe_state(record, settled.in_flight)}"
        )
    for failure in failed:
        if isinstance(failure.error, FpsClientError):
            report_error(failure.error, False)
        emit(
            f"fpsdesk: could not read {failure.transaction_id}; its cancels stay as they were.",
            sys.stderr,
        )
    if not changed and not still and not failed:
        emit(f"Nothing to settle on {conn.environment} ({conn.endpoint}).")
    return code
