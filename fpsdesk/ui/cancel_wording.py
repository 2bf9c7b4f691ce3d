"""What the agent reads when a Cancel was not sent because the transaction changed meanwhile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

from fpsdesk.fps.status import TransactionStatus
from fpsdesk.ui import theme

if TYPE_CHECKING:
    from fpsdesk.desk.replies import CancelBlocked


def blocked_wording(blocked: CancelBlocked) -> tuple[str, str]:
    """(headline, text) for a Cancel not sent because the fresh status read said no: what the
    transaction is now, in the agent's words, and what to do instead; nothing was sent."""
    was = theme.status_look(blocked.expected_status).label
    now = theme.status_look(blocked.current_status).label
    if blocked.current_status is TransactionStatus.CANCELLED and blocked.status_code == "Expired":
        return (
            QCoreApplication.translate("cancel", "Nothing to cancel: the reserve expired"),
            QCoreApplication.translate(
                "cancel",
                "FPS cancelled this reserve itself when it expired, so the money is no longer "
                "held. Nothing was sent.",
            ),
        )
    if blocked.current_status is TransactionStatus.CANCELLED:
        return (
            QCoreApplication.translate("cancel", "Nothing to cancel: it is already cancelled"),
            QCoreApplication.translate(
                "cancel", "It was cancelled since it was loaded. Nothing was sent."
            ),
        )
    if blocked.current_status is TransactionStatus.SUCCESS:
        return (
            QCoreApplication.translate("cancel", "Not cancelled: it completed meanwhile"),
            QCoreApplication.translate(
                "cancel",
                "It changed from {was} to {now} since it was loaded: the payment completed, "
                "so it can only be refunded now. Nothing was sent.",
            ).format(was=was, now=now),
        )
    if blocked.current_status is TransactionStatus.FAILURE:
        return (
            QCoreApplication.translate("cancel", "Nothing to cancel: it failed"),
            QCoreApplication.translate(
                "cancel", "It failed since it was loaded; no money moves. Nothing was sent."
            ),
        )
    return (
        QCoreApplication.translate("cancel", "Not sent: it is {now} now").format(now=now),
        QCoreApplication.translate(
            "cancel",
            "Its status changed from {was} to {now} since it was loaded. Nothing was sent. "
            "Review the new status, then decide again.",
        ).format(was=was, now=now),
    )
