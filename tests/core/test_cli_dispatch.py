"""A plain GUI launch skips the subcommand modules; anything else gets the full parser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fpsdesk.cli import _wants_commands, build_parser


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        ([], False),
        (["--sandbox"], False),
        (["--profile", "status"], False),  # "status" is the profile's name here
        (["-vv", "--smoke-test"], False),
        (["status", "ABC"], True),
        (["--profile", "p", "cancel", "X"], True),
        (["-h"], True),
        (["--help"], True),
        (["bogus"], True),  # so argparse can list the commands
        (["--", "x"], True),
    ],
)
def test_wants_commands(argv: list[str], wanted: bool) -> None:
    assert _wants_commands(argv) is wanted


def test_gui_parser_has_the_gui_options_and_no_command() -> None:
    args = build_parser(with_commands=False).parse_args(["--sandbox", "--profile", "p"])
    assert args.command is None
    assert args.sandbox
    assert args.profile == "p"


def test_gui_launch_imports_no_command_module() -> None:
    # The exit codes (a class of constants, fpsdesk/commands/exit_codes.py) are the one part of
    # fpsdesk.commands the launcher needs itself; no command module is loaded.
    code = (
        "import sys; from fpsdesk.cli import build_parser, _wants_commands; "
        "build_parser(with_commands=_wants_commands(['--sandbox'])); "
        "print(sorted(m for m in sys.modules if m.startswith('fpsdesk.commands.')"
        " and m != 'fpsdesk.commands.exit_codes'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_typo_lists_the_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fpsdesk", "stauts"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert "status" in done.stderr
    assert "Traceback" not in done.stderr
