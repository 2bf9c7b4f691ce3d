"""The action log: written before a request is sent, finished or reconciled afterwards."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest

from fpsdesk.store import ActionOutcome, ActionStore, StoreError, db, open_database, postgres
from fpsdesk.store.db import database_errors
from fpsdesk.store.postgres import PostgresHistory
from fpsdesk.store.schema import MIGRATIONS, Spelled
from tests.fixtures.postgres import PASSWORD, PostgresServer


def _start(store: ActionStore, txid: str = "TXA", reason: str | None = "customer asked") -> int:
    return store.start(
        "Cancel",
        txid,
        environment="Sandbox",
        endpoint="http://127.0.0.1:1/",
        reason=reason,
        status_before="Reserved",
    )


def test_started_action_is_durable_and_pending(history: Path | str) -> None:
    db = history
    store = ActionStore(open_database(db))
    action_id = _start(store)
    # A second connection (another process, after a crash) sees the pending row.
    other = ActionStore(open_database(db))
    [record] = other.unresolved()
    assert record.id == action_id
    assert record.outcome is ActionOutcome.PENDING
    assert record.reason == "customer asked"
    assert record.status_before == "Reserved"
    assert record.operator


def test_finish_and_reconcile(history: Path | str) -> None:
    store = ActionStore(open_database(history))
    ok = _start(store, "TXA")
    unknown = _start(store, "TXB")
    store.finish(ok, ActionOutcome.SUCCEEDED, status_after="Cancelled", request_id="rid-1")
    store.finish(unknown, ActionOutcome.UNKNOWN, error_message="read timed out")
    assert [r.id for r in store.unresolved()] == [unknown]
    store.reconcile(unknown, ActionOutcome.SUCCEEDED, "Cancelled")
    record = store.get(unknown)
    assert record is not None
    assert record.outcome is ActionOutcome.SUCCEEDED
    assert record.reconciled_at is not None
    assert store.unresolved() == []
    done = store.get(ok)
    assert done is not None
    assert done.request_id == "rid-1"
    assert done.finished_at is not None


def test_recent_filters_and_search(history: Path | str) -> None:
    store = ActionStore(open_database(history))
    a = _start(store, "14AAAA")
    b = _start(store, "14BBBB")
    store.finish(a, ActionOutcome.FAILED, error_code="InvalidTransactionState")
    store.finish(b, ActionOutcome.SUCCEEDED)
    assert [r.id for r in store.recent()] == [b, a]
    assert [r.id for r in store.recent(outcome=ActionOutcome.FAILED)] == [a]
    assert [r.id for r in store.recent(search="bbb")] == [b]
    # LIKE wildcards in the search are literal.
    assert store.recent(search="%") == []
    assert store.recent(search="_") == []
    assert [r.transaction_id for r in store.for_transaction("14AAAA")] == ["14AAAA"]


def test_concurrent_writers_lose_nothing(history: Path | str) -> None:
    store = ActionStore(open_database(history))

    def work() -> None:
        for _ in range(50):
            store.finish(_start(store), ActionOutcome.SUCCEEDED)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.recent(limit=1000)) == 200


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "h.sqlite3"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot be used"):
        open_database(junk)
    assert junk.read_bytes().startswith(b"this is not sqlite")  # nothing overwritten


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        open_database(path)


def test_wal_mode(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "h.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_newer_schema_is_refused_on_postgresql(postgres_url: str) -> None:
    open_database(postgres_url).close()
    bump = psycopg.connect(postgres_url, autocommit=True)
    bump.execute("UPDATE fpsdesk_schema SET version = 999")
    bump.close()
    with pytest.raises(StoreError, match="newer"):
        open_database(postgres_url)


def test_both_backends_reach_the_same_schema_version(tmp_path: Path, postgres_url: str) -> None:
    local = open_database(tmp_path / "h.sqlite3")
    shared = open_database(postgres_url)
    assert local.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert isinstance(shared, PostgresHistory)
    assert shared.schema_version() == len(MIGRATIONS)
    # Opening again (another desk) migrates nothing and changes nothing.
    again = open_database(postgres_url)
    assert isinstance(again, PostgresHistory)
    assert again.schema_version() == len(MIGRATIONS)


def test_an_unreachable_server_is_a_clear_error_without_the_password(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.url("nosuchdb")
    with pytest.raises(StoreError, match="cannot be reached") as caught:
        open_database(url)
    assert PASSWORD not in str(caught.value)
    assert ":***@" in str(caught.value)


def test_a_wrong_password_is_refused(postgres_server: PostgresServer, postgres_url: str) -> None:
    with pytest.raises(StoreError, match="password authentication failed"):
        open_database(postgres_url.replace(PASSWORD, "wrong"))


def test_a_step_spelled_for_each_backend_applies_on_both(
    history: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trigger (SQLite and PostgreSQL write them differently) as one migration step."""
    kept = Spelled(
        sqlite="CREATE TRIGGER actions_kind_kept BEFORE UPDATE OF kind ON actions"
        " BEGIN SELECT RAISE(ABORT, 'kind is never rewritten'); END",
        postgresql=(
            "CREATE FUNCTION actions_kind_kept() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'kind is never rewritten'; END $$",
            "CREATE TRIGGER actions_kind_kept BEFORE UPDATE OF kind ON actions"
            " FOR EACH ROW EXECUTE FUNCTION actions_kind_kept()",
        ),
    )
    monkeypatch.setattr(db, "MIGRATIONS", [*MIGRATIONS, [kept]])
    monkeypatch.setattr(postgres, "MIGRATIONS", [*MIGRATIONS, [kept]])
    conn = open_database(history)
    store = ActionStore(conn)
    action = _start(store)
    with pytest.raises(database_errors(), match="kind is never rewritten"):
        conn.execute("UPDATE actions SET kind = 'Refund' WHERE id = ?", (action,))
    store.finish(action, ActionOutcome.SUCCEEDED)  # other columns still change
