"""The ``/_sandbox/`` JSON control API (loopback clients only): make data, watch IPNs, break
things on purpose. Each endpoint maps onto a SandboxServer method of the same meaning, which
tests call directly. See docs/sandbox.md for examples.

``ROUTES`` is the whole API: a method and a path pattern (``*`` is one path segment, handed to
the endpoint) to one small function.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fpsdesk.sandbox.api import SandboxApi

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


@dataclass(frozen=True)
class ControlRequest:
    """One control request: the path segments the pattern's ``*`` matched, query and body."""

    args: tuple[str, ...]
    query: dict[str, list[str]]
    body: bytes

    def one(self, name: str) -> str | None:
        """The last value of query parameter ``name``, or None."""
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (an empty body is ``{}``); ValueError if it is not one."""
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"the body is not valid JSON: {exc}") from None
        except RecursionError:
            raise ValueError("the body is not valid JSON: it is nested too deeply") from None
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


Endpoint = Callable[[SandboxApi, ControlRequest], ControlAnswer]


def _error(status: int, message: str) -> ControlAnswer:
    return ControlAnswer(status, {"error": message})


def _ok(body: Any) -> ControlAnswer:
    return ControlAnswer(200, body)


def _strings(data: dict[str, Any], *names: str) -> None:
    for name in names:
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ValueError(f"{name} must be a string")


# -- endpoints -------------------------------------------------------------------------------


def _list_transactions(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    status, operation = request.one("status"), request.one("operation")
    found = [
        t
        for t in sandbox.transactions()
        if status in (None, t["status"]) and operation in (None, t["operation"])
    ]
    return _ok({"transactions": found})


def _create_transaction(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    txn_id = sandbox.create_transaction(**request.json())
    return ControlAnswer(
        201, {"transaction_id": txn_id, "transaction": sandbox.transaction(txn_id)}
    )


def _get_transaction(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    return _ok(sandbox.transaction(request.args[0]))


def _set_status(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    data = request.json()
    if "status" not in data:
        raise ValueError("give the new status")
    _strings(data, "status", "status_code", "status_message")
    return _ok(
        sandbox.set_status(
            request.args[0], data["status"], data.get("status_code"), data.get("status_message")
        )
    )


def _ipn(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    deliveries = sandbox.ipn_deliveries(request.one("transaction_id"))
    return _ok({"urls": sandbox.ipn_urls, "deliveries": deliveries})


def _notifications(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    return _ok({"notifications": sandbox.notifications(request.one("transaction_id"))})


def _ipn_urls(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    return _ok({"urls": sandbox.ipn_urls})


def _set_ipn_urls(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    urls = request.json().get("urls")
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ValueError('give {"urls": ["http://...", ...]}')
    sandbox.set_ipn_urls(urls)
    return _ok({"urls": sandbox.ipn_urls})


def _replay(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    data = request.json()
    _strings(data, "transaction_id")
    return _ok({"notifications": sandbox.replay_ipns(data.get("transaction_id"))})


def _faults(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    return _ok({"faults": sandbox.faults()})


def _inject_fault(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    data = request.json()
    if "kind" not in data:
        raise ValueError("give the fault kind")
    fault_id = sandbox.inject_fault(**data)
    return ControlAnswer(201, {"fault_id": fault_id, "faults": sandbox.faults()})


def _clear_faults(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    sandbox.clear_faults()
    return _ok({"faults": []})


def _requests(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    per = request.one("per_transaction")
    if per:
        return _ok({"action": per, "counts": sandbox.request_counts_by_transaction(per)})
    return _ok({"counts": sandbox.request_counts()})


def _throttle(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    return _ok(sandbox.throttle.describe())


def _set_throttle(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    data = request.json()
    rate, burst = data.get("rate"), data.get("burst")
    for name, value in (("rate", rate), ("burst", burst)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{name} must be a number or null")
    return _ok(sandbox.set_throttle(rate, burst))


def _reset(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    sandbox.reset(demo=bool(request.json().get("demo", False)))
    return _ok({"reset": True})


def _demo(sandbox: SandboxApi, request: ControlRequest) -> ControlAnswer:
    from fpsdesk.sandbox import demo  # lazy: only this endpoint needs the demo data set

    return _ok(demo.interesting_ids())


ROUTES: dict[tuple[str, str], Endpoint] = {
    ("GET", "transactions"): _list_transactions,
    ("POST", "transactions"): _create_transaction,
    ("GET", "transactions/*"): _get_transaction,
    ("POST", "transactions/*/status"): _set_status,
    ("GET", "ipn"): _ipn,
    ("GET", "ipn/notifications"): _notifications,
    ("GET", "ipn/urls"): _ipn_urls,
    ("PUT", "ipn/urls"): _set_ipn_urls,
    ("POST", "ipn/urls"): _set_ipn_urls,
    ("POST", "ipn/replay"): _replay,
    ("GET", "faults"): _faults,
    ("POST", "faults"): _inject_fault,
    ("DELETE", "faults"): _clear_faults,
    ("GET", "requests"): _requests,
    ("GET", "throttle"): _throttle,
    ("POST", "throttle"): _set_throttle,
    ("PUT", "throttle"): _set_throttle,
    ("POST", "reset"): _reset,
    ("GET", "demo"): _demo,
}


def _match(pattern: str, parts: list[str]) -> tuple[str, ...] | None:
    """The segments ``*`` matched if ``parts`` fit ``pattern``, else None."""
    words = pattern.split("/")
    if len(words) != len(parts):
        return None
    args = []
    for word, part in zip(words, parts, strict=True):
        if word == "*":
            args.append(part)
        elif word != part:
            return None
    return tuple(args)


def handle(
    sandbox: SandboxApi, method: str, path: str, query_string: str, body: bytes
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
    sandbox: SandboxApi,
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: bytes,
) -> ControlAnswer:
    parts = [p for p in path[len(PREFIX) :].split("/") if p]
    if not parts:  # any method: the list of endpoints
        return _ok({"endpoints": ENDPOINTS})
    for (route_method, pattern), endpoint in ROUTES.items():
        args = _match(pattern, parts) if route_method == method else None
        if args is not None:
            return endpoint(sandbox, ControlRequest(args, query, body))
    return _error(404, f"no control endpoint {method} {path}; see GET {PREFIX}/")
