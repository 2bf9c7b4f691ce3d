"""Dates as FPS wrote and read them: xs:dateTime with milliseconds (spec §1).

The sandbox keeps every instant as integer milliseconds since the epoch (UTC), which sorts and
compares exactly in SQLite, and formats with ``Z`` on the way out.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?"
)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def format_ms(ms: int) -> str:
    """``2009-10-06T09:14:58.796Z``."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso(text: str) -> int:
    """Parse an ISO-8601 dateTime (offset optional, UTC assumed) to epoch ms.

    Raises ValueError for anything else, so the caller can answer InvalidParameterValue.
    """
    match = _ISO.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an ISO-8601 dateTime: {text!r}")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7) or ""
    millis = int((fraction[1:] + "000")[:3]) if fraction else 0
    zone = match.group(8)
    moment = datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=UTC)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment -= sign * offset
    return int(moment.timestamp() * 1000)


def yymmdd(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%y%m%d")
