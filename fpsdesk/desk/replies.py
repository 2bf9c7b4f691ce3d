"""Plain dataclasses the worker thread hands to the GUI thread (and back).

Only frozen values cross the thread boundary: no widget, no client, no open connection, so
neither side can touch the other's objects by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fpsdesk.fps.models import (
    ActionResult,
    Amount,
    TransactionDetail,
    TransactionStatus,
    TransactionStatusResult,
)
from fpsdesk.records.reasons import DEFAULT_REASON_CODES, ReasonCode


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    """Where and as whom the worker talks to FPS. The secret is read on the GUI thread."""

    endpoint: str
    access_key_id: str
    secret_key: str
    environment: str  # "Sandbox" | "Production" | "Local sandbox" | "Custom"
    profile_name: str = ""
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    ca_bundle: str | None = None
    reason_codes: tuple[ReasonCode, ...] = DEFAULT_REASON_CODES  # the profile's list

    def __repr__(self) -> str:  # never let the secret reach a log line through a repr
        return (
            f"ConnectionConfig(endpoint={self.endpoint!r}, access_key_id={self.access_key_id!r},"
            f" environment={self.environment!r}, profile_name={self.profile_name!r})"
        )


@dataclass(frozen=True, slots=True)
class ErrorView:
    """An error as the agent sees it: what happened, why, what to do, what to quote."""

    kind: str  # fps | network | tls | timeout | protocol | outcome_unknown | invalid | internal
    # | not_recorded | being_cancelled
    title: str
    explanation: str
    code: str | None = None
    request_id: str | None = None
    next_step: str | None = None
    retriable: bool = False
    party: str | None = None


@dataclass(frozen=True, slots=True)
class LookupReply:
    request_id: int
    transaction_id: str
    detail: TransactionDetail


@dataclass(frozen=True, slots=True)
class StatusReply:
    request_id: int
    transaction_id: str
    status: TransactionStatusResult


@dataclass(frozen=True, slots=True)
class CancelRequest:
    request_id: int
    transaction_id: str
    reason: str
    expected_status: TransactionStatus
    environment: str
    endpoint: str
    again: bool = False  # the agent confirmed a second Cancel despite an unresolved earlier one
    reason_code: str | None = None
    amount: Amount | None = None  # as the agent saw it, recorded for the results dashboard


@dataclass(frozen=True, slots=True)
class CancelBlocked:
    """The pre-flight status read found the transaction changed: nothing was sent."""

    request_id: int
    transaction_id: str
    expected_status: TransactionStatus
    current_status: TransactionStatus
    status_code: str | None = None  # FPS's StatusCode now ("Expired": a reserve that lapsed)


@dataclass(frozen=True, slots=True)
class EarlierAttempt:
    """An earlier Cancel of the same transaction whose outcome is not known yet."""

    action_id: int
    created_at: datetime
    operator: str
    in_flight: bool  # its sender is still waiting for FPS's answer
    until: datetime | None  # it may take effect until then
    owner: str  # who is (or was) waiting: "alice on desk-7 (pid 42)"


@dataclass(frozen=True, slots=True)
class CancelNeedsAgain:
    """Nothing was sent: an earlier Cancel may still take effect; ask before a second one."""

    request_id: int
    transaction_id: str
    reason: str
    expected_status: TransactionStatus
    earlier: tuple[EarlierAttempt, ...]
    reason_code: str | None = None
    amount: Amount | None = None


@dataclass(frozen=True, slots=True)
class CancelSending:
    """The action is on record and the Cancel is going out now."""

    request_id: int
    transaction_id: str
    action_id: int


@dataclass(frozen=True, slots=True)
class CancelReply:
    """The Cancel's answer: ``result`` on success, ``error`` otherwise (``unknown`` = may have)."""

    request_id: int
    transaction_id: str
    action_id: int | None
    result: ActionResult | None = None
    error: ErrorView | None = None
    unknown: bool = False
    state: str = ""  # fpsdesk.desk.settle.CancelState value, "" when nothing was sent
    until: datetime | None = None  # unknown: it may still take effect until then


@dataclass(frozen=True, slots=True)
class SettledAction:
    """One Cancel after a settling pass (fpsdesk.desk.settle.Settlement, as plain values)."""

    action_id: int
    transaction_id: str
    state: str  # pending | unknown | succeeded | not cancelled
    status: str | None  # the transaction status the verdict rests on
    until: datetime | None
    changed: bool  # settled (or corrected) in this pass
    corrected: bool
    in_flight: bool


@dataclass(frozen=True, slots=True)
class SettleReply:
    """What a settling pass found, for one transaction or for all unresolved ones."""

    request_id: int
    transaction_id: str | None
    actions: tuple[SettledAction, ...]
    error: ErrorView | None = None  # the status read failed: nothing changed


@dataclass(frozen=True, slots=True)
class WorkerFailure:
    """A read (look-up, status) that did not work; nothing changed on the server."""

    request_id: int
    operation: str  # lookup | status | cancel-check | test
    transaction_id: str
    error: ErrorView


@dataclass(frozen=True, slots=True)
class ConnectionTestReply:
    request_id: int
    ok: bool
    verdict: str  # ok | credentials | unreachable | tls | clock | other
    message: str
