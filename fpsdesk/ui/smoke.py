"""The Qt half of ``fpsdesk --smoke-test`` (what it proves: fpsdesk/smoke.py).

It runs the real app, not a model of it: the same AppController that ``fpsdesk --sandbox``
uses starts the embedded sandbox and the in-process IPN receiver and builds the main window;
the look-up goes through the window's ID field, the cancel through the window's Cancel
command and its confirmation dialog (filled in and confirmed like an agent would), the
worker thread signs and sends both. cli.py calls ``run``; nothing in fpsdesk/ui imports this
module.

``FPSDESK_EXIT_AFTER_PAINT=1`` turns it into the start-up probe the bundle benchmark uses:
start the app exactly as ``fpsdesk`` would for the given arguments (``--sandbox``), print
``first-paint`` when the main window has painted, and quit (benchmarks/bench_bundle.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from fpsdesk import smoke

log = logging.getLogger(__name__)

CANCEL_REASON = "fpsdesk smoke test: automated cancel of a demo transaction"
STEP_TIMEOUT = 20.0  # one network round trip or IPN delivery, generously


def _wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Run the Qt event loop until ``predicate()`` holds; seconds waited, or smoke.SmokeFailure."""
    from PySide6.QtCore import QEventLoop, QTimer

    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise smoke.SmokeFailure(f"{what}: nothing within {timeout:.0f} s")
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()
    return time.monotonic() - started


def _check_none_refcount() -> None:
    """Fail on a Qt binding that drops references to ``None`` (it would crash the app later).

    PySide6 6.12.0 on Python 3.11 releases one reference to ``None`` on every call of a
    method that returns nothing; ``None`` is not immortal before Python 3.12, so after a few
    thousand UI updates the interpreter aborts with "none_dealloc". Found by this smoke test;
    6.11.x is fine. Measured directly, so a fixed release passes without a version list.
    """
    import platform

    from PySide6.QtWidgets import QWidget

    if sys.version_info >= (3, 12):  # None is immortal (PEP 683): such a leak is harmless
        return
    probe = QWidget()
    calls = 200
    before = sys.getrefcount(None)
    for _ in range(calls):
        probe.setEnabled(True)
    drift = sys.getrefcount(None) - before
    probe.deleteLater()
    if drift > -calls // 2:
        smoke.out("qt refcounts", f"None stable over {calls} calls")
        return
    from PySide6 import __version__ as pyside_version

    leak = (
        f"PySide6 {pyside_version} on Python {platform.python_version()} drops a reference "
        f"to None on each Qt call ({drift} over {calls} calls)"
    )
    # fpsdesk.ui.qt_compat gives None a reserve of 2**48 references when it sees the leak at
    # start-up (create_application); with it the leak can no longer abort the app.
    if sys.getrefcount(None) > 1 << 40:
        smoke.out(
            "qt refcounts", f"{leak}; harmless here: None has fpsdesk's reserve of references"
        )
        return
    raise smoke.SmokeFailure(
        f"{leak}: the app would abort after a few thousand UI updates. Use "
        "PySide6 6.11.x, or Python 3.12 or newer."
    )


class _CancelDialogDriver:
    """Answers the Cancel confirmation like an agent: picks a reason code, types a comment,
    clicks Cancel transaction.

    Any other modal window (an error box) is a failure: its text is recorded and it is closed
    so the event loop is not stuck behind it.
    """

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.confirmed = 0
        self.unexpected: list[str] = []
        self._timer = QTimer()
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._poll)
        self._timer.start()

    def _poll(self) -> None:
        from PySide6.QtWidgets import QApplication, QMessageBox

        from fpsdesk.ui.cancel_dialog import CancelDialog

        modal = QApplication.activeModalWidget()
        if modal is None:
            return
        if isinstance(modal, CancelDialog):
            modal.picker.choose("other")
            modal.reason.setPlainText(CANCEL_REASON)
            modal.confirm_button.click()
            self.confirmed += 1
            return
        text = modal.windowTitle()
        if isinstance(modal, QMessageBox):
            text = f"{text}: {modal.text()} {modal.informativeText()}".strip()
        self.unexpected.append(text or type(modal).__name__)
        modal.close()

    def stop(self) -> None:
        self._timer.stop()


class _Recorder:
    """Collects a signal's emissions (they arrive on the GUI thread)."""

    def __init__(self, *signals: Any) -> None:
        self.items: list[Any] = []
        for signal in signals:
            signal.connect(self._record)

    def _record(self, item: Any) -> None:
        self.items.append(item)


class _PaintProbe:
    """Notices the first paint of a widget (an event filter, so the widget stays untouched)."""

    def __init__(self, widget: Any, on_paint: Callable[[], None] | None = None) -> None:
        from PySide6.QtCore import QEvent, QObject

        probe = self

        class Filter(QObject):
            def eventFilter(self, watched: Any, event: Any) -> bool:
                if event.type() == QEvent.Type.Paint and not probe.painted:
                    probe.painted = True
                    if on_paint is not None:
                        on_paint()
                return False

        self.painted = False
        self._filter = Filter(widget)
        widget.installEventFilter(self._filter)


def _run_checks(args: argparse.Namespace, watchdog: smoke.Watchdog) -> None:
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtGui import QGuiApplication

    from fpsdesk.fps.models import TransactionStatus
    from fpsdesk.records.ipn import IpnVerdict
    from fpsdesk.sandbox import demo
    from fpsdesk.store.actions import ActionOutcome
    from fpsdesk.ui import app as gui
    from fpsdesk.ui.application import create_application, qt_message

    watchdog.step = "versions"
    smoke.versions(_qt_version())
    watchdog.step = "keychain"
    smoke.keychain()

    watchdog.step = "application"
    qInstallMessageHandler(qt_message)  # Qt warnings go to the log, as in the app
    application = create_application([sys.argv[0]])
    smoke.out("qt platform", QGuiApplication.platformName())
    _check_none_refcount()

    watchdog.step = "sandbox"
    run_args = argparse.Namespace(**{**vars(args), "sandbox": True, "profile": None})
    controller = gui.AppController(run_args)
    try:
        window = controller.start()
        sandbox = controller.sandbox
        if sandbox is None or sandbox.server is None:
            raise smoke.SmokeFailure("the embedded sandbox did not start")
        if not sandbox.receiver_url:
            raise smoke.SmokeFailure("the in-process IPN receiver did not start (see the log: -vv)")
        if controller.ipns is None:
            raise smoke.SmokeFailure("the IPN history store could not be opened")
        smoke.out("sandbox", f"{sandbox.url} (IPNs to {sandbox.receiver_url})")

        watchdog.step = "main window"
        probe = _PaintProbe(window)
        _wait_until(lambda: probe.painted, STEP_TIMEOUT, "main window first paint")
        if application.windowIcon().isNull():
            raise smoke.SmokeFailure("the application icon is missing (resources not bundled?)")
        smoke.out(
            "main window", f'painted, {window.width()}x{window.height()}, "{window.windowTitle()}"'
        )

        watchdog.step = "look-up"
        txn = demo.DEMO_RESERVED_IDS[0]
        session = window.session
        looked = _Recorder(session.lookup_finished, session.lookup_failed)
        window.id_edit.setText(txn)
        window.lookup_from_field()
        _wait_until(lambda: bool(looked.items), STEP_TIMEOUT, f"look-up of {txn}")
        reply = looked.items[0]
        detail = getattr(reply, "detail", None)
        if detail is None:
            raise smoke.SmokeFailure(
                f"look-up of {txn} failed: {reply.error.title}: {reply.error.explanation}"
            )
        if detail.transaction_status is not TransactionStatus.RESERVED:
            raise smoke.SmokeFailure(
                f"demo transaction {txn} is {detail.transaction_status}, not Reserved"
            )
        _wait_until(
            lambda: window.transaction_view.detail is not None, STEP_TIMEOUT, "the transaction page"
        )
        smoke.out(
            "look-up",
            f"{txn}: {detail.transaction_status.value}, "
            f"{detail.transaction_amount} {detail.fps_operation}",
        )

        watchdog.step = "cancel"
        cancelled = _Recorder(
            session.cancel_finished, session.cancel_blocked, session.cancel_check_failed
        )
        driver = _CancelDialogDriver()
        try:
            window.request_cancel()  # opens the confirmation dialog; the driver confirms it
        finally:
            driver.stop()
        if driver.unexpected:
            raise smoke.SmokeFailure(f"unexpected dialog during cancel: {driver.unexpected[0]}")
        if driver.confirmed != 1:
            raise smoke.SmokeFailure(
                "the Cancel command did not ask for confirmation (is the Cancel button disabled?)"
            )
        _wait_until(lambda: bool(cancelled.items), STEP_TIMEOUT, f"cancel of {txn}")
        answer = cancelled.items[0]
        result = getattr(answer, "result", None)
        if result is None:
            error = getattr(answer, "error", None)
            raise smoke.SmokeFailure(
                f"cancel of {txn} did not succeed: {type(answer).__name__} {error or answer}"
            )
        if result.transaction_status is not TransactionStatus.CANCELLED:
            raise smoke.SmokeFailure(f"cancel of {txn} answered {result.transaction_status}")
        records = session.actions.for_transaction(txn)
        if not records or records[-1].outcome != ActionOutcome.SUCCEEDED:
            seen = records[-1].outcome if records else "nothing"
            raise smoke.SmokeFailure(f"the action log shows {seen} for the cancel, not succeeded")
        smoke.out(
            "cancel",
            f"{txn}: {result.transaction_status.value} "
            f"(FPS request {result.request_id}, action #{records[-1].id})",
        )

        def page_shows_cancelled() -> bool:
            shown = window.transaction_view.detail
            return shown is not None and shown.transaction_status is TransactionStatus.CANCELLED

        _wait_until(page_shows_cancelled, STEP_TIMEOUT, "the transaction page showing Cancelled")
        smoke.out("window", "the transaction page shows Cancelled")

        watchdog.step = "IPN"
        ipns = controller.ipns

        def verified_cancel_ipn() -> bool:
            return any(
                r.transaction_status is TransactionStatus.CANCELLED
                and r.verdict is IpnVerdict.VERIFIED
                for r in ipns.for_transaction(txn)
            )

        try:
            waited = _wait_until(verified_cancel_ipn, STEP_TIMEOUT, "the Cancelled IPN")
        except smoke.SmokeFailure:
            stored = [
                f"{r.transaction_status} {r.verdict.value} {r.reason or ''}".strip()
                for r in ipns.for_transaction(txn)
            ]
            raise smoke.SmokeFailure(
                f"no Verified Cancelled IPN for {txn} within {STEP_TIMEOUT:.0f}"
                f" s (stored: {stored or 'none'})"
            ) from None
        smoke.out("IPN", f"Cancelled, signature Verified, stored {waited:.1f} s after the answer")
    finally:
        controller.close()
        window_obj = controller.window
        if window_obj is not None:
            window_obj.deleteLater()


def _run_until_first_paint(args: argparse.Namespace) -> int:
    """The benchmark's start-up probe: start exactly as ``fpsdesk`` would, stop at the first paint.

    It goes through ``run_gui`` (logging, error hook, palette, controller) and watches the main
    window only, as the bare-window baseline watches its window: an application-wide Python
    event filter would make PySide6 wrap every object and event of the start-up and measure
    itself. The main window is always the first window painted (AppController.start shows and
    paints it before any first-run dialog). The process then leaves at once with
    ``os._exit``: the benchmark only needs the moment, not an orderly shutdown.
    """
    from PySide6.QtCore import QEvent, QObject

    from fpsdesk.ui import app as gui

    class FirstPaint(QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Paint:
                print("first-paint", flush=True)  # noqa: T201 - read by bench_bundle.py
                os._exit(0)
            return False

    def watch(window: Any) -> None:
        window.installEventFilter(FirstPaint(window))

    return gui.run_gui(argparse.Namespace(**{**vars(args), "smoke_test": False}), watch)


def _qt_version() -> str:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    return f"{qVersion()} (PySide6 {pyside_version})"


def run(args: argparse.Namespace) -> int:
    """Entry point for ``fpsdesk --smoke-test`` (called by fpsdesk.cli.main)."""
    if os.environ.get("FPSDESK_EXIT_AFTER_PAINT") == "1":
        return _run_until_first_paint(args)
    return smoke.run(lambda watchdog: _run_checks(args, watchdog))
