"""What staff did through fpsdesk: one row per action, written before its request is sent.

A row starts ``pending`` and is finished as ``succeeded``, ``failed`` or ``unknown``; an unknown
one is settled later (fpsdesk/desk/settle.py decides how). Every change of outcome is also
appended to ``action_events``, never overwritten there, so a later truth that corrects an
earlier one leaves both visible. A row names the process that owns it while its answer is
awaited (host, pid, start time) and a lease: settling never touches a row whose owner may still
be waiting for FPS's answer.

The store records what it is told; the rules (when a Cancel may be sent, what a status read
proves) live in fpsdesk/desk.
"""

from __future__ import annotations

import getpass
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpsdesk.store.action_record import ActionRecord as ActionRecord  # re-exported
from fpsdesk.store.action_record import action_record, parse_time
from fpsdesk.store.db import HistoryConnection, database_errors, is_unique_violation, transaction
from fpsdesk.store.outcome import ActionOutcome as ActionOutcome  # re-exported

if TYPE_CHECKING:
    from fpsdesk.store.report import ActionReport, ReportCache


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """One change of an action's outcome: when, to what, proved by what, recorded by whom."""

    id: int
    action_id: int
    at: datetime
    outcome: ActionOutcome
    status: str | None
    source: str  # recorded | answer | read | ipn | owner-gone | expired | migrated
    detail: str | None
    recorded_by: str


@dataclass(frozen=True, slots=True)
class CancelRefusal:
    """An attempt to cancel that sent nothing because another Cancel held or had done it."""

    id: int
    transaction_id: str
    environment: str
    at: datetime
    operator: str  # who tried
    recorded_by: str  # agent@host of the process that tried
    why: str  # "being cancelled" | "already cancelled"
    holder_action_id: int | None  # the Cancel that held the transaction, or cancelled it


@dataclass(frozen=True, slots=True)
class Owner:
    """The process that sends an action and waits for its answer."""

    host: str
    pid: int
    started: str | None  # an identity of the process start (survives pid reuse), if known
    user: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _event(row: Any) -> ActionEvent:
    at = parse_time(row["at"])
    assert at is not None
    return ActionEvent(
        id=row["id"],
        action_id=row["action_id"],
        at=at,
        outcome=ActionOutcome(row["outcome"]),
        status=row["status"],
        source=row["source"],
        detail=row["detail"],
        recorded_by=row["recorded_by"],
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds") if moment else None


class ClaimTaken(Exception):
    """Another sender got there first: ``holder`` is its action (in flight, or just recorded
    after what this sender had seen)."""

    def __init__(self, holder: ActionRecord) -> None:
        super().__init__(f"action #{holder.id} holds the claim of {holder.transaction_id}")
        self.holder = holder


_agent_name: str | None = None  # see set_agent_name


def set_agent_name(name: str | None) -> None:
    """The name this process records as the agent of what it does: the profile's display
    name (fpsdesk/settings.py) when it has one, else (None) the OS user. The host is
    recorded beside it either way (``owner_host``, ``recorded_by``)."""
    global _agent_name
    _agent_name = name.strip() if name and name.strip() else None


def current_operator() -> str:
    """Who is working here: the display name set for this process, else the OS user."""
    if _agent_name:
        return _agent_name
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in a stripped container
        return "unknown"


class ActionStore:
    """Thread-safe access to the ``actions`` table of one open database."""

    def __init__(self, conn: HistoryConnection, recorder: str | None = None) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        # Who writes the events of this store: the agent (see set_agent_name) and host,
        # unless told otherwise; read at each write, so a new display name applies at once.
        self._fixed_recorder = recorder

    @property
    def _recorder(self) -> str:
        return self._fixed_recorder or f"{current_operator()}@{socket.gethostname()}"

    def start(
        self,
        kind: str,
        transaction_id: str,
        *,
        environment: str,
        endpoint: str,
        reason: str | None = None,
        reason_code: str | None = None,
        amount: str | None = None,
        currency: str | None = None,
        status_before: str | None = None,
        operator: str | None = None,
        owner: Owner | None = None,
        lease_until: datetime | None = None,
        decide_after: datetime | None = None,
        claim: bool = False,
        seen_through: int | None = None,
    ) -> int:
        """Record an action about to be sent; durable when this returns (or it raises).

        With ``claim`` the row also takes its transaction's claim (one per transaction and
        environment, a unique index): ``ClaimTaken`` if another action of this kind holds it,
        or if, since ``seen_through`` (the caller's :meth:`mark`, taken before its status
        read), one was recorded or its sender learnt that it happened or may have happened:
        the status the caller read may predate it. Checked and written in one write
        transaction; the index refuses a second claim even if a writer skipped the check.
        """
        who = operator or (owner.user if owner else None) or current_operator()
        now = _now()
        try:
            with transaction(self._conn, self._lock):
                if claim:
                    self._check_claim(kind, transaction_id, environment, seen_through)
                cur = self._conn.execute(
                    "INSERT INTO actions (kind, transaction_id, reason, operator, environment,"
                    " endpoint, created_at, outcome, status_before, owner_host, owner_pid,"
                    " owner_started, lease_until, decide_after, claim, reason_code, amount,"
                    " currency) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                    (
                        kind,
                        transaction_id,
                        reason,
                        who,
                        environment,
                        endpoint,
                        now,
                        ActionOutcome.PENDING.value,
                        status_before,
                        owner.host if owner else None,
                        owner.pid if owner else None,
                        owner.started if owner else None,
                        _iso(lease_until),
                        _iso(decide_after),
                        1 if claim else None,
                        reason_code,
                        amount,
                        currency,
                    ),
                )
                action_id = int(cur.fetchone()[0])
                self._append(action_id, now, ActionOutcome.PENDING, status_before, "recorded", None)
                return action_id
        except database_errors() as exc:
            if not (claim and is_unique_violation(exc)):
                raise
            with self._lock:
                holder = self._claim_holder(kind, transaction_id, environment, None)
            if holder is None:  # released in between: still nothing was recorded
                raise
            raise ClaimTaken(holder) from exc

    def _claim_holder(
        self, kind: str, transaction_id: str, environment: str, seen_through: int | None
    ) -> ActionRecord | None:
        # A sender's own events since the mark: its recording, or an answer that it happened
        # (or may have). Readers' settlements do not count: they change no FPS state.
        newer = (
            "OR EXISTS (SELECT 1 FROM action_events e WHERE e.action_id = a.id AND e.id > ?"
            " AND e.source IN ('recorded', 'answer') AND e.outcome != 'failed')"
            if seen_through is not None
            else ""
        )
        args: list[object] = [kind, transaction_id, environment]
        if seen_through is not None:
            args.append(seen_through)
        row = self._conn.execute(
            "SELECT a.* FROM actions a WHERE a.kind=? AND a.transaction_id=? AND"
            f" a.environment=? AND (a.claim IS NOT NULL {newer})"
            " ORDER BY a.claim IS NULL, a.id DESC LIMIT 1",
            args,
        ).fetchone()
        return action_record(row) if row is not None else None

    def _check_claim(
        self, kind: str, transaction_id: str, environment: str, seen_through: int | None
    ) -> None:
        holder = self._claim_holder(kind, transaction_id, environment, seen_through)
        if holder is not None:
            raise ClaimTaken(holder)

    def mark(self) -> int:
        """A point in the history's sequence of events (0: none yet), for ``seen_through``."""
        with self._lock:
            row = self._conn.execute("SELECT MAX(id) FROM action_events").fetchone()
        return int(row[0] or 0)

    def finish(
        self,
        action_id: int,
        outcome: ActionOutcome,
        *,
        status_after: str | None = None,
        request_id: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        source: str = "answer",
    ) -> None:
        """The sender's own verdict on its request (FPS's answer, or its loss)."""
        now = _now()
        with transaction(self._conn, self._lock):
            self._conn.execute(
                "UPDATE actions SET outcome=?, finished_at=?, status_after=?, request_id=?,"
                " error_code=?, error_message=?, claim=NULL WHERE id=?",
                (
                    outcome.value,
                    now,
                    status_after,
                    request_id,
                    error_code,
                    error_message,
                    action_id,
                ),
            )
            detail = error_message if error_code is None else f"{error_code}: {error_message}"
            self._append(action_id, now, outcome, status_after, source, detail)

    def settle(
        self,
        action_id: int,
        outcome: ActionOutcome,
        status_after: str | None,
        *,
        source: str,
        detail: str | None = None,
    ) -> ActionRecord | None:
        """Record what a later read, IPN or expiry proves; a changed verdict is a correction.

        Returns the updated record (None if there is no such action). A row that was already
        settled the other way keeps the earlier verdict in ``corrected_from`` and in its events.
        """
        now = _now()
        with transaction(self._conn, self._lock):
            row = self._conn.execute("SELECT * FROM actions WHERE id=?", (action_id,)).fetchone()
            if row is None:
                return None
            before = ActionOutcome(row["outcome"])
            corrected = row["corrected_from"]
            if before in (ActionOutcome.SUCCEEDED, ActionOutcome.FAILED) and before != outcome:
                corrected = before.value
            self._conn.execute(
                "UPDATE actions SET outcome=?, status_after=COALESCE(?, status_after),"
                " reconciled_at=?, finished_at=COALESCE(finished_at, ?), corrected_from=?,"
                " claim=NULL WHERE id=?",
                (outcome.value, status_after, now, now, corrected, action_id),
            )
            self._append(action_id, now, outcome, status_after, source, detail)
            updated = self._conn.execute(
                "SELECT * FROM actions WHERE id=?", (action_id,)
            ).fetchone()
        return action_record(updated)

    def reconcile(self, action_id: int, outcome: ActionOutcome, status_after: str) -> None:
        """Settle an unknown (or crashed pending) action from a status read."""
        self.settle(action_id, outcome, status_after, source="read")

    def record_refusal(
        self,
        transaction_id: str,
        environment: str,
        why: str,
        holder_action_id: int | None,
        operator: str | None = None,
    ) -> None:
        """Put on record an attempt that sent nothing because of another Cancel."""
        with transaction(self._conn, self._lock):
            self._conn.execute(
                "INSERT INTO cancel_refusals (transaction_id, environment, at, operator,"
                " recorded_by, why, holder_action_id) VALUES (?,?,?,?,?,?,?)",
                (
                    transaction_id,
                    environment,
                    _now(),
                    operator or current_operator(),
                    self._recorder,
                    why,
                    holder_action_id,
                ),
            )

    def refusals(self, transaction_id: str) -> list[CancelRefusal]:
        """The refused attempts to cancel a transaction, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM cancel_refusals WHERE transaction_id=? ORDER BY id",
                (transaction_id,),
            ).fetchall()
        return [
            CancelRefusal(
                id=row["id"],
                transaction_id=row["transaction_id"],
                environment=row["environment"],
                at=datetime.fromisoformat(row["at"]),
                operator=row["operator"],
                recorded_by=row["recorded_by"],
                why=row["why"],
                holder_action_id=row["holder_action_id"],
            )
            for row in rows
        ]

    def _append(
        self,
        action_id: int,
        at: str,
        outcome: ActionOutcome,
        status: str | None,
        source: str,
        detail: str | None,
    ) -> None:
        self._conn.execute(
            "INSERT INTO action_events (action_id, at, outcome, status, source, detail,"
            " recorded_by) VALUES (?,?,?,?,?,?,?)",
            (action_id, at, outcome.value, status, source, detail, self._recorder),
        )

    def database_file(self) -> Path | None:
        """The history file this log writes to (None for an in-memory database or a shared
        PostgreSQL history), so other threads can open their own connection to it."""
        path = getattr(self._conn, "path", None)
        if path is None:
            return None
        with self._lock:
            found: Path | None = path()
        return found

    def location(self) -> str:
        """Where this log is: a file, or a PostgreSQL URL without its password."""
        with self._lock:
            return self._conn.location()

    def report(self, cache: ReportCache | None = None) -> ActionReport:
        """The dashboard's figures over this log, on its connection and under its lock."""
        from fpsdesk.store.report import ActionReport

        return ActionReport(self._conn, self._lock, cache)

    def events(self, action_id: int) -> list[ActionEvent]:
        """Every change of this action's outcome, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM action_events WHERE action_id=? ORDER BY id", (action_id,)
            ).fetchall()
        return [_event(r) for r in rows]

    def get(self, action_id: int) -> ActionRecord | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM actions WHERE id=?", (action_id,)).fetchone()
        return action_record(row) if row else None

    def for_transaction(self, transaction_id: str) -> list[ActionRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM actions WHERE transaction_id=? ORDER BY created_at, id",
                (transaction_id,),
            ).fetchall()
        return [action_record(r) for r in rows]

    def unresolved(self) -> list[ActionRecord]:
        """Actions whose outcome is not known: ``unknown``, or ``pending`` left by a crash."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM actions WHERE outcome IN (?, ?) ORDER BY created_at, id",
                (ActionOutcome.UNKNOWN.value, ActionOutcome.PENDING.value),
            ).fetchall()
        return [action_record(r) for r in rows]

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
        return [action_record(r) for r in rows]
