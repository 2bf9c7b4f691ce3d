"""JSON-ready views of the sandbox's records, for its control API and for tests.

Its own module because both the server (``SandboxServer.transaction``) and the controls use it:
with it in controls.py, server.py imported the controls that import the server's handler.
"""

from __future__ import annotations

from typing import Any

from fpsdesk.sandbox.state import HistoryEntry, Txn
from fpsdesk.sandbox.timefmt import format_ms


def txn_to_dict(txn: Txn, history: list[HistoryEntry], children: list[Txn]) -> dict[str, Any]:
    """A JSON-ready view of one transaction: amounts as strings, instants as ISO-8601."""

    def when(ms: int | None) -> str | None:
        return None if ms is None else format_ms(ms)

    def money(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "transaction_id": txn.id,
        "caller_reference": txn.caller_reference,
        "caller_description": txn.caller_description,
        "sender_description": txn.sender_description,
        "date_received": when(txn.date_received),
        "date_completed": when(txn.date_completed),
        "amount": money(txn.amount),
        "currency": txn.currency,
        "fps_fees": money(txn.fps_fees),
        "marketplace_fees": money(txn.marketplace_fees),
        "fees_paid_by": txn.fees_paid_by,
        "sender_token_id": txn.sender_token_id,
        "recipient_token_id": txn.recipient_token_id,
        "operation": txn.operation,
        "payment_method": txn.payment_method,
        "status": txn.status,
        "status_code": txn.status_code,
        "status_message": txn.status_message,
        "sender_name": txn.sender_name,
        "sender_email": txn.sender_email,
        "caller_name": txn.caller_name,
        "recipient_name": txn.recipient_name,
        "recipient_email": txn.recipient_email,
        "parent_id": txn.parent_id,
        "refunded": money(txn.refunded),
        "cancel_description": txn.cancel_description,
        "expires_at": when(txn.expires_at),
        "override_ipn_url": txn.override_ipn_url,
        "pending_move": (
            None
            if txn.advance_at is None
            else {
                "at": when(txn.advance_at),
                "status": txn.advance_status,
                "status_code": txn.advance_code,
            }
        ),
        "children": [c.id for c in children],
        "history": [
            {
                "date": when(h.date),
                "status": h.status,
                "status_code": h.status_code,
                "amount": money(h.amount),
            }
            for h in history
        ],
    }
