"""What changes under the window while it is open: IPNs arriving, actions other desks wrote
to a shared history, the history going offline and coming back. Each burst is one refresh."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QWidget

from fpsdesk.ui import theme
from fpsdesk.ui.coalesce import Coalescer
from fpsdesk.ui.result_banner import ResultBanner

if TYPE_CHECKING:  # loaded after the first paint (AppController.start)
    from PySide6.QtWidgets import QMainWindow as _Window

    from fpsdesk.ui.session import DeskSession
    from fpsdesk.ui.transaction_view import TransactionView
else:
    _Window = object

log = logging.getLogger(__name__)

# A burst of IPNs (the demo set, FPS retries) is one refresh, not one per IPN: each refresh
# re-reads the store on the GUI thread.
REFRESH_DELAY_MS = 150


class LiveUpdatesMixin(_Window):
    """Part of ``MainWindow``: keeps what it shows in step with the stores."""

    IPN_REFRESH_DELAY_MS = REFRESH_DELAY_MS
    history_banner: ResultBanner
    history_offline: str | None
    shown_transaction: str | None
    notifications: QWidget | None
    _session: DeskSession | None
    _transaction_view: TransactionView | None
    _ipn_rows: Callable[[str], list[Any]] | None
    _reread_for: tuple[str, int] | None
    # In the window's other parts.
    if TYPE_CHECKING:  # ViewsMixin's

        @property
        def session(self) -> DeskSession: ...
        @property
        def transaction_view(self) -> TransactionView: ...

    _update_cancel: Callable[[], None]
    mark_results_dirty: Callable[[], None]

    def _build_live_updates(self) -> None:
        # Actions other desks wrote (a shared history's live updates), shown in one go.
        self._written: set[str] = set()
        self._written_refresh = Coalescer(REFRESH_DELAY_MS, self._show_written, self)
        self._ipn_refresh = Coalescer(REFRESH_DELAY_MS, self._refresh_ipns, self)

    def _stop_live_updates(self) -> None:
        """Closing: what the app's bridges still deliver is ignored from now on."""
        self._written_refresh.close()
        self._ipn_refresh.close()

    def set_history_offline(self, where: str, reason: str | None) -> None:
        """Say prominently that the shared history does not answer (``reason``), or clear it
        (None). Look-ups go on; a cancel is refused by the desk layer meanwhile."""
        self.history_offline = reason
        if reason is None:
            if self.history_banner.isVisible():
                self.statusBar().showMessage(
                    self.tr("The shared history is back: cancels can be recorded again."), 8000
                )
            self.history_banner.hide()
            self.history_banner.kind = ""
            self.refresh_from_history()
            return
        self.history_banner.show_result(
            theme.StatusLook(self.tr("Offline"), "cross", "#b42318", "#f97066", ""),
            self.tr("Offline: the shared history cannot be reached"),
            self.tr(
                "Look-ups still work. Cancels are refused until it is back: each one is "
                "recorded there before it is sent. fpsdesk reconnects by itself.\n"
                "{where}: {reason}"
            ).format(where=where, reason=reason),
            kind="history_offline",
        )

    def refresh_from_history(self) -> None:
        """Re-read what comes from the history (after a reconnect: anything may have changed)."""
        self.on_actions_written("")
        self.on_ipns_arrived()

    @Slot(str)
    def on_actions_written(self, transaction_id: str) -> None:
        """An action was written in the shared history (by anyone; "": maybe several): show
        it soon. A bulk run's thousand rows are one refresh, not a thousand."""
        self._written.add(transaction_id)
        self._written_refresh.poke()

    def _show_written_for(self, transaction_id: str) -> None:
        from fpsdesk.store.db import database_errors

        try:
            actions = self.session.actions.for_transaction(transaction_id)
        except database_errors() as exc:  # offline: the page keeps what it shows
            log.info("could not re-read the actions of %s: %s", transaction_id, exc)
            return
        self.transaction_view.set_actions(actions)

    @Slot(str)
    def _on_actions_changed(self, transaction_id: str) -> None:
        """The session wrote (or settled) an action of this desk."""
        if transaction_id == self.shown_transaction:
            self._show_written_for(transaction_id)
        self.mark_results_dirty()

    @Slot()
    def _show_written(self) -> None:
        written, self._written = self._written, set()
        if self._session is None:
            return
        txn = self.shown_transaction
        if txn and ("" in written or txn in written) and self._transaction_view is not None:
            self._show_written_for(txn)
        self.mark_results_dirty()

    @Slot()
    def on_ipns_arrived(self) -> None:
        """New IPNs were stored (the in-process receiver): refresh what shows them, soon."""
        self._ipn_refresh.poke()

    @Slot()
    def _refresh_ipns(self) -> None:
        txn = self.shown_transaction
        if txn and self._ipn_rows is not None and self.transaction_view.detail is not None:
            try:
                self.transaction_view.set_ipns(self._ipn_rows(txn))
            except Exception:
                log.exception("reading the IPNs of %s failed", txn)
            else:
                self._reread_if_contradicted(txn)
        if self.notifications is not None and hasattr(self.notifications, "on_ipns_arrived"):
            self.notifications.on_ipns_arrived()

    def _reread_if_contradicted(self, txn: str) -> None:
        """A Verified IPN newer than the page says another status: mark the page out of date,
        turn Cancel off, and read the transaction again (once per such notification)."""
        view = self.transaction_view
        newer = view.newer_trusted_ipn()
        if newer is None:
            return
        key = (txn, newer.id)
        if key == self._reread_for:
            return  # already read again for it: the timeline keeps flagging the difference
        self._reread_for = key
        from fpsdesk.desk.timeline import local_hm

        view.mark_stale(
            self.tr(
                "A Verified notification at {time} says {ipn}; this page shows {page}. "
                "Reading the transaction again…"
            ).format(
                time=local_hm(newer.event_at),
                ipn=theme.status_look(newer.transaction_status).label,
                page=theme.status_look(view.detail.transaction_status).label
                if view.detail is not None
                else "—",
            )
        )
        self._update_cancel()
        self.session.lookup(txn)
