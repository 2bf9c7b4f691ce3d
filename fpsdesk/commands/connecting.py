"""The connection options every FPS command shares, and the connection they resolve to."""

from __future__ import annotations

import argparse
import logging

from fpsdesk import logsetup
from fpsdesk.desk.connection import (
    DEFAULT_READ_TIMEOUT,
    ENV_ACCESS_KEY,
    ENV_SECRET_KEY,
    Connection,
    ConnectionProblem,
    from_endpoint,
    from_profile,
)


class UsageError(Exception):
    """Bad command-line input; the message is shown as is and the exit code is 2."""


def connection_options(parser: argparse.ArgumentParser) -> None:
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
        default=DEFAULT_READ_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for FPS (default {DEFAULT_READ_TIMEOUT:g})",
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


def apply_verbosity(args: argparse.Namespace) -> None:
    if args.txn_verbose:
        level = logging.INFO if args.txn_verbose == 1 else logging.DEBUG
        logsetup.configure(min(level, logging.getLogger().getEffectiveLevel()))


def connection(args: argparse.Namespace) -> Connection:
    """Endpoint and keys from --profile, --endpoint + environment, or the current profile."""
    if not args.timeout > 0 or args.timeout > 600:
        raise UsageError("--timeout must be between 0 and 600 seconds.")
    profile_name: str | None = args.txn_profile or getattr(args, "profile", None)
    if profile_name and args.endpoint:
        raise UsageError("Use either --profile or --endpoint, not both.")
    try:
        if args.endpoint:
            return from_endpoint(args.endpoint, ca_bundle=args.ca_bundle, read_timeout=args.timeout)
        conn = from_profile(profile_name, ca_bundle=args.ca_bundle, read_timeout=args.timeout)
    except ConnectionProblem as exc:
        raise UsageError(str(exc)) from None
    from fpsdesk.store.actions import set_agent_name

    set_agent_name(conn.agent_name)  # the profile's display name is who acts, as in the app
    return conn


def checked_reason_code(code: str | None, conn: Connection) -> str | None:
    """``--reason-code`` checked against the connection's list (UsageError if not in it)."""
    if code is None:
        return None
    from fpsdesk.records.reasons import InvalidReasonCode, find_code

    try:
        return find_code(code, conn.reason_codes).code
    except InvalidReasonCode as exc:
        raise UsageError(str(exc)) from None
