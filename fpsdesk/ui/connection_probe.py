"""The "Test connection" probe: one signed read that tells bad credentials, unreachable, TLS
and clock skew apart. It runs on the read pool (``WorkerHost.test_connection``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from fpsdesk.desk.error_views import describe_error
from fpsdesk.desk.replies import ConnectionTestReply
from fpsdesk.fps.exceptions import FpsError, NetworkError

# A well-formed ID that no FPS account has: a signed read of it proves the credentials work
# (FPS answers InvalidTransactionId only after checking the signature and the key).
PROBE_TRANSACTION_ID = "1FPSDESKCONNECTIONTEST0000000000000"


def probe_connection(request_id: int, client: Any) -> ConnectionTestReply:
    """Classify a signed read: bad credentials, unreachable, TLS, clock skew, or fine."""
    tr = _ProbeText()
    try:
        client.get_transaction_status(PROBE_TRANSACTION_ID)
        return ConnectionTestReply(request_id, True, "ok", tr.ok)
    except FpsError as exc:
        if exc.code in ("InvalidTransactionId", "InvalidParams"):
            return ConnectionTestReply(request_id, True, "ok", tr.ok)
        if exc.code in ("SignatureDoesNotMatch", "InvalidClientTokenId", "AuthFailure"):
            return ConnectionTestReply(
                request_id,
                False,
                "credentials",
                tr.credentials.format(code=exc.code),
            )
        if exc.code in ("RequestExpired", "InvalidParameterValue") and (
            exc.code == "RequestExpired" or "Timestamp" in exc.message
        ):
            return ConnectionTestReply(request_id, False, "clock", tr.clock)
        return ConnectionTestReply(
            request_id,
            False,
            "other",
            f"{exc.code}: {describe_error(exc).explanation}",
        )
    except NetworkError as exc:
        if exc.kind == "tls":
            return ConnectionTestReply(request_id, False, "tls", tr.tls.format(detail=exc.detail))
        return ConnectionTestReply(
            request_id, False, "unreachable", tr.unreachable.format(detail=exc.detail)
        )
    except BaseException as exc:  # noqa: BLE001 - never raise across threads
        return ConnectionTestReply(request_id, False, "other", describe_error(exc).explanation)


class _ProbeText(QObject):
    """Translated verdict texts of "Test connection"."""

    def __init__(self) -> None:
        super().__init__()
        self.ok = self.tr("Connected: FPS accepted the signature and the access key.")
        self.credentials = self.tr(
            "Bad credentials ({code}): check the access key ID and the secret key."
        )
        self.clock = self.tr(
            "The computer's clock is off: FPS rejected the request time. "
            "Set the clock automatically and try again."
        )
        self.tls = self.tr("Secure connection failed (TLS): {detail}")
        self.unreachable = self.tr("Cannot reach the endpoint: {detail}")


# What the actions thread imports on its first cancel (the cancel lifecycle, settling, the
