"""The retry policy, one row per rule: (state-changing?, status, failure, attempt) → decision."""

from __future__ import annotations

import pytest

from fpsdesk.fps.exceptions import FpsError, NetworkError, ProtocolError
from fpsdesk.fps.retry import Failure, Verdict, backoff_delay, decide
from fpsdesk.fps.transport import BodyRefused, MaybeSent

READ, CHANGE = False, True


def _fps(code: str, status: int) -> FpsError:
    return FpsError(code, f"{code} happened", "req-1", status)


def _protocol(status: int) -> ProtocolError:
    return ProtocolError("not an FPS document", status)


ROWS: list[tuple[str, bool, int | None, Failure | None, int, Verdict]] = [
    # a success document
    ("read 200 returns", READ, 200, None, 0, Verdict.RETURN),
    ("cancel 200 returns", CHANGE, 200, None, 0, Verdict.RETURN),
    ("read 500 success body retried", READ, 500, None, 0, Verdict.RETRY),
    ("read 503 success body, retries used up", READ, 503, None, 3, Verdict.RAISE),
    ("read 502 success body not retried", READ, 502, None, 0, Verdict.RAISE),
    ("cancel 500 success body unknown", CHANGE, 500, None, 0, Verdict.UNKNOWN),
    ("cancel 201 success body raised", CHANGE, 201, None, 0, Verdict.RAISE),
    # an FPS error document
    ("read transient code on 400 retried", READ, 400, _fps("InternalError", 400), 0, Verdict.RETRY),
    ("read 503 error retried", READ, 503, _fps("InvalidParams", 503), 2, Verdict.RETRY),
    ("read 503 error, retries used up", READ, 503, _fps("InvalidParams", 503), 3, Verdict.RAISE),
    ("read lasting code not retried", READ, 400, _fps("InvalidParams", 400), 0, Verdict.RAISE),
    (
        "cancel transient code never retried",
        CHANGE,
        400,
        _fps("InternalError", 400),
        0,
        Verdict.RAISE,
    ),
    ("cancel 500 error unknown", CHANGE, 500, _fps("InternalError", 500), 0, Verdict.UNKNOWN),
    (
        "cancel throttled on 503 refused, raised",
        CHANGE,
        503,
        _fps("RequestThrottled", 503),
        0,
        Verdict.RAISE,
    ),
    # an answer that is not an FPS document
    ("read html 503 retried", READ, 503, _protocol(503), 0, Verdict.RETRY),
    ("read html 503, retries used up", READ, 503, _protocol(503), 3, Verdict.RAISE),
    ("read html 200 raised", READ, 200, _protocol(200), 0, Verdict.RAISE),
    ("cancel html 200 unknown", CHANGE, 200, _protocol(200), 0, Verdict.UNKNOWN),
    ("cancel html 502 unknown", CHANGE, 502, _protocol(502), 0, Verdict.UNKNOWN),
    ("cancel html 404 raised", CHANGE, 404, _protocol(404), 0, Verdict.RAISE),
    # the transport's failures
    (
        "read cut off raised as network error",
        READ,
        None,
        MaybeSent("cut off", "timeout"),
        0,
        Verdict.RAISE,
    ),
    ("cancel cut off unknown", CHANGE, None, MaybeSent("reset", "network"), 0, Verdict.UNKNOWN),
    ("read oversize raised", READ, 200, BodyRefused(_protocol(200)), 0, Verdict.RAISE),
    ("cancel oversize 200 unknown", CHANGE, 200, BodyRefused(_protocol(200)), 0, Verdict.UNKNOWN),
    ("cancel oversize 404 raised", CHANGE, 404, BodyRefused(_protocol(404)), 0, Verdict.RAISE),
]


@pytest.mark.parametrize(
    ("state_changing", "status", "failure", "attempt", "verdict"),
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
def test_decision(
    state_changing: bool,
    status: int | None,
    failure: Failure | None,
    attempt: int,
    verdict: Verdict,
) -> None:
    decision = decide(state_changing, status, failure, attempt, max_retries=3)
    assert decision.verdict is verdict
    if verdict is Verdict.RAISE:
        assert decision.error is not None
    if verdict is Verdict.UNKNOWN:
        assert decision.detail


def test_what_is_raised_and_reported() -> None:
    refused = _fps("InvalidParams", 400)
    assert decide(READ, 400, refused, 0).error is refused  # the parsed FPS error itself
    cut = decide(READ, None, MaybeSent("no answer within 30 s", "timeout"), 0).error
    assert isinstance(cut, NetworkError)
    assert (cut.kind, cut.detail) == ("timeout", "no answer within 30 s")
    odd = decide(READ, 201, None, 0).error
    assert isinstance(odd, ProtocolError)
    assert odd.http_status == 201
    unknown = decide(CHANGE, 500, _fps("InternalError", 500), 0)
    assert unknown.detail == "HTTP 500 InternalError: InternalError happened"
    assert decide(CHANGE, None, MaybeSent("the connection was reset", "network"), 0).detail == (
        "the connection was reset"
    )


def test_no_retries_allowed_means_none() -> None:
    assert decide(READ, 503, None, 0, max_retries=0).verdict is Verdict.RAISE


@pytest.mark.parametrize(
    ("attempt", "retry_after", "cap", "expected"),
    [
        (1, None, 10.0, 0.4),
        (2, None, 10.0, 1.6),
        (3, None, 10.0, 6.4),
        (1, 5.0, 10.0, 5.0),  # Retry-After lengthens the wait
        (1, 60.0, 10.0, 10.0),  # ... up to the cap
        (3, 1.0, 10.0, 6.4),  # ... and never shortens it
    ],
)
def test_backoff(attempt: int, retry_after: float | None, cap: float, expected: float) -> None:
    assert backoff_delay(attempt, retry_after, cap) == pytest.approx(expected)
