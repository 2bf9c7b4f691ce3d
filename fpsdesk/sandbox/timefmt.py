"""Dates as FPS wrote and read them: xs:dateTime with milliseconds (spec §1).

The sandbox keeps every instant as integer milliseconds since the epoch (UTC), which sorts and
compares exactly in SQLite, and formats with ``Z`` on the way out.

Two rules keep a date from ever turning into an internal error:

- :func:`parse_iso` raises ValueError (never OverflowError) for anything that is not a real
  instant, including offsets beyond ±14:00 (xs:dateTime's limit) and dates the offset would push
  outside the calendar;
- :func:`format_ms` formats *any* integer, so a row an earlier build stored with an
  out-of-range date (year 10000) is still shown instead of breaking a whole listing.

Instants a request may name are bounded by :data:`EARLIEST_MS` and :data:`LATEST_MS`
(:func:`in_range`); the callers turn a date outside them into their own error.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_MS = 86_400_000
# The Gregorian calendar repeats exactly every 400 years (146,097 days).
_CYCLE_MS = 146_097 * _DAY_MS
_MAX_OFFSET_MINUTES = 14 * 60

# The instants a request or a control may name: from the epoch (the sandbox's clock starts
# there) to the end of 9999 less a day, so a date derived from one (completed a second later, a
# reserve's expiry) still has a four-digit year.
EARLIEST_MS = 0
LATEST_MS = int((datetime(9999, 12, 30, tzinfo=UTC) - _EPOCH).total_seconds() * 1000)
RANGE_TEXT = "1970-01-01T00:00:00Z to 9999-12-30T00:00:00Z"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def format_ms(ms: int) -> str:
    """``2009-10-06T09:14:58.796Z``, for any integer (years past 9999 get more digits)."""
    cycles, rest = divmod(int(ms), _CYCLE_MS)
    moment = _EPOCH + timedelta(milliseconds=rest)
    year = moment.year + 400 * cycles
    year_text = f"{year:04d}" if year >= 0 else f"-{-year:04d}"
    return f"{year_text}{moment.strftime('-%m-%dT%H:%M:%S.')}{rest % 1000:03d}Z"


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
    offset_minutes = 0
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        offset_minutes = (hours * 60 + minutes) * (1 if zone[0] == "+" else -1)
        if minutes > 59 or abs(offset_minutes) > _MAX_OFFSET_MINUTES:
            raise ValueError(f"the offset {zone} is not between -14:00 and +14:00")
    try:
        moment = datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=UTC)
        moment -= timedelta(minutes=offset_minutes)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a valid date and time: {text!r} ({exc})") from None
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def in_range(ms: int) -> bool:
    """Whether ``ms`` lies between :data:`EARLIEST_MS` and :data:`LATEST_MS`."""
    return EARLIEST_MS <= ms <= LATEST_MS
