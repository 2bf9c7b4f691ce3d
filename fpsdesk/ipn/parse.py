"""Turn an IPN in any of its four shapes into an :class:`Ipn`, or raise :class:`IpnParseError`.

Shapes: a form-encoded POST body, a query string (or a whole URL), JSON lines, and the
"key: value" text dump of the FPS documentation (its records are found by fpsdesk/ipn/files.py,
which reads files of any of the four). Decisions, for every shape:

- The raw parameters are kept verbatim, in the order given, as (name, value) pairs. Values may
  hold any Unicode text, embedded newlines included (the dump shows a value over several lines
  by continuing it on lines that do not start with ``name:``; they are joined with ``\\n``).
- A parameter name given twice (compared case-insensitively, so ``signature`` and ``Signature``
  clash) is an error: FPS never sends one twice, and with two values there is no telling which
  one was signed or which one is the status. The input goes to quarantine, nothing is guessed.
- Text must be valid UTF-8 (form bodies may declare another charset); names must be non-empty
  and free of whitespace and control characters.
- Every IPN needs ``notificationType``; a ``TransactionStatus`` one also a valid
  ``transactionId``. Typed fields that are present must be well formed: ``transactionDate`` is
  epoch seconds, ``transactionAmount`` is ``"CUR 1.00"``, ``transactionStatus`` one of the five
  statuses. Missing signature fields are not a parse error: the verifier fails them, and the
  IPN is still kept and shown.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.fps.ids import normalize_transaction_id
from fpsdesk.fps.models import Amount, TransactionStatus
from fpsdesk.records.ipn import Ipn, IpnParseError, Pairs, strip_whitespace

MAX_PARAMS = 500
MAX_NAME_LENGTH = 256

# Field names of FPS notifications (spec §6), used to find keys in a flattened dump.
KNOWN_FIELDS = frozenset(
    {
        "notificationType", "transactionId", "transactionDate", "transactionStatus",
        "statusCode", "statusMessage", "operation", "callerReference", "transactionAmount",
        "paymentMethod", "paymentReason", "buyerName", "buyerEmail", "recipientName",
        "recipientEmail", "parentTransactionId", "status", "signatureVersion",
        "signatureMethod", "certificateUrl", "signature", "tokenId", "tokenType",
        "customerName", "customerEmail", "dateInstalled", "referenceId", "addressFullName",
        "addressLine1", "addressLine2", "city", "state", "zip", "country", "phoneNumber",
    }
)  # fmt: skip

_BAD_NAME_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")
_AMOUNT = re.compile(r"([A-Za-z]{3})[ \t]+([+-]?\d{1,15}(?:\.\d{1,10})?)")
_EPOCH = re.compile(r"\d{1,12}")


# ---------------------------------------------------------------------------------------------
# Pairs -> Ipn


def _check_text(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise IpnParseError(f"{what} is not valid Unicode text") from None


def _check_pairs(pairs: Iterable[tuple[str, str]]) -> Pairs:
    seen: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        if not isinstance(name, str) or not isinstance(value, str):
            raise IpnParseError("parameter names and values must be text")
        if not name:
            raise IpnParseError("a parameter has an empty name")
        if len(name) > MAX_NAME_LENGTH:
            raise IpnParseError(f"parameter name {name[:40]!r}… is longer than {MAX_NAME_LENGTH}")
        if _BAD_NAME_CHAR.search(name):
            raise IpnParseError(
                f"parameter name {name!r} contains whitespace or control characters"
            )
        _check_text(name, f"parameter name {name!r}")
        _check_text(value, f"the value of {name!r}")
        folded = name.lower()
        if folded in seen:
            first = seen[folded]
            raise IpnParseError(
                f"parameter {name!r} appears more than once"
                + ("" if first == name else f" (also as {first!r})")
                + "; FPS never repeats one, so there is no telling which value is real"
            )
        seen[folded] = name
        out.append((name, value))
        if len(out) > MAX_PARAMS:
            raise IpnParseError(f"more than {MAX_PARAMS} parameters; this is not an IPN")
    if not out:
        raise IpnParseError("no parameters at all")
    return tuple(out)


def _opt(params: dict[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_epoch(text: str) -> datetime:
    """``transactionDate``: Unix epoch seconds → an aware UTC datetime."""
    stripped = text.strip()
    if not _EPOCH.fullmatch(stripped):
        raise IpnParseError(f"transactionDate {text[:40]!r} is not Unix epoch seconds")
    try:
        return datetime.fromtimestamp(int(stripped), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise IpnParseError(f"transactionDate {text[:40]!r} is out of range") from None


def parse_amount(text: str) -> Amount:
    """``transactionAmount``: ``"USD 1.00"`` → Amount(Decimal("1.00"), "USD"), digits kept."""
    match = _AMOUNT.fullmatch(text.strip())
    if not match:
        raise IpnParseError(
            f"transactionAmount {text[:40]!r} is not a currency and an amount, like 'USD 1.00'"
        )
    try:
        value = Decimal(match.group(2))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise IpnParseError(f"transactionAmount {text[:40]!r} has no valid number") from None
    return Amount(value, match.group(1).upper())


def _transaction_id(value: str, name: str) -> str:
    try:
        return normalize_transaction_id(value)
    except InvalidInput as exc:
        raise IpnParseError(f"{name} {value[:40]!r} is not a transaction ID: {exc}") from None


def from_pairs(pairs: Iterable[tuple[str, str]]) -> Ipn:
    """Check the raw pairs and derive the typed fields; the central step of every shape."""
    raw = _check_pairs(pairs)
    params = dict(raw)
    notification_type = _opt(params, "notificationType")
    if notification_type is None:
        raise IpnParseError("no notificationType parameter; this is not an FPS notification")

    transaction_id = _opt(params, "transactionId")
    if transaction_id is not None:
        transaction_id = _transaction_id(transaction_id, "transactionId")
    elif notification_type == "TransactionStatus":
        raise IpnParseError("a TransactionStatus notification without a transactionId")
    parent = _opt(params, "parentTransactionId")
    if parent is not None:
        parent = _transaction_id(parent, "parentTransactionId")

    date_text = _opt(params, "transactionDate")
    amount_text = _opt(params, "transactionAmount")
    status_text = _opt(params, "transactionStatus")
    status: TransactionStatus | None = None
    if status_text is not None:
        try:
            status = TransactionStatus.parse(status_text)
        except ValueError:
            raise IpnParseError(
                f"transactionStatus {status_text[:40]!r} is not one of "
                "RESERVED, SUCCESS, FAILURE, PENDING, CANCELLED"
            ) from None
    signature = params.get("signature")
    operation = _opt(params, "operation")
    return Ipn(
        params=raw,
        notification_type=notification_type,
        transaction_id=transaction_id,
        transaction_date=parse_epoch(date_text) if date_text is not None else None,
        transaction_status=status,
        status_code=_opt(params, "statusCode"),
        status_message=_opt(params, "statusMessage"),
        operation=operation.upper() if operation else None,
        amount=parse_amount(amount_text) if amount_text is not None else None,
        caller_reference=_opt(params, "callerReference"),
        payment_method=_opt(params, "paymentMethod"),
        payment_reason=_opt(params, "paymentReason"),
        buyer_name=_opt(params, "buyerName"),
        buyer_email=_opt(params, "buyerEmail"),
        recipient_name=_opt(params, "recipientName"),
        recipient_email=_opt(params, "recipientEmail"),
        parent_transaction_id=parent,
        legacy_status=_opt(params, "status"),
        token_id=_opt(params, "tokenId"),
        signature_version=_opt(params, "signatureVersion"),
        signature_method=_opt(params, "signatureMethod"),
        certificate_url=_opt(params, "certificateUrl"),
        signature=(strip_whitespace(signature) or None) if signature is not None else None,
    )


# ---------------------------------------------------------------------------------------------
# Form bodies and query strings


def _qsl(text: str, what: str, encoding: str = "utf-8") -> list[tuple[str, str]]:
    if not text.strip():
        raise IpnParseError(f"the {what} is empty")
    try:
        return parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            encoding=encoding,
            errors="strict",
            max_num_fields=MAX_PARAMS,
        )
    except UnicodeDecodeError:
        raise IpnParseError(
            f"the {what} has percent-escapes that are not valid {encoding}"
        ) from None
    except ValueError as exc:
        detail = str(exc)
        if "Max number of fields" in detail:
            raise IpnParseError(f"more than {MAX_PARAMS} parameters; this is not an IPN") from None
        raise IpnParseError(f"the {what} is not name=value pairs joined by '&'") from None


def charset_of(content_type: str | None) -> str:
    """The charset a Content-Type declares (``utf-8`` when none), checked to be a known codec."""
    charset = "utf-8"
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    try:
        codecs.lookup(charset)
    except LookupError:
        raise IpnParseError(f"unknown charset {charset[:40]!r}") from None
    return charset


def form_pairs(body: bytes | str, *, charset: str = "utf-8") -> list[tuple[str, str]]:
    """The raw pairs of a form body, not yet checked as an IPN."""
    if isinstance(body, bytes):
        try:
            text = body.decode(charset)
        except (UnicodeDecodeError, LookupError):
            raise IpnParseError(f"the body is not valid {charset} text") from None
    else:
        text = body
    return _qsl(text.strip("\r\n"), "form body", charset)


def query_pairs(query: str) -> list[tuple[str, str]]:
    """The raw pairs of a query string (no leading ``?``); empty for an empty one."""
    return _qsl(query, "query string") if query else []


def parse_form(body: bytes | str, *, charset: str = "utf-8") -> Ipn:
    """An ``application/x-www-form-urlencoded`` body (``+`` is a space, ``%XX`` a byte)."""
    return from_pairs(form_pairs(body, charset=charset))


def split_url(text: str) -> tuple[str | None, str]:
    """``(endpoint URL without query, query)`` for a URL; ``(None, query)`` for a bare query."""
    stripped = text.strip()
    if re.match(r"(?i)https?://", stripped):
        parts = urlsplit(stripped)
        endpoint = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
        return endpoint, parts.query
    return None, stripped.removeprefix("?").split("#", 1)[0]


def parse_query(text: str) -> Ipn:
    """A query string (``?a=b&c=d`` or ``a=b&c=d``) or a whole URL carrying one."""
    _, query = split_url(text)
    return from_pairs(_qsl(query, "query string"))


# ---------------------------------------------------------------------------------------------
# JSON lines


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise IpnParseError(f"JSON key {key!r} appears more than once")
        out[key] = value
    return out


# Keys of the envelope form; besides params, endpoint_url and http_method they are what
# ``fpsdesk ipn list --json`` adds for people and scripts, and are ignored on import.
ENVELOPE_KEYS = frozenset(
    {
        "params", "endpoint_url", "http_method", "id", "verdict", "reason", "reason_code",
        "received_at", "last_received_at", "source", "delivery_count", "notification_type",
        "transaction_id", "transaction_date", "transaction_status", "operation", "amount",
        "currency", "status_code", "status_message", "event_at", "checked_at", "verify_method",
        "status_field", "environment",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Envelope:
    """Context a JSON line may carry beside the parameters (what ``ipn list --json`` writes)."""

    endpoint_url: str | None = None
    http_method: str | None = None


def _json_pairs(value: object, what: str) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = []
        for item in value:
            if not (isinstance(item, list) and len(item) == 2):
                raise IpnParseError(f"{what} must be a list of [name, value] pairs")
            items.append((item[0], item[1]))
    else:
        raise IpnParseError(f"{what} must be an object or a list of [name, value] pairs")
    for name, val in items:
        if not isinstance(name, str) or not isinstance(val, str):
            raise IpnParseError(
                f"the value of {str(name)[:40]!r} must be a JSON string (raw IPN values are "
                "text; a number would lose its exact digits)"
            )
    return items


def parse_json_line(line: str) -> tuple[Ipn, Envelope]:
    """One JSON object: either ``{"name": "value", ...}`` or an envelope
    ``{"params": [[name, value], ...] | {...}, "endpoint_url": ..., "http_method": ...}``."""
    try:
        data = json.loads(line, object_pairs_hook=_no_duplicates)
    except IpnParseError:
        raise
    except (ValueError, RecursionError) as exc:
        raise IpnParseError(f"not valid JSON: {str(exc)[:80]}") from None
    if not isinstance(data, dict):
        raise IpnParseError("a JSON line must hold one object")
    envelope = Envelope()
    if "params" in data and isinstance(data["params"], list | dict):
        extra = set(data) - ENVELOPE_KEYS
        if extra:
            raise IpnParseError(f"unknown keys beside 'params': {', '.join(sorted(extra))[:80]}")
        endpoint = data.get("endpoint_url")
        method = data.get("http_method")
        if endpoint is not None and not isinstance(endpoint, str):
            raise IpnParseError("'endpoint_url' must be a string")
        if method is not None and method not in ("GET", "POST"):
            raise IpnParseError("'http_method' must be GET or POST")
        envelope = Envelope(endpoint, method)
        pairs = _json_pairs(data["params"], "'params'")
    else:
        pairs = _json_pairs(data, "the object")
    return from_pairs(pairs), envelope
