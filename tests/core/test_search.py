"""Search (fpsdesk/desk/search.py) against the real sandbox's volume data, without Qt."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from fpsdesk.desk.search import (
    AmountFilter,
    Searcher,
    SearchProgress,
    SearchQuery,
    parse_amount,
    uncovered,
)
from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from fpsdesk.store.activity import ActivityCache, Span
from fpsdesk.store.db import open_database

SIZE = 900  # 90 days: 10 a day, so 7 days hold ~70 and 30 days ~300 (several 50-row pages)


@pytest.fixture(scope="module")
def volume() -> Iterator[SandboxServer]:
    server = SandboxServer(demo_size=SIZE).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(volume: SandboxServer) -> Iterator[FpsClient]:
    with FpsClient(volume.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, sleep=lambda s: None) as c:
        yield c


@pytest.fixture
def cache(history: Path | str) -> Iterator[ActivityCache]:
    """Both backends."""
    conn = open_database(history)
    try:
        yield ActivityCache(conn)
    finally:
        conn.close()


def _searcher(client: FpsClient, cache: ActivityCache, **kw: object) -> Searcher:
    return Searcher(client, cache, page_size=50, sleep=lambda s: None, **kw)  # type: ignore[arg-type]


def _all(volume: SandboxServer, days: int = 30) -> list[dict[str, object]]:
    since = datetime.now(UTC) - timedelta(days=days)
    return [
        t
        for t in volume.transactions()
        if datetime.fromisoformat(str(t["date_received"]).replace("Z", "+00:00")) >= since
    ]


def test_paging_finds_every_transaction_in_the_period(
    volume: SandboxServer, client: FpsClient, cache: ActivityCache
) -> None:
    result = _searcher(client, cache).search(SearchQuery.last_days(30))
    expected = {t["transaction_id"] for t in _all(volume)}
    assert {f.transaction_id for f in result.matches} == expected
    assert result.progress.pages > 1
    dates = [f.date_received for f in result.matches]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "Reserved"), ("operation", "Refund"), ("payment_method", "ACH")],
)
def test_each_filter(
    volume: SandboxServer, client: FpsClient, cache: ActivityCache, field: str, value: str
) -> None:
    result = _searcher(client, cache).search(SearchQuery.last_days(30, **{field: value}))
    column = {"status": "status", "operation": "operation", "payment_method": "payment_method"}
    expected = {t["transaction_id"] for t in _all(volume) if t[column[field]] == value}
    assert expected
    assert {f.transaction_id for f in result.matches} == expected


def test_free_text_matches_the_order_number_and_names(
    volume: SandboxServer, client: FpsClient, cache: ActivityCache
) -> None:
    target = _all(volume)[5]
    by_order = _searcher(client, cache).search(
        SearchQuery.last_days(30, text=str(target["caller_reference"]).lower())
    )
    assert [f.transaction_id for f in by_order.matches] == [target["transaction_id"]]
    name = str(target["sender_name"])
    by_name = _searcher(client, cache).search(SearchQuery.last_days(30, text=f"  {name.upper()} "))
    assert target["transaction_id"] in {f.transaction_id for f in by_name.matches}
    assert all(f.sender_name == name for f in by_name.matches if f.operation != "Refund")


def test_free_text_matches_an_email_learnt_from_details(
    volume: SandboxServer, client: FpsClient, cache: ActivityCache
) -> None:
    target = next(t for t in _all(volume) if t["operation"] != "Refund")
    email = str(target["sender_email"])
    result = _searcher(client, cache).search(SearchQuery.last_days(30, text=email))
    expected = {
        t["transaction_id"]
        for t in _all(volume)
        if t["sender_email"] == email or t["recipient_email"] == email
    }
    assert {f.transaction_id for f in result.matches} == expected
    assert result.progress.details > 0
    # E-mails once learnt are kept: the same search reads no details again.
    again = _searcher(client, cache).search(SearchQuery.last_days(30, text=email))
    assert again.progress.details == 0
    assert {f.transaction_id for f in again.matches} == expected


def test_amount_exact_and_range(
    volume: SandboxServer, client: FpsClient, cache: ActivityCache
) -> None:
    target = _all(volume)[3]
    amount = Decimal(str(target["amount"]))
    exact = _searcher(client, cache).search(
        SearchQuery.last_days(30, amount=AmountFilter(amount, amount))
    )
    assert target["transaction_id"] in {f.transaction_id for f in exact.matches}
    assert all(f.amount == amount for f in exact.matches)
    ranged = _searcher(client, cache).search(
        SearchQuery.last_days(30, amount=parse_amount("100-200"))
    )
    assert ranged.matches
    assert all(Decimal(100) <= f.amount <= Decimal(200) for f in ranged.matches)


def test_a_repeat_or_narrower_search_answers_from_the_cache(
    volume: SandboxServer, client: FpsClient, cache: ActivityCache
) -> None:
    first = _searcher(client, cache).search(SearchQuery.last_days(30))
    assert first.progress.pages > 1
    narrower = _searcher(client, cache).search(SearchQuery.last_days(7, status="Reserved"))
    assert narrower.progress.pages <= 1  # at most the moments since the first search
    assert narrower.progress.from_cache > 0
    assert narrower.progress.oldest_read is not None
    refreshed = _searcher(client, cache).search(SearchQuery.last_days(7), refresh=True)
    assert refreshed.progress.pages >= 1
    assert refreshed.progress.from_cache == 0


def test_throttling_slows_the_search_down_instead_of_failing_it(
    volume: SandboxServer, cache: ActivityCache
) -> None:
    volume.set_throttle(1.0, 1.0)
    waits: list[float] = []
    try:
        with FpsClient(
            volume.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, max_retries=0
        ) as impatient:
            searcher = Searcher(impatient, cache, page_size=50, sleep=waits.append)
            # The injected sleep does not wait, so give the bucket real time between tries.
            original = searcher._sleep

            def sleep(seconds: float) -> None:
                original(seconds)
                threading.Event().wait(0.5)

            searcher._sleep = sleep
            result = searcher.search(SearchQuery.last_days(30))
    finally:
        volume.set_throttle(None)
    assert result.progress.slowed > 0
    assert waits
    assert {f.transaction_id for f in result.matches} == {t["transaction_id"] for t in _all(volume)}


def test_a_search_can_be_stopped_and_keeps_what_it_found(
    volume: SandboxServer, client: FpsClient, cache: ActivityCache
) -> None:
    stop = threading.Event()
    seen: list[SearchProgress] = []

    def progress(p: SearchProgress) -> None:
        seen.append(p)
        if p.pages == 2:
            stop.set()

    result = _searcher(client, cache).search(
        SearchQuery.last_days(90), on_progress=progress, stop=stop
    )
    assert result.progress.stopped
    assert result.progress.pages == 2
    assert len(result.matches) == 100
    # Nothing was recorded as read completely, so the next search reads FPS again.
    assert cache.spans("local-sandbox") == []


def test_bad_queries_are_refused_before_anything_is_read(
    client: FpsClient, cache: ActivityCache
) -> None:
    searcher = _searcher(client, cache)
    now = datetime.now(UTC)
    for query in (
        SearchQuery(start=now + timedelta(days=1)),
        SearchQuery(start=now - timedelta(days=1), end=now - timedelta(days=2)),
        SearchQuery(start=datetime(2026, 1, 1)),
        SearchQuery(start=now - timedelta(days=1), text="x" * 201),
    ):
        with pytest.raises(InvalidInput):
            searcher.search(query)
    for text in ("abc", "1-2-3", ""):
        with pytest.raises(InvalidInput):
            parse_amount(text)


def test_uncovered_parts_of_a_period() -> None:
    t = datetime(2026, 11, 1, tzinfo=UTC)
    day = timedelta(days=1)
    spans = [Span(t + day, t + 3 * day, t), Span(t + 5 * day, t + 6 * day, t)]
    assert uncovered(t, t + 7 * day, spans) == [
        (t + 6 * day, t + 7 * day),
        (t + 3 * day, t + 5 * day),
        (t, t + day),
    ]
    assert uncovered(t + day, t + 2 * day, spans) == []
