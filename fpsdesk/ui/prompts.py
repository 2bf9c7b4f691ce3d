"""What the two Cancel confirmations show (``CancelPrompt``, ``BulkPrompt``) and what they give
back (``ReasonChoice``): plain values, built by the views and read by ``dialogs``."""

from __future__ import annotations

from dataclasses import dataclass

from fpsdesk.records.reasons import DEFAULT_REASON_CODES, ReasonCode


@dataclass(frozen=True)
class CancelPrompt:
    """What the confirmation shows; empty strings are simply left out."""

    transaction_id: str
    amount: str
    status: str
    environment: str
    endpoint: str
    operation: str = ""
    caller_reference: str = ""
    description: str = ""
    sender_name: str = ""
    sender_email: str = ""
    reason_codes: tuple[ReasonCode, ...] = DEFAULT_REASON_CODES


@dataclass(frozen=True)
class ReasonChoice:
    """What the agent gave as the reason: a code from the profile's list and a comment."""

    code: str | None
    comment: str


@dataclass(frozen=True)
class BulkPrompt:
    """What the bulk confirmation shows: how many, how much, where; whether it asks for a
    reason (not on a resume: the run keeps the one given first) and for the count typed."""

    count: int
    environment: str
    endpoint: str
    amounts: str  # "USD 1,234.50, EUR 20.00"
    needs_count_typed: bool
    job_id: int
    source: str = ""
    ask_reason: bool = True
    resume: bool = False
    reason_codes: tuple[ReasonCode, ...] = DEFAULT_REASON_CODES
