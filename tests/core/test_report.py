"""The dashboard's figures (fpsdesk/store/report.py) against counts taken from the seeds.

The expected numbers come from tests/fixtures/history.py's list, never from the SQL under
test; every bar and segment is then checked to select exactly the rows it counted.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fpsdesk.store import ActionOutcome, ActionStore, open_database
from fpsdesk.store.report import (
    AGENT,
    ERROR_CODE,
    GROUPS,
    REASON,
    STATUS_BEFORE,
    Period,
    ReportCache,
    Selection,
    fold_reason,
    reason_key,
)
from tests.fixtures.seeded_history import SEEDS, Seed, expected_released, seed_history

NOW = datetime.now(UTC)


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[ActionStore, sqlite3.Connection]]:
    conn = open_database(tmp_path / "history.sqlite3")
    store = ActionStore(conn)
    seed_history(store, conn, NOW)
    try:
        yield store, conn
    finally:
        conn.close()


def _in(environment: str | None) -> list[Seed]:
    return [s for s in SEEDS if environment is None or s.environment == environment]


def _day(seed: Seed) -> str:
    return (NOW.astimezone() - timedelta(days=seed.days_ago)).date().isoformat()


def _key(seed: Seed, dimension: str) -> str:
    return {
        AGENT: seed.operator,
        REASON: reason_key(seed.reason_code, seed.reason),
        STATUS_BEFORE: seed.status_before,
        ERROR_CODE: seed.error_code or "",
    }[dimension]


@pytest.mark.parametrize("environment", ["Sandbox", None])
def test_figures_equal_the_seeds_counted_independently(seeded, environment) -> None:
    store, _conn = seeded
    seeds = _in(environment)
    board = store.report().dashboard(Period.last_days(7), environment)
    assert board.total == len(seeds)
    assert board.groups == {g: sum(1 for s in seeds if s.group == g) for g in GROUPS}
    assert board.released == expected_released(environment)
    assert board.released_unknown == sum(1 for s in seeds if s.took_effect and s.amount is None)
    assert board.unresolved == sum(1 for s in seeds if s.group == "unresolved")
    known = [s for s in seeds if s.group != "unresolved"]
    assert board.success_rate == pytest.approx(sum(1 for s in known if s.took_effect) / len(known))
    by_day = {b.key: b for b in board.buckets}
    assert len(by_day) == 7
    for day in by_day:
        assert by_day[day].counts == {
            g: sum(1 for s in seeds if _day(s) == day and s.group == g) for g in GROUPS
        }
    for dimension in (AGENT, REASON, STATUS_BEFORE):
        expected = Counter(_key(s, dimension) for s in seeds)
        got = {s.key: s.total for s in board.breakdowns[dimension]}
        assert got == dict(expected)
        totals = [s.total for s in board.breakdowns[dimension]]
        assert totals == sorted(totals, reverse=True)  # the most common first
    # Every Cancel that ended failed, also one a later read corrected to failed.
    failed = [s for s in seeds if s.group == "not_cancelled" or s.final == "failed"]
    assert {s.key: s.total for s in board.breakdowns[ERROR_CODE]} == dict(
        Counter(s.error_code or "" for s in failed)
    )


def test_free_text_reasons_fold_case_and_spacing(seeded) -> None:
    store, _conn = seeded
    board = store.report().dashboard(Period.last_days(7), "Sandbox")
    reasons = {s.key: s for s in board.breakdowns[REASON]}
    asked = reasons["text:customer asked"]
    assert asked.total == 2
    assert set(asked.members) == {"Customer asked", "  customer   ASKED "}
    assert reasons["text:wrong address"].total == 2
    assert reasons["code:duplicate-order"].total == 2  # a code wins over its comment
    assert fold_reason(" A\tb \n") == "a b"
    assert fold_reason("   ") is None


def test_every_bar_and_segment_selects_exactly_its_rows(seeded) -> None:
    store, _conn = seeded
    report = store.report()
    period = Period.last_days(7)
    board = report.dashboard(period, "Sandbox")
    slices = [*board.buckets, *(s for v in board.breakdowns.values() for s in v)]
    checked = 0
    for slice_ in slices:
        for group in (None, *GROUPS):
            selection = Selection.of(slice_, group)
            rows = report.rows(period, "Sandbox", selection)
            expected = slice_.total if group is None else slice_.counts[group]
            assert len(rows) == expected == report.count(period, "Sandbox", selection)
            for row in rows:
                number = int(row.transaction_id.removeprefix("SEED"))
                seed = SEEDS[number]
                if slice_.dimension == "bucket":
                    assert _day(seed) == slice_.key
                elif slice_.dimension == ERROR_CODE:
                    assert (seed.error_code or "") == slice_.key
                    assert "failed" in (seed.group, seed.final) or seed.group == "not_cancelled"
                else:
                    assert _key(seed, slice_.dimension) == slice_.key
                assert group is None or seed.group == group
            checked += 1
    assert checked > 50


def test_periods_bucket_by_hour_day_and_month() -> None:
    today = datetime(2026, 3, 10).date()
    assert Period.last_days(1, today).unit == "hour"
    assert len(Period.last_days(1, today).buckets()) in (23, 24, 25)  # a DST day has 23 or 25
    assert Period.last_days(30, today).unit == "day"
    keys = [k for k, _s, _e in Period.last_days(30, today).buckets()]
    assert (keys[0], keys[-1], len(keys)) == ("2026-02-09", "2026-03-10", 30)
    year = Period.days(today.replace(year=2025), today)
    months = [k for k, _s, _e in year.buckets()]
    assert (year.unit, months[0], months[-1]) == ("month", "2025-03", "2026-03")
    with pytest.raises(ValueError, match="before it starts"):
        Period.days(today, today - timedelta(days=1))


def test_a_recorded_reason_code_is_never_rewritten(seeded) -> None:
    store, conn = seeded
    action_id = store.start(
        "Cancel",
        "T" * 35,
        environment="Sandbox",
        endpoint="https://fps.sandbox.amazonaws.com/",
        reason_code="other",
    )
    store.finish(action_id, ActionOutcome.SUCCEEDED, status_after="Cancelled")
    store.settle(action_id, ActionOutcome.FAILED, "Reserved", source="read")
    record = store.get(action_id)
    assert record is not None
    assert record.reason_code == "other"
    with pytest.raises(sqlite3.IntegrityError, match="never rewritten"):
        conn.execute("UPDATE actions SET reason_code='fraud' WHERE id=?", (action_id,))
    assert store.get(action_id).reason_code == "other"  # type: ignore[union-attr]


def test_the_cache_serves_a_period_until_the_history_moves(seeded) -> None:
    store, _conn = seeded
    report = store.report(ReportCache())
    period = Period.last_days(7)
    first = report.dashboard(period, "Sandbox")
    assert report.dashboard(period, "Sandbox") is first  # nothing changed: the same figures
    action_id = store.start(
        "Cancel",
        "N" * 35,
        environment="Sandbox",
        endpoint="https://fps.sandbox.amazonaws.com/",
        reason_code="other",
        amount="1.00",
        currency="USD",
    )
    second = report.dashboard(period, "Sandbox")
    assert second.total == first.total + 1
    assert second.unresolved == first.unresolved + 1  # recorded, not answered yet
    store.finish(action_id, ActionOutcome.SUCCEEDED, status_after="Cancelled")
    third = report.dashboard(period, "Sandbox")  # a change of outcome moves the stamp too
    assert third.unresolved == first.unresolved
    assert third.released["USD"] == first.released["USD"] + 1
