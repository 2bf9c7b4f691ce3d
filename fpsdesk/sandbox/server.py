"""The sandbox's in-process handle: ``SandboxServer(...).start()``, talk to ``.url``, ``stop()``.

Tests, the app's embedded mode and ``fpsdesk sandbox`` all start it. It binds loopback by
default; stopping closes kept-alive connections and joins every thread it started. The Python
test controls here mirror the ``/_sandbox/`` JSON API one to one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from fpsdesk.sandbox.engine import Engine
from fpsdesk.sandbox.faults import FaultTable
from fpsdesk.sandbox.handler import HttpServer, HttpServer6
from fpsdesk.sandbox.ipn import IpnSender, RetryPolicy
from fpsdesk.sandbox.pki import SigningIdentity, identity_for
from fpsdesk.sandbox.state import Store, rows_by_txn
from fpsdesk.sandbox.throttle import Throttle
from fpsdesk.sandbox.timefmt import format_ms
from fpsdesk.sandbox.views import txn_to_dict

log = logging.getLogger(__name__)

DEFAULT_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
DEFAULT_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


class SandboxServer:
    """An FPS 2008-09-17 sandbox: ``start()`` it, talk to ``.url``, ``stop()`` it."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        data_path: Path | str | None = None,
        credentials: dict[str, str] | None = None,
        ipn_urls: Sequence[str] = (),
        demo: bool = False,
        pending_delay: float = 0.0,
        ipn_retry: RetryPolicy | None = None,
        demo_size: int = 0,
        throttle: float | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.data_path = None if data_path in (None, ":memory:") else Path(str(data_path))
        self.credentials = dict(credentials or {DEFAULT_ACCESS_KEY: DEFAULT_SECRET_KEY})
        self.demo = demo
        self.pending_delay = pending_delay
        self.fault_table = FaultTable()
        self.demo_size = demo_size
        self.throttle = Throttle()
        if throttle is not None:
            self.throttle.configure(throttle)
        self._by_transaction: Counter[tuple[str, str]] = Counter()
        self._initial_ipn_urls = list(ipn_urls)
        self._retry = ipn_retry or RetryPolicy()
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._httpd: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._store: Store | None = None
        self._engine: Engine | None = None
        self._ipn: IpnSender | None = None
        self._identity: SigningIdentity | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        store = Store(self.data_path)
        try:
            self._identity = identity_for(self.data_path)
            ipn = IpnSender(store, self._retry)
            engine = Engine(
                store,
                self._identity,
                ipn,
                certificate_url=lambda: self.certificate_url,
                ipn_urls=self._initial_ipn_urls,
                pending_delay=self.pending_delay,
            )
            server_class = HttpServer6 if ":" in self.host else HttpServer
            httpd = server_class((self.host, self.port), self)
        except BaseException:
            store.close()
            raise
        self._store, self._ipn, self._engine, self._httpd = store, ipn, engine, httpd
        self.port = int(httpd.server_address[1])
        ipn.start()
        engine.start()
        if self.demo:
            from fpsdesk.sandbox import demo

            demo.seed(engine)
        if self.demo_size:
            from fpsdesk.sandbox.volume import seed_volume

            seed_volume(engine, self.demo_size)
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fps-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("FPS sandbox listening on %s", self.url)
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        with httpd.connections_lock:
            open_connections = list(httpd.connections)
        for conn in open_connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        httpd.join_request_threads(timeout=5.0)  # their connections are shut down above
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        assert self._engine is not None
        assert self._ipn is not None
        assert self._store is not None
        self._engine.stop()
        self._ipn.stop()
        self._store.close()
        self._engine = self._ipn = self._store = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self._engine

    @property
    def identity(self) -> SigningIdentity:
        if self._identity is None:
            self._identity = identity_for(self.data_path)
        return self._identity

    @property
    def certificate_pem(self) -> str:
        return self.identity.certificate_pem

    @property
    def certificate_url(self) -> str:
        return f"{self.url}certs/{self.identity.issued_yymmdd}/PKICert.pem"

    # -- test and demo controls (the /_sandbox/ API calls these) ------------------------

    def create_transaction(self, **fields: Any) -> str:
        """Create a transaction in any state with any fields; returns its ID.

        Fields: status, status_code, status_message, operation, payment_method, amount,
        currency, caller_reference, caller_description, sender_description, sender_token_id,
        recipient_token_id, fees_paid_by, fps_fees, marketplace_fees, sender_name,
        sender_email, caller_name, recipient_name, recipient_email, parent_id, refunded,
        date_received, date_completed, expires_at, transaction_id, history=[{date, status,
        status_code, amount}], notify (send an IPN for the current state).
        """
        return self.engine.create_transaction(fields)

    def transaction(self, transaction_id: str) -> dict[str, Any]:
        store = self.engine.store
        with store.read() as conn:
            txn = store.get_txn(conn, transaction_id)
            if txn is None:
                raise KeyError(transaction_id)
            return txn_to_dict(txn, store.history(conn, txn.id), store.children(conn, txn.id))

    def transaction_count(self) -> int:
        with self.engine.store.read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM transactions").fetchone()[0])

    def transactions(self) -> list[dict[str, Any]]:
        store = self.engine.store
        with store.read() as conn:
            return [
                txn_to_dict(t, store.history(conn, t.id), store.children(conn, t.id))
                for t in store.all_txns(conn)
            ]

    def set_status(
        self,
        transaction_id: str,
        status: str,
        status_code: str | None = None,
        status_message: str | None = None,
    ) -> dict[str, Any]:
        """Change a transaction's status as FPS would (history entry + IPN)."""
        self.engine.set_status(transaction_id, status, status_code, status_message)
        return self.transaction(transaction_id)

    def inject_fault(
        self,
        action: str | None = None,
        transaction_id: str | None = None,
        kind: str = "internal_error",
        delay_ms: int = 0,
        times: int | None = 1,
        http_status: int | None = None,
    ) -> int:
        """Make the next ``times`` matching FPS requests fail as ``kind`` (see faults.py)."""
        return self.fault_table.add(
            kind,
            action=action,
            transaction_id=transaction_id,
            delay_ms=int(delay_ms),
            times=None if times is None else int(times),
            http_status=None if http_status is None else int(http_status),
        ).id

    def clear_faults(self) -> None:
        self.fault_table.clear()

    def faults(self) -> list[dict[str, Any]]:
        return self.fault_table.list()

    def count_request(self, action: str | None) -> None:
        with self._counts_lock:
            self._counts[action or "(none)"] += 1

    def count_processed(self, action: str | None, transaction_id: str | None) -> None:
        """A request that passed the signature and throttle checks and reaches the engine."""
        if transaction_id:
            with self._counts_lock:
                self._by_transaction[(action or "(none)", transaction_id)] += 1

    def request_counts_by_transaction(self, action: str) -> dict[str, int]:
        """How many ``action`` requests FPS acted on, per transaction (Cancels per transaction:
        a request refused before that, by its signature, throttling or an injected fault that
        is not processed, is not one)."""
        with self._counts_lock:
            return {t: n for (a, t), n in self._by_transaction.items() if a == action}

    def set_throttle(self, rate: float | None, burst: float | None = None) -> dict[str, Any]:
        """Refuse requests above ``rate`` per second per access key (None: no limit)."""
        self.throttle.configure(rate, burst)
        return self.throttle.describe()

    def request_count(self, action: str) -> int:
        with self._counts_lock:
            return self._counts[action]

    def request_counts(self) -> dict[str, int]:
        with self._counts_lock:
            return dict(self._counts)

    @property
    def ipn_urls(self) -> list[str]:
        return self.engine.ipn_urls if self._engine is not None else list(self._initial_ipn_urls)

    def set_ipn_urls(self, urls: Sequence[str]) -> None:
        """Where IPNs for changes from now on go (``replay_ipns`` re-sends older ones)."""
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"an IPN URL must be an absolute http(s) URL, not {url!r}")
        self._initial_ipn_urls = list(urls)
        if self._engine is not None:
            self._engine.set_ipn_urls(urls)

    def ipn_deliveries(self, transaction_id: str | None = None) -> list[dict[str, Any]]:
        """Every delivery (one per notification and URL) with its attempts, oldest first."""
        with self.engine.store.read() as conn:
            rows = rows_by_txn(conn, "SELECT * FROM deliveries", transaction_id)
            out = []
            for row in rows:
                attempts = conn.execute(
                    "SELECT at, http_status, error, ok FROM attempts WHERE delivery = ? ORDER BY n",
                    (row["n"],),
                ).fetchall()
                out.append(
                    {
                        "delivery_id": row["n"],
                        "notification_id": row["notification"],
                        "transaction_id": row["txn_id"],
                        "url": row["url"],
                        "state": row["state"],
                        "created": format_ms(row["created"]),
                        "params": json.loads(row["params"]),
                        "attempts": [
                            {
                                "at": format_ms(a["at"]),
                                "http_status": a["http_status"],
                                "error": a["error"],
                                "ok": bool(a["ok"]),
                            }
                            for a in attempts
                        ],
                    }
                )
        return out

    def notifications(self, transaction_id: str | None = None) -> list[dict[str, Any]]:
        """Every IPN the sandbox produced (unsigned fields), whether or not a URL was set."""
        with self.engine.store.read() as conn:
            rows = rows_by_txn(conn, "SELECT * FROM notifications", transaction_id)
        return [
            {
                "notification_id": r["n"],
                "transaction_id": r["txn_id"],
                "created": format_ms(r["created"]),
                "params": json.loads(r["params"]),
            }
            for r in rows
        ]

    def replay_ipns(self, transaction_id: str | None = None) -> int:
        """Send recorded notifications again to the current IPN URLs; returns how many."""
        return self.engine.replay_ipns(transaction_id)

    def wait_for_ipns(self, timeout: float = 10.0) -> bool:
        """Wait until timed moves due within ``timeout`` and IPN deliveries (retries
        included) are all done; False if they were not in time."""
        return self.engine.wait_idle(timeout) and self.ipn_sender.wait_idle(timeout)

    @property
    def ipn_sender(self) -> IpnSender:
        if self._ipn is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self._ipn

    def reset(self, demo: bool = False) -> None:
        """Forget all transactions, IPNs, faults and request counts (IPN URLs stay)."""
        self.engine.store.wipe()
        self.fault_table.clear()
        with self._counts_lock:
            self._counts.clear()
            self._by_transaction.clear()
        if demo:
            from fpsdesk.sandbox import demo as demo_data

            demo_data.seed(self.engine)
