"""What staff did through fpsdesk: one row per action, written before its request is sent.

A row starts ``pending`` and is finished as ``succeeded``, ``failed`` or ``unknown``; an unknown
one is reconciled later by reading the transaction's status. So a crash mid-cancel leaves a row
that says exactly what may have happened.
"""

from __future__ import annotations

import getpass
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from fpsdesk.store.outcome import ActionOutcome as ActionOutcome  # re-exported


@dataclass(frozen=True, slots=True)
class ActionRecord:
    id: int
    kind: str
    transaction_id: str
    reason: str | None
    operator: str
    environment: str
    endpoint: str
    created_at: datetime
    finished_at: datetime | None
    outcome: ActionOutcome
    status_before: str | None
    status_after: str | None
    request_id: str | None
    error_code: str | None
    error_message: str | None
    reconciled_at: datetime | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _record(row: sqlite3.Row) -> ActionRecord:
    created = _dt(row["created_at"])
    assert created is not None
    return ActionRecord(
        id=row["id"],
        kind=row["kind"],
        transaction_id=row["transaction_id"],
        reason=row["reason"],
        operator=row["operator"],
        environment=row["environment"],
        endpoint=row["endpoint"],
        created_at=created,
        finished_at=_dt(row["finished_at"]),
        outcome=ActionOutcome(row["outcome"]),
        status_before=row["status_before"],
        status_after=row["status_after"],
        request_id=row["request_id"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        reconciled_at=_dt(row["reconciled_at"]),
    )


def current_operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in a stripped container
        return "unknown"


class ActionStore:
    """Thread-safe access to the ``actions`` table of one open database."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def start(
        self,
        kind: str,
        transaction_id: str,
        *,
        environment: str,
        endpoint: str,
        reason: str | None = None,
        status_before: str | None = None,
        operator: str | None = None,
    ) -> int:
        """Record an action about to be sent; durable when this returns."""
        with self._lock, self._conn:
            cur = self._conn.execute(
                "INSERT INTO actions (kind, transaction_id, reason, operator, environment,"
                " endpoint, created_at, outcome, status_before) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    kind,
                    transaction_id,
                    reason,
                    operator or current_operator(),
                    environment,
                    endpoint,
                    _now(),
                    ActionOutcome.PENDING.value,
                    status_before,
                ),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def finish(
        self,
        action_id: int,
        outcome: ActionOutcome,
        *,
        status_after: str | None = None,
        request_id: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "UPDATE actions SET outcome=?, finished_at=?, status_after=?, request_id=?,"
                " error_code=?, error_message=? WHERE id=?",
                (
                    outcome.value,
                    _now(),
                    status_after,
                    request_id,
                    error_code,
                    error_message,
                    action_id,
                ),
            )

    def reconcile(self, action_id: int, outcome: ActionOutcome, status_after: str) -> None:
        """Settle an unknown (or crashed pending) action from a status read."""
        with self._lock, self._conn:
            self._conn.execute(
                "UPDATE actions SET outcome=?, status_after=?, reconciled_at=?,"
                " finished_at=COALESCE(finished_at, ?) WHERE id=?",
                (outcome.value, status_after, _now(), _now(), action_id),
            )

    def get(self, action_id: int) -> ActionRecord | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM actions WHERE id=?", (action_id,)).fetchone()
        return _record(row) if row else None

    def for_transaction(self, transaction_id: str) -> list[ActionRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM actions WHERE transaction_id=? ORDER BY created_at, id",
                (transaction_id,),
            ).fetchall()
        return [_record(r) for r in rows]

    def unresolved(self) -> list[ActionRecord]:
        """Actions whose outcome is not known: ``unknown``, or ``pending`` left by a crash."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM actions WHERE outcome IN (?, ?) ORDER BY created_at, id",
                (ActionOutcome.UNKNOWN.value, ActionOutcome.PENDING.value),
            ).fetchall()
        return [_record(r) for r in rows]

    def recent(
        self,
        *,
        limit: int = 500,
        outcome: ActionOutcome | None = None,
        search: str | None = None,
        kind: str | None = None,
    ) -> list[ActionRecord]:
        """Newest first, optionally filtered by outcome, kind and a transaction-ID substring."""
        clauses: list[str] = []
        args: list[object] = []
        if outcome is not None:
            clauses.append("outcome = ?")
            args.append(outcome.value)
        if kind is not None:
            clauses.append("kind = ?")
            args.append(kind)
        if search:
            clauses.append("transaction_id LIKE ? ESCAPE '\\'")
            escaped = search.strip().upper().replace("\\", "\\\\").replace("%", "\\%")
            args.append("%" + escaped.replace("_", "\\_") + "%")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        args.append(limit)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT * FROM actions {where} ORDER BY created_at DESC, id DESC LIMIT ?", args
            ).fetchall()
        return [_record(r) for r in rows]
