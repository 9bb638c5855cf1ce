"""Item delegates of the task table.

The progress column has none of its own: its bars are pixmaps in the model (see
``progress_bars.py``), so painting it runs no Python.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem


class ElideRightDelegate(QStyledItemDelegate):
    """Cuts long text at its end (error messages read from the start), where the
    table's default elides in the middle (keys differ at both ends)."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight
