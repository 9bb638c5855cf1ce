"""The remote pane's table: rows of one folder, and files dropped on it.

A drop on a folder's row goes into that folder; anywhere else, into the folder
shown. The view only says where (``files_dropped``): the pane uploads.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from cosdesk.ui.remote_model import RemoteColumn, RemoteObjectsModel
from cosdesk.ui.row_keys import home_or_end_row

# The name takes what the other columns leave (they are never measured: 200,000 rows).
COLUMN_WIDTHS = {RemoteColumn.SIZE: 75, RemoteColumn.MODIFIED: 140, RemoteColumn.STORAGE_CLASS: 100}


class RemoteTable(QTableView):
    # Local files were dropped: (paths, the prefix they go under).
    files_dropped = Signal(list, str)
    # A drag with files hovers over the prefix it would go to (str), or left (None).
    drop_target_changed = Signal(object)

    def __init__(self, model: RemoteObjectsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.setModel(model)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        vertical = self.verticalHeader()
        vertical.hide()
        # Fixed row heights: the view never measures 200,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        header.setMinimumSectionSize(60)
        header.setSectionResizeMode(RemoteColumn.NAME, QHeaderView.ResizeMode.Stretch)
        for column, width in COLUMN_WIDTHS.items():
            header.resizeSection(column, width)

    def moveCursor(
        self, cursor_action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        # Home and End go to the first and last row listed (End fetches the next page).
        index = home_or_end_row(self, cursor_action)
        return index if index is not None else super().moveCursor(cursor_action, modifiers)

    def selected_rows(self) -> list[int]:
        return sorted(index.row() for index in self.selectionModel().selectedRows())

    def drop_prefix_at(self, position: QPoint) -> str | None:
        """The prefix a drop at ``position`` goes under; None when nothing is shown."""
        location = self._model.location
        if location is None:
            return None
        index = self.indexAt(position)
        if index.isValid():
            entry = self._model.entry(index.row())
            if entry.is_folder:
                return entry.key
        return location.prefix

    @staticmethod
    def _local_files(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
        return [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_files(event) and self._model.location is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        prefix = self.drop_prefix_at(event.position().toPoint())
        if prefix is None or not self._local_files(event):
            event.ignore()
            return
        event.acceptProposedAction()
        self.drop_target_changed.emit(prefix)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_target_changed.emit(None)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_target_changed.emit(None)
        paths = self._local_files(event)
        prefix = self.drop_prefix_at(event.position().toPoint())
        if not paths or prefix is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(paths, prefix)
