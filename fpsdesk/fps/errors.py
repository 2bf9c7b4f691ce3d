"""Plain-language explanations of every client error, from the catalogue of FPS codes.

A support agent does not know what ``InvalidTransactionState`` means; the UI and the CLI both
show ``describe(exc)``: what happened, whose side it is on, whether trying again can help, and
what to do next. The codes themselves are :mod:`fpsdesk.fps.error_catalogue`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpsdesk.fps.error_catalogue import ACTION_STEPS as _ACTION_STEPS
from fpsdesk.fps.error_catalogue import CATALOGUE as CATALOGUE  # re-exported: callers' one import
from fpsdesk.fps.error_catalogue import LATER, REPORT, Party
from fpsdesk.fps.error_catalogue import ErrorInfo as ErrorInfo
from fpsdesk.fps.exceptions import (
    FpsClientError,
    FpsError,
    InvalidInput,
    NetworkError,
    OutcomeUnknown,
    ProtocolError,
)


@dataclass(frozen=True, slots=True)
class Explanation:
    """What the UI and CLI show for any FpsClientError."""

    title: str
    detail: str
    next_step: str
    code: str | None = None
    request_id: str | None = None
    retriable: bool = False
    party: Party | None = None
    http_status: int | None = None

    def as_text(self) -> str:
        """Multi-line plain text for a terminal or a copied support note."""
        lines = [self.title, self.detail]
        if self.code:
            lines.append(f"Error code: {self.code}")
        if self.request_id:
            lines.append(f"RequestId: {self.request_id}")
        lines.append(f"Next step: {self.next_step}")
        return "\n".join(line for line in lines if line)


def _plain(text: str, limit: int = 600) -> str:
    """Server-supplied text made safe to show anywhere: no control or formatting characters
    (terminal escapes, bidi overrides), no markup, and a bounded length."""
    cleaned = (
        "".join(ch if ch.isprintable() else " " for ch in text).replace("<", "‹").replace(">", "›")
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def clause(text: str) -> str:
    """``_plain`` text to put inside parentheses within a sentence: no closing full stop, so
    the sentence never reads ".)." """
    return _plain(text).rstrip(" .")


def explain(code: str, action: str | None = None) -> ErrorInfo:
    """The catalogue entry for ``code`` (unknown codes get a generic, honest entry)."""
    info = CATALOGUE.get(code)
    if info is None:
        info = ErrorInfo(
            code=code,
            summary=f"FPS returned an error code fpsdesk does not know ({_plain(code, 64)}).",
            party="FPS",
            retriable=False,
            next_step="Read the FPS message below. " + REPORT,
        )
    step = _ACTION_STEPS.get((action or "", code))
    if step is not None:
        info = ErrorInfo(info.code, info.summary, info.party, info.retriable, step, info.transient)
    return info


def is_transient(code: str) -> bool:
    """Should a read be retried automatically after this FPS code?"""
    info = CATALOGUE.get(code)
    return info is not None and info.transient


def describe(exc: BaseException, action: str | None = None) -> Explanation:
    """Explain any FpsClientError (or, defensively, anything else) for a support agent.

    ``action`` refines the next step (InvalidTransactionState on Cancel); when omitted the
    ``action`` attribute the client sets on FpsError is used.
    """
    if isinstance(exc, FpsError):
        act = action or getattr(exc, "action", None)
        info = explain(exc.code, act if isinstance(act, str) else None)
        return Explanation(
            title=info.summary,
            detail=f"FPS said: {_plain(exc.message)}" if exc.message else "FPS gave no message.",
            next_step=info.next_step,
            code=_plain(exc.code, 64),
            request_id=_plain(exc.request_id, 128) if exc.request_id else None,
            retriable=info.retriable,
            party=info.party,
            http_status=exc.http_status,
        )
    if isinstance(exc, OutcomeUnknown):
        return Explanation(
            title=f"The {exc.action} of {exc.transaction_id} may or may not have happened.",
            detail=f"The request was sent but no usable answer came back ({clause(exc.detail)}).",
            next_step=(
                f"Do not send it again: the {exc.action.lower()} may still be on its way and take "
                "effect. fpsdesk reads the status until it knows; a status of Reserved or "
                "Pending proves nothing until FPS can no longer accept that request "
                "(15 minutes after it was signed, plus a margin)."
            ),
            code="OutcomeUnknown",
            retriable=False,
            party="network",
        )
    if isinstance(exc, NetworkError):
        if exc.kind == "tls":
            return Explanation(
                title="The secure connection to the FPS endpoint could not be verified.",
                detail=_plain(exc.detail),
                next_step=(
                    "Check the endpoint URL. If your network uses an inspecting proxy, ask IT "
                    "for its CA certificate and set it as the profile's CA bundle. Verification "
                    "is never switched off."
                ),
                code="TLS",
                retriable=False,
                party="network",
            )
        if exc.kind == "timeout":
            return Explanation(
                title="The FPS endpoint did not answer in time.",
                detail=_plain(exc.detail),
                next_step="Nothing was changed. Check the network and try again.",
                code="Timeout",
                retriable=True,
                party="network",
            )
        return Explanation(
            title="Could not reach the FPS endpoint.",
            detail=_plain(exc.detail),
            next_step=(
                "Nothing was changed. Check the network connection and the endpoint URL, then "
                "try again."
            ),
            code="Network",
            retriable=True,
            party="network",
        )
    if isinstance(exc, ProtocolError):
        return Explanation(
            title="The FPS endpoint answered with something that is not an FPS response.",
            detail=_plain(str(exc)),
            next_step=(
                "Check the endpoint URL (a proxy or captive portal may be answering instead of "
                "FPS). " + LATER
            ),
            code="ProtocolError",
            retriable=True,
            party="network",
            http_status=exc.http_status,
        )
    if isinstance(exc, InvalidInput):
        return Explanation(
            title="Please check the input.",
            detail=_plain(str(exc)),
            next_step="Correct it and try again; nothing was sent.",
            code="InvalidInput",
            retriable=False,
            party="caller",
        )
    if isinstance(exc, FpsClientError):
        return Explanation(
            title="The FPS request failed.",
            detail=_plain(str(exc)),
            next_step=REPORT,
            retriable=False,
        )
    return Explanation(
        title="Something unexpected went wrong.",
        detail=type(exc).__name__,
        next_step="Run again with -vv (or open the log) for details; " + REPORT,
    )


# The names the team brief announced.
explain_exception = describe
