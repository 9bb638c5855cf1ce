"""The "Watched folders" window (File menu, and the status bar's watch count):
each watched folder with where its files go, how its watch goes (watching,
paused, folder missing) and how many files it uploaded; pause, resume and stop
watching each. Their uploads are ordinary rows of the main window's table.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cosdesk.engine.folder_watch import FolderWatch, WatchState
from cosdesk.engine.watched_folders import WatchedFolders
from cosdesk.ui.formatting import format_number
from cosdesk.ui.icons import set_icon

FOLDER, DESTINATION, STATE, UPLOADED = range(4)


def state_text(watch: FolderWatch) -> str:
    """How the watch goes, as the list says it."""
    if watch.state is WatchState.WATCHING:
        return QCoreApplication.translate("WatchedFolders", "Watching")
    if watch.state is WatchState.PAUSED:
        return QCoreApplication.translate("WatchedFolders", "Paused")
    if watch.state is WatchState.MISSING:
        return QCoreApplication.translate("WatchedFolders", "Folder missing")
    return QCoreApplication.translate("WatchedFolders", "Cannot watch: %1").replace("%1", watch.problem)


class WatchedFoldersDialog(QDialog):
    """The list of ``watches``, kept up to date while it is open."""

    # "Watch a folder…" was clicked: the window asks which folder.
    watch_requested = Signal()

    def __init__(self, watches: WatchedFolders, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Watched folders"))
        self._watches = watches
        self.empty = QLabel(
            self.tr("No folder is watched. Watch one and its new and changed files are uploaded."), self
        )
        self.empty.setWordWrap(True)
        self.list = QTreeWidget(self)
        self.list.setAccessibleName(self.tr("Watched folders"))
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setHeaderLabels(
            [self.tr("Folder"), self.tr("Uploads to"), self.tr("State"), self.tr("Uploaded")]
        )
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(FOLDER, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(DESTINATION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(UPLOADED, QHeaderView.ResizeMode.ResizeToContents)
        self.list.itemSelectionChanged.connect(self._update_buttons)

        self.add_button = QPushButton(self.tr("Watch a folder…"), self)
        set_icon(self.add_button, "add-folder")
        self.add_button.clicked.connect(self.watch_requested)
        self.pause_button = QPushButton(self.tr("Pause"), self)
        set_icon(self.pause_button, "pause")
        self.pause_button.clicked.connect(self.pause_selected)
        self.resume_button = QPushButton(self.tr("Resume"), self)
        set_icon(self.resume_button, "start")
        self.resume_button.clicked.connect(self.resume_selected)
        self.stop_button = QPushButton(self.tr("Stop watching"), self)
        set_icon(self.stop_button, "cancel")
        self.stop_button.setToolTip(self.tr("Forget this folder; what it uploaded stays in the bucket"))
        self.stop_button.clicked.connect(self.stop_selected)
        close = QPushButton(self.tr("Close"), self)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.pause_button, self.resume_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.resize(820, 320)
        watches.changed.connect(self.refresh)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Show the watches as they are now, keeping the selection."""
        selected = self.selected_id()
        watches = self._watches.watches()
        self.list.clear()
        for watch in watches:
            record = watch.record
            target = record.target
            destination = f"cos://{target.describe()}"
            item = QTreeWidgetItem(
                [record.folder, destination, state_text(watch), format_number(record.uploaded)]
            )
            item.setData(FOLDER, Qt.ItemDataRole.UserRole, record.watch_id)
            item.setToolTip(FOLDER, record.folder)
            account = target.account or self.tr("Local sandbox")
            item.setToolTip(DESTINATION, f"{account}: {destination}")
            item.setTextAlignment(UPLOADED, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.list.addTopLevelItem(item)
            if record.watch_id == selected or (selected is None and len(watches) == 1):
                item.setSelected(True)
                self.list.setCurrentItem(item)
        self.empty.setVisible(not watches)
        self._update_buttons()

    def selected_id(self) -> str | None:
        items = self.list.selectedItems()
        return str(items[0].data(FOLDER, Qt.ItemDataRole.UserRole)) if items else None

    def _selected(self) -> FolderWatch | None:
        watch_id = self.selected_id()
        return self._watches.get(watch_id) if watch_id is not None else None

    @Slot()
    def _update_buttons(self) -> None:
        watch = self._selected()
        paused = watch is not None and watch.record.paused
        self.pause_button.setEnabled(watch is not None and not paused)
        self.resume_button.setEnabled(paused)
        self.stop_button.setEnabled(watch is not None)

    @Slot()
    def pause_selected(self) -> None:
        if (watch_id := self.selected_id()) is not None:
            self._watches.pause(watch_id)

    @Slot()
    def resume_selected(self) -> None:
        if (watch_id := self.selected_id()) is not None:
            self._watches.resume(watch_id)

    @Slot()
    def stop_selected(self) -> None:
        if (watch_id := self.selected_id()) is not None:
            self._watches.remove(watch_id)


class WatchIndicator(QPushButton):
    """The status bar's "2 watched folders" (hidden while none is watched); a
    click opens the list. Says when one is paused or cannot be watched."""

    def __init__(self, watches: WatchedFolders, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFlat(True)
        set_icon(self, "folder-open")
        self._watches = watches
        watches.changed.connect(self.refresh)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        watches = self._watches.watches()
        self.setVisible(bool(watches))
        text = self.tr("%n watched folder(s)", None, len(watches))
        troubled = [w for w in watches if w.state in (WatchState.MISSING, WatchState.FAILED)]
        paused = [w for w in watches if w.state is WatchState.PAUSED]
        if troubled:
            text = (
                self.tr("%1, %2 not watched")
                .replace("%2", format_number(len(troubled)), 1)
                .replace("%1", text)
            )
        elif paused:
            text = self.tr("%1, %2 paused").replace("%2", format_number(len(paused)), 1).replace("%1", text)
        self.setText(text)
        self.setToolTip(self.tr("Show the watched folders"))
