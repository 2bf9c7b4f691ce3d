"""The ``/_sandbox/`` JSON control API (loopback clients only): make data, watch IPNs, break
things on purpose. Each endpoint maps onto a SandboxServer method of the same meaning, which
tests call directly. See docs/sandbox.md for examples.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from fpsdesk.sandbox.state import HistoryEntry, Txn
from fpsdesk.sandbox.timefmt import format_ms

if TYPE_CHECKING:
    from fpsdesk.sandbox.server import SandboxServer

log = logging.getLogger(__name__)

PREFIX = "/_sandbox"
ENDPOINTS = [
    "GET /_sandbox/transactions[?status=&operation=]",
    "POST /_sandbox/transactions  {status, operation, amount, ...}",
    "GET /_sandbox/transactions/<id>",
    "POST /_sandbox/transactions/<id>/status  {status, status_code?, status_message?}",
    "GET /_sandbox/ipn[?transaction_id=]",
    "GET /_sandbox/ipn/notifications[?transaction_id=]",
    "GET|PUT /_sandbox/ipn/urls  {urls: [...]}",
    "POST /_sandbox/ipn/replay  {transaction_id?}",
    "GET|POST|DELETE /_sandbox/faults  {kind, action?, transaction_id?, delay_ms?, times?, "
    "http_status?}",
    "GET /_sandbox/requests[?per_transaction=ACTION]",
    "GET|POST /_sandbox/throttle  {rate: requests per second per access key | null, burst?}",
    "POST /_sandbox/reset  {demo?}",
    "GET /_sandbox/demo",
]


@dataclass(frozen=True)
class ControlAnswer:
    status: int
    body: Any


def txn_to_dict(txn: Txn, history: list[HistoryEntry], children: list[Txn]) -> dict[str, Any]:
    """A JSON-ready view of one transaction: amounts as strings, instants as ISO-8601."""

    def when(ms: int | None) -> str | None:
        return None if ms is None else format_ms(ms)

    def money(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "transaction_id": txn.id,
        "caller_reference": txn.caller_reference,
        "caller_description": txn.caller_description,
        "sender_description": txn.sender_description,
        "date_received": when(txn.date_received),
        "date_completed": when(txn.date_completed),
        "amount": money(txn.amount),
        "currency": txn.currency,
        "fps_fees": money(txn.fps_fees),
        "marketplace_fees": money(txn.marketplace_fees),
        "fees_paid_by": txn.fees_paid_by,
        "sender_token_id": txn.sender_token_id,
        "recipient_token_id": txn.recipient_token_id,
        "operation": txn.operation,
        "payment_method": txn.payment_method,
        "status": txn.status,
        "status_code": txn.status_code,
        "status_message": txn.status_message,
        "sender_name": txn.sender_name,
        "sender_email": txn.sender_email,
        "caller_name": txn.caller_name,
        "recipient_name": txn.recipient_name,
        "recipient_email": txn.recipient_email,
        "parent_id": txn.parent_id,
        "refunded": money(txn.refunded),
        "cancel_description": txn.cancel_description,
        "expires_at": when(txn.expires_at),
        "override_ipn_url": txn.override_ipn_url,
        "pending_move": (
            None
            if txn.advance_at is None
            else {
                "at": when(txn.advance_at),
                "status": txn.advance_status,
                "status_code": txn.advance_code,
            }
        ),
        "children": [c.id for c in children],
        "history": [
            {
                "date": when(h.date),
                "status": h.status,
                "status_code": h.status_code,
                "amount": money(h.amount),
            }
            for h in history
        ],
    }


def _error(status: int, message: str) -> ControlAnswer:
    return ControlAnswer(status, {"error": message})


def _json_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError("the body is not valid JSON: it is nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def handle(
    sandbox: SandboxServer, method: str, path: str, query_string: str, body: bytes
) -> ControlAnswer:
    """Route one control request; every failure is a JSON ``{"error": ...}`` answer.

    Bad input (wrong types, numbers too large for any arithmetic, JSON nested too deeply) is a
    400; a failure that is the sandbox's own fault is a 500 with the traceback in the log.
    Either way the client gets an answer, never a dropped connection.
    """
    try:
        return _route(sandbox, method, path.rstrip("/"), parse_qs(query_string), body)
    except KeyError as exc:
        return _error(404, f"no such transaction: {exc.args[0]}")
    except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:
        return _error(400, str(exc) or type(exc).__name__)
    except Exception:
        log.exception("sandbox control %s %s failed", method, path)
        return _error(500, "the sandbox failed on this request; see its log")


def _route(
    sandbox: SandboxServer,
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: bytes,
) -> ControlAnswer:
    parts = [p for p in path[len(PREFIX) :].split("/") if p]
    if not parts:
        return ControlAnswer(200, {"endpoints": ENDPOINTS})
    head, rest = parts[0], parts[1:]
    if head == "transactions":
        if not rest:
            if method == "GET":
                found = [
                    t
                    for t in sandbox.transactions()
                    if (_one(query, "status") in (None, t["status"]))
                    and (_one(query, "operation") in (None, t["operation"]))
                ]
                return ControlAnswer(200, {"transactions": found})
            if method == "POST":
                txn_id = sandbox.create_transaction(**_json_body(body))
                return ControlAnswer(
                    201, {"transaction_id": txn_id, "transaction": sandbox.transaction(txn_id)}
                )
        elif len(rest) == 1 and method == "GET":
            return ControlAnswer(200, sandbox.transaction(rest[0]))
        elif len(rest) == 2 and rest[1] == "status" and method == "POST":
            data = _json_body(body)
            if "status" not in data:
                raise ValueError("give the new status")
            for name in ("status", "status_code", "status_message"):
                if data.get(name) is not None and not isinstance(data[name], str):
                    raise ValueError(f"{name} must be a string")
            return ControlAnswer(
                200,
                sandbox.set_status(
                    rest[0], data["status"], data.get("status_code"), data.get("status_message")
                ),
            )
    elif head == "ipn":
        if not rest and method == "GET":
            return ControlAnswer(
                200,
                {
                    "urls": sandbox.ipn_urls,
                    "deliveries": sandbox.ipn_deliveries(_one(query, "transaction_id")),
                },
            )
        if rest == ["notifications"] and method == "GET":
            return ControlAnswer(
                200, {"notifications": sandbox.notifications(_one(query, "transaction_id"))}
            )
        if rest == ["urls"]:
            if method == "GET":
                return ControlAnswer(200, {"urls": sandbox.ipn_urls})
            if method in ("PUT", "POST"):
                urls = _json_body(body).get("urls")
                if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                    raise ValueError('give {"urls": ["http://...", ...]}')
                sandbox.set_ipn_urls(urls)
                return ControlAnswer(200, {"urls": sandbox.ipn_urls})
        if rest == ["replay"] and method == "POST":
            replay_id = _json_body(body).get("transaction_id")
            if replay_id is not None and not isinstance(replay_id, str):
                raise ValueError("transaction_id must be a string")
            count = sandbox.replay_ipns(replay_id)
            return ControlAnswer(200, {"notifications": count})
    elif head == "faults" and not rest:
        if method == "GET":
            return ControlAnswer(200, {"faults": sandbox.faults()})
        if method == "POST":
            data = _json_body(body)
            if "kind" not in data:
                raise ValueError("give the fault kind")
            fault_id = sandbox.inject_fault(**data)
            return ControlAnswer(201, {"fault_id": fault_id, "faults": sandbox.faults()})
        if method == "DELETE":
            sandbox.clear_faults()
            return ControlAnswer(200, {"faults": []})
    elif head == "requests" and not rest and method == "GET":
        per = _one(query, "per_transaction")
        if per:
            return ControlAnswer(
                200, {"action": per, "counts": sandbox.request_counts_by_transaction(per)}
            )
        return ControlAnswer(200, {"counts": sandbox.request_counts()})
    elif head == "throttle" and not rest:
        if method == "GET":
            return ControlAnswer(200, sandbox.throttle.describe())
        if method in ("POST", "PUT"):
            data = _json_body(body)
            rate, burst = data.get("rate"), data.get("burst")
            for name, value in (("rate", rate), ("burst", burst)):
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int | float)
                ):
                    raise ValueError(f"{name} must be a number or null")
            return ControlAnswer(200, sandbox.set_throttle(rate, burst))
    elif head == "reset" and not rest and method == "POST":
        sandbox.reset(demo=bool(_json_body(body).get("demo", False)))
        return ControlAnswer(200, {"reset": True})
    elif head == "demo" and not rest and method == "GET":
        from fpsdesk.sandbox import demo

        return ControlAnswer(200, demo.interesting_ids())
    return _error(404, f"no control endpoint {method} {path}; see GET {PREFIX}/")
