"""The main window's tabs: the transaction page, Results, Notifications, Search and Bulk
cancel, each built (and its module imported) on first use, and the ways between them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QStackedWidget, QTabWidget, QWidget

from fpsdesk.ui.outcome_notices import OutcomeNotices

if TYPE_CHECKING:  # loaded after the first paint (AppController.start)
    from PySide6.QtWidgets import QMainWindow as _Window

    from fpsdesk.ui.bulk_view import BulkView, RunSnapshot
    from fpsdesk.ui.jobs import JobHost
    from fpsdesk.ui.search_view import SearchView
    from fpsdesk.ui.session import DeskSession
    from fpsdesk.ui.transaction_view import TransactionView
else:
    _Window = object

log = logging.getLogger(__name__)


class ViewsMixin(_Window):
    """Part of ``MainWindow``: its tabs and the views in them."""

    tabs: QTabWidget
    pages: QStackedWidget
    notices: OutcomeNotices
    shown_transaction: str | None
    notifications: QWidget | None
    notifications_action: QAction
    _session: DeskSession | None
    _transaction_view: TransactionView | None
    _results: Any
    _results_host: QWidget
    _search: SearchView | None
    _search_host: QWidget
    _bulk: BulkView | None
    _bulk_host: QWidget
    _jobs: JobHost | None
    _unfinished_look: Any
    _wanted_tab: int
    _wanted_tab_name: str
    # In the window's other parts.
    _link: Callable[[Any, Callable[..., Any]], None]
    request_cancel: Callable[[], None]
    lookup_from_field: Callable[[], None]
    restore_field: Callable[[], None]
    refresh: Callable[[], None]
    open_transaction: Callable[[str], None]
    _refund_help: Callable[[], None]
    _sync_stop_action: Callable[[], None]
    _update_cancel: Callable[[], None]

    @property
    def session(self) -> DeskSession:
        """The session the window asks; attached once, right after the first paint."""
        if self._session is None:
            raise RuntimeError("MainWindow has no session yet (attach_session)")
        return self._session

    @property
    def transaction_view(self) -> TransactionView:
        if self._transaction_view is None:
            from fpsdesk.ui.transaction_view import TransactionView

            view = TransactionView()
            view.cancel_clicked.connect(self.request_cancel)
            view.lookup_field_clicked.connect(self.lookup_from_field)
            view.restore_field_clicked.connect(self.restore_field)
            view.refresh_clicked.connect(self.refresh)
            view.ipn_table.cellDoubleClicked.connect(self._show_ipns_of_shown)
            view.refund_help_clicked.connect(self._refund_help)
            view.related_clicked.connect(self.open_transaction)
            self.pages.addWidget(view)
            self._transaction_view = view
            self._update_cancel()
        return self._transaction_view

    @property
    def built_transaction_view(self) -> TransactionView | None:
        """The transaction page if it was built (it is, from just after start-up)."""
        return self._transaction_view

    @property
    def results_tab(self) -> QWidget:
        return self._results_host

    def mark_results_dirty(self) -> None:
        """Results re-reads the action log when next shown (if it was built at all)."""
        if self._results is not None:
            self._results.mark_dirty()

    @property
    def results_view(self) -> Any:
        """The Results tab's view, built (and its module imported) on first use."""
        if self._results is None:
            from fpsdesk.ui.results_view import ResultsView

            self._results = ResultsView(self.session.actions)
            self._results.open_transaction.connect(self.open_transaction)
            host_layout = self._results_host.layout()
            assert host_layout is not None
            host_layout.addWidget(self._results)
        return self._results

    def _job_config(self) -> Any:
        return self._session.config if self._session is not None else None

    @property
    def search_view(self) -> SearchView:
        """The Search tab's view, built (and its module imported) on first use."""
        if self._search is None:
            from fpsdesk.ui.search_view import SearchView

            assert self._jobs is not None, "attach_session makes the job host"
            view = SearchView(self._jobs)
            view.open_transaction.connect(self.open_transaction)
            view.cancel_requested.connect(self._cancel_from_search)
            self._link(view.running_changed, self._sync_stop_action)
            host_layout = self._search_host.layout()
            assert host_layout is not None
            host_layout.addWidget(view)
            self._search = view
        return self._search

    @property
    def bulk_view(self) -> BulkView:
        """The Bulk cancel tab's view, built on first use (or to look for unfinished runs)."""
        if self._bulk is None:
            from fpsdesk.ui.bulk_view import BulkView

            assert self._jobs is not None, "attach_session makes the job host"
            view = BulkView(self._jobs, self._environment_now, reason_codes=self.reason_codes)
            view.open_transaction.connect(self.open_transaction)
            self._link(view.run_finished, self._on_bulk_finished)  # a run may end after close
            view.resume_requested.connect(self.show_bulk)
            host_layout = self._bulk_host.layout()
            assert host_layout is not None
            host_layout.addWidget(view)
            self._bulk = view
        return self._bulk

    def reason_codes(self) -> tuple[Any, ...]:
        config = self._job_config()
        if config is not None:
            return tuple(config.reason_codes)
        from fpsdesk.records.reasons import DEFAULT_REASON_CODES

        return DEFAULT_REASON_CODES

    def _environment_now(self) -> tuple[str, str]:
        config = self._job_config()
        return (config.environment, config.endpoint) if config is not None else ("", "")

    def _on_tab_changed(self, index: int) -> None:
        # Before the session is attached (a restored Results tab at start-up), attach_session
        # builds it: the view reads the session's action log.
        if index == self.tabs.indexOf(self._results_host):
            self.notices.mark_all_seen()  # the agent sees them in the list now
            if self._session is not None:
                _ = self.results_view
        elif index == self.tabs.indexOf(self._search_host) and self._jobs is not None:
            _ = self.search_view
        elif index == self.tabs.indexOf(self._bulk_host) and self._jobs is not None:
            _ = self.bulk_view

    def show_search(self) -> None:
        if self._jobs is None:
            return
        _ = self.search_view
        self.tabs.setCurrentWidget(self._search_host)

    def find_transactions(self) -> None:
        """Ctrl+F: the Search tab, with the cursor in its text field."""
        if self._jobs is None:
            return
        self.show_search()
        self.search_view.focus_text()

    def show_bulk(self) -> None:
        if self._jobs is None:
            return
        _ = self.bulk_view
        self.tabs.setCurrentWidget(self._bulk_host)

    def bulk_from_file(self) -> None:
        """Ctrl+O: choose a file of IDs; a dry run of it follows (nothing is sent)."""
        if self._jobs is None:
            return
        self.show_bulk()
        self.bulk_view.choose_file()

    def _cancel_from_search(self, ids: object) -> None:
        """Search's "Cancel selected…": a dry run of those IDs in Bulk cancel."""
        if not isinstance(ids, list) or not ids:
            return
        bulk = self.bulk_view
        if bulk.busy:
            bulk.start_ids(ids, "")  # says why it cannot start now
            return
        label = self.tr("{n} transaction(s) selected in Search", "", len(ids)).format(n=len(ids))
        if bulk.start_ids(ids, label):
            self.show_bulk()

    def _on_bulk_finished(self, progress: RunSnapshot) -> None:
        """A bulk run ended: Results shows its cancels; unknown outcomes are settled as
        any other (the session's reconciler watches them)."""
        self.mark_results_dirty()
        if progress.unknown and self._session is not None:
            self._session.resume_unresolved()

    def _export_results(self) -> None:
        if self._session is not None:  # nothing to export before the session is attached
            self.results_view.export()

    def set_notifications(self, view: QWidget) -> None:
        """Add the Notifications tab (built after the first paint: it reads the IPN store)."""
        self.notifications = view
        view.setObjectName("notifications")
        index = self.tabs.insertTab(
            self.tabs.indexOf(self._search_host), view, self.tr("Notifications")
        )
        self.tabs.setTabToolTip(index, self.tr("Every notification stored, from any FPS (Ctrl+3)"))
        opener = getattr(view, "open_transaction", None)
        if opener is not None:
            opener.connect(self.open_transaction)
        self.notifications_action.setEnabled(True)
        if self._wanted_tab_name == "notifications" or (
            not self._wanted_tab_name and self._wanted_tab == self.tabs.indexOf(view)
        ):
            self.tabs.setCurrentWidget(view)

    def _show_ipns_of_shown(self, _row: int = 0, _column: int = 0) -> None:
        """Double-click on an IPN: the Notifications view, filtered to this transaction."""
        view = self.notifications
        if view is None or not self.shown_transaction:
            return
        search = getattr(view, "transaction", None)
        if search is not None:
            search.setText(self.shown_transaction)
        self.tabs.setCurrentWidget(view)

    def show_notifications(self) -> None:
        if self.notifications is not None:
            self.tabs.setCurrentWidget(self.notifications)

    def show_results(self) -> None:
        self.results_view.reload()
        self.tabs.setCurrentWidget(self._results_host)

    def _check_unfinished_bulk(self, endpoint: str) -> None:
        """An unfinished bulk run of this environment is offered for resuming, never resumed
        silently. The look runs on a job thread; the Bulk cancel view is built only when it
        finds one (or already exists)."""
        if self._bulk is not None:
            self._bulk.check_unfinished()
            return
        assert self._jobs is not None
        from fpsdesk.ui.bulk_view import unfinished_work

        self._unfinished_look = self._jobs.start(
            "unfinished-runs",
            unfinished_work(endpoint, None),
            succeeded=self._on_unfinished_bulk,
            failed=self._on_unfinished_bulk_failed,
        )

    @Slot(int, object)
    def _on_unfinished_bulk(self, job_id: int, runs: object) -> None:
        look = self._unfinished_look
        if look is None or look.job_id != job_id:  # None: not looking (or closed)
            return
        self._unfinished_look = None
        if isinstance(runs, tuple) and runs:
            self.bulk_view.show_unfinished(runs, offer=True)

    @Slot(int, object)
    def _on_unfinished_bulk_failed(self, job_id: int, error: object) -> None:
        log.warning("could not look for unfinished bulk runs: %s", error)
