"""The quarantine cannot fill the disk: 100 distinct 1 MiB garbage POSTs each got a 400 and each
body was kept whole (the history grew from 4.9 MB to 108 MB). Now only a prefix of each body is
kept, with its full size and hash, within caps on rows and bytes; what the caps drop is counted
and shown by ``fpsdesk ipn quarantine``; genuine IPNs are never dropped for it."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from fpsdesk.ipn.receiver import ReceiverServer, make_app
from fpsdesk.store import IpnStore, open_database
from fpsdesk.store.ipns import QuarantineLimits
from fpsdesk.store.schema import MIGRATIONS
from tests.ipn.helpers import ipn_fields

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def _files_size(db: Path) -> int:
    """The database with its WAL and shared-memory files: all it takes on disk."""
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


@pytest.fixture
def history_file(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


def _serve(store: IpnStore) -> ReceiverServer:
    return ReceiverServer(make_app(store=store, trusted_hosts=["127.0.0.1:1"])).start()


def test_a_flood_of_megabyte_garbage_keeps_only_prefixes(history_file: Path) -> None:
    store = IpnStore(open_database(history_file))
    before = _files_size(history_file)
    server = _serve(store)
    digests = {}
    try:
        with requests.Session() as session:
            for n in range(100):
                head = f"junk{n}=".encode()
                body = head + bytes([n % 251]) * (MIB - len(head))
                digests[hashlib.sha256(body).hexdigest()] = len(body)
                answer = session.post(server.url, data=body, headers=FORM, timeout=60)
                assert answer.status_code == 400, answer.text
    finally:
        server.stop()
    grown = _files_size(history_file) - before
    assert grown < 4 * MIB, f"the history grew by {grown} bytes for 100 refused bodies"
    kept = store.quarantined(limit=1000)
    assert len(kept) == 100
    for record in kept:
        assert len(record.body) == store.quarantine_limits.prefix
        assert record.truncated
        assert digests[record.content_hash] == record.size == MIB


def test_the_caps_drop_the_oldest_count_them_and_never_touch_ipns(history: Path | str) -> None:
    """Through the receiver and the command line, on both backends."""
    limits = QuarantineLimits(prefix=64, rows=5, bytes=250)
    store = IpnStore(open_database(history), quarantine_limits=limits)
    server = _serve(store)
    genuine = [f"1{n:034d}" for n in range(6)]
    try:
        with requests.Session() as session:
            for n in range(20):
                if n % 4 == 0:
                    ipn = urlencode(ipn_fields(genuine[n // 4]))
                    assert session.post(server.url, data=ipn, headers=FORM, timeout=10).ok
                garbage = f"garbage number {n}: ".encode() + b"x" * 100
                answer = session.post(server.url, data=garbage, headers=FORM, timeout=10)
                assert answer.status_code == 400
            # A repeat of a kept body is one more delivery, not a new row.
            answer = session.post(server.url, data=garbage, headers=FORM, timeout=10)
            assert answer.status_code == 400
            for txn in genuine[5:]:
                ipn = urlencode(ipn_fields(txn))
                assert session.post(server.url, data=ipn, headers=FORM, timeout=10).ok
    finally:
        server.stop()
    kept = store.quarantined()
    assert len(kept) <= limits.rows
    assert sum(len(r.body) for r in kept) <= limits.bytes
    assert all(len(r.body) <= limits.prefix for r in kept)
    assert kept[0].body.startswith(b"garbage number 19: ")
    assert kept[0].delivery_count == 2
    dropped = store.quarantine_dropped()
    assert dropped.bodies == 20 - len(kept)
    assert dropped.deliveries == dropped.bodies
    assert {r.transaction_id for r in store.iter_all()} == set(genuine)  # none dropped

    shown = subprocess.run(
        [sys.executable, "-m", "fpsdesk", "ipn", "quarantine", "--db", str(history)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert shown.returncode == 0, shown.stderr
    assert f"{dropped.bodies} older bodies ({dropped.deliveries} deliveries) were dropped" in (
        shown.stdout
    )
    assert f"sha256 {kept[0].content_hash}" in shown.stdout


def test_a_history_from_before_the_caps_is_cut_down_when_opened(history_file: Path) -> None:
    """Schema 3 kept whole bodies; the quarantine migration (6) keeps their prefix, size, hash."""
    history = history_file
    conn = sqlite3.connect(history)
    for statements in MIGRATIONS[:3]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    big = b"z" * (3 * MIB)
    digest = hashlib.sha256(big).hexdigest()
    conn.execute(
        "INSERT INTO ipn_quarantine (content_hash, body, content_type, error, source,"
        " received_at, last_received_at, delivery_count) VALUES (?,?,?,?,?,?,?,1)",
        (
            digest,
            big,
            None,
            "not an IPN",
            "http x",
            "2024-01-01T00:00:00.000+00:00",
            "2024-01-01T00:00:00.000+00:00",
        ),
    )
    conn.commit()
    conn.close()
    store = IpnStore(open_database(history))
    (record,) = store.quarantined()
    assert (len(record.body), record.size, record.content_hash) == (4096, 3 * MIB, digest)
    assert store.quarantine_dropped().bodies == 0
