"""Save screenshots of the real main window for the README: run under ``xvfb-run -a``.

    xvfb-run -a python3 packaging/screenshots.py [--out docs/screenshots]

It starts the app exactly as ``fpsdesk --sandbox`` does (embedded sandbox with demo data, the
in-process IPN receiver), in a throwaway home, and saves:

- ``reserved.png``: a Reserved demo transaction just looked up;
- ``cancelled.png``: the same transaction after a Cancel (result banner, new status, and the
  Cancelled IPN that arrived live);
- ``notifications.png``: the Notifications view with the newest IPN's raw parameters;
- ``error.png``: an FPS error (an ID no account has) explained in plain language;
- ``outcome-unknown.png``: a Cancel whose answer was lost, the banner saying what the app does
  (reading the status, the next check, check k of n), and ``outcome-settled.png`` once settled;
- ``newer-notification.png``: a Verified Failure IPN arriving while the Reserved page is open.

With ``--gallery DIR`` it also saves, into DIR, states to look at that the README does not show:
empty states (Results and Notifications filtered to nothing, and with nothing yet), an expired
reserve's Cancel, a completed payment's next step, a related-transaction link, Settings, and
the Bulk cancel view's plan, a run paused half-way and its results (``bulk-*.png``, with
``--check`` in the report too).

Only the Cancel confirmation is answered by the script (as an agent would); everything else is
the app's own code path.

    python3 packaging/screenshots.py --out /tmp/shots --scale 2 --dark --size 900x600 --check

renders the same screens with fonts at 2× (what display scaling does to text while fixed
pixel sizes stay), in the dark palette, in a 900×600 window, saves them with the
scale and palette in their names, and prints one JSON object: the window's minimum size and,
per screen, every label, button or amount/ID column narrower than its text
(fpsdesk.ui.layout_check). tests/ui/test_nothing_cut_off.py runs exactly that.
"""

from __future__ import annotations

import argparse
import json
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


def _gallery(controller, window, look_up, out: Path, check) -> None:  # type: ignore[no-untyped-def]
    """States worth looking at (issue 17, items 7 to 9): each saved as ``<name>.png``;
    ``check(name)`` adds the Bulk cancel states to the cut-off report."""
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
    _bulk_gallery(controller, window, shot, check)


def _bulk_gallery(controller, window, shot, check) -> None:  # type: ignore[no-untyped-def]
    """Bulk cancel: a file of 40 Reserved transactions, its plan, the run paused half-way,
    then its results."""
    from fpsdesk.ui import dialogs, prompts

    server = controller.sandbox.server
    ids = [server.create_transaction(status="Reserved", amount="12.34") for _ in range(40)]
    with tempfile.TemporaryDirectory(prefix="fpsdesk-bulk-") as tmp:
        listing = Path(tmp) / "refunds-to-stop.csv"
        listing.write_text(
            "transaction_id,order\n" + "".join(f"{t},ORD-{n}\n" for n, t in enumerate(ids)),
            encoding="utf-8",
        )
        dialogs.open_bulk_file = lambda *_: str(listing)  # type: ignore[assignment]
        dialogs.confirm_bulk_cancel = lambda *_: prompts.ReasonChoice(  # type: ignore[assignment]
            "other", "Duplicate orders"
        )
        view = window.bulk_view
        window.bulk_from_file()
        _pump(lambda: view.state == "plan", 60, "the bulk dry run")
        shot(window, "bulk-plan")
        check("bulk-plan")
        view.plan_rate.setValue(10)
        view.confirm()
        _pump(lambda: view.progress is not None and view.progress.done >= 20, 60, "the run")
        view.toggle_pause()
        _pump(
            lambda: view.paused and not view.run_panel.label.text().startswith("Pausing"),
            20,
            "the pause",
        )
        shot(window, "bulk-run")
        check("bulk-run")
        view.toggle_pause()
        view.run_rate.setValue(50)
        _pump(lambda: view.state == "done" and not view.busy, 60, "the rest of the run")
        shot(window, "bulk-results")
        check("bulk-results")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--gallery", type=Path, help="also save the other states here")
    parser.add_argument("--scale", type=float, default=1.0, help="text scale (1, 1.5, 2)")
    parser.add_argument("--dark", action="store_true", help="the dark palette")
    parser.add_argument("--size", default=f"{WIDTH}x{HEIGHT}", help="window size, WxH")
    parser.add_argument("--check", action="store_true", help="print what is cut off, as JSON")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    width, height = (int(n) for n in args.size.lower().split("x"))
    suffix = (
        ""
        if args.scale == 1.0 and not args.dark and not args.check
        else (f"-{args.scale:g}x-{'dark' if args.dark else 'light'}-{width}x{height}")
    )
    report: dict[str, object] = {}
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="fpsdesk-shots-") as tmp:
        _isolate(Path(tmp))
        from fpsdesk.sandbox import demo
        from fpsdesk.ui import app as gui
        from fpsdesk.ui import dialogs, prompts
        from fpsdesk.ui.application import create_application

        qt_app = create_application([sys.argv[0]])
        if args.scale != 1.0:
            # What 1.5x or 2x display scaling does to text on X11 (Xft.dpi): every font grows,
            # fixed pixel sizes do not. Set before any widget exists, as the desktop would.
            font = qt_app.font()
            font.setPointSizeF(font.pointSizeF() * args.scale)
            qt_app.setFont(font)
        if args.dark:
            from PySide6.QtCore import Qt
            from PySide6.QtGui import QGuiApplication

            from fpsdesk.ui import theme

            QGuiApplication.styleHints().setColorScheme(Qt.ColorScheme.Dark)
            theme.apply_palette(qt_app)
        from fpsdesk.ui.layout_check import cut_off

        def check(name: str) -> None:
            if args.check:
                view = window.transaction_view
                key = [view.amount, view.cancel_button, view.transaction_id.label]
                report[name] = [c.as_dict() for c in cut_off(window, key)]

        def shot(name: str) -> None:
            window.grab().save(str(out / f"{name}{suffix}.png"))
            check(name)

        run_args = argparse.Namespace(sandbox=True, profile=None, smoke_test=False, verbose=0)
        controller = gui.AppController(run_args)
        try:
            window = controller.start()
            window.resize(width, height)
            _settle()
            minimum = window.minimumSizeHint().expandedTo(window.minimumSize())
            report["minimum_size"] = [minimum.width(), minimum.height()]
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
            shot("reserved")

            dialogs.confirm_cancel = lambda *_: prompts.ReasonChoice(  # type: ignore[assignment]
                "customer-request", "Customer asked to cancel the order"
            )
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
            shot("cancelled")

            window.tabs.setCurrentWidget(window.notifications)
            window.notifications.refresh()
            window.notifications.table.selectRow(0)
            _settle()
            shot("notifications")
            window.tabs.setCurrentIndex(0)

            look_up("1" + "Q" * 34)
            shot("error")

            # A Cancel whose answer is lost while the status reads that would settle it fail:
            # the banner says what the app is doing about it.
            server = controller.sandbox.server
            lost = demo.DEMO_RESERVED_IDS[1]
            look_up(lost)
            server.inject_fault(action="Cancel", transaction_id=lost, kind="drop_after")

            def break_status_reads(transaction_id: str, state: str) -> None:
                # Once the Cancel is on the wire (the status check before it has passed).
                if transaction_id == lost and state == "sending":
                    server.inject_fault(
                        action="GetTransactionStatus", transaction_id=lost, kind="html", times=None
                    )

            session.cancel_state_changed.connect(break_status_reads)
            # Hold back the IPNs meanwhile: the Cancelled one would settle it at once.
            server.set_ipn_urls([])
            server.inject_fault(
                action="GetTransaction", transaction_id=lost, kind="html", times=None
            )
            window.request_cancel()
            _pump(lambda: not session.cancel_in_flight(lost), 20, "the lost cancel")
            banner = window.transaction_view.banner
            _pump(lambda: banner.progress.isVisible(), 20, "the unknown outcome's progress")
            window.transaction_view.page_scroll.verticalScrollBar().setValue(0)
            _settle(1200)
            shot("outcome-unknown")
            session.cancel_state_changed.disconnect(break_status_reads)
            server.clear_faults()
            server.set_ipn_urls([controller.sandbox.receiver_url])
            _pump(lambda: banner.kind == "reconciled", 60, "the unknown outcome to settle")
            _settle()
            shot("outcome-settled")

            # FPS fails a Reserved transaction while its page is open: its Verified IPN arrives
            # live, the page says it is out of date and reads it again (held up here a moment).
            failing = demo.DEMO_RESERVED_IDS[2]
            look_up(failing)
            server.inject_fault(action="GetTransaction", kind="delay", delay_ms=4000)
            server.set_status(failing, "Failure")
            view = window.transaction_view
            _pump(lambda: bool(view.stale_text), 20, "the newer notification")
            view.page_scroll.verticalScrollBar().setValue(0)
            _settle()
            shot("newer-notification")
            _pump(lambda: session.current_lookup is None, 20, "the re-read")
            server.clear_faults()
            if args.gallery is not None:
                args.gallery.mkdir(parents=True, exist_ok=True)
                _gallery(controller, window, look_up, args.gallery, check)
        finally:
            controller.close()
            if controller.window is not None:
                controller.window.deleteLater()
            qt_app.processEvents()
            del controller
    if args.check:
        print(json.dumps(report))
        return 0
    for name in (
        "reserved",
        "cancelled",
        "notifications",
        "error",
        "outcome-unknown",
        "outcome-settled",
        "newer-notification",
    ):
        print(out / f"{name}{suffix}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
