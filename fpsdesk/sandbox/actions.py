"""The FPS actions: check an authenticated request's parameters, run it, write the answer.

Parameter rules: names are case-sensitive; a parameter the action does not define is
InvalidRequest; a missing required one or a bad value is InvalidParams (400).

Version 2010-08-28 is accepted for all nine actions and answered in its namespace: their
results have the same elements in both versions (only the namespace changed), and the 2010
request types add only the optional ``OverrideIPNURL`` on Pay, Reserve, Settle, Refund and
Cancel. With that version it is accepted there, and that transaction's IPNs go to that URL
instead of the account's IPN URLs [GUESS: from then on, for every later change of the same
transaction]; with 2008-09-17 it is InvalidRequest, as the 2008 WSDL has no such element.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from fpsdesk.sandbox import activity as activity
from fpsdesk.sandbox import operations, rules
from fpsdesk.sandbox import verify as verify
from fpsdesk.sandbox.auth import COMMON_PARAMS, VERSION_2010
from fpsdesk.sandbox.engine import Engine
from fpsdesk.sandbox.errors import SandboxError
from fpsdesk.sandbox.ids import is_well_formed_transaction_id
from fpsdesk.sandbox.state import Txn
from fpsdesk.sandbox.timefmt import format_ms
from fpsdesk.sandbox.xmlwriter import Node, amount_node, success_response, xml_unsafe

Handler = Callable[[Engine, Mapping[str, str]], list[Node]]

_PAY_PARAMS = frozenset(
    {
        "SenderTokenId",
        "RecipientTokenId",
        "TransactionAmount.Value",
        "TransactionAmount.CurrencyCode",
        "ChargeFeeTo",
        "CallerReference",
        "CallerDescription",
        "SenderDescription",
        "DescriptorPolicy.SoftDescriptorType",
        "DescriptorPolicy.CSOwner",
        "TransactionTimeoutInMins",
        "MarketplaceFixedFee.Value",
        "MarketplaceFixedFee.CurrencyCode",
        "MarketplaceVariableFee",
    }
)
_ROLE = re.compile(r"Role\.[1-9][0-9]*")
_DIGITS = re.compile(r"[0-9]{1,12}")
# TransactionTimeoutInMins: at most a year [GUESS]; FPS's own limit is not documented.
MAX_TIMEOUT_MINUTES = 366 * 24 * 60
# Real 2008-09-17 actions outside the support tool's needs: answered with a clear message.
NOT_IMPLEMENTED = frozenset(
    {
        "CancelToken",
        "FundPrepaid",
        "GetAccountBalance",
        "GetDebtBalance",
        "GetOutstandingDebtBalance",
        "GetPrepaidBalance",
        "GetRecipientVerificationStatus",
        "GetTokenByCaller",
        "GetTokenUsage",
        "GetTokens",
        "GetTotalPrepaidLiability",
        "SettleDebt",
        "WriteOffDebt",
    }
)


OVERRIDE_IPN_URL = "OverrideIPNURL"
# The actions whose 2010-08-28 request type adds OverrideIPNURL.
OVERRIDE_ACTIONS = frozenset({"Pay", "Reserve", "Settle", "Refund", "Cancel"})


@dataclass(frozen=True)
class ActionSpec:
    handler: Handler
    params: frozenset[str]
    pattern: re.Pattern[str] | None = None  # extra allowed names (Role.N)


def required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise SandboxError("InvalidParams", f"Missing required parameter: {name}.")
    return value


def transaction_id_param(params: Mapping[str, str], name: str = "TransactionId") -> str:
    value = required(params, name)
    if not is_well_formed_transaction_id(value):
        label = name[0].lower() + name[1:]
        raise SandboxError(
            "InvalidParams",
            f"{label} has to be a valid transaction ID. Specified value: {shown(value)}",
        )
    return value


def amount_param(params: Mapping[str, str], prefix: str, *, needed: bool) -> Decimal | None:
    """``{prefix}.Value`` and ``.CurrencyCode``: a plain decimal (rules.parse_amount) in USD."""
    raw = params.get(f"{prefix}.Value")
    currency = params.get(f"{prefix}.CurrencyCode")
    if raw is None:
        if needed:
            raise SandboxError("InvalidParams", f"Missing required parameter: {prefix}.Value.")
        if currency is not None:
            raise SandboxError(
                "InvalidParams", f"{prefix}.CurrencyCode was given without {prefix}.Value."
            )
        return None
    value = rules.parse_amount(raw)
    if value is None:
        raise SandboxError(
            "InvalidParams",
            f"{prefix}.Value has to be a valid amount. Specified value: {shown(raw)}",
        )
    if currency is not None and currency != "USD":
        raise SandboxError(
            "InvalidParams",
            f"{prefix}.CurrencyCode {shown(currency)} is not supported; the only currency is USD.",
        )
    return value


def whole_number(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    """An optional parameter that must be ASCII digits between ``low`` and ``high``."""
    raw = params.get(name)
    if raw is None:
        return None
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise SandboxError(
            "InvalidParams",
            f"{name} must be a whole number from {low} to {high}. Specified value: {shown(raw)}",
        )
    return int(raw)


def shown(value: str, limit: int = 64) -> str:
    """A parameter value as echoed in an error message: bounded, like FPS's own messages."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = params.get(name)
    if value is not None and value not in allowed:
        raise SandboxError(
            "InvalidParams",
            f"{name} must be one of {', '.join(allowed)}. Specified value: {shown(value)}",
        )
    return value


def override_ipn_url(params: Mapping[str, str]) -> str | None:
    """OverrideIPNURL (2010-08-28 only; check_params refuses it otherwise): an http(s) URL."""
    raw = params.get(OVERRIDE_IPN_URL)
    if raw is None:
        return None
    try:
        parts = urlsplit(raw)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and len(raw) <= 1024
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        usable = False
    if not usable:
        raise SandboxError(
            "InvalidParams",
            f"{OVERRIDE_IPN_URL} has to be an absolute http or https URL. "
            f"Specified value: {shown(raw)}",
        )
    return raw


def _status_result(txn_id: str, status: str) -> list[Node]:
    return [("TransactionId", txn_id), ("TransactionStatus", status)]


def _pay_or_reserve(operation: str) -> Handler:
    def handler(engine: Engine, params: Mapping[str, str]) -> list[Node]:
        token = required(params, "SenderTokenId")
        amount = amount_param(params, "TransactionAmount", needed=True)
        assert amount is not None
        reference = required(params, "CallerReference")
        if len(reference.encode("utf-8")) > 128:
            raise SandboxError("InvalidParams", "CallerReference is longer than 128 bytes.")
        fee_to = _choice(params, "ChargeFeeTo", ("Caller", "Recipient")) or "Recipient"
        _choice(params, "DescriptorPolicy.SoftDescriptorType", ("Static", "Dynamic"))
        _choice(params, "DescriptorPolicy.CSOwner", ("Caller", "Recipient"))
        fixed_fee = amount_param(params, "MarketplaceFixedFee", needed=False)
        variable_fee = params.get("MarketplaceVariableFee")
        if variable_fee is not None:
            percent = rules.parse_amount(variable_fee)
            if percent is None or percent > 100:
                raise SandboxError(
                    "InvalidParams",
                    "MarketplaceVariableFee must be a percentage from 0 to 100. "
                    f"Specified value: {shown(variable_fee)}",
                )
        timeout = whole_number(params, "TransactionTimeoutInMins", 1, MAX_TIMEOUT_MINUTES)
        txn, status = operations.pay_or_reserve(
            engine,
            operation,
            sender_token_id=token,
            amount=amount,
            currency="USD",
            caller_reference=reference,
            caller_description=params.get("CallerDescription"),
            sender_description=params.get("SenderDescription"),
            charge_fee_to=fee_to,
            recipient_token_id=params.get("RecipientTokenId"),
            marketplace_fees=fixed_fee,
            timeout_minutes=timeout,
            override_ipn_url=override_ipn_url(params),
        )
        return _status_result(txn.id, status)

    return handler


def _cancel(engine: Engine, params: Mapping[str, str]) -> list[Node]:
    txn = operations.cancel(
        engine, transaction_id_param(params), params.get("Description"), override_ipn_url(params)
    )
    return _status_result(txn.id, txn.status)


def _settle(engine: Engine, params: Mapping[str, str]) -> list[Node]:
    reserve_id = transaction_id_param(params, "ReserveTransactionId")
    txn = operations.settle(
        engine,
        reserve_id,
        amount_param(params, "TransactionAmount", needed=False),
        override_ipn_url=override_ipn_url(params),
    )
    return _status_result(txn.id, "Pending")


def _refund(engine: Engine, params: Mapping[str, str]) -> list[Node]:
    txn_id = transaction_id_param(params)
    reference = required(params, "CallerReference")
    _choice(
        params,
        "MarketplaceRefundPolicy",
        ("MasterTxnOnly", "MarketplaceTxnOnly", "MasterAndMarketplaceTxn"),
    )
    refund = operations.refund(
        engine,
        txn_id,
        caller_reference=reference,
        amount=amount_param(params, "RefundAmount", needed=False),
        caller_description=params.get("CallerDescription"),
        override_ipn_url=override_ipn_url(params),
    )
    return _status_result(refund.id, "Pending")


def _get_transaction_status(engine: Engine, params: Mapping[str, str]) -> list[Node]:
    txn = engine.get(transaction_id_param(params))
    return [
        ("TransactionId", txn.id),
        ("TransactionStatus", txn.status),
        ("CallerReference", txn.caller_reference),
        ("StatusCode", txn.status_code),
        ("StatusMessage", txn.status_message),
    ]


def transaction_detail(engine: Engine, txn: Txn) -> list[Node]:
    """TransactionDetail in the XSD's order (spec §3.3)."""
    with engine.store.read() as conn:
        history = engine.store.history(conn, txn.id)
        children = engine.store.children(conn, txn.id)
    related: list[Node] = []
    if txn.parent_id:
        related.append(
            ("RelatedTransaction", [("TransactionId", txn.parent_id), ("RelationType", "Parent")])
        )
    for child in children:
        kind = "Refund" if child.operation == "Refund" else "MarketplaceFee"
        related.append(
            ("RelatedTransaction", [("TransactionId", child.id), ("RelationType", kind)])
        )
    entries: list[Node] = [
        (
            "StatusHistory",
            [
                ("Date", format_ms(h.date)),
                ("TransactionStatus", h.status),
                ("StatusCode", h.status_code),
                amount_node("Amount", h.amount, txn.currency),
            ],
        )
        for h in history
    ]
    return [
        ("TransactionId", txn.id),
        ("CallerReference", txn.caller_reference),
        ("CallerDescription", txn.caller_description),
        ("SenderDescription", txn.sender_description),
        ("DateReceived", format_ms(txn.date_received)),
        ("DateCompleted", None if txn.date_completed is None else format_ms(txn.date_completed)),
        amount_node("TransactionAmount", txn.amount, txn.currency),
        amount_node("FPSFees", txn.fps_fees, txn.currency),
        amount_node("MarketplaceFees", txn.marketplace_fees, txn.currency),
        ("FPSFeesPaidBy", txn.fees_paid_by),
        ("SenderTokenId", txn.sender_token_id),
        ("RecipientTokenId", txn.recipient_token_id),
        ("PrepaidInstrumentId", None),
        ("CreditInstrumentId", None),
        ("FPSOperation", txn.operation),
        ("PaymentMethod", txn.payment_method),
        ("TransactionStatus", txn.status),
        ("StatusCode", txn.status_code),
        ("StatusMessage", txn.status_message),
        ("SenderName", txn.sender_name),
        ("SenderEmail", txn.sender_email),
        ("CallerName", txn.caller_name),
        ("RecipientName", txn.recipient_name),
        ("RecipientEmail", txn.recipient_email),
        *related,
        *entries,
    ]


def _get_transaction(engine: Engine, params: Mapping[str, str]) -> list[Node]:
    txn = engine.get(transaction_id_param(params))
    return [("Transaction", transaction_detail(engine, txn))]


ACTIONS: dict[str, ActionSpec] = {
    "Pay": ActionSpec(_pay_or_reserve("Pay"), _PAY_PARAMS),
    "Reserve": ActionSpec(_pay_or_reserve("Reserve"), _PAY_PARAMS),
    "Settle": ActionSpec(
        _settle,
        frozenset(
            {"ReserveTransactionId", "TransactionAmount.Value", "TransactionAmount.CurrencyCode"}
        ),
    ),
    "Cancel": ActionSpec(_cancel, frozenset({"TransactionId", "Description"})),
    "Refund": ActionSpec(
        _refund,
        frozenset(
            {
                "TransactionId",
                "RefundAmount.Value",
                "RefundAmount.CurrencyCode",
                "CallerReference",
                "CallerDescription",
                "MarketplaceRefundPolicy",
            }
        ),
    ),
    "GetTransactionStatus": ActionSpec(_get_transaction_status, frozenset({"TransactionId"})),
    "GetTransaction": ActionSpec(_get_transaction, frozenset({"TransactionId"})),
    "GetAccountActivity": ActionSpec(activity.get_account_activity, activity.PARAMS, pattern=_ROLE),
    "VerifySignature": ActionSpec(verify.verify_signature, verify.PARAMS),
}


def lookup(params: Mapping[str, str]) -> ActionSpec:
    """The action named by ``Action``, or InvalidParams/InvalidRequest."""
    action = params.get("Action")
    if not action:
        raise SandboxError("InvalidParams", "Missing required parameter: Action.")
    spec = ACTIONS.get(action)
    if spec is None:
        if action in NOT_IMPLEMENTED:
            raise SandboxError(
                "InvalidRequest",
                f"{action} is an FPS 2008-09-17 action that this sandbox does not implement.",
            )
        raise SandboxError(
            "InvalidRequest", f"The action {action} is not valid for this web service."
        )
    return spec


def check_params(action: str, spec: ActionSpec, params: Mapping[str, str], version: str) -> None:
    for name in params:
        if name in COMMON_PARAMS or name in spec.params:
            continue
        if name == OVERRIDE_IPN_URL and version == VERSION_2010 and action in OVERRIDE_ACTIONS:
            continue
        if spec.pattern is not None and spec.pattern.fullmatch(name):
            continue
        raise SandboxError(
            "InvalidRequest",
            f"The request doesn't conform to the interface specification in the WSDL. "
            f"Element {name} is not valid for {action}.",
        )


def run(engine: Engine, params: Mapping[str, str], version: str, request_id: str) -> bytes:
    """Run an authenticated request; SandboxError propagates to be written as an error."""
    spec = lookup(params)
    action = params["Action"]
    check_params(action, spec, params, version)
    for name, value in params.items():
        if xml_unsafe(value):
            raise SandboxError(
                "InvalidParams",
                f"{name} contains a control character that is not allowed in a parameter value.",
            )
    result = spec.handler(engine, params)
    return success_response(action, result, request_id, version)
