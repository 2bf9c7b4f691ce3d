"""A table model over a Python list of frozen rows, sortable, cheap for tens of thousands.

The Search and Bulk cancel tables hold up to 100,000 rows that arrive in batches while a job
runs. A QTableWidget makes an item per cell up front; this model computes a cell only when the
view paints it, sorts with Python's sort on a precomputed key (a permutation, so selections
and the current row follow their rows), and appends or replaces rows in batches.

A painted cell's text, icon, font and alignment are kept until its row changes: every repaint
of the same rows (a hover, a progress update, a page shown again) then costs Qt's painting
only, and a view about to show new rows can have them computed a frame before they are
painted (``prepare_visible``), so no one frame does both.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont, QGuiApplication, QIcon

from fpsdesk.ui import theme

ModelIndex = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FONT = Qt.ItemDataRole.FontRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_ROLES = frozenset({_DISPLAY, _DECORATION, _TOOLTIP, _FONT, _ALIGN, _ACCESSIBLE})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
# A computed cell: its (text, icon, font, alignment); _CELL_AT says where each role's value is.
_CELL_AT = {_DISPLAY: 0, _ACCESSIBLE: 0, _DECORATION: 1, _FONT: 2, _ALIGN: 3}
# Rows whose cells are kept at most (many screens' worth); past that the memo starts again.
MEMO_ROWS = 1024
# multiData needs a role span Python can walk (PySide6 6.11 has it; without it, data() serves).
_MULTI_DATA = all(hasattr(QModelRoleDataSpan, name) for name in ("__getitem__", "__len__"))


@dataclass(frozen=True)
class Column:
    """How one column shows a row: its text, the key it sorts by, an optional icon."""

    title: str
    text: Callable[[Any], str]
    key: Callable[[Any], Any] | None = None  # default: the text
    icon: Callable[[Any], QIcon | None] | None = None
    tooltip: Callable[[Any], str] | None = None
    mono: bool = False
    right: bool = False
    chars: int = 12  # initial width, in average characters


def _sort_key(value: Any) -> tuple[bool, Any]:
    """Empty values sort after everything (before, in descending order), never compared with
    the others."""
    if value is None or value == "":
        return (True, 0)
    return (False, value)


class RowModel(QAbstractTableModel):
    """Rows are any objects; ``identity(row)`` names a row across replacements."""

    def __init__(
        self,
        columns: Sequence[Column],
        identity: Callable[[Any], Hashable],
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._identity = identity
        self._rows: list[Any] = []
        self._where: dict[Hashable, int] = {}
        self._sort_column = -1
        self._order = Qt.SortOrder.AscendingOrder
        self._mono = theme.mono_font()
        self._mono.setStyleHint(QFont.StyleHint.Monospace)
        self._cells: dict[int, list[Any]] = {}  # row -> its cells by column (None: not yet)
        # The icons follow light or dark: computed again after a switch.
        QGuiApplication.styleHints().colorSchemeChanged.connect(self.forget_cells)

    # -- reading -----------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def rows(self) -> list[Any]:
        return list(self._rows)

    def data_font(self) -> QFont:
        return self._mono

    def row(self, index: int) -> Any:
        return self._rows[index]

    def position(self, key: Hashable) -> int | None:
        return self._where.get(key)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
            if role == Qt.ItemDataRole.TextAlignmentRole and self.columns[section].right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every role of every painted cell: unhandled roles leave at once.
        if role not in _ROLES or not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= col < len(self.columns)):
            return None
        return self._value(self.columns[col], self._rows[row], role)

    def _value(self, column: Column, item: Any, role: int) -> Any:
        if role in (_DISPLAY, _ACCESSIBLE):
            return column.text(item)
        if role == _DECORATION:
            return column.icon(item) if column.icon is not None else None
        if role == _FONT:
            return self._mono if column.mono else None
        if role == _ALIGN:
            return _RIGHT if column.right else None
        if role == _TOOLTIP:
            return column.tooltip(item) if column.tooltip is not None else column.text(item)
        return None

    def _cell(self, row: int, col: int) -> tuple[Any, Any, Any, Any]:
        """The painted roles of a cell, computed once until its row changes."""
        cells = self._cells.get(row)
        if cells is None:
            if len(self._cells) >= MEMO_ROWS:
                self._cells.clear()
            cells = self._cells[row] = [None] * len(self.columns)
        cell = cells[col]
        if cell is None:
            column, item = self.columns[col], self._rows[row]
            cell = cells[col] = (
                column.text(item),
                column.icon(item) if column.icon is not None else None,
                self._mono if column.mono else None,
                _RIGHT if column.right else None,
            )
        return cell

    def prepare(self, rows: range, columns: Iterable[int]) -> None:
        """Compute these cells now, so that painting them next costs Qt's work only."""
        wanted = [c for c in columns if 0 <= c < len(self.columns)]
        for row in rows:
            if 0 <= row < len(self._rows):
                for col in wanted:
                    self._cell(row, col)

    def forget_cells(self) -> None:
        """Something the cells depend on besides their row changed (light or dark, a view's
        mode): compute them again when next painted."""
        self._cells.clear()

    if _MULTI_DATA:

        def multiData(self, index: ModelIndex, roleDataSpan: Any) -> None:
            """Every role of a cell in one call (the delegate asks seven per painted cell):
            one trip into Python per cell instead of seven, so painting a screenful of rows
            while job threads run waits far less for the interpreter lock; and the cell's
            values come from the memo once computed."""
            row, col = index.row(), index.column()
            if not (
                index.isValid() and 0 <= row < len(self._rows) and 0 <= col < len(self.columns)
            ):
                for n in range(len(roleDataSpan)):
                    roleDataSpan[n].clearData()
                return
            cell = self._cell(row, col)
            for n in range(len(roleDataSpan)):
                slot = roleDataSpan[n]
                role = slot.role()
                at = _CELL_AT.get(role)
                if at is not None:
                    value = cell[at]
                else:
                    value = self._value(self.columns[col], self._rows[row], role)
                if value is None:
                    slot.clearData()
                else:
                    slot.setData(value)

    # -- changing ----------------------------------------------------------------------

    def set_rows(self, rows: Iterable[Any]) -> None:
        self.beginResetModel()
        self._cells.clear()
        self._rows = list(rows)
        if self._sort_column >= 0:
            self._rows.sort(key=self._key_of, reverse=self._descending())
        self._reindex()
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def append(self, rows: Sequence[Any]) -> None:
        """New rows at the end, then (if the view is sorted) where the sort puts them."""
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        for offset, item in enumerate(rows):
            self._where[self._identity(item)] = first + offset
        self.endInsertRows()
        if self._sort_column >= 0:
            self._resort()

    def replace(self, rows: Iterable[Any]) -> None:
        """Rows already shown, changed (matched by identity); unknown ones are ignored."""
        low, high = len(self._rows), -1
        for item in rows:
            where = self._where.get(self._identity(item))
            if where is None:
                continue
            self._rows[where] = item
            self._cells.pop(where, None)
            low, high = min(low, where), max(high, where)
        if high >= 0:
            self.dataChanged.emit(self.index(low, 0), self.index(high, len(self.columns) - 1), [])

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = column
        self._order = order
        self._resort()

    # -- internals ---------------------------------------------------------------------

    def _descending(self) -> bool:
        return self._order == Qt.SortOrder.DescendingOrder

    def _key_of(self, item: Any) -> tuple[bool, Any]:
        column = self.columns[self._sort_column]
        return _sort_key(column.key(item) if column.key is not None else column.text(item))

    def _reindex(self) -> None:
        self._where = {self._identity(item): n for n, item in enumerate(self._rows)}

    def _resort(self) -> None:
        if not (0 <= self._sort_column < len(self.columns)) or len(self._rows) < 2:
            return
        self.layoutAboutToBeChanged.emit()
        self._cells.clear()
        keys = [self._key_of(item) for item in self._rows]
        order = sorted(range(len(self._rows)), key=keys.__getitem__, reverse=self._descending())
        new_position = [0] * len(order)
        for new, old in enumerate(order):
            new_position[old] = new
        self._rows = [self._rows[old] for old in order]
        self._reindex()
        persistent = self.persistentIndexList()
        if persistent:
            moved = [
                self.index(new_position[index.row()], index.column())
                if 0 <= index.row() < len(new_position)
                else QModelIndex()
                for index in persistent
            ]
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()


def make_view(model: RowModel, *, sort_column: int = -1, descending: bool = False) -> Any:
    """A read-only, row-selecting, sortable QTableView sized by the columns' ``chars``; no
    column is sized to its contents (that would read every row)."""
    from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

    view = QTableView()
    view.setModel(model)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)
    view.verticalHeader().setVisible(False)
    rows = view.verticalHeader()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(int(view.fontMetrics().height() * 1.6))
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setSortIndicator(
        sort_column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
    )
    view.setSortingEnabled(True)
    size_columns(view, model)
    return view


def prepare_visible(view: Any) -> None:
    """Compute the cells ``view`` shows now (the rows and columns in its viewport), so that
    its next paint does not also run the model's Python for each of them."""
    model = view.model()
    viewport = view.viewport()
    if not isinstance(model, RowModel) or model.rowCount() == 0:
        return
    top = max(0, view.rowAt(0))
    bottom = view.rowAt(viewport.height() - 1)
    if bottom < 0:
        bottom = model.rowCount() - 1
    left = max(0, view.columnAt(0))
    right = view.columnAt(viewport.width() - 1)
    if right < 0:
        right = model.columnCount() - 1
    columns = [c for c in range(left, right + 1) if not view.isColumnHidden(c)]
    model.prepare(range(top, bottom + 1), columns)


def size_columns(view: Any, model: RowModel) -> None:
    """Column widths from the columns' ``chars`` in the view's font (monospace for IDs)."""
    from PySide6.QtGui import QFontMetrics

    plain = view.fontMetrics()
    # The monospace font takes the view's size when painted (it sets only its family).
    mono = QFontMetrics(model.data_font().resolve(view.font()))
    header = view.horizontalHeader()
    for n, column in enumerate(model.columns):
        metrics = mono if column.mono else plain
        width = metrics.horizontalAdvance("0" * column.chars) + 24
        if column.icon is not None:
            width += 22
        header.resizeSection(n, width)
