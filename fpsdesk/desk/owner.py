"""Which process owns an action while its answer is awaited, and whether it is still there.

A row written by ``fpsdesk cancel`` in one terminal must not be "settled" by the app that starts
in another while that Cancel is still on its way. So each row names its owner (host, pid and
an identity of the process start, so a recycled pid is not mistaken for it) and carries a
lease: the owner waits for FPS's answer at most until then. A row is orphaned when its lease has
run out, or, on the same host, when its process is gone.
"""

from __future__ import annotations

import os
import socket
import sys
from datetime import datetime
from pathlib import Path

from fpsdesk.store.actions import ActionRecord, Owner, current_operator

_LINUX = sys.platform.startswith("linux")  # /proc tells process start times


def _process_start(pid: int) -> str | None:
    """``boot-id:start-ticks`` of a process on Linux (None elsewhere or if it is gone)."""
    if not _LINUX:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return f"{boot}:{fields[19]}"


def this_process() -> Owner:
    pid = os.getpid()
    return Owner(
        host=socket.gethostname(), pid=pid, started=_process_start(pid), user=current_operator()
    )


def _process_gone(pid: int, started: str | None) -> bool | None:
    """True if that process no longer runs here, False if it does, None if we cannot tell."""
    if _LINUX:
        now = _process_start(pid)
        if now is None:
            return True
        # The same pid with another start is a new process: the owner is gone.
        return started is not None and now != started
    if os.name != "posix":
        return None  # no safe probe (os.kill(pid, 0) is not a probe on Windows)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def owner_gone(record: ActionRecord, now: datetime) -> bool:
    """Whether nobody is waiting for this action's answer any more."""
    if record.lease_until is None or now >= record.lease_until:
        return True
    if record.owner_pid is not None and record.owner_host == socket.gethostname():
        return _process_gone(record.owner_pid, record.owner_started) is True
    return False


def describe_owner(record: ActionRecord) -> str:
    """``alice on desk-7 (pid 4242)``: who is (or was) waiting for the answer."""
    where = f" on {record.owner_host}" if record.owner_host else ""
    pid = f" (pid {record.owner_pid})" if record.owner_pid is not None else ""
    return f"{record.operator}{where}{pid}"


def agent_of(record: ActionRecord) -> str:
    """``alice on desk-7``: who did it (the OS user, or the profile's display name) and on
    which computer, for every row a team's shared history shows."""
    return f"{record.operator} on {record.owner_host}" if record.owner_host else record.operator
