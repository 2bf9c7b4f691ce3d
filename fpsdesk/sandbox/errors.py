"""The one exception every sandbox layer raises to answer with an FPS error (spec §5)."""

from __future__ import annotations

# HTTP statuses per error code (spec §5: 400 confirmed for InvalidRequest, the rest follows the
# AWS convention the spec marks [GUESS]).
_STATUS = {
    "SignatureDoesNotMatch": 403,
    "InvalidClientTokenId": 403,
    "AuthFailure": 403,
    "InternalError": 500,
    "ServiceUnavailable": 503,
    "RequestThrottled": 503,
}


def http_status_for(code: str) -> int:
    return _STATUS.get(code, 400)


class SandboxError(Exception):
    """An FPS error answer: ``<Response><Errors><Error><Code/><Message/>…``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return http_status_for(self.code)
