"""FpsClient against the sandbox on loopback, beside a floor measured in the same run.

Both sides send the same signed GetTransactionStatus requests to one ``fpsdesk sandbox``
subprocess (so server time is paid by both, and the server does not share our GIL):

- client: ``FpsClient.get_transaction_status`` (sign, POST, bounded read, parse XML);
- floor: the same requests signed beforehand, sent as ready-made form bodies with a plain
  ``requests.Session`` that only reads the answer.

Blocks of client and floor requests alternate, so both see the same machine load. Rows:
requests per second (target: the client at 80% or more of the floor), p50 and p99 latency
(target: within 1/0.8 = 1.25 times the floor's).
"""

from __future__ import annotations

import pathlib
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from run import Row
from sandbox_process import start_sandbox

from fpsdesk.fps.client import FpsClient, format_timestamp
from fpsdesk.fps.signing import percent_encode, sign_request
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

ROOT = Path(__file__).resolve().parents[1]
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def _presigned(url: str, txn_id: str, count: int) -> list[bytes]:
    bodies = []
    for _ in range(count):
        signed = sign_request(
            {"Action": "GetTransactionStatus", "Version": "2008-09-17", "TransactionId": txn_id},
            method="POST",
            url=url,
            access_key_id=DEFAULT_ACCESS_KEY,
            secret_key=DEFAULT_SECRET_KEY,
            timestamp=format_timestamp(datetime.now(UTC)),
        )
        bodies.append(
            "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in signed.items()).encode(
                "ascii"
            )
        )
    return bodies


def _floor_block(session: requests.Session, url: str, bodies: list[bytes]) -> list[float]:
    out = []
    for body in bodies:
        start = time.perf_counter()
        answer = session.post(url, data=body, headers={"Content-Type": FORM}, timeout=10)
        answer.content  # noqa: B018 - read the whole answer, as the client does
        out.append(time.perf_counter() - start)
        if answer.status_code != 200:
            raise RuntimeError(f"floor request failed: {answer.status_code} {answer.text[:200]}")
    return out


def _client_block(client: FpsClient, txn_id: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        start = time.perf_counter()
        client.get_transaction_status(txn_id)
        out.append(time.perf_counter() - start)
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(quick: bool) -> list[Row]:
    blocks, per_block = (4, 100) if quick else (10, 300)
    process, url = start_sandbox()
    try:
        created = requests.post(
            f"{url}_sandbox/transactions", json={"status": "Reserved"}, timeout=10
        )
        txn_id = created.json()["transaction_id"]
        client = FpsClient(url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
        session = requests.Session()
        session.trust_env = False
        client_times: list[float] = []
        floor_times: list[float] = []
        _client_block(client, txn_id, 50)  # warm-up: connections, imports, caches
        _floor_block(session, url, _presigned(url, txn_id, 50))
        for _ in range(blocks):
            bodies = _presigned(url, txn_id, per_block)  # signed outside the timed loop
            floor_times.extend(_floor_block(session, url, bodies))
            client_times.extend(_client_block(client, txn_id, per_block))
        client.close()
        session.close()
    finally:
        process.terminate()
        process.wait(20)
    client_rps = len(client_times) / sum(client_times)
    floor_rps = len(floor_times) / sum(floor_times)
    rows = [
        Row(
            "client GetTransactionStatus",
            client_rps,
            "req/s",
            floor_rps,
            "pre-signed requests.Session",
            "ratio >= 0.80",
            client_rps >= 0.8 * floor_rps,
        ),
    ]
    for name, q in (("p50", 0.50), ("p99", 0.99)):
        mine, base = _p(client_times, q) * 1000, _p(floor_times, q) * 1000
        rows.append(
            Row(
                f"client GetTransactionStatus {name} latency",
                mine,
                "ms",
                base,
                "pre-signed requests.Session",
                "ratio <= 1.25",
                mine <= 1.25 * base,
            )
        )
    rows.append(
        Row(
            "client GetTransactionStatus mean latency",
            statistics.fmean(client_times) * 1000,
            "ms",
            statistics.fmean(floor_times) * 1000,
            "pre-signed requests.Session",
        )
    )
    return rows
