"""Plain dataclasses the worker thread hands to the GUI thread (and back).

Only frozen values cross the thread boundary: no widget, no client, no open connection, so
neither side can touch the other's objects by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpsdesk.fps.models import (
    ActionResult,
    TransactionDetail,
    TransactionStatus,
    TransactionStatusResult,
)


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

    def __repr__(self) -> str:  # never let the secret reach a log line through a repr
        return (
            f"ConnectionConfig(endpoint={self.endpoint!r}, access_key_id={self.access_key_id!r},"
            f" environment={self.environment!r}, profile_name={self.profile_name!r})"
        )


@dataclass(frozen=True, slots=True)
class ErrorView:
    """An error as the agent sees it: what happened, why, what to do, what to quote."""

    kind: str  # fps | network | tls | timeout | protocol | outcome_unknown | invalid | internal
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


@dataclass(frozen=True, slots=True)
class CancelBlocked:
    """The pre-flight status read found the transaction changed: nothing was sent."""

    request_id: int
    transaction_id: str
    expected_status: TransactionStatus
    current_status: TransactionStatus


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
    request_id_fps: str | None = None
