"""IPN store at 100,000 notifications, beside the same operations on an empty store.

Rows:
- insert 100,000 IPNs (parse + store, 1,000 per transaction, as the importer does); baseline:
  the first 1,000 into an empty store, times 100, so the ratio shows what the size costs;
- open a transaction with 1,000 IPNs (``for_transaction``) in the full store; baseline: the same
  1,000 IPNs when they are the only rows;
- first page of the Notifications view (``count`` + ``page(0, 100)``) over 100,000 rows;
  baseline: the same on the empty store;
- deep page (after row 90,000, by key) over 100,000 rows, to show paging deep costs what the
  first page does;
- peak Python memory (tracemalloc) of insert + open + first page at 100,000; baseline: the
  same calls on the empty store; target under 50 MB more. Measured in a separate pass, since
  tracemalloc slows Python down.
"""

from __future__ import annotations

import itertools
import pathlib
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from run import Row

from fpsdesk.ipn.parse import from_pairs
from fpsdesk.records.ipn import FailReason, Verdict
from fpsdesk.store import IpnFilter, IpnRecord, IpnStore, NewIpn, open_database

BUSY_TXN = "1" + "B" * 34
VERDICT = Verdict.not_checked(FailReason.ENDPOINT_UNKNOWN, "benchmark")
SIGNATURE = "A" * 76 + "\n" + "B" * 76 + "\n" + "C" * 20 + "=="
STATUSES = ["SUCCESS", "PENDING", "RESERVED", "CANCELLED", "FAILURE"]


def _pairs(n: int, txn: str) -> list[tuple[str, str]]:
    return [
        ("notificationType", "TransactionStatus"),
        ("transactionId", txn),
        ("transactionDate", str(1_600_000_000 + n * 7)),
        ("transactionStatus", STATUSES[n % 5]),
        ("statusCode", "Success"),
        ("statusMessage", "The transaction was explicitly cancelled by the caller."),
        ("operation", "PAY" if n % 2 else "RESERVE"),
        ("callerReference", f"ref-{n}"),
        ("transactionAmount", f"USD {n % 1000}.{n % 100:02d}"),
        ("paymentMethod", "CC"),
        ("buyerName", "Test Business"),
        ("buyerEmail", "buyer@example.com"),
        ("recipientEmail", "merchant@example.com"),
        ("signatureVersion", "2"),
        ("signatureMethod", "RSA-SHA1"),
        ("certificateUrl", "https://fps.sandbox.amazonaws.com/certs/090909/PKICert.pem"),
        ("signature", SIGNATURE + str(n)),
    ]


def _batches(start: int, stop: int, busy_every: int) -> Iterator[list[NewIpn]]:
    """IPNs ``start..stop``; every ``busy_every``-th belongs to BUSY_TXN."""
    batch: list[NewIpn] = []
    for n in range(start, stop):
        txn = BUSY_TXN if busy_every and n % busy_every == 0 else f"1{n:034d}"
        batch.append(NewIpn(from_pairs(_pairs(n, txn)), VERDICT, "benchmark"))
        if len(batch) == 1000:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(store: IpnStore, total: int, busy_every: int) -> float:
    began = time.perf_counter()
    for batch in _batches(0, total, busy_every):
        store.add_many(batch)
    return time.perf_counter() - began


def _best(fn: object, repeat: int = 5) -> float:
    assert callable(fn)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def _first_page(store: IpnStore) -> None:
    store.count(IpnFilter())
    store.page(IpnFilter(), limit=100)


def _row_at(store: IpnStore, n: int) -> IpnRecord:
    """The ``n``-th row, newest first (read once, before the clock runs)."""
    return next(itertools.islice(store.iter_all(newest_first=True, batch=5000), n, None))


def _timings(tmp: Path, total: int) -> list[Row]:
    busy_every = total // 1000  # 1,000 IPNs of BUSY_TXN spread through the whole range
    empty = IpnStore(open_database(tmp / "empty.sqlite3"))
    empty_page = _best(lambda: _first_page(empty))
    small = IpnStore(open_database(tmp / "small.sqlite3"))
    first_thousand = _insert(small, 1000, 1)  # all 1,000 are BUSY_TXN: open-transaction baseline
    small_open = _best(lambda: small.for_transaction(BUSY_TXN))
    assert len(small.for_transaction(BUSY_TXN)) == 1000

    full = IpnStore(open_database(tmp / "full.sqlite3"))
    insert_all = _insert(full, total, busy_every)
    assert full.count() == total
    assert len(full.for_transaction(BUSY_TXN)) == 1000
    full_open = _best(lambda: full.for_transaction(BUSY_TXN))
    full_page = _best(lambda: _first_page(full))
    # The row 90% of the way down, as the view would reach it after paging there by key.
    mark = _row_at(full, total - total // 10)
    deep = _best(lambda: full.page(IpnFilter(), limit=100, after=mark), repeat=3)
    scale = total / 1000
    return [
        Row(
            f"ipn store: insert {total:,} IPNs",
            insert_all,
            "s",
            first_thousand * scale,
            f"1,000 into empty x{scale:.0f}",
            "ratio <= 2",
            insert_all <= 2 * first_thousand * scale,
        ),
        Row(
            f"ipn store: open a txn with 1,000 IPNs among {total:,}",
            full_open * 1000,
            "ms",
            small_open * 1000,
            "same 1,000 alone",
            "ratio <= 2",
            full_open <= 2 * small_open,
        ),
        Row(
            f"ipn store: count + first page of 100 over {total:,}",
            full_page * 1000,
            "ms",
            empty_page * 1000,
            "empty store",
            "< 50 ms",
            full_page < 0.050,
        ),
        Row(
            f"ipn store: page of 100 after row {total - total // 10:,} (by key)",
            deep * 1000,
            "ms",
            full_page * 1000,
            "first page",
            "< 100 ms",
            deep < 0.100,
        ),
    ]


def _peak(fn: object) -> float:
    assert callable(fn)
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / (1024 * 1024)


def _memory(tmp: Path, total: int) -> Row:
    busy_every = total // 1000

    def empty_ops() -> None:
        store = IpnStore(open_database(tmp / "mem-empty.sqlite3"))
        store.for_transaction(BUSY_TXN)
        _first_page(store)

    def full_ops() -> None:
        store = IpnStore(open_database(tmp / "mem-full.sqlite3"))
        _insert(store, total, busy_every)
        store.for_transaction(BUSY_TXN)
        _first_page(store)

    baseline = _peak(empty_ops)
    peak = _peak(full_ops)
    return Row(
        f"ipn store: peak memory, insert {total:,} + open + page",
        peak,
        "MB",
        baseline,
        "empty store",
        "< +50 MB",
        peak - baseline < 50,
    )


def run(quick: bool) -> list[Row]:
    total = 10_000 if quick else 100_000
    with tempfile.TemporaryDirectory(prefix="fpsdesk-bench-ipn-") as name:
        tmp = Path(name)
        rows = _timings(tmp, total)
        rows.append(_memory(tmp, total))
    return rows


if __name__ == "__main__":
    from run import print_table

    print_table(run(quick="--quick" in sys.argv))
