"""FpsClient against the sandbox on loopback, beside floors measured in the same run.

Every side sends the same kind of signed GetTransactionStatus request to one ``fpsdesk
sandbox`` subprocess (so server time is paid by all, and the server does not share our GIL):

- client: ``FpsClient.get_transaction_status`` (sign, POST, bounded read, parse XML);
- floor: the same requests signed beforehand, sent as ready-made form bodies over one
  keep-alive ``http.client.HTTPConnection`` that only reads the answer: what any Python
  client on this machine pays at least;
- requests.Session: the same pre-signed bodies through a plain ``requests.Session`` (a second
  baseline: the usual way to send them).

Blocks of the three alternate, so all see the same machine load. Rows: requests per second
(target: the client at 75% or more of the http.client floor), p50 latency (target: within
1/0.75 = 1.33 times the floor's), p99 and mean latency for information, and the calling
thread's own CPU time per request (``time.thread_time``: what the client itself costs, which
the scheduler's noise on a shared machine moves much less than wall time).
"""

from __future__ import annotations

import http.client
import pathlib
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


class _Cpu:
    """The calling thread's CPU seconds over the blocks of one side."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.requests = 0

    def add(self, block: Callable[..., list[float]], *args: Any) -> list[float]:
        started = time.thread_time()
        times = block(*args)
        self.seconds += time.thread_time() - started
        self.requests += len(times)
        return times

    @property
    def per_request_us(self) -> float:
        return self.seconds / max(1, self.requests) * 1e6


def _floor_block(connection: http.client.HTTPConnection, bodies: list[bytes]) -> list[float]:
    out = []
    headers = {"Content-Type": FORM}
    for body in bodies:
        start = time.perf_counter()
        connection.request("POST", "/", body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        out.append(time.perf_counter() - start)
        if answer.status != 200:
            raise RuntimeError(f"floor request failed: {answer.status}")
    return out


def _session_block(session: requests.Session, url: str, bodies: list[bytes]) -> list[float]:
    out = []
    for body in bodies:
        start = time.perf_counter()
        answer = session.post(url, data=body, headers={"Content-Type": FORM}, timeout=10)
        answer.content  # noqa: B018 - read the whole answer, as the client does
        out.append(time.perf_counter() - start)
        if answer.status_code != 200:
            raise RuntimeError(f"session request failed: {answer.status_code} {answer.text[:200]}")
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
        parts = urlsplit(url)
        assert parts.hostname is not None
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        session = requests.Session()
        session.trust_env = False
        client_times: list[float] = []
        floor_times: list[float] = []
        session_times: list[float] = []
        client_cpu, floor_cpu = _Cpu(), _Cpu()
        _client_block(client, txn_id, 50)  # warm-up: connections, imports, caches
        _floor_block(connection, _presigned(url, txn_id, 50))
        _session_block(session, url, _presigned(url, txn_id, 50))
        for _ in range(blocks):
            bodies = _presigned(url, txn_id, per_block)  # signed outside the timed loop
            floor_times.extend(floor_cpu.add(_floor_block, connection, bodies))
            client_times.extend(client_cpu.add(_client_block, client, txn_id, per_block))
            bodies = _presigned(url, txn_id, per_block)
            session_times.extend(_session_block(session, url, bodies))
        client.close()
        session.close()
        connection.close()
    finally:
        process.terminate()
        process.wait(20)
    cpu = Row(
        "client GetTransactionStatus CPU per request",
        client_cpu.per_request_us,
        "µs",
        floor_cpu.per_request_us,
        "pre-signed http.client's own",
    )
    return [*_rows(client_times, floor_times, session_times), cpu]


def _rows(client: list[float], floor: list[float], session: list[float]) -> list[Row]:
    floor_name = "pre-signed http.client"
    client_rps, floor_rps = len(client) / sum(client), len(floor) / sum(floor)
    session_rps = len(session) / sum(session)
    rows = [
        Row("http.client floor GetTransactionStatus", floor_rps, "req/s"),
        Row(
            "requests.Session GetTransactionStatus",
            session_rps,
            "req/s",
            floor_rps,
            floor_name,
        ),
        Row(
            "client GetTransactionStatus",
            client_rps,
            "req/s",
            floor_rps,
            floor_name,
            "ratio >= 0.75",
            client_rps >= 0.75 * floor_rps,
        ),
        Row(
            "client GetTransactionStatus vs requests.Session",
            client_rps,
            "req/s",
            session_rps,
            "pre-signed requests.Session",
        ),
    ]
    for name, q, target in (("p50", 0.50, 1 / 0.75), ("p99", 0.99, None)):
        mine, base = _p(client, q) * 1000, _p(floor, q) * 1000
        rows.append(
            Row(
                f"client GetTransactionStatus {name} latency",
                mine,
                "ms",
                base,
                floor_name,
                f"ratio <= {target:.2f}" if target else "",
                mine <= target * base if target else None,
            )
        )
    rows.append(
        Row(
            "client GetTransactionStatus mean latency",
            statistics.fmean(client) * 1000,
            "ms",
            statistics.fmean(floor) * 1000,
            floor_name,
        )
    )
    return rows
