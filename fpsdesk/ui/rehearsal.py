"""The transaction page shown once, with a made-up transaction, before any look-up.

The first time a page is shown with data, Qt and PySide do things only once: they polish every
widget of it, lay it out for the first time, draw the fonts' glyphs at the page's sizes (the
large bold amount, the monospace ID), and set up the Python side of the tables' items. Left to
the first look-up, all of that falls in the frame that shows its answer: 11-16 ms of the GUI
thread, against 5-8 ms for every later look-up. The window rehearses instead, just after
start-up, while the agent reads it: it fills the page, renders the window into a pixmap (never
on screen, no event loop turn in between), and clears the page again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from fpsdesk.fps.models import Amount, StatusHistoryEntry, TransactionDetail
from fpsdesk.fps.status import TransactionStatus

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStackedWidget, QWidget

    from fpsdesk.ui.transaction_view import TransactionView

log = logging.getLogger(__name__)


def made_up_detail() -> TransactionDetail:
    """A Reserved payment with every field the page shows filled in (never sent anywhere)."""
    now = datetime.now(UTC)
    amount = Amount(Decimal("1499.00"))
    return TransactionDetail(
        transaction_id="14GK6F2QU4XJ9D1Z8H3R5C7PB0ANMO2LST9",
        caller_reference="order-1000",
        date_received=now,
        transaction_amount=amount,
        fps_fees=Amount(Decimal("0.00")),
        fps_fees_paid_by="Recipient",
        fps_operation="Reserve",
        payment_method="CC",
        transaction_status=TransactionStatus.RESERVED,
        caller_name="Rehearsal",
        request_id="b7c5f1e2-3d4a-4b6c-8e9f-0a1b2c3d4e5f",
        caller_description="Rehearsal of the transaction page",
        status_code="PendingNetworkResponse",
        status_message="Reserved",
        sender_name="Ann Example",
        sender_email="ann@example.com",
        recipient_name="Example Shop",
        recipient_email="shop@example.com",
        status_history=(StatusHistoryEntry(now, TransactionStatus.RESERVED, "Success", amount),),
    )


def rehearse(window: QWidget, pages: QStackedWidget, view: TransactionView) -> bool:
    """Show ``view`` filled with a made-up transaction, render ``window`` off screen, and
    clear ``view`` again; ``pages`` shows what it showed before. Only while the page has never
    shown a transaction (the agent may have looked one up already): False if skipped."""
    if view.detail is not None or pages.currentWidget() is view:
        return False
    back = pages.currentWidget()
    try:
        with view.batch():
            view.show_detail(made_up_detail())
            view.set_actions([])
            view.set_ipns([])
        view.set_read("Read at 12:00:00 · RequestId b7c5f1e2-3d4a-4b6c-8e9f-0a1b2c3d4e5f")
        pages.setCurrentWidget(view)
        view.tabs.setUpdatesEnabled(True)  # painted now, in the pixmap, with the rest
        window.grab()
    except Exception:  # a warm-up only: the first look-up is slower, nothing is wrong
        log.exception("rehearsing the transaction page failed")
    finally:
        if back is not None:
            pages.setCurrentWidget(back)
        view.clear()
    return True
