"""The cancel lifecycle (fpsdesk/desk) without Qt, against the real sandbox over loopback.

Every Cancel here goes through CancelDesk, the code both the app and the CLI call; the sandbox
counts the Cancels that really arrived.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fpsdesk.desk.cancel import (
    CancelDesk,
    EarlierCancelUnresolved,
    NotCancellable,
    NotRecorded,
    StatusChanged,
)
from fpsdesk.desk.owner import this_process
from fpsdesk.desk.settle import REQUEST_WINDOW, CancelState, Settler
from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.models import TransactionStatus
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SandboxServer
from fpsdesk.store.actions import ActionOutcome, ActionStore
from fpsdesk.store.db import open_database
from tests.fixtures.cli import wait_until


@pytest.fixture
def store(history: Path | str) -> Iterator[ActionStore]:
    """The cancel lifecycle's tests run on both backends."""
    conn = open_database(history)
    try:
        yield ActionStore(conn)
    finally:
        conn.close()


def _status(sandbox: SandboxServer, txn: str) -> str:
    return str(sandbox.transaction(txn)["status"])


def _reader(client: FpsClient) -> Callable[[str], TransactionStatus]:
    return lambda txn: client.get_transaction_status(txn).transaction_status


def _client(sandbox: SandboxServer, read_timeout: float = 10.0) -> FpsClient:
    return FpsClient(
        sandbox.url,
        DEFAULT_ACCESS_KEY,
        DEFAULT_SECRET_KEY,
        timeout=(3.0, read_timeout),
        sleep=lambda seconds: None,
    )


@pytest.fixture
def client(sandbox_client: FpsClient) -> FpsClient:
    return sandbox_client


def test_a_reserved_transaction_is_cancelled_once_and_recorded_first(
    sandbox: SandboxServer, client: FpsClient, store: ActionStore
) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    seen_at_record: list[ActionOutcome] = []

    def on_recorded(action_id: int) -> None:
        record = store.get(action_id)
        assert record is not None
        seen_at_record.append(record.outcome)
        assert sandbox.request_count("Cancel") == 0  # on record before anything is sent

    done = CancelDesk(client, store).cancel(txn, "customer asked", on_recorded=on_recorded)
    assert seen_at_record == [ActionOutcome.PENDING]
    assert done.state is CancelState.SUCCEEDED
    assert done.result is not None
    assert done.result.transaction_status is TransactionStatus.CANCELLED
    assert sandbox.request_count("Cancel") == 1
    record = done.record
    assert record.reason == "customer asked"
    assert record.status_before == "Reserved"
    me = this_process()
    assert (record.owner_host, record.owner_pid) == (me.host, me.pid)
    assert record.lease_until is not None
    assert record.decide_after is not None
    assert record.decide_after - record.created_at >= REQUEST_WINDOW
    assert [(e.outcome, e.source) for e in store.events(done.action_id)] == [
        (ActionOutcome.PENDING, "recorded"),
        (ActionOutcome.SUCCEEDED, "answer"),
    ]


@pytest.mark.parametrize("status", ["Success", "Failure", "Cancelled"])
def test_a_transaction_that_is_not_cancellable_is_refused_locally(
    sandbox: SandboxServer, client: FpsClient, store: ActionStore, status: str
) -> None:
    txn = sandbox.create_transaction(status=status)
    with pytest.raises(NotCancellable) as refused:
        CancelDesk(client, store).cancel(txn)
    assert refused.value.status.value == status
    assert "Nothing was sent" in str(refused.value)
    assert sandbox.request_count("Cancel") == 0
    assert store.for_transaction(txn) == []


def test_a_status_that_changed_since_it_was_shown_is_refused(
    sandbox: SandboxServer, client: FpsClient, store: ActionStore
) -> None:
    txn = sandbox.create_transaction(status="Pending")
    with pytest.raises(StatusChanged):
        CancelDesk(client, store).cancel(txn, expected=TransactionStatus.RESERVED)
    assert sandbox.request_count("Cancel") == 0


def test_nothing_is_sent_when_the_row_cannot_be_written(
    sandbox: SandboxServer, client: FpsClient, tmp_path: Path
) -> None:
    path = tmp_path / "history.sqlite3"
    open_database(path).close()
    # A read-only connection to a real history file: every write fails, as on a read-only disk.
    readonly = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    readonly.row_factory = sqlite3.Row
    txn = sandbox.create_transaction(status="Reserved")
    try:
        with pytest.raises(NotRecorded) as refused:
            CancelDesk(client, ActionStore(readonly)).cancel(txn)
    finally:
        readonly.close()
    assert "nothing was sent" in str(refused.value)
    assert sandbox.request_count("Cancel") == 0
    assert _status(sandbox, txn) == "Reserved"


def test_a_dropped_answer_is_unknown_and_one_read_settles_it(
    sandbox: SandboxServer, client: FpsClient, store: ActionStore
) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="drop_after")
    done = CancelDesk(client, store).cancel(txn, follow_up=True)
    assert sandbox.request_count("Cancel") == 1
    assert done.record.outcome is ActionOutcome.SUCCEEDED
    assert done.state is CancelState.SUCCEEDED
    assert [e.source for e in store.events(done.action_id)] == ["recorded", "answer", "read"]


def test_a_held_cancel_stays_unknown_until_it_lands_never_not_cancelled(
    sandbox: SandboxServer, store: ActionStore
) -> None:
    """Observation 1: reads that still show Reserved prove nothing while it may arrive."""
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=2500)
    impatient = _client(sandbox, read_timeout=0.5)
    try:
        done = CancelDesk(impatient, store).cancel(txn, follow_up=True)
    finally:
        impatient.close()
    assert done.state is CancelState.UNKNOWN
    assert done.until is not None
    assert done.until >= done.record.created_at + REQUEST_WINDOW
    reader = _client(sandbox)
    try:
        settler = Settler(store, sandbox.url, _reader(reader))
        for _ in range(3):  # the old rule gave up after three Reserved reads
            (still,) = settler.settle_transaction(txn)
            assert still.state is CancelState.UNKNOWN
        assert wait_until(lambda: _status(sandbox, txn) == "Cancelled")
        (landed,) = settler.settle_transaction(txn)
    finally:
        reader.close()
    assert landed.state is CancelState.SUCCEEDED
    assert landed.record.corrected_from is None
    assert sandbox.request_count("Cancel") == 1


def test_after_the_request_window_a_reserved_read_proves_not_cancelled_and_a_later_truth_corrects(
    sandbox: SandboxServer, client: FpsClient, store: ActionStore
) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    # A 500 from a proxy: the Cancel never reached FPS, but the client cannot know that.
    sandbox.inject_fault(action="Cancel", kind="internal_error")
    done = CancelDesk(client, store).cancel(txn)
    assert done.state is CancelState.UNKNOWN
    later = done.record.created_at + REQUEST_WINDOW + timedelta(minutes=6)
    settler = Settler(
        store,
        sandbox.url,
        _reader(client),
        clock=lambda: later,
    )
    (expired,) = settler.settle_transaction(txn)
    assert expired.state is CancelState.NOT_CANCELLED
    assert expired.record.status_after == "Reserved"
    # Then a Verified IPN (or a read) shows Cancelled after all: the verdict is corrected.
    (fixed,) = settler.apply(txn, TransactionStatus.CANCELLED, source="ipn", detail="IPN")
    assert fixed.state is CancelState.SUCCEEDED
    assert fixed.corrected
    assert fixed.record.corrected_from is ActionOutcome.FAILED
    assert [(e.outcome, e.source) for e in store.events(done.action_id)][-2:] == [
        (ActionOutcome.FAILED, "expired"),
        (ActionOutcome.SUCCEEDED, "ipn"),
    ]


def test_a_second_cancel_needs_again_and_both_attempts_are_settled(
    sandbox: SandboxServer, client: FpsClient, store: ActionStore
) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="internal_error")  # lost, never processed
    first = CancelDesk(client, store).cancel(txn)
    assert first.state is CancelState.UNKNOWN
    with pytest.raises(EarlierCancelUnresolved) as refused:
        CancelDesk(client, store).cancel(txn)
    assert refused.value.earlier[0].record.id == first.action_id
    assert f"#{first.action_id}" in str(refused.value)
    assert sandbox.request_count("Cancel") == 1
    second = CancelDesk(client, store).cancel(txn, again=True)
    assert second.state is CancelState.SUCCEEDED
    assert sandbox.request_count("Cancel") == 2
    (settled,) = [
        s
        for s in Settler(store, sandbox.url).apply(txn, TransactionStatus.CANCELLED, source="read")
    ]
    assert settled.record.id == first.action_id
    assert settled.state is CancelState.NOT_CANCELLED  # the second one did it
    assert not store.unresolved()


def test_a_row_whose_sender_still_waits_is_not_settled_by_anyone_else(
    sandbox: SandboxServer, client: FpsClient, store: ActionStore
) -> None:
    """Observation 1, variant: an app starting while a CLI cancel is in flight."""
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=1500)
    box: dict[str, object] = {}
    sender = threading.Thread(target=lambda: box.update(done=CancelDesk(client, store).cancel(txn)))
    sender.start()
    try:
        assert wait_until(lambda: sandbox.request_count("Cancel") == 1)
        other = _client(sandbox)
        try:
            settler = Settler(store, sandbox.url, _reader(other))
            (looked,) = settler.settle_all()[0]
        finally:
            other.close()
        assert looked.in_flight
        assert looked.record.outcome is ActionOutcome.PENDING
    finally:
        sender.join(20)
    done = box["done"]
    assert done.state is CancelState.SUCCEEDED


def test_a_pending_row_of_a_process_that_died_becomes_unknown(
    sandbox: SandboxServer, client: FpsClient, store: ActionStore
) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    now = datetime.now(UTC)
    me = this_process()
    dead = type(me)(host=me.host, pid=2**22 + 7, started="gone:1", user=me.user)
    action_id = store.start(
        "Cancel",
        txn,
        environment="Local sandbox",
        endpoint=sandbox.url,
        owner=dead,
        lease_until=now + timedelta(minutes=5),
        decide_after=now + timedelta(minutes=20),
    )
    (settled,), failed = Settler(store, sandbox.url, _reader(client)).settle_all()
    assert not failed
    assert settled.record.id == action_id
    assert settled.state is CancelState.UNKNOWN
    assert settled.until is not None
    assert abs(settled.until - (now + timedelta(minutes=20))) < timedelta(seconds=1)
    assert store.events(action_id)[-1].source == "owner-gone"


def test_rows_are_settled_by_environment_not_by_the_exact_sandbox_port(
    sandbox: SandboxServer, client: FpsClient, store: ActionStore
) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    sandbox.inject_fault(action="Cancel", kind="drop_after")
    done = CancelDesk(client, store).cancel(txn)
    assert done.state is CancelState.UNKNOWN
    elsewhere = "http://127.0.0.1:1/"  # the same local sandbox, restarted on another port
    settler = Settler(store, elsewhere, _reader(client))
    assert [r.id for r in settler.unresolved()] == [done.action_id]
    (settled,) = settler.settle_all()[0]
    assert settled.state is CancelState.SUCCEEDED
    assert Settler(store, "https://fps.sandbox.amazonaws.com/").unresolved() == []


def test_cancelled_is_not_credited_while_another_attempt_is_still_being_sent(
    sandbox: SandboxServer, client: FpsClient, store: ActionStore
) -> None:
    """A lost attempt and a live one: which did it is known only once the live one answers."""
    txn = sandbox.create_transaction(status="Cancelled")
    now = datetime.now(UTC)
    me = this_process()
    lost = store.start(
        "Cancel",
        txn,
        environment="Local sandbox",
        endpoint=sandbox.url,
        owner=me,
        lease_until=now,
        decide_after=now + timedelta(minutes=20),
    )
    store.finish(lost, ActionOutcome.UNKNOWN, error_message="read timed out")
    live = store.start(
        "Cancel",
        txn,
        environment="Local sandbox",
        endpoint=sandbox.url,
        owner=me,
        lease_until=now + timedelta(minutes=1),
        decide_after=now + timedelta(minutes=20),
    )
    settler = Settler(store, sandbox.url, _reader(client))
    settler.settle_transaction(txn)
    assert store.get(lost).outcome is ActionOutcome.UNKNOWN  # not marked "not cancelled" yet
    # The live one is refused (the lost one had landed first): now the lost one did it.
    store.finish(
        live,
        ActionOutcome.FAILED,
        error_code="InvalidTransactionState",
        error_message="already cancelled",
    )
    settler.settle_transaction(txn)
    assert store.get(lost).outcome is ActionOutcome.SUCCEEDED
