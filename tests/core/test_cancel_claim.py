"""The claim of a Cancel across desks sharing one history (both backends), step by step.

tests/core/test_cancel_race.py races real processes; these tests force the two interleavings
that matter one at a time: a Cancel still in flight at another desk, and one that another desk
sent and finished between our status read and our own attempt to record.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fpsdesk.desk.cancel import BeingCancelled, CancelDesk, EarlierCancelUnresolved
from fpsdesk.desk.owner import this_process
from fpsdesk.fps.client import FpsClient
from fpsdesk.fps.endpoints import environment_of
from fpsdesk.fps.models import ActionResult, TransactionStatusResult
from fpsdesk.sandbox import SandboxServer
from fpsdesk.store.actions import ActionOutcome, ActionStore, ClaimTaken
from fpsdesk.store.db import open_database
from tests.fixtures.cli import cli_env
from tests.fixtures.processes import Children


def _desk(client: object, history: Path | str, agent: str) -> CancelDesk:
    owner = dataclasses.replace(this_process(), user=agent)
    return CancelDesk(client, ActionStore(open_database(history)), owner=owner)  # type: ignore[arg-type]


def test_a_cancel_in_flight_elsewhere_is_named_and_not_sent_again(
    sandbox: SandboxServer, sandbox_client: FpsClient, history: Path | str
) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    alice = ActionStore(open_database(history))
    # Alice's desk has recorded its Cancel and holds the claim (its process is alive: ours).
    held = alice.start(
        "Cancel",
        txn,
        environment=environment_of(sandbox_client.endpoint),
        endpoint=sandbox_client.endpoint,
        owner=dataclasses.replace(this_process(), user="alice"),
        lease_until=datetime.now(UTC) + timedelta(minutes=1),
        claim=True,
    )
    bob = _desk(sandbox_client, history, "bob")
    held_by = r"Being cancelled by alice on \S+ .*since \d\d:\d\d UTC"
    for again in (False, True):  # not even a confirmed second Cancel
        with pytest.raises(BeingCancelled, match=held_by) as caught:
            bob.cancel(txn, again=again)
        assert caught.value.holder.id == held
    assert sandbox.request_counts_by_transaction("Cancel") == {}
    # Alice's answer releases the claim; bob then sees her outcome.
    alice.finish(held, ActionOutcome.SUCCEEDED, status_after="Cancelled")
    final = bob.wait_for(held, timeout=5)
    assert final is not None
    assert final.outcome is ActionOutcome.SUCCEEDED
    assert not final.claimed


def test_the_index_refuses_a_second_claim_even_without_the_check(history: Path | str) -> None:
    store = ActionStore(open_database(history))
    first = store.start("Cancel", "TX1", environment="Sandbox", endpoint="e", claim=True)
    # Another writer that skipped the check: the unique index still refuses the row.
    other = ActionStore(open_database(history))
    other._check_claim = lambda *args: None  # type: ignore[method-assign]
    with pytest.raises(ClaimTaken) as caught:
        other.start("Cancel", "TX1", environment="Sandbox", endpoint="e", claim=True)
    assert caught.value.holder.id == first
    assert [r.id for r in store.for_transaction("TX1")] == [first]  # nothing else recorded
    # Another environment, or no claim, is not refused.
    store.start("Cancel", "TX1", environment="Production", endpoint="p", claim=True)
    store.start("Cancel", "TX1", environment="Sandbox", endpoint="e")


class _OtherDeskCancelsAfterOurRead:
    """A client whose status read is followed, before we record, by alice's whole Cancel."""

    def __init__(self, client: FpsClient, alice: CancelDesk) -> None:
        self._client = client
        self._alice = alice
        self.done = False

    @property
    def endpoint(self) -> str:
        return self._client.endpoint

    @property
    def deadline_seconds(self) -> float:
        return self._client.deadline_seconds

    def get_transaction_status(self, transaction_id: str) -> TransactionStatusResult:
        read = self._client.get_transaction_status(transaction_id)
        if not self.done:
            self.done = True
            self._alice.cancel(transaction_id)  # sent and finished before bob records
        return read

    def cancel(self, transaction_id: str, description: str | None = None) -> ActionResult:
        return self._client.cancel(transaction_id, description)


def test_a_cancel_finished_elsewhere_after_our_read_is_not_sent_again(
    sandbox: SandboxServer, sandbox_client: FpsClient, history: Path | str
) -> None:
    txn = sandbox.create_transaction(status="Reserved")
    alice = _desk(sandbox_client, history, "alice")
    bob = _desk(_OtherDeskCancelsAfterOurRead(sandbox_client, alice), history, "bob")
    with pytest.raises(BeingCancelled, match=r"was just cancelled by alice .*at \d\d:\d\d UTC"):
        bob.cancel(txn)  # bob read Reserved, but alice's Cancel came after that read
    assert sandbox.request_counts_by_transaction("Cancel") == {txn: 1}
    (record,) = ActionStore(open_database(history)).for_transaction(txn)
    assert record.operator == "alice"


def test_a_confirmed_second_cancel_after_an_unknown_one_is_still_possible(
    sandbox: SandboxServer, sandbox_client: FpsClient, history: Path | str
) -> None:
    """The claim covers a Cancel in flight; after an unknown outcome the old rule applies."""
    txn = sandbox.create_transaction(status="Reserved")
    store = ActionStore(open_database(history))
    lost = store.start(
        "Cancel",
        txn,
        environment=environment_of(sandbox_client.endpoint),
        endpoint=sandbox_client.endpoint,
        owner=this_process(),
        claim=True,
    )
    store.finish(lost, ActionOutcome.UNKNOWN, error_message="read timed out")
    bob = _desk(sandbox_client, history, "bob")
    with pytest.raises(EarlierCancelUnresolved):
        bob.cancel(txn)
    done = bob.cancel(txn, again=True)
    assert done.record.operator == "bob"
    assert sandbox.request_counts_by_transaction("Cancel") == {txn: 1}


def test_the_command_line_names_the_holder_then_shows_its_outcome(
    sandbox: SandboxServer, sandbox_client: FpsClient, children: Children
) -> None:
    """``fpsdesk cancel`` on a transaction another desk is cancelling: exit 9, who and since
    when, then that Cancel's outcome once its answer is recorded."""
    txn = sandbox.create_transaction(status="Reserved")
    alice = ActionStore(open_database())  # the CLI's own history (this test's XDG dirs)
    held = alice.start(
        "Cancel",
        txn,
        environment=environment_of(sandbox.url),
        endpoint=sandbox.url,
        owner=dataclasses.replace(this_process(), user="alice"),
        lease_until=datetime.now(UTC) + timedelta(minutes=1),
        claim=True,
    )
    # Alice's answer is recorded once the command says it is waiting for it (not after a fixed
    # delay: on a loaded machine the command may start after the delay, find no claim, and
    # cancel for real).
    proc = children.start(
        [sys.executable, "-m", "fpsdesk", "cancel", txn, "--yes", "--endpoint", sandbox.url],
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    said = []
    for line in proc.stderr:
        said.append(line)
        if "Waiting for its outcome" in line:
            alice.finish(held, ActionOutcome.SUCCEEDED, status_after="Cancelled")
            break
    rest = proc.communicate(timeout=60)[1]
    stderr = "".join(said) + rest
    assert proc.returncode == 9, stderr
    assert re.search(r"Being cancelled by alice on \S+ .*since \d\d:\d\d UTC", stderr)
    assert "Waiting for its outcome" in stderr
    assert "Its outcome: succeeded." in stderr
    assert "Traceback" not in stderr
    assert sandbox.request_counts_by_transaction("Cancel") == {}
