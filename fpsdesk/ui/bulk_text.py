"""The Bulk cancel view's words and looks: classes, outcomes, messages, the items table's
columns and its CSV export. No widget here."""

from __future__ import annotations

import csv
import dataclasses
import functools
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QIcon

from fpsdesk.store.bulk import (
    ALREADY_CANCELLED,
    CANCELLABLE,
    CLASSES,
    COMPLETED,
    DUPLICATE,
    FAILED,
    INVALID_LINE,
    SENDING,
    SKIPPED,
    TODO,
    UNKNOWN_ID,
    UNREADABLE,
    BulkItem,
)
from fpsdesk.ui import theme
from fpsdesk.ui.row_model import Column

if TYPE_CHECKING:
    from fpsdesk.desk.bulk import ClassSummary
    from fpsdesk.ui.bulk_jobs import RunSnapshot

CENT = Decimal("0.01")
CSV_COLUMNS = [
    "line",
    "transaction_id",
    "dry_run",
    "status_before",
    "amount",
    "currency",
    "outcome",
    "status_after",
    "request_id",
    "message",
]


def _tr(text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("bulk", text)


_GREY = ("#5b616b", "#aab0b8")


@functools.cache
def class_look(klass: str) -> theme.StatusLook:
    """The dry run's verdict on a line: a shape and a word, as for statuses."""
    looks = {
        CANCELLABLE: theme.StatusLook(
            _tr("To cancel"), "hold", "#1d5fb8", "#6ea8fe", _tr("Reserved or Pending")
        ),
        ALREADY_CANCELLED: dataclasses.replace(
            theme.status_look("Cancelled"), label=_tr("Already cancelled")
        ),
        COMPLETED: dataclasses.replace(theme.status_look("Success"), label=_tr("Completed")),
        FAILED: dataclasses.replace(theme.status_look("Failure"), label=_tr("Failed")),
        UNKNOWN_ID: theme.StatusLook(_tr("Unknown ID"), "question", "#6b4fbb", "#b9a6f5", ""),
        INVALID_LINE: theme.StatusLook(_tr("No usable ID"), "cross", *_GREY, ""),
        DUPLICATE: theme.StatusLook(_tr("Duplicate"), "slash", *_GREY, ""),
        UNREADABLE: theme.StatusLook(_tr("Could not read"), "question", "#9a5b00", "#f0b43c", ""),
    }
    return looks.get(klass, theme.StatusLook(klass, "question", *_GREY, ""))


@functools.cache
def class_meaning(klass: str) -> str:
    """What the run does with a line of this class."""
    return {
        CANCELLABLE: _tr("Will be cancelled"),
        ALREADY_CANCELLED: _tr("Skipped: already cancelled"),
        COMPLETED: _tr("Skipped: completed, refund it instead"),
        FAILED: _tr("Skipped: it failed, nothing to cancel"),
        UNKNOWN_ID: _tr("Skipped: FPS does not know this ID"),
        INVALID_LINE: _tr("Skipped: no usable transaction ID on the line"),
        DUPLICATE: _tr("Skipped: the same ID is on an earlier line"),
        UNREADABLE: _tr("Skipped: could not be read now; try these again later"),
    }.get(klass, klass)


def outcome_look(item: BulkItem) -> theme.StatusLook | None:
    return _outcome_look(item.outcome, item.state)


@functools.cache
def _outcome_look(outcome: str | None, state: str) -> theme.StatusLook | None:
    if outcome == "succeeded":
        return theme.StatusLook(_tr("Cancelled"), "check", "#1a7f37", "#5cc971", "")
    if outcome in ("not cancelled", "unknown", "pending"):
        return theme.outcome_look("failed" if outcome == "not cancelled" else outcome)
    if outcome == "not sent":
        return theme.StatusLook(_tr("Not sent"), "cross", *_GREY, "")
    if state == SENDING:
        return theme.StatusLook(_tr("Sending…"), "clock", "#1d5fb8", "#6ea8fe", "")
    if state == TODO:
        return theme.StatusLook(_tr("Waiting"), "clock", *_GREY, "")
    return None


_CODED = re.compile(r"^([A-Za-z][A-Za-z_.]{2,64}): (.*)$", re.DOTALL)


def plain_message(item: BulkItem, planning: bool = False) -> str:
    """The item's message in plain language: FPS codes through the error catalogue."""
    message = item.message or ""
    match = _CODED.match(message)
    if match:
        from fpsdesk.fps.errors import CATALOGUE, explain

        code = match[1]
        if code in CATALOGUE:
            return f"{explain(code, 'Cancel').summary} ({code})"
    if message:
        return message
    if item.outcome == "succeeded":
        return _tr("Cancelled: nothing will be charged.")
    if item.outcome == "unknown":
        return _tr("The answer was lost; fpsdesk keeps checking (see Results).")
    if item.klass == CANCELLABLE and item.state == TODO:
        return class_meaning(CANCELLABLE) if planning else _tr("Not sent yet")
    return class_meaning(item.klass)


def amount_text(item: BulkItem) -> str:
    if item.amount is None:
        return ""
    try:
        value = Decimal(item.amount).quantize(CENT)
    except ArithmeticError:
        return f"{item.currency or ''} {item.amount}".strip()
    return f"{item.currency or ''} {value:,}".strip()


def amounts_text(summary: ClassSummary) -> str:
    return ", ".join(
        f"{currency} {amount.quantize(CENT):,}"
        for currency, amount in sorted(summary.amounts.items())
    )


def counts_text(p: RunSnapshot) -> str:
    """A run's counts per outcome, every one shown (zeros too: the line never changes
    shape)."""
    return _tr(
        "Cancelled {ok} · Not cancelled {no} · Outcome unknown {unknown} · Not sent {unsent}"
    ).format(
        ok=f"{p.succeeded:,}",
        no=f"{p.not_cancelled:,}",
        unknown=f"{p.unknown:,}",
        unsent=f"{p.not_sent:,}",
    )


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return _tr("less than a second left")
    if seconds < 90:
        return _tr("about {n} s left").format(n=round(seconds))
    if seconds < 90 * 60:
        return _tr("about {n} min left").format(n=round(seconds / 60))
    hours, minutes = divmod(round(seconds / 60), 60)
    return _tr("about {h} h {m} min left").format(h=hours, m=minutes)


class _Icons:
    def __init__(self) -> None:
        self._cache: dict[tuple[theme.StatusLook, bool], QIcon] = {}

    def of(self, look: theme.StatusLook | None) -> QIcon | None:
        if look is None:
            return None
        key = (look, theme.is_dark())
        icon = self._cache.get(key)
        if icon is None:
            icon = self._cache[key] = theme.look_icon(look)
        return icon


def item_columns(planning: Callable[[], bool] = lambda: False) -> list[Column]:
    """The items table; ``planning`` says whether the view shows a dry run (nothing sent)."""
    icons = _Icons()

    def outcome_label(item: BulkItem) -> str:
        look = outcome_look(item)
        return look.label if look is not None else "—"

    return [
        Column(_tr("Line"), lambda i: str(i.line_no or ""), key=lambda i: i.line_no, chars=5),
        Column(
            _tr("Transaction ID"),
            lambda i: i.transaction_id or "—",
            tooltip=lambda i: i.transaction_id or (i.line or ""),
            mono=True,
            chars=35,
        ),
        Column(
            _tr("Dry run"),
            lambda i: class_look(i.klass).label,
            key=lambda i: CLASSES.index(i.klass) if i.klass in CLASSES else 99,
            icon=lambda i: icons.of(class_look(i.klass)),
            tooltip=lambda i: class_meaning(i.klass) + (f" ({i.status})" if i.status else ""),
            chars=14,
        ),
        Column(
            _tr("Amount"),
            amount_text,
            key=lambda i: (i.currency or "", Decimal(i.amount)) if i.amount else None,
            right=True,
            chars=11,
        ),
        Column(
            _tr("Outcome"),
            outcome_label,
            icon=lambda i: icons.of(outcome_look(i)),
            chars=14,
        ),
        Column(_tr("Status after"), lambda i: i.status_after or "", chars=9),
        Column(_tr("RequestId"), lambda i: i.request_id or "", mono=True, chars=38),
        Column(_tr("Message"), lambda i: plain_message(i, planning()), chars=30),
    ]


PLAN_HIDDEN = (4, 5, 6)  # Outcome, Status after, RequestId: nothing to show before the run
RUN_HIDDEN = (2,)  # Dry run: the outcome and the message say it from then on


def write_items_csv(path: Path, items: Sequence[BulkItem]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for i in items:
            writer.writerow(
                [
                    i.line_no or "",
                    i.transaction_id or "",
                    i.klass,
                    i.status or "",
                    i.amount or "",
                    i.currency or "",
                    i.outcome or ("" if i.state == SKIPPED else i.state),
                    i.status_after or "",
                    i.request_id or "",
                    plain_message(i),
                ]
            )
