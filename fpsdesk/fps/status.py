"""The transaction status enum, on its own so the window can use it before the models load.

Kept apart from fpsdesk.fps.models (which re-exports it) because the desktop app needs the
statuses for its first paint and the models' dataclasses are not needed until just after.
"""

from __future__ import annotations

from enum import StrEnum


class TransactionStatus(StrEnum):
    """The five API statuses of spec §4 (IPNs send them upper-case)."""

    RESERVED = "Reserved"
    SUCCESS = "Success"
    FAILURE = "Failure"
    PENDING = "Pending"
    CANCELLED = "Cancelled"

    @classmethod
    def parse(cls, text: str) -> TransactionStatus:
        """Accept the API spelling or the IPN's upper case (``CANCELLED``)."""
        folded = text.strip().lower()
        for member in cls:
            if member.value.lower() == folded:
                return member
        raise ValueError(f"unknown TransactionStatus {text!r}")

    @property
    def cancellable(self) -> bool:
        """Cancel is allowed only from Pending or Reserved (spec §3.1)."""
        return self in (TransactionStatus.PENDING, TransactionStatus.RESERVED)

    @property
    def final(self) -> bool:
        return self in (
            TransactionStatus.SUCCESS,
            TransactionStatus.FAILURE,
            TransactionStatus.CANCELLED,
        )
