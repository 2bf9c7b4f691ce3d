"""The look-up, as the agent sees it: the ID field (a pasted text or URL reduced to its ID, or
one button per ID when it holds several), Look up, Esc to stop waiting, and the answer on the
transaction page or the error page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from fpsdesk.fps.exceptions import InvalidInput
from fpsdesk.fps.ids import SeveralTransactionIds, pick_transaction_id
from fpsdesk.fps.status import TransactionStatus
from fpsdesk.ui import dialogs, error_banner, theme
from fpsdesk.ui.error_banner import now_text
from fpsdesk.ui.result_banner import ResultBanner
from fpsdesk.ui.widgets import EmptyState, EnvironmentBadge

if TYPE_CHECKING:  # loaded after the first paint (AppController.start)
    from PySide6.QtWidgets import QMainWindow as _Window

    from fpsdesk.desk.replies import LookupReply, WorkerFailure
    from fpsdesk.ui.search_view import SearchView
    from fpsdesk.ui.session import DeskSession
    from fpsdesk.ui.transaction_view import TransactionView
else:
    _Window = object

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BeforeLookup:
    """What the window showed before a look-up, so Esc can go back to it."""

    transaction_id: str | None
    page: QWidget
    banner_visible: bool


class LookupMixin(_Window):
    """Part of ``MainWindow``: the ID field, the look-up and its answer."""

    id_edit: QLineEdit
    lookup_button: QPushButton
    id_error: QLabel
    id_choices: QWidget
    _id_choices_row: QHBoxLayout
    env_badge: EnvironmentBadge
    tabs: QTabWidget
    pages: QStackedWidget
    welcome: EmptyState
    loading: EmptyState
    error_page: QWidget
    error_heading: QLabel
    error_banner: ResultBanner
    stop_action: QAction
    shown_transaction: str | None
    _before_lookup: BeforeLookup | None
    _session: DeskSession | None
    _transaction_view: TransactionView | None
    _search: SearchView | None
    _search_host: QWidget
    _ipn_rows: Callable[[str], list[Any]] | None
    # In the window's other parts.
    if TYPE_CHECKING:  # ViewsMixin's

        @property
        def session(self) -> DeskSession: ...
        @property
        def transaction_view(self) -> TransactionView: ...

    _update_cancel: Callable[[], None]

    def focus_id_field(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.id_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.id_edit.selectAll()

    def _on_id_edited(self, text: str) -> None:
        """A paste of a longer text or URL: keep only the one ID inside it, or offer the several."""
        self._show_id_error("")
        stripped = text.strip()
        if not stripped or (len(stripped) <= 35 and stripped.isalnum()):
            return
        try:
            found = pick_transaction_id(text)
        except SeveralTransactionIds as several:
            self._offer_id_choices(several)
            return
        except InvalidInput:
            return  # said on Enter: the agent may still be typing
        if found != text:
            self.id_edit.setText(found)
            self.statusBar().showMessage(
                self.tr("Picked the transaction ID out of the pasted text."), 5000
            )

    def _show_id_error(self, message: str) -> None:
        self.id_error.setText(f"⚠ {message}" if message else "")
        color = theme.status_look(TransactionStatus.FAILURE).color().name()
        theme.restyle(self.id_error, f"color: {color};")
        self.id_error.setVisible(bool(message))
        if not message:
            self._clear_id_choices()

    def _clear_id_choices(self) -> None:
        layout = self._id_choices_row
        while layout.count():
            item = layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.id_choices.hide()

    def _offer_id_choices(self, several: SeveralTransactionIds) -> None:
        """Show why nothing was looked up, and one button per ID found (the first 6)."""
        self._show_id_error(
            self.tr("The pasted text holds {n} transaction IDs: pick one.").format(
                n=len(several.choices)
            )
        )
        layout = self._id_choices_row
        for txn in several.choices[:6]:
            button = QPushButton(txn)
            button.setFont(theme.mono_font())
            button.setAutoDefault(True)
            button.setAccessibleName(self.tr("Look up {id}").format(id=txn))
            button.clicked.connect(lambda _=False, t=txn: self._choose_id(t))
            layout.addWidget(button)
        layout.addStretch(1)
        self.id_choices.show()

    def _choose_id(self, txn: str) -> None:
        self._show_id_error("")
        self.id_edit.setText(txn)
        self.open_transaction(txn)

    def field_transaction_id(self) -> str | None:
        """The ID the field shows, read exactly as a look-up would read it; None if none."""
        try:
            return pick_transaction_id(self.id_edit.text())
        except InvalidInput:
            return None

    def _on_id_changed(self, _text: str) -> None:
        # Cancel follows the field: it acts only while the field shows the page's transaction.
        if self._session is not None and self._transaction_view is not None:
            self._update_cancel()

    def restore_field(self) -> None:
        """Put the shown transaction's ID back in the field (no look-up: the page has it)."""
        detail = self.transaction_view.detail
        if detail is not None:
            self._show_id_error("")
            self.id_edit.setText(detail.transaction_id)
            self.statusBar().showMessage(
                self.tr("The ID field shows {id} again.").format(id=detail.transaction_id), 5000
            )

    def lookup_from_field(self) -> None:
        try:
            txn = pick_transaction_id(self.id_edit.text())
        except SeveralTransactionIds as several:
            self._offer_id_choices(several)
            return
        except InvalidInput as exc:
            self._show_id_error(str(exc))
            return
        self._show_id_error("")
        if self.id_edit.text() != txn:
            self.id_edit.setText(txn)
        self.open_transaction(txn)

    @Slot()
    def _refund_help(self) -> None:
        """The next step for a completed payment: how to refund it, and its details to copy."""
        detail = self.transaction_view.detail
        if detail is None:
            return
        env = self.env_badge.text().title()
        if dialogs.offer_refund_details(
            self, detail.transaction_id, str(detail.transaction_amount)
        ):
            from fpsdesk.ui.facts_card import refund_details

            QGuiApplication.clipboard().setText(refund_details(detail, env))
            self.statusBar().showMessage(
                self.tr("Refund details of {id} copied.").format(id=detail.transaction_id), 5000
            )

    def open_transaction(self, transaction_id: str) -> None:
        if self._session is None or self._session.config is None:
            self._show_id_error(self.tr("Not connected: open Settings (Ctrl+,) to add a profile."))
            return
        self.tabs.setCurrentIndex(0)
        if self._before_lookup is None:
            # What Esc goes back to; a look-up replacing one in flight keeps the first's.
            self._before_lookup = BeforeLookup(
                self.shown_transaction,
                self.pages.currentWidget() or self.welcome,
                self._transaction_view is not None and self._transaction_view.banner.isVisible(),
            )
        if self.id_edit.text() != transaction_id:
            self.id_edit.setText(transaction_id)
        same = transaction_id == self.shown_transaction
        if not same:
            self.shown_transaction = transaction_id
            self.transaction_view.banner.hide()
            self.loading.title.setText(self.tr("Looking up {id}…").format(id=transaction_id))
            self.pages.setCurrentWidget(self.loading)
        self.statusBar().showMessage(self.tr("Reading {id}…").format(id=transaction_id))
        self.session.lookup(transaction_id)

    def refresh(self) -> None:
        if self.shown_transaction:
            self.open_transaction(self.shown_transaction)

    def stop_lookup(self) -> None:
        """Esc: stop waiting for the look-up in flight (its answer is ignored when it comes),
        or stop the search running (on the Search tab, or when no look-up is in flight)."""
        lookup = self._session is not None and self._session.lookup_in_flight
        search = self._search is not None and self._search.running
        if search and (not lookup or self.tabs.currentWidget() is self._search_host):
            assert self._search is not None
            self._search.stop()
            return
        if self._session is not None and lookup:
            self._session.abandon_lookup()  # lookup_abandoned -> _on_lookup_abandoned

    @Slot()
    def _sync_stop_action(self) -> None:
        lookup = self._session is not None and self._session.lookup_in_flight
        search = self._search is not None and self._search.running
        self.stop_action.setEnabled(lookup or search)

    @Slot(str)
    def _on_lookup_abandoned(self, transaction_id: str) -> None:
        before, self._before_lookup = self._before_lookup, None
        if self.pages.currentWidget() is self.loading:
            if before is None:  # never leave the agent on a page that waits for nothing
                view = self._transaction_view
                detail = view.detail if view is not None else None
                before = BeforeLookup(
                    detail.transaction_id if detail else None,
                    view if view is not None and detail is not None else self.welcome,
                    False,
                )
            self.shown_transaction = before.transaction_id
            page = before.page if before.page is not self.loading else self.welcome
            self.pages.setCurrentWidget(page)
            if before.transaction_id is not None:
                self.id_edit.setText(before.transaction_id)
            if before.banner_visible and page is self._transaction_view:
                self.transaction_view.banner.show()
        if self._transaction_view is not None:
            self._update_cancel()
        self.statusBar().showMessage(
            self.tr("Look-up of {id} stopped").format(id=transaction_id), 0
        )

    @Slot(object)
    def _on_lookup_finished(self, reply: LookupReply) -> None:
        if reply.transaction_id != self.shown_transaction:
            return
        self._before_lookup = None
        with self.transaction_view.batch():
            self.transaction_view.show_detail(reply.detail)
            self._reload_lists(reply.transaction_id)
        self._update_cancel()
        related = [r.transaction_id for r in reply.detail.related_transactions]
        if related:  # their statuses follow the links as they are read
            self.session.read_related_statuses(related)
        self.pages.setCurrentWidget(self.transaction_view)
        read = self.tr("Read at {time} · RequestId {rid}").format(
            time=now_text(), rid=reply.detail.request_id
        )
        # On the page, whole (a RequestId is never cut); the status bar keeps the short form.
        self.transaction_view.set_read(read)
        self.statusBar().showMessage(self.tr("Read at {time}").format(time=now_text()), 0)

    @Slot(str, object)
    def _on_related_status(self, transaction_id: str, status: TransactionStatus) -> None:
        if self._transaction_view is not None:
            self.transaction_view.set_related_status(transaction_id, status)

    @Slot(object)
    def _on_lookup_failed(self, failure: WorkerFailure) -> None:
        if failure.transaction_id != self.shown_transaction:
            return
        self._before_lookup = None
        error = failure.error
        self.statusBar().clearMessage()
        if self.pages.currentWidget() is self.transaction_view and (
            self.transaction_view.detail is not None
            and self.transaction_view.detail.transaction_id == failure.transaction_id
        ):
            banner = self.transaction_view.banner
            if banner.isVisible() and banner.kind in ("outcome_unknown", "cancelled", "reconciled"):
                # A cancel's outcome stays in front of the agent: a failed re-read behind it is
                # said in the status bar, not over it.
                self.statusBar().showMessage(
                    self.tr("Could not read it again: {why}").format(why=error.title), 15000
                )
            else:
                self.show_error(banner, error)
            if self.transaction_view.stale_text:
                self.transaction_view.mark_stale(
                    self.tr(
                        "A newer Verified notification says otherwise, and reading the "
                        "transaction again failed (see above): Cancel stays off until a read "
                        "succeeds (Refresh, F5)."
                    )
                )
            return
        self.show_error(self.error_banner, error)
        self.error_heading.setText(
            self.tr("Could not look up {id}").format(id=failure.transaction_id)
        )
        self.pages.setCurrentWidget(self.error_page)

    def context_text(self, transaction_id: str | None) -> str:
        """The transaction and the environment, for a banner's "Copy details"."""
        return error_banner.context_text(self.session.config, transaction_id)

    _context = context_text  # the name the tests know

    def show_error(
        self, banner: ResultBanner, error: Any, transaction_id: str | None = None
    ) -> None:
        error_banner.show_error(
            banner, error, self.context_text(transaction_id or self.shown_transaction)
        )

    def _reload_lists(self, transaction_id: str) -> None:
        from fpsdesk.store.db import database_errors

        try:
            self.transaction_view.set_actions(self.session.actions.for_transaction(transaction_id))
        except database_errors() as exc:  # a shared history offline: the look-up still shows
            log.info("could not read the actions of %s: %s", transaction_id, exc)
            self.transaction_view.set_actions([])
        rows: list[Any] = []
        if self._ipn_rows is not None:
            try:
                rows = self._ipn_rows(transaction_id)
            except Exception:
                log.exception("reading the IPNs of %s failed", transaction_id)
        self.transaction_view.set_ipns(rows)

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.lookup_button.setText(self.tr("Working…") if busy else self.tr("Look up"))
