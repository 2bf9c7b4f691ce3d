"""``fpsdesk status`` and ``fpsdesk cancel``: the two support actions, for scripts and terminals.

Exit codes (fpsdesk.cli.ExitCode): 0 done, 1 cancel declined at the prompt, 2 usage or invalid
input (nothing sent), 3 FPS refused (code, message and RequestId printed; also a cancel refused
before sending because the transaction is not Reserved or Pending), 4 outcome unknown, 5
network, TLS or protocol error. Text that came from the server is stripped of control
characters before it reaches the terminal, so a hostile name cannot inject escape sequences.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from fpsdesk import logsetup
from fpsdesk.cli import ExitCode
from fpsdesk.fps.endpoints import environment_of, validate_endpoint
from fpsdesk.fps.errors import Explanation, describe
from fpsdesk.fps.exceptions import (
    FpsClientError,
    FpsError,
    InvalidInput,
    NetworkError,
    OutcomeUnknown,
    ProtocolError,
)
from fpsdesk.fps.ids import normalize_transaction_id
from fpsdesk.fps.models import (
    Amount,
    TransactionDetail,
    TransactionStatus,
    TransactionStatusResult,
)

log = logging.getLogger(__name__)

ENV_ACCESS_KEY = "AWS_ACCESS_KEY_ID"
ENV_SECRET_KEY = "AWS_SECRET_ACCESS_KEY"
DEFAULT_TIMEOUT = 30.0
MAX_REASON_LENGTH = 1000


class _UsageError(Exception):
    """Bad command-line input; the message is shown as is and the exit code is 2."""


@dataclasses.dataclass(frozen=True)
class _Connection:
    endpoint: str
    access_key_id: str
    secret_key: str = dataclasses.field(repr=False)
    ca_bundle: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    source: str = ""  # "profile NAME" or "--endpoint"


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
    _connection_options(status)
    status.set_defaults(func=cmd_status)

    cancel = subparsers.add_parser(
        "cancel",
        help="cancel a Reserved or Pending transaction (asks to confirm unless --yes)",
        description="Cancel a Reserved or Pending FPS transaction. On a terminal it shows the "
        "current status and asks to confirm; without a terminal, --yes is required. A cancel is "
        "never re-sent automatically. Exit codes: 0 cancelled, 1 declined, 2 invalid input, "
        "3 FPS refused, 4 outcome unknown (check the status), 5 network/TLS/protocol error.",
    )
    cancel.add_argument("transaction_id", metavar="TXID", help="the 35-character transaction ID")
    cancel.add_argument("--reason", help="why it is cancelled (sent to FPS as Description)")
    cancel.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    cancel.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    _connection_options(cancel)
    cancel.set_defaults(func=cmd_cancel)


def _connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--endpoint",
        metavar="URL",
        help=f"FPS endpoint (https://…, or http:// to this computer); keys from "
        f"${ENV_ACCESS_KEY} and ${ENV_SECRET_KEY}",
    )
    group.add_argument(
        "--profile",
        dest="txn_profile",
        metavar="NAME",
        help="use a saved profile (default: the current profile when --endpoint is not given)",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for FPS (default {DEFAULT_TIMEOUT:g})",
    )
    group.add_argument("--ca-bundle", metavar="PEM", help="extra CA certificates to trust")
    group.add_argument(
        "-v",
        "--verbose",
        dest="txn_verbose",
        action="count",
        default=0,
        help="more logging (-vv: debug; secrets and signatures are redacted)",
    )


# -- output helpers ----------------------------------------------------------------------


def _clean(value: object) -> str:
    """Server text made safe for a terminal: control and format characters become '?'."""
    text = str(value)
    return "".join(ch if ch.isprintable() or ch == " " else "?" for ch in text)


def _emit(line: str = "", stream: TextIO | None = None) -> None:
    print(line, file=stream or sys.stdout)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _print_json(payload: dict[str, Any]) -> None:
    _emit(json.dumps(_jsonable(payload), indent=2, ensure_ascii=False))


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.isoformat(sep=" ", timespec="milliseconds")


def _amount(amount: Amount | None) -> str:
    return "—" if amount is None else _clean(amount)


def _explanation_json(explanation: Explanation) -> dict[str, Any]:
    return dataclasses.asdict(explanation)


def _report_error(exc: BaseException, as_json: bool, action: str | None = None) -> int:
    """Print a plain explanation on stderr (and JSON on stdout with --json); return the code."""
    explanation = describe(exc, action)
    if isinstance(exc, FpsError):
        code = ExitCode.FPS_ERROR
        lines = [
            f"fpsdesk: FPS error {_clean(exc.code)}: {explanation.title}",
            f"  {_clean(explanation.detail)}",
            f"  RequestId: {_clean(exc.request_id or 'none given')}",
        ]
    elif isinstance(exc, OutcomeUnknown):
        code = ExitCode.OUTCOME_UNKNOWN
        lines = [f"fpsdesk: {explanation.title}", f"  {_clean(explanation.detail)}"]
    elif isinstance(exc, NetworkError | ProtocolError):
        code = ExitCode.NETWORK
        lines = [f"fpsdesk: {explanation.title}", f"  {_clean(explanation.detail)}"]
    elif isinstance(exc, InvalidInput):
        code = ExitCode.USAGE
        lines = [f"fpsdesk: {_clean(explanation.detail)}"]
    else:
        code = ExitCode.FAILURE
        lines = [f"fpsdesk: {explanation.title}"]
    lines.append(f"  Next step: {explanation.next_step}")
    for line in lines:
        _emit(logsetup.redact(line), sys.stderr)
    if as_json:
        _print_json({"ok": False, "exit_code": code, "error": _explanation_json(explanation)})
    return code


def _usage(message: str, as_json: bool) -> int:
    _emit(f"fpsdesk: {message}", sys.stderr)
    if as_json:
        _print_json(
            {
                "ok": False,
                "exit_code": ExitCode.USAGE,
                "error": {"title": "Invalid input", "detail": message},
            }
        )
    return ExitCode.USAGE


# -- connection --------------------------------------------------------------------------


def _connection(args: argparse.Namespace) -> _Connection:
    """Endpoint and keys from --profile, --endpoint + environment, or the current profile."""
    if not args.timeout > 0 or args.timeout > 600:
        raise _UsageError("--timeout must be between 0 and 600 seconds.")
    profile_name: str | None = args.txn_profile or getattr(args, "profile", None)
    if profile_name and args.endpoint:
        raise _UsageError("Use either --profile or --endpoint, not both.")
    if args.endpoint:
        try:
            endpoint = validate_endpoint(args.endpoint)
        except InvalidInput as exc:
            raise _UsageError(str(exc)) from None
        access_key = os.environ.get(ENV_ACCESS_KEY, "").strip()
        secret = os.environ.get(ENV_SECRET_KEY, "").strip()
        missing = [
            name
            for name, value in ((ENV_ACCESS_KEY, access_key), (ENV_SECRET_KEY, secret))
            if not value
        ]
        if missing:
            raise _UsageError(
                f"--endpoint needs the credentials in the environment: set "
                f"{' and '.join(missing)} (or use --profile NAME)."
            )
        return _Connection(endpoint, access_key, secret, args.ca_bundle, args.timeout, "--endpoint")
    from fpsdesk.credentials import CredentialError, resolve_profile  # lazy: keyring

    try:
        profile, secret = resolve_profile(profile_name)
    except CredentialError as exc:
        message = str(exc).rstrip()
        if not profile_name:
            message = (
                f"{message.rstrip('.')}. Or give --endpoint URL with {ENV_ACCESS_KEY} and "
                f"{ENV_SECRET_KEY} set."
            )
        raise _UsageError(message) from None
    return _Connection(
        profile.endpoint,
        profile.access_key_id,
        secret,
        args.ca_bundle or profile.ca_bundle,
        args.timeout,
        f"profile {profile.name}",
    )


def _client(conn: _Connection) -> Any:
    from fpsdesk.fps.client import FpsClient

    return FpsClient(
        conn.endpoint,
        conn.access_key_id,
        conn.secret_key,
        timeout=(min(10.0, conn.timeout), conn.timeout),
        ca_bundle=conn.ca_bundle,
    )


def _prepare(args: argparse.Namespace) -> tuple[str, _Connection]:
    if args.txn_verbose:
        level = logging.INFO if args.txn_verbose == 1 else logging.DEBUG
        logsetup.configure(min(level, logging.getLogger().getEffectiveLevel()))
    try:
        txid = normalize_transaction_id(args.transaction_id)
    except InvalidInput as exc:
        raise _UsageError(str(exc)) from None
    return txid, _connection(args)


def _run(args: argparse.Namespace, body: Callable[[str, _Connection], int]) -> int:
    try:
        txid, conn = _prepare(args)
        return body(txid, conn)
    except _UsageError as exc:
        return _usage(str(exc), args.json)
    except FpsClientError as exc:
        return _report_error(exc, args.json, "Cancel" if args.func is cmd_cancel else None)


# -- status ------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    def body(txid: str, conn: _Connection) -> int:
        with _client(conn) as client:
            result: TransactionDetail | TransactionStatusResult = (
                client.get_transaction(txid) if args.detail else client.get_transaction_status(txid)
            )
        if args.json:
            _print_json(
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
            _emit(f"  {label:<18}{value}")


def _print_status(result: TransactionStatusResult, conn: _Connection) -> None:
    _emit(
        f"Transaction {result.transaction_id}  [{environment_of(conn.endpoint)}: {conn.endpoint}]"
    )
    code = f" ({_clean(result.status_code)})" if result.status_code else ""
    _rows(
        [
            ("Status", f"{result.transaction_status.value}{code}"),
            ("Message", _clean(result.status_message) if result.status_message else None),
            ("Caller reference", _clean(result.caller_reference)),
            ("Can be cancelled", "yes" if result.transaction_status.cancellable else "no"),
            ("RequestId", _clean(result.request_id)),
        ]
    )


def _party(name: str | None, email: str | None, note: str | None = None) -> str | None:
    if not (name or email or note):
        return None
    text = _clean(name or "—")
    if email:
        text += f" <{_clean(email)}>"
    if note:
        text += f' — "{_clean(note)}"'
    return text


def _print_detail(d: TransactionDetail, conn: _Connection) -> None:
    _emit(f"Transaction {d.transaction_id}  [{environment_of(conn.endpoint)}: {conn.endpoint}]")
    code = f" ({_clean(d.status_code)})" if d.status_code else ""
    _rows(
        [
            ("Status", f"{d.transaction_status.value}{code}"),
            ("Message", _clean(d.status_message) if d.status_message else None),
            ("Operation", f"{_clean(d.fps_operation)} by {_clean(d.payment_method)}"),
            ("Amount", _amount(d.transaction_amount)),
            ("FPS fees", f"{_amount(d.fps_fees)}, paid by {_clean(d.fps_fees_paid_by)}"),
            ("Marketplace fees", _amount(d.marketplace_fees) if d.marketplace_fees else None),
            ("Caller reference", _clean(d.caller_reference)),
            ("Caller", _party(d.caller_name, None, d.caller_description)),
            ("Sender", _party(d.sender_name, d.sender_email, d.sender_description)),
            ("Recipient", _party(d.recipient_name, d.recipient_email)),
            ("Received", _when(d.date_received)),
            ("Completed", _when(d.date_completed) if d.date_completed else None),
            ("Sender token", _clean(d.sender_token_id) if d.sender_token_id else None),
            ("Recipient token", _clean(d.recipient_token_id) if d.recipient_token_id else None),
            (
                "Prepaid instrument",
                _clean(d.prepaid_instrument_id) if d.prepaid_instrument_id else None,
            ),
            (
                "Credit instrument",
                _clean(d.credit_instrument_id) if d.credit_instrument_id else None,
            ),
            ("Can be cancelled", "yes" if d.transaction_status.cancellable else "no"),
        ]
    )
    if d.related_transactions:
        _emit("Related transactions")
        for related in d.related_transactions:
            _emit(f"  {_clean(related.transaction_id)}  {_clean(related.relation_type)}")
    _emit("Status history")
    if not d.status_history:
        _emit("  (none)")
    for entry in d.status_history:
        parts = [
            _when(entry.date),
            f"{entry.transaction_status.value:<10}",
            _clean(entry.status_code or ""),
        ]
        if entry.amount is not None:
            parts.append(_amount(entry.amount))
        _emit("  " + "  ".join(p for p in parts if p))
    _emit(f"RequestId {_clean(d.request_id)}")


# -- cancel ------------------------------------------------------------------------------


def cmd_cancel(args: argparse.Namespace) -> int:
    reason: str | None = args.reason
    if reason is not None:
        reason = reason.strip()
        if len(reason) > MAX_REASON_LENGTH:
            return _usage(f"--reason has at most {MAX_REASON_LENGTH} characters.", args.json)
        if any(not ch.isprintable() for ch in reason):
            return _usage("--reason cannot contain control characters.", args.json)

    def body(txid: str, conn: _Connection) -> int:
        status_before: str | None = None
        with _client(conn) as client:
            if not args.yes:
                if not sys.stdin.isatty():
                    raise _UsageError(
                        "Refusing to cancel without confirmation: no terminal to ask on. "
                        "Add --yes to confirm."
                    )
                current = client.get_transaction_status(txid)
                status_before = current.transaction_status.value
                _print_status(current, conn)
                if not current.transaction_status.cancellable:
                    _emit(
                        f"fpsdesk: not cancelled: the transaction is "
                        f"{current.transaction_status.value}. Only Reserved or Pending "
                        "transactions can be cancelled; if it completed, refund it instead.",
                        sys.stderr,
                    )
                    return ExitCode.FPS_ERROR
                if not _confirm(txid, conn):
                    _emit("Not cancelled.", sys.stderr)
                    return ExitCode.FAILURE
            try:
                history = _History.open(conn, txid, reason, status_before)
            except _NotRecorded as exc:
                return _not_recorded(exc, args.json)
            try:
                result = client.cancel(txid, reason)
            except OutcomeUnknown as exc:
                history.unknown(exc.detail)
                code = _report_error(exc, args.json, "Cancel")
                _after_unknown(client, txid, history)
                return code
            except FpsError as exc:
                history.failed(exc.code, exc.message, exc.request_id)
                raise
            except FpsClientError as exc:  # raised before anything was sent
                history.failed(None, str(exc), None)
                raise
            history.done(result.transaction_status, result.request_id)
        if args.json:
            _print_json(
                {
                    "ok": True,
                    "endpoint": conn.endpoint,
                    "environment": environment_of(conn.endpoint),
                    "result": result,
                }
            )
        else:
            _emit(
                f"Cancelled {result.transaction_id}: status is now "
                f"{result.transaction_status.value}. RequestId {_clean(result.request_id)}"
            )
        return ExitCode.OK

    return _run(args, body)


def _confirm(txid: str, conn: _Connection) -> bool:
    prompt = (
        f"Cancel {txid} on {environment_of(conn.endpoint)} ({conn.endpoint})? Type yes to confirm: "
    )
    try:
        sys.stderr.write(prompt)
        sys.stderr.flush()
        answer = sys.stdin.readline()
    except (EOFError, OSError):
        return False
    return answer.strip().lower() in ("y", "yes")


def _after_unknown(client: Any, txid: str, history: _History) -> None:
    """One status read to help reconcile; the exit code stays 'outcome unknown'.

    Only a final status settles the history entry. Reserved or Pending right after a lost
    Cancel is not proof (the Cancel may still be queued), so that entry stays unknown and the
    desktop app's reconciler finishes it.
    """
    try:
        current = client.get_transaction_status(txid)
    except FpsClientError as exc:
        _emit(
            f"  Could not read the status now either ({describe(exc).title}). "
            f"Run: fpsdesk status {txid}",
            sys.stderr,
        )
        return
    status = current.transaction_status
    code = f" ({_clean(current.status_code)})" if current.status_code else ""
    if status is TransactionStatus.CANCELLED:
        verdict = "so the cancel happened."
    elif status.final:
        verdict = "so it was not cancelled."
    else:
        verdict = (
            "so it is not cancelled so far; check again in a minute before trying "
            f"again (fpsdesk status {txid})."
        )
    _emit(f"  Status read just now: {status.value}{code}, {verdict}", sys.stderr)
    history.reconciled(status)


class _NotRecorded(Exception):
    """The history row could not be written before sending: the Cancel must not leave."""


def _not_recorded(exc: _NotRecorded, as_json: bool) -> int:
    message = (
        f"Not sent: this cancel cannot be recorded in the history ({exc}). Every cancel is "
        "written down before it leaves, so nothing was sent to FPS. Free some disk space or "
        "fix the history file, then run the command again."
    )
    _emit(f"fpsdesk: {_clean(message)}", sys.stderr)
    if as_json:
        _print_json(
            {
                "ok": False,
                "exit_code": ExitCode.NOT_RECORDED,
                "error": {"title": "Not recorded, not sent", "detail": message},
            }
        )
    return ExitCode.NOT_RECORDED


class _History:
    """The cancel's row in the shared history database (the one the desktop app shows).

    Written, durably, before the request is sent; if it cannot be written the Cancel is not
    sent at all (``_NotRecorded``), so no cancel ever happens without its row.
    """

    def __init__(self, store: Any, action_id: int | None) -> None:
        self._store = store
        self._id = action_id

    @classmethod
    def open(
        cls, conn: _Connection, txid: str, reason: str | None, status_before: str | None
    ) -> _History:
        from fpsdesk.store import ActionStore, StoreError, open_database

        try:
            store = ActionStore(open_database())
            action_id = store.start(
                "Cancel",
                txid,
                environment=environment_of(conn.endpoint),
                endpoint=conn.endpoint,
                reason=reason or None,
                status_before=status_before,
            )
        except (StoreError, OSError, sqlite3.Error) as exc:
            raise _NotRecorded(str(exc)) from exc
        return cls(store, action_id)

    def _finish(self, outcome_name: str, **fields: Any) -> None:
        if self._store is None or self._id is None:
            return
        from fpsdesk.store import ActionOutcome

        try:
            self._store.finish(self._id, ActionOutcome(outcome_name), **fields)
        except sqlite3.Error as exc:
            _emit(f"fpsdesk: warning: could not update the history ({exc}).", sys.stderr)

    def done(self, status: TransactionStatus, request_id: str) -> None:
        succeeded = status is TransactionStatus.CANCELLED
        self._finish(
            "succeeded" if succeeded else "failed", status_after=status.value, request_id=request_id
        )

    def failed(self, code: str | None, message: str, request_id: str | None) -> None:
        self._finish("failed", error_code=code, error_message=message, request_id=request_id)

    def unknown(self, detail: str) -> None:
        self._finish("unknown", error_message=detail)

    def reconciled(self, status: TransactionStatus) -> None:
        if self._store is None or self._id is None or not status.final:
            return
        from fpsdesk.store import ActionOutcome

        outcome = (
            ActionOutcome.SUCCEEDED
            if status is TransactionStatus.CANCELLED
            else ActionOutcome.FAILED
        )
        try:
            self._store.reconcile(self._id, outcome, status.value)
        except sqlite3.Error as exc:
            _emit(f"fpsdesk: warning: could not update the history ({exc}).", sys.stderr)
