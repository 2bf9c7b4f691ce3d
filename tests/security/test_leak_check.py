"""Leak check: a whole GUI session with DEBUG logging, then a search for secrets everywhere.

The session is the real app (AppController, MainWindow, SettingsDialog, worker thread) against
the real sandbox over loopback, logging at DEBUG to stderr and to the log file exactly as
``fpsdesk -vv`` does. It saves a profile with a known secret key, tests the connection with a
wrong and the right key, looks transactions up, cancels one, and triggers errors (unknown ID,
HTTP 500s, a dropped Cancel that must be reconciled, an HTML proxy page, a malformed answer).

Then every file under the config, data, cache and state (log) directories, the captured stdout
and stderr, every log record, every "Copy for support" note and every text on screen are
searched for the secret key and for every Signature value the app sent (captured at the
transport: ``fpsdesk.fps.transport.Transport.exchange``), raw and percent-encoded, in UTF-8 and
UTF-16. There must be zero hits.
"""

from __future__ import annotations

import argparse
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from PySide6.QtCore import Qt

from fpsdesk import logsetup
from fpsdesk.fps.signing import percent_encode
from fpsdesk.fps.transport import Transport
from fpsdesk.sandbox import RetryPolicy, SandboxServer
from fpsdesk.settings_store import SettingsStore
from fpsdesk.ui import dialogs, prompts
from tests.fixtures.keychain import MemoryKeyring

pytestmark = pytest.mark.gui

WAIT_MS = 20_000
ACCESS_KEY = "AKIDLEAKCHECK0000001"
# Unique per run, so a hit cannot come from anywhere but this session.
SECRET = "LeakCheck/" + secrets.token_urlsafe(30)
WRONG_SECRET = "WrongKey/" + secrets.token_urlsafe(30)


class Wire:
    """Every request the app sends, seen at the transport; keeps the Signature values."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.signatures: set[str] = set()
        self.requests = 0

    def record(self, url: str, body: bytes | None) -> None:
        if not url.startswith(self.endpoint):
            return  # e.g. the sandbox's own IPN POSTs
        self.requests += 1
        pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        if body:
            text = body.decode("ascii") if isinstance(body, bytes) else str(body)
            pairs += parse_qsl(text, keep_blank_values=True)
        for name, value in pairs:
            if name == "Signature":
                self.signatures.add(value)


@pytest.fixture
def leak_sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(
        credentials={ACCESS_KEY: SECRET},
        ipn_retry=RetryPolicy(initial=0.02, max_interval=0.1, give_up_after=2.0, timeout=2.0),
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch, leak_sandbox: SandboxServer) -> Wire:
    recorder = Wire(leak_sandbox.url)
    exchange = Transport.exchange

    def recording_exchange(
        self: Transport, method: str, url: str, body: bytes | None = None, *args: Any, **kw: Any
    ) -> Any:
        recorder.record(url, body)
        return exchange(self, method, url, body, *args, **kw)

    monkeypatch.setattr(Transport, "exchange", recording_exchange)
    return recorder


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """No modal dialog ever runs: each dialog function records what it would have shown."""
    log: list[tuple[str, tuple[Any, ...]]] = []

    def recorder(name: str, answer: Any = None) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            log.append((name, args[1:]))
            return answer

        return record

    monkeypatch.setattr(
        dialogs,
        "confirm_cancel",
        recorder("confirm_cancel", prompts.ReasonChoice("other", "Leak check")),
    )
    monkeypatch.setattr(dialogs, "confirm", recorder("confirm", True))
    for name in (
        "show_error",
        "show_info",
        "first_run_choice",
        "show_about",
        "show_shortcuts",
        "show_unexpected_error",
        "save_csv_path",
    ):
        if hasattr(dialogs, name):
            monkeypatch.setattr(dialogs, name, recorder(name))
    for name in ("confirm_close_during_cancel", "confirm_reset_sandbox"):
        if hasattr(dialogs, name):
            monkeypatch.setattr(dialogs, name, recorder(name, True))
    return log


@pytest.fixture
def debug_logging() -> Iterator[None]:
    """What ``fpsdesk -vv`` sets up: DEBUG to stderr and to the log file in the log dir."""
    from fpsdesk.ui.application import log_file_path

    logsetup.configure(logging.DEBUG, log_file=log_file_path())
    try:
        yield
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "_fpsdesk", False):
                root.removeHandler(handler)
                handler.close()
        root.setLevel(logging.WARNING)


def _click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _test_connection(qtbot: Any, dialog: Any, secret: str) -> Any:
    dialog.secret.setText(secret)
    with qtbot.waitSignal(dialog._session.connection_tested, timeout=WAIT_MS) as tested:
        _click(qtbot, dialog.test_button)
    return tested.args[0]


def _lookup(qtbot: Any, window: Any, transaction_id: str) -> None:
    window.id_edit.setText(transaction_id)
    with qtbot.waitSignal(window.session.lookup_started, timeout=WAIT_MS):
        qtbot.keyClick(window.id_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.current_lookup is None, timeout=WAIT_MS)


def _copy_support_notes(qtbot: Any, window: Any, notes: list[str]) -> None:
    """Press every visible "Copy for support" and keep what reached the clipboard."""
    from PySide6.QtGui import QGuiApplication

    for banner in (window.error_banner, window.transaction_view.banner):
        if banner.isVisible() and banner.support_button.isVisible():
            _click(qtbot, banner.support_button)
            notes.append(QGuiApplication.clipboard().text())


def _screen_texts(widget: Any) -> list[str]:
    """Every text the window shows: labels, line edits (not password fields), table cells."""
    from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QTableWidget

    texts: list[str] = []
    for label in widget.findChildren(QLabel):
        texts.append(label.text())
    for button in widget.findChildren(QAbstractButton):
        texts.append(button.text())
    for edit in widget.findChildren(QLineEdit):
        if edit.echoMode() == QLineEdit.EchoMode.Normal:
            texts.append(edit.text())
    for table in widget.findChildren(QTableWidget):
        for row in range(table.rowCount()):
            for col in range(table.columnCount()):
                item = table.item(row, col)
                if item is not None:
                    texts.append(item.text())
                    texts.append(item.toolTip())
    return texts


def run_gui_session(qtbot: Any, sandbox: SandboxServer, wire: Wire) -> dict[str, Any]:
    """The whole agent session; returns facts the caller checks besides the leak search."""
    from fpsdesk.ui.app import AppController
    from fpsdesk.ui.settings_dialog import SettingsDialog

    facts: dict[str, Any] = {}
    notes: list[str] = []
    facts["support_notes"] = notes
    args = argparse.Namespace(sandbox=False, profile=None, smoke_test=False, verbose=2)
    controller = AppController(args)
    try:
        window = controller.start()  # no profile yet: the first-run choice is "not now"
        qtbot.addWidget(window)
        # Reconcile quickly (the app's own back-off starts at 2 s).
        window.session.reconciler._delays = (0.05, 0.1, 0.2)

        # -- save a profile with the known secret, through the settings dialog ---------------
        dialog = SettingsDialog(controller.session, parent=window)
        dialog.profile_activated.connect(controller._on_profile_activated)
        dialog.name.setText("Leak check")
        dialog.environment.setCurrentIndex(2)  # Custom
        dialog.endpoint.setText(sandbox.url)
        dialog.access_key.setText(ACCESS_KEY)
        facts["wrong_key_test"] = _test_connection(qtbot, dialog, WRONG_SECRET)
        facts["right_key_test"] = _test_connection(qtbot, dialog, SECRET)
        dialog.secret.setText(SECRET)
        _click(qtbot, dialog.use_button)
        facts["dialog_result"] = dialog.result()
        dialog.deleteLater()

        # -- look up, cancel, and errors -----------------------------------------------------
        reserved = sandbox.create_transaction(status="Reserved", amount="12.34")
        pending = sandbox.create_transaction(status="Pending", amount="5.00")
        flaky = sandbox.create_transaction(status="Reserved", amount="7.00")

        _lookup(qtbot, window, reserved)
        qtbot.waitUntil(lambda: window.transaction_view.cancel_button.isEnabled(), timeout=WAIT_MS)
        with qtbot.waitSignal(window.session.cancel_finished, timeout=WAIT_MS) as done:
            _click(qtbot, window.transaction_view.cancel_button)
        facts["cancel"] = done.args[0]

        _lookup(qtbot, window, "A" * 35)  # no such transaction: an FPS error
        _copy_support_notes(qtbot, window, notes)

        sandbox.inject_fault(action="GetTransaction", kind="internal_error", times=4)
        _lookup(qtbot, window, pending)  # HTTP 500 four times: retries, then an error
        _copy_support_notes(qtbot, window, notes)
        sandbox.inject_fault(action="GetTransaction", kind="html", times=4)
        _lookup(qtbot, window, pending)  # a proxy's HTML error page
        _copy_support_notes(qtbot, window, notes)
        sandbox.inject_fault(action="GetTransaction", kind="malformed_xml", times=1)
        _lookup(qtbot, window, pending)  # XML cut off in the middle
        _copy_support_notes(qtbot, window, notes)
        sandbox.clear_faults()
        _lookup(qtbot, window, pending)

        # A Cancel whose connection drops after sending: outcome unknown, then reconciled.
        _lookup(qtbot, window, flaky)
        qtbot.waitUntil(lambda: window.transaction_view.cancel_button.isEnabled(), timeout=WAIT_MS)
        sandbox.inject_fault(action="Cancel", kind="drop_after", times=1)
        with qtbot.waitSignal(window.session.action_resolved, timeout=WAIT_MS) as resolved:
            _click(qtbot, window.transaction_view.cancel_button)
        facts["reconciled"] = resolved.args
        _copy_support_notes(qtbot, window, notes)
        facts["screen"] = _screen_texts(window)
        facts["sandbox_status"] = {
            t: sandbox.transaction(t)["status"] for t in (reserved, pending, flaky)
        }
        window.close()
    finally:
        controller.close()
    return facts


def _needles(values: set[str]) -> set[bytes]:
    found: set[bytes] = set()
    for value in values:
        for variant in {value, percent_encode(value), value.replace("+", " ")}:
            found.add(variant.encode("utf-8"))
            found.add(variant.encode("utf-16-le"))
    return found


def _hits(haystack: bytes, needles: set[bytes]) -> list[bytes]:
    return [n for n in needles if n and n in haystack]


def search_everything(
    root: Path, out: str, err: str, records: list[logging.LogRecord], values: set[str]
) -> list[str]:
    """Where any of ``values`` appears: files under ``root``, stdout, stderr, log records."""
    needles = _needles(values)
    problems: list[str] = []
    files = [p for p in root.rglob("*") if p.is_file()]
    for path in files:
        if _hits(path.read_bytes(), needles):
            problems.append(f"file {path.relative_to(root)}")
    for name, text in (("stdout", out), ("stderr", err)):
        if _hits(text.encode("utf-8", "replace"), needles):
            problems.append(name)
    for record in records:
        text = record.getMessage() + (record.exc_text or "")
        if _hits(text.encode("utf-8", "replace"), needles):
            problems.append(f"log record {record.name}: {record.msg!r:.80}")
    return problems


def test_full_gui_session_leaks_no_secret_and_no_signature(
    qtbot: Any,
    qapp: Any,
    isolated_dirs: Path,
    leak_sandbox: SandboxServer,
    wire: Wire,
    shown: list[tuple[str, tuple[Any, ...]]],
    debug_logging: None,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    facts = run_gui_session(qtbot, leak_sandbox, wire)
    logging.getLogger("fpsdesk.tests").debug("session over")
    out, err = capfd.readouterr()

    # The session really did what it claims (otherwise "no leak" would prove nothing).
    assert not facts["wrong_key_test"].ok
    assert facts["wrong_key_test"].verdict == "credentials"
    assert facts["right_key_test"].ok, facts["right_key_test"].message
    assert facts["dialog_result"] == 1  # accepted: "Save and use"
    assert facts["cancel"].result is not None
    assert facts["reconciled"][2] != "unknown"
    assert list(facts["sandbox_status"].values()) == ["Cancelled", "Pending", "Cancelled"]
    assert MemoryKeyring.entries == {("fpsdesk", "Leak check"): SECRET}
    assert SettingsStore().get("Leak check").access_key_id == ACCESS_KEY
    assert len(wire.signatures) == wire.requests >= 15  # every request was signed, and seen
    assert leak_sandbox.request_count("GetTransaction") >= 10  # the error paths really ran
    assert [name for name, _ in shown].count("confirm_cancel") == 2
    # Every file the session wrote is under the XDG dirs the test set (platform conventions).
    written = {
        p.relative_to(isolated_dirs).parts[0] for p in isolated_dirs.rglob("*") if p.is_file()
    }
    assert written <= {"config", "data", "cache", "state"}
    assert (isolated_dirs / "config" / "fpsdesk" / "settings.json").is_file()
    assert list((isolated_dirs / "data").rglob("*.sqlite3"))
    log_files = list((isolated_dirs / "state").rglob("*.log"))
    assert log_files, "no log file was written"
    assert "DEBUG" in log_files[0].read_text()
    assert "FPS request" in err + log_files[0].read_text()  # DEBUG really was on
    assert caplog.records

    assert len(facts["support_notes"]) >= 3  # the error banners were really shown
    shown_text = "\n".join(facts["support_notes"] + facts["screen"])
    problems = search_everything(
        isolated_dirs,
        out + shown_text,
        err,
        caplog.records,
        {SECRET, WRONG_SECRET} | wire.signatures,
    )
    assert problems == []


def test_the_search_finds_a_planted_secret(tmp_path: Path) -> None:
    """The search itself must be able to fail: plant each kind of hit and see it found."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "a.json").write_text(f'{{"k": "{percent_encode(SECRET)}"}}')
    (tmp_path / "b.conf").write_bytes(SECRET.encode("utf-16-le"))
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "sig %s", ("abc+def/ghi=",), None)
    problems = search_everything(tmp_path, f"out {SECRET}", "", [record], {SECRET, "abc+def/ghi="})
    assert sorted(problems) == sorted(
        ["file config/a.json", "file b.conf", "stdout", "log record x: 'sig %s'"]
    )
