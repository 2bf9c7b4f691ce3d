"""The one entry point, ``fpsdesk``: the desktop app by default, subcommands for scripts.

Qt is imported only when the GUI actually starts, so ``fpsdesk status`` and friends stay fast and
work on machines without a display.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from fpsdesk import __version__, logsetup
from fpsdesk.commands.exit_codes import ExitCode

log = logging.getLogger(__name__)

# Each module defines ``register(subparsers)`` and sets ``func`` on its parsers.
COMMAND_MODULES = (
    "fpsdesk.commands.txn",
    "fpsdesk.commands.history",
    "fpsdesk.commands.report",
    "fpsdesk.commands.search",
    "fpsdesk.commands.sandbox",
    "fpsdesk.commands.ipn",
    "fpsdesk.commands.profile",
)


# Options of the top-level parser that take a value (so the value is not a command name).
_VALUE_OPTIONS = frozenset({"--profile"})


def _wants_commands(argv: Sequence[str]) -> bool:
    """Whether ``argv`` names a subcommand or asks for help.

    A plain GUI launch (``fpsdesk``, ``fpsdesk --sandbox``) then skips importing every command
    module, which is most of what stands between process start and the first painted window.
    Any positional word, or -h, builds the full parser, so typos still get argparse's message
    listing the commands.
    """
    skip_next = False
    for arg in argv:
        if skip_next:
            skip_next = False
            continue
        if arg in ("-h", "--help"):
            return True
        if arg in _VALUE_OPTIONS:
            skip_next = True
            continue
        if arg == "--" or not arg.startswith("-"):
            return True
    return False


def build_parser(*, with_commands: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fpsdesk",
        description="Look up and cancel Amazon FPS transactions. "
        "With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"fpsdesk {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="open the app on the embedded FPS sandbox with demo data",
    )
    parser.add_argument("--profile", help="open the app on this saved profile")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="run headless: sandbox, main window, a cancel and its IPN; exit 0 if all works",
    )
    if with_commands:
        sub = parser.add_subparsers(dest="command", metavar="COMMAND")
        for name in COMMAND_MODULES:
            importlib.import_module(name).register(sub)
    else:
        parser.set_defaults(command=None)
    return parser


def _log_level(verbose: int) -> int:
    return {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(with_commands=_wants_commands(arguments))
    args = parser.parse_args(arguments)
    env_level = os.environ.get("FPSDESK_LOG_LEVEL", "").upper()
    level = getattr(logging, env_level, None) if env_level else None
    logsetup.configure(level if isinstance(level, int) else _log_level(args.verbose))
    try:
        if args.command is None and args.smoke_test:
            from fpsdesk.ui import smoke  # lazy: Qt only for the GUI (and the frozen self-test)

            return smoke.run(args)
        if args.command is None:
            from fpsdesk.ui.app import run_gui  # lazy: Qt only for the GUI

            return int(run_gui(args))
        return int(args.func(args))
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)  # noqa: T201
        return 130
    except Exception as exc:  # last resort: never show a traceback to a user
        log.debug("unexpected error", exc_info=True)
        print(  # noqa: T201
            f"fpsdesk: unexpected error: {logsetup.redact(str(exc)) or type(exc).__name__}. "
            "Run again with -vv for details.",
            file=sys.stderr,
        )
        return ExitCode.FAILURE


if __name__ == "__main__":
    sys.exit(main())
