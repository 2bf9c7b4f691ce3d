"""The IPN store on a real SQLite file: dedupe with delivery counts, verdict upgrades, paging in
date order, quarantine, and the schema migration."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fpsdesk.fps.models import TransactionStatus
from fpsdesk.ipn.parse import from_pairs
from fpsdesk.records.ipn import FailReason, IpnVerdict, Verdict
from fpsdesk.store import IpnFilter, IpnRecord, IpnStore, NewIpn, open_database
from tests.ipn.helpers import SEED_PAIRS, SEED_PAIRS_MIME

NOT_CHECKED = Verdict.not_checked(FailReason.ENDPOINT_UNKNOWN, "unknown endpoint")
FAILED = Verdict.failed(FailReason.BAD_SIGNATURE, "bad signature", "local")
VERIFIED = Verdict.verified("local")


def _txn(n: int) -> str:
    return f"1{n:034d}"


def _ipn(txn: str, epoch: int, status: str = "SUCCESS", operation: str = "PAY", **extra: str):
    pairs = [
        ("notificationType", "TransactionStatus"),
        ("transactionId", txn),
        ("transactionDate", str(epoch)),
        ("transactionStatus", status),
        ("operation", operation),
        ("transactionAmount", "USD 2.22"),
        *extra.items(),
    ]
    return from_pairs(pairs)


@pytest.fixture
def store(history: Path | str) -> IpnStore:
    """Every test here runs on both backends (a SQLite file and a PostgreSQL database)."""
    return IpnStore(open_database(history))


def test_a_stored_ipn_reads_back_raw_parsed_and_with_its_verdict(store: IpnStore) -> None:
    ipn = from_pairs(SEED_PAIRS)
    received = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    result = store.add(
        ipn, FAILED, source="http 127.0.0.1", endpoint_url="http://x/ipn", received_at=received
    )
    assert result.new
    record = store.get(result.id)
    assert record is not None
    assert record.params == tuple(SEED_PAIRS)
    assert record.transaction_id == ipn.transaction_id
    assert record.transaction_status is TransactionStatus.CANCELLED
    assert record.amount == ipn.amount
    assert record.transaction_date == ipn.transaction_date
    assert record.event_at == ipn.transaction_date
    assert record.verdict is IpnVerdict.FAILED
    assert record.reason_code is FailReason.BAD_SIGNATURE
    assert record.reason == "bad signature"
    assert record.received_at == received
    assert record.source == "http 127.0.0.1"
    assert record.endpoint_url == "http://x/ipn"
    assert record.delivery_count == 1
    assert not record.trusted
    assert record.status_message == "The transaction was explicitly cancelled by the caller."


def test_retries_are_stored_once_with_a_delivery_count(store: IpnStore) -> None:
    ipn = _ipn(_txn(1), 1_700_000_000)
    for _ in range(3):
        store.add(ipn, FAILED, source="http")
    assert store.count() == 1
    (record,) = store.for_transaction(_txn(1))
    assert record.delivery_count == 3
    # The same content with the parameters in another order is the same notification.
    store.add(from_pairs(list(reversed(ipn.params))), FAILED, source="http")
    assert store.for_transaction(_txn(1))[0].delivery_count == 4


def test_the_mime_wrapped_and_the_flattened_signature_are_the_same_ipn(store: IpnStore) -> None:
    store.add(from_pairs(SEED_PAIRS), NOT_CHECKED, source="import a")
    result = store.add(from_pairs(SEED_PAIRS_MIME), NOT_CHECKED, source="import b", delivery=False)
    assert not result.new
    assert store.count() == 1


def test_an_import_of_a_known_ipn_changes_nothing(store: IpnStore) -> None:
    ipn = _ipn(_txn(1), 1_700_000_000)
    store.add(ipn, FAILED, source="http")
    result = store.add(ipn, FAILED, source="import", delivery=False)
    assert not result.new
    assert result.delivery_count == 1
    assert store.for_transaction(_txn(1))[0].delivery_count == 1


def test_a_stronger_verdict_replaces_a_weaker_one_never_the_reverse(store: IpnStore) -> None:
    ipn = _ipn(_txn(1), 1_700_000_000)
    first = store.add(ipn, NOT_CHECKED, source="import", delivery=False)
    store.add(ipn, VERIFIED, source="http", endpoint_url="http://127.0.0.1:1/ipn")
    record = store.get(first.id)
    assert record is not None
    assert record.verdict is IpnVerdict.VERIFIED
    assert record.reason is None
    assert record.endpoint_url == "http://127.0.0.1:1/ipn"
    store.add(ipn, NOT_CHECKED, source="http")
    store.add(ipn, FAILED, source="http")
    record = store.get(first.id)
    assert record is not None
    assert record.verdict is IpnVerdict.VERIFIED
    assert record.delivery_count == 4  # the first sighting (the import) counts as one
    # An explicit re-check records whatever it found.
    store.set_verdict(first.id, FAILED)
    assert store.get(first.id).verdict is IpnVerdict.FAILED  # type: ignore[union-attr]


def test_for_transaction_is_oldest_first_and_can_include_refunds(store: IpnStore) -> None:
    base = 1_700_000_000
    store.add(_ipn(_txn(1), base + 20, "SUCCESS"), FAILED, source="t")
    store.add(_ipn(_txn(1), base + 10, "PENDING"), FAILED, source="t")
    store.add(_ipn(_txn(2), base + 5), FAILED, source="t")
    refund = _ipn(_txn(3), base + 30, "SUCCESS", "REFUND", parentTransactionId=_txn(1))
    store.add(refund, FAILED, source="t")
    statuses = [r.transaction_status for r in store.for_transaction(_txn(1))]
    assert statuses == [TransactionStatus.PENDING, TransactionStatus.SUCCESS]
    with_children = store.for_transaction(_txn(1), include_children=True)
    assert [r.transaction_id for r in with_children] == [_txn(1), _txn(1), _txn(3)]


def test_count_and_page_agree_under_every_filter(store: IpnStore) -> None:
    base = 1_700_000_000
    items = []
    for n in range(60):
        status = ["SUCCESS", "PENDING", "CANCELLED"][n % 3]
        operation = ["PAY", "RESERVE"][n % 2]
        verdict = [VERIFIED, FAILED, NOT_CHECKED][n % 3]
        items.append(NewIpn(_ipn(_txn(n), base + n * 60, status, operation), verdict, "t"))
    store.add_many(items)
    start = datetime.fromtimestamp(base + 10 * 60, UTC)
    filters = [
        IpnFilter(),
        IpnFilter(status=TransactionStatus.PENDING),
        IpnFilter(operation="reserve"),
        IpnFilter(verdict=IpnVerdict.VERIFIED),
        IpnFilter(transaction_id=_txn(7)),
        IpnFilter(transaction_id="1" + "0" * 32),  # prefix: 0..99 → 10 txns 00..09 ... all < 100
        IpnFilter(date_from=start, date_to=start + timedelta(minutes=5)),
        IpnFilter(status=TransactionStatus.SUCCESS, operation="PAY", verdict=IpnVerdict.VERIFIED),
    ]
    for f in filters:
        total = store.count(f)
        rows: list[IpnRecord] = []
        while True:
            page = store.page(f, limit=7, after=rows[-1] if rows else None)
            rows.extend(page)
            if len(page) < 7:
                break
        assert len(rows) == total
        assert len({r.id for r in rows}) == total  # by key: no row twice, none skipped
        assert [r.event_at for r in rows] == sorted((r.event_at for r in rows), reverse=True)
    assert store.count(IpnFilter(transaction_id=_txn(7))) == 1
    assert store.count(IpnFilter(date_from=start, date_to=start + timedelta(minutes=5))) == 5
    assert store.count(IpnFilter(status=TransactionStatus.PENDING)) == 20
    assert store.count(IpnFilter(operation="reserve")) == 30
    # A capped count stops one row past the cap: above the cap means "more than the cap".
    assert [store.count(cap=c) for c in (0, 10, 59, 60, 1000)] == [1, 11, 60, 60, 60]
    assert store.count(IpnFilter(operation="reserve"), cap=29) == 30
    assert store.count(IpnFilter(operation="reserve"), cap=30) == 30
    oldest = store.page(None, limit=1, newest_first=False)[0]
    assert oldest.transaction_id == _txn(0)
    assert store.distinct("operation") == ["PAY", "RESERVE"]
    assert len(list(store.iter_all(batch=8))) == 60


def test_paging_uses_the_date_index(tmp_path: Path) -> None:
    IpnStore(open_database(tmp_path / "history.sqlite3"))
    conn = sqlite3.connect(tmp_path / "history.sqlite3")
    plan = " ".join(
        str(row[-1])
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM ipns ORDER BY event_at DESC, id DESC LIMIT 10"
        )
    )
    assert "ipns_event" in plan
    # The next page, by key: still the index, and no sort of everything that matches.
    plan = " ".join(
        str(row[-1])
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM ipns WHERE (event_at, id) < (?, ?)"
            " ORDER BY event_at DESC, id DESC LIMIT 10",
            ("2026-01-01T00:00:00.000+00:00", 5),
        )
    )
    assert "ipns_event" in plan
    assert "TEMP B-TREE" not in plan
    plan = " ".join(
        str(row[-1])
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM ipns WHERE transaction_id = ? ORDER BY event_at, id",
            ("X",),
        )
    )
    assert "ipns_transaction" in plan


def test_quarantine_keeps_the_bytes_and_counts_repeats(store: IpnStore) -> None:
    body = b"\x00\xffnot an ipn"
    first = store.quarantine(body, error="no notificationType", source="http", content_type="x/y")
    again = store.quarantine(body, error="no notificationType", source="http")
    assert first == again
    assert store.quarantine_count() == 1
    (record,) = store.quarantined()
    assert record.body == body
    assert record.delivery_count == 2
    assert record.content_type == "x/y"
    assert store.count() == 0


def test_the_migration_leaves_the_actions_table_alone(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = open_database(path)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"actions", "ipns", "ipn_quarantine"} <= tables
    conn.close()
    assert open_database(path).execute("PRAGMA user_version").fetchone()[0] == version
    assert open_database(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("newest_first", [True, False])
def test_iter_all_pages_by_key_through_equal_dates(store: IpnStore, newest_first: bool) -> None:
    items = [
        NewIpn(
            _ipn(_txn(n), 1_700_000_000 + (n % 3), operation="PAY" if n % 2 else "RESERVE"),
            FAILED,
            "t",
        )
        for n in range(25)
    ]
    store.add_many(items)
    rows = list(store.iter_all(newest_first=newest_first, batch=4))
    keys = [(r.event_at, r.id) for r in rows]
    assert len(set(keys)) == 25
    assert keys == sorted(keys, reverse=newest_first)
    paged = list(store.iter_all(IpnFilter(operation="PAY"), newest_first=newest_first, batch=4))
    assert [r.id for r in paged] == [r.id for r in rows if r.operation == "PAY"]


def test_writers_on_their_own_connections_store_each_ipn_once(history: Path | str) -> None:
    """Eight writers (as receiver workers: one connection each) deliver the same 40 IPNs at
    once: one row per notification, every delivery counted, on both backends."""
    open_database(history).close()
    items = [_ipn(f"1{n:034d}", 1_600_000_000 + n) for n in range(40)]

    def deliver() -> None:
        store = IpnStore(open_database(history))
        for ipn in items:
            store.add(ipn, FAILED, source="http")

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = IpnStore(open_database(history))
    assert store.count() == 40
    assert {r.delivery_count for r in store.iter_all()} == {8}
