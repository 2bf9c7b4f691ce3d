"""The shared history's watch (fpsdesk/store/live.py) on a real PostgreSQL server: what other
connections write reaches it through LISTEN/NOTIFY, and it tells when the server goes away
and comes back, marking the shared Reachability down and up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from fpsdesk.ipn.parse import from_pairs
from fpsdesk.records.ipn import Verdict
from fpsdesk.store import live
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.db import open_database
from fpsdesk.store.ipns import IpnStore
from fpsdesk.store.postgres import Reachability
from tests.fixtures.postgres import PostgresServer
from tests.ipn.helpers import ipn_fields

TXN = "1" + "W" * 34


class Seen:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ipns = 0
        self.ipn_times: list[float] = []
        self.actions: list[str] = []
        self.states: list[str | None] = []

    def ipn(self) -> None:
        with self.lock:
            self.ipns += 1
            self.ipn_times.append(time.monotonic())

    def action(self, txn: str) -> None:
        with self.lock:
            self.actions.append(txn)

    def state(self, reason: str | None) -> None:
        with self.lock:
            self.states.append(reason)


def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.01)


@pytest.fixture
def watched(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Seen, Reachability]]:
    monkeypatch.setattr(live, "RETRY_DELAYS", (0.2,))
    seen, reach = Seen(), Reachability()
    watch = live.HistoryWatch(
        postgres_url, None, reach, on_ipns=seen.ipn, on_actions=seen.action, on_state=seen.state
    ).start()
    try:
        wait_for(lambda: seen.states == [None])
        yield seen, reach
    finally:
        assert watch.stop()


def test_writes_by_another_connection_are_announced(
    watched: tuple[Seen, Reachability], postgres_url: str
) -> None:
    seen, _ = watched
    other = open_database(postgres_url)
    try:
        IpnStore(other).add(
            from_pairs(list(ipn_fields(TXN).items())), Verdict.verified("local"), source="t"
        )
        wait_for(lambda: seen.ipns >= 2)  # the announcement, then the trailing read
        ActionStore(other).start("Cancel", TXN, environment="Sandbox", endpoint="https://x/")
        wait_for(lambda: TXN in seen.actions)
        # A read announces nothing.
        before = seen.ipns
        IpnStore(other).count()
        time.sleep(live.TRAILING_S + 0.3)
        assert seen.ipns == before
    finally:
        other.close()


def test_ipns_stored_in_a_burst_are_all_shown_though_announced_once(
    watched: tuple[Seen, Reachability], postgres_url: str
) -> None:
    """A connection announces at most once per ANNOUNCE_EVERY_S (the receiver's throughput);
    the watch reads once more TRAILING_S later, after every IPN of the burst was stored."""
    seen, _ = watched
    other = open_database(postgres_url)
    try:
        store = IpnStore(other)
        for n in range(3):
            fields = {**ipn_fields(TXN), "notificationReferenceId": f"burst-{n}"}
            store.add(from_pairs(list(fields.items())), Verdict.verified("local"), source="t")
        last_stored = time.monotonic()
        wait_for(lambda: bool(seen.ipn_times) and seen.ipn_times[-1] > last_stored)
        time.sleep(live.TRAILING_S + 0.3)
        assert 2 <= seen.ipns <= 3  # one announcement (maybe two), one trailing read
        assert seen.ipn_times[-1] - last_stored < 1.0  # the last one shown within a second
    finally:
        other.close()


def test_the_server_going_away_and_back_is_told(
    watched: tuple[Seen, Reachability], postgres_server: PostgresServer
) -> None:
    seen, reach = watched
    postgres_server.stop()
    try:
        wait_for(lambda: len(seen.states) >= 2)
        assert seen.states[1] is not None
        assert reach.reason is not None
    finally:
        postgres_server.start()
    wait_for(lambda: seen.states[-1] is None)
    assert reach.reason is None
    # Up, then down (again only when the reason changes: "closed", then "refused"), then up.
    assert seen.states[0] is None
    assert all(reason is not None for reason in seen.states[1:-1])
    assert len(seen.states) <= 4
    assert "" in seen.actions  # after a reconnect: re-read everything
