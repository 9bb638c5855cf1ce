"""The remote pane's table: one folder level of a bucket (List Objects with
delimiter "/"), fetched a page of 1,000 entries at a time as the view scrolls.

The view asks ``canFetchMore`` when it nears the last row it has; ``fetchMore``
then lists the next page on the window's pool and the rows are appended when it
arrives, so a prefix of 200,000 objects opens after one request and scrolls
while later pages come in. A row costs its key and three numbers in flat
columns, not an object. A new place or filter starts a new *generation*: a page
of the old one that arrives late is dropped.
"""

from __future__ import annotations

import enum
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    Signal,
)

from cosdesk.cos.results import ListObjectsResult
from cosdesk.engine.options import EndpointSpec
from cosdesk.ui.background import run_in_background
from cosdesk.ui.formatting import format_size, format_timestamp, storage_class_label
from cosdesk.ui.icons import icon

AnyIndex = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 1000
# A folder's size column holds this instead of a byte count.
FOLDER = -1
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class RemoteColumn(enum.IntEnum):
    NAME = 0
    SIZE = 1
    MODIFIED = 2
    STORAGE_CLASS = 3


@dataclass(frozen=True)
class RemoteLocation:
    """A folder of a bucket: where the pane looks, and where a drop on it goes."""

    endpoint: EndpointSpec
    bucket: str
    prefix: str  # "" (the bucket's root) or ending in "/"

    def at(self, prefix: str) -> RemoteLocation:
        return RemoteLocation(self.endpoint, self.bucket, prefix)

    @property
    def parent_prefix(self) -> str:
        """The folder above (the root's parent is the root)."""
        trimmed = self.prefix.rstrip("/")
        return trimmed.rsplit("/", 1)[0] + "/" if "/" in trimmed else ""


@dataclass(frozen=True)
class RemoteEntry:
    """One row as commands need it: its full key, and whether it is a folder."""

    key: str
    is_folder: bool
    size: int  # FOLDER for a folder


# One page of a listing: (location, name filter, marker) -> the answer. Blocks
# on the network (and on the keyring the first time): called on the pool.
ListPage = Callable[[RemoteLocation, str, str | None], ListObjectsResult]


@dataclass(frozen=True)
class _Page:
    generation: int
    result: ListObjectsResult | Exception


class RemoteObjectsModel(QAbstractTableModel):
    """One folder level of a bucket, paged (see the module's docstring)."""

    # A page is being listed (True) or none is (False).
    loading_changed = Signal(bool)
    # Listing failed: the error (an exception, for its type) of the last page asked.
    failed = Signal(object)
    # A page arrived and its rows are in the table: (rows now, more to fetch).
    page_loaded = Signal(int, bool)

    def __init__(self, list_page: ListPage, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._list_page = list_page
        self._pool = pool
        self._location: RemoteLocation | None = None
        self._name_filter = ""
        self._generation = 0
        self._fetching = False
        self._fetch_sent_at = 0.0  # time.monotonic() of the page request under way
        # The marker after which the next page starts; None: no more pages.
        self._next_marker: str | None = None
        self._more = False
        self._keys: list[str] = []
        self._sizes = array("q")
        self._modified = array("d")  # epoch seconds; 0 when unknown
        self._class_of = bytearray()  # index into _class_names
        self._class_names: list[str] = [""]
        self._headers = (
            self.tr("Name"),
            self.tr("Size"),
            self.tr("Last modified"),
            self.tr("Storage class"),
        )
        # Our own icons: the application style's standard ones, asked for from a
        # model made outside any widget, crashed the process later (a timer of a
        # freed object) once windows had been deleted.
        self._folder_icon = icon("folder")
        self._file_icon = icon("file")

    # --- where it looks -------------------------------------------------------------

    @property
    def location(self) -> RemoteLocation | None:
        return self._location

    @property
    def name_filter(self) -> str:
        return self._name_filter

    def show(self, location: RemoteLocation | None, name_filter: str = "") -> None:
        """List ``location`` from its first page (None: show nothing); only names
        that start with ``name_filter`` (COS lists by prefix: the filter costs
        nothing however big the folder)."""
        self.beginResetModel()
        self._generation += 1
        self._location = location
        self._name_filter = name_filter
        self._keys = []
        self._sizes = array("q")
        self._modified = array("d")
        self._class_of = bytearray()
        self._next_marker = None
        self._more = location is not None
        self._set_fetching(False)
        self.endResetModel()
        if location is not None:
            self._fetch()

    def refresh(self) -> None:
        """List the same place again, from its first page."""
        self.show(self._location, self._name_filter)

    def is_loading(self) -> bool:
        return self._fetching

    def waiting_s(self, now: float) -> float | None:
        """How long the page under way has waited for the server; None when none is."""
        return now - self._fetch_sent_at if self._fetching else None

    def has_more(self) -> bool:
        return self._more

    # --- paging ---------------------------------------------------------------------

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return not parent.isValid() and self._more and not self._fetching

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._fetch()

    def _fetch(self) -> None:
        location, name_filter, marker = self._location, self._name_filter, self._next_marker
        if location is None:
            return
        self._set_fetching(True)
        self._fetch_sent_at = time.monotonic()
        list_page = self._list_page
        run_in_background(
            self._pool,
            self,
            lambda: list_page(location, name_filter, marker),
            partial(self._on_page, self._generation),
        )

    def _on_page(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return  # listed for a place no longer shown
        self._set_fetching(False)
        if isinstance(result, Exception):
            self._more = False
            self.failed.emit(result)
            return
        assert isinstance(result, ListObjectsResult)
        self._append(result)
        self.page_loaded.emit(len(self._keys), self._more)

    def _append(self, page: ListObjectsResult) -> None:
        assert self._location is not None
        own_marker = self._location.prefix
        last = self._keys[-1] if self._keys else ""
        entries: list[tuple[str, int, float, str]] = [
            (
                item.key,
                item.size,
                item.last_modified.timestamp() if item.last_modified else 0.0,
                item.storage_class or "",
            )
            for item in page.contents
        ]
        entries += [(folder, FOLDER, 0.0, "") for folder in page.common_prefixes]
        entries.sort()
        # The folder's own marker object is the folder itself, not a row in it; an
        # entry at or before the last row was already listed (a folder that ended
        # one page and began the next).
        entries = [entry for entry in entries if entry[0] != own_marker and entry[0] > last]
        if page.is_truncated:
            candidates = [item.key for item in page.contents] + list(page.common_prefixes)
            self._next_marker = page.next_marker or (max(candidates) if candidates else None)
            self._more = self._next_marker is not None
        else:
            self._next_marker, self._more = None, False
        if not entries:
            return
        first = len(self._keys)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        for key, size, modified, storage_class in entries:
            self._keys.append(key)
            self._sizes.append(size)
            self._modified.append(modified)
            self._class_of.append(self._class_index(storage_class))
        self.endInsertRows()

    def _class_index(self, name: str) -> int:
        try:
            return self._class_names.index(name)
        except ValueError:
            self._class_names.append(name)
            return len(self._class_names) - 1

    def _set_fetching(self, fetching: bool) -> None:
        if fetching != self._fetching:
            self._fetching = fetching
            self.loading_changed.emit(fetching)

    # --- reading --------------------------------------------------------------------

    def entry(self, row: int) -> RemoteEntry:
        size = self._sizes[row]
        return RemoteEntry(self._keys[row], size == FOLDER, size)

    def place_of(self, key: str) -> int:
        """The row of ``key``, or where it would be (the row of the first key after
        it; the row count past the last), among the keys listed so far: they come
        in order."""
        return bisect_left(self._keys, key)

    def listed_past(self, key: str) -> bool:
        """Whether the listing has reached ``key``'s place: it is listed, or a later
        key is, or there is nothing more to list."""
        return not self._more or (bool(self._keys) and self._keys[-1] >= key)

    def entries(self, rows: list[int]) -> list[RemoteEntry]:
        return [self.entry(row) for row in rows if 0 <= row < len(self._keys)]

    def display_name(self, row: int) -> str:
        """The row's name within the shown folder (a folder's ends in "/")."""
        prefix = self._location.prefix if self._location is not None else ""
        return self._keys[row][len(prefix) :]

    # --- Qt's model -----------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(RemoteColumn)

    def cell(self, row: int, column: int) -> dict[int, Any]:
        """A cell's roles (display, icon, tooltip, alignment)."""
        size = self._sizes[row]
        if column == RemoteColumn.NAME:
            return {
                _DISPLAY: self.display_name(row),
                _DECORATION: self._folder_icon if size == FOLDER else self._file_icon,
                _TOOLTIP: self._keys[row],
            }
        if column == RemoteColumn.SIZE:
            return {_DISPLAY: "" if size == FOLDER else format_size(size), _ALIGNMENT: _RIGHT}
        if column == RemoteColumn.MODIFIED:
            modified = self._modified[row]
            return {_DISPLAY: format_timestamp(modified) if modified else ""}
        code = self._class_names[self._class_of[row]]
        return {_DISPLAY: storage_class_label(code) if code else "", _TOOLTIP: code}

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._keys):
            return None
        return self.cell(index.row(), index.column()).get(role)

    def multiData(self, index: AnyIndex, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """All the roles a delegate paints a cell with, in one call."""
        if not index.isValid() or index.row() >= len(self._keys):
            return
        values = self.cell(index.row(), index.column())
        for role_data in (roleDataSpan,) if isinstance(roleDataSpan, QModelRoleData) else roleDataSpan:  # type: ignore[union-attr]
            value = values.get(role_data.role())
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation is not Qt.Orientation.Horizontal or not 0 <= section < len(RemoteColumn):
            return None
        if role == _DISPLAY:
            return self._headers[section]
        if role == _ALIGNMENT and section == RemoteColumn.SIZE:
            return _RIGHT
        return None
