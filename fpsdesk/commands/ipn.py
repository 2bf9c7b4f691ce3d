"""``fpsdesk ipn serve|import|list|recheck|quarantine``: the IPN history from a terminal.

``serve`` is the receiver FPS posts to; ``import`` reads saved notifications; ``list`` prints
what is stored, with verdicts and reasons, for support scripts and audits (``--json`` writes
JSON lines that ``import`` reads back); ``recheck`` settles Not checked verdicts later.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpsdesk.commands.exit_codes import ExitCode
from fpsdesk.commands.output import count as n_of
from fpsdesk.commands.stopping import STOP_HINT, stop_on_signals
from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.fps.ids import pick_transaction_id
from fpsdesk.ipn.files import FORMATS
from fpsdesk.records.ipn import VERIFY_MODES, IpnVerdict
from fpsdesk.store.db import open_database
from fpsdesk.store.ipns import IPN_ENVIRONMENTS, IpnFilter, IpnRecord, IpnStore
from fpsdesk.store.location import history_arg
from fpsdesk.store.schema import StoreError

if TYPE_CHECKING:
    from fpsdesk.fps.client import FpsClient
    from fpsdesk.ipn.verify import IpnVerifier

DEFAULT_BIND = "127.0.0.1:8765"
_OUTPUT_GRACE = 3.0  # seconds a stopping server waits for its last output to be read


class _SetupError(Exception):
    """Verification cannot be set up as asked (the message is for the user)."""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "ipn",
        help="receive, import, list and re-check IPNs (Instant Payment Notifications)",
        description="Receive, import, list and re-check FPS Instant Payment Notifications. "
        "Every IPN is stored verbatim with a signature verdict: Verified, Failed (with the "
        "reason) or Not checked.",
    )
    sub = parser.add_subparsers(dest="ipn_command", metavar="ACTION", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the IPN receiver (answers 200 only once an IPN is on disk)",
        description="Run the IPN receiver on the stdlib WSGI server until Ctrl-C or SIGTERM.",
    )
    serve.add_argument(
        "--bind", default=DEFAULT_BIND, help=f"HOST:PORT to listen on (default {DEFAULT_BIND})"
    )
    _common(serve)
    serve.add_argument(
        "--max-body", type=int, default=1024 * 1024, help="largest body accepted, in bytes"
    )
    serve.set_defaults(func=cmd_serve)

    imp = sub.add_parser(
        "import",
        help="import IPNs from files (form body, query string/URL, JSON lines, text dump)",
        description="Import IPNs from files; importing the same file again adds nothing. "
        "Formats: form bodies or query strings/URLs (one per line), JSON lines, and the "
        "'key: value' text dump of the FPS docs. '-' reads stdin.",
    )
    imp.add_argument("files", nargs="+", metavar="FILE")
    _common(imp)
    imp.add_argument("--format", choices=("auto", *FORMATS), default="auto")
    imp.add_argument(
        "--method",
        choices=("POST", "GET"),
        default="POST",
        help="how the notifications arrived (POST for IPNs, GET for return URLs)",
    )
    imp.set_defaults(func=cmd_import)

    lst = sub.add_parser("list", help="print stored IPNs with verdicts and reasons")
    lst.add_argument("--transaction", metavar="ID", help="only this transaction's IPNs")
    lst.add_argument("--verdict", choices=[v.value for v in IpnVerdict])
    lst.add_argument(
        "--environment",
        choices=IPN_ENVIRONMENTS,
        metavar="ENV",
        help="only IPNs from this FPS: " + ", ".join(f"'{e}'" for e in IPN_ENVIRONMENTS),
    )
    lst.add_argument("--limit", type=int, default=0, help="at most this many (newest first)")
    lst.add_argument("--json", action="store_true", help="JSON lines (re-importable)")
    lst.add_argument(
        "--db", type=history_arg, help="history: a file or a postgresql:// URL (default: the app's)"
    )
    lst.set_defaults(func=cmd_list)

    recheck = sub.add_parser(
        "recheck",
        help="verify Not checked IPNs again (or all with --all)",
        description="Verify stored IPNs again and record the new verdicts. By default only "
        "the Not checked ones; --all re-checks every IPN (a verdict may then change).",
    )
    _common(recheck)
    recheck.add_argument("--all", action="store_true", help="every stored IPN")
    recheck.add_argument("--transaction", metavar="ID", help="only this transaction's IPNs")
    recheck.set_defaults(func=cmd_recheck)

    quarantine = sub.add_parser("quarantine", help="print bodies refused as not being IPNs")
    quarantine.add_argument("--db", type=history_arg)
    quarantine.add_argument("--limit", type=int, default=50)
    quarantine.set_defaults(func=cmd_quarantine)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=history_arg, help="history: a file or a postgresql:// URL (default: the app's)"
    )
    parser.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the URL FPS posted the IPNs to (it is part of what is signed)",
    )
    parser.add_argument(
        "--profile",
        help="trust this profile's FPS host and use its verification mode "
        "(default: trust fps.amazonaws.com and fps.sandbox.amazonaws.com, verify locally)",
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="also trust certificates from this host (e.g. a local sandbox 127.0.0.1:8443)",
    )
    parser.add_argument("--verify", choices=VERIFY_MODES, help="override the verification mode")


def _err(message: str) -> None:
    print(f"fpsdesk: {message}", file=sys.stderr)  # noqa: T201


def _out(text: str) -> None:
    print(text, flush=True)  # noqa: T201


def _quiet_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _store(path: Path | str | None) -> IpnStore:
    """The IPN store of ``--db`` (a file or a postgresql:// URL), else the configured history."""
    return IpnStore(open_database(path))


def _verifier(args: argparse.Namespace) -> IpnVerifier:
    # Imported here: requests and cryptography are not needed by every fpsdesk command.
    from fpsdesk.ipn.policy import PolicyError, verifier_for
    from fpsdesk.ipn.verify import endpoint_problem

    if getattr(args, "endpoint_url", None):
        problem = endpoint_problem(args.endpoint_url)
        if problem is not None:
            raise _SetupError(f"--endpoint-url: {problem}")

    profile = None
    secret = None
    try:
        if args.profile:
            from fpsdesk.credentials import CredentialError, resolve_profile

            try:
                profile, secret = resolve_profile(args.profile)
            except CredentialError as exc:
                raise _SetupError(str(exc)) from None
        remote = None
        if profile is not None and secret:
            from fpsdesk.desk.connection import build_client, for_profile

            chosen = profile

            def remote() -> FpsClient:
                return build_client(for_profile(chosen, secret))

        return verifier_for(profile, remote=remote, mode=args.verify, extra_hosts=args.trust)
    except PolicyError as exc:
        raise _SetupError(str(exc)) from None


def _parse_bind(text: str) -> tuple[str, int]:
    host, sep, port_text = text.strip().rpartition(":")
    if not sep:
        host, port_text = "127.0.0.1", text.strip()
    host = host.strip("[]") or "127.0.0.1"
    if not port_text.isdigit() or int(port_text) > 65535:
        raise InvalidInput(f"--bind wants HOST:PORT, e.g. {DEFAULT_BIND}; got {text!r}")
    return host, int(port_text)


def _describe(record: IpnRecord) -> str:
    amount = str(record.amount) if record.amount else "-"
    status = record.status_label or "-"
    verdict = record.verdict.label + (f" ({record.reason})" if record.reason else "")
    who = record.transaction_id or record.notification_type
    deliveries = f" x{record.delivery_count}" if record.delivery_count > 1 else ""
    return (
        f"{record.event_at:%Y-%m-%d %H:%M:%S}Z  {record.environment:<13}  {who}  {status:<9}  "
        f"{record.operation or '-':<8}  {amount:<12}  {verdict}{deliveries}"
    )


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the receiver until a stop signal.

    Everything it prints after start-up (a line per stored IPN, log records on stderr) goes
    through a writer thread with a bounded queue, so a stdout or stderr that nobody reads
    never holds up an answer to FPS: lines are dropped and counted instead.
    """
    from fpsdesk.commands.background_output import LineWriter, unblock_stderr_logging
    from fpsdesk.ipn.receiver import IpnReceiver, ReceiverServer

    try:
        host, port = _parse_bind(args.bind)
        verifier = _verifier(args)
        store = _store(args.db)
    except (InvalidInput, _SetupError, StoreError) as exc:
        _err(str(exc))
        return ExitCode.USAGE if not isinstance(exc, StoreError) else ExitCode.FAILURE

    out = LineWriter.for_stream(sys.stdout, name="ipn-serve-stdout")
    err = LineWriter.for_stream(sys.stderr, name="ipn-serve-stderr")
    unblock_stderr_logging(err)

    def on_stored(record: IpnRecord) -> None:
        out.put(_describe(record))

    app = IpnReceiver(
        store,
        verifier,
        endpoint_url=args.endpoint_url,
        max_body=args.max_body,
        on_stored=on_stored,
    )
    try:
        server = ReceiverServer(app, host, port)
    except OSError as exc:
        err.close(_OUTPUT_GRACE)
        _err(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        return ExitCode.NETWORK
    trusted = ", ".join(sorted(verifier.trust.hosts))
    with stop_on_signals() as stop:
        out.put(
            f"Receiving IPNs at {server.url} (database {store.location()}; "
            f"verification {verifier.mode}; trusted certificate hosts: {trusted}). "
            f"{STOP_HINT}"
        )
        server.start()
        try:
            stop.wait()
        finally:
            server.stop()
    out.put("Stopped.")
    # Give a reader that is still there the last lines; one that is gone cannot keep us.
    out.close(_OUTPUT_GRACE)
    err.close(_OUTPUT_GRACE)
    return ExitCode.OK


def cmd_import(args: argparse.Namespace) -> int:
    from fpsdesk.ipn.importer import Importer, ImportReport

    try:
        verifier = _verifier(args)
        store = _store(args.db)
    except (_SetupError, StoreError) as exc:
        _err(str(exc))
        return ExitCode.USAGE if isinstance(exc, _SetupError) else ExitCode.FAILURE
    importer = Importer(
        store,
        verifier,
        endpoint_url=args.endpoint_url,
        http_method=args.method,
        fmt=None if args.format == "auto" else args.format,
    )
    report = ImportReport()
    for name in args.files:
        if name == "-":
            importer.import_bytes(sys.stdin.buffer.read(), name="<stdin>", report=report)
        else:
            importer.import_paths([Path(name)], report)
    for problem in report.problems:
        _err(str(problem))
    verdicts = ", ".join(f"{count} {label}" for label, count in sorted(report.verdicts.items()))
    _out(
        f"{n_of(report.records, 'IPN')} read from {n_of(report.files, 'file')}: "
        f"{report.added} added, "
        f"{report.already_stored} already stored"
        + (f"; {verdicts}" if verdicts else "")
        + (f"; {len(report.problems)} could not be read" if report.problems else "")
        + "."
    )
    return ExitCode.OK if report.ok else ExitCode.USAGE


def cmd_list(args: argparse.Namespace) -> int:
    try:
        transaction = pick_transaction_id(args.transaction) if args.transaction else None
        store = _store(args.db)
    except (InvalidInput, StoreError) as exc:
        _err(str(exc))
        return ExitCode.USAGE if isinstance(exc, InvalidInput) else ExitCode.FAILURE
    verdict = IpnVerdict(args.verdict) if args.verdict else None
    if transaction is not None:
        records: Any = [
            r
            for r in store.for_transaction(transaction)
            if verdict in (None, r.verdict) and args.environment in (None, r.environment)
        ]
    else:
        filters = IpnFilter(verdict=verdict, environment=args.environment)
        records = (
            store.page(filters, limit=args.limit)
            if args.limit > 0
            else store.iter_all(filters, newest_first=True)
        )
    count = 0
    try:
        for record in records:
            count += 1
            _out(
                json.dumps(record.to_json(), ensure_ascii=False) if args.json else _describe(record)
            )
    except BrokenPipeError:  # `fpsdesk ipn list | head`: the reader has all it wants
        _quiet_stdout()
        return ExitCode.OK
    if not args.json and count == 0:
        where = f" from {args.environment}" if args.environment else ""
        _out(f"No IPNs stored{where}" + (f" for {transaction}." if transaction else "."))
    return ExitCode.OK


def cmd_recheck(args: argparse.Namespace) -> int:
    from fpsdesk.ipn.recheck import not_checked, recheck

    try:
        transaction = pick_transaction_id(args.transaction) if args.transaction else None
        verifier = _verifier(args)
        store = _store(args.db)
    except (InvalidInput, _SetupError, StoreError) as exc:
        _err(str(exc))
        return ExitCode.FAILURE if isinstance(exc, StoreError) else ExitCode.USAGE
    if transaction is not None:
        records = store.for_transaction(transaction)
        if not args.all:
            records = [r for r in records if r.verdict is IpnVerdict.NOT_CHECKED]
    elif args.all:
        records = list(store.iter_all())
    else:
        records = not_checked(store)
    report = recheck(store, verifier, records, endpoint_url=args.endpoint_url)
    verdicts = ", ".join(f"{count} {label}" for label, count in sorted(report.verdicts.items()))
    _out(
        f"Re-checked {n_of(report.checked, 'IPN')}"
        + (f": {verdicts}" if verdicts else "")
        + f"; {n_of(report.changed, 'verdict')} changed."
    )
    return ExitCode.OK


def cmd_quarantine(args: argparse.Namespace) -> int:
    try:
        store = _store(args.db)
    except StoreError as exc:
        _err(str(exc))
        return ExitCode.FAILURE
    records = store.quarantined(limit=args.limit)
    limits = store.quarantine_limits
    dropped = store.quarantine_dropped()
    try:
        _out(
            f"{store.quarantine_count()} refused bodies kept (the first {limits.prefix} bytes of "
            f"each; at most {limits.rows} bodies and {limits.bytes // (1024 * 1024)} MiB, the "
            "least recently seen dropped first)."
        )
        if dropped.bodies:
            last = dropped.last_dropped_at
            when = f"{last:%Y-%m-%d %H:%M:%S}Z" if last else "?"
            _out(
                f"{dropped.bodies} older bodies ({dropped.deliveries} deliveries) were dropped "
                f"to stay within that; the last at {when}."
            )
        for record in records:
            preview = record.body[:200].decode("utf-8", "backslashreplace")
            _out(
                f"#{record.id} {record.received_at:%Y-%m-%d %H:%M:%S}Z x{record.delivery_count} "
                f"{record.source}: {record.error}\n"
                f"    {record.size} bytes{' (prefix kept)' if record.truncated else ''}, "
                f"sha256 {record.content_hash}\n    {preview!r}"
            )
        if not records:
            _out("The quarantine is empty.")
    except BrokenPipeError:
        _quiet_stdout()
    return ExitCode.OK
