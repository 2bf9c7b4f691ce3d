"""150 idle connections must not hold up a real IPN: the receiver listened with the stdlib's
backlog of 5 (p90 connect time 1.02 s with 150 idle connections open, against 0.000 s for the
sandbox's 128). It now listens with a backlog of 128 and closes a silent connection after its
idle timeout. No timing is asserted: the POST must be answered, within a generous timeout."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlencode

import requests

from fpsdesk.ipn.receiver import ReceiverServer, make_app
from fpsdesk.store import IpnStore, open_database
from tests.ipn.helpers import TXN_ID, ipn_fields


def test_a_real_ipn_is_answered_with_150_idle_connections_open(tmp_path: Path) -> None:
    store = IpnStore(open_database(tmp_path / "history.sqlite3"))
    server = ReceiverServer(make_app(store=store), idle_timeout=2.0).start()
    idle: list[socket.socket] = []
    try:
        assert server.request_queue_size >= 128
        for _ in range(150):
            idle.append(socket.create_connection(("127.0.0.1", server.port), timeout=60))
        answer = requests.post(
            server.url,
            data=urlencode(ipn_fields()),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        assert [r.transaction_id for r in store.iter_all()] == [TXN_ID]
        # Each idle connection is closed by the server once its idle timeout has passed:
        # a read sees the end of the stream (the client's own timeout is only a safety net).
        for sock in idle:
            assert sock.recv(1) == b""
    finally:
        for sock in idle:
            sock.close()
        server.stop()
