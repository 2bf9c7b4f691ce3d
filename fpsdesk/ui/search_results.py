"""The Search view's matches: the table's columns and the CSV they export to.

Rows are ``Found`` values (fpsdesk/desk/search.py) in a ``RowModel`` (row_model.py); the CSV
has the same rows as ``fpsdesk search --csv`` (``search_rows``).
"""

from __future__ import annotations

import csv
import functools
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QIcon

from fpsdesk.ui import theme
from fpsdesk.ui.row_model import Column
from fpsdesk.ui.widgets import format_time

if TYPE_CHECKING:
    from fpsdesk.desk.search import Found

CENT = Decimal("0.01")
CSV_COLUMNS = [
    "transaction_id",
    "date_received",
    "status",
    "operation",
    "payment_method",
    "amount",
    "currency",
    "caller_reference",
    "description",
    "sender_name",
    "sender_email",
    "recipient_name",
]


def _amount_text(found: Found) -> str:
    return f"{found.currency} {found.amount.quantize(CENT)}"


def _sender(found: Found) -> str:
    if found.sender_name and found.sender_email:
        return f"{found.sender_name} <{found.sender_email}>"
    return found.sender_name or found.sender_email or ""


@functools.cache
def status_look(status: str) -> theme.StatusLook:
    """theme.status_look, once per status (the table asks for every painted cell)."""
    return theme.status_look(status)


class _Icons:
    """Status icons, painted once per status and palette."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, bool], QIcon] = {}

    def status(self, status: str) -> QIcon:
        key = (status, theme.is_dark())
        icon = self._cache.get(key)
        if icon is None:
            icon = self._cache[key] = theme.look_icon(status_look(status))
        return icon


def found_columns(tr: Any) -> list[Column]:
    icons = _Icons()
    return [
        Column(
            tr("Date received"),
            lambda f: format_time(f.date_received),
            key=lambda f: f.date_received,
            chars=22,
        ),
        Column(tr("Transaction ID"), lambda f: f.transaction_id, mono=True, chars=35),
        Column(
            tr("Status"),
            lambda f: status_look(f.status).label,
            icon=lambda f: icons.status(f.status),
            tooltip=lambda f: status_look(f.status).meaning,
            chars=9,
        ),
        Column(
            tr("Amount"),
            _amount_text,
            key=lambda f: (f.currency, f.amount),
            right=True,
            chars=11,
        ),
        Column(tr("Order number"), lambda f: f.caller_reference or "", chars=12),
        Column(tr("Sender"), _sender, chars=24),
        Column(tr("Description"), lambda f: f.description or "", chars=24),
        Column(tr("Operation"), lambda f: f.operation, chars=8),
    ]


def write_csv(path: Path, matches: list[Found]) -> int:
    """``matches`` as CSV, one row each; how many were written."""
    from fpsdesk.desk.search import SearchResult, search_rows

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in search_rows(SearchResult(matches=matches)):
            writer.writerow(row)
    return len(matches)
