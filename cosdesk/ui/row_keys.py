"""Home and End in a table of rows: Qt's table view moves to the first or last
cell of the current row, which a list of files never wants; these go to the
first or last row, keeping the column."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QAbstractItemView, QTableView

_HOME_END = (QAbstractItemView.CursorAction.MoveHome, QAbstractItemView.CursorAction.MoveEnd)


def home_or_end_row(view: QTableView, cursor_action: QAbstractItemView.CursorAction) -> QModelIndex | None:
    """Where Home or End goes in ``view`` (None: another key, or no rows)."""
    model = view.model()
    if cursor_action not in _HOME_END or model is None or model.rowCount() == 0:
        return None
    row = 0 if cursor_action is QAbstractItemView.CursorAction.MoveHome else model.rowCount() - 1
    column = view.currentIndex().column()
    if column < 0 or view.isColumnHidden(column):
        column = view.horizontalHeader().logicalIndex(0)
    return model.index(row, column)
