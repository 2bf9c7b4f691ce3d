"""First paint of the Notifications view over 100,000 stored IPNs, beside an empty store.

The clock runs from constructing the view (model: one COUNT and the first page of 200 rows)
through ``show()`` to the table's first paint event, on the offscreen platform, in this
process. The baseline is the same view over an empty store, measured in the same run. Best of
five each (the first, cold, run is not counted). Target: under 200 ms at 100,000 rows.
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile
import time
from collections.abc import Iterator

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from qt_pump import pump_until
from run import Row

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_MS = 200.0
STATUSES = ["SUCCESS", "PENDING", "RESERVED", "CANCELLED", "FAILURE"]


def _items(total: int) -> Iterator[object]:
    from fpsdesk.ipn.parse import from_pairs
    from fpsdesk.records.ipn import FailReason, Verdict
    from fpsdesk.store.ipns import NewIpn

    verdicts = [
        Verdict.verified("local"),
        Verdict.failed(FailReason.BAD_SIGNATURE, "bad signature", "local"),
    ]
    for n in range(total):
        pairs = [
            ("notificationType", "TransactionStatus"),
            ("transactionId", f"1{n // 10:06d}" + "B" * 28),
            ("transactionDate", str(1_700_000_000 + n * 13)),
            ("transactionStatus", STATUSES[n % 5]),
            ("statusCode", "Success"),
            ("operation", "PAY" if n % 2 else "RESERVE"),
            ("callerReference", f"ref-{n}"),
            ("transactionAmount", f"USD {n % 1000}.{n % 100:02d}"),
            ("signatureVersion", "2"),
            ("signatureMethod", "RSA-SHA1"),
            ("certificateUrl", "https://fps.sandbox.amazonaws.com/certs/090909/PKICert.pem"),
            ("signature", f"c2lnbmF0dXJl{n}"),
        ]
        yield NewIpn(from_pairs(pairs), verdicts[n % 2], "benchmark")


def _first_paint_ms(store: object) -> float:
    """Constructing the view to its first paint: the table's, or over an empty store (which
    shows its empty state instead of the table) the empty state's."""
    from PySide6.QtCore import QEvent, QObject

    from fpsdesk.ui.notifications_view import NotificationsView

    class Probe(QObject):
        painted = False

        def eventFilter(self, watched: object, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.painted = True
            return False

    started = time.perf_counter()
    view = NotificationsView(store)  # type: ignore[arg-type]
    probe = Probe()
    shown = view.table.viewport() if view.body.currentIndex() == 0 else view.empty
    shown.installEventFilter(probe)
    view.resize(1200, 700)
    view.show()
    pump_until(lambda: probe.painted, step_ms=0, what="the first paint")
    elapsed = (time.perf_counter() - started) * 1000
    view.close()
    view.deleteLater()
    return elapsed


def run(quick: bool) -> list[Row]:
    from fpsdesk.store.db import open_database
    from fpsdesk.store.ipns import IpnStore
    from fpsdesk.ui.application import create_application

    create_application()
    total = 10_000 if quick else 100_000
    with tempfile.TemporaryDirectory(prefix="fpsdesk-bench-notif-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(pathlib.Path(tmp) / "config")
        empty_db = open_database(pathlib.Path(tmp) / "empty.sqlite3")
        full_db = open_database(pathlib.Path(tmp) / "full.sqlite3")
        try:
            empty, full = IpnStore(empty_db), IpnStore(full_db)
            batch: list[object] = []
            for item in _items(total):
                batch.append(item)
                if len(batch) == 5000:
                    full.add_many(batch)  # type: ignore[arg-type]
                    batch = []
            if batch:
                full.add_many(batch)  # type: ignore[arg-type]
            _first_paint_ms(empty)
            _first_paint_ms(full)
            empty_ms = min(_first_paint_ms(empty) for _ in range(5))
            full_ms = min(_first_paint_ms(full) for _ in range(5))
        finally:
            empty_db.close()
            full_db.close()
    return [
        Row(
            f"ui: Notifications view first paint, {total:,} IPNs",
            full_ms,
            "ms",
            empty_ms,
            "empty store",
            f"< {TARGET_MS:.0f} ms",
            full_ms < TARGET_MS,
        ),
    ]


if __name__ == "__main__":
    from run import print_table

    print_table(run(quick="--quick" in sys.argv))
