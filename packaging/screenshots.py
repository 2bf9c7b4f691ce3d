"""Save screenshots of the real main window for the README: run under ``xvfb-run -a``.

    xvfb-run -a python3 packaging/screenshots.py [--out docs/screenshots]

It starts the app exactly as ``fpsdesk --sandbox`` does (embedded sandbox with demo data, the
in-process IPN receiver), in a throwaway home, and saves:

- ``reserved.png``: a Reserved demo transaction just looked up;
- ``cancelled.png``: the same transaction after a Cancel (result banner, new status, and the
  Cancelled IPN that arrived live);
- ``notifications.png``: the Notifications view with the newest IPN's raw parameters;
- ``error.png``: an FPS error (an ID no account has) explained in plain language.

With ``--gallery DIR`` it also saves, into DIR, states to look at that the README does not show:
empty states (Results and Notifications filtered to nothing, and with nothing yet), an expired
reserve's Cancel, a completed payment's next step, a related-transaction link and Settings.

Only the Cancel confirmation is answered by the script (as an agent would); everything else is
the app's own code path.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1180, 780


def _isolate(root: Path) -> None:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = root / var.lower()
        path.mkdir(mode=0o700)
        os.environ[var] = str(path)
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def _pump(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise SystemExit(f"screenshots: gave up waiting for {what}")
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def _settle(ms: int = 300) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _gallery(controller, window, look_up, out: Path) -> None:  # type: ignore[no-untyped-def]
    """States worth looking at (issue 17, items 7 to 9): each saved as ``<name>.png``."""
    from fpsdesk.sandbox import demo
    from fpsdesk.ui import dialogs
    from fpsdesk.ui.settings_dialog import SettingsDialog

    def shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
        _settle()
        widget.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")

    # 7: filters that match nothing, told apart from nothing at all.
    notifications = window.notifications
    window.tabs.setCurrentWidget(notifications)
    notifications.environment.setCurrentIndex(notifications.environment.findData("Production"))
    shot(window, "notifications-no-match")
    notifications.clear_filters()
    notifications.table.clearSelection()
    notifications.table.setCurrentIndex(notifications.model.index(-1, -1))
    shot(window, "notifications-no-selection")
    window.show_results()
    results = window.results_view
    results.outcome.setCurrentIndex(results.outcome.findData("unknown"))
    shot(window, "results-no-match")
    results.clear_filters()
    window.tabs.setCurrentIndex(0)

    # 9: a reserve that expired while its page was open, then Cancel.
    sandbox = controller.sandbox
    txn = sandbox.fresh_demo("Reserved")
    look_up(txn)
    sandbox.server.set_status(txn, "Cancelled", "Expired")
    window.request_cancel()
    _pump(lambda: not window.session.cancel_in_flight(txn), 20, "the blocked cancel")
    _pump(lambda: window.session.current_lookup is None, 20, "the refresh")
    shot(window, "expired-reserve")

    # 9: a completed payment's next step, and a refund's link to its payment.
    look_up(demo.DEMO_SUCCESS_IDS[0])
    shot(window, "completed-refund-instead")
    if demo.DEMO_REFUND_IDS:
        look_up(demo.DEMO_REFUND_IDS[0])
        shot(window, "refund-related-link")

    # 8: Settings with a new profile.
    dialog = SettingsDialog(window.session, parent=window)
    dialog._new_profile()
    dialog.resize(760, 460)
    dialog.show()
    shot(dialog, "settings-new-profile")
    dialogs.confirm = lambda *_: True  # type: ignore[assignment]
    dialog.close()
    dialog.deleteLater()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--gallery", type=Path, help="also save the other states here")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="fpsdesk-shots-") as tmp:
        _isolate(Path(tmp))
        from fpsdesk.sandbox import demo
        from fpsdesk.ui import app as gui
        from fpsdesk.ui import dialogs

        qt_app = gui.create_application([sys.argv[0]])
        run_args = argparse.Namespace(sandbox=True, profile=None, smoke_test=False, verbose=0)
        controller = gui.AppController(run_args)
        try:
            window = controller.start()
            window.resize(WIDTH, HEIGHT)
            session = window.session
            txn = demo.DEMO_RESERVED_IDS[0]

            def look_up(transaction_id: str) -> None:
                window.id_edit.setText(transaction_id)
                window.lookup_from_field()
                _pump(lambda: session.current_lookup is None, 20, f"look-up of {transaction_id}")
                _settle()

            look_up(txn)
            window.transaction_view.tabs.setCurrentIndex(0)
            _settle()
            window.grab().save(str(out / "reserved.png"))

            dialogs.confirm_cancel = lambda *_: "Customer asked to cancel the order"  # type: ignore[assignment]
            window.request_cancel()
            _pump(lambda: not session.cancel_in_flight(txn), 20, "the cancel")
            _pump(lambda: session.current_lookup is None, 20, "the refresh")
            ipns = controller.ipns
            _pump(
                lambda: any(
                    r.transaction_status is not None and r.transaction_status.value == "Cancelled"
                    for r in ipns.for_transaction(txn)
                ),
                20,
                "the Cancelled IPN",
            )
            window.on_ipns_arrived()
            window.transaction_view.tabs.setCurrentIndex(0)
            _settle()
            window.grab().save(str(out / "cancelled.png"))

            window.tabs.setCurrentWidget(window.notifications)
            window.notifications.refresh()
            window.notifications.table.selectRow(0)
            _settle()
            window.grab().save(str(out / "notifications.png"))
            window.tabs.setCurrentIndex(0)

            look_up("1" + "Q" * 34)
            window.grab().save(str(out / "error.png"))
            if args.gallery is not None:
                args.gallery.mkdir(parents=True, exist_ok=True)
                _gallery(controller, window, look_up, args.gallery)
        finally:
            controller.close()
            if controller.window is not None:
                controller.window.deleteLater()
            qt_app.processEvents()
            del controller
    for name in ("reserved", "cancelled", "notifications", "error"):
        print(out / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
