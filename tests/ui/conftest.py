"""UI test fixtures: the real window on a real sandbox, dialogs recorded, leaks refused.

- ``no_thread_or_timer_left`` (autouse): fails a test that leaves a QThread running or a
  QTimer active (napari's dangling-thread check, simplified: it records every QThread and QTimer
  started from Python during the test and checks them after everything else is torn down).
- ``dialog_log``: replaces the functions of ``fpsdesk.ui.dialogs`` so no modal loop ever runs;
  tests set the answers and read what would have been shown.
- ``desk``: a DeskSession + MainWindow connected to the ``sandbox`` fixture over loopback HTTP,
  with a real SQLite history file; closed at the end of the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThread, QTimer

from fpsdesk.desk.replies import ConnectionConfig
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fpsdesk.store.actions import ActionStore
from fpsdesk.store.db import open_database
from fpsdesk.ui import dialogs, prompts, qt_compat
from fpsdesk.ui.application import create_application
from fpsdesk.ui.main_window import MainWindow
from fpsdesk.ui.session import DeskSession

FAST_RECONCILE = (0.05, 0.1, 0.2)
# PySide6 6.12.0 on Python 3.11 leaks a reference to None per Qt call (see qt_compat); without
# the reserve a long UI test session would abort in CPython's none_dealloc.
qt_compat.protect_none_refcount()


@pytest.fixture(autouse=True)
def no_thread_or_timer_left(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    threads: list[QThread] = []
    timers: list[QTimer] = []
    thread_start = QThread.start
    timer_start = QTimer.start

    def start_thread(self: QThread, *args: Any) -> None:
        threads.append(self)
        thread_start(self, *args)

    def start_timer(self: QTimer, *args: Any) -> None:
        timers.append(self)
        timer_start(self, *args)

    monkeypatch.setattr(QThread, "start", start_thread)
    monkeypatch.setattr(QTimer, "start", start_timer)
    yield
    running = []
    for thread in threads:
        try:
            if thread.isRunning():
                running.append(thread.objectName() or repr(thread))
        except RuntimeError:  # the C++ object is gone: certainly not running
            pass
    active = []
    for timer in timers:
        try:
            if timer.isActive():
                active.append(timer.objectName() or repr(timer))
        except RuntimeError:
            pass
    assert not running, f"QThread(s) left running: {running}"
    assert not active, f"QTimer(s) left active: {active}"


@dataclass
class DialogLog:
    """What the app would have shown, and the answers the test gives."""

    cancel_reason: str | None = "Customer asked to cancel"  # the comment (None: back out)
    cancel_code: str | None = "customer-request"
    close_during_cancel: bool = True
    confirm_answer: bool = True
    shown: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    on_confirm_cancel: Any = None  # called with the prompt before answering
    on_modal: Any = None  # called with a dialog run through dialogs.run_modal
    first_run: str | None = None  # the first-run choice
    lookup_first_answer: bool = False  # take the offer to look up the field's ID first
    second_cancel_answer: bool = False  # send a second Cancel while the first is unresolved
    bulk_file: str | None = None  # the file chosen for a bulk cancel
    bulk_reason: str | None = "Fraud wave"  # the bulk confirmation's comment (None: go back)
    bulk_code: str | None = "suspected-fraud"
    on_confirm_bulk: Any = None  # called with the BulkPrompt before answering
    resume_answer: bool = False  # resume an unfinished bulk run when offered
    close_during_bulk: bool = True

    def titles(self, kind: str) -> list[Any]:
        return [args for name, args in self.shown if name == kind]


@pytest.fixture
def dialog_log(monkeypatch: pytest.MonkeyPatch) -> DialogLog:
    log = DialogLog()

    def confirm_cancel(parent: Any, prompt: prompts.CancelPrompt) -> prompts.ReasonChoice | None:
        log.shown.append(("confirm_cancel", (prompt,)))
        if log.on_confirm_cancel is not None:
            log.on_confirm_cancel(prompt)
        if log.cancel_reason is None:
            return None
        return prompts.ReasonChoice(log.cancel_code, log.cancel_reason)

    def recorder(name: str, answer: Any = None) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            log.shown.append((name, args[1:]))
            return answer() if callable(answer) else answer

        return record

    monkeypatch.setattr(dialogs, "confirm_cancel", confirm_cancel)
    monkeypatch.setattr(dialogs, "show_error", recorder("show_error"))
    monkeypatch.setattr(dialogs, "show_info", recorder("show_info"))
    monkeypatch.setattr(dialogs, "confirm", recorder("confirm", lambda: log.confirm_answer))
    monkeypatch.setattr(
        dialogs,
        "confirm_close_during_cancel",
        recorder("confirm_close_during_cancel", lambda: log.close_during_cancel),
    )
    monkeypatch.setattr(
        dialogs,
        "confirm_reset_sandbox",
        recorder("confirm_reset_sandbox", lambda: log.confirm_answer),
    )
    monkeypatch.setattr(
        dialogs, "first_run_choice", recorder("first_run_choice", lambda: log.first_run)
    )
    monkeypatch.setattr(
        dialogs,
        "offer_lookup_first",
        recorder("offer_lookup_first", lambda: log.lookup_first_answer),
    )
    monkeypatch.setattr(
        dialogs,
        "confirm_second_cancel",
        recorder("confirm_second_cancel", lambda: log.second_cancel_answer),
    )

    def confirm_bulk_cancel(parent: Any, prompt: prompts.BulkPrompt) -> prompts.ReasonChoice | None:
        log.shown.append(("confirm_bulk_cancel", (prompt,)))
        if log.on_confirm_bulk is not None:
            log.on_confirm_bulk(prompt)
        if log.bulk_reason is None:
            return None
        code = log.bulk_code if prompt.ask_reason else None
        return prompts.ReasonChoice(code, log.bulk_reason if prompt.ask_reason else "")

    monkeypatch.setattr(dialogs, "confirm_bulk_cancel", confirm_bulk_cancel)
    monkeypatch.setattr(
        dialogs, "open_bulk_file", recorder("open_bulk_file", lambda: log.bulk_file)
    )
    monkeypatch.setattr(
        dialogs, "offer_resume_bulk", recorder("offer_resume_bulk", lambda: log.resume_answer)
    )
    monkeypatch.setattr(
        dialogs,
        "confirm_close_during_bulk",
        recorder("confirm_close_during_bulk", lambda: log.close_during_bulk),
    )
    monkeypatch.setattr(dialogs, "show_about", recorder("show_about"))
    monkeypatch.setattr(dialogs, "show_shortcuts", recorder("show_shortcuts"))
    monkeypatch.setattr(dialogs, "show_unexpected_error", recorder("show_unexpected_error"))
    monkeypatch.setattr(dialogs, "save_csv_path", recorder("save_csv_path"))
    monkeypatch.setattr(dialogs, "open_folder", recorder("open_folder", True))
    monkeypatch.setattr(
        dialogs,
        "run_modal",
        lambda dialog: (
            log.shown.append(("run_modal", (dialog,)))
            or (log.on_modal(dialog) if log.on_modal else 0)
        ),
    )
    return log


@dataclass
class Desk:
    window: MainWindow
    session: DeskSession
    actions: ActionStore
    sandbox: Any
    config: ConnectionConfig

    def close(self) -> None:
        self.window.close()
        self.session.shutdown()


def sandbox_config(sandbox: Any, read_timeout: float = 10.0) -> ConnectionConfig:
    return ConnectionConfig(
        endpoint=sandbox.url,
        access_key_id=DEFAULT_ACCESS_KEY,
        secret_key=DEFAULT_SECRET_KEY,
        environment="Local sandbox",
        profile_name="Test",
        connect_timeout=3.0,
        read_timeout=read_timeout,
    )


@pytest.fixture
def history_path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def desk(qapp: Any, sandbox: Any, dialog_log: DialogLog, history_path: Path) -> Iterator[Desk]:
    create_application()
    conn = open_database(history_path)
    actions = ActionStore(conn)
    session = DeskSession(actions, reconcile_delays=FAST_RECONCILE)
    config = sandbox_config(sandbox)
    session.connect_to(config)
    window = MainWindow(session, sandbox_mode=True, profile_name="Test")
    window.show()
    desk = Desk(window, session, actions, sandbox, config)
    yield desk
    desk.close()
    conn.close()
