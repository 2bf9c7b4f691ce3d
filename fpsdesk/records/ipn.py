"""What an IPN is once parsed, and what its signature check concluded.

The raw parameters are the record: they are kept verbatim, in the order received, and the typed
fields are derived from them (never the other way round), so a stored IPN can always be re-parsed
and re-verified.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from fpsdesk.fps.models import Amount, TransactionStatus

Pairs = tuple[tuple[str, str], ...]


def param(params: Pairs, name: str) -> str | None:
    """The raw value of parameter ``name`` (exact, case-sensitive; the first one), or None."""
    for key, value in params:
        if key == name:
            return value
    return None


# local: check the certificate ourselves; remote: ask FPS's VerifySignature; off: Not checked.
VerifyMode = Literal["local", "remote", "off"]
VERIFY_MODES: tuple[VerifyMode, ...] = ("local", "remote", "off")

_WHITESPACE = re.compile(r"\s+")


class IpnParseError(ValueError):
    """Input that is not an IPN: the message says what is wrong and where, in plain words."""


class IpnVerdict(StrEnum):
    """Whether an IPN's signature was checked and held. Only VERIFIED is ever trusted."""

    VERIFIED = "verified"
    FAILED = "failed"
    NOT_CHECKED = "not_checked"

    @property
    def label(self) -> str:
        return {"verified": "Verified", "failed": "Failed", "not_checked": "Not checked"}[
            self.value
        ]


class FailReason(StrEnum):
    """Why a verdict is FAILED or NOT_CHECKED: a stable code for filters and scripts."""

    # FAILED
    BAD_SIGNATURE = "bad_signature"
    UNTRUSTED_CERTIFICATE_HOST = "untrusted_certificate_host"
    INSECURE_CERTIFICATE_URL = "insecure_certificate_url"
    EXPIRED_CERTIFICATE = "expired_certificate"
    INVALID_CERTIFICATE = "invalid_certificate"
    MISSING_FIELD = "missing_field"
    UNSUPPORTED_SIGNATURE_METHOD = "unsupported_signature_method"
    UNSUPPORTED_SIGNATURE_VERSION = "unsupported_signature_version"
    # NOT_CHECKED
    CERTIFICATE_UNAVAILABLE = "certificate_unavailable"
    ENDPOINT_UNKNOWN = "endpoint_unknown"
    REMOTE_UNAVAILABLE = "remote_unavailable"
    VERIFICATION_OFF = "verification_off"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A verdict with its reason code and a sentence a support agent can read."""

    status: IpnVerdict
    reason_code: FailReason | None = None
    reason: str | None = None
    method: str | None = None  # "local" (certificate) or "remote" (VerifySignature)

    @classmethod
    def verified(cls, method: str) -> Verdict:
        return cls(IpnVerdict.VERIFIED, None, None, method)

    @classmethod
    def failed(cls, code: FailReason, reason: str, method: str | None = None) -> Verdict:
        return cls(IpnVerdict.FAILED, code, reason, method)

    @classmethod
    def not_checked(cls, code: FailReason, reason: str, method: str | None = None) -> Verdict:
        return cls(IpnVerdict.NOT_CHECKED, code, reason, method)

    @property
    def trusted(self) -> bool:
        return self.status is IpnVerdict.VERIFIED


# The 2009 notifications' ``status`` field (spec §6: "INITIATED", "SUCCESS"; clients should show
# it), in the API's statuses. [GUESS] INITIATED, the only value seen before a final one, is
# Pending; the other words are the statuses' own names.
LEGACY_STATUSES: dict[str, TransactionStatus] = {
    "INITIATED": TransactionStatus.PENDING,
    "PENDING": TransactionStatus.PENDING,
    "RESERVED": TransactionStatus.RESERVED,
    "SUCCESS": TransactionStatus.SUCCESS,
    "FAILURE": TransactionStatus.FAILURE,
    "FAILED": TransactionStatus.FAILURE,
    "CANCELLED": TransactionStatus.CANCELLED,
    "CANCELED": TransactionStatus.CANCELLED,
}
STATUS_FIELD = "transactionStatus"
LEGACY_STATUS_FIELD = "status"


def legacy_status(text: str | None) -> TransactionStatus | None:
    """The status a 2009 ``status`` value stands for, or None for one not known."""
    return None if text is None else LEGACY_STATUSES.get(text.strip().upper())


@dataclass(frozen=True, slots=True)
class Ipn:
    """One notification: its verbatim parameters plus the fields derived from them.

    ``signature`` is the base64 text with the MIME line breaks (and any other whitespace)
    removed; ``params`` still holds it exactly as received.
    """

    params: Pairs
    notification_type: str
    transaction_id: str | None = None
    transaction_date: datetime | None = None
    transaction_status: TransactionStatus | None = None
    status_code: str | None = None
    status_message: str | None = None
    operation: str | None = None
    amount: Amount | None = None
    caller_reference: str | None = None
    payment_method: str | None = None
    payment_reason: str | None = None
    buyer_name: str | None = None
    buyer_email: str | None = None
    recipient_name: str | None = None
    recipient_email: str | None = None
    parent_transaction_id: str | None = None
    legacy_status: str | None = None  # the 2009 ``status`` field (INITIATED, SUCCESS)
    token_id: str | None = None
    signature_version: str | None = None
    signature_method: str | None = None
    certificate_url: str | None = None
    signature: str | None = None

    def get(self, name: str) -> str | None:
        """The raw value of parameter ``name`` (exact, case-sensitive), or None."""
        return param(self.params, name)

    @property
    def currency(self) -> str | None:
        return self.amount.currency if self.amount else None

    @property
    def status_and_field(self) -> tuple[TransactionStatus | None, str | None]:
        """The status to show and the field it came from: ``transactionStatus``, or the 2009
        ``status`` field when that is all the notification has (Amazon's 2009 sample)."""
        if self.transaction_status is not None:
            return self.transaction_status, STATUS_FIELD
        mapped = legacy_status(self.legacy_status)
        if mapped is not None:
            return mapped, LEGACY_STATUS_FIELD
        return None, None

    @property
    def amount_value(self) -> Decimal | None:
        return self.amount.value if self.amount else None

    @property
    def content_hash(self) -> str:
        return content_hash(self.params)


def content_hash(params: Pairs) -> str:
    """SHA-256 over the sorted parameters: equal for every delivery of the same notification.

    Whitespace inside ``signature`` is dropped first: it is MIME line wrapping, not content, and
    the same IPN copied from a log dump (wrapped with spaces) must match the one FPS POSTed.
    """
    normalized = sorted(
        (k, _WHITESPACE.sub("", v) if k.lower() == "signature" else v) for k, v in params
    )
    blob = json.dumps(normalized, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def strip_whitespace(text: str) -> str:
    return _WHITESPACE.sub("", text)
