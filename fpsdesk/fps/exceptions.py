"""The error types of the FPS core. Callers catch ``FpsClientError`` and show ``str(error)``.

Each type answers one question a support agent has: did FPS refuse it (FpsError), did we never
reach FPS or not understand it (NetworkError, ProtocolError), or might it have happened
(OutcomeUnknown)?
"""

from __future__ import annotations


class FpsClientError(Exception):
    """Base of every error the FPS core raises on purpose."""


class InvalidInput(FpsClientError, ValueError):
    """Input rejected before anything was sent (an ID, an endpoint URL, a parameter)."""


class FpsError(FpsClientError):
    """FPS answered with an error document (either shape of spec §5)."""

    def __init__(
        self, code: str, message: str, request_id: str | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id
        self.http_status = http_status


class ProtocolError(FpsClientError):
    """The server answered, but not with an FPS document we can trust (HTML, truncated, huge)."""

    def __init__(self, detail: str, http_status: int | None = None) -> None:
        status = f"HTTP {http_status}: " if http_status is not None else ""
        super().__init__(f"{status}{detail}")
        self.detail = detail
        self.http_status = http_status


class NetworkError(FpsClientError):
    """No usable answer: DNS, refused connection, TLS failure, timeout before sending."""

    def __init__(self, detail: str, *, kind: str = "network") -> None:
        super().__init__(detail)
        self.detail = detail
        self.kind = kind  # network | tls | timeout


class OutcomeUnknown(FpsClientError):
    """A state-changing request may have reached FPS, but no answer came back.

    Never re-send: read the transaction's status to reconcile.
    """

    def __init__(self, transaction_id: str, action: str, detail: str) -> None:
        super().__init__(
            f"{action} of {transaction_id} may or may not have happened ({detail}); "
            "read the status to find out"
        )
        self.transaction_id = transaction_id
        self.action = action
        self.detail = detail
