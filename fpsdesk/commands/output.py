"""What every ``fpsdesk`` command prints: plain text safe for a terminal, or JSON.

Text that came from a server or a file is stripped of control characters before it reaches
the terminal, so a hostile name cannot inject escape sequences. Errors are explained with the
FPS error catalogue and mapped to the exit codes of fpsdesk.commands.exit_codes.ExitCode.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from fpsdesk import logsetup
from fpsdesk.commands.exit_codes import ExitCode
from fpsdesk.fps.errors import Explanation, describe
from fpsdesk.fps.exceptions import (
    FpsError,
    InvalidInput,
    NetworkError,
    OutcomeUnknown,
    ProtocolError,
)
from fpsdesk.fps.models import Amount


def clean(value: object) -> str:
    """Server text made safe for a terminal: control and format characters become '?'."""
    text = str(value)
    return "".join(ch if ch.isprintable() or ch == " " else "?" for ch in text)


def count(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 IPN", "2 IPNs", "1,200 files": the CLI speaks English, so one rule is enough."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


def emit(line: str = "", stream: TextIO | None = None) -> None:
    print(line, file=stream or sys.stdout)


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def print_json(payload: dict[str, Any]) -> None:
    emit(json.dumps(jsonable(payload), indent=2, ensure_ascii=False))


def when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.isoformat(sep=" ", timespec="milliseconds")


def local_time(moment: datetime) -> str:
    """``14:32 CET`` (today) or ``2026-11-28 14:32 CET``: for "may still arrive until"."""
    local = moment.astimezone()
    today = datetime.now(local.tzinfo).date()
    text = f"{local:%H:%M}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"
    zone = local.tzname() or ""
    return f"{text} {zone}".rstrip()


def amount(value: Amount | None) -> str:
    return "—" if value is None else clean(value)


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    return dataclasses.asdict(explanation)


def report_error(exc: BaseException, as_json: bool, action: str | None = None) -> int:
    """Print a plain explanation on stderr (and JSON on stdout with --json); return the code."""
    explanation = describe(exc, action)
    if isinstance(exc, FpsError):
        code = ExitCode.FPS_ERROR
        lines = [
            f"fpsdesk: FPS error {clean(exc.code)}: {explanation.title}",
            f"  {clean(explanation.detail)}",
            f"  RequestId: {clean(exc.request_id or 'none given')}",
        ]
    elif isinstance(exc, OutcomeUnknown):
        code = ExitCode.OUTCOME_UNKNOWN
        lines = [f"fpsdesk: {explanation.title}", f"  {clean(explanation.detail)}"]
    elif isinstance(exc, NetworkError | ProtocolError):
        code = ExitCode.NETWORK
        lines = [f"fpsdesk: {explanation.title}", f"  {clean(explanation.detail)}"]
    elif isinstance(exc, InvalidInput):
        code = ExitCode.USAGE
        lines = [f"fpsdesk: {clean(explanation.detail)}"]
    else:
        code = ExitCode.FAILURE
        lines = [f"fpsdesk: {explanation.title}"]
    lines.append(f"  Next step: {explanation.next_step}")
    for line in lines:
        emit(logsetup.redact(line), sys.stderr)
    if as_json:
        print_json({"ok": False, "exit_code": code, "error": explanation_json(explanation)})
    return code


def refuse(message: str, as_json: bool, code: int, title: str) -> int:
    """A refusal of ours (nothing sent): the sentence on stderr, the same as JSON on stdout."""
    emit(f"fpsdesk: {clean(message)}", sys.stderr)
    if as_json:
        print_json({"ok": False, "exit_code": code, "error": {"title": title, "detail": message}})
    return code


def usage(message: str, as_json: bool) -> int:
    return refuse(message, as_json, ExitCode.USAGE, "Invalid input")
