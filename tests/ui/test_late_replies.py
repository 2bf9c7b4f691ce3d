"""Replies that arrive after the window closed change nothing and raise nothing.

Qt delivers a queued call that was posted before a disconnect, so disconnecting alone cannot
stop a late reply: every reply enters the GUI thread through the worker host's relay
(fpsdesk/ui/reply_relay.py), which shutdown closes. These tests show the Qt behaviour that
makes the relay necessary, the relay dropping what was already queued, and the whole window
staying as it was when replies of every kind were on their way while it closed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal, Slot

from fpsdesk.desk.replies import (
    CancelBlocked,
    CancelNeedsAgain,
    CancelReply,
    CancelSending,
    ErrorView,
    SettledAction,
    SettleReply,
    WorkerFailure,
)
from fpsdesk.fps.status import TransactionStatus
from fpsdesk.ui.bulk_jobs import RunSnapshot
from fpsdesk.ui.reply_relay import ReadSignals, ReplyRelay
from tests.ui.helpers import WAIT_MS, lookup, type_and_enter

pytestmark = pytest.mark.gui


class _Sender(QObject):
    said = Signal(object)


class _Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.heard: list[object] = []

    @Slot(object)
    def hear(self, value: object) -> None:
        self.heard.append(value)


def _from_another_thread(emit: Callable[[], None]) -> None:
    """Emit as a worker does: on a thread of its own, so the call is queued to the GUI."""
    thread = threading.Thread(target=emit)
    thread.start()
    thread.join()


def test_qt_delivers_a_queued_call_posted_before_the_disconnect(qtbot):
    """Why a disconnect at shutdown is not enough on its own (QObject::disconnect's note)."""
    sender, receiver = _Sender(), _Receiver()
    sender.said.connect(receiver.hear)
    _from_another_thread(lambda: sender.said.emit("late"))
    sender.said.disconnect(receiver.hear)
    qtbot.wait(50)
    assert receiver.heard == ["late"]


def test_the_relay_drops_replies_queued_before_it_closed(qtbot):
    reads, relay, receiver = ReadSignals(), ReplyRelay(), _Receiver()
    relay.relay_reads(reads)
    relay.lookup_done.connect(receiver.hear)
    _from_another_thread(lambda: reads.lookup_done.emit("in time"))
    qtbot.waitUntil(lambda: receiver.heard == ["in time"], timeout=WAIT_MS)
    _from_another_thread(lambda: reads.lookup_done.emit("queued, then closed"))
    relay.close()
    assert relay.closed
    qtbot.wait(50)
    assert receiver.heard == ["in time"]


def _session_signals(session: Any) -> list[Any]:
    return [
        session.lookup_started,
        session.lookup_finished,
        session.lookup_failed,
        session.lookup_abandoned,
        session.cancel_state_changed,
        session.cancel_finished,
        session.cancel_blocked,
        session.cancel_needs_again,
        session.cancel_check_failed,
        session.action_resolved,
        session.reconcile_checking,
        session.actions_changed,
        session.connection_tested,
        session.related_status_read,
        session.busy_changed,
    ]


def test_a_late_lookup_answer_after_close_changes_nothing(qtbot, desk):
    window = desk.window
    txn = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(action="GetTransaction", kind="delay", delay_ms=600)
    type_and_enter(qtbot, window, txn)
    qtbot.waitUntil(lambda: desk.sandbox.request_count("GetTransaction") == 1, timeout=WAIT_MS)
    emitted: list[object] = []
    desk.session.host.reads.lookup_done.connect(emitted.append)
    heard: list[tuple[object, ...]] = []
    for signal in _session_signals(desk.session):
        signal.connect(lambda *args: heard.append(args))
    message = window.statusBar().currentMessage()
    button = window.lookup_button.text()
    assert window.close()  # waits for the read in flight: its answer is queued meanwhile
    qtbot.waitUntil(lambda: len(emitted) == 1, timeout=WAIT_MS)  # the answer did come
    qtbot.wait(100)
    assert heard == []
    assert window.pages.currentWidget() is window.loading
    assert window.statusBar().currentMessage() == message
    assert window.lookup_button.text() == button


def test_replies_of_every_kind_queued_while_closing_change_nothing(
    qtbot, desk, dialog_log, monkeypatch
):
    window = desk.window
    shown = desk.sandbox.create_transaction(status="Reserved")
    other = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, window, shown)
    status_text = window.transaction_view.status_chip.text()
    message = window.statusBar().currentMessage()
    title = window.tabs.tabText(window.tabs.indexOf(window.results_tab))
    heard: list[tuple[object, ...]] = []
    for signal in _session_signals(desk.session):
        signal.connect(lambda *args: heard.append(args))
    error = ErrorView(kind="fps", title="Refused", explanation="A late refusal.")
    worker = desk.session.host.worker
    reads = desk.session.host.reads
    late = [
        (worker.busy_changed, True),
        (worker.cancel_sending, CancelSending(900, shown, 1)),
        (worker.cancel_done, CancelReply(901, shown, None, error=error)),
        (worker.cancel_done, CancelReply(902, other, None, error=error, unknown=True)),
        (
            worker.cancel_blocked,
            CancelBlocked(903, other, TransactionStatus.RESERVED, TransactionStatus.SUCCESS),
        ),
        (
            worker.cancel_needs_again,
            CancelNeedsAgain(904, shown, "why", TransactionStatus.RESERVED, ()),
        ),
        (worker.failed, WorkerFailure(905, "cancel-check", shown, error)),
        (
            worker.settled,
            SettleReply(
                906,
                None,
                (SettledAction(7, shown, "succeeded", "Cancelled", None, True, False, False),),
            ),
        ),
        (reads.failed, WorkerFailure(desk.session.host.next_request_id(), "lookup", shown, error)),
        (reads.lookup_done, object()),  # would raise in any receiver that read it
    ]

    bulk = window.bulk_view  # built: its run may end after the window closed

    def emit_all() -> None:
        for signal, reply in late:
            signal.emit(reply)

    _from_another_thread(emit_all)  # all of them queued to the GUI thread, none delivered yet
    assert window.close()
    qtbot.wait(100)
    resumed: list[int] = []
    monkeypatch.setattr(desk.session, "resume_unresolved", lambda: resumed.append(1) or 0)
    bulk.run_finished.emit(RunSnapshot(total=2, done=2, unknown=1, finished=True))
    assert resumed == []  # a bulk run's unknown outcomes are left to the next start
    assert heard == []
    assert dialog_log.shown == []
    assert window.pages.currentWidget() is window.transaction_view
    assert window.transaction_view.status_chip.text() == status_text
    assert window.statusBar().currentMessage() == message
    assert window.tabs.tabText(window.tabs.indexOf(window.results_tab)) == title
    assert window.notices.unseen_count() == 0
    assert not window.transaction_view.banner.isVisible()
    assert not desk.session.any_cancel_in_flight
