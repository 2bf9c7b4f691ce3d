"""Every message box and confirmation fpsdesk shows: one function each, in one module.

Callers use ``dialogs.<function>(...)`` (never ``from dialogs import``), so a test replaces a
function here with ``monkeypatch.setattr`` and drives the app without a modal loop. The two
confirmations with a form of their own are built in ``cancel_dialog`` and
``bulk_cancel_dialog``, loaded on their first use; what they show and give back are the plain
values of ``prompts``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from fpsdesk.ui.prompts import BulkPrompt, CancelPrompt, ReasonChoice

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("dialogs", text)


def run_modal(dialog: QDialog) -> int:
    """Run a dialog built elsewhere (Settings) modally; tests replace this to drive it."""
    return int(dialog.exec())


def confirm_cancel(parent: QWidget | None, prompt: CancelPrompt) -> ReasonChoice | None:
    """The reason code and comment if the agent confirms, None if they back out."""
    from fpsdesk.ui.cancel_dialog import CancelDialog

    dialog = CancelDialog(prompt, parent)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.choice()
        return None
    finally:
        dialog.deleteLater()


def show_error(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setInformativeText(details)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()
    box.deleteLater()


def show_info(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def _ask(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    yes_text: str,
    no_text: str,
    *,
    details: str = "",
    rich: bool = False,
    default_yes: bool = False,
) -> bool:
    """A two-button question; Esc always means no. True only if the yes button was clicked."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    if rich:
        box.setTextFormat(Qt.TextFormat.RichText)
    if details:
        box.setInformativeText(details)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(no_text, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes if default_yes else no)
    box.setEscapeButton(no)
    box.exec()
    chosen = box.clickedButton() is yes
    box.deleteLater()
    return chosen


def confirm(parent: QWidget | None, title: str, text: str, yes_text: str) -> bool:
    return _ask(parent, QMessageBox.Icon.Question, title, text, yes_text, _tr("Go back"))


def offer_lookup_first(parent: QWidget | None, page_id: str, field_id: str | None) -> bool:
    """Cancel was asked while the ID field shows another transaction than the page (or none).

    Nothing was cancelled. True if the agent takes the offer: look up ``field_id`` (or, with
    no ID in the field, put ``page_id`` back in it); the default button, so Enter takes it.
    """
    from fpsdesk.ui.cancel_dialog import lookup_first_text

    title, details, yes_text = lookup_first_text(page_id, field_id)
    return _ask(
        parent,
        QMessageBox.Icon.Information,
        title,
        _tr("Nothing was cancelled."),
        yes_text,
        _tr("Go back"),
        details=details,
        rich=True,
        default_yes=True,
    )


def confirm_second_cancel(parent: QWidget | None, needs: Any) -> bool:
    """An earlier Cancel of this transaction has no known outcome: send a second one anyway?

    ``needs`` is a messages.CancelNeedsAgain. The default answer is No (Enter and Esc keep the
    one Cancel): a second Cancel is sent only on an explicit Yes.
    """
    from fpsdesk.ui.cancel_dialog import second_cancel_details

    return _ask(
        parent,
        QMessageBox.Icon.Warning,
        _tr("An earlier cancel is not settled yet"),
        _tr("Nothing was sent. An earlier Cancel of this transaction may still take effect."),
        _tr("Send a second Cancel"),
        _tr("Wait for the first"),
        details=second_cancel_details(needs),
        rich=True,
    )


def confirm_close_during_cancel(parent: QWidget | None) -> bool:
    """Closing while a Cancel is in flight: the agent must know its outcome may be unknown."""
    return confirm(
        parent,
        _tr("A cancel is in progress"),
        _tr(
            "A Cancel request is being sent right now. If you close fpsdesk, it waits for the "
            "answer (at most the request timeout); if none comes, the outcome is recorded as "
            "unknown and checked the next time fpsdesk starts.\n\nClose anyway?"
        ),
        _tr("Close anyway"),
    )


def confirm_reset_sandbox(parent: QWidget | None) -> bool:
    return confirm(
        parent,
        _tr("Reset the sandbox"),
        _tr(
            "Delete every transaction in the local sandbox and load fresh demo data? "
            "Your action history in fpsdesk is kept."
        ),
        _tr("Reset sandbox"),
    )


def first_run_choice(parent: QWidget | None) -> str | None:
    """First start with no profile: "sandbox", "connect" or None (decide later)."""
    box = QMessageBox(parent)
    box.setWindowTitle(_tr("Welcome to fpsdesk"))
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(_tr("How would you like to start?"))
    box.setInformativeText(
        _tr(
            "Explore fpsdesk with the local sandbox: a built-in FPS server with demo "
            "transactions, no real money.\n\nOr connect your FPS account with its access key."
        )
    )
    sandbox = box.addButton(
        _tr("Explore with the local sandbox"), QMessageBox.ButtonRole.AcceptRole
    )
    connect = box.addButton(_tr("Connect an FPS account…"), QMessageBox.ButtonRole.ActionRole)
    later = box.addButton(_tr("Later"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(sandbox)
    box.setEscapeButton(later)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    if clicked is sandbox:
        return "sandbox"
    if clicked is connect:
        return "connect"
    return None


def show_about(parent: QWidget | None, version: str, keychain: str, qt_version: str) -> None:
    QMessageBox.about(
        parent,
        _tr("About fpsdesk"),
        _tr(
            "<h3>fpsdesk {version}</h3>"
            "<p>Look up and cancel Amazon FPS (API 2008-09-17) transactions and review their "
            "notifications.</p>"
            "<p>Keychain: {keychain}<br>Qt: {qt}</p>"
        ).format(version=version, keychain=keychain, qt=qt_version),
    )


def show_shortcuts(parent: QWidget | None, shortcuts: list[tuple[str, str]]) -> None:
    rows = "".join(
        f"<tr><td style='padding-right:16px'><b>{keys}</b></td><td>{what}</td></tr>"
        for keys, what in shortcuts
    )
    QMessageBox.information(
        parent, _tr("Keyboard shortcuts"), f"<table cellspacing='4'>{rows}</table>"
    )


def show_unexpected_error(parent: QWidget | None, log_path: str) -> None:
    """The excepthook's friendly face: never a traceback, always where the details are."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(_tr("Unexpected problem"))
    box.setText(_tr("fpsdesk ran into an unexpected problem. Your data is safe."))
    box.setInformativeText(
        _tr("The details were written to the log file:\n{path}").format(path=log_path)
    )
    box.exec()
    box.deleteLater()


def save_csv_path(parent: QWidget | None, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(
        parent, _tr("Export CSV"), suggested, _tr("CSV files (*.csv)")
    )
    return path or None


def offer_refund_details(parent: QWidget | None, transaction_id: str, amount: str) -> bool:
    """A completed payment cannot be cancelled: say how it is refunded. True: copy its details."""
    return _ask(
        parent,
        QMessageBox.Icon.Information,
        _tr("Refund instead"),
        _tr(
            "{id} is completed: the money has moved, so FPS cannot cancel it. To give it back, "
            "refund it: an FPS Refund of up to {amount} for this transaction, sent from the "
            "system that takes your payments (or by whoever handles refunds). fpsdesk does not "
            "send refunds.\n\nCopy the transaction's details for that request?"
        ).format(id=transaction_id, amount=amount),
        _tr("Copy refund details"),
        _tr("Close"),
        default_yes=True,
    )


def open_ca_bundle(parent: QWidget | None, current: str) -> str | None:
    """A profile's CA bundle: a PEM file of extra CAs (an inspecting proxy's)."""
    path, _ = QFileDialog.getOpenFileName(
        parent,
        _tr("CA bundle"),
        current or str(Path.home()),
        _tr("PEM certificates (*.pem *.crt *.cer);;All files (*)"),
    )
    return path or None


def save_report_path(parent: QWidget | None, suggested: str, file_filter: str) -> str | None:
    """Where to save a report (PDF) or a chart (PNG); None if the agent backs out."""
    path, _ = QFileDialog.getSaveFileName(parent, _tr("Save report"), suggested, file_filter)
    return path or None


def export_report(
    parent: QWidget | None,
    suggested_name: str,
    file_filter: str,
    write: Callable[[Path], object],
    what: str,
) -> Path | None:
    """Ask where, then write; a write error is shown, never raised. The path written, or None."""
    chosen = save_report_path(parent, str(Path.home() / suggested_name), file_filter)
    if not chosen:
        return None
    try:
        write(Path(chosen))
    except OSError as exc:
        show_error(
            parent,
            _tr("Export failed"),
            _tr("Could not write {path}.").format(path=chosen),
            str(exc),
        )
        return None
    log.info("saved the %s to %s", what, chosen)
    return Path(chosen)


# -- bulk cancel --------------------------------------------------------------------------


def confirm_bulk_cancel(parent: QWidget | None, prompt: BulkPrompt) -> ReasonChoice | None:
    """The reason code and comment (both empty on a resume) if the agent confirms, None if
    they go back."""
    from fpsdesk.ui.bulk_cancel_dialog import BulkCancelDialog

    dialog = BulkCancelDialog(prompt, parent)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.ready():
            return dialog.choice()
        return None
    finally:
        dialog.deleteLater()


def open_bulk_file(parent: QWidget | None) -> str | None:
    """A CSV, TSV or text file of transaction IDs (any column), or None."""
    path, _ = QFileDialog.getOpenFileName(
        parent,
        _tr("Transactions to cancel"),
        "",
        _tr("Lists of transaction IDs (*.csv *.tsv *.txt);;All files (*)"),
    )
    return path or None


def offer_resume_bulk(parent: QWidget | None, text: str, details: str) -> bool:
    """An unfinished bulk run of this environment: resume it now? The default is Not now."""
    return _ask(
        parent,
        QMessageBox.Icon.Question,
        _tr("An unfinished bulk cancel"),
        text,
        _tr("Resume it"),
        _tr("Not now"),
        details=details,
    )


def confirm_close_during_bulk(parent: QWidget | None) -> bool:
    """Closing while a bulk run sends Cancels: it stops after the one in flight."""
    return confirm(
        parent,
        _tr("A bulk cancel is running"),
        _tr(
            "Closing stops the bulk run after the Cancel being sent now (fpsdesk waits for its "
            "answer). Nothing is lost: the next time fpsdesk starts it offers to resume the "
            "run, and no Cancel is sent twice.\n\nClose anyway?"
        ),
        _tr("Stop and close"),
    )


def export_csv(
    parent: QWidget | None, suggested_name: str, write: Callable[[Path], int], what: str
) -> None:
    """Ask where, write with ``write(path) -> rows written``; a write error is shown, not raised."""
    path = save_csv_path(parent, str(Path.home() / suggested_name))
    if not path:
        return
    try:
        count = write(Path(path))
    except OSError as exc:
        show_error(
            parent,
            _tr("Export failed"),
            _tr("Could not write {path}.").format(path=path),
            str(exc),
        )
        return
    log.info("exported %d %s to %s", count, what, path)
    show_exported(parent, count, Path(path))


def open_folder(path: Path) -> bool:
    """Open the folder holding ``path`` in the desktop's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


def show_exported(parent: QWidget | None, count: int, path: Path) -> QMessageBox:
    """Say how many rows went to which file, with a button that opens its folder. Not modal:
    the agent goes on working, and the note closes with its window."""
    rows = _tr("1 row") if count == 1 else _tr("{n} rows").format(n=count)
    box = QMessageBox(
        QMessageBox.Icon.Information,
        _tr("Export finished"),
        _tr("{rows} written to {name}").format(rows=rows, name=path.name),
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setInformativeText(_tr("in {folder}").format(folder=path.parent))
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    folder = box.addButton(_tr("Open folder"), QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    folder.clicked.connect(lambda: open_folder(path))
    box.setObjectName("export-finished")
    box.show()
    return box
