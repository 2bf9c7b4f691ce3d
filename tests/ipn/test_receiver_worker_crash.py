"""The receiver under gunicorn with several workers, one of them killed (``kill -9``) mid-burst.

Real processes on both backends: ``gunicorn -w 3 fpsdesk.ipn.wsgi:application`` writing to a
SQLite file or a PostgreSQL database, signed IPNs (checked against a certificate served on
loopback) posted by several client threads at once. Mid-burst the test sends SIGKILL to a
worker (a child of the gunicorn master) while it is reading an IPN: the test sends all of that
IPN but its last byte, finds the worker holding the connection (its socket in /proc), and kills
it, twice. gunicorn starts new workers. The cut-off IPN gets no answer; FPS delivers anything
not acknowledged again, and so does the test. Afterwards every notification is stored exactly
once (one row per transaction ID), every one that got 200 on its first delivery counts exactly
that delivery, and nothing was acknowledged without being stored.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from fpsdesk.records.ipn import IpnVerdict
from fpsdesk.store import IpnStore, open_database
from tests.fixtures.cli import cli_env, wait_until
from tests.fixtures.processes import Children, descendants
from tests.ipn.helpers import CERT_PATH, CertServer, Signer, ipn_fields

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
ENDPOINT = "https://merchant.example.com/ipn"
WORKERS = 3
CLIENTS = 6
BURST = 240  # distinct notifications
KILLS = 2  # workers killed, one after another, while the burst runs
NO_ANSWER = 0  # the connection broke: no HTTP status at all


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workers(master: int) -> set[int]:
    return {p.pid for p in descendants(master) if p.ppid == master}


@contextlib.contextmanager
def _gunicorn(
    children: Children, history: Path | str, certs: CertServer
) -> Iterator[tuple[str, int]]:
    """gunicorn's URL and master pid, once every worker is up and /healthz answers 200."""
    port = _port()
    env = cli_env(
        FPSDESK_IPN_DB=str(history),
        FPSDESK_IPN_TRUST=certs.host_port,
        FPSDESK_IPN_ENDPOINT_URL=ENDPOINT,
        FPSDESK_IPN_VERIFY="local",
    )
    master = children.start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "fpsdesk.ipn.wsgi:application",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"

    def healthy() -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(url + "healthz", timeout=5).status_code == 200
        return False

    assert wait_until(healthy, timeout=60), "gunicorn did not come up"
    assert wait_until(lambda: len(_workers(master.pid)) == WORKERS, timeout=30)
    yield url, master.pid


def _post(session: requests.Session, url: str, body: str) -> int:
    try:
        return session.post(url, data=body, headers=FORM, timeout=60).status_code
    except requests.ConnectionError:  # the worker died with the request: no answer
        return NO_ANSWER


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of one loopback connection (from /proc/net/tcp)."""
    local = f"0100007F:{server_port:04X}"
    remote = f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return fields[9]
    return None


def _serving(master: int, server_port: int, client: socket.socket) -> int | None:
    """The worker that has accepted ``client``'s connection, if one has yet."""
    inode = _socket_inode(server_port, client.getsockname()[1])
    if inode is None:
        return None
    for pid in _workers(master):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                        return pid
    return None


def _kill_mid_request(url: str, master: int, body: str) -> tuple[int, int]:
    """Send all of an IPN but its last byte, SIGKILL the worker reading it, and return
    (that worker's pid, the HTTP status the sender got: NO_ANSWER when the connection broke)."""
    port = int(url.rsplit(":", 1)[1].strip("/"))
    data = body.encode()
    head = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: {FORM['Content-Type']}\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sender:
        sender.sendall(head + data[:-1])
        victim: list[int] = []

        def found() -> bool:
            pid = _serving(master, port, sender)
            victim.extend([pid] if pid is not None else [])
            return bool(victim)

        assert wait_until(found, timeout=30), "no worker took the half-sent IPN"
        os.kill(victim[0], signal.SIGKILL)
        try:
            reply = sender.recv(100)
        except ConnectionResetError:
            reply = b""
    status = int(reply.split()[1]) if reply.startswith(b"HTTP/") else NO_ANSWER
    return victim[0], status


@pytest.mark.slow
def test_every_acknowledged_ipn_survives_a_killed_worker_exactly_once(
    children: Children, history: Path | str, signer: Signer, certs: CertServer
) -> None:
    certs.files[CERT_PATH] = signer.pem
    open_database(history).close()  # migrated once, before the workers start
    burst = [f"1{n:034d}" for n in range(BURST)]
    cut = [f"2{n:034d}" for n in range(KILLS)]  # the IPNs the killed workers were reading
    txns = burst + cut
    bodies = {
        t: urlencode(
            signer.sign(
                ipn_fields(t), endpoint_url=ENDPOINT, certificate_url=certs.cert_url(CERT_PATH)
            )
        )
        for t in txns
    }
    answers: dict[str, list[int]] = {t: [] for t in txns}
    done = threading.Semaphore(0)

    with _gunicorn(children, history, certs) as (url, master):
        first_workers = _workers(master)

        def client(n: int) -> None:
            with requests.Session() as session:
                for txn in burst[n::CLIENTS]:
                    answers[txn].append(_post(session, url, bodies[txn]))
                    done.release()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        killed: list[int] = []
        answered = 0
        for k, txn in enumerate(cut):
            while answered < BURST * (k + 1) // (KILLS + 2):  # a quarter, a half of the burst
                done.acquire()
                answered += 1
            victim, status = _kill_mid_request(url, master, bodies[txn])
            answers[txn].append(status)
            killed.append(victim)
        mid_burst = answered
        for t in threads:
            t.join()
        # gunicorn replaced every killed worker.
        assert wait_until(
            lambda: len(_workers(master)) == WORKERS and not _workers(master) & set(killed),
            timeout=30,
        )
        assert _workers(master) != first_workers
        # FPS delivers again whatever was not acknowledged (a broken connection, a 503).
        unacknowledged = [t for t in txns if answers[t][-1] != 200]
        with requests.Session() as session:
            for txn in unacknowledged:
                for _ in range(5):
                    answers[txn].append(_post(session, url, bodies[txn]))
                    if answers[txn][-1] == 200:
                        break
                    time.sleep(0.2)

    assert mid_burst < BURST, "the burst was over before the last kill"
    assert all(answers[t][0] == NO_ANSWER for t in cut), "a killed worker answered"
    assert all(codes[-1] == 200 for codes in answers.values()), {
        t: c for t, c in answers.items() if c[-1] != 200
    }
    # Before the final 200 only "no answer" or "retry later": never a 4xx that FPS would drop.
    assert all(set(codes[:-1]) <= {NO_ANSWER, 503} for codes in answers.values())
    store = IpnStore(open_database(history))
    assert store.count() == len(txns)
    for txn in txns:
        (record,) = store.for_transaction(txn)  # exactly one row each
        assert record.verdict is IpnVerdict.VERIFIED
        deliveries = answers[txn]
        if deliveries[0] == 200 or txn in cut:
            # Acknowledged at once, or cut off before its body was whole: one delivery stored.
            assert record.delivery_count == 1
        else:
            # A worker killed between its commit and its answer: the retry counts a second
            # delivery of the same row, never a second row.
            assert 1 <= record.delivery_count <= len(deliveries)
    lost = sum(codes.count(NO_ANSWER) for codes in answers.values())
    print(f"requests cut off by the {KILLS} killed workers: {lost}; all {len(txns)} stored once")
