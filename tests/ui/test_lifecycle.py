"""Responsiveness, closing mid-request, restart recovery, the Results view."""

from __future__ import annotations

import csv
import time
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt, QTimer

from fpsdesk.store.actions import ActionOutcome, ActionStore
from fpsdesk.store.db import open_database
from fpsdesk.ui.main_window import MainWindow
from fpsdesk.ui.session import DeskSession
from tests.ui.conftest import FAST_RECONCILE, sandbox_config
from tests.ui.helpers import WAIT_MS, lookup, shown_status, table_texts, type_and_enter

pytestmark = pytest.mark.gui


class Heartbeat:
    """A 10 ms QTimer on the GUI thread; records the longest gap between its ticks."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.tick)
        self.last = 0.0
        self.longest = 0.0
        self.ticks = 0

    def tick(self) -> None:
        now = time.perf_counter()
        if self.last:
            self.longest = max(self.longest, now - self.last)
        self.last = now
        self.ticks += 1

    def __enter__(self) -> Heartbeat:
        self.last = time.perf_counter()
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.stop()
        self.tick()


def test_window_stays_responsive_through_slow_lookup_and_cancel(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    for action in ("GetTransaction", "GetTransactionStatus", "Cancel"):
        desk.sandbox.inject_fault(action=action, kind="delay", delay_ms=2000, times=None)
    with Heartbeat() as beat:
        lookup(qtbot, desk.window, txn)
        with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
            qtbot.mouseClick(desk.window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)
    assert beat.ticks > 200  # it really ran through ~6 s of slow requests
    assert beat.longest < 0.100, f"event loop stalled {beat.longest * 1000:.0f} ms"
    desk.sandbox.clear_faults()
    assert desk.sandbox.transaction(txn)["status"] == "Cancelled"


def test_close_during_lookup_stops_the_worker(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(action="GetTransaction", kind="delay", delay_ms=1000)
    type_and_enter(qtbot, desk.window, txn)
    qtbot.waitUntil(lambda: desk.sandbox.request_count("GetTransaction") == 1, timeout=WAIT_MS)
    assert desk.session.host.worker_thread.isRunning()
    assert desk.window.close()
    # close() waited for the running request (bounded by the read timeout), then stopped.
    assert desk.session.host.worker_thread.isFinished()
    assert not desk.session.host.worker_thread.isRunning()


def test_close_during_cancel_warns_and_records(qtbot, desk, dialog_log):
    txn = desk.sandbox.create_transaction(status="Reserved")
    desk.sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=800)
    lookup(qtbot, desk.window, txn)
    qtbot.mouseClick(desk.window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.session.cancel_state(txn) == "sending", timeout=WAIT_MS)
    dialog_log.close_during_cancel = False
    assert not desk.window.close()  # the agent chose to stay
    assert len(dialog_log.titles("confirm_close_during_cancel")) == 1
    dialog_log.close_during_cancel = True
    assert desk.window.close()
    assert len(dialog_log.titles("confirm_close_during_cancel")) == 2
    assert desk.session.host.worker_thread.isFinished()
    (record,) = desk.actions.for_transaction(txn)
    assert record.outcome == ActionOutcome.SUCCEEDED  # the answer came within the timeout


def test_unresolved_action_from_a_crash_is_reconciled_at_start(
    qtbot, qapp, sandbox, dialog_log, history_path
):
    txn = sandbox.create_transaction(status="Cancelled")
    open_txn = sandbox.create_transaction(status="Reserved")
    recent_txn = sandbox.create_transaction(status="Reserved")
    config = sandbox_config(sandbox)
    conn = open_database(history_path)
    actions = ActionStore(conn)
    now = datetime.now(UTC)
    # A previous run wrote its records and died before hearing back.
    crashed = actions.start(
        "Cancel",
        txn,
        environment=config.environment,
        endpoint=config.endpoint,
        reason="r1",
        status_before="Reserved",
    )
    # ... long ago: that Cancel can no longer take effect (its request expired).
    never_sent = actions.start(
        "Cancel",
        open_txn,
        environment=config.environment,
        endpoint=config.endpoint,
        status_before="Reserved",
        decide_after=now - timedelta(minutes=1),
    )
    # ... a moment ago: it may still arrive, so Reserved proves nothing yet.
    recent = actions.start(
        "Cancel",
        recent_txn,
        environment=config.environment,
        endpoint=config.endpoint,
        status_before="Reserved",
        decide_after=now + timedelta(minutes=19),
    )
    elsewhere = actions.start(
        "Cancel", txn, environment="Production", endpoint="https://fps.amazonaws.com/"
    )
    session = DeskSession(actions, reconcile_delays=FAST_RECONCILE)
    session.connect_to(config)
    window = MainWindow(session)
    try:
        assert session.resume_unresolved() > 0
        qtbot.waitUntil(
            lambda: actions.get(crashed).outcome == ActionOutcome.SUCCEEDED, timeout=WAIT_MS
        )
        # Still Reserved after its request expired: the Cancel never arrived (not re-sent).
        qtbot.waitUntil(
            lambda: actions.get(never_sent).outcome == ActionOutcome.FAILED, timeout=WAIT_MS
        )
        assert actions.get(never_sent).status_after == "Reserved"
        qtbot.waitUntil(
            lambda: actions.get(recent).outcome == ActionOutcome.UNKNOWN, timeout=WAIT_MS
        )
        # Watched until it can be decided (the worker writes the row before its answer reaches
        # the window, so wait for the answer too).
        qtbot.waitUntil(lambda: session.reconciler.is_pending(recent_txn), timeout=WAIT_MS)
        # A record from another endpoint is left for that endpoint.
        assert actions.get(elsewhere).outcome == ActionOutcome.PENDING
        assert sandbox.request_count("Cancel") == 0
    finally:
        window.close()
        session.shutdown()
        conn.close()


def test_results_view_filters_searches_and_exports(qtbot, desk, monkeypatch, tmp_path):
    good = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, desk.window, good)
    with qtbot.waitSignal(desk.session.cancel_finished, timeout=WAIT_MS):
        qtbot.mouseClick(desk.window.transaction_view.cancel_button, Qt.MouseButton.LeftButton)
    # An earlier failed Cancel, as the worker records it.
    bad = desk.sandbox.create_transaction(status="Success")
    failed = desk.actions.start(
        "Cancel",
        bad,
        environment="Local sandbox",
        endpoint=desk.config.endpoint,
        status_before="Reserved",
    )
    desk.actions.finish(
        failed,
        ActionOutcome.FAILED,
        request_id="req-1:0",
        error_code="InvalidTransactionState",
        error_message="not cancellable",
    )
    view = desk.window.results_view
    desk.window.show_results()
    # The Results tab holds the view (built on first use) inside a host widget.
    assert desk.window.tabs.currentWidget() is view.parentWidget()
    assert desk.window.tabs.tabText(desk.window.tabs.currentIndex()) == "Results"
    assert {r.transaction_id for r in view.records} == {good, bad}
    view.outcome.setCurrentIndex(view.outcome.findData("succeeded"))
    assert [r.transaction_id for r in view.records] == [good]
    view.outcome.setCurrentIndex(view.outcome.findData("failed"))
    assert [r.transaction_id for r in view.records] == [bad]
    assert table_texts(view.table)[0][2] == "Not cancelled: InvalidTransactionState"
    view.outcome.setCurrentIndex(0)
    view.search.setText(good[5:15].lower())
    assert [r.transaction_id for r in view.records] == [good]
    view.search.clear()
    target = tmp_path / "out.csv"
    import fpsdesk.ui.dialogs as dialogs

    monkeypatch.setattr(dialogs, "save_csv_path", lambda *a: str(target))
    view.export()
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["transaction_id"]: r["outcome"] for r in rows} == {good: "succeeded", bad: "failed"}
    assert all(r["request_id"] for r in rows)
    # Double-clicking a row opens the transaction.
    view._open_row([r.transaction_id for r in view.records].index(good), 0)
    qtbot.waitUntil(lambda: shown_status(desk.window) == "Cancelled", timeout=WAIT_MS)
    assert desk.window.tabs.currentIndex() == 0
