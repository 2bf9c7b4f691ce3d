"""The cancel, as the agent sees it: the Cancel button and its shortcut, the confirmation, the
progress and outcome on the page's banner, a notice when the agent looks elsewhere, the Results
tab's count of outcomes not seen yet, and the lost answer's follow-up.

``CancelPresenter`` owns that flow; ``MainWindow`` only builds the widgets and wires them to
it. The rules (what may be sent, what a status read proves) are the desk layer's
(fpsdesk/desk/cancel.py, settle.py), asked through the session.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QStackedWidget, QStatusBar, QTabWidget, QWidget

from fpsdesk.desk.cancel_state import CANCEL_CHECKING, CANCEL_SENDING
from fpsdesk.fps.status import TransactionStatus
from fpsdesk.store.outcome import ActionOutcome
from fpsdesk.ui import dialogs, theme
from fpsdesk.ui.cancel_wording import blocked_wording
from fpsdesk.ui.error_banner import now_text
from fpsdesk.ui.outcome_notices import OutcomeNotices
from fpsdesk.ui.prompts import CancelPrompt
from fpsdesk.ui.result_banner import ResultBanner

if TYPE_CHECKING:  # loaded after the first paint (AppController.start)
    from fpsdesk.desk.replies import CancelBlocked, CancelNeedsAgain, CancelReply, WorkerFailure
    from fpsdesk.ui.session import DeskSession
    from fpsdesk.ui.transaction_view import TransactionView


class CancelWindow(Protocol):
    """What the presenter uses of the main window (its widgets and the look-up's field)."""

    shown_transaction: str | None
    tabs: QTabWidget
    pages: QStackedWidget
    notices: OutcomeNotices
    cancel_action: QAction

    @property
    def session(self) -> DeskSession: ...
    @property
    def transaction_view(self) -> TransactionView: ...
    @property
    def built_transaction_view(self) -> TransactionView | None: ...
    @property
    def results_tab(self) -> QWidget: ...
    def statusBar(self) -> QStatusBar: ...
    def window(self) -> QWidget: ...  # the dialogs' parent
    def field_transaction_id(self) -> str | None: ...
    def lookup_from_field(self) -> None: ...
    def restore_field(self) -> None: ...
    def reason_codes(self) -> tuple[Any, ...]: ...
    def open_transaction(self, transaction_id: str) -> None: ...
    def mark_results_dirty(self) -> None: ...
    def context_text(self, transaction_id: str | None) -> str: ...
    def show_error(
        self, banner: ResultBanner, error: Any, transaction_id: str | None = None
    ) -> None: ...


class CancelPresenter(QObject):
    """Presents every cancel of the session on the window it is given."""

    def __init__(self, window: CancelWindow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        # While an unknown outcome is on the page: says each second what the app is doing.
        self._unknown_ticker = QTimer(self)
        self._unknown_ticker.setInterval(1000)
        self._unknown_ticker.timeout.connect(self.tick_unknown)

    def session_links(self, session: DeskSession) -> list[tuple[Any, Callable[..., Any]]]:
        """The session's signals this presents, with their slots (the window connects them and
        cuts them at shutdown)."""
        return [
            (session.cancel_state_changed, self._on_cancel_state),
            (session.cancel_finished, self._on_cancel_finished),
            (session.cancel_blocked, self._on_cancel_blocked),
            (session.cancel_needs_again, self._on_cancel_needs_again),
            (session.cancel_check_failed, self._on_cancel_check_failed),
            (session.action_resolved, self._on_action_resolved),
            (session.reconcile_checking, self._on_reconcile_checking),
        ]

    def stop(self) -> None:
        """The window is closing: nothing ticks any more."""
        self._unknown_ticker.stop()

    def update_results_title(self) -> None:
        """The Results tab counts the finished cancels the agent has not seen yet."""
        w = self._window
        count = w.notices.unseen_count()
        title = self.tr("Results ({n})").format(n=count) if count else self.tr("Results")
        index = w.tabs.indexOf(w.results_tab)
        w.tabs.setTabText(index, title)
        w.tabs.setTabToolTip(
            index,
            self.tr("{n} finished cancel(s) not seen yet", "", count).format(n=count)
            if count
            else "",
        )

    def update_cancel(self) -> None:
        """The Cancel button and its shortcut follow the page, the ID field and any cancel in
        flight of the shown transaction."""
        w = self._window
        txn = w.shown_transaction
        in_flight = ""
        blocked = ""
        earlier = ""
        if txn:
            state = w.session.cancel_state(txn)
            if state == CANCEL_CHECKING:
                in_flight = self.tr("Checking status…")
            elif state == CANCEL_SENDING:
                in_flight = self.tr("Cancelling…")
            elif w.session.reconciler.is_pending(txn):
                # Not blocked: a second Cancel asks first, naming this one (the desk's rule).
                earlier = self.tr(
                    "An earlier cancel's outcome is not known yet; fpsdesk keeps checking. "
                    "A new cancel asks first."
                )
        view = w.transaction_view
        view.update_cancel_button(
            in_flight_text=in_flight,
            blocked_text=blocked,
            earlier_note=earlier,
            connected=w.session.config is not None,
            field_id=w.field_transaction_id(),
            check_field=True,
        )
        # The shortcut stays live whenever a transaction is on the page: when it will not
        # cancel it says why (completed, failed, in flight) or offers the look-up (request_cancel).
        w.cancel_action.setEnabled(
            view.cancel_button.isEnabled() or bool(view.field_offer) or view.detail is not None
        )

    def request_cancel(self) -> None:
        w = self._window
        view = w.transaction_view
        detail = view.detail
        if detail is None or w.pages.currentWidget() is not view:
            return
        if w.session.cancel_in_flight(detail.transaction_id):
            self._say_why_not(detail.transaction_id, self.tr("a cancel of it is already running."))
            return
        field_id = w.field_transaction_id()
        if field_id != detail.transaction_id:
            # Never the wrong transaction: the page's is not the one the field shows.
            if view.field_offer and dialogs.offer_lookup_first(
                w.window(), detail.transaction_id, field_id
            ):
                if field_id:
                    w.lookup_from_field()
                else:
                    w.restore_field()
            return
        if not view.cancel_button.isEnabled():
            self._say_why_not(detail.transaction_id, view.cancel_hint.text())
            return
        config = w.session.config
        prompt = CancelPrompt(
            transaction_id=detail.transaction_id,
            amount=str(detail.transaction_amount),
            status=detail.transaction_status.value,
            environment=config.environment if config else "",
            endpoint=config.endpoint if config else "",
            operation=detail.fps_operation,
            caller_reference=detail.caller_reference or "",
            description=detail.caller_description or detail.sender_description or "",
            sender_name=detail.sender_name or "",
            sender_email=detail.sender_email or "",
            reason_codes=w.reason_codes(),
        )
        choice = dialogs.confirm_cancel(w.window(), prompt)
        if choice is None:
            return
        # The page or the field may have changed while the dialog was open.
        current = w.transaction_view.detail
        if (
            current is None
            or current.transaction_id != detail.transaction_id
            or w.field_transaction_id() != detail.transaction_id
        ):
            return
        w.session.cancel(
            detail.transaction_id,
            choice.comment,
            detail.transaction_status,
            reason_code=choice.code,
            amount=detail.transaction_amount,
        )

    def _say_why_not(self, transaction_id: str, why: str) -> None:
        """Ctrl+Shift+X that will not cancel: say why where the agent looks, never silently."""
        w = self._window
        text = self.tr("Not cancelling {id}: {why}").format(
            id=transaction_id, why=why or self.tr("it cannot be cancelled now.")
        )
        w.statusBar().showMessage(text, 10000)

    @Slot(str, str)
    def _on_cancel_state(self, transaction_id: str, state: str) -> None:
        w = self._window
        if transaction_id != w.shown_transaction:
            return
        if state == CANCEL_SENDING:
            look = theme.status_look(TransactionStatus.PENDING)
            w.transaction_view.banner.show_result(
                look,
                self.tr("Cancelling…"),
                self.tr("The Cancel is on record and being sent to FPS."),
                kind="progress",
            )
        self.update_cancel()

    @Slot(object)
    def _on_cancel_finished(self, reply: CancelReply) -> None:
        w = self._window
        txn = reply.transaction_id
        show: Callable[[], None] | None = None
        if reply.result is not None:
            result = reply.result
            look = theme.status_look(result.transaction_status)
            if result.transaction_status == TransactionStatus.CANCELLED:
                look = theme.outcome_look(ActionOutcome.SUCCEEDED.value)
                headline = self.tr("Cancelled")
                outcome = self.tr("Cancelled")
                detail = self.tr("FPS cancelled {id}. Nothing will be charged.").format(id=txn)
                summary = self.tr("FPS cancelled it: nothing will be charged")
            else:
                headline = self.tr("FPS answered: {status}").format(status=look.label)
                outcome = self.tr("Not cancelled")
                detail = self.tr("The transaction is now {status}.").format(status=look.label)
                summary = headline
            w.statusBar().showMessage(
                self.tr("{id}: {headline}").format(id=txn, headline=headline), 10000
            )

            def show_result() -> None:
                w.transaction_view.banner.show_result(
                    look,
                    headline,
                    detail,
                    None,
                    result.request_id,
                    kind="cancelled",
                    context=w.context_text(txn),
                )

            show = show_result
            self._notice(txn, look, outcome, summary, show)
        elif reply.error is not None:
            error = reply.error

            def show_error() -> None:
                w.show_error(w.transaction_view.banner, error, txn)

            show = show_error
            if reply.unknown:
                look = theme.outcome_look(ActionOutcome.UNKNOWN.value)
                outcome = self.tr("Outcome unknown")
                if reply.until is not None:
                    from fpsdesk.desk.timeline import local_hm

                    summary = self.tr(
                        "The answer was lost; it may still take effect until {time}. "
                        "fpsdesk keeps checking."
                    ).format(time=local_hm(reply.until))
                    # Say what the app is doing and until when, instead of the catalogue's
                    # general advice (the same rule, without the time).
                    error = dataclasses.replace(
                        error,
                        next_step=self.tr(
                            "{summary} Do not cancel it again before then: the outcome will "
                            "show here."
                        ).format(summary=summary),
                    )
                else:
                    summary = self.tr("The answer was lost: fpsdesk is checking its status")
            else:
                look = theme.outcome_look(ActionOutcome.FAILED.value)
                outcome = self.tr("Not cancelled")
                summary = f"{error.title} ({error.code})" if error.code else error.title
            w.statusBar().showMessage(
                self.tr("{id}: {headline}").format(id=txn, headline=outcome), 10000
            )
            self._notice(txn, look, outcome, summary, show)
        if show is not None and txn == w.shown_transaction:
            show()
            self.tick_unknown()
        w.mark_results_dirty()
        if txn == w.shown_transaction:
            self.update_cancel()
            w.session.lookup(txn)  # show the new status and history

    @Slot(int, str)
    def _on_reconcile_checking(self, _action_id: int, _transaction_id: str) -> None:
        self.tick_unknown()

    def tick_unknown(self) -> None:
        """Say on an unknown-outcome banner what fpsdesk does about it now; stop once settled."""
        w = self._window
        if w.built_transaction_view is None:
            self._unknown_ticker.stop()
            return
        banner = w.transaction_view.banner
        txn = w.shown_transaction
        progress = w.session.reconciler.progress(txn) if txn else None
        if banner.kind != "outcome_unknown" or not banner.isVisible() or progress is None:
            self._unknown_ticker.stop()
            if banner.kind == "outcome_unknown":
                banner.set_progress("")
            return
        if progress.planned is not None:
            which = self.tr("check {k} of {n}").format(k=progress.attempt, n=progress.planned)
        else:
            which = self.tr("check {k}").format(k=progress.attempt)
        if progress.checking:
            text = self.tr("Now: reading its status from FPS ({which})…").format(which=which)
        else:
            text = self.tr("Now: waiting; next status check in {s} s ({which}).").format(
                s=max(1, round(progress.next_in or 0)), which=which
            )
        banner.set_progress(
            text + " " + self.tr("Nothing to do: the outcome will replace this message.")
        )
        if not self._unknown_ticker.isActive():
            self._unknown_ticker.start()

    def _looking_at(self, transaction_id: str) -> bool:
        """The agent has this transaction's page in front of them right now."""
        w = self._window
        return (
            w.tabs.currentWidget() is w.pages
            and w.built_transaction_view is not None
            and w.pages.currentWidget() is w.built_transaction_view
            and w.shown_transaction == transaction_id
        )

    def _notice(
        self,
        transaction_id: str,
        look: theme.StatusLook,
        outcome: str,
        summary: str,
        show: Callable[[], None],
        *,
        counted: bool = True,
    ) -> None:
        """A finished Cancel the agent is not looking at: a notice that stays until dismissed,
        counted on the Results tab unless that is what the agent is looking at."""
        w = self._window
        if self._looking_at(transaction_id):
            return  # its page banner shows it, in front of the agent
        on_results = w.tabs.currentWidget() is w.results_tab
        w.notices.add(
            transaction_id,
            look,
            outcome,
            summary,
            now_text(),
            unseen=counted and not on_results,
            payload=show,
        )

    def open_notice(self, transaction_id: str) -> None:
        """Open: show the transaction, with the outcome in its page banner; the notice is done."""
        w = self._window
        row = w.notices.row(transaction_id)
        show = row.payload if row is not None else None
        w.open_transaction(transaction_id)
        if w.shown_transaction != transaction_id:
            return  # not opened (not connected: the field says why); the notice stays
        w.notices.remove(transaction_id)
        if callable(show):
            show()
            self.tick_unknown()

    @Slot(object)
    def _on_cancel_needs_again(self, needs: CancelNeedsAgain) -> None:
        """Nothing was sent: an earlier Cancel may still take effect. Ask, naming it."""
        w = self._window
        if needs.transaction_id == w.shown_transaction:
            self.update_cancel()
        if not dialogs.confirm_second_cancel(w.window(), needs):
            w.statusBar().showMessage(
                self.tr("{id}: no second Cancel sent; waiting for the first one's outcome.").format(
                    id=needs.transaction_id
                ),
                10000,
            )
            return
        w.session.cancel(
            needs.transaction_id,
            needs.reason,
            needs.expected_status,
            again=True,
            reason_code=needs.reason_code,
            amount=needs.amount,
        )

    @Slot(object)
    def _on_cancel_blocked(self, blocked: CancelBlocked) -> None:
        w = self._window
        headline, text = blocked_wording(blocked)
        if blocked.transaction_id == w.shown_transaction:
            # Said once, on the page it is about; a dialog repeating it would only be dismissed.
            w.transaction_view.banner.show_result(
                theme.status_look(blocked.current_status),
                headline,
                text,
                kind="blocked",
                context=w.context_text(blocked.transaction_id),
            )
            w.session.lookup(blocked.transaction_id)
            return
        dialogs.show_error(w.window(), headline, text)

    @Slot(object)
    def _on_cancel_check_failed(self, failure: WorkerFailure) -> None:
        w = self._window
        txn = failure.transaction_id
        error = failure.error

        def show() -> None:
            w.show_error(w.transaction_view.banner, error, txn)
            w.transaction_view.banner.headline.setText(
                self.tr("Not cancelled: could not check the status first")
            )

        # Nothing was sent, so the Results list has no row for it: a notice, not a count.
        self._notice(
            txn,
            theme.outcome_look(ActionOutcome.FAILED.value),
            self.tr("Not cancelled"),
            self.tr("Could not check its status first: nothing was sent"),
            show,
            counted=False,
        )
        if txn == w.shown_transaction:
            show()
            self.update_cancel()

    @Slot(int, str, str, str)
    def _on_action_resolved(self, action_id: int, txn: str, outcome: str, status: str) -> None:
        w = self._window
        look = theme.status_look(status)
        if outcome == ActionOutcome.SUCCEEDED.value:
            look = theme.outcome_look(outcome)
            headline = self.tr("Cancelled")
            detail = self.tr(
                "The earlier Cancel with an unknown outcome did go through: a status read "
                "shows the transaction is Cancelled."
            )
            summary = self.tr("The lost answer is settled: a status read shows it Cancelled")
        else:
            headline = self.tr("Not cancelled")
            detail = self.tr(
                "The earlier Cancel with an unknown outcome did not take effect: the "
                "transaction is {status}."
            ).format(status=look.label)
            summary = self.tr("The lost answer is settled: a status read shows it {status}").format(
                status=look.label
            )
        w.statusBar().showMessage(f"{txn}: {headline}", 10000)
        context = w.context_text(txn)
        record = w.session.actions.get(action_id)
        if record is not None and (record.error_code or record.error_message):
            # The error that left it unknown: what support asks for first.
            original = ": ".join(x for x in (record.error_code, record.error_message) if x)
            context += "\n" + self.tr("Original error: {error}").format(error=original)
        request_id = record.request_id if record is not None else None

        def show() -> None:
            w.transaction_view.banner.show_result(
                look, headline, detail, None, request_id, kind="reconciled", context=context
            )

        self._notice(txn, look, headline, summary, show)
        w.mark_results_dirty()
        if txn == w.shown_transaction:
            show()
            self.update_cancel()
            w.session.lookup(txn)
