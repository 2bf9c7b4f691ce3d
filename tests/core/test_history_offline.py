"""A shared history that does not answer: cancels, single and bulk, are refused by the desk
layer (the app and the CLI share it) with the reason, and nothing reaches FPS. A real
PostgreSQL server, stopped for real; a real sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fpsdesk.desk.bulk import BulkDesk
from fpsdesk.desk.bulk_input import read_lines
from fpsdesk.desk.cancel import CancelDesk, NotRecorded
from fpsdesk.fps.client import FpsClient
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.bulk import BulkStore
from fpsdesk.store.db import open_database
from fpsdesk.store.postgres import Reachability
from fpsdesk.store.schema import HistoryUnreachable, StoreError
from tests.fixtures.postgres import PostgresServer


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[FpsClient]:
    with FpsClient(sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, sleep=lambda s: None) as c:
        yield c


def test_a_cancel_is_refused_while_the_server_is_down_and_sent_once_it_is_back(
    sandbox: SandboxServer, client: FpsClient, postgres_url: str, postgres_server: PostgresServer
) -> None:
    reach = Reachability()
    conn = open_database(postgres_url, reach=reach)
    desk = CancelDesk(client, ActionStore(conn))
    txn = sandbox.create_transaction(status="Reserved")
    postgres_server.stop()
    try:
        with pytest.raises(NotRecorded) as refused:
            desk.cancel(txn, "customer asked")
        assert refused.value.offline
        assert "the shared history is offline" in str(refused.value)
        assert "nothing was sent" in str(refused.value)
        assert reach.reason is not None  # the next statement fails at once, without a wait
        with pytest.raises(HistoryUnreachable):
            ActionStore(conn).recent()
    finally:
        postgres_server.start()
    assert sandbox.request_counts_by_transaction("Cancel") == {}
    reach.up()  # what the app's watch does once it reaches the server
    done = desk.cancel(txn, "customer asked")
    assert done.result is not None
    assert sandbox.request_counts_by_transaction("Cancel") == {txn: 1}
    conn.close()


def test_a_bulk_run_is_refused_while_the_server_is_down(
    sandbox: SandboxServer, client: FpsClient, postgres_url: str, postgres_server: PostgresServer
) -> None:
    txns = [sandbox.create_transaction(status="Reserved") for _ in range(3)]
    conn = open_database(postgres_url, reach=Reachability())
    desk = BulkDesk(client, ActionStore(conn), BulkStore(conn))
    dry = desk.dry_run(read_lines("\n".join(txns)), source="test", reason="fraud wave")
    assert dry.cancellable == 3
    postgres_server.stop()
    try:
        with pytest.raises(StoreError) as refused:  # HistoryUnreachable, or NotRecorded's
            desk.run(dry.job_id)
        assert "offline" in str(refused.value) or "cannot be reached" in str(refused.value)
    finally:
        postgres_server.start()
    assert sandbox.request_counts_by_transaction("Cancel") == {}
    conn.close()
