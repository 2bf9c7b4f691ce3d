"""``fpsdesk search``: find transactions by date, status, operation, method, text or amount.

The search itself (paging GetAccountActivity, the cache of pages already read, what the text
matches) is fpsdesk/desk/search.py, which the app's Search view runs too.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from fpsdesk.commands.connecting import UsageError, apply_verbosity, connection, connection_options
from fpsdesk.commands.exit_codes import ExitCode
from fpsdesk.commands.output import clean, emit, local_time, print_json, report_error, usage
from fpsdesk.commands.output import count as n_of
from fpsdesk.fps.exceptions import FpsClientError, InvalidInput

CENT = Decimal("0.01")
STATUSES = ("Reserved", "Pending", "Success", "Failure", "Cancelled")
OPERATIONS = ("Pay", "Reserve", "Settle", "Refund")
METHODS = ("CC", "ABT", "ACH")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    search = subparsers.add_parser(
        "search",
        help="find transactions by date, status, operation, text (order number, name, e-mail) "
        "or amount",
        description="Search the transactions FPS received in a period (GetAccountActivity). "
        "Pages already read are kept in the local history, so a repeat or narrower search "
        "answers at once; --refresh reads them again. Exit codes: 0 done (even with no "
        "match), 2 invalid input, 3 FPS error, 5 network/TLS/protocol error.",
    )
    search.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        help="start: YYYY-MM-DD (local midnight) or an ISO 8601 time (default: 7 days ago)",
    )
    search.add_argument(
        "--to", dest="date_to", metavar="DATE", help="end: YYYY-MM-DD (inclusive) or ISO time"
    )
    search.add_argument("--status", choices=STATUSES)
    search.add_argument("--operation", choices=OPERATIONS)
    search.add_argument("--method", choices=METHODS, help="payment method")
    search.add_argument(
        "--text", default="", help="order number, description, name, e-mail, ID or amount"
    )
    search.add_argument("--amount", help="exact (49.95) or a range (10-50, >100, <20)")
    search.add_argument("--refresh", action="store_true", help="read every page from FPS again")
    out = search.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="JSON on stdout")
    out.add_argument("--csv", action="store_true", help="CSV on stdout")
    connection_options(search)
    search.set_defaults(func=cmd_search)


def parse_when(text: str, *, end: bool = False) -> datetime:
    """``YYYY-MM-DD`` (local day: its start, or with ``end`` its last moment) or ISO 8601."""
    value = text.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None:
        moment = datetime.combine(day, time.max if end else time.min)
        return moment.astimezone().astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{value[:40]!r} is not a date: give YYYY-MM-DD or an ISO 8601 time."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()
    return parsed.astimezone(UTC)


def cmd_search(args: argparse.Namespace) -> int:
    from fpsdesk.desk.search import SearchQuery, parse_amount

    try:
        apply_verbosity(args)
        start = (
            parse_when(args.date_from) if args.date_from else datetime.now(UTC) - timedelta(days=7)
        )
        end = parse_when(args.date_to, end=True) if args.date_to else None
        query = SearchQuery(
            start=start,
            end=end,
            status=args.status,
            operation=args.operation,
            payment_method=args.method,
            text=args.text.strip(),
            amount=parse_amount(args.amount) if args.amount else None,
        )
        query.check(datetime.now(UTC))
        conn = connection(args)
    except (UsageError, InvalidInput) as exc:
        return usage(str(exc), args.json)
    return _run(args, query, conn)


def _run(args: argparse.Namespace, query: Any, conn: Any) -> int:
    from fpsdesk.desk.connection import build_client
    from fpsdesk.desk.search import Searcher, search_rows
    from fpsdesk.store import open_database
    from fpsdesk.store.activity import ActivityCache
    from fpsdesk.store.db import database_errors

    try:
        db = open_database()
    except database_errors(OSError) as exc:
        emit(f"fpsdesk: warning: no search cache ({exc}); reading every page.", sys.stderr)
        db = open_database(":memory:")
    cache = ActivityCache(db)
    try:
        with build_client(conn) as client:
            searcher = Searcher(client, cache, emails_from_ipns=cache.transactions_with_email)
            result = searcher.search(query, refresh=args.refresh)
    except FpsClientError as exc:
        return report_error(exc, args.json)
    finally:
        db.close()
    progress = result.progress
    rows = list(search_rows(result))
    if args.json:
        print_json(
            {
                "ok": True,
                "endpoint": conn.endpoint,
                "environment": conn.environment,
                "matches": rows,
                "pages_read": progress.pages,
                "scanned": progress.scanned,
                "from_cache": progress.from_cache,
                "cache_read_at": progress.oldest_read,
                "details_read": progress.details,
                "slowed_down": progress.slowed,
            }
        )
        return ExitCode.OK
    if args.csv:
        fields = list(rows[0]) if rows else [
            "transaction_id", "date_received", "status", "operation", "payment_method",
            "amount", "currency", "caller_reference", "description", "sender_name",
            "sender_email", "recipient_name",
        ]  # fmt: skip
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: clean(v) for k, v in row.items()})
    else:
        for f in result.matches:
            who = f.sender_name or ""
            if f.sender_email:
                who += f" <{f.sender_email}>"
            emit(
                f"{f.date_received.astimezone():%Y-%m-%d %H:%M}  {f.transaction_id}  "
                f"{f.status:<9}  {f.currency} {f.amount.quantize(CENT):>9}  "
                f"{clean(f.caller_reference or '-'):<12}"
                f"  {clean(who)}"
            )
    fresh = (
        f", {progress.from_cache} from the cache read at {local_time(progress.oldest_read)}"
        if progress.from_cache and progress.oldest_read
        else ""
    )
    emit(
        f"{n_of(len(rows), 'match', 'matches')} on {conn.environment}: "
        f"{progress.scanned} scanned, {n_of(progress.pages, 'page')} read from FPS{fresh}"
        + (f", slowed down {n_of(progress.slowed, 'time')} by FPS" if progress.slowed else ""),
        sys.stderr,
    )
    return ExitCode.OK
