"""Notifications view first paint over 1,000,000 IPNs: PostgreSQL and SQLite, side by side.

Each backend gets 1,000,000 IPNs seeded by one SQL statement (``generate_series`` on
PostgreSQL, a recursive CTE on SQLite; not one INSERT per row through Python), then ANALYZE
(and VACUUM on PostgreSQL, as its autovacuum would have done on a live history). PostgreSQL is
a database in a throwaway cluster (tests/fixtures/postgres.py) reached over loopback TCP, as a
team's desks reach theirs.

First paint is measured as in bench_ui_notifications.py: from constructing the view (a count
that stops past 100,000 and the first page of 200 rows, by key) through ``show()`` to the
table's first paint event; best of five after one cold run. Baseline: the same view over an
empty store on the same backend, in the same run. A second row per backend times the page the
model fetches deep in the list (the 200 rows after row 900,000, by key); its baseline is the
same 200 rows read with OFFSET 900,000, as the model used to.

Targets: first paint under 300 ms on PostgreSQL (issue 15) and on SQLite; the deep page under
50 ms (what scrolling needs to keep up).
"""

from __future__ import annotations

import itertools
import os
import pathlib
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from bench_ui_notifications import _first_paint_ms
from run import Row

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_MS = 300.0
FULL = 1_000_000
QUICK = 100_000

# One row of the seed, in SQL both backends speak: ``n`` is the row number; {series}, {when}
# and {hash} are the dialect's generator, epoch-to-text and 64-character key.
_COLUMNS = (
    "content_hash, params, notification_type, transaction_id, event_at, transaction_date,"
    " transaction_status, operation, status_code, currency, amount, verdict, reason_code, reason,"
    " verify_method, checked_at, endpoint_url, http_method, source, received_at,"
    " last_received_at, delivery_count, status_field"
)
_SELECT = """
SELECT {hash},
  '[["notificationType", "TransactionStatus"], ["transactionId", "' || txn || '"],'
  || ' ["transactionDate", "' || epoch || '"], ["transactionStatus", "' || upper(status)
  || '"], ["statusCode", "Success"], ["operation", "' || op || '"], ["callerReference",'
  || ' "ref-' || n || '"], ["transactionAmount", "USD ' || (n % 1000) || '.00"],'
  || ' ["signatureVersion", "2"], ["signatureMethod", "RSA-SHA1"], ["certificateUrl",'
  || ' "https://fps.sandbox.amazonaws.com/certs/090909/PKICert.pem"], ["signature",'
  || ' "c2lnbmF0dXJl' || n || '"]]',
  'TransactionStatus', txn, at, at, status, op, 'Success', 'USD', (n % 1000) || '.00',
  CASE WHEN n % 2 = 0 THEN 'verified' ELSE 'failed' END,
  CASE WHEN n % 2 = 0 THEN NULL ELSE 'bad_signature' END,
  CASE WHEN n % 2 = 0 THEN NULL ELSE 'bad signature' END,
  'local', at, 'https://merchant.example/ipn', 'POST', 'benchmark', at, at, 1,
  'transactionStatus'
FROM (
  SELECT n, epoch, {when} AS at,
    '1' || substr('000000' || (n / 10), -6, 6) || 'BBBBBBBBBBBBBBBBBBBBBBBBBBBB' AS txn,
    CASE n % 5 WHEN 0 THEN 'Success' WHEN 1 THEN 'Pending' WHEN 2 THEN 'Reserved'
      WHEN 3 THEN 'Cancelled' ELSE 'Failure' END AS status,
    CASE WHEN n % 2 = 1 THEN 'PAY' ELSE 'RESERVE' END AS op
  FROM (SELECT n, 1700000000 + n * 13 AS epoch FROM {series}) AS numbered
) AS seed
"""
_SQLITE = {
    "series": "(WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < ?)"
    " SELECT n FROM s)",
    "when": "strftime('%Y-%m-%dT%H:%M:%S.000+00:00', epoch, 'unixepoch')",
    "hash": "printf('%064d', n)",
}
_POSTGRES = {
    "series": "generate_series(0, ?::bigint) AS s(n)",
    "when": "to_char(to_timestamp(epoch) AT TIME ZONE 'UTC',"
    ' \'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"\')',
    "hash": "lpad(n::text, 64, '0')",
}


def _seed(conn: Any, dialect: dict[str, str], total: int) -> None:
    """``total`` IPNs in one INSERT … SELECT, one transaction."""
    sql = f"INSERT INTO ipns ({_COLUMNS}) " + _SELECT.format(**dialect)
    if conn.backend == "postgresql":
        sql = sql.replace("substr('000000' || (n / 10), -6, 6)", "lpad((n / 10)::text, 6, '0')")
    from fpsdesk.store.db import transaction

    with transaction(conn):
        conn.execute(sql, (total - 1,))


def _best(fn: Callable[[], object], repeat: int = 5) -> float:
    fn()  # cold
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times) * 1000


def _offset_page(conn: Any, offset: int) -> list[Any]:
    """The same page the old way (LIMIT/OFFSET), read into records the same way."""
    from fpsdesk.store.ipn_records import ipn_record

    rows = conn.execute(
        "SELECT * FROM ipns ORDER BY event_at DESC, id DESC LIMIT 200 OFFSET ?", (offset,)
    ).fetchall()
    return [ipn_record(r) for r in rows]


def _measure(name: str, empty_conn: Any, full_conn: Any, total: int) -> list[Row]:
    from fpsdesk.store.ipns import IpnStore

    empty, full = IpnStore(empty_conn), IpnStore(full_conn)
    assert full.count() == total, f"{name}: seeded {full.count():,} of {total:,}"
    first = full.page(limit=200)
    # The seed reads back as real records (params, status, amount, environment), newest first.
    assert [r.event_at for r in first] == sorted((r.event_at for r in first), reverse=True)
    assert {r.environment for r in first} == {"Sandbox"}
    deep_after = next(
        itertools.islice(full.iter_all(newest_first=True, batch=10_000), total * 9 // 10, None)
    )
    empty_ms = _best(lambda: _first_paint_ms(empty))
    full_ms = _best(lambda: _first_paint_ms(full))
    deep_page = _best(lambda: full.page(limit=200, after=deep_after))
    by_offset = _best(lambda: _offset_page(full_conn, total * 9 // 10), repeat=3)
    return [
        Row(
            f"ui: Notifications first paint, {total:,} IPNs, {name}",
            full_ms,
            "ms",
            empty_ms,
            "empty store",
            f"< {TARGET_MS:.0f} ms",
            full_ms < TARGET_MS,
        ),
        Row(
            f"ipn store: page of 200 after row {total * 9 // 10:,} (by key), {name}",
            deep_page,
            "ms",
            by_offset,
            "same page by OFFSET",
            "< 50 ms",
            deep_page < 50,
        ),
    ]


def run(quick: bool) -> list[Row]:
    from fpsdesk.store.db import open_database
    from fpsdesk.ui.application import create_application
    from tests.fixtures.postgres import running_cluster

    create_application()
    total = QUICK if quick else FULL
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="fpsdesk-bench-notif-pg-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(pathlib.Path(tmp) / "config")
        with running_cluster() as server:
            empty_db = open_database(server.url(server.create_database()))
            full_db = open_database(server.url(server.create_database()))
            try:
                _seed(full_db, _POSTGRES, total)
                full_db.execute("VACUUM ANALYZE ipns")
                rows += _measure("PostgreSQL", empty_db, full_db, total)
            finally:
                empty_db.close()
                full_db.close()
        empty_db = open_database(pathlib.Path(tmp) / "empty.sqlite3")
        full_db = open_database(pathlib.Path(tmp) / "full.sqlite3")
        try:
            _seed(full_db, _SQLITE, total)
            full_db.execute("ANALYZE")
            rows += _measure("SQLite", empty_db, full_db, total)
        finally:
            empty_db.close()
            full_db.close()
    return rows


if __name__ == "__main__":
    from run import print_table

    print_table(run(quick="--quick" in sys.argv))
