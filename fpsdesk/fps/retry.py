"""What the client does after one exchange: return, retry, raise, or say the outcome is unknown.

A pure function of (state-changing?, HTTP status, what went wrong, attempt), so every rule is
one row of a table test (tests/fps/test_retry_policy.py):

* Reads (GetTransactionStatus, GetTransaction, VerifySignature, GetAccountActivity) are safe to
  repeat, so they retry on HTTP 500/503 and on transient FPS codes, as Amazon's SDKs do:
  before retry n (1..3) they sleep 4^n × 100 ms, or longer when Retry-After says so.
* State-changing actions (Cancel, Refund, Settle, Pay, Reserve) are never re-sent once the
  request may have reached the server. A read timeout, a reset after sending, a 5xx or an
  unreadable 2xx answer is an unknown outcome, which the caller reconciles by reading the
  status. Only failures before a byte was sent are plain NetworkErrors (the transport raises
  those itself).
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from fpsdesk.fps.errors import is_transient
from fpsdesk.fps.exceptions import FpsClientError, FpsError, NetworkError, ProtocolError
from fpsdesk.fps.transport import BodyRefused, MaybeSent

MAX_RETRIES = 3
RETRY_AFTER_CAP = 10.0
RETRY_STATUSES = frozenset({500, 503})
# FPS error codes that say the request was turned away before FPS acted on it, even with an
# HTTP 5xx status: a throttled Cancel did not happen, it is not an unknown outcome.
REFUSED_BEFORE_PROCESSING = frozenset({"RequestThrottled"})

Failure = FpsError | ProtocolError | MaybeSent | BodyRefused


class Verdict(Enum):
    RETURN = "return"  # the parsed result is the answer
    RETRY = "retry"  # back off, then send again
    RAISE = "raise"  # raise Decision.error
    UNKNOWN = "unknown"  # raise OutcomeUnknown with Decision.detail


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    error: FpsClientError | None = None  # for RAISE
    detail: str = ""  # for UNKNOWN: what came back instead of an answer


_RETURN = Decision(Verdict.RETURN)
_RETRY = Decision(Verdict.RETRY)


def decide(
    state_changing: bool,
    status: int | None,
    failure: Failure | None,
    attempt: int,
    max_retries: int = MAX_RETRIES,
) -> Decision:
    """The decision after attempt ``attempt`` (0 for the first send).

    ``status`` is the HTTP status (None when no answer came); ``failure`` what went wrong:
    None when the body parsed as a success document, the FpsError or ProtocolError the parser
    raised, or the transport's MaybeSent / BodyRefused.
    """
    may_retry = not state_changing and attempt < max_retries
    if isinstance(failure, MaybeSent):
        if state_changing:
            return Decision(Verdict.UNKNOWN, detail=failure.detail)
        return Decision(Verdict.RAISE, NetworkError(failure.detail, kind=failure.kind))
    if isinstance(failure, BodyRefused):
        refused_status = failure.error.http_status or 0
        if state_changing and not 300 <= refused_status < 500:
            return Decision(Verdict.UNKNOWN, detail=failure.error.detail)
        return Decision(Verdict.RAISE, failure.error)
    code = status or 0
    if isinstance(failure, FpsError):
        return _after_fps_error(state_changing, code, failure, may_retry)
    if isinstance(failure, ProtocolError):
        if state_changing and (code >= 500 or 200 <= code < 300):
            return Decision(Verdict.UNKNOWN, detail=f"unusable answer: {failure}")
        return _RETRY if may_retry and code in RETRY_STATUSES else Decision(Verdict.RAISE, failure)
    return _after_success_document(state_changing, code, may_retry)


def _after_fps_error(
    state_changing: bool, status: int, error: FpsError, may_retry: bool
) -> Decision:
    if state_changing and status >= 500 and error.code not in REFUSED_BEFORE_PROCESSING:
        return Decision(
            Verdict.UNKNOWN, detail=f"HTTP {status} {error.code}: {error.message[:120]}"
        )
    if may_retry and (status in RETRY_STATUSES or is_transient(error.code)):
        return _RETRY
    return Decision(Verdict.RAISE, error)


def _after_success_document(state_changing: bool, status: int, may_retry: bool) -> Decision:
    if status == 200:
        return _RETURN
    if state_changing and status >= 500:
        return Decision(Verdict.UNKNOWN, detail=f"HTTP {status} with a success body")
    if may_retry and status in RETRY_STATUSES:
        return _RETRY
    return Decision(
        Verdict.RAISE,
        ProtocolError(f"the endpoint answered HTTP {status} with a success document", status),
    )


def backoff_delay(attempt: int, retry_after: float | None, cap: float = RETRY_AFTER_CAP) -> float:
    """Seconds to wait before retry ``attempt`` (1..): 4^n × 100 ms, or a longer Retry-After
    up to ``cap`` (a Retry-After never shortens the backoff)."""
    delay = 0.1 * float(4**attempt)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
