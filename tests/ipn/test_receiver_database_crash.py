"""The receiver on a shared PostgreSQL history whose server is killed (``kill -9``) mid-burst.

An IPN is acknowledged (200) only once its row is committed. While the server is down the
receiver answers 503 (FPS retries later), and so does ``/healthz``; once it is back, the
receiver reconnects by itself. After recovery, with FPS's retries of everything not
acknowledged, every notification is stored exactly once, and none that got 200 was lost.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import requests

from fpsdesk.ipn.receiver import ReceiverServer, make_app
from fpsdesk.store import IpnStore, open_database
from tests.fixtures.cli import wait_until
from tests.fixtures.postgres import PostgresServer
from tests.ipn.helpers import ipn_fields

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
BURST = 60


def _restart(server: PostgresServer) -> None:
    """Start again after the crash (its backends may take a moment to notice and exit)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            server.start()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _health(session: requests.Session, receiver: ReceiverServer) -> int:
    return session.get(receiver.url + "healthz", timeout=30).status_code


def test_every_acknowledged_ipn_survives_a_database_crash_exactly_once(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    store = IpnStore(open_database(postgres_url))
    txns = [f"1{n:034d}" for n in range(BURST)]
    bodies = {t: urlencode(ipn_fields(t)) for t in txns}
    answers: dict[str, list[int]] = {t: [] for t in txns}
    app = make_app(store=store, trusted_hosts=["127.0.0.1:1"])
    health: list[int] = []
    with ReceiverServer(app) as receiver, requests.Session() as session:
        for n, txn in enumerate(txns):
            if n == BURST // 3:
                health.append(session.get(receiver.url + "healthz", timeout=30).status_code)
                postgres_server.kill()  # kill -9 of the postmaster, mid-burst
                # Its backends notice within moments; a load balancer polls until then.
                assert wait_until(lambda: _health(session, receiver) == 503, timeout=10)
                health.append(503)
            if n == 2 * BURST // 3:
                _restart(postgres_server)
                health.append(session.get(receiver.url + "healthz", timeout=30).status_code)
            reply = session.post(receiver.url, data=bodies[txn], headers=FORM, timeout=30)
            answers[txn].append(reply.status_code)
        down = [t for t in txns if answers[t][-1] != 200]
        # FPS retries what was not acknowledged; the receiver has reconnected by itself.
        for txn in down:
            reply = session.post(receiver.url, data=bodies[txn], headers=FORM, timeout=30)
            answers[txn].append(reply.status_code)
    assert health == [200, 503, 200]  # /healthz follows the database, for a load balancer
    assert down, "the crash did not refuse anything: it did not happen mid-burst"
    assert all(set(codes[:-1]) <= {503} for codes in answers.values())
    assert all(codes[-1] == 200 for codes in answers.values())
    after = IpnStore(open_database(postgres_url))
    for txn in txns:
        (record,) = after.for_transaction(txn)  # exactly one row each
        assert record.delivery_count == answers[txn].count(200) == 1
    assert after.count() == BURST
    print(f"refused while the database was down: {len(down)} of {BURST}; all stored once after")
