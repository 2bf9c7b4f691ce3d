"""Feedback: an export says how many rows went where (and opens the folder); Copy confirms."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from fpsdesk.store.actions import ActionOutcome
from fpsdesk.ui import dialogs, theme
from tests.ui.helpers import WAIT_MS, lookup

pytestmark = pytest.mark.gui


def _finished_note(window) -> QMessageBox:
    boxes = [b for b in window.findChildren(QMessageBox) if b.objectName() == "export-finished"]
    assert len(boxes) == 1, "the export finished silently"
    return boxes[0]


def test_results_export_says_how_many_rows_went_where(qtbot, desk, monkeypatch, tmp_path):
    for n in range(3):
        action = desk.actions.start(
            "Cancel",
            "1" + str(n) * 34,
            environment="Local sandbox",
            endpoint=desk.config.endpoint,
            status_before="Reserved",
        )
        desk.actions.finish(action, ActionOutcome.SUCCEEDED, request_id=f"r-{n}:0")
    target = tmp_path / "cancels.csv"
    monkeypatch.setattr(dialogs, "save_csv_path", lambda *a: str(target))
    # Opening a file manager is the desktop's business: recorded here, not spawned.
    opened: list[Path] = []
    monkeypatch.setattr(dialogs, "open_folder", lambda path: opened.append(path) or True)
    desk.window.show_results()
    desk.window.results_view.export()
    with target.open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 3
    note = _finished_note(desk.window)
    assert note.isVisible()
    assert not note.isModal()
    assert note.text() == "3 rows written to cancels.csv"
    assert note.informativeText() == f"in {tmp_path}"
    [folder] = [b for b in note.buttons() if b.text() == "Open folder"]
    folder.click()
    assert opened == [target]


def test_copy_looks_like_a_button_and_confirms(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Reserved")
    lookup(qtbot, desk.window, txn)
    field = desk.window.transaction_view.transaction_id
    assert not field.button.isFlat()
    field.button.click()
    assert QGuiApplication.clipboard().text() == txn
    assert field.button.text() == "✓ Copied"
    qtbot.waitUntil(lambda: field.button.text() == "Copy", timeout=WAIT_MS)


def test_copy_for_support_confirms(qtbot, desk):
    txn = desk.sandbox.create_transaction(status="Success")
    lookup(qtbot, desk.window, txn)
    banner = desk.window.transaction_view.banner
    banner.show_result(
        theme.status_look("Failure"),
        "Not cancelled",
        "FPS refused it.",
        "InvalidTransactionState",
        "req-9",
        kind="error",
        context=desk.window._context(txn),
    )
    banner.support_button.click()
    note = QGuiApplication.clipboard().text()
    assert f"Transaction: {txn}" in note
    assert "Environment: Local sandbox" in note
    assert "Error code: InvalidTransactionState" in note
    assert banner.support_button.text() == "✓ Copied"
