"""``fpsdesk sandbox``: run the local FPS 2008-09-17 sandbox server until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import ipaddress
import sqlite3
import sys
from pathlib import Path
from typing import Any

from fpsdesk import logsetup
from fpsdesk.commands.stopping import STOP_HINT, stop_on_signals
from fpsdesk.fps.errors import clause

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run the local FPS sandbox server",
        description="Run fpsdesk's FPS 2008-09-17 sandbox on this machine. The first line "
        "printed is 'FPS sandbox listening on http://HOST:PORT/'. Stop it with Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument(
        "--data",
        type=Path,
        metavar="PATH",
        help="SQLite file that keeps state across restarts (default: in memory, lost at exit)",
    )
    parser.add_argument("--demo", action="store_true", help="seed the demo data set")
    parser.add_argument(
        "--demo-size",
        type=int,
        default=0,
        metavar="N",
        help="also seed N deterministic transactions over the last 90 days (for search and "
        "bulk work; up to 1000000)",
    )
    parser.add_argument(
        "--throttle",
        type=float,
        metavar="RATE",
        help="refuse requests above RATE per second per access key (503 RequestThrottled)",
    )
    parser.add_argument(
        "--ipn-url",
        action="append",
        default=[],
        metavar="URL",
        help="POST IPNs to this URL (repeatable)",
    )
    parser.add_argument(
        "--access-key", metavar="K", help="accepted access key ID (with --secret-key)"
    )
    parser.add_argument("--secret-key", metavar="S", help="its secret access key")
    parser.add_argument(
        "--pending-delay",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long credit-card payments stay Pending (default 5)",
    )
    parser.set_defaults(func=run)


def _err(message: str) -> None:
    print(f"fpsdesk sandbox: {message}", file=sys.stderr)  # noqa: T201


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer

    if (args.access_key is None) != (args.secret_key is None):
        _err("give --access-key and --secret-key together.")
        return EXIT_USAGE
    if not 0 <= args.port <= 65535:
        _err(f"--port must be 0-65535, not {args.port}.")
        return EXIT_USAGE
    if args.pending_delay < 0:
        _err("--pending-delay cannot be negative.")
        return EXIT_USAGE
    if not 0 <= args.demo_size <= 1_000_000:
        _err(f"--demo-size must be 0 to 1000000, not {args.demo_size}.")
        return EXIT_USAGE
    if args.throttle is not None and not 0 < args.throttle <= 100_000:
        _err("--throttle must be a positive number of requests per second.")
        return EXIT_USAGE
    access_key = args.access_key or DEFAULT_ACCESS_KEY
    secret_key = args.secret_key or DEFAULT_SECRET_KEY
    if not access_key.strip() or not secret_key.strip():
        _err("the access key and secret key cannot be empty.")
        return EXIT_USAGE
    if args.secret_key is not None:
        logsetup.register_secret(secret_key)
    server = SandboxServer(
        args.host,
        args.port,
        data_path=args.data,
        credentials={access_key: secret_key},
        demo=args.demo,
        pending_delay=args.pending_delay,
        demo_size=args.demo_size,
        throttle=args.throttle,
    )
    try:
        server.set_ipn_urls(args.ipn_url)
        server.start()
    except ValueError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except OSError as exc:
        _err(
            f"cannot listen on {args.host}:{args.port} or open the data file: "
            f"{exc.strerror or exc}."
        )
        return EXIT_FAILURE
    except sqlite3.DatabaseError as exc:
        _err(f"{args.data} is not a usable sandbox data file ({clause(str(exc))}).")
        return EXIT_FAILURE
    if not _loopback(args.host):
        _err(
            f"warning: listening on {args.host}, reachable from other machines; anyone who "
            "can reach it and knows the credentials can use it (the controls stay "
            "loopback-only)."
        )
    with stop_on_signals() as stop:
        try:
            print(f"FPS sandbox listening on {server.url}", flush=True)  # noqa: T201
            lines = [
                f"  Access key ID:     {access_key}",
                f"  Secret access key: {secret_key}",
                f"  Data:              {args.data or 'in memory (lost at exit)'}",
                f"  IPN URLs:          {', '.join(args.ipn_url) or 'none'}",
                f"  IPN certificate:   {server.certificate_url}",
                f"  Controls (JSON):   {server.url}_sandbox/",
            ]
            if args.demo or args.demo_size:
                lines.append(f"  Demo data:         {server.transaction_count()} transactions")
            if args.throttle is not None:
                lines.append(f"  Throttle:          {args.throttle:g} requests/s per access key")
            lines.append(STOP_HINT)
            print("\n".join(lines), flush=True)  # noqa: T201
            stop.wait()
        finally:
            server.stop()
    print("FPS sandbox stopped.", flush=True)  # noqa: T201
    return EXIT_OK
