"""Turn any exception from the FPS core into an ErrorView an agent can act on.

The plain-language text comes from the core's error catalogue (``fpsdesk.fps.errors.describe``):
what happened, whose side it is on, whether trying again helps, and what to do next. This
module only adds the UI's kind (which picks the banner's look) and never shows a traceback.
"""

from __future__ import annotations

import logging

from fpsdesk.desk.replies import ErrorView
from fpsdesk.fps.errors import describe
from fpsdesk.fps.exceptions import (
    FpsClientError,
    FpsError,
    InvalidInput,
    NetworkError,
    OutcomeUnknown,
    ProtocolError,
)

log = logging.getLogger(__name__)


def _kind(exc: BaseException) -> str:
    if isinstance(exc, FpsError):
        return "fps"
    if isinstance(exc, OutcomeUnknown):
        return "outcome_unknown"
    if isinstance(exc, NetworkError):
        return exc.kind if exc.kind in ("tls", "timeout") else "network"
    if isinstance(exc, ProtocolError):
        return "protocol"
    if isinstance(exc, InvalidInput):
        return "invalid"
    return "internal"


def describe_error(exc: BaseException) -> ErrorView:
    """An ErrorView for any exception; unexpected ones are logged with their traceback."""
    if not isinstance(exc, FpsClientError):
        log.error("unexpected error in a request", exc_info=exc)
    try:
        explanation = describe(exc)
    except Exception:
        log.exception("the error catalogue failed on %s", type(exc).__name__)
        return ErrorView(
            kind="internal",
            title="Something unexpected went wrong.",
            explanation=type(exc).__name__,
        )
    return ErrorView(
        kind=_kind(exc),
        title=explanation.title,
        explanation=explanation.detail,
        code=explanation.code,
        request_id=explanation.request_id,
        next_step=explanation.next_step,
        retriable=explanation.retriable,
        party=explanation.party,
    )


def offline_error(detail: str) -> ErrorView:
    """Nothing recorded, so nothing sent: the shared history does not answer right now."""
    return ErrorView(
        kind="history_offline",
        title="Not sent: the shared history is offline",
        explanation=(
            "A cancel is recorded in the shared history before it is sent, and the history "
            f"cannot be reached, so nothing was sent. {detail}"
        ),
        next_step=(
            "fpsdesk reconnects by itself (see the banner at the top of the window); "
            "look-ups still work. Try again once it is back."
        ),
    )
