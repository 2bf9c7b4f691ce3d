"""The sandbox's ledger in SQLite: transactions, status history, IPNs and their deliveries.

One connection guarded by a lock, and every write inside ``BEGIN IMMEDIATE``: a Cancel racing a
Settle on one transaction is decided by whichever takes the write lock first, and the loser sees
the winner's state. A file survives a restart; ``:memory:`` is for tests.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

SCHEMA = [
    """
    CREATE TABLE IF NOT EXISTS transactions (
        n INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        caller_reference TEXT NOT NULL UNIQUE,
        caller_description TEXT,
        sender_description TEXT,
        date_received INTEGER NOT NULL,
        date_completed INTEGER,
        amount TEXT NOT NULL,
        currency TEXT NOT NULL DEFAULT 'USD',
        fps_fees TEXT NOT NULL,
        marketplace_fees TEXT,
        fees_paid_by TEXT NOT NULL,
        sender_token_id TEXT,
        recipient_token_id TEXT,
        operation TEXT NOT NULL,
        payment_method TEXT NOT NULL,
        status TEXT NOT NULL,
        status_code TEXT,
        status_message TEXT,
        sender_name TEXT,
        sender_email TEXT,
        caller_name TEXT NOT NULL,
        recipient_name TEXT,
        recipient_email TEXT,
        parent_id TEXT,
        cancel_description TEXT,
        refunded TEXT NOT NULL DEFAULT '0',
        version INTEGER NOT NULL DEFAULT 0,
        advance_at INTEGER,
        advance_status TEXT,
        advance_code TEXT,
        expires_at INTEGER,
        override_ipn_url TEXT
    )
    """,
    "CREATE INDEX IF NOT EXISTS transactions_received ON transactions(date_received)",
    "CREATE INDEX IF NOT EXISTS transactions_parent ON transactions(parent_id)",
    """
    CREATE TABLE IF NOT EXISTS history (
        n INTEGER PRIMARY KEY,
        txn_id TEXT NOT NULL,
        date INTEGER NOT NULL,
        status TEXT NOT NULL,
        status_code TEXT,
        amount TEXT
    )
    """,
    "CREATE INDEX IF NOT EXISTS history_txn ON history(txn_id, n)",
    """
    CREATE TABLE IF NOT EXISTS notifications (
        n INTEGER PRIMARY KEY,
        txn_id TEXT NOT NULL,
        created INTEGER NOT NULL,
        params TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS notifications_txn ON notifications(txn_id, n)",
    """
    CREATE TABLE IF NOT EXISTS deliveries (
        n INTEGER PRIMARY KEY,
        notification INTEGER NOT NULL,
        txn_id TEXT NOT NULL,
        url TEXT NOT NULL,
        params TEXT NOT NULL,
        state TEXT NOT NULL,
        created INTEGER NOT NULL,
        deadline INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS attempts (
        n INTEGER PRIMARY KEY,
        delivery INTEGER NOT NULL,
        at INTEGER NOT NULL,
        http_status INTEGER,
        error TEXT,
        ok INTEGER NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts(delivery, n)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
]

# Columns added after the first release of the schema, added to older files on open.
ADDED_COLUMNS = [("expires_at", "INTEGER"), ("override_ipn_url", "TEXT")]
APPLICATION_ID = 0x46505353  # "FPSS": marks a file as an fpsdesk sandbox database
DELIVERY_PENDING = "pending"
DELIVERY_DELIVERED = "delivered"
DELIVERY_FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Txn:
    """One row of ``transactions``; amounts as Decimal, instants as epoch milliseconds."""

    id: str
    caller_reference: str
    caller_description: str | None
    sender_description: str | None
    date_received: int
    date_completed: int | None
    amount: Decimal
    currency: str
    fps_fees: Decimal
    marketplace_fees: Decimal | None
    fees_paid_by: str
    sender_token_id: str | None
    recipient_token_id: str | None
    operation: str
    payment_method: str
    status: str
    status_code: str | None
    status_message: str | None
    sender_name: str | None
    sender_email: str | None
    caller_name: str
    recipient_name: str | None
    recipient_email: str | None
    parent_id: str | None
    cancel_description: str | None
    refunded: Decimal
    version: int
    advance_at: int | None
    advance_status: str | None
    advance_code: str | None
    expires_at: int | None
    override_ipn_url: str | None  # 2010-08-28 OverrideIPNURL: this transaction's IPNs go here

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Txn:
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = row[f.name]
            if f.name in ("amount", "fps_fees", "refunded") or (
                f.name == "marketplace_fees" and value is not None
            ):
                value = Decimal(value)
            values[f.name] = value
        return cls(**values)


TXN_COLUMNS = [f.name for f in fields(Txn)]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    date: int
    status: str
    status_code: str | None
    amount: Decimal | None


def rows_by_txn(conn: sqlite3.Connection, select: str, txn_id: str | None) -> list[sqlite3.Row]:
    """``select`` (``SELECT ... FROM <table with txn_id and n>``) for one transaction, or
    for all when ``txn_id`` is None, oldest first."""
    if txn_id is None:
        return conn.execute(f"{select} ORDER BY n").fetchall()
    return conn.execute(f"{select} WHERE txn_id = ? ORDER BY n", (txn_id,)).fetchall()


class Store:
    """The SQLite file (or memory) behind one sandbox; thread-safe through one lock."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = None if path is None or str(path) == ":memory:" else Path(path)
        target = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.generation = 0  # counts committed writes
        self._conn = sqlite3.connect(
            target, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self._conn.row_factory = sqlite3.Row
        try:
            self._claim()
            if self.path is not None:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            with self.write() as conn:
                for statement in SCHEMA:
                    conn.execute(statement)
                columns = {r["name"] for r in conn.execute("PRAGMA table_info(transactions)")}
                for name, kind in ADDED_COLUMNS:
                    if name not in columns:  # a file from an earlier build of the sandbox
                        conn.execute(f"ALTER TABLE transactions ADD COLUMN {name} {kind}")
        except BaseException:
            self._conn.close()
            raise

    def _claim(self) -> None:
        """Mark a new file as ours; refuse a database that belongs to another program."""
        app_id = int(self._conn.execute("PRAGMA application_id").fetchone()[0])
        if app_id == APPLICATION_ID:
            return
        tables = self._conn.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
        ).fetchone()[0]
        if tables:
            raise sqlite3.DatabaseError(
                "it is an SQLite database of another program (not an fpsdesk sandbox file); "
                "it was left untouched"
            )
        self._conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: the lock, then ``BEGIN IMMEDIATE``, commit or roll back."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            self.generation += 1  # readers that cache derived data (balances) start over

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    # -- reads usable inside or outside a write ------------------------------------------

    @staticmethod
    def get_txn(conn: sqlite3.Connection, txn_id: str) -> Txn | None:
        row = conn.execute("SELECT * FROM transactions WHERE id = ?", (txn_id,)).fetchone()
        return None if row is None else Txn.from_row(row)

    @staticmethod
    def history(conn: sqlite3.Connection, txn_id: str) -> list[HistoryEntry]:
        rows = conn.execute(
            "SELECT date, status, status_code, amount FROM history WHERE txn_id = ? ORDER BY n",
            (txn_id,),
        ).fetchall()
        return [
            HistoryEntry(
                r["date"],
                r["status"],
                r["status_code"],
                None if r["amount"] is None else Decimal(r["amount"]),
            )
            for r in rows
        ]

    @staticmethod
    def children(conn: sqlite3.Connection, txn_id: str) -> list[Txn]:
        rows = conn.execute(
            "SELECT * FROM transactions WHERE parent_id = ? ORDER BY n", (txn_id,)
        ).fetchall()
        return [Txn.from_row(r) for r in rows]

    @staticmethod
    def all_txns(conn: sqlite3.Connection) -> list[Txn]:
        rows = conn.execute("SELECT * FROM transactions ORDER BY date_received, n").fetchall()
        return [Txn.from_row(r) for r in rows]

    @staticmethod
    def caller_reference_used(conn: sqlite3.Connection, reference: str) -> bool:
        row = conn.execute(
            "SELECT 1 FROM transactions WHERE caller_reference = ?", (reference,)
        ).fetchone()
        return row is not None

    # -- writes (call inside ``write()``) --------------------------------------------------

    @staticmethod
    def insert_txn(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
        row = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        conn.execute(f"INSERT INTO transactions ({names}) VALUES ({marks})", list(row.values()))

    @staticmethod
    def update_txn(conn: sqlite3.Connection, txn_id: str, values: dict[str, Any]) -> None:
        row = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}
        assignments = ", ".join(f"{k} = ?" for k in row)
        conn.execute(f"UPDATE transactions SET {assignments} WHERE id = ?", [*row.values(), txn_id])

    @staticmethod
    def add_history(
        conn: sqlite3.Connection,
        txn_id: str,
        date: int,
        status: str,
        status_code: str | None,
        amount: Decimal | None,
    ) -> None:
        conn.execute(
            "INSERT INTO history (txn_id, date, status, status_code, amount) "
            "VALUES (?, ?, ?, ?, ?)",
            (txn_id, date, status, status_code, None if amount is None else str(amount)),
        )

    @staticmethod
    def add_notification(
        conn: sqlite3.Connection, txn_id: str, created: int, params: dict[str, str]
    ) -> int:
        cursor = conn.execute(
            "INSERT INTO notifications (txn_id, created, params) VALUES (?, ?, ?)",
            (txn_id, created, json.dumps(params)),
        )
        return int(cursor.lastrowid or 0)

    @staticmethod
    def add_delivery(
        conn: sqlite3.Connection,
        notification: int,
        txn_id: str,
        url: str,
        params: dict[str, str],
        created: int,
        deadline: int,
    ) -> int:
        cursor = conn.execute(
            "INSERT INTO deliveries (notification, txn_id, url, params, state, created, deadline)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (notification, txn_id, url, json.dumps(params), DELIVERY_PENDING, created, deadline),
        )
        return int(cursor.lastrowid or 0)

    def get_meta(self, key: str) -> str | None:
        with self.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    @staticmethod
    def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def wipe(self) -> None:
        """Forget every transaction, IPN and setting (the reset control)."""
        with self.write() as conn:
            for table in (
                "transactions",
                "history",
                "notifications",
                "deliveries",
                "attempts",
                "meta",
            ):
                conn.execute(f"DELETE FROM {table}")
