"""Hardened parsing of FPS responses into the frozen models, and of both FPS error shapes.

Required and optional follow the 2008-09-17 schema (spec §3; the SDK's XSD fragments): an
element the schema marks optional (minOccurs="0") may be absent, or present and empty, and the
field is then None (an empty tuple for a list); a required one that is missing is a
ProtocolError naming it. The action results the tool acts on (Cancel, Pay, Reserve, Settle,
Refund, GetTransactionStatus, GetTransaction) must carry their result, since without it there
is nothing to report.

Whatever the server (or a proxy in between) sends, the caller gets a model, an FpsError or a
ProtocolError that names the HTTP status: never an lxml traceback, never an expanded entity,
never a file or network fetch. Any DOCTYPE is refused outright; FPS never sends one, and
refusing it is the simplest defence against XXE and entity-expansion bombs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from lxml import etree

from fpsdesk.fps.exceptions import FpsError, ProtocolError
from fpsdesk.fps.models import (
    AccountActivity,
    ActionResult,
    ActivityTransaction,
    Amount,
    RelatedTransaction,
    StatusHistoryEntry,
    TransactionDetail,
    TransactionPart,
    TransactionStatus,
    TransactionStatusResult,
    VerifySignatureResult,
)

NS_2008 = "http://fps.amazonaws.com/doc/2008-09-17/"
NS_2010 = "http://fps.amazonaws.com/doc/2010-08-28/"
# No namespace is accepted too: the error shape FPS really sends has none.
_ACCEPTED_NAMESPACES = frozenset({None, NS_2008, NS_2010})

MAX_BODY_BYTES = 5 * 1024 * 1024

# What the agent is told when a proxy, captive portal or error page answers instead of FPS.
WEB_PAGE = "the server answered with a web page, not FPS XML"
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# xs:dateTime: date, time, optional fraction, optional zone ('Z' or ±hh:mm).
_DATETIME = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")

_Element = etree._Element
T = TypeVar("T")


_per_thread = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's parser: lxml parsers are not safe to share between threads, and making one
    per response cost a tenth of parsing it."""
    parser: etree.XMLParser | None = getattr(_per_thread, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        _per_thread.parser = parser
    return parser


def parse_document(body: bytes, http_status: int | None = None) -> _Element:
    """Parse ``body`` safely and return the root; raise FpsError for an FPS error document.

    ``http_status`` only decorates the errors, so the user sees e.g. "HTTP 502: not XML".
    """
    if len(body) > MAX_BODY_BYTES:
        raise ProtocolError(
            f"the response is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB; refused",
            http_status,
        )
    if not body.strip():
        raise ProtocolError("the response body is empty, expected FPS XML", http_status)
    if _is_web_page(body):  # a proxy, captive portal or load balancer's error page
        raise ProtocolError(WEB_PAGE, http_status)
    if _DOCTYPE.search(body):
        raise ProtocolError(
            "the response contains a DOCTYPE or ENTITY declaration; FPS never sends one, so it "
            "was refused unparsed",
            http_status,
        )
    stripped = body.lstrip()
    if not (stripped.startswith(b"<") or stripped.startswith(b"\xef\xbb\xbf<")):
        raise ProtocolError(
            f"the response is not XML (it starts with {_preview(body)})",
            http_status,
        )
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ProtocolError(
            f"the response is malformed or truncated XML, not an FPS response "
            f"({_lxml_reason(exc)})",
            http_status,
        ) from None
    except (ValueError, etree.LxmlError) as exc:
        raise ProtocolError(
            f"the response could not be read as XML ({type(exc).__name__})",
            http_status,
        ) from None
    if root is None:
        raise ProtocolError("the response has no XML root element", http_status)
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        # Catches a DOCTYPE the byte check missed (e.g. in UTF-16).
        raise ProtocolError("the response contains a DOCTYPE; refused", http_status)
    if _local(root).lower() == "html":
        raise ProtocolError(WEB_PAGE, http_status)
    _check_namespace(root, http_status)
    _raise_if_error(root, http_status)
    return root


def _preview(body: bytes) -> str:
    text = body[:40].decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return repr(text)


def _is_web_page(body: bytes) -> bool:
    """An HTML page (a proxy's, captive portal's or load balancer's), by how it starts."""
    head = body[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head


def _lxml_reason(exc: etree.XMLSyntaxError) -> str:
    message = str(exc.msg or exc).strip()
    return message[:160]


def _local(element: _Element) -> str:
    tag: object = element.tag
    if not isinstance(tag, str):
        return ""
    # "{namespace}local" or "local": a split is the same as etree.QName(tag).localname, at a
    # fraction of the cost (this runs for every child looked at, on every response).
    return tag.rpartition("}")[2]


def _namespace(element: _Element) -> str | None:
    tag: object = element.tag
    if not isinstance(tag, str):
        return None
    return etree.QName(tag).namespace


def _check_namespace(root: _Element, http_status: int | None) -> None:
    namespace = _namespace(root)
    if namespace not in _ACCEPTED_NAMESPACES:
        raise ProtocolError(
            f"the response is in namespace {namespace!r}, not the FPS 2008-09-17 namespace",
            http_status,
        )


def _children(parent: _Element, name: str) -> list[_Element]:
    return list(parent.iterchildren(f"{{*}}{name}"))


def _child(parent: _Element, name: str) -> _Element | None:
    # "{*}name": the child elements of that local name in any namespace or none, matched by
    # lxml itself, which makes no Python object for the children it passes over (a loop over
    # the children here cost five times as much, on every response).
    return next(parent.iterchildren(f"{{*}}{name}"), None)


def _text(parent: _Element, name: str) -> str | None:
    """Text of the child ``name``; None when absent. Surrounding whitespace is trimmed."""
    child = _child(parent, name)
    if child is None:
        return None
    return (child.text or "").strip()


def _required(parent: _Element, name: str, where: str) -> _Element:
    child = _child(parent, name)
    if child is None:
        raise ProtocolError(f"the FPS response has no {name} element in {where}")
    return child


def _required_text(parent: _Element, name: str, where: str) -> str:
    text = (_required(parent, name, where).text or "").strip()
    if not text:
        raise ProtocolError(f"the FPS response has an empty {name} element in {where}")
    return text


def _optional_text(parent: _Element, name: str) -> str | None:
    text = _text(parent, name)
    return text if text else None


def _raise_if_error(root: _Element, http_status: int | None) -> None:
    """Turn either FPS error shape into FpsError (only the first error is reported)."""
    name = _local(root)
    if name == "Response":
        errors = _child(root, "Errors")
        if errors is None:
            raise ProtocolError("the response is a <Response> without <Errors>", http_status)
        error = _child(errors, "Error")
        request_id = _optional_text(root, "RequestID") or _optional_text(root, "RequestId")
    elif name == "ErrorResponse":
        error = _child(root, "Error")
        request_id = _optional_text(root, "RequestId") or _optional_text(root, "RequestID")
    else:
        return
    if error is None:
        raise ProtocolError(f"the FPS error document <{name}> has no <Error>", http_status)
    code = _optional_text(error, "Code")
    if code is None:
        raise ProtocolError(f"the FPS error document <{name}> has no error Code", http_status)
    message = _optional_text(error, "Message") or ""
    raise FpsError(code, message, request_id, http_status)


def _decimal(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ProtocolError(f"{where} is not a decimal number: {text[:40]!r}") from None
    if not value.is_finite():
        raise ProtocolError(f"{where} is not a finite number: {text[:40]!r}")
    return value


def parse_datetime(text: str, where: str = "a date") -> datetime:
    """xs:dateTime with any offset or 'Z', with or without fractional seconds.

    A value without a zone is taken as UTC [GUESS: FPS always sends an offset; the sandbox
    sends 'Z'; being lenient here cannot mislead, because all display is converted anyway].
    """
    value = text.strip()
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise ProtocolError(f"{where} is not an xs:dateTime: {value[:40]!r}")
    fraction = match.group(1)
    if fraction and len(fraction) > 7:  # fromisoformat takes at most microseconds
        value = value.replace(fraction, fraction[:7], 1)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(f"{where} is not a valid date and time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _date(parent: _Element, name: str, where: str) -> datetime:
    return parse_datetime(_required_text(parent, name, where), f"{name} in {where}")


def _optional_date(parent: _Element, name: str, where: str) -> datetime | None:
    text = _optional_text(parent, name)
    return None if text is None else parse_datetime(text, f"{name} in {where}")


def _amount_of(element: _Element, where: str) -> Amount:
    value = _required_text(element, "Value", where)
    currency = _optional_text(element, "CurrencyCode") or "USD"
    return Amount(_decimal(value, f"Value in {where}"), currency)


def _amount(parent: _Element, name: str, where: str) -> Amount:
    return _amount_of(_required(parent, name, where), f"{name} in {where}")


def _optional_amount(parent: _Element, name: str, where: str) -> Amount | None:
    element = _child(parent, name)
    if element is None or _child(element, "Value") is None:
        return None
    return _amount_of(element, f"{name} in {where}")


def _status(parent: _Element, where: str, name: str = "TransactionStatus") -> TransactionStatus:
    text = _required_text(parent, name, where)
    try:
        return TransactionStatus.parse(text)
    except ValueError:
        raise ProtocolError(f"{name} in {where} has an unknown value {text[:30]!r}") from None


def _request_id(root: _Element) -> str:
    metadata = _child(root, "ResponseMetadata")
    if metadata is None:
        raise ProtocolError(f"the FPS response has no ResponseMetadata in {_local(root)}")
    return _required_text(metadata, "RequestId", "ResponseMetadata")


def _result(root: _Element, action: str) -> _Element:
    expected = f"{action}Response"
    if _local(root) != expected:
        raise ProtocolError(f"expected a <{expected}> document, got <{_local(root)[:60]}>")
    return _required(root, f"{action}Result", expected)


def _optional_result(root: _Element, action: str) -> _Element | None:
    """The ``{action}Result``, or None where the schema lets it be absent."""
    expected = f"{action}Response"
    if _local(root) != expected:
        raise ProtocolError(f"expected a <{expected}> document, got <{_local(root)[:60]}>")
    return _child(root, f"{action}Result")


def _run(body: bytes, http_status: int | None, build: Callable[[_Element], T]) -> T:
    root = parse_document(body, http_status)
    try:
        return build(root)
    except ProtocolError as exc:
        if exc.http_status is None and http_status is not None:
            raise ProtocolError(exc.detail, http_status) from None
        raise


def parse_action_result(action: str, body: bytes, http_status: int | None = None) -> ActionResult:
    """Cancel, Refund, Settle, Pay and Reserve: ``TransactionId`` and ``TransactionStatus``."""

    def build(root: _Element) -> ActionResult:
        result = _result(root, action)
        where = f"{action}Result"
        return ActionResult(
            transaction_id=_required_text(result, "TransactionId", where),
            transaction_status=_status(result, where),
            request_id=_request_id(root),
        )

    return _run(body, http_status, build)


def parse_transaction_status(
    body: bytes, http_status: int | None = None
) -> TransactionStatusResult:
    def build(root: _Element) -> TransactionStatusResult:
        result = _result(root, "GetTransactionStatus")
        where = "GetTransactionStatusResult"
        return TransactionStatusResult(
            transaction_id=_required_text(result, "TransactionId", where),
            transaction_status=_status(result, where),
            caller_reference=_required_text(result, "CallerReference", where),
            status_code=_optional_text(result, "StatusCode"),
            status_message=_optional_text(result, "StatusMessage"),
            request_id=_request_id(root),
        )

    return _run(body, http_status, build)


def _history_entry(element: _Element) -> StatusHistoryEntry:
    where = "StatusHistory"
    return StatusHistoryEntry(
        date=_date(element, "Date", where),
        transaction_status=_status(element, where),
        status_code=_optional_text(element, "StatusCode"),
        amount=_optional_amount(element, "Amount", where),
    )


def _related(element: _Element) -> RelatedTransaction:
    where = "RelatedTransaction"
    return RelatedTransaction(
        transaction_id=_required_text(element, "TransactionId", where),
        relation_type=_optional_text(element, "RelationType"),
    )


def parse_transaction(body: bytes, http_status: int | None = None) -> TransactionDetail:
    """GetTransaction: the whole TransactionDetail, history in document order."""

    def build(root: _Element) -> TransactionDetail:
        result = _result(root, "GetTransaction")
        txn = _required(result, "Transaction", "GetTransactionResult")
        where = "Transaction"
        return TransactionDetail(
            transaction_id=_required_text(txn, "TransactionId", where),
            caller_reference=_required_text(txn, "CallerReference", where),
            caller_description=_optional_text(txn, "CallerDescription"),
            sender_description=_optional_text(txn, "SenderDescription"),
            date_received=_date(txn, "DateReceived", where),
            date_completed=_optional_date(txn, "DateCompleted", where),
            transaction_amount=_amount(txn, "TransactionAmount", where),
            fps_fees=_amount(txn, "FPSFees", where),
            marketplace_fees=_optional_amount(txn, "MarketplaceFees", where),
            fps_fees_paid_by=_required_text(txn, "FPSFeesPaidBy", where),
            sender_token_id=_optional_text(txn, "SenderTokenId"),
            recipient_token_id=_optional_text(txn, "RecipientTokenId"),
            prepaid_instrument_id=_optional_text(txn, "PrepaidInstrumentId"),
            credit_instrument_id=_optional_text(txn, "CreditInstrumentId"),
            fps_operation=_required_text(txn, "FPSOperation", where),
            payment_method=_required_text(txn, "PaymentMethod", where),
            transaction_status=_status(txn, where),
            status_code=_optional_text(txn, "StatusCode"),
            status_message=_optional_text(txn, "StatusMessage"),
            sender_name=_optional_text(txn, "SenderName"),
            sender_email=_optional_text(txn, "SenderEmail"),
            caller_name=_required_text(txn, "CallerName", where),
            recipient_name=_optional_text(txn, "RecipientName"),
            recipient_email=_optional_text(txn, "RecipientEmail"),
            related_transactions=tuple(_related(e) for e in _children(txn, "RelatedTransaction")),
            status_history=tuple(_history_entry(e) for e in _children(txn, "StatusHistory")),
            request_id=_request_id(root),
        )

    return _run(body, http_status, build)


def parse_verify_signature(body: bytes, http_status: int | None = None) -> VerifySignatureResult:
    def build(root: _Element) -> VerifySignatureResult:
        result = _result(root, "VerifySignature")
        status = _required_text(result, "VerificationStatus", "VerifySignatureResult")
        if status not in ("Success", "Failure"):
            raise ProtocolError(f"VerificationStatus has an unknown value {status[:30]!r}")
        return VerifySignatureResult(verification_status=status, request_id=_request_id(root))

    return _run(body, http_status, build)


def _part(element: _Element) -> TransactionPart:
    where = "TransactionPart"
    return TransactionPart(
        role=_required_text(element, "Role", where),
        instrument_id=_optional_text(element, "InstrumentId"),
        name=_optional_text(element, "Name"),
        reference=_optional_text(element, "Reference"),
        description=_optional_text(element, "Description"),
        fees_paid=_optional_amount(element, "FeesPaid", where),
    )


def _activity_transaction(element: _Element) -> ActivityTransaction:
    where = "Transaction"
    return ActivityTransaction(
        transaction_id=_required_text(element, "TransactionId", where),
        caller_transaction_date=_date(element, "CallerTransactionDate", where),
        date_received=_date(element, "DateReceived", where),
        date_completed=_optional_date(element, "DateCompleted", where),
        transaction_amount=_amount(element, "TransactionAmount", where),
        fps_operation=_required_text(element, "FPSOperation", where),
        transaction_status=_status(element, where),
        status_message=_optional_text(element, "StatusMessage"),
        status_code=_optional_text(element, "StatusCode"),
        original_transaction_id=_optional_text(element, "OriginalTransactionId"),
        transaction_parts=tuple(_part(e) for e in _children(element, "TransactionPart")),
        payment_method=_required_text(element, "PaymentMethod", where),
        sender_name=_optional_text(element, "SenderName"),
        caller_name=_required_text(element, "CallerName", where),
        recipient_name=_optional_text(element, "RecipientName"),
        fps_fees=_amount(element, "FPSFees", where),
        balance=_amount(element, "Balance", where),
        sender_token_id=_optional_text(element, "SenderTokenId"),
        recipient_token_id=_optional_text(element, "RecipientTokenId"),
    )


def parse_account_activity(body: bytes, http_status: int | None = None) -> AccountActivity:
    """GetAccountActivity. Every child of its result is optional in the schema, and so is the
    result itself: an answer without one is an empty page."""

    def build(root: _Element) -> AccountActivity:
        result = _optional_result(root, "GetAccountActivity")
        if result is None:
            return AccountActivity(batch_size=0, request_id=_request_id(root))
        where = "GetAccountActivityResult"
        batch_text = _optional_text(result, "BatchSize")
        transactions = tuple(_activity_transaction(e) for e in _children(result, "Transaction"))
        try:
            batch_size = int(batch_text) if batch_text is not None else len(transactions)
        except ValueError:
            raise ProtocolError(f"BatchSize is not a number: {batch_text!r:.30}") from None
        return AccountActivity(
            batch_size=batch_size,
            request_id=_request_id(root),
            transactions=transactions,
            start_time_for_next_transaction=_optional_date(
                result, "StartTimeForNextTransaction", where
            ),
        )

    return _run(body, http_status, build)
