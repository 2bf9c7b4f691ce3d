"""Live updates and reconnection for a desk on a shared history (PostgreSQL). No Qt here.

:class:`HistoryWatch` runs on a thread of its own with a connection of its own. It LISTENs on
the channels the history NOTIFYs: an IPN stored by any receiver worker or importer (announced
by fpsdesk/store/postgres.py after its commit), an action written by any desk or the CLI (a
trigger, migration 10 in fpsdesk/store/schema.py). It also tells when
the server stops answering and when it answers again: a lost connection marks the shared
:class:`~fpsdesk.store.postgres.Reachability` down (so the app's statements fail at once
instead of waiting out a timeout) and the watch tries again with a growing pause; once the
server answers, ``reach`` is up and the callbacks say so, so the window can re-read what it
may have missed. The callbacks run on the watch's thread: the desktop app passes ones that
only emit a Qt signal.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from fpsdesk.store.postgres import (
    IPN_CHANNEL,
    WATCHFUL,
    Reachability,
    connect,
    open_postgres,
    redact,
)
from fpsdesk.store.schema import HistoryUnreachable, StoreError

log = logging.getLogger(__name__)

ACTION_CHANNEL = "fpsdesk_actions"
# Pauses between attempts to reach a server that does not answer (the last one repeats).
RETRY_DELAYS: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
# How long one wait for notifications lasts: the bound on noticing stop() or a store
# connection that found the server gone.
WAIT_SECONDS = 0.25
# After an IPN announcement, the IPNs are read once more this much later: a writer announces at
# most once per ANNOUNCE_EVERY_S (fpsdesk/store/postgres.py), so those stored just after an
# announcement are shown by this second read, well within a second.
TRAILING_S = 0.4


class HistoryWatch:
    """LISTEN for other writers and watch the server, on a daemon thread until :meth:`stop`.

    ``on_ipns()``: IPNs were stored (or their verdicts changed). ``on_actions(txn)``: an
    action of that transaction was written (txn is "" after a reconnect: anything may have
    changed). ``on_state(reason)``: the server stopped answering (reason) or answers again
    (None); told once per change, and once at the start.
    """

    def __init__(
        self,
        url: str,
        password: str | None,
        reach: Reachability,
        *,
        on_ipns: Callable[[], None],
        on_actions: Callable[[str], None],
        on_state: Callable[[str | None], None],
    ) -> None:
        self._url = url
        self._password = password
        self._reach = reach
        self._on_ipns = on_ipns
        self._on_actions = on_actions
        self._on_state = on_state
        self._stop = threading.Event()
        self._told: str | bool | None = False  # False: nothing told yet
        self._thread = threading.Thread(target=self._run, name="fpsdesk-history-watch", daemon=True)

    def start(self) -> HistoryWatch:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the thread to end and wait for it; True if it did in time."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _tell(self, reason: str | None) -> None:
        if self._told is not False and self._told == reason:
            return
        self._told = reason
        try:
            self._on_state(reason)
        except Exception:
            log.exception("the history state callback failed")

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                conn = self._open()
            except HistoryUnreachable as exc:
                self._down(exc.reason)
            except StoreError as exc:  # reached, but not usable (a newer schema): say why
                self._down(str(exc))
            else:
                attempt = 0
                try:
                    self._listen(conn)
                except psycopg.Error as exc:
                    self._down(_first_line(exc))
                finally:
                    with contextlib.suppress(psycopg.Error):
                        conn.close()
                if self._stop.is_set():
                    return
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
            attempt += 1
            log.debug("shared history unreachable; next attempt in %.1f s", delay)
            self._stop.wait(delay)

    def _down(self, reason: str) -> None:
        if self._told is not False and self._told is None:
            log.warning("the shared history %s went offline: %s", redact(self._url), reason)
        self._reach.down(reason)
        self._tell(reason)

    def _open(self) -> psycopg.Connection[Any]:
        """Migrate on (re)connect (an offline start left the schema unchecked), then a
        connection of the watch's own to LISTEN on."""
        open_postgres(self._url, password=self._password).close()
        conn = connect(self._url, self._password, **WATCHFUL)
        conn.execute(f"LISTEN {IPN_CHANNEL}")
        conn.execute(f"LISTEN {ACTION_CHANNEL}")
        return conn

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        was_down = self._told is not False and self._told is not None
        self._reach.up()
        self._tell(None)
        if was_down:  # what was written meanwhile: re-read everything
            log.info("the shared history %s is back", redact(self._url))
            self._on_ipns()
            self._on_actions("")
        trailing: float | None = None  # when to read the IPNs once more
        while not self._stop.is_set():
            if self._reach.reason is not None:
                # A store connection found the server gone; this one still answers?
                conn.execute("SELECT 1")
                self._reach.up()
            wait = WAIT_SECONDS
            if trailing is not None:
                wait = max(0.0, min(wait, trailing - time.monotonic()))
            for note in conn.notifies(timeout=wait):
                try:
                    if note.channel == IPN_CHANNEL:
                        self._on_ipns()
                        trailing = time.monotonic() + TRAILING_S
                    elif note.channel == ACTION_CHANNEL:
                        self._on_actions(note.payload)
                except Exception:
                    log.exception("a live update callback failed")
            if trailing is not None and time.monotonic() >= trailing:
                trailing = None
                try:
                    self._on_ipns()
                except Exception:
                    log.exception("a live update callback failed")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
