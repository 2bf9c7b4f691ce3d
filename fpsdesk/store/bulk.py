"""Bulk cancel runs in the history: the job and one row per input line.

An item's row moves ``todo`` → ``sending`` (written before its Cancel is started) → ``done``;
the Cancel's own action row (store/actions.py) is linked as soon as it is recorded. After a
crash, a ``sending`` item is never sent blindly again: fpsdesk/desk/bulk.py hands it to the
cancel lifecycle, which finds the earlier attempt and refuses a second Cancel.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fpsdesk.store.db import HistoryConnection, transaction

# Item classes (the dry run's verdicts) and states.
CANCELLABLE = "cancellable"
ALREADY_CANCELLED = "already cancelled"
COMPLETED = "completed"  # refund instead
FAILED = "failed"
UNKNOWN_ID = "unknown ID"
INVALID_LINE = "invalid line"
DUPLICATE = "duplicate"
UNREADABLE = "could not read"
CLASSES = (
    CANCELLABLE,
    ALREADY_CANCELLED,
    COMPLETED,
    FAILED,
    UNKNOWN_ID,
    INVALID_LINE,
    DUPLICATE,
    UNREADABLE,
)

TODO = "todo"
SENDING = "sending"
DONE = "done"
SKIPPED = "skipped"

JOB_DRY_RUN = "dry run"
JOB_RUNNING = "running"
JOB_PAUSED = "paused"
JOB_STOPPED = "stopped"
JOB_DONE = "done"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class BulkItem:
    job_id: int
    seq: int
    line_no: int | None
    line: str | None
    transaction_id: str | None
    klass: str
    status: str | None
    amount: str | None
    currency: str | None
    state: str
    action_id: int | None = None
    outcome: str | None = None
    status_after: str | None = None
    request_id: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class BulkJob:
    id: int
    created_at: datetime
    environment: str
    endpoint: str
    operator: str
    source: str
    reason: str | None
    state: str
    reason_code: str | None = None


def _item(row: Any) -> BulkItem:
    return BulkItem(
        job_id=row["job_id"],
        seq=row["seq"],
        line_no=row["line_no"],
        line=row["line"],
        transaction_id=row["transaction_id"],
        klass=row["class"],
        status=row["status"],
        amount=row["amount"],
        currency=row["currency"],
        state=row["state"],
        action_id=row["action_id"],
        outcome=row["outcome"],
        status_after=row["status_after"],
        request_id=row["request_id"],
        message=row["message"],
    )


def _job(row: Any) -> BulkJob:
    return BulkJob(
        id=row["id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        environment=row["environment"],
        endpoint=row["endpoint"],
        operator=row["operator"],
        source=row["source"],
        reason=row["reason"],
        state=row["state"],
        reason_code=row["reason_code"],
    )


class BulkStore:
    """Thread-safe access to the bulk tables of one open history database."""

    def __init__(self, conn: HistoryConnection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def create(
        self,
        *,
        environment: str,
        endpoint: str,
        operator: str,
        source: str,
        reason: str | None,
        items: Iterable[BulkItem],
        reason_code: str | None = None,
    ) -> int:
        """The dry run's verdicts, as one job, in one transaction."""
        now = _now()
        with transaction(self._conn, self._lock):
            cur = self._conn.execute(
                "INSERT INTO bulk_jobs (created_at, environment, endpoint, operator, source,"
                " reason, state, updated_at, reason_code) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
                (
                    now,
                    environment,
                    endpoint,
                    operator,
                    source,
                    reason,
                    JOB_DRY_RUN,
                    now,
                    reason_code,
                ),
            )
            job_id = int(cur.fetchone()[0])
            self._conn.executemany(
                "INSERT INTO bulk_items (job_id, seq, line_no, line, transaction_id, class,"
                " status, amount, currency, state, message, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        job_id,
                        i.seq,
                        i.line_no,
                        i.line,
                        i.transaction_id,
                        i.klass,
                        i.status,
                        i.amount,
                        i.currency,
                        i.state,
                        i.message,
                        now,
                    )
                    for i in items
                ],
            )
        return job_id

    def job(self, job_id: int) -> BulkJob | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM bulk_jobs WHERE id=?", (job_id,)).fetchone()
        return _job(row) if row else None

    def jobs(self, *, unfinished: bool = False, limit: int = 50) -> list[BulkJob]:
        where = "WHERE state IN (?, ?, ?)" if unfinished else ""
        args: list[object] = [JOB_RUNNING, JOB_PAUSED, JOB_STOPPED] if unfinished else []
        with self._lock:
            rows = self._conn.execute(
                f"SELECT * FROM bulk_jobs {where} ORDER BY id DESC LIMIT ?", [*args, limit]
            ).fetchall()
        return [_job(r) for r in rows]

    def items(self, job_id: int) -> list[BulkItem]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM bulk_items WHERE job_id=? ORDER BY seq", (job_id,)
            ).fetchall()
        return [_item(r) for r in rows]

    def pending(self, job_id: int, klass: str, *, after_seq: int, limit: int) -> list[BulkItem]:
        """The next ``limit`` items of ``klass`` not yet done, after ``after_seq``: a run walks
        its job a page at a time instead of holding (and building at once) every item."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM bulk_items WHERE job_id=? AND seq>? AND class=? AND state<>? "
                "ORDER BY seq LIMIT ?",
                (job_id, after_seq, klass, DONE, limit),
            ).fetchall()
        return [_item(r) for r in rows]

    def tally(self, job_id: int, klass: str) -> list[tuple[str, str | None, int]]:
        """(state, outcome, count) of the job's items of ``klass``: where a run stands."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT state, outcome, COUNT(*) FROM bulk_items WHERE job_id=? AND class=? "
                "GROUP BY state, outcome",
                (job_id, klass),
            ).fetchall()
        return [(str(r[0]), r[1], int(r[2])) for r in rows]

    def set_job_state(self, job_id: int, state: str) -> None:
        with transaction(self._conn, self._lock):
            self._conn.execute(
                "UPDATE bulk_jobs SET state=?, updated_at=? WHERE id=?", (state, _now(), job_id)
            )

    def set_reason(self, job_id: int, reason: str | None, reason_code: str | None = None) -> None:
        """The reason (code and comment) sent with each Cancel, when it is given at the
        confirmation (the app asks for it after the dry run); the run reads it from the job."""
        with transaction(self._conn, self._lock):
            self._conn.execute(
                "UPDATE bulk_jobs SET reason=?, reason_code=?, updated_at=? WHERE id=?",
                (reason, reason_code, _now(), job_id),
            )

    def mark(self, job_id: int, seq: int, state: str, **fields: object) -> None:
        """Move an item on; durable when this returns (``sending`` is written before a send)."""
        allowed = {"action_id", "outcome", "status_after", "request_id", "message", "status"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not an item field: {sorted(unknown)}")
        columns = ["state", *fields, "updated_at"]
        values = [state, *fields.values(), _now(), job_id, seq]
        with transaction(self._conn, self._lock):
            self._conn.execute(
                f"UPDATE bulk_items SET {', '.join(f'{c}=?' for c in columns)} "
                "WHERE job_id=? AND seq=?",
                values,
            )
