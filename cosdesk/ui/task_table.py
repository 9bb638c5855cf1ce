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

Rows kept: when the model lays its rows out anew (a tab chosen, a column sorted,
many rows changed at once), the selected rows and the current one stay selected
and current wherever they went. And the model learns which rows are on screen,
so it repaints only those when rows change.
"""

from __future__ import annotations

import time
from array import array

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

from cosdesk.ui.row_keys import home_or_end_row
from cosdesk.ui.task_filter import TaskFilterProxy

# An add whose first rows have not arrived after this long no longer moves the
# view (the rows that arrive later are not what the user is waiting to see).
REVEAL_WINDOW_S = 15.0

_ROW_KEYS = (Qt.Key.Key_Home, Qt.Key.Key_End)
# Rows kept selected across a new layout at most (a larger selection is dropped,
# unless it is every row).
KEPT_SELECTION = 50_000
# Rows beyond the screen's edges repainted on a change, so a scroll shows them current.
WATCH_MARGIN = 10


class TaskTable(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabKeyNavigation(False)
        self._reveal_until = 0.0
        self._watched: QAbstractItemModel | None = None
        # Only the user's own scrolling triggers actions (not setValue from code).
        self.verticalScrollBar().actionTriggered.connect(self._on_user_scrolled)
        self._kept: tuple[array[int], bool, tuple[int, int] | None] | None = None
        self._watch_timer = QTimer(self)
        self._watch_timer.setSingleShot(True)
        self._watch_timer.setInterval(0)
        self._watch_timer.timeout.connect(self._tell_watched_rows)
        self.verticalScrollBar().valueChanged.connect(self._watch_soon)

    # --- bringing added rows into view ------------------------------------------

    def reveal_rows_added_next(self) -> None:
        """The user is adding files: show the first rows that arrive for them."""
        self._reveal_until = time.monotonic() + REVEAL_WINDOW_S

    def setModel(self, model: QAbstractItemModel | None) -> None:
        if self._watched is not None:
            self._watched.rowsInserted.disconnect(self._on_rows_inserted)
            self._watched.modelAboutToBeReset.disconnect(self._keep_selection)
            self._watched.modelReset.disconnect(self._restore_selection)
        super().setModel(model)
        self._watched = model
        if model is not None:
            model.rowsInserted.connect(self._on_rows_inserted)
            # After the view's own handlers, which clear the selection on a reset.
            model.modelAboutToBeReset.connect(self._keep_selection)
            model.modelReset.connect(self._restore_selection)
            for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.layoutChanged):
                signal.connect(self._watch_soon)
        self._watch_soon()

    # --- the rows on screen, and the selection across a new layout ------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._watch_soon()

    def _watch_soon(self, *_signal_arguments: object) -> None:
        # Not ``connect(timer.start)``: valueChanged(int) would call start(msec)
        # with the scroll position, and the rows on screen at row 98,000 were
        # told 98 s late (their changes not repainted meanwhile).
        self._watch_timer.start()

    @Slot()
    def _tell_watched_rows(self) -> None:
        model = self.model()
        if not isinstance(model, TaskFilterProxy):
            return
        first = self.rowAt(0)
        last = self.rowAt(self.viewport().height() - 1)
        if first < 0:
            first = 0
        if last < 0:
            last = model.rowCount() - 1
        model.watch_rows(first - WATCH_MARGIN, last + WATCH_MARGIN)

    @Slot()
    def _keep_selection(self) -> None:
        model = self.model()
        if not isinstance(model, TaskFilterProxy):
            return
        selection = self.selectionModel().selection()
        spans = {(selection.at(n).top(), selection.at(n).bottom()) for n in range(selection.size())}
        everything = model.rowCount() > 0 and spans == {(0, model.rowCount() - 1)}
        few = sum(last - first + 1 for first, last in spans) <= KEPT_SELECTION
        slots = model.slots_in(selection) if few and not everything else array("i")
        current = self.currentIndex()
        kept_current = (model.slot_at(current.row()), current.column()) if current.isValid() else None
        self._kept = (slots, everything, kept_current)

    @Slot()
    def _restore_selection(self) -> None:
        model = self.model()
        kept, self._kept = self._kept, None
        if kept is None or not isinstance(model, TaskFilterProxy) or not model.rowCount():
            return
        slots, everything, current = kept
        selection_model = self.selectionModel()
        last_column = model.columnCount() - 1
        selection = QItemSelection()
        if everything:
            selection.select(model.index(0, 0), model.index(model.rowCount() - 1, last_column))
        else:
            rows = sorted(row for row in map(model.row_of_slot, slots) if row is not None)
            for first, last in _runs(rows):
                selection.select(model.index(first, 0), model.index(last, last_column))
        if selection.size():
            selection_model.select(selection, QItemSelectionModel.SelectionFlag.Select)
        if current is not None:
            row = model.row_of_slot(current[0])
            if row is not None:
                selection_model.setCurrentIndex(
                    model.index(row, current[1]), QItemSelectionModel.SelectionFlag.NoUpdate
                )

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
        index = home_or_end_row(self, cursor_action)
        return index if index is not None else super().moveCursor(cursor_action, modifiers)

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


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers → (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
