"""A stop signal is honoured whenever it lands.

CI once saw `fpsdesk ipn serve` ignore a SIGINT for 20 s and more: the handler set a
threading.Event while the main thread, interrupted between two bytecodes inside
Event.wait, held that Event's own lock, so the handler waited for itself forever. The
bulk cancel CLI's handler had the same shape (BulkControl.stop from a signal handler).

Here a child process raises SIGTERM at every line the waiting code runs, one position per
round; a handler that takes any lock the waiter can hold hangs the child.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

HARNESS = textwrap.dedent(
    """
    import signal, sys

    def raise_at_line(position, wait):
        seen = 0

        def tracer(frame, event, arg):
            nonlocal seen
            if event == "line":
                seen += 1
                if seen == position:
                    signal.raise_signal(signal.SIGTERM)
            return tracer

        sys.settrace(tracer)
        try:
            return wait()
        finally:
            sys.settrace(None)
    """
)

SERVER = HARNESS + textwrap.dedent(
    """
    from fpsdesk.commands.stopping import stop_on_signals

    for position in range(1, 61):
        with stop_on_signals() as stop:
            got = raise_at_line(position, lambda: stop.wait(poll=0.001))
        assert got == signal.SIGTERM, got
    print("stopped every time", flush=True)
    """
)

# The bulk CLI's own handler (fpsdesk/commands/bulk.py) around BulkControl.wait.
BULK = HARNESS + textwrap.dedent(
    """
    from fpsdesk.desk.bulk_control import BulkControl

    for position in range(1, 61):
        control = BulkControl(poll=0.001)
        previous = signal.signal(signal.SIGTERM, lambda s, f: control.stop_from_signal())
        try:
            got = raise_at_line(position, lambda: control.wait(3600))
        finally:
            signal.signal(signal.SIGTERM, previous)
        assert got is True, got
    print("stopped every time", flush=True)
    """
)


@pytest.mark.parametrize("script", [SERVER, BULK], ids=["server", "bulk-cancel"])
def test_a_stop_signal_at_any_line_of_the_wait_stops_it(script: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail("a stop signal was not honoured: the wait hung")
    assert child.returncode == 0, err
    assert out == "stopped every time\n"
