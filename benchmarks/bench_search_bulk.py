"""Search over a large account and the bulk dry run, each beside a baseline from the same run.

One ``fpsdesk sandbox --demo-size N`` subprocess (100,000 transactions over 90 days; 5,000
with ``--quick``) serves both sides, so server time is paid by both:

- search, first matches: seconds from starting a 90-day search (nothing cached) until the
  first matches are handed over (target < 1 s), beside one plain GetAccountActivity page;
- search, whole scan: transactions per second of the Searcher over all 90 days (it also keeps
  every page in the history) against a plain paging loop of FpsClient.get_account_activity
  over the same pages (target: ratio >= 0.80);
- dry run: IDs checked per second by BulkDesk.dry_run (several reads at once) against a loop
  reading the same IDs one at a time (target: ratio >= 3). The sandbox answers these reads
  after an injected 20 ms, as FPS over the internet did (tens to hundreds of ms); on loopback
  with no latency the two cores, not waiting, would be all that is measured;
- dry run memory: the Python heap's peak growth while checking them (target < 50 MB).
"""

from __future__ import annotations

import json
import pathlib
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from run import Row
from sandbox_process import start_sandbox

from fpsdesk.desk.bulk import BulkDesk
from fpsdesk.desk.bulk_input import read_lines
from fpsdesk.desk.search import Searcher, SearchQuery
from fpsdesk.fps.client import FpsClient
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.activity import ActivityCache
from fpsdesk.store.bulk import BulkStore
from fpsdesk.store.db import open_database

ROOT = Path(__file__).resolve().parents[1]


def _control(url: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{url}_sandbox/{path}", data=data, method="POST" if data else "GET"
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


def _client(url: str) -> FpsClient:
    return FpsClient(url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, timeout=(5.0, 60.0))


def _plain_scan(client: FpsClient, start: datetime) -> int:
    end: datetime | None = None
    seen = 0
    while True:
        page = client.get_account_activity(
            start, end, max_batch_size=200, sort_order_by_date="Descending"
        )
        seen += len(page.transactions)
        if page.start_time_for_next_transaction is None:
            return seen
        end = page.start_time_for_next_transaction


def run(quick: bool) -> list[Row]:
    size = 5_000 if quick else 100_000
    checks = 1_000 if quick else 10_000
    process, url = start_sandbox("--demo-size", str(size))
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory() as tmp, _client(url) as client:
            start = datetime.now(UTC) - timedelta(days=90, minutes=5)
            # One plain page: what a first answer cannot beat.
            t0 = time.perf_counter()
            client.get_account_activity(start, None, max_batch_size=200)
            one_page = time.perf_counter() - t0

            db = open_database(Path(tmp) / "history.sqlite3")
            first: list[float] = []
            t0 = time.perf_counter()

            def on_matches(found: object) -> None:
                if not first:
                    first.append(time.perf_counter() - t0)

            searcher = Searcher(client, ActivityCache(db))
            result = searcher.search(SearchQuery(start=start), on_matches=on_matches)
            searched = time.perf_counter() - t0
            rows.append(
                Row(
                    "search: first matches (90 days, nothing cached)",
                    first[0] if first else searched,
                    "s",
                    one_page,
                    "one plain page",
                    "< 1 s",
                    bool(first) and first[0] < 1.0,
                )
            )
            t0 = time.perf_counter()
            plain = _plain_scan(client, start)
            plain_time = time.perf_counter() - t0
            search_rate = result.progress.scanned / searched
            plain_rate = plain / plain_time
            rows.append(
                Row(
                    f"search: whole scan ({result.progress.scanned:,} txns, cached as read)",
                    search_rate,
                    "txn/s",
                    plain_rate,
                    "plain paging loop",
                    "ratio >= 0.80",
                    search_rate / plain_rate >= 0.80,
                )
            )
            ids = [t["transaction_id"] for t in _control(url, "transactions")["transactions"]]  # type: ignore[index]
            ids = ids[:checks]
            _control(
                url,
                "faults",
                {"action": "GetTransaction", "kind": "delay", "delay_ms": 20, "times": None},
            )
            sample = ids[: max(50, checks // 20)]
            t0 = time.perf_counter()
            for txn in sample:
                client.get_transaction(txn)
            loop_rate = len(sample) / (time.perf_counter() - t0)
            desk = BulkDesk(client, ActionStore(db), BulkStore(db))
            lines = read_lines("\n".join(ids))
            tracemalloc.start()
            base, _ = tracemalloc.get_traced_memory()
            t0 = time.perf_counter()
            dry = desk.dry_run(lines, source="benchmark")
            dry_time = time.perf_counter() - t0
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            dry_rate = len(dry.items) / dry_time
            rows.append(
                Row(
                    f"bulk dry run ({len(ids):,} IDs, 20 ms per read)",
                    dry_rate,
                    "IDs/s",
                    loop_rate,
                    "one at a time",
                    "ratio >= 3",
                    dry_rate / loop_rate >= 3,
                )
            )
            growth = (peak - base) / 1e6
            rows.append(
                Row(
                    f"bulk dry run memory growth ({len(ids):,} IDs)",
                    growth,
                    "MB",
                    target="< 50 MB",
                    ok=growth < 50,
                )
            )
            db.close()
    finally:
        process.terminate()
        process.wait(10)
    return rows


if __name__ == "__main__":
    from run import print_table

    print_table(run(quick="--quick" in sys.argv))
