"""One desk of the cancel race (tests/core/test_cancel_race.py), as its own process.

``python -m tests.core.race_desk ENDPOINT HISTORY AGENT IDS_FILE GO_FILE OUT_FILE``: wait until
GO_FILE exists (so every desk starts at once), then run the cancel lifecycle on each ID in
order, exactly as ``fpsdesk cancel --yes`` does, and write one JSON line per attempt to
OUT_FILE: what happened and, for a loser, who held the claim.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from fpsdesk.desk.cancel import BeingCancelled, CancelDesk, NotCancellable
from fpsdesk.desk.owner import this_process
from fpsdesk.desk.settle import state_of
from fpsdesk.fps.client import FpsClient
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.db import open_database


def main(argv: list[str]) -> int:
    endpoint, history, agent, ids_file, go_file, out_file = argv
    ids = Path(ids_file).read_text().split()
    actions = ActionStore(open_database(history), recorder=agent)
    owner = dataclasses.replace(this_process(), user=agent)
    go = Path(go_file)
    while not go.exists():
        time.sleep(0.005)
    with (
        FpsClient(endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, sleep=lambda s: None) as client,
        Path(out_file).open("w") as out,
    ):
        desk = CancelDesk(client, actions, owner=owner)
        for txn in ids:
            line: dict[str, object] = {"txn": txn, "agent": agent}
            try:
                done = desk.cancel(txn)
            except BeingCancelled as exc:
                line.update(result="being cancelled", holder=exc.holder.operator, text=str(exc))
                final = desk.wait_for(exc.holder.id, timeout=30)
                line["holder_outcome"] = state_of(final).value if final else None
            except NotCancellable as exc:
                line.update(result="not cancellable", status=exc.status.value, text=str(exc))
                if exc.cancelled_by is not None:
                    line["holder"] = exc.cancelled_by.operator
            else:
                line.update(result="sent", action=done.action_id, state=done.state.value)
            out.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
