"""``fpsdesk status`` and ``fpsdesk cancel``: the two support actions, for scripts and terminals.

The cancel lifecycle itself (fresh status read, record before send, send once, settle) is
fpsdesk/desk/cancel.py, the same code the app runs; this module turns its results into text,
JSON and exit codes (fpsdesk.commands.exit_codes.ExitCode, listed in the README).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from fpsdesk.commands.connecting import (
    UsageError,
    apply_verbosity,
    checked_reason_code,
    connection,
    connection_options,
)
from fpsdesk.commands.exit_codes import ExitCode
from fpsdesk.commands.output import (
    amount,
    clean,
    emit,
    explanation_json,
    local_time,
    print_json,
    refuse,
    report_error,
    usage,
    when,
)
from fpsdesk.desk.connection import Connection, build_client
from fpsdesk.fps.endpoints import environment_of
from fpsdesk.fps.errors import clause, describe
from fpsdesk.fps.exceptions import FpsClientError, InvalidInput
from fpsdesk.fps.ids import pick_transaction_id
from fpsdesk.fps.models import TransactionDetail, TransactionStatusResult

MAX_REASON_LENGTH = 1000


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    status = subparsers.add_parser(
        "status",
        help="show a transaction's status (with --detail: full detail and history)",
        description="Look up one FPS transaction. Exit codes: 0 ok, 2 invalid input, "
        "3 FPS error, 5 network/TLS/protocol error.",
    )
    status.add_argument("transaction_id", metavar="TXID", help="the 35-character transaction ID")
    status.add_argument(
        "--detail", action="store_true", help="full detail: amounts, parties, status history"
    )
    status.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    connection_options(status)
    status.set_defaults(func=cmd_status)

    cancel = subparsers.add_parser(
        "cancel",
        help="cancel a Reserved or Pending transaction (asks to confirm unless --yes)",
        description="Cancel a Reserved or Pending FPS transaction. The status is always read "
        "first; on a terminal it is shown and you are asked to confirm (without a terminal, "
        "--yes is required). A cancel is never re-sent automatically, and a second cancel "
        "while an earlier one has no known outcome needs --again. Exit codes: 0 cancelled, "
        "1 declined, 2 invalid input, 3 FPS refused, 4 outcome still unknown, "
        "5 network/TLS/protocol error, 6 not sent: could not be recorded, "
        "7 not cancelled: not Reserved or Pending, 8 not sent: an earlier cancel is unresolved.",
    )
    cancel.add_argument(
        "transaction_id",
        metavar="TXID",
        nargs="?",
        help="the 35-character transaction ID (or --from FILE for many)",
    )
    bulk = cancel.add_argument_group("many at once")
    bulk.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="cancel every transaction named in FILE (CSV, TSV or text; IDs in any column); "
        "always checked first in a dry run",
    )
    bulk.add_argument("--dry-run", action="store_true", help="with --from: only check and classify")
    bulk.add_argument(
        "--resume",
        type=int,
        nargs="?",
        const=0,
        metavar="RUN",
        help="send (the rest of) a bulk run: a dry run, or one that stopped (default: the "
        "latest unfinished here)",
    )
    bulk.add_argument(
        "--rate",
        type=float,
        default=2.0,
        help="at most this many cancels per second (default 2; slower when FPS says so)",
    )
    bulk.add_argument(
        "--confirm-count",
        type=int,
        metavar="N",
        help="with --yes, in Production above 20: the number of cancels, typed to confirm",
    )
    cancel.add_argument(
        "--reason-code",
        metavar="CODE",
        help="one of the profile's reason codes (default list: customer-request, "
        "duplicate-order, suspected-fraud, out-of-stock, address-problem, other); recorded and "
        "sent to FPS in the Description",
    )
    cancel.add_argument(
        "--reason", help="a comment on why it is cancelled (sent to FPS in the Description)"
    )
    cancel.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    cancel.add_argument(
        "--again",
        action="store_true",
        help="send it even though an earlier cancel of it has no known outcome yet",
    )
    cancel.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    connection_options(cancel)
    cancel.set_defaults(func=cmd_cancel)


def _run(args: argparse.Namespace, body: Callable[[str, Connection], int]) -> int:
    try:
        apply_verbosity(args)
        try:
            txid = pick_transaction_id(args.transaction_id)
        except InvalidInput as exc:
            raise UsageError(str(exc)) from None
        return body(txid, connection(args))
    except UsageError as exc:
        return usage(str(exc), args.json)
    except FpsClientError as exc:
        return report_error(exc, args.json, "Cancel" if args.func is cmd_cancel else None)


# -- status ------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    def body(txid: str, conn: Connection) -> int:
        with build_client(conn) as client:
            result: TransactionDetail | TransactionStatusResult = (
                client.get_transaction(txid) if args.detail else client.get_transaction_status(txid)
            )
        if args.json:
            print_json(
                {
                    "ok": True,
                    "endpoint": conn.endpoint,
                    "environment": environment_of(conn.endpoint),
                    "transaction": result,
                }
            )
        elif isinstance(result, TransactionDetail):
            _print_detail(result, conn)
        else:
            _print_status(result, conn)
        return ExitCode.OK

    return _run(args, body)


def _rows(rows: list[tuple[str, str | None]]) -> None:
    for label, value in rows:
        if value:
            emit(f"  {label:<18}{value}")


def _print_status(result: TransactionStatusResult, conn: Connection) -> None:
    emit(f"Transaction {result.transaction_id}  [{environment_of(conn.endpoint)}: {conn.endpoint}]")
    code = f" ({clean(result.status_code)})" if result.status_code else ""
    _rows(
        [
            ("Status", f"{result.transaction_status.value}{code}"),
            ("Message", clean(result.status_message) if result.status_message else None),
            ("Caller reference", clean(result.caller_reference)),
            ("Can be cancelled", "yes" if result.transaction_status.cancellable else "no"),
            ("RequestId", clean(result.request_id)),
        ]
    )


def _party(name: str | None, email: str | None, note: str | None = None) -> str | None:
    if not (name or email or note):
        return None
    text = clean(name or "—")
    if email:
        text += f" <{clean(email)}>"
    if note:
        text += f' — "{clean(note)}"'
    return text


def _print_detail(d: TransactionDetail, conn: Connection) -> None:
    emit(f"Transaction {d.transaction_id}  [{environment_of(conn.endpoint)}: {conn.endpoint}]")
    code = f" ({clean(d.status_code)})" if d.status_code else ""
    _rows(
        [
            ("Status", f"{d.transaction_status.value}{code}"),
            ("Message", clean(d.status_message) if d.status_message else None),
            ("Operation", f"{clean(d.fps_operation)} by {clean(d.payment_method)}"),
            ("Amount", amount(d.transaction_amount)),
            ("FPS fees", f"{amount(d.fps_fees)}, paid by {clean(d.fps_fees_paid_by)}"),
            ("Marketplace fees", amount(d.marketplace_fees) if d.marketplace_fees else None),
            ("Caller reference", clean(d.caller_reference)),
            ("Caller", _party(d.caller_name, None, d.caller_description)),
            ("Sender", _party(d.sender_name, d.sender_email, d.sender_description)),
            ("Recipient", _party(d.recipient_name, d.recipient_email)),
            ("Received", when(d.date_received)),
            ("Completed", when(d.date_completed) if d.date_completed else None),
            ("Sender token", clean(d.sender_token_id) if d.sender_token_id else None),
            ("Recipient token", clean(d.recipient_token_id) if d.recipient_token_id else None),
            (
                "Prepaid instrument",
                clean(d.prepaid_instrument_id) if d.prepaid_instrument_id else None,
            ),
            (
                "Credit instrument",
                clean(d.credit_instrument_id) if d.credit_instrument_id else None,
            ),
            ("Can be cancelled", "yes" if d.transaction_status.cancellable else "no"),
        ]
    )
    if d.related_transactions:
        emit("Related transactions")
        for related in d.related_transactions:
            emit(f"  {clean(related.transaction_id)}  {clean(related.relation_type or 'related')}")
    emit("Status history")
    if not d.status_history:
        emit("  (none)")
    for entry in d.status_history:
        parts = [
            when(entry.date),
            f"{entry.transaction_status.value:<10}",
            clean(entry.status_code or ""),
        ]
        if entry.amount is not None:
            parts.append(amount(entry.amount))
        emit("  " + "  ".join(p for p in parts if p))
    emit(f"RequestId {clean(d.request_id)}")


# -- cancel ------------------------------------------------------------------------------


def cmd_cancel(args: argparse.Namespace) -> int:
    reason: str | None = args.reason
    if reason is not None:
        reason = reason.strip()
        if len(reason) > MAX_REASON_LENGTH:
            return usage(f"--reason has at most {MAX_REASON_LENGTH} characters.", args.json)
        if any(not ch.isprintable() for ch in reason):
            return usage("--reason cannot contain control characters.", args.json)
    if args.from_file is not None or args.resume is not None:
        if args.transaction_id is not None:
            return usage("Give a TXID, or --from FILE / --resume, not both.", args.json)
        if args.from_file is not None and args.resume is not None:
            return usage("Give --from FILE or --resume, not both.", args.json)
        if args.dry_run and args.resume is not None:
            return usage("--dry-run goes with --from FILE.", args.json)
        from fpsdesk.commands.bulk import cmd_bulk

        return cmd_bulk(args)
    if args.transaction_id is None:
        return usage("Give the transaction ID to cancel (or --from FILE).", args.json)
    if args.dry_run:
        return usage("--dry-run goes with --from FILE.", args.json)
    if not args.yes and not sys.stdin.isatty():
        return usage(
            "Refusing to cancel without confirmation: no terminal to ask on. Add --yes to confirm.",
            args.json,
        )

    def body(txid: str, conn: Connection) -> int:
        code = checked_reason_code(args.reason_code, conn)
        from fpsdesk.desk.cancel import (
            BeingCancelled,
            CancelDesk,
            EarlierCancelUnresolved,
            NotCancellable,
            NotRecorded,
            StatusChanged,
        )
        from fpsdesk.store import ActionStore, open_database
        from fpsdesk.store.db import database_errors

        try:
            actions = ActionStore(open_database())
        except database_errors(OSError) as exc:
            return _not_recorded(str(NotRecorded(str(exc))), args.json)
        with build_client(conn) as client:
            desk = CancelDesk(client, actions)
            expected = None
            try:
                if not args.yes:
                    current, earlier = desk.prepare(txid, again=args.again)
                    _print_status(current, conn)
                    if earlier:
                        _print_earlier(earlier)
                    if not _confirm(txid, conn, again=bool(earlier)):
                        emit("Not cancelled.", sys.stderr)
                        return ExitCode.FAILURE
                    expected = current.transaction_status
                done = desk.cancel(
                    txid,
                    reason,
                    expected=expected,
                    again=args.again,
                    follow_up=True,
                    reason_code=code,
                )
            except NotRecorded as exc:
                return _not_recorded(str(exc), args.json)
            except (NotCancellable, StatusChanged) as exc:
                return refuse(
                    f"Not cancelled: {exc}", args.json, ExitCode.NOT_CANCELLABLE, "Not cancellable"
                )
            except BeingCancelled as exc:
                return _being_cancelled(desk, exc, args.json)
            except EarlierCancelUnresolved as exc:
                if not args.json:
                    _print_earlier(exc.earlier)
                return refuse(
                    f"{exc} Run 'fpsdesk reconcile' to settle it (or 'fpsdesk history "
                    f"--transaction {txid}'); to send another Cancel anyway, add --again.",
                    args.json,
                    ExitCode.EARLIER_UNRESOLVED,
                    "An earlier cancel is unresolved",
                )
        return _report_cancel(done, conn, args.json)

    return _run(args, body)


def _being_cancelled(desk: Any, exc: Any, as_json: bool) -> int:
    """Another desk holds the claim: say who and since when, then wait for its outcome."""
    from fpsdesk.desk.settle import state_of

    holder = exc.holder
    if holder.claimed and not as_json:
        emit(f"{exc} Waiting for its outcome…", sys.stderr)
    final = desk.wait_for(holder.id) if holder.claimed else holder
    outcome = state_of(final).value if final is not None else "unknown"
    return refuse(
        f"{exc} Its outcome: {outcome}.",
        as_json,
        ExitCode.BEING_CANCELLED,
        "Being cancelled by another desk",
    )


def _not_recorded(message: str, as_json: bool) -> int:
    return refuse(
        f"{message} Free some disk space or fix the history file, then run the command again.",
        as_json,
        ExitCode.NOT_RECORDED,
        "Not recorded, not sent",
    )


def _print_earlier(earlier: Any) -> None:
    from fpsdesk.desk.owner import describe_owner

    emit("Earlier cancels of this transaction with no known outcome:", sys.stderr)
    for attempt in earlier:
        record = attempt.record
        if attempt.in_flight:
            state = f"still being sent by {describe_owner(record)}"
        else:
            until = record.decide_after
            state = "outcome unknown" + (
                f", may still take effect until {local_time(until)}" if until else ""
            )
        emit(
            f"  action #{record.id}  {when(record.created_at)}  {clean(record.operator)}  {state}",
            sys.stderr,
        )


def _confirm(txid: str, conn: Connection, *, again: bool = False) -> bool:
    second = "a SECOND Cancel of " if again else ""
    prompt = (
        f"Send {second}Cancel of {txid} on {environment_of(conn.endpoint)} ({conn.endpoint})? "
        "Type yes to confirm: "
    )
    try:
        sys.stderr.write(prompt)
        sys.stderr.flush()
        answer = sys.stdin.readline()
    except (EOFError, OSError):
        return False
    return answer.strip().lower() in ("y", "yes")


def _report_cancel(done: Any, conn: Connection, as_json: bool) -> int:
    """Text, JSON and the exit code for a Cancel that was sent (fpsdesk.desk.cancel)."""
    from fpsdesk.desk.settle import CancelState

    state = done.state
    record = done.record
    code = ExitCode.OK
    error: dict[str, Any] | None = None
    if state is CancelState.SUCCEEDED:
        if done.result is not None and done.follow_up is None:
            lines = [
                f"Cancelled {done.transaction_id}: status is now "
                f"{done.result.transaction_status.value}. RequestId "
                f"{clean(done.result.request_id)} (action #{done.action_id})"
            ]
        else:
            lines = [
                f"Cancelled {done.transaction_id}: FPS's answer was lost, but a status read "
                f"shows it Cancelled, so the cancel happened (action #{done.action_id})."
            ]
        if not as_json:
            for line in lines:
                emit(line)
    elif state is CancelState.NOT_CANCELLED:
        if isinstance(done.error, FpsClientError):
            code = report_error(done.error, as_json, "Cancel")
        else:
            status = record.status_after or "unknown"
            code = refuse(
                f"Not cancelled: {done.transaction_id} is {status} (action #{done.action_id}).",
                as_json,
                ExitCode.NOT_CANCELLABLE if done.follow_up else ExitCode.FPS_ERROR,
                "Not cancelled",
            )
    else:  # unknown: only now is exit 4 the truth
        assert done.error is not None
        code = report_error(done.error, False, "Cancel")
        error = explanation_json(describe(done.error, "Cancel"))
        until = done.until
        if done.follow_up_error is not None:
            emit(
                f"  Could not read the status right after either ({clause(done.follow_up_error)}).",
                sys.stderr,
            )
        elif done.follow_up is not None and done.follow_up.status is not None:
            emit(
                f"  Status read just now: {done.follow_up.status.value}: that proves nothing "
                "yet, the Cancel may still arrive.",
                sys.stderr,
            )
        if until is not None:
            emit(
                f"  It may still take effect until {local_time(until)}; after that a read "
                "decides. Do not cancel again before then.",
                sys.stderr,
            )
        emit(
            f"  Run 'fpsdesk reconcile' to settle it, 'fpsdesk history --transaction "
            f"{done.transaction_id}' to see it (action #{done.action_id}).",
            sys.stderr,
        )
    if done.history_error:
        emit(
            f"fpsdesk: warning: the answer could not be written to the history "
            f"({clean(done.history_error)}); the row stays pending and is settled later.",
            sys.stderr,
        )
    if as_json:
        print_json(
            {
                "ok": code == ExitCode.OK,
                "exit_code": code,
                "endpoint": conn.endpoint,
                "environment": environment_of(conn.endpoint),
                "state": state.value,
                "until": done.until,
                "action": record,
                "result": done.result,
                "error": error,
            }
        )
    return code
