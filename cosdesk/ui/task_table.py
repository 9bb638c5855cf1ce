"""The task table's view: a list of rows for the keyboard as for the mouse, and
the rows a user has just added brought into sight.

Keyboard: a row is the unit. Home/End (with or without Ctrl) go to the first or
last row and select it whole, keeping the column, where QTableView would go to
the first or last cell and, with Ctrl, only move the focus to one cell. Tab
leaves the table for the next control instead of walking its cells.

Adding: when the user adds files, the first new rows are scrolled into view once
(unless they are on screen already). Only once per add: a folder of thousands of
files arrives in many batches, and the view must not pull the user back while
they read other rows; nor when the user scrolls before the first rows arrive.
Rows restored at start or changed by uploads never move the view.
"""

from __future__ import annotations

import time

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

# An add whose first rows have not arrived after this long no longer moves the
# view (the rows that arrive later are not what the user is waiting to see).
REVEAL_WINDOW_S = 15.0

_ROW_KEYS = (Qt.Key.Key_Home, Qt.Key.Key_End)


class TaskTable(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabKeyNavigation(False)
        self._reveal_until = 0.0
        self._watched: QAbstractItemModel | None = None
        # Only the user's own scrolling triggers actions (not setValue from code).
        self.verticalScrollBar().actionTriggered.connect(self._on_user_scrolled)

    # --- bringing added rows into view ------------------------------------------

    def reveal_rows_added_next(self) -> None:
        """The user is adding files: show the first rows that arrive for them."""
        self._reveal_until = time.monotonic() + REVEAL_WINDOW_S

    def setModel(self, model: QAbstractItemModel | None) -> None:
        if self._watched is not None:
            self._watched.rowsInserted.disconnect(self._on_rows_inserted)
        super().setModel(model)
        self._watched = model
        if model is not None:
            model.rowsInserted.connect(self._on_rows_inserted)

    @Slot(QModelIndex, int, int)
    def _on_rows_inserted(self, _parent: QModelIndex, first: int, _last: int) -> None:
        if time.monotonic() > self._reveal_until:
            return
        self._reveal_until = 0.0
        model = self.model()
        column = max(self.currentIndex().column(), 0)
        index = model.index(first, column)
        # After the view has laid the new rows out (its scroll range grows later).
        QTimer.singleShot(0, self, lambda: self._scroll_into_view(index))

    def _scroll_into_view(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        if not self.viewport().rect().contains(self.visualRect(index)):
            self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)

    @Slot(int)
    def _on_user_scrolled(self, _action: int) -> None:
        self._reveal_until = 0.0

    # --- rows, not cells, for the keyboard ----------------------------------------

    def moveCursor(
        self, cursor_action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        home = QAbstractItemView.CursorAction.MoveHome
        end = QAbstractItemView.CursorAction.MoveEnd
        model = self.model()
        if cursor_action in (home, end) and model is not None and model.rowCount() > 0:
            row = 0 if cursor_action == home else model.rowCount() - 1
            column = self.currentIndex().column()
            if column < 0 or self.isColumnHidden(column):
                column = self.horizontalHeader().logicalIndex(0)
            return model.index(row, column)
        return super().moveCursor(cursor_action, modifiers)

    def selectionCommand(
        self, index: QModelIndex | QPersistentModelIndex, event: QEvent | None = None
    ) -> QItemSelectionModel.SelectionFlag:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in _ROW_KEYS
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            # Ctrl+Home/End select like Home/End: Ctrl with an arrow (moving the
            # focus without selecting, to pick rows one by one) keeps Qt's meaning.
            plain = QKeyEvent(
                event.type(),
                event.key(),
                event.modifiers() & ~Qt.KeyboardModifier.ControlModifier,
                event.text(),
                event.isAutoRepeat(),
                event.count(),
            )
            return super().selectionCommand(index, plain)
        return super().selectionCommand(index, event)
