"""The sandbox's state machine (spec §4): every status change in one place, each with its
StatusHistory entry and its IPN.

Choices where the spec says [GUESS]:
- Cancel works on a Pay or Reserve that is Pending or Reserved; anything else (a final state, a
  settlement or refund still in progress) is InvalidTransactionState.
- Settle completes the Reserve in place: same TransactionId, FPSOperation becomes Settle,
  status Pending → Success. Refund creates a new transaction linked by RelatedTransaction
  (Refund on the original, Parent on the refund); without RefundAmount it refunds what is left.
- Credit-card and ACH payments, settlements and refunds are Pending first and move on after
  ``pending_delay`` seconds; with 0 they move on at once, still as a separate change with its own
  history entry and IPN. ABT payments and reserves complete at once.
- A Reserve with TransactionTimeoutInMins that is still Reserved when the time is up becomes
  Cancelled / Expired.
- A request with OverrideIPNURL (2010-08-28) sends that transaction's IPNs, from that change
  on, to that URL instead of the account's IPN URLs; a Refund's goes with the new refund.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fpsdesk.sandbox import handmade, rules
from fpsdesk.sandbox.errors import SandboxError
from fpsdesk.sandbox.ids import new_transaction_id
from fpsdesk.sandbox.ipn import IpnSender, notification_params, sign_notification
from fpsdesk.sandbox.pki import SigningIdentity
from fpsdesk.sandbox.scheduler import TimerQueue
from fpsdesk.sandbox.state import Store, Txn, rows_by_txn
from fpsdesk.sandbox.timefmt import now_ms


def not_found(txn_id: str) -> SandboxError:
    return SandboxError(
        "InvalidTransactionId",
        f"Transaction {txn_id} does not exist, or was not executed by this caller.",
    )


@dataclass
class _Batch:
    """What one write changed: IPN deliveries and timed advances to start after commit."""

    conn: sqlite3.Connection
    deliveries: list[int] = field(default_factory=list)
    advances: list[tuple[int, str, int]] = field(default_factory=list)  # (at_ms, id, version)


class Engine:
    def __init__(
        self,
        store: Store,
        identity: SigningIdentity,
        ipn: IpnSender,
        *,
        certificate_url: Callable[[], str],
        ipn_urls: Sequence[str] = (),
        pending_delay: float = 0.0,
    ) -> None:
        self.store = store
        self.identity = identity
        self.ipn = ipn
        self.pending_delay = pending_delay
        self._certificate_url = certificate_url
        self._ipn_urls = list(ipn_urls)
        self._urls_lock = threading.Lock()
        self._timers = TimerQueue("fps-sandbox-timers")
        self._last_received = 0
        self._clock_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._timers.start()
        with self.store.read() as conn:
            row = conn.execute("SELECT MAX(date_received) AS m FROM transactions").fetchone()
            self._last_received = int(row["m"] or 0)
            waiting = conn.execute(
                "SELECT id, version, advance_at FROM transactions WHERE advance_at IS NOT NULL"
            ).fetchall()
        for r in waiting:
            self._schedule_advance(int(r["advance_at"]), str(r["id"]), int(r["version"]))

    def stop(self) -> None:
        self._timers.stop()

    def wait_idle(self, timeout: float) -> bool:
        return self._timers.wait_idle(timeout)

    @property
    def ipn_urls(self) -> list[str]:
        with self._urls_lock:
            return list(self._ipn_urls)

    def set_ipn_urls(self, urls: Sequence[str]) -> None:
        with self._urls_lock:
            self._ipn_urls = list(urls)

    def received_ms(self) -> int:
        """Strictly increasing receive times, so activity paging by date never splits a tie."""
        with self._clock_lock:
            self._last_received = max(now_ms(), self._last_received + 1)
            return self._last_received

    # -- the write unit ------------------------------------------------------------------

    @contextmanager
    def change(self) -> Iterator[_Batch]:
        with self.store.write() as conn:
            batch = _Batch(conn)
            yield batch
        self.ipn.enqueue(batch.deliveries)
        for at, txn_id, version in batch.advances:
            self._schedule_advance(at, txn_id, version)

    def _schedule_advance(self, at_ms: int, txn_id: str, version: int) -> None:
        delay = max(0.0, (at_ms - now_ms()) / 1000)
        self._timers.call_at(time.monotonic() + delay, lambda: self.advance(txn_id, version))

    def _notify(self, batch: _Batch, txn: Txn, at: int) -> None:
        params = notification_params(txn, at)
        notification = self.store.add_notification(batch.conn, txn.id, at, params)
        self._deliver(batch, notification, txn.id, params, at, self._ipn_urls_for(txn))

    def _ipn_urls_for(self, txn: Txn | None) -> list[str]:
        """Where a transaction's IPNs go: its OverrideIPNURL, else the account's URLs."""
        if txn is not None and txn.override_ipn_url:
            return [txn.override_ipn_url]
        return self.ipn_urls

    def _deliver(
        self,
        batch: _Batch,
        notification: int,
        txn_id: str,
        params: dict[str, str],
        at: int,
        urls: list[str],
    ) -> None:
        deadline = now_ms() + int(self.ipn.policy.give_up_after * 1000)
        for url in urls:
            signed = sign_notification(self.identity, url, params, self._certificate_url())
            batch.deliveries.append(
                self.store.add_delivery(batch.conn, notification, txn_id, url, signed, at, deadline)
            )

    def insert(self, batch: _Batch, values: dict[str, Any], *, notify: bool = True) -> Txn:
        """Insert a transaction in its first status, with its history entry and IPN."""
        self.store.insert_txn(batch.conn, values)
        self.store.add_history(
            batch.conn,
            values["id"],
            values["date_received"],
            values["status"],
            values.get("status_code"),
            values["amount"],
        )
        txn = self.store.get_txn(batch.conn, values["id"])
        assert txn is not None
        if txn.status == "Reserved" and txn.expires_at is not None:
            self.store.update_txn(
                batch.conn,
                txn.id,
                {
                    "advance_at": txn.expires_at,
                    "advance_status": "Cancelled",
                    "advance_code": "Expired",
                },
            )
            batch.advances.append((txn.expires_at, txn.id, txn.version))
            txn = self.store.get_txn(batch.conn, txn.id)
            assert txn is not None
        if notify:
            self._notify(batch, txn, values["date_received"])
        return txn

    def change_status(
        self,
        batch: _Batch,
        txn: Txn,
        status: str,
        code: str | None,
        *,
        message: str | None = None,
        extra: dict[str, Any] | None = None,
        at: int | None = None,
        notify: bool = True,
    ) -> Txn:
        """One status change: the row, a StatusHistory entry, an IPN to every URL."""
        # Never before the transaction was received (receive times are bumped to stay unique).
        when = max(now_ms(), txn.date_received) if at is None else at
        if message is None:
            message = rules.message_for(code)
            if txn.operation == "Refund" and code == "Success":
                message = rules.MESSAGES["Refunded"]
        values: dict[str, Any] = {
            "status": status,
            "status_code": code,
            "status_message": message,
            "version": txn.version + 1,
            "advance_at": None,
            "advance_status": None,
            "advance_code": None,
            "date_completed": when if status in rules.FINAL else None,
        }
        values.update(extra or {})
        if status == "Reserved" and txn.expires_at is not None:
            # An unsettled reserve expires (TransactionTimeoutInMins): Cancelled / Expired.
            values.update(
                advance_at=max(when, txn.expires_at),
                advance_status="Cancelled",
                advance_code="Expired",
            )
            batch.advances.append((values["advance_at"], txn.id, txn.version + 1))
        self.store.update_txn(batch.conn, txn.id, values)
        changed = self.store.get_txn(batch.conn, txn.id)
        assert changed is not None
        self.store.add_history(batch.conn, txn.id, when, status, code, changed.amount)
        if (
            txn.operation == "Refund"
            and txn.parent_id
            and status in ("Failure", "Cancelled")
            and txn.status not in ("Failure", "Cancelled")
        ):
            parent = self.store.get_txn(batch.conn, txn.parent_id)
            if parent is not None:
                self.store.update_txn(
                    batch.conn,
                    parent.id,
                    {"refunded": max(Decimal(0), parent.refunded - txn.amount)},
                )
        if notify:
            self._notify(batch, changed, when)
        return changed

    def move_on(self, batch: _Batch, txn: Txn, status: str, code: str) -> Txn:
        """Leave Pending now (delay 0) or schedule it for ``pending_delay`` seconds later."""
        if self.pending_delay <= 0:
            return self.change_status(batch, txn, status, code)
        at = now_ms() + int(self.pending_delay * 1000)
        self.store.update_txn(
            batch.conn,
            txn.id,
            {"advance_at": at, "advance_status": status, "advance_code": code},
        )
        batch.advances.append((at, txn.id, txn.version))
        changed = self.store.get_txn(batch.conn, txn.id)
        assert changed is not None
        return changed

    def advance(self, txn_id: str, version: int) -> None:
        """A timed move (Pending → Success…) unless something changed the transaction since."""
        with self.change() as batch:
            txn = self.store.get_txn(batch.conn, txn_id)
            if txn is None or txn.version != version or txn.advance_status is None:
                return
            self.change_status(batch, txn, txn.advance_status, txn.advance_code)

    # -- API actions -------------------------------------------------------------------------

    def get(self, txn_id: str) -> Txn:
        with self.store.read() as conn:
            txn = self.store.get_txn(conn, txn_id)
        if txn is None:
            raise not_found(txn_id)
        return txn

    # -- controls ------------------------------------------------------------------------------

    def create_transaction(self, spec: dict[str, Any]) -> str:
        """A transaction in any state with any fields (the ``/_sandbox/`` create control).

        Unknown field names and bad values raise ValueError with a plain message. No IPN is
        sent unless ``notify`` is true (then one for the current state).
        """
        made = handmade.prepare(spec, self.received_ms)
        values, txn_id = made.values, made.transaction_id
        with self.change() as batch:
            if txn_id:
                if self.store.get_txn(batch.conn, txn_id) is not None:
                    raise ValueError(f"transaction {txn_id} already exists")
            else:
                txn_id = new_transaction_id()
            if self.store.caller_reference_used(batch.conn, str(values["caller_reference"])):
                raise ValueError(f"caller_reference {values['caller_reference']} is in use")
            values["id"] = txn_id
            self.store.insert_txn(batch.conn, values)
            for date, h_status, h_code, h_amount in made.history:
                self.store.add_history(batch.conn, txn_id, date, h_status, h_code, h_amount)
            if values["status"] == "Reserved" and values.get("expires_at") is not None:
                self.store.update_txn(
                    batch.conn,
                    txn_id,
                    {
                        "advance_at": values["expires_at"],
                        "advance_status": "Cancelled",
                        "advance_code": "Expired",
                    },
                )
                batch.advances.append((values["expires_at"], txn_id, 0))
            if made.notify:
                txn = self.store.get_txn(batch.conn, txn_id)
                assert txn is not None
                self._notify(
                    batch, txn, made.history[-1][0] if made.history else values["date_received"]
                )
        return txn_id

    def set_status(
        self,
        txn_id: str,
        status: str,
        status_code: str | None = None,
        status_message: str | None = None,
    ) -> Txn:
        """Force a status change (with history entry and IPN), e.g. to make an IPN happen."""
        if status not in rules.STATUSES:
            raise ValueError(f"status must be one of {', '.join(rules.STATUSES)}, not {status!r}")
        with self.change() as batch:
            txn = self.store.get_txn(batch.conn, txn_id)
            if txn is None:
                raise KeyError(txn_id)
            return self.change_status(
                batch,
                txn,
                status,
                status_code or rules.DEFAULT_CODES[status],
                message=status_message,
            )

    def record_change(self, batch: _Batch, txn: Txn, status: str, code: str | None, at: int) -> Txn:
        """Used by the demo seed: a historic change at a given instant, with its IPN."""
        return self.change_status(batch, txn, status, code, at=at)

    def replay_ipns(self, txn_id: str | None = None) -> int:
        """Send every recorded notification (of one transaction, or all) to the current URLs."""
        with self.change() as batch:
            rows = rows_by_txn(
                batch.conn, "SELECT n, txn_id, created, params FROM notifications", txn_id
            )
            for row in rows:
                txn_id = str(row["txn_id"])
                self._deliver(
                    batch,
                    int(row["n"]),
                    txn_id,
                    json.loads(row["params"]),
                    int(row["created"]),
                    self._ipn_urls_for(self.store.get_txn(batch.conn, txn_id)),
                )
            return len(rows)
