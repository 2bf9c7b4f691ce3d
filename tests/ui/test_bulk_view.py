"""Bulk cancel in the app: a dry run first, then a run that pauses, stops and resumes, each
Cancel sent once; sources are a file or the rows selected in Search."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from fpsdesk.desk.bulk import BulkDesk
from fpsdesk.desk.bulk_control import BulkControl
from fpsdesk.desk.bulk_input import read_lines
from fpsdesk.fps.client import FpsClient
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.bulk import BulkStore
from fpsdesk.store.db import open_database
from fpsdesk.ui import dialogs, prompts
from fpsdesk.ui.bulk_cancel_dialog import BulkCancelDialog
from fpsdesk.ui.main_window import MainWindow
from fpsdesk.ui.session import DeskSession
from tests.ui.conftest import FAST_RECONCILE, sandbox_config
from tests.ui.helpers import WAIT_MS, painted_text, wait_shown

pytestmark = pytest.mark.gui

UNKNOWN = "1" + "Z" * 34  # well formed, never issued
RUN_MS = WAIT_MS * 4


def write_list(path: Path, rows: list[str]) -> Path:
    path.write_text("transaction_id,order\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def reserved(sandbox: Any, n: int, amount: str = "10.00") -> list[str]:
    return [sandbox.create_transaction(status="Reserved", amount=amount) for _ in range(n)]


def dry_run_of(qtbot: Any, desk: Any, dialog_log: Any, path: Path) -> Any:
    """File → Bulk cancel from a file (Ctrl+O), answered with ``path``; wait for the plan."""
    dialog_log.bulk_file = str(path)
    desk.window.bulk_from_file()
    view = desk.window.bulk_view
    assert desk.window.tabs.currentWidget() is desk.window._bulk_host
    qtbot.waitUntil(lambda: view.state == "plan", timeout=RUN_MS)
    return view


def summary_rows(view: Any) -> dict[str, list[str]]:
    table = view.summary_table
    rows = {}
    for r in range(table.rowCount()):
        cells = [table.item(r, c).text() for c in range(table.columnCount())]
        rows[cells[0]] = cells[1:]
    return rows


def wait_done(qtbot: Any, view: Any) -> None:
    qtbot.waitUntil(lambda: view.state == "done" and not view.busy, timeout=RUN_MS)


def test_a_file_gets_a_dry_run_with_classes_counts_amounts_and_bad_lines(
    qtbot, desk, dialog_log, tmp_path
):
    sandbox = desk.sandbox
    a, b = reserved(sandbox, 2, "10.00")
    pending = sandbox.create_transaction(status="Pending", amount="5.50")
    cancelled = sandbox.create_transaction(status="Cancelled", amount="7.00")
    done = sandbox.create_transaction(status="Success", amount="3.00")
    failed = sandbox.create_transaction(status="Failure", amount="2.00")
    path = write_list(
        tmp_path / "ids.csv",
        [
            f"{a},ORD-1",
            f"{b},ORD-2",
            f"{pending},ORD-3",
            f"{cancelled},ORD-4",
            f"{done},ORD-5",
            f"{failed},ORD-6",
            f"{UNKNOWN},ORD-7",
            "no id here,ORD-8",
            f"{a},ORD-1 again",
        ],
    )
    view = dry_run_of(qtbot, desk, dialog_log, path)
    assert sandbox.request_count("Cancel") == 0
    rows = summary_rows(view)
    assert rows["To cancel"] == ["3", "USD 25.50", "Will be cancelled"]
    assert rows["Already cancelled"][:2] == ["1", "USD 7.00"]
    assert rows["Completed"] == ["1", "USD 3.00", "Skipped: completed, refund it instead"]
    assert rows["Failed"][:2] == ["1", "USD 2.00"]
    assert rows["Unknown ID"][0] == "1"
    assert rows["No usable ID"][0] == "1"
    assert rows["Duplicate"][0] == "1"
    assert set(rows) == {
        "To cancel",
        "Already cancelled",
        "Completed",
        "Failed",
        "Unknown ID",
        "No usable ID",
        "Duplicate",
    }
    # The invalid line with its number (the header is line 1), the environment, every item.
    assert view.invalid_label.isVisible()
    assert "Line 9: no transaction ID on this line: no id here,ORD-8" in view.invalid_label.text()
    assert view.env_badge.text() == "LOCAL SANDBOX"
    assert view.model.rowCount() == 9
    duplicate = next(i for i in view.items() if i.klass == "duplicate")
    assert duplicate.line_no == 10
    assert duplicate.message == "same as line 2"
    assert view.confirm_button.text() == "Cancel 3 transactions…"
    assert view.confirm_button.isEnabled()
    assert str(path.resolve()) in view.source_label.text()
    # Before the run, the run's columns are hidden.
    assert view.table.isColumnHidden(4)
    # Going back sends nothing.
    dialog_log.bulk_reason = None
    assert not view.confirm()
    assert view.state == "plan"
    assert sandbox.request_count("Cancel") == 0


def test_the_run_cancels_each_once_and_shows_the_results(
    qtbot, desk, dialog_log, tmp_path, monkeypatch
):
    sandbox = desk.sandbox
    txns = reserved(sandbox, 6)
    done = sandbox.create_transaction(status="Success")
    view = dry_run_of(qtbot, desk, dialog_log, write_list(tmp_path / "l.csv", [*txns, done]))
    # The plan's rows are painted a moment after the page, saying what will happen.
    qtbot.waitUntil(lambda: not view._rows_later.holding, timeout=WAIT_MS)
    first = view.model.position(next(i.seq for i in view.items() if i.transaction_id == txns[0]))
    assert painted_text(view.model, first, 7) == "Will be cancelled"
    view._show_columns(plan=False)  # the run's columns, before its first report
    assert painted_text(view.model, first, 7) == "Not sent yet"
    view._show_columns(plan=True)
    view.plan_rate.setValue(20)
    dialog_log.bulk_reason = "Fraud wave of Tuesday"
    qtbot.mouseClick(view.confirm_button, Qt.MouseButton.LeftButton)
    (prompt,) = [args[0] for name, args in dialog_log.shown if name == "confirm_bulk_cancel"]
    assert prompt.count == 6
    assert prompt.amounts == "USD 60.00"
    assert prompt.environment == "Local sandbox"
    assert not prompt.needs_count_typed
    assert view.running
    wait_done(qtbot, view)
    assert sandbox.request_counts_by_transaction("Cancel") == {t: 1 for t in txns}
    assert {sandbox.transaction(t)["status"] for t in txns} == {"Cancelled"}
    assert view.progress.succeeded == 6
    assert view.progress.finished
    assert view.banner.headline.text().endswith("finished: all 6 cancelled")
    assert "1 line skipped in the dry run" in view.banner.detail.text()
    assert not view.resume_button.isVisible()
    by_id = {i.transaction_id: i for i in view.items()}
    assert {by_id[t].outcome for t in txns} == {"succeeded"}
    assert all(by_id[t].request_id for t in txns)
    model = view.model
    outcomes = {model.index(r, 4).data() for r in range(model.rowCount())}
    assert outcomes == {"Cancelled", "—"}
    # What is painted says what happened, not what the plan said would.
    qtbot.waitUntil(lambda: not view._rows_later.holding, timeout=WAIT_MS)
    assert painted_text(model, first, 4) == "Cancelled"
    assert painted_text(model, first, 7) == "Cancelled: nothing will be charged."
    # Recorded in the same history the app shows, with the reason typed at the confirmation.
    records = [desk.actions.for_transaction(t) for t in txns]
    assert all(len(r) == 1 and r[0].reason == "Fraud wave of Tuesday" for r in records)
    assert {r[0].reason_code for r in records} == {"suspected-fraud"}
    desk.window.show_results()
    assert desk.window.results_view.table.rowCount() == 6
    # CSV export of the per-item table.
    out = tmp_path / "export.csv"
    monkeypatch.setattr(dialogs, "save_csv_path", lambda *args: str(out))
    qtbot.mouseClick(desk.window.bulk_view.export_button, Qt.MouseButton.LeftButton)
    with out.open(encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == 7
    assert {r["outcome"] for r in exported if r["transaction_id"] in txns} == {"succeeded"}
    assert next(r for r in exported if r["transaction_id"] == done)["dry_run"] == "completed"


def test_pause_holds_the_run_and_resume_finishes_it(qtbot, desk, dialog_log, tmp_path):
    sandbox = desk.sandbox
    txns = reserved(sandbox, 8)
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=150, times=None)
    view = dry_run_of(qtbot, desk, dialog_log, write_list(tmp_path / "l.txt", txns))
    view.plan_rate.setValue(20)
    assert view.confirm()
    qtbot.waitUntil(lambda: view.progress is not None and view.progress.done >= 2, timeout=RUN_MS)
    qtbot.mouseClick(view.pause_button, Qt.MouseButton.LeftButton)
    assert view.paused
    assert view.pause_button.text() == "Resume"
    # The Cancel in flight finishes and shows; then nothing more is sent while paused.
    qtbot.waitUntil(lambda: view.run_label.text().startswith("Paused after"), timeout=RUN_MS)
    sent = sandbox.request_count("Cancel")
    assert sent == view.progress.done
    assert f"Paused after {sent} of 8" in view.run_label.text()
    qtbot.wait(800)
    assert sandbox.request_count("Cancel") == sent < len(txns)
    qtbot.mouseClick(view.pause_button, Qt.MouseButton.LeftButton)
    assert view.state == "running"
    wait_done(qtbot, view)
    assert sandbox.request_counts_by_transaction("Cancel") == {t: 1 for t in txns}
    assert view.progress.succeeded == len(txns)


def test_stop_then_resume_sends_each_cancel_once(qtbot, desk, dialog_log, tmp_path):
    sandbox = desk.sandbox
    txns = reserved(sandbox, 10)
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=150, times=None)
    view = dry_run_of(qtbot, desk, dialog_log, write_list(tmp_path / "l.tsv", txns))
    view.plan_rate.setValue(20)
    assert view.confirm()
    qtbot.waitUntil(lambda: view.progress is not None and view.progress.done >= 2, timeout=RUN_MS)
    qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    assert "Stopping" in view.run_label.text()
    wait_done(qtbot, view)
    stopped = view.progress
    assert stopped.stopped
    assert 2 <= stopped.done < len(txns)
    assert "stopped" in view.banner.headline.text()
    assert view.resume_button.isVisible()
    assert sandbox.request_count("Cancel") == stopped.done
    qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
    assert view.running
    wait_done(qtbot, view)
    assert view.progress.finished
    assert view.progress.succeeded == len(txns)
    assert sandbox.request_counts_by_transaction("Cancel") == {t: 1 for t in txns}


def test_rows_selected_in_search_go_to_a_dry_run_then_are_cancelled(qtbot, desk, dialog_log):
    sandbox = desk.sandbox
    txns = [
        sandbox.create_transaction(status="Reserved", caller_reference=f"WAVE-{n}")
        for n in range(4)
    ]
    sandbox.create_transaction(status="Success", caller_reference="WAVE-done")
    window = desk.window
    window.find_transactions()
    search = window.search_view
    search.text.setText("wave-")
    assert search.search()
    qtbot.waitUntil(lambda: not search.running, timeout=RUN_MS)
    assert search.model.rowCount() == 5
    assert not search.cancel_button.isEnabled()
    search.table.selectAll()
    assert search.cancel_button.text() == "Cancel 5 selected…"
    qtbot.mouseClick(search.cancel_button, Qt.MouseButton.LeftButton)
    view = window.bulk_view
    assert window.tabs.currentWidget() is window._bulk_host
    qtbot.waitUntil(lambda: view.state == "plan", timeout=RUN_MS)
    assert view.dry.cancellable == 4
    assert summary_rows(view)["Completed"][0] == "1"
    assert "5 transactions selected in Search" in view.source_label.text()
    view.plan_rate.setValue(20)
    assert view.confirm()
    wait_done(qtbot, view)
    assert sandbox.request_counts_by_transaction("Cancel") == {t: 1 for t in txns}
    # Double-click an item: its transaction page.
    view.table.setCurrentIndex(view.model.index(0, 1))
    view.table.activated.emit(view.model.index(0, 1))
    wait_shown(qtbot, window, view.model.row(0).transaction_id)


def test_an_unfinished_run_is_offered_at_start_and_resumed(
    qtbot, qapp, sandbox, dialog_log, history_path, tmp_path
):
    """A run stopped earlier (another start of the app) is offered, never resumed silently."""
    txns = reserved(sandbox, 5)
    conn = open_database(history_path)
    try:
        with FpsClient(sandbox.url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY) as client:
            desk_layer = BulkDesk(client, ActionStore(conn), BulkStore(conn))
            dry = desk_layer.dry_run(read_lines("\n".join(txns)), source="wave.csv")
            control = BulkControl(rate=50)
            desk_layer.run(dry.job_id, control=control, on_item=lambda *_: control.stop())
    finally:
        conn.close()
    assert sandbox.request_count("Cancel") == 1

    @contextmanager
    def app_start(answer: bool) -> Iterator[MainWindow]:
        """The app starting again on the same history file, as AppController does it."""
        dialog_log.resume_answer = answer
        db = open_database(history_path)
        session = DeskSession(ActionStore(db), reconcile_delays=FAST_RECONCILE)
        session.connect_to(sandbox_config(sandbox))
        window = MainWindow(session, sandbox_mode=True, profile_name="Test")
        window.show()
        try:
            yield window
        finally:
            window.close()
            session.shutdown()
            db.close()

    def offered() -> bool:
        return bool(dialog_log.titles("offer_resume_bulk"))

    # Declined: nothing is sent, and the run stays listed with its Resume button.
    with app_start(False) as window:
        qtbot.waitUntil(offered, timeout=RUN_MS)
        (text, details) = dialog_log.titles("offer_resume_bulk")[0]
        assert f"Bulk run #{dry.job_id} on Local sandbox has 4 of 5 Cancels left" in text
        assert "wave.csv" in details
        view = window.bulk_view
        qtbot.waitUntil(lambda: bool(view.resume_buttons()), timeout=RUN_MS)
        assert view.unfinished_box.isVisibleTo(view)
        assert sandbox.request_count("Cancel") == 1
    # Accepted: the run resumes and sends the four left, none twice.
    dialog_log.shown.clear()
    with app_start(True) as window:
        view = window.bulk_view
        qtbot.waitUntil(offered, timeout=RUN_MS)
        assert window.tabs.currentWidget() is window._bulk_host
        wait_done(qtbot, view)
        assert view.progress.finished
        assert view.progress.succeeded == 5
    assert sandbox.request_counts_by_transaction("Cancel") == {t: 1 for t in txns}


def test_production_above_20_needs_the_number_typed(qtbot, qapp):
    prompt = prompts.BulkPrompt(
        count=21,
        environment="Production",
        endpoint="https://fps.amazonaws.com/",
        amounts="USD 210.00",
        needs_count_typed=True,
        job_id=3,
    )
    dialog = BulkCancelDialog(prompt)
    qtbot.addWidget(dialog)
    assert not dialog.confirm_button.isEnabled()
    dialog.count_edit.setText("20")
    assert not dialog.confirm_button.isEnabled()
    dialog.count_edit.setText("21")
    assert not dialog.confirm_button.isEnabled()  # and a reason code
    dialog.picker.choose("suspected-fraud")
    assert dialog.confirm_button.isEnabled()
    dialog.reason.setPlainText("  Chargeback wave  ")
    assert dialog.choice() == prompts.ReasonChoice("suspected-fraud", "Chargeback wave")
    calm = BulkCancelDialog(
        prompts.BulkPrompt(3, "Sandbox", "https://fps.sandbox.amazonaws.com/", "", False, 4)
    )
    qtbot.addWidget(calm)
    assert not calm.confirm_button.isEnabled()
    calm.picker.choose("other")
    assert calm.confirm_button.isEnabled()
    assert calm.count_edit.isHidden()
    resumed = BulkCancelDialog(
        prompts.BulkPrompt(
            3, "Sandbox", "https://fps.sandbox.amazonaws.com/", "", False, 4, ask_reason=False
        )
    )
    qtbot.addWidget(resumed)
    assert resumed.confirm_button.isEnabled()  # a resumed run keeps its first reason


def test_a_file_with_no_ids_is_explained_and_nothing_runs(qtbot, desk, dialog_log, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("transaction_id,order\n\n", encoding="utf-8")
    dialog_log.bulk_file = str(path)
    desk.window.bulk_from_file()
    view = desk.window.bulk_view
    qtbot.waitUntil(lambda: view.state == "start" and view.start_error.isVisible(), timeout=RUN_MS)
    assert "No lines with a transaction ID" in view.start_error.text()
    binary = tmp_path / "export.xlsx"
    binary.write_bytes(b"PK\x03\x04\0\0binary")
    view.start_file(binary)
    qtbot.waitUntil(lambda: "not a text file" in view.start_error.text(), timeout=RUN_MS)
    # Lines, but none with an ID: the dry run says so, and there is nothing to confirm.
    path.write_text("order,note\nORD-1,late\nORD-2,early\n", encoding="utf-8")
    view.start_file(path)
    qtbot.waitUntil(lambda: view.state == "plan", timeout=RUN_MS)
    assert not view.confirm_button.isEnabled()
    assert view.confirm_button.text() == "Nothing to cancel"
    assert "Line 2: no transaction ID on this line: ORD-1,late" in view.invalid_label.text()
    assert desk.sandbox.request_count("GetTransaction") == 0
    assert desk.sandbox.request_count("Cancel") == 0


def test_closing_during_a_run_asks_and_stops_it_resumably(qtbot, desk, dialog_log, tmp_path):
    sandbox = desk.sandbox
    txns = reserved(sandbox, 8)
    sandbox.inject_fault(action="Cancel", kind="delay", delay_ms=150, times=None)
    view = dry_run_of(qtbot, desk, dialog_log, write_list(tmp_path / "l.csv", txns))
    view.plan_rate.setValue(10)
    assert view.confirm()
    qtbot.waitUntil(lambda: view.progress is not None and view.progress.done >= 1, timeout=RUN_MS)
    dialog_log.close_during_bulk = False
    assert not desk.window.close()
    assert view.running
    dialog_log.close_during_bulk = True
    assert desk.window.close()  # stops after the Cancel in flight and waits for it
    assert desk.window._jobs.running() == []  # the run's thread has ended
    sent = sandbox.request_counts_by_transaction("Cancel")
    assert all(n == 1 for n in sent.values())
    assert len(sent) < len(txns)
    conn = open_database(tmp_path / "history.sqlite3")
    try:
        (job,) = BulkStore(conn).jobs(unfinished=True)
        assert job.state == "stopped"
    finally:
        conn.close()
