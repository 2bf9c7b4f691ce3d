"""The results dashboard's figures, computed by the database over the recorded Cancels.

Every count is a GROUP BY (or a range count) in SQL, never a Python loop over the history:
each breakdown reads one covering index in its grouping order (migration 7), so a year of
100,000 Cancels costs a few index scans. Python only folds the grouped rows (a few hundred)
into the dashboard's shape. The same predicates select the rows behind a bar or a segment
(``ActionReport.rows``), so a click shows exactly the rows that were counted.

Outcome groups (one per Cancel): ``corrected`` (a later truth overturned the first verdict),
else ``succeeded``, ``not_cancelled`` (FPS refused it, or it was not sent), ``unresolved``
(unknown, or still being sent or settled). Reasons group by code; rows without one by their
free text with case and white space folded (``fold_reason``), the most common first.

Time buckets are local days (hours for short periods, months for long ones) whose bounds are
computed here and passed as parameters, one range query per bucket: the SQL is plain, nothing
SQLite-specific, so it ports as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fpsdesk.store.action_record import ActionRecord, action_record
from fpsdesk.store.db import HistoryConnection

SUCCEEDED = "succeeded"
NOT_CANCELLED = "not_cancelled"
UNRESOLVED = "unresolved"
CORRECTED = "corrected"
GROUPS: tuple[str, ...] = (SUCCEEDED, NOT_CANCELLED, UNRESOLVED, CORRECTED)
# Every value of actions.outcome (fpsdesk/store/outcome.py), in the order _bucket_counts reads.
OUTCOMES: tuple[str, ...] = ("succeeded", "failed", "unknown", "pending")

HOUR, DAY, MONTH = "hour", "day", "month"

AGENT, REASON, STATUS_BEFORE, ERROR_CODE = "agent", "reason", "status_before", "error_code"
DIMENSIONS: tuple[str, ...] = (AGENT, REASON, STATUS_BEFORE, ERROR_CODE)
NO_REASON = "none"
REPORT_ROWS = 2000  # cancels a report lists; more are counted, not listed
FEW_ROWS = 20_000  # up to this many Cancels in a period, the breakdowns read them by time

# The SQL twin of ``group_of``: keep the two in step.
_GROUP_PREDICATE: dict[str, str] = {
    CORRECTED: "corrected_from IS NOT NULL",
    SUCCEEDED: "corrected_from IS NULL AND outcome = 'succeeded'",
    NOT_CANCELLED: "corrected_from IS NULL AND outcome = 'failed'",
    UNRESOLVED: "corrected_from IS NULL AND outcome NOT IN ('succeeded', 'failed')",
}


def group_of(outcome: str, corrected_from: str | None) -> str:
    """The dashboard's outcome group of one Cancel (see ``_GROUP_PREDICATE``)."""
    if corrected_from is not None:
        return CORRECTED
    if outcome == "succeeded":
        return SUCCEEDED
    return NOT_CANCELLED if outcome == "failed" else UNRESOLVED


def fold_reason(text: str | None) -> str | None:
    """Free text grouped sensibly: case and runs of white space folded; None if empty."""
    folded = " ".join((text or "").split()).casefold()
    return folded or None


def reason_key(code: str | None, text: str | None) -> str:
    """``code:CODE``, else ``text:folded text``, else ``none``."""
    if code:
        return f"code:{code}"
    folded = fold_reason(text)
    return f"text:{folded}" if folded else NO_REASON


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open span of time, with the bucket size its chart uses."""

    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    label: str

    @property
    def unit(self) -> str:
        days = (self.end - self.start) / timedelta(days=1)
        if days <= 2:
            return HOUR
        return DAY if days <= 92 else MONTH

    @staticmethod
    def days(first: date, last: date, label: str | None = None) -> Period:
        """Whole local days from ``first`` to ``last`` inclusive."""
        if last < first:
            raise ValueError(f"The period ends ({last}) before it starts ({first}).")
        start = _local_midnight(first)
        end = _local_midnight(last + timedelta(days=1))
        return Period(start, end, label or f"{first.isoformat()} to {last.isoformat()}")

    @staticmethod
    def last_days(count: int, today: date | None = None) -> Period:
        """Today and the ``count - 1`` days before it (``count`` 1 is today alone)."""
        day = today or datetime.now().astimezone().date()
        label = "Today" if count == 1 else f"Last {count} days"
        return Period.days(day - timedelta(days=count - 1), day, label)

    @property
    def first_day(self) -> date:
        return self.start.astimezone().date()

    @property
    def last_day(self) -> date:
        return (self.end.astimezone() - timedelta(microseconds=1)).date()

    def buckets(self) -> list[tuple[str, datetime, datetime]]:
        """Every bucket of the period in order, the empty ones too: (key, start, end)."""
        unit = self.unit
        out: list[tuple[str, datetime, datetime]] = []
        if unit == HOUR:
            moment = self.start.astimezone(UTC)
            while moment < self.end:
                following = moment + timedelta(hours=1)
                out.append((moment.astimezone().strftime("%Y-%m-%d %H:00"), moment, following))
                moment = following
            return out
        day = self.first_day
        while True:
            start = _local_midnight(day)
            if start >= self.end:
                return out
            if unit == DAY:
                following_day = day + timedelta(days=1)
                key = day.isoformat()
            else:
                following_day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
                key = day.strftime("%Y-%m")
            end = min(_local_midnight(following_day), self.end)
            out.append((key, max(start, self.start), end))
            day = following_day


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day).astimezone()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Slice:
    """One bar: its key, and its count per outcome group. ``members`` are the raw reason
    texts a folded reason stands for (so selecting it finds exactly those rows)."""

    dimension: str
    key: str
    counts: dict[str, int]
    members: tuple[str | None, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Dashboard:
    period: Period
    environment: str | None  # None: every environment
    buckets: list[Slice]  # dimension "bucket", key as in Period.buckets
    groups: dict[str, int]  # count per outcome group
    released: dict[str, Decimal]  # amount of the Cancels that took effect, per currency
    released_unknown: int  # of those, recorded without an amount (older rows, the CLI)
    unresolved: int
    succeeded_final: int  # Cancels that in the end took effect (corrected ones included)
    breakdowns: dict[str, list[Slice]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.groups.values())

    @property
    def success_rate(self) -> float | None:
        """Took effect, among the Cancels whose outcome is known (None when none is)."""
        known = self.total - self.unresolved
        return self.succeeded_final / known if known else None


@dataclass(frozen=True, slots=True)
class Selection:
    """What a click on the dashboard picked: a time bucket or a breakdown bar, and maybe one
    outcome group (a segment). Empty: the whole period."""

    bucket: str | None = None
    dimension: str | None = None
    key: str | None = None
    group: str | None = None
    members: tuple[str | None, ...] = ()  # for a folded free-text reason

    @property
    def empty(self) -> bool:
        return self.bucket is None and self.dimension is None and self.group is None

    @staticmethod
    def of(slice_: Slice, group: str | None = None) -> Selection:
        if slice_.dimension == "bucket":
            return Selection(bucket=slice_.key, group=group)
        return Selection(
            dimension=slice_.dimension, key=slice_.key, group=group, members=slice_.members
        )


class ReportCache:
    """Dashboards already computed, each valid while the history's stamp has not moved.

    Shared between reports on different connections (the window's, and a reader thread's
    that computes the other periods ahead), so a period switch is usually a lookup."""

    LIMIT = 16

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[Period, str | None], tuple[int, Dashboard]] = {}

    def get(self, period: Period, environment: str | None, stamp: int) -> Dashboard | None:
        with self._lock:
            found = self._entries.get((period, environment))
        return found[1] if found is not None and found[0] == stamp else None

    def put(self, board: Dashboard, stamp: int) -> None:
        with self._lock:
            if len(self._entries) >= self.LIMIT:
                self._entries.pop(next(iter(self._entries)))
            self._entries[(board.period, board.environment)] = (stamp, board)


class ActionReport:
    """Read-only figures over the ``actions`` table of one open database."""

    def __init__(
        self,
        conn: HistoryConnection,
        lock: threading.Lock | None = None,
        cache: ReportCache | None = None,
    ) -> None:
        self._conn = conn
        self._lock = lock or threading.Lock()
        self.cache = cache

    def stamp(self) -> int:
        """Moves whenever a Cancel is recorded or its outcome changes: each appends an event."""
        with self._lock:
            row = self._conn.execute("SELECT COALESCE(max(id), 0) FROM action_events").fetchone()
        return int(row[0])

    def environments(self) -> list[str]:
        """The environments the history has Cancels for, by name."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT environment FROM actions WHERE kind = 'Cancel' ORDER BY 1"
            ).fetchall()
        return [r[0] for r in rows]

    def _where(
        self, period: Period, environment: str | None, selection: Selection | None = None
    ) -> tuple[str, list[object]]:
        start, end = period.start, period.end
        if selection is not None and selection.bucket is not None:
            found = next((b for b in period.buckets() if b[0] == selection.bucket), None)
            if found is None:
                raise ValueError(f"{selection.bucket!r} is not a bucket of {period.label}.")
            _key, start, end = found
        clauses = ["kind = 'Cancel'", "created_at >= ?", "created_at < ?"]
        args: list[object] = [_iso(start), _iso(end)]
        if environment is not None:
            clauses.append("environment = ?")
            args.append(environment)
        if selection is None:
            return " AND ".join(clauses), args
        if selection.dimension == AGENT:
            clauses.append("operator = ?")
            args.append(selection.key)
        elif selection.dimension == STATUS_BEFORE:
            clauses.append("COALESCE(status_before, '') = ?")
            args.append(selection.key)
        elif selection.dimension == ERROR_CODE:
            clauses.append("outcome = 'failed' AND COALESCE(error_code, '') = ?")
            args.append(selection.key)
        elif selection.dimension == REASON:
            key = selection.key or NO_REASON
            if key.startswith("code:"):
                clauses.append("reason_code = ?")
                args.append(key.removeprefix("code:"))
            else:
                texts = [m for m in selection.members if m is not None]
                either = [f"reason IN ({','.join('?' * len(texts))})"] if texts else []
                if None in selection.members:
                    either.append("reason IS NULL")
                clauses.append(f"reason_code IS NULL AND ({' OR '.join(either) or '0'})")
                args.extend(texts)
        if selection.group is not None:
            clauses.append(f"({_GROUP_PREDICATE[selection.group]})")
        return " AND ".join(clauses), args

    def dashboard(self, period: Period, environment: str | None = None) -> Dashboard:
        """The figures of a period (from the cache when the history has not changed)."""
        if self.cache is None:
            return self._compute(period, environment)
        stamp = self.stamp()
        board = self.cache.get(period, environment, stamp)
        if board is None:
            board = self._compute(period, environment)
            self.cache.put(board, stamp)
        return board

    def _compute(self, period: Period, environment: str | None) -> Dashboard:
        where, args = self._where(period, environment)
        buckets = period.buckets()
        with self._lock:
            per_bucket = self._bucket_counts(buckets, environment)
            # A period of few rows reads them by time and sorts them; a long one reads each
            # breakdown's own index in order, which costs the same whatever the period.
            few = sum(sum(row[: len(GROUPS)]) for row in per_bucket) <= FEW_ROWS
            succeeded = "outcome || '' = 'succeeded'" if few else "outcome = 'succeeded'"
            # Cents per row, summed as integers (DOUBLE PRECISION: float8 in PostgreSQL too).
            released = self._conn.execute(
                "SELECT currency, count(*), count(amount),"
                " sum(CAST(round(CAST(amount AS DOUBLE PRECISION) * 100) AS INTEGER))"
                f" FROM actions WHERE {succeeded} AND {where} GROUP BY currency",
                args,
            ).fetchall()
            agents = self._grouped(("operator",), where, args, few)
            reasons = self._grouped(("reason_code", "reason"), where, args, few)
            statuses = self._grouped(("status_before", "error_code"), where, args, few)
        groups = dict.fromkeys(GROUPS, 0)
        bucket_slices = []
        unresolved = 0
        for (key, _start, _end), row in zip(buckets, per_bucket, strict=True):
            counts = dict(zip(GROUPS, row[: len(GROUPS)], strict=True))
            for group, n in counts.items():
                groups[group] += n
            unresolved += row[len(GROUPS)]
            bucket_slices.append(Slice("bucket", key, counts))
        cents = {str(c): int(v) for c, _n, _with, v in released if c is not None and v is not None}
        return Dashboard(
            period=period,
            environment=environment,
            buckets=bucket_slices,
            groups=groups,
            released={c: Decimal(v) / 100 for c, v in sorted(cents.items())},
            released_unknown=sum(int(n) - int(with_amount) for _c, n, with_amount, _v in released),
            unresolved=unresolved,
            succeeded_final=sum(int(n) for _c, n, _with, _v in released),
            breakdowns={
                AGENT: _slices(AGENT, ((str(r[0]), r[1:]) for r in agents)),
                REASON: _reason_slices(reasons),
                STATUS_BEFORE: _slices(
                    STATUS_BEFORE, ((_text(r[0]) or "", r[2:]) for r in statuses)
                ),
                ERROR_CODE: _slices(
                    ERROR_CODE, ((_text(r[1]) or "", r[2:]) for r in statuses if r[2] == "failed")
                ),
            },
        )

    def _grouped(
        self, names: tuple[str, ...], where: str, args: list[object], few: bool
    ) -> list[Row]:
        """Counts per ``names`` and per outcome: in the order of their covering index, or,
        for ``few`` rows, grouping expressions the planner cannot serve from that index, so
        it reads the period's range of the time index instead (``|| ''`` keeps NULL NULL)."""
        columns = ", ".join(f"{n} || ''" if few else n for n in names)
        rows = self._conn.execute(
            f"SELECT {columns}, outcome, corrected_from, count(*) FROM actions WHERE {where}"
            f" GROUP BY {columns}, outcome, corrected_from",
            args,
        ).fetchall()
        return [tuple(r) for r in rows]

    def _bucket_counts(
        self, buckets: list[tuple[str, datetime, datetime]], environment: str | None
    ) -> list[tuple[int, ...]]:
        """Per bucket: the count of each outcome group, then of the unresolved ones.

        One range count per outcome on the (kind, outcome, created_at) index, with the
        corrected ones counted from the same entries: nothing sorted, no row read."""
        env = " AND environment = ?" if environment is not None else ""
        statement = " UNION ALL ".join(
            "SELECT count(*), count(corrected_from) FROM actions WHERE kind = 'Cancel'"
            f" AND outcome = '{outcome}' AND created_at >= ? AND created_at < ?{env}"
            for outcome in OUTCOMES
        )
        out: list[tuple[int, ...]] = []
        for _key, start, end in buckets:
            one: list[object] = [_iso(start), _iso(end)]
            if environment is not None:
                one.append(environment)
            rows = self._conn.execute(statement, one * len(OUTCOMES)).fetchall()
            (s, s_corr), (f, f_corr), (u, u_corr), (p, p_corr) = (
                (int(r[0]), int(r[1])) for r in rows
            )
            out.append(
                (
                    s - s_corr,  # succeeded
                    f - f_corr,  # not cancelled
                    u - u_corr + p - p_corr,  # unknown or settling
                    s_corr + f_corr + u_corr + p_corr,  # corrected
                    u + p,  # unresolved, corrected or not
                )
            )
        return out

    def count(
        self, period: Period, environment: str | None, selection: Selection | None = None
    ) -> int:
        where, args = self._where(period, environment, selection)
        with self._lock:
            row = self._conn.execute(f"SELECT count(*) FROM actions WHERE {where}", args)
            return int(row.fetchone()[0])

    def rows(
        self,
        period: Period,
        environment: str | None,
        selection: Selection | None = None,
        *,
        outcome: str | None = None,
        search: str | None = None,
        limit: int = 1000,
    ) -> list[ActionRecord]:
        """The Cancels behind a selection, newest first (the Results table's rows)."""
        where, args = self._where(period, environment, selection)
        if outcome is not None:
            where += " AND outcome = ?"
            args.append(outcome)
        if search:
            where += " AND transaction_id LIKE ? ESCAPE '\\'"
            escaped = search.strip().upper().replace("\\", "\\\\").replace("%", "\\%")
            args.append("%" + escaped.replace("_", "\\_") + "%")
        args.append(limit)
        with self._lock:
            found = self._conn.execute(
                f"SELECT * FROM actions WHERE {where} ORDER BY created_at DESC, id DESC LIMIT ?",
                args,
            ).fetchall()
        return [action_record(r) for r in found]


Row = tuple[object, ...]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _add(
    into: dict[str, dict[str, int]], key: str, outcome: object, corrected: object, n: object
) -> None:
    group = group_of(str(outcome), _text(corrected))
    into.setdefault(key, dict.fromkeys(GROUPS, 0))[group] += int(n)  # type: ignore[call-overload]


def _ordered(
    dimension: str,
    by_key: dict[str, dict[str, int]],
    members: dict[str, list[str | None]] | None = None,
) -> list[Slice]:
    """The most common first (ties by key, so the order is stable)."""
    slices = [
        Slice(dimension, key, counts, tuple((members or {}).get(key, ())))
        for key, counts in by_key.items()
    ]
    slices.sort(key=lambda s: (-s.total, s.key))
    return slices


def _slices(dimension: str, rows: Iterable[tuple[str, Row]]) -> list[Slice]:
    """Rows of (key, (outcome, corrected_from, count)) summed per key and outcome group."""
    by_key: dict[str, dict[str, int]] = {}
    for key, (outcome, corrected, n) in rows:
        _add(by_key, key, outcome, corrected, n)
    return _ordered(dimension, by_key)


def _reason_slices(rows: list[Row]) -> list[Slice]:
    """Grouped (code, text) rows folded into reasons; each text kept as a member of its key."""
    by_key: dict[str, dict[str, int]] = {}
    members: dict[str, list[str | None]] = {}
    for code, text, outcome, corrected, n in rows:
        key = reason_key(_text(code), _text(text))
        _add(by_key, key, outcome, corrected, n)
        if not key.startswith("code:"):
            seen = members.setdefault(key, [])
            if _text(text) not in seen:
                seen.append(_text(text))
    return _ordered(REASON, by_key, members)
