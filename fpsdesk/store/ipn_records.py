"""What the IPN store hands out and takes in: records, quarantined bodies, caps, new items.

Also the one text form of a moment the ``ipns`` table stores (fixed-width UTC, so text order is
time order) and the conversion of a row to a record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fpsdesk.fps.models import Amount, TransactionStatus
from fpsdesk.records.ipn import (
    LEGACY_STATUS_FIELD,
    STATUS_FIELD,
    FailReason,
    Ipn,
    IpnVerdict,
    Pairs,
    Verdict,
    legacy_status,
    param,
)
from fpsdesk.store.ipn_environments import ipn_environment


def utc_text(moment: datetime) -> str:
    """Fixed-width UTC text, so text order is time order (and the index sorts by time)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime; pass an aware one")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class IpnRecord:
    """One stored notification. ``params`` is verbatim; the rest is derived or bookkeeping."""

    id: int
    content_hash: str
    params: Pairs
    notification_type: str
    transaction_id: str | None
    parent_transaction_id: str | None
    event_at: datetime  # transactionDate, or when first received if the IPN has none
    transaction_date: datetime | None
    transaction_status: TransactionStatus | None
    operation: str | None
    status_code: str | None
    amount: Amount | None
    verdict: IpnVerdict
    reason_code: FailReason | None
    reason: str | None
    verify_method: str | None
    checked_at: datetime
    endpoint_url: str | None
    http_method: str
    source: str
    received_at: datetime
    last_received_at: datetime
    delivery_count: int
    # Where transaction_status came from: "transactionStatus", or "status" when it was mapped
    # from the 2009 field (Amazon's 2009 sample carries only status=INITIATED); None without.
    status_field: str | None = None

    def get(self, name: str) -> str | None:
        return param(self.params, name)

    @property
    def status_from_legacy_field(self) -> bool:
        """The status was read from the 2009 ``status`` field, not ``transactionStatus``."""
        return self.status_field == LEGACY_STATUS_FIELD

    @property
    def status_label(self) -> str | None:
        """The status for display, marked when it comes from the 2009 field."""
        if self.transaction_status is None:
            return None
        if self.status_from_legacy_field:
            return f"{self.transaction_status.value} (2009 status {self.get('status')})"
        return self.transaction_status.value

    @property
    def status_message(self) -> str | None:
        return self.get("statusMessage")

    @property
    def environment(self) -> str:
        """Which FPS sent it: Production, Sandbox, Local sandbox, Custom or Unknown."""
        return ipn_environment(self.params)

    @property
    def trusted(self) -> bool:
        """Only a Verified IPN may be taken as a transaction's status."""
        return self.verdict is IpnVerdict.VERIFIED

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict; ``fpsdesk ipn import`` reads it back (the envelope form)."""
        return {
            "id": self.id,
            "transaction_id": self.transaction_id,
            "notification_type": self.notification_type,
            "environment": self.environment,
            "event_at": self.event_at.isoformat(),
            "transaction_status": self.transaction_status.value
            if self.transaction_status
            else None,
            "status_field": self.status_field,
            "operation": self.operation,
            "amount": str(self.amount.value) if self.amount else None,
            "currency": self.amount.currency if self.amount else None,
            "status_code": self.status_code,
            "status_message": self.status_message,
            "verdict": self.verdict.value,
            "reason_code": self.reason_code.value if self.reason_code else None,
            "reason": self.reason,
            "verify_method": self.verify_method,
            "checked_at": self.checked_at.isoformat(),
            "received_at": self.received_at.isoformat(),
            "last_received_at": self.last_received_at.isoformat(),
            "delivery_count": self.delivery_count,
            "source": self.source,
            "endpoint_url": self.endpoint_url,
            "http_method": self.http_method,
            "params": [list(pair) for pair in self.params],
        }


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    """A body that was not an IPN: its first bytes, full size and hash, and why it was refused."""

    id: int
    body: bytes  # the first QuarantineLimits.prefix bytes (all of it when it was that short)
    content_type: str | None
    error: str
    source: str
    received_at: datetime
    last_received_at: datetime
    delivery_count: int
    size: int  # of the whole body as received
    content_hash: str  # SHA-256 of the whole body, hex

    @property
    def truncated(self) -> bool:
        return self.size > len(self.body)


@dataclass(frozen=True, slots=True)
class QuarantineLimits:
    """How much refused input the history keeps: ``prefix`` bytes of each body, at most
    ``rows`` bodies and ``bytes`` of kept prefixes in all."""

    prefix: int = 4096
    rows: int = 1000
    bytes: int = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class QuarantineDropped:
    """What the caps dropped so far: distinct bodies, and the deliveries they had counted."""

    bodies: int
    deliveries: int
    last_dropped_at: datetime | None


@dataclass(frozen=True, slots=True)
class AddResult:
    id: int
    new: bool
    delivery_count: int
    verdict: IpnVerdict


@dataclass(frozen=True, slots=True)
class NewIpn:
    """Everything :meth:`IpnStore.add_many` needs about one notification."""

    ipn: Ipn
    verdict: Verdict
    source: str
    endpoint_url: str | None = None
    http_method: str = "POST"
    received_at: datetime | None = None


def ipn_record(row: Any) -> IpnRecord:
    status = row["transaction_status"]
    field = row["status_field"] or (STATUS_FIELD if status else None)
    amount = row["amount"]
    reason_code = row["reason_code"]
    params = tuple((str(k), str(v)) for k, v in json.loads(row["params"]))
    if status is None:  # stored before the 2009 status field was read
        mapped = legacy_status(param(params, LEGACY_STATUS_FIELD))
        if mapped is not None:
            status, field = mapped.value, LEGACY_STATUS_FIELD
    return IpnRecord(
        id=row["id"],
        content_hash=row["content_hash"],
        params=params,
        notification_type=row["notification_type"],
        transaction_id=row["transaction_id"],
        parent_transaction_id=row["parent_transaction_id"],
        event_at=datetime.fromisoformat(row["event_at"]),
        transaction_date=parse_utc(row["transaction_date"]),
        transaction_status=TransactionStatus(status) if status else None,
        operation=row["operation"],
        status_code=row["status_code"],
        amount=Amount(Decimal(amount), row["currency"]) if amount is not None else None,
        verdict=IpnVerdict(row["verdict"]),
        reason_code=FailReason(reason_code) if reason_code else None,
        reason=row["reason"],
        verify_method=row["verify_method"],
        checked_at=datetime.fromisoformat(row["checked_at"]),
        endpoint_url=row["endpoint_url"],
        http_method=row["http_method"],
        source=row["source"],
        received_at=datetime.fromisoformat(row["received_at"]),
        last_received_at=datetime.fromisoformat(row["last_received_at"]),
        delivery_count=row["delivery_count"],
        status_field=field,
    )


def quarantine_record(row: Any) -> QuarantineRecord:
    body = bytes(row["body"])
    return QuarantineRecord(
        id=row["id"],
        body=body,
        content_type=row["content_type"],
        error=row["error"],
        source=row["source"],
        received_at=datetime.fromisoformat(row["received_at"]),
        last_received_at=datetime.fromisoformat(row["last_received_at"]),
        delivery_count=row["delivery_count"],
        size=row["body_size"] if row["body_size"] is not None else len(body),
        content_hash=row["content_hash"],
    )
