"""The IPN receiver under gunicorn with 4 workers: PostgreSQL against SQLite, side by side.

Each run starts ``gunicorn -w 4 fpsdesk.ipn.wsgi:application`` on loopback with
``FPSDESK_IPN_DB`` pointing at a fresh history (a SQLite file, then a database in a throwaway
PostgreSQL cluster started for this benchmark with fsync on, like SQLite's synchronous=FULL),
signature checks off (the network fetch of a certificate is not what is compared), and posts
distinct IPNs from 16 client threads for a fixed time. Every 200 is a committed row.

Row: PostgreSQL requests/s; baseline: SQLite's in the same run; target: ratio >= 1.0.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import requests
from run import Row

from tests.fixtures.postgres import running_cluster
from tests.ipn.helpers import ipn_fields

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
CLIENTS = 16
WORKERS = 4


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _gunicorn(db: str) -> Iterator[str]:
    port = _port()
    env = {**os.environ, "FPSDESK_IPN_DB": db, "FPSDESK_IPN_VERIFY": "off"}
    command = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        [*command, "--log-level", "warning", "fpsdesk.ipn.wsgi:application"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(url + "healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, 15)
        process.wait(30)


def _load(url: str, seconds: float, prefix: str) -> float:
    """Requests per second acknowledged with 200 by ``url`` over ``seconds``."""
    stop = time.monotonic() + seconds
    counts = [0] * CLIENTS

    def client(n: int) -> None:
        with requests.Session() as session:
            i = 0
            while time.monotonic() < stop:
                txn = f"1{prefix}{n:03d}{i:030d}"[:35]
                reply = session.post(url, data=urlencode(ipn_fields(txn)), headers=FORM, timeout=30)
                if reply.status_code == 200:
                    counts[n] += 1
                i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - began)


def run(quick: bool) -> list[Row]:
    seconds = 3.0 if quick else 15.0
    with tempfile.TemporaryDirectory() as tmp, _gunicorn(str(Path(tmp) / "h.sqlite3")) as url:
        sqlite_rate = _load(url, seconds, "S")
    with running_cluster(durable=True) as server:
        database = server.create_database()
        with _gunicorn(server.url(database)) as url:
            postgres_rate = _load(url, seconds, "P")
    return [
        Row(
            f"receiver, gunicorn {WORKERS} workers, PostgreSQL",
            postgres_rate,
            "req/s",
            baseline=sqlite_rate,
            baseline_name="same on SQLite",
            target="ratio >= 1.0",
            ok=postgres_rate >= sqlite_rate,
        )
    ]
