"""Desks sharing one history never send a Cancel twice: real processes against the sandbox.

Ten desk processes (tests/core/race_desk.py) start at the same moment. First they cancel 1,000
distinct transactions between them; then all ten race on the same 100, in the same order. The
sandbox counts the Cancels it processed per transaction: exactly one each. Every Cancel sent is
in the history with the agent that sent it, every attempt that lost is on record too (with its
agent and the Cancel that stopped it, in ``cancel_refusals``), and every desk that lost a race
was told who held the claim (or, if it looked after the winner had finished, that the
transaction is already cancelled, and by whom). The
claim is the history's unique index (fpsdesk/store/schema.py, migration 7), so
this runs on both backends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from fpsdesk.sandbox import SandboxServer
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.db import open_database
from tests.fixtures.cli import cli_env, wait_until
from tests.fixtures.processes import Children

DESKS = 10


def _race(
    children: Children,
    tmp_path: Path,
    sandbox: SandboxServer,
    history: Path | str,
    name: str,
    lists: list[list[str]],
) -> list[dict[str, object]]:
    """Run one desk process per list, all started at once; their attempts, as JSON lines."""
    go = tmp_path / f"{name}.go"
    outs = []
    procs = []
    for n, ids in enumerate(lists):
        ids_file = tmp_path / f"{name}-{n}.ids"
        ids_file.write_text("\n".join(ids))
        out = tmp_path / f"{name}-{n}.jsonl"
        outs.append(out)
        procs.append(
            children.start(
                [
                    sys.executable,
                    "-m",
                    "tests.core.race_desk",
                    sandbox.url,
                    str(history),
                    f"desk{n}",
                    str(ids_file),
                    str(go),
                    str(out),
                ],
                env=cli_env(),
            )
        )
    go.touch()
    assert wait_until(lambda: all(p.poll() is not None for p in procs), timeout=300)
    assert [p.returncode for p in procs] == [0] * len(procs)
    return [json.loads(line) for out in outs for line in out.read_text().splitlines()]


@pytest.mark.slow
def test_ten_desks_send_exactly_one_cancel_per_transaction(
    children: Children, tmp_path: Path, sandbox: SandboxServer, history: Path | str
) -> None:
    open_database(history).close()  # migrated once, before the desks start
    distinct = [sandbox.create_transaction(status="Reserved") for _ in range(1000)]
    shared = [sandbox.create_transaction(status="Reserved") for _ in range(100)]

    split = [distinct[n::DESKS] for n in range(DESKS)]
    first = _race(children, tmp_path, sandbox, history, "distinct", split)
    assert len(first) == 1000
    assert {a["result"] for a in first} == {"sent"}
    assert {a["state"] for a in first} == {"succeeded"}

    second = _race(children, tmp_path, sandbox, history, "shared", [shared] * DESKS)
    assert len(second) == DESKS * len(shared)

    # The sandbox processed exactly one Cancel of every transaction.
    counts = sandbox.request_counts_by_transaction("Cancel")
    twice = {t for t, n in counts.items() if n != 1}
    assert not twice, "\n".join(json.dumps(a) for a in first + second if a["txn"] in twice)
    assert sandbox.request_counts_by_transaction("Cancel") == {t: 1 for t in distinct + shared}
    assert {sandbox.transaction(t)["status"] for t in distinct + shared} == {"Cancelled"}

    # One winner per shared transaction; the history names it as the agent that sent it.
    winners = {a["txn"]: a["agent"] for a in second if a["result"] == "sent"}
    assert sorted(winners) == sorted(shared)
    actions = ActionStore(open_database(history))
    for txn in distinct + shared:
        (record,) = actions.for_transaction(txn)
        assert record.kind == "Cancel"
        assert record.operator.startswith("desk")
        assert not record.claimed
        if txn in winners:
            assert record.operator == winners[txn]
        assert [e.recorded_by for e in actions.events(record.id)] == [record.operator] * 2

    # Every loser was told who held the claim (and that Cancel's outcome), or, when it looked
    # after the winner had finished, that the transaction is already cancelled, and by whom.
    losers = [a for a in second if a["result"] != "sent"]
    assert len(losers) == (DESKS - 1) * len(shared)
    told = [a for a in losers if a["result"] == "being cancelled"]
    for attempt in told:
        assert attempt["holder"] == winners[str(attempt["txn"])]
        assert f"by {attempt['holder']} on " in str(attempt["text"])
        assert attempt["holder_outcome"] == "succeeded"
    for attempt in losers:
        if attempt["result"] != "being cancelled":
            assert attempt["result"] == "not cancellable"
            assert attempt["status"] == "Cancelled"
            assert attempt["holder"] == winners[str(attempt["txn"])]
            assert f"by {attempt['holder']} on " in str(attempt["text"])
    assert told, "no desk ever met another desk's claim: the race did not race"

    # Every attempt is on record with its agent: the losers' too, though they sent nothing,
    # each naming the Cancel that stopped it (apart from the actions: nothing to count there).
    for txn in shared:
        (winner,) = actions.for_transaction(txn)
        refused = actions.refusals(txn)
        losing = sorted(str(a["agent"]) for a in losers if a["txn"] == txn)
        assert sorted(r.operator for r in refused) == losing
        assert {r.holder_action_id for r in refused} == {winner.id}
        assert {r.why for r in refused} <= {"being cancelled", "already cancelled"}
        assert all(r.recorded_by == r.operator for r in refused)
    assert not any(actions.refusals(txn) for txn in distinct)
    print(f"losers told who held the claim: {len(told)} of {len(losers)}")
