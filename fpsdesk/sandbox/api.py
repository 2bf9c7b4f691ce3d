"""What the HTTP side (handler.py) and the JSON controls (controls.py) use of a running sandbox.

``SandboxServer`` (server.py) is the one implementation. Naming the interface here instead of
importing the server keeps the imports one way: server.py → handler.py → controls.py → api.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from fpsdesk.sandbox.engine import Engine
from fpsdesk.sandbox.faults import FaultTable
from fpsdesk.sandbox.pki import SigningIdentity
from fpsdesk.sandbox.throttle import Throttle


class SandboxApi(Protocol):
    credentials: dict[str, str]
    fault_table: FaultTable
    throttle: Throttle

    @property
    def engine(self) -> Engine: ...

    @property
    def identity(self) -> SigningIdentity: ...

    @property
    def certificate_pem(self) -> str: ...

    @property
    def ipn_urls(self) -> list[str]: ...

    def count_request(self, action: str | None) -> None: ...

    def count_processed(self, action: str | None, transaction_id: str | None) -> None: ...

    def create_transaction(self, **fields: Any) -> str: ...

    def transaction(self, transaction_id: str) -> dict[str, Any]: ...

    def transactions(self) -> list[dict[str, Any]]: ...

    def set_status(
        self,
        transaction_id: str,
        status: str,
        status_code: str | None = None,
        status_message: str | None = None,
    ) -> dict[str, Any]: ...

    def inject_fault(
        self,
        action: str | None = None,
        transaction_id: str | None = None,
        kind: str = "internal_error",
        delay_ms: int = 0,
        times: int | None = 1,
        http_status: int | None = None,
    ) -> int: ...

    def clear_faults(self) -> None: ...

    def faults(self) -> list[dict[str, Any]]: ...

    def request_counts(self) -> dict[str, int]: ...

    def request_counts_by_transaction(self, action: str) -> dict[str, int]: ...

    def set_throttle(self, rate: float | None, burst: float | None = None) -> dict[str, Any]: ...

    def set_ipn_urls(self, urls: Sequence[str]) -> None: ...

    def ipn_deliveries(self, transaction_id: str | None = None) -> list[dict[str, Any]]: ...

    def notifications(self, transaction_id: str | None = None) -> list[dict[str, Any]]: ...

    def replay_ipns(self, transaction_id: str | None = None) -> int: ...

    def reset(self, demo: bool = False) -> None: ...
