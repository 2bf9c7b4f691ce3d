"""The desktop app on a team's shared history: a real PostgreSQL server, the real window.

A profile names the shared history (its password in the keychain); the app opens it for every
connection it uses, shows what other desks and the receiver write within a second (LISTEN/
NOTIFY), records the profile's display name as the agent, says prominently when the server is
gone, refuses cancels meanwhile (nothing can be recorded before sending) and comes back by
itself when the server does.
"""

from __future__ import annotations

import argparse
import socket
from collections.abc import Iterator
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QObject, Qt, Slot

from fpsdesk.ipn.parse import from_pairs
from fpsdesk.records.ipn import Verdict
from fpsdesk.sandbox import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fpsdesk.settings import Profile
from fpsdesk.settings_store import SettingsStore
from fpsdesk.store import live
from fpsdesk.store.actions import ActionStore, set_agent_name
from fpsdesk.store.db import open_database
from fpsdesk.store.ipns import IpnStore
from fpsdesk.store.location import default_path, store_history_password
from fpsdesk.ui import app as gui
from fpsdesk.ui.application import create_application
from fpsdesk.ui.jobs import session_history
from tests.fixtures.postgres import PASSWORD, PostgresServer
from tests.ui.helpers import WAIT_MS, lookup, shown_status, table_texts

pytestmark = pytest.mark.gui

LIVE_MS = 5_000  # "within a second" is measured by benchmarks/bench_live_ipn.py; this is a test
DISPLAY_NAME = "Ana (desk 7)"


@pytest.fixture(autouse=True)
def agent_name_reset() -> Iterator[None]:
    """The app sets the process's agent name from the profile: never leak it to other tests."""
    yield
    set_agent_name(None)


@pytest.fixture
def team_url(postgres_url: str, sandbox: Any) -> str:
    """A current profile on the sandbox whose history is the shared database; the URL holds
    no password (that is in the keychain, as `fpsdesk profile` keeps it)."""
    url = postgres_url.replace(f":{PASSWORD}@", "@")
    store_history_password(url, PASSWORD)
    SettingsStore().add(
        Profile("Team", sandbox.url, DEFAULT_ACCESS_KEY, history=url, display_name=DISPLAY_NAME),
        make_current=True,
    )
    keyring.set_password("fpsdesk", "Team", DEFAULT_SECRET_KEY)
    return url


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "RETRY_DELAYS", (0.2, 0.5))


def start() -> gui.AppController:
    create_application()
    args = argparse.Namespace(sandbox=False, profile=None, smoke_test=False, verbose=0)
    controller = gui.AppController(args)
    controller.start()
    return controller


def ipn_pairs(txn: str, status: str = "SUCCESS") -> list[tuple[str, str]]:
    return [
        ("notificationType", "TransactionStatus"),
        ("transactionId", txn),
        ("transactionDate", "1780000000"),
        ("transactionStatus", status),
        ("statusCode", "Success"),
        ("operation", "PAY"),
        ("callerReference", f"ref-{txn[:6]}"),
        ("transactionAmount", "USD 12.00"),
        ("signatureVersion", "2"),
        ("signatureMethod", "RSA-SHA1"),
        ("certificateUrl", "https://fps.sandbox.amazonaws.com/certs/090909/PKICert.pem"),
        ("signature", "c2lnbmF0dXJl"),
    ]


class _JobResult(QObject):
    """A GUI-thread receiver for a job's answer (jobs call bound methods of QObjects)."""

    def __init__(self) -> None:
        super().__init__()
        self.value: object = None
        self.error: object = None

    @Slot(int, object)
    def done(self, _job_id: int, value: object) -> None:
        self.value = value

    @Slot(int, object)
    def failed(self, _job_id: int, error: object) -> None:
        self.error = error


def click_cancel(qtbot: Any, controller: gui.AppController) -> Any:
    assert controller.session is not None
    with qtbot.waitSignal(controller.session.cancel_finished, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(
            controller.window.transaction_view.cancel_button, Qt.MouseButton.LeftButton
        )
    return finished.args[0]


def test_the_app_opens_the_profiles_shared_history_for_every_connection(
    qtbot, qapp, dialog_log, sandbox, team_url, postgres_url
):
    txn = sandbox.create_transaction(status="Reserved", amount="20.00")
    controller = start()
    try:
        window = controller.window
        assert controller.history is not None
        assert controller.history.shared
        assert controller.actions.location() == team_url
        assert controller.ipns.location() == team_url
        assert not window.history_banner.isVisible()
        # Job threads (search, bulk, dashboard) open their own connection to the same place.
        assert session_history(controller.session).target == team_url
        answer = _JobResult()
        job = window._jobs.start(
            "where", lambda ctx: ctx.database().location(), succeeded=answer.done,
            failed=answer.failed,
        )  # fmt: skip
        assert job is not None
        qtbot.waitUntil(lambda: answer.value is not None or answer.error is not None)
        assert answer.value == team_url, answer.error
        # A cancel is recorded there, by the profile's display name, on this computer.
        lookup(qtbot, window, txn)
        reply = click_cancel(qtbot, controller)
        assert reply.error is None
        qtbot.waitUntil(lambda: shown_status(window) == "Cancelled", timeout=WAIT_MS)
        other = ActionStore(open_database(postgres_url))
        (record,) = other.for_transaction(txn)
        assert record.operator == DISPLAY_NAME
        assert record.owner_host == socket.gethostname()
        assert {e.recorded_by for e in other.events(record.id)} == {
            f"{DISPLAY_NAME}@{socket.gethostname()}"
        }
        rows = table_texts(window.transaction_view.actions_table)
        assert rows[0][1] == f"{DISPLAY_NAME} on {socket.gethostname()}"
        # Nothing went to this computer's own history file.
        local = open_database(default_path())
        assert local.execute("SELECT COUNT(*) FROM actions").fetchone()[0] == 0
        local.close()
        assert dialog_log.titles("show_unexpected_error") == []
    finally:
        controller.close()


def test_another_desks_ipn_and_action_appear_live(
    qtbot, qapp, dialog_log, sandbox, team_url, postgres_url
):
    txn = sandbox.create_transaction(status="Reserved")
    controller = start()
    other = open_database(postgres_url)  # a second desk, or a receiver worker
    try:
        window = controller.window
        lookup(qtbot, window, txn)
        assert window.transaction_view.actions_table.rowCount() == 0
        # Another agent's Cancel appears on the page this window shows.
        ActionStore(other).start(
            "Cancel",
            txn,
            environment="Local sandbox",
            endpoint=sandbox.url,
            operator="bruno",
            reason="Duplicate order",
        )

        def bruno_shown() -> bool:
            rows = table_texts(window.transaction_view.actions_table)
            return bool(rows) and rows[0][1] == "bruno"

        qtbot.waitUntil(bruno_shown, timeout=LIVE_MS)
        # An IPN stored by the receiver appears in the Notifications view.
        window.show_notifications()
        view = window.notifications
        assert view is not None
        assert view.model.total == 0
        IpnStore(other).add(
            from_pairs(ipn_pairs(txn, "CANCELLED")), Verdict.verified("local"), source="test"
        )
        qtbot.waitUntil(lambda: view.model.total == 1, timeout=LIVE_MS)
        assert view.model.record(0).transaction_id == txn
        assert dialog_log.titles("show_unexpected_error") == []
    finally:
        other.close()
        controller.close()


def test_offline_is_said_cancels_are_refused_and_it_reconnects_by_itself(
    qtbot, qapp, dialog_log, sandbox, team_url, postgres_server: PostgresServer
):
    first = sandbox.create_transaction(status="Reserved")
    second = sandbox.create_transaction(status="Pending")
    controller = start()
    window = controller.window
    try:
        lookup(qtbot, window, first)
        postgres_server.stop()
        try:
            qtbot.waitUntil(window.history_banner.isVisible, timeout=WAIT_MS)
            assert "shared history cannot be reached" in window.history_banner.headline.text()
            assert "Cancels are refused" in window.history_banner.detail.text()
            # The cancel is refused, with the reason, and FPS never saw it.
            reply = click_cancel(qtbot, controller)
            assert reply.error is not None
            assert reply.error.kind == "history_offline"
            assert "shared history is offline" in window.transaction_view.banner.headline.text()
            assert first not in sandbox.request_counts_by_transaction("Cancel")
            # Look-ups still work.
            lookup(qtbot, window, second)
            assert shown_status(window) == "Pending"
        finally:
            postgres_server.start()
        qtbot.waitUntil(lambda: not window.history_banner.isVisible(), timeout=WAIT_MS)
        # Back: the same cancel goes through, recorded in the shared history.
        lookup(qtbot, window, first)
        reply = click_cancel(qtbot, controller)
        assert reply.error is None, reply.error
        assert sandbox.request_counts_by_transaction("Cancel") == {first: 1}
        assert dialog_log.titles("show_unexpected_error") == []
    finally:
        controller.close()


def test_a_wrong_password_starts_offline_with_the_reason(
    qtbot, qapp, dialog_log, sandbox, team_url
):
    store_history_password(team_url, "not-the-password")
    txn = sandbox.create_transaction(status="Pending")
    controller = start()
    try:
        window = controller.window
        assert window.history_banner.isVisible()
        assert "password authentication failed" in window.history_banner.detail.text()
        assert PASSWORD not in window.history_banner.detail.text()
        lookup(qtbot, window, txn)  # look-ups still work
        assert shown_status(window) == "Pending"
        assert dialog_log.titles("show_error") == []
        assert dialog_log.titles("show_unexpected_error") == []
    finally:
        controller.close()


def test_settings_saves_the_display_name_and_keeps_the_shared_history(qtbot, desk, team_url):
    from fpsdesk.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(desk.session, parent=desk.window)
    qtbot.addWidget(dialog)
    dialog._load_profile("Team")
    assert dialog.display_name.text() == DISPLAY_NAME
    assert team_url in dialog.history_label.text()
    dialog.display_name.setText("  Bruno  ")
    assert dialog.save() is not None
    saved = SettingsStore().get("Team")
    assert saved.display_name == "Bruno"
    assert saved.history == team_url  # not turned back into a local history by the form
    dialog.display_name.setText("x" * 65)  # the field stops at 64; a longer name is refused
    assert len(dialog.display_name.text()) == 64
    dialog.display_name.setText("")
    assert dialog.save() is not None
    assert SettingsStore().get("Team").display_name is None


def test_switching_to_a_profile_with_another_history_asks_for_a_restart(
    qtbot, qapp, dialog_log, sandbox, team_url
):
    SettingsStore().add(Profile("Solo", sandbox.url, DEFAULT_ACCESS_KEY), make_current=True)
    keyring.set_password("fpsdesk", "Solo", DEFAULT_SECRET_KEY)
    controller = start()
    try:
        assert controller.history is not None
        assert not controller.history.shared
        controller._on_profile_activated(SettingsStore().get("Team"), DEFAULT_SECRET_KEY)
        ((title, text),) = dialog_log.titles("show_info")
        assert title == "Restart fpsdesk to use this profile"
        assert team_url in text
        # Still on the profile and history it opened: no cancel goes to the wrong history.
        assert controller.session.config.profile_name == "Solo"
        assert not controller.actions.location().startswith("postgresql")
    finally:
        controller.close()
