"""Whether the transaction page's Cancel can be pressed, and the words under it that say why
(or why not): the page shows what this decides."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from fpsdesk.fps.models import TransactionDetail, TransactionStatus
from fpsdesk.ui import theme


def _tr(text: str) -> str:
    return QCoreApplication.translate("TransactionView", text)


def cancel_hint(
    detail: TransactionDetail | None,
    *,
    stale: bool,
    in_flight_text: str,
    blocked_text: str,
    connected: bool,
    field_id: str | None,
    check_field: bool,
    earlier_note: str,
) -> tuple[bool, str, str]:
    """(enabled, reason, offer): Cancel only for Reserved/Pending, and (with ``check_field``)
    only while the ID field shows this very transaction; ``offer`` is "lookup" (look up the
    field's ID first), "restore" (put this page's ID back in the field) or ""."""
    reason = ""
    enabled = False
    offer = ""
    if in_flight_text:
        reason = in_flight_text
    elif blocked_text:
        reason = blocked_text
    elif not connected:
        reason = _tr("Not connected: open Settings.")
    elif detail is None:
        reason = ""
    elif stale:
        reason = _tr("Reading it again first: a newer notification says otherwise.")
    else:
        status = detail.transaction_status
        if status.cancellable and check_field and field_id != detail.transaction_id:
            if field_id:
                offer = "lookup"
                reason = _tr(
                    "The ID field shows another transaction: press Enter to look it up first."
                )
            else:
                offer = "restore"
                reason = _tr(
                    "The ID field does not show this transaction: put its ID back to cancel it."
                )
        elif status.cancellable:
            enabled = True
            reason = earlier_note or _tr("{status}: can be cancelled.").format(
                status=theme.status_look(status).label
            )
        else:
            reason = {
                TransactionStatus.SUCCESS: _tr("Completed: refund instead."),
                TransactionStatus.FAILURE: _tr("Failed: nothing to cancel."),
                TransactionStatus.CANCELLED: _tr("The reserve expired: nothing to cancel.")
                if detail.status_code == "Expired"
                else _tr("Already cancelled."),
            }.get(status, "")
    return enabled, reason, offer
