"""The remote pane beside the queue: the destination's bucket, a folder at a time.

Folders open with a double-click (or Enter); the path above the table and Up
go back. Files dropped on a folder, or on the pane, are uploaded there through
the window's usual intake (``upload_requested``). The commands of the context
menu (new folder, delete, details, copy key, URL or pre-signed URL) each run
their requests on the window's pool and report here; deleting asks first,
naming how many objects go (see ``engine/remote_delete.py``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial
from typing import cast

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSignalBlocker,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cosdesk.cos.errors import AccessDenied, NoSuchBucket
from cosdesk.cos.results import HeadObjectResult, ListObjectsResult
from cosdesk.engine.client_router import ClientRouter
from cosdesk.engine.clients import endpoint_from_spec
from cosdesk.engine.remote_delete import DeleteOutcome, delete_keys, keys_to_delete
from cosdesk.engine.task import UNANSWERED_AFTER_S
from cosdesk.ui.actions import PRESIGN_VALIDITIES_S, new_action
from cosdesk.ui.background import run_in_background
from cosdesk.ui.formatting import format_number, unanswered_note
from cosdesk.ui.icons import icon, set_icon
from cosdesk.ui.message_boxes import message_box
from cosdesk.ui.new_folder_dialog import NewFolderDialog, folder_key
from cosdesk.ui.object_details import ObjectDetailsDialog
from cosdesk.ui.remote_model import PAGE_SIZE, RemoteEntry, RemoteLocation, RemoteObjectsModel
from cosdesk.ui.remote_table import RemoteTable

log = logging.getLogger(__name__)

# Uploads that land in the folder shown refresh it once they pause this long, and
# at the latest this long after the first of them: a steady stream of small files
# never pauses, and the pane said "No files here" while thousands landed.
REFRESH_AFTER_UPLOADS_MS = 700
REFRESH_WHILE_UPLOADING_MS = 5000
# Folder names shown in the path above the table before it elides the middle.
PATH_BUTTONS = 6


def short_error(error: object) -> str:
    """An error as one line for the pane (COS's code, status and message; the
    request id stays in the log)."""
    return str(error).split(" [", 1)[0].splitlines()[0] if str(error) else type(error).__name__


@dataclass(frozen=True)
class _Place:
    """Where the person was in a folder's listing: the key of the top row on
    screen, and the keys selected and current. Kept across a refresh."""

    top_key: str
    selected: tuple[str, ...]
    current: str | None


@dataclass(frozen=True)
class _Deletion:
    location: RemoteLocation
    keys: tuple[str, ...]


class RemotePane(QWidget):
    """The bucket of the destination, browsed (see the module's docstring)."""

    # Files dropped on the pane: (paths, the prefix they go under).
    upload_requested = Signal(list, str)
    # A line for the window's status bar.
    message = Signal(str)

    def __init__(self, router: ClientRouter, pool: QThreadPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._router = router
        self._pool = pool
        self.model = RemoteObjectsModel(self._list_page, pool, self)
        self.details_dialogs: list[ObjectDetailsDialog] = []
        self.delete_box: QMessageBox | None = None
        self._build_actions()
        self._build_ui()
        self.model.loading_changed.connect(self._show_state)
        # While a page is listed, the status counts a silent server's time (_show_state).
        self._loading_timer = QTimer(self)
        self._loading_timer.setInterval(1000)
        self._loading_timer.timeout.connect(self._show_state)
        self.model.loading_changed.connect(
            lambda loading: self._loading_timer.start() if loading else self._loading_timer.stop()
        )
        self.model.page_loaded.connect(self._show_state)
        self.model.page_loaded.connect(self._return_to_place)
        self.model.failed.connect(self._on_failed)
        self.model.modelReset.connect(self._show_state)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_AFTER_UPLOADS_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._refresh_at_latest = QTimer(self)
        self._refresh_at_latest.setSingleShot(True)
        self._refresh_at_latest.setInterval(REFRESH_WHILE_UPLOADING_MS)
        self._refresh_at_latest.timeout.connect(self.refresh)
        self._problem = ""
        self._place: _Place | None = None  # to return to once listed again
        self._show_state()

    # --- construction ---------------------------------------------------------------

    def _build_actions(self) -> None:
        self.open_action = new_action(self, "", self.tr("Open"), self.open_current)
        self.up_action = new_action(self, "folder-up", self.tr("Up"), self.go_up)
        self.up_action.setToolTip(self.tr("The folder above (Backspace)"))
        self.refresh_action = new_action(self, "retry", self.tr("Refresh"), self.refresh)
        self.refresh_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_action.setToolTip(self.tr("List this folder again (F5)"))
        self.new_folder_action = new_action(self, "add-folder", self.tr("New folder"), self.ask_new_folder)
        self.delete_action = new_action(self, "cancel", self.tr("Delete"), self.ask_delete)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.details_action = new_action(self, "details", self.tr("Details"), self.show_details)
        self.copy_key_action = new_action(self, "copy", self.tr("Copy key"), self.copy_keys)
        self.copy_url_action = new_action(self, "link", self.tr("Copy URL"), self.copy_urls)

    def _build_ui(self) -> None:
        self.up_button = QToolButton(self)
        self.up_button.setDefaultAction(self.up_action)
        self.up_button.setAutoRaise(True)
        self.path_bar = QWidget(self)
        self._path_layout = QHBoxLayout(self.path_bar)
        self._path_layout.setContentsMargins(0, 0, 0, 0)
        self._path_layout.setSpacing(0)
        self.refresh_button = QToolButton(self)
        self.refresh_button.setDefaultAction(self.refresh_action)
        self.refresh_button.setAutoRaise(True)
        self.new_folder_button = QToolButton(self)
        self.new_folder_button.setDefaultAction(self.new_folder_action)
        self.new_folder_button.setAutoRaise(True)
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.setSpacing(2)
        top.addWidget(self.up_button)
        top.addWidget(self.path_bar, 1)
        top.addWidget(self.new_folder_button)
        top.addWidget(self.refresh_button)

        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(self.tr("Filter by name (starts with)"))
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName(self.tr("Filter remote files by name"))
        self.filter.textChanged.connect(self._on_filter_changed)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)
        self._filter_timer.timeout.connect(self._apply_filter)

        self.table = RemoteTable(self.model, self)
        self.table.setAccessibleName(self.tr("Remote files"))
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        self.table.files_dropped.connect(self.upload_requested)
        self.table.drop_target_changed.connect(self._on_drop_target)
        for action in (self.delete_action, self.open_action, self.up_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(action)
        self.open_action.setShortcut(QKeySequence(Qt.Key.Key_Return))
        self.up_action.setShortcut(QKeySequence(Qt.Key.Key_Backspace))

        self.status = QLabel(self)
        self.status.setAccessibleName(self.tr("Remote folder status"))
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        filter_row = QHBoxLayout()
        filter_row.setContentsMargins(6, 0, 6, 0)
        filter_row.addWidget(self.filter)
        layout.addLayout(filter_row)
        layout.addWidget(self.table, 1)
        status_row = QHBoxLayout()
        status_row.setContentsMargins(6, 0, 6, 4)
        status_row.addWidget(self.status)
        layout.addLayout(status_row)

    # --- where it looks -------------------------------------------------------------

    @property
    def location(self) -> RemoteLocation | None:
        return self.model.location

    def show_bucket(self, location: RemoteLocation | None) -> None:
        """Show ``location`` when it is another bucket (or account) than the one
        shown; a new prefix of the same bucket leaves the pane where it is."""
        shown = self.model.location
        if location is None:
            if shown is not None:
                self._go(None)
            return
        if shown is None or (shown.endpoint, shown.bucket) != (location.endpoint, location.bucket):
            self._go(location)

    def navigate(self, prefix: str) -> None:
        """Open the folder ``prefix`` ("" for the bucket's root) of the bucket shown."""
        if self.model.location is not None:
            self._go(self.model.location.at(prefix))

    def _go(self, location: RemoteLocation | None) -> None:
        self._problem = ""
        self._place = None
        with QSignalBlocker(self.filter):
            self.filter.clear()
        self.model.show(location)
        self._build_path()
        if self.table.model() is not None:
            self.table.scrollToTop()

    @Slot()
    def refresh(self) -> None:
        """List the folder again and come back to the same place in it: a refresh
        after each upload into the folder shown used to jump the person browsing
        it back to the top, their selection gone."""
        self._problem = ""
        self._refresh_timer.stop()
        self._refresh_at_latest.stop()
        self._place = self._place_now() or self._place
        self.model.refresh()

    def _place_now(self) -> _Place | None:
        top = self.table.rowAt(0)
        if top < 0:
            return None
        model = self.model
        current = self.table.currentIndex()
        return _Place(
            model.entry(top).key,
            tuple(entry.key for entry in self.selected_entries()),
            model.entry(current.row()).key if current.isValid() else None,
        )

    @Slot()
    def _return_to_place(self) -> None:
        """Once the listing reaches the kept place (fetching the pages up to it, as
        the person had scrolled them in): the same top row, selection and current
        row; a key gone meanwhile is left out, a top key gone gives way to the next."""
        place, model = self._place, self.model
        if place is None:
            return
        if not model.listed_past(place.top_key):
            model.fetchMore()
            return
        self._place = None
        rows = model.rowCount()
        if not rows:
            return
        top = min(model.place_of(place.top_key), rows - 1)
        # The view lays out the rows just listed later; its scroll range must
        # cover them now, or the scroll stops short at the old range's end.
        self.table.doItemsLayout()
        self.table.scrollTo(model.index(top, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        selection = QItemSelection()
        for key in place.selected:
            row = model.place_of(key)
            if row < rows and model.entry(row).key == key:
                selection.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
        selecting = self.table.selectionModel()
        selecting.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if place.current is not None:
            row = model.place_of(place.current)
            if row < rows and model.entry(row).key == place.current:
                selecting.setCurrentIndex(model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate)

    @Slot()
    def go_up(self) -> None:
        location = self.model.location
        if location is not None and location.prefix:
            self.navigate(location.parent_prefix)

    @Slot()
    def open_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self._on_double_click(index)

    @Slot(QModelIndex)
    def _on_double_click(self, index: QModelIndex) -> None:
        entry = self.model.entry(index.row())
        if entry.is_folder:
            self.navigate(entry.key)
        else:
            self.show_details()

    def upload_finished(self, bucket: str, key: str) -> None:
        """An upload to ``bucket``/``key`` finished: refresh the folder shown if the
        key is in it (or below it: a new folder may appear), once uploads pause or
        a few seconds after the first one."""
        location = self.model.location
        if location is not None and location.bucket == bucket and key.startswith(location.prefix):
            self._refresh_timer.start()
            if not self._refresh_at_latest.isActive():
                self._refresh_at_latest.start()

    def _list_page(self, location: RemoteLocation, name_filter: str, marker: str | None) -> ListObjectsResult:
        client = self._router(location.endpoint)
        return client.list_objects(
            location.bucket,
            prefix=(location.prefix + name_filter) or None,
            delimiter="/",
            marker=marker,
            max_keys=PAGE_SIZE,
        )

    # --- what it says ---------------------------------------------------------------

    def _build_path(self) -> None:
        """Buttons for the bucket and each folder down to the one shown."""
        while self._path_layout.count():
            item = self._path_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        location = self.model.location
        self.up_action.setEnabled(location is not None and bool(location.prefix))
        if location is None:
            self._path_layout.addStretch(1)
            return
        steps = [(location.bucket, "")]
        prefix = ""
        for name in location.prefix.split("/")[:-1]:
            prefix += name + "/"
            steps.append((name, prefix))
        if len(steps) > PATH_BUTTONS:
            steps = [steps[0], ("…", steps[-PATH_BUTTONS + 1][1]), *steps[-PATH_BUTTONS + 2 :]]
        for number, (name, step_prefix) in enumerate(steps):
            if number:
                self._path_layout.addWidget(QLabel("/", self.path_bar))
            button = QToolButton(self.path_bar)
            button.setText(name)
            button.setAutoRaise(True)
            # Out of the Tab chain: the keyboard goes up with Backspace, into a folder with Enter.
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setToolTip(f"{location.bucket}/{step_prefix}")
            button.clicked.connect(partial(self.navigate, step_prefix))
            if number == 0:
                set_icon(button, "sandbox" if location.endpoint.profile is None else "account")
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            self._path_layout.addWidget(button)
        self._path_layout.addStretch(1)

    @Slot()
    def _show_state(self, *_args: object) -> None:
        location = self.model.location
        rows = self.model.rowCount()
        for control in (self.refresh_action, self.new_folder_action, self.filter):
            control.setEnabled(location is not None)
        if location is None:
            text = self.tr("Choose an account and a bucket to see its files.")
        elif self._problem:
            text = self._problem
        elif self.model.is_loading() and not rows:
            text = self.tr("Listing %1…").replace("%1", f"{location.bucket}/{location.prefix}")
            waited = self.model.waiting_s(time.monotonic())
            if waited is not None and waited >= UNANSWERED_AFTER_S:
                text = self.tr("%1 — %2").replace("%1", text).replace("%2", unanswered_note(waited))
        elif not rows:
            text = self.tr("No files here. Drop files to upload them to this folder.")
        elif self.model.has_more():
            text = self.tr("%1 items shown; more as you scroll").replace("%1", format_number(rows))
        else:
            text = self.tr("%Ln item(s)", None, rows)
        self.status.setText(text)

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        if isinstance(error, AccessDenied):
            self._problem = self.tr("These keys may not list this folder.")
        elif isinstance(error, NoSuchBucket):
            self._problem = self.tr("There is no such bucket.")
        else:
            self._problem = self.tr("Cannot list this folder: %1").replace("%1", short_error(error))
        self._show_state()

    @Slot(object)
    def _on_drop_target(self, prefix: object) -> None:
        location = self.model.location
        if prefix is None or location is None:
            self._show_state()
            return
        self.status.setText(self.tr("Drop to upload to %1").replace("%1", f"{location.bucket}/{prefix}"))

    @Slot(str)
    def _on_filter_changed(self, _text: str) -> None:
        self._filter_timer.start()

    @Slot()
    def _apply_filter(self) -> None:
        self._problem = ""
        self._place = None
        self.model.show(self.model.location, self.filter.text())

    # --- commands -------------------------------------------------------------------

    def selected_entries(self) -> list[RemoteEntry]:
        return self.model.entries(self.table.selected_rows())

    def build_context_menu(self) -> QMenu:
        entries = self.selected_entries()
        objects = [entry for entry in entries if not entry.is_folder]
        menu = QMenu(self)
        if len(entries) == 1 and entries[0].is_folder:
            menu.addAction(self.open_action)
        menu.addAction(self.new_folder_action)
        menu.addSeparator()
        menu.addAction(self.copy_key_action)
        menu.addAction(self.copy_url_action)
        presign = menu.addMenu(icon("link"), self.tr("Copy pre-signed URL"))
        presign.setEnabled(bool(objects))
        for validity_s in PRESIGN_VALIDITIES_S:
            action = presign.addAction(self._validity_text(validity_s))
            action.triggered.connect(partial(self.copy_presigned, validity_s))
        menu.addAction(self.details_action)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        for action in (self.copy_key_action, self.copy_url_action, self.delete_action):
            action.setEnabled(bool(entries))
        self.details_action.setEnabled(len(objects) == 1)
        return menu

    def _validity_text(self, seconds: int) -> str:
        if seconds % (24 * 3600) == 0:
            return self.tr("Valid for %n day(s)", None, seconds // (24 * 3600))
        return self.tr("Valid for %n hour(s)", None, seconds // 3600)

    @Slot(QPoint)
    def _show_context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if index.isValid() and not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self.table.selectRow(index.row())
        menu = self.build_context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(position))

    @Slot()
    def copy_keys(self) -> None:
        keys = [entry.key for entry in self.selected_entries()]
        if keys:
            QGuiApplication.clipboard().setText("\n".join(keys))
            self.message.emit(self.tr("Copied %n key(s)", None, len(keys)))

    @Slot()
    def copy_urls(self) -> None:
        location = self.model.location
        entries = self.selected_entries()
        if location is None or not entries:
            return
        endpoint = endpoint_from_spec(location.endpoint)
        QGuiApplication.clipboard().setText(
            "\n".join(endpoint.url_for(location.bucket, entry.key) for entry in entries)
        )
        self.message.emit(self.tr("Copied %n URL(s)", None, len(entries)))

    def copy_presigned(self, validity_s: int) -> None:
        """Signs on the pool (the keys may wait on the keyring)."""
        location = self.model.location
        keys = [entry.key for entry in self.selected_entries() if not entry.is_folder]
        if location is None or not keys:
            return
        router = self._router

        def sign() -> list[str]:
            client = router(location.endpoint)
            return [client.presigned_url("GET", location.bucket, key, validity_s) for key in keys]

        run_in_background(self._pool, self, sign, partial(self._on_presigned, validity_s))

    def _on_presigned(self, validity_s: int, outcome: object) -> None:
        if isinstance(outcome, Exception):
            self.message.emit(self.tr("Cannot sign the URL: %1").replace("%1", short_error(outcome)))
            return
        urls = cast(list[str], outcome)
        QGuiApplication.clipboard().setText("\n".join(urls))
        self.message.emit(
            self.tr("Copied %n pre-signed URL(s)", None, len(urls)) + " · " + self._validity_text(validity_s)
        )

    @Slot()
    def show_details(self) -> None:
        location = self.model.location
        objects = [entry for entry in self.selected_entries() if not entry.is_folder]
        if location is None or len(objects) != 1:
            return
        key, router = objects[0].key, self._router
        run_in_background(
            self._pool,
            self,
            lambda: router(location.endpoint).head_object(location.bucket, key),
            partial(self._on_head, location.bucket, key),
        )

    def _on_head(self, bucket: str, key: str, outcome: object) -> None:
        if isinstance(outcome, Exception):
            self.message.emit(
                self.tr("Cannot read the object's details: %1").replace("%1", short_error(outcome))
            )
            return
        dialog = ObjectDetailsDialog(bucket, key, cast(HeadObjectResult, outcome), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda _=None, d=dialog: self._forget_dialog(d))
        self.details_dialogs.append(dialog)
        dialog.show()

    def _forget_dialog(self, dialog: ObjectDetailsDialog) -> None:
        if dialog in self.details_dialogs:
            self.details_dialogs.remove(dialog)

    @Slot()
    def ask_new_folder(self) -> None:
        location = self.model.location
        if location is None:
            return
        dialog = NewFolderDialog(location.prefix, self._where(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.name_chosen.connect(self.create_folder)
        dialog.open()

    def create_folder(self, name: str) -> None:
        """Make the folder ``name`` in the folder shown: an empty object whose key
        ends in "/", as COS's console and COSBrowser make one."""
        location = self.model.location
        key = None if location is None else folder_key(location.prefix, name)
        if location is None or key is None:
            return
        router = self._router
        run_in_background(
            self._pool,
            self,
            lambda: router(location.endpoint).put_object(location.bucket, key, b""),
            partial(self._on_folder_made, key),
        )

    def _on_folder_made(self, key: str, outcome: object) -> None:
        if isinstance(outcome, Exception):
            self._warn(self.tr("Cannot create the folder"), short_error(outcome))
            return
        self.message.emit(self.tr("Created folder %1").replace("%1", key))
        self.refresh()

    @Slot()
    def ask_delete(self) -> None:
        """Count what the selection stands for (a folder: every key under it) on
        the pool, then ask, naming that count."""
        location = self.model.location
        entries = self.selected_entries()
        if location is None or not entries:
            return
        objects = [entry.key for entry in entries if not entry.is_folder]
        folders = [entry.key for entry in entries if entry.is_folder]
        router = self._router
        self.status.setText(self.tr("Counting what to delete…"))
        run_in_background(
            self._pool,
            self,
            lambda: keys_to_delete(router(location.endpoint), location.bucket, objects, folders),
            partial(self._confirm_delete, location, [entry.key for entry in entries]),
        )

    def _confirm_delete(self, location: RemoteLocation, selected: list[str], outcome: object) -> None:
        self._show_state()
        if isinstance(outcome, Exception):
            self._warn(self.tr("Cannot delete"), short_error(outcome))
            return
        keys = cast(list[str], outcome)
        if not keys:
            return
        shown = "\n".join(f"• {key}" for key in selected[:6])
        if len(selected) > 6:
            shown += "\n" + self.tr("… and %n more", None, len(selected) - 6)
        warning = (
            self.tr("A folder is deleted with everything in it. This cannot be undone.")
            if any(key.endswith("/") for key in selected)
            else self.tr("This cannot be undone.")
        )
        box = message_box(
            self,
            QMessageBox.Icon.Warning,
            self.tr("Delete %Ln object(s)?", None, len(keys)),
            self.tr("From %1:").replace("%1", location.bucket) + "\n" + shown + "\n\n" + warning,
            QMessageBox.StandardButton.NoButton,
        )
        confirm = box.addButton(self.tr("Delete"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(self.tr("Keep them"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        deletion = _Deletion(location, tuple(keys))
        box.buttonClicked.connect(lambda button: self._delete(deletion) if button is confirm else None)
        box.finished.connect(self._forget_delete_box)
        self.delete_box = box
        box.open()

    @Slot()
    def _forget_delete_box(self) -> None:
        self.delete_box = None
        # Not every platform gives the focus back when a box closes (offscreen,
        # some window managers): without it Delete and Enter would do nothing.
        self.window().activateWindow()
        self.table.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def _delete(self, deletion: _Deletion) -> None:
        router = self._router
        self.status.setText(self.tr("Deleting %Ln object(s)…", None, len(deletion.keys)))
        run_in_background(
            self._pool,
            self,
            lambda: delete_keys(router(deletion.location.endpoint), deletion.location.bucket, deletion.keys),
            self._on_deleted,
        )

    def _on_deleted(self, outcome: object) -> None:
        if isinstance(outcome, Exception):
            self._warn(self.tr("Cannot delete"), short_error(outcome))
            self.refresh()
            return
        result = cast(DeleteOutcome, outcome)
        self.message.emit(self.tr("Deleted %Ln object(s).", None, len(result.deleted)))
        if result.failures:
            lines = [f"{failure.key}: {failure.code} {failure.message}" for failure in result.failures]
            box = message_box(
                self,
                QMessageBox.Icon.Warning,
                self.tr("%Ln object(s) could not be deleted", None, len(result.failures)),
                "\n".join(lines[:8]),
            )
            box.setDetailedText("\n".join(lines))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.setModal(False)
            box.show()
        self.refresh()

    def _warn(self, title: str, text: str) -> None:
        box = message_box(self, QMessageBox.Icon.Warning, title, text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()

    def _where(self) -> str:
        location = self.model.location
        return "" if location is None else f"{location.bucket}/{location.prefix}"
