"""IPNs: the notification FPS POSTed on every status change, signed per spec §6, and delivered
with retries on a background thread.

Choices where the spec says [GUESS]: any 2xx answer acknowledges a delivery; anything else
(another status, a refused or broken connection, a timeout) is a failed attempt, retried with
exponential backoff until the delivery's deadline (a day by default, like FPS). Every attempt is
recorded. ``operation`` is the upper-cased FPSOperation (PAY, RESERVE, SETTLE, REFUND).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from fpsdesk.fps.exceptions import NetworkError
from fpsdesk.fps.signing import ipn_string_to_sign
from fpsdesk.fps.transport import BodyRefused, MaybeSent, Transport
from fpsdesk.sandbox.pki import SigningIdentity
from fpsdesk.sandbox.scheduler import TimerQueue
from fpsdesk.sandbox.state import (
    DELIVERY_DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    Store,
    Txn,
)
from fpsdesk.sandbox.timefmt import now_ms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard delivery tries: first retry after ``initial`` s, doubling up to ``max_interval``,
    giving up ``give_up_after`` s after the change."""

    initial: float = 2.0
    max_interval: float = 600.0
    give_up_after: float = 86400.0
    timeout: float = 5.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_interval, self.initial * (2 ** max(0, attempt - 1))))


def ipn_amount(value: Decimal, currency: str) -> str:
    """``USD 1.00``: currency, a space, the amount (spec §6)."""
    return f"{currency} {value.quantize(Decimal('0.01'))}"


def notification_params(txn: Txn, changed_ms: int) -> dict[str, str]:
    """The unsigned TransactionStatus fields for ``txn`` as it is after a change."""
    params = {
        "notificationType": "TransactionStatus",
        "transactionId": txn.id,
        "transactionDate": str(changed_ms // 1000),
        "transactionStatus": txn.status.upper(),
        "statusCode": txn.status_code or "",
        "statusMessage": txn.status_message or "",
        "operation": txn.operation.upper(),
        "callerReference": txn.caller_reference,
        "transactionAmount": ipn_amount(txn.amount, txn.currency),
        "paymentMethod": txn.payment_method,
        "paymentReason": txn.caller_description or "",
        "buyerName": txn.sender_name or "",
        "buyerEmail": txn.sender_email or "",
        "recipientName": txn.recipient_name or "",
        "recipientEmail": txn.recipient_email or "",
        "parentTransactionId": txn.parent_id or "",
    }
    return {k: v for k, v in params.items() if v != ""}


def sign_notification(
    identity: SigningIdentity, url: str, params: dict[str, str], certificate_url: str
) -> dict[str, str]:
    """Add signatureVersion, signatureMethod, certificateUrl and the RSA-SHA1 signature."""
    signed = dict(params)
    signed.update(
        {"signatureVersion": "2", "signatureMethod": "RSA-SHA1", "certificateUrl": certificate_url}
    )
    signed["signature"] = identity.sign(ipn_string_to_sign("POST", url, signed))
    return signed


_MAX_ANSWER_BYTES = 64 * 1024  # a receiver's answer is only looked at for its status
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _deliver(
    transport: Transport, url: str, params: dict[str, str]
) -> tuple[int | None, str | None]:
    """POST one notification: (HTTP status, None) or (status if any, what went wrong)."""
    try:
        answer = transport.exchange("POST", url, urlencode(params).encode("ascii"), _FORM)
    except BodyRefused as exc:  # it answered; only the status matters
        return exc.error.http_status, None
    except (NetworkError, MaybeSent) as exc:
        return None, f"Connection failed: {exc}"
    return answer.status, None


class IpnSender:
    """Delivers recorded deliveries; state lives in the Store, so a restart resumes them."""

    def __init__(self, store: Store, policy: RetryPolicy) -> None:
        self._store = store
        self.policy = policy
        self._queue = TimerQueue("fps-sandbox-ipn")
        self._transport: Transport | None = None

    def start(self) -> None:
        # Deliver directly: an environment proxy must not swallow IPNs to a local receiver.
        self._transport = Transport(
            timeout=(self.policy.timeout, self.policy.timeout),
            total_timeout=self.policy.timeout,
            max_body_bytes=_MAX_ANSWER_BYTES,
            environment_proxy=False,
        )
        self._queue.start()
        with self._store.read() as conn:
            rows = conn.execute(
                "SELECT n FROM deliveries WHERE state = ? ORDER BY n", (DELIVERY_PENDING,)
            ).fetchall()
        self.enqueue([int(r["n"]) for r in rows])

    def stop(self) -> None:
        self._queue.stop()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def enqueue(self, delivery_ids: list[int]) -> None:
        for delivery in delivery_ids:
            self._queue.call_later(0, lambda d=delivery: self._attempt(d))  # type: ignore[misc]

    def wait_idle(self, timeout: float) -> bool:
        return self._queue.wait_idle(timeout)

    def _attempt(self, delivery: int) -> None:
        with self._store.read() as conn:
            row = conn.execute(
                "SELECT url, params, state, deadline FROM deliveries WHERE n = ?", (delivery,)
            ).fetchone()
            attempts = conn.execute(
                "SELECT COUNT(*) AS c FROM attempts WHERE delivery = ?", (delivery,)
            ).fetchone()["c"]
        transport = self._transport
        if row is None or row["state"] != DELIVERY_PENDING or transport is None:
            return
        status, error = _deliver(transport, row["url"], json.loads(row["params"]))
        ok = status is not None and 200 <= status < 300
        if not ok and error is None:
            error = f"HTTP {status}"
        attempt_no = int(attempts) + 1
        now = now_ms()
        retry_in = self.policy.delay(attempt_no)
        if ok:
            state = DELIVERY_DELIVERED
        elif now + retry_in * 1000 > row["deadline"]:
            state = DELIVERY_FAILED
        else:
            state = DELIVERY_PENDING
        with self._store.write() as conn:
            conn.execute(
                "INSERT INTO attempts (delivery, at, http_status, error, ok) "
                "VALUES (?, ?, ?, ?, ?)",
                (delivery, now, status, error, int(ok)),
            )
            conn.execute("UPDATE deliveries SET state = ? WHERE n = ?", (state, delivery))
        if state == DELIVERY_PENDING:
            log.info("IPN delivery %s failed (%s); retrying in %.2fs", delivery, error, retry_in)
            self._queue.call_at(time.monotonic() + retry_in, lambda: self._attempt(delivery))
