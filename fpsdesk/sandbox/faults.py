"""Injected faults: the failures a real network and a real FPS produce, on demand.

Kinds, and whether the request is processed (so whether a state change happens):

========================  =========================================  ==========
kind                      answer                                     processed
========================  =========================================  ==========
``delay``                 the normal answer after ``delay_ms``       yes
``internal_error``        500 InternalError                          no
``throttled``             503 RequestThrottled                       no
``unavailable``           503 ServiceUnavailable                     no
``drop_after``            connection closed with no answer           yes
``malformed_xml``         200 text/xml cut off in the middle         yes
``html``                  an HTML proxy error page (502 by default)  no
========================  =========================================  ==========

``delay_ms`` also applies before any other kind. A fault matches by action and/or transaction
ID (TransactionId or ReserveTransactionId); ``times`` is how many requests it hits (None: until
cleared).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = (
    "delay",
    "internal_error",
    "throttled",
    "unavailable",
    "drop_after",
    "malformed_xml",
    "html",
)
PROCESSED_KINDS = frozenset({"delay", "drop_after", "malformed_xml"})

HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an "
    "upstream server.</p><hr><address>corporate-proxy/2.4</address></body></html>\n"
)


@dataclass
class Fault:
    id: int
    kind: str
    action: str | None = None
    transaction_id: str | None = None
    delay_ms: int = 0
    times: int | None = 1
    http_status: int | None = None
    hits: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultTable:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(
        self,
        kind: str,
        *,
        action: str | None = None,
        transaction_id: str | None = None,
        delay_ms: int = 0,
        times: int | None = 1,
        http_status: int | None = None,
    ) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if delay_ms < 0:
            raise ValueError("delay_ms cannot be negative")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or null for until cleared)")
        if http_status is not None and not 100 <= http_status <= 599:
            raise ValueError("http_status must be an HTTP status code")
        fault = Fault(next(self._ids), kind, action, transaction_id, delay_ms, times, http_status)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, action: str | None, transaction_id: str | None) -> Fault | None:
        """The first matching fault, counted as one hit (and dropped when used up)."""
        with self._lock:
            for fault in self._faults:
                if fault.action is not None and fault.action != action:
                    continue
                if fault.transaction_id is not None and fault.transaction_id != transaction_id:
                    continue
                fault.hits += 1
                if fault.times is not None and fault.hits >= fault.times:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._faults]
