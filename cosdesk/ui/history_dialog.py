"""The transfer history window (History in the toolbar and menu): every upload that
ended, newest first, searchable, exportable as CSV, and clearable.

The table holds only the pages read so far: a ``QAbstractTableModel`` over
``HistoryEntry`` rows that asks for the next page when the view scrolls near the
end (Qt's ``canFetchMore`` / ``fetchMore``), each page read on a worker thread.
A history of a million rows costs the window what its first screens cost. Every
read, the count, the CSV export and clearing run off the GUI thread; answers of
an outdated search are dropped by a generation number.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QDir,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cosdesk.engine.history import (
    PAGE_SIZE,
    HistoryEntry,
    HistoryOutcome,
    HistoryQuery,
    HistoryReader,
    export_csv,
)
from cosdesk.engine.meter import shown_average_speed
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import TaskError, TaskState
from cosdesk.ui.background import run_in_background
from cosdesk.ui.delegates import ElideRightDelegate
from cosdesk.ui.formatting import (
    error_tooltip,
    explain_error,
    format_elapsed,
    format_number,
    format_size,
    format_speed,
    format_timestamp,
    state_label,
)
from cosdesk.ui.icons import set_icon, state_icon
from cosdesk.ui.message_boxes import message_box, window_title

AnyIndex = QModelIndex | QPersistentModelIndex

# How often the open window looks for transfers that ended meanwhile (here or in
# a ``cosdesk upload`` beside it): one cheap MAX(rowid) query on a worker.
POLL_INTERVAL_MS = 1500
# Typing in the search box waits this long for the next key before searching.
SEARCH_DELAY_MS = 250


class HistoryColumn(enum.IntEnum):
    ENDED = 0
    RESULT = 1
    NAME = 2
    DESTINATION = 3
    SIZE = 4
    DURATION = 5
    SPEED = 6
    ERROR = 7


# The task state whose icon and word stand for each outcome.
_OUTCOME_STATE = {
    HistoryOutcome.DONE: TaskState.SUCCESS,
    HistoryOutcome.SKIPPED: TaskState.SUCCESS,
    HistoryOutcome.FAILED: TaskState.ERROR,
    HistoryOutcome.CANCELED: TaskState.CANCELED,
}
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class _Page:
    generation: int
    entries: list[HistoryEntry]
    newest_id: int | None  # read with the first page: the baseline for polling


@dataclass(frozen=True)
class _Count:
    generation: int
    number: int


@dataclass(frozen=True)
class _Export:
    target: Path
    written: int


def _read_page(reader: HistoryReader, generation: int, query: HistoryQuery, before_id: int | None) -> _Page:
    newest = reader.newest_id() if before_id is None else None
    return _Page(generation, reader.page(query, before_id, PAGE_SIZE), newest)


def entry_error(entry: HistoryEntry) -> TaskError | None:
    if entry.error_code is None:
        return None
    return TaskError(entry.error_code, entry.error_message or "", entry.error_status, entry.request_id)


class HistoryTableModel(QAbstractTableModel):
    """The history rows read so far; the next page is read on ``pool`` when the
    view wants more. ``set_query`` starts over for another search."""

    # A page arrived (or the last one: nothing more to read).
    page_loaded = Signal()
    # Reading failed: the reason, for the status line.
    failed = Signal(str)
    # A new first page arrived; it carries the newest entry id in the whole history.
    reloaded = Signal(int)

    def __init__(self, reader: HistoryReader, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader = reader
        self._pool = pool
        self._rows: list[HistoryEntry] = []
        self._query = HistoryQuery()
        self._generation = 0
        self._loading = False
        self._exhausted = True

    @property
    def query(self) -> HistoryQuery:
        return self._query

    def entry_at(self, row: int) -> HistoryEntry:
        return self._rows[row]

    def is_loading(self) -> bool:
        return self._loading

    def set_query(self, query: HistoryQuery) -> None:
        """Show the rows matching ``query`` (read again from the first page)."""
        self._query = query
        self._generation += 1
        self.beginResetModel()
        self._rows = []
        self._exhausted = False
        self._loading = False
        self.endResetModel()
        self._load_next()

    def reload(self) -> None:
        self.set_query(self._query)

    # --- lazy population --------------------------------------------------------------

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008 - Qt's signature
        if self.canFetchMore(parent):
            self._load_next()

    def _load_next(self) -> None:
        self._loading = True
        before = self._rows[-1].entry_id if self._rows else None
        generation, query, reader = self._generation, self._query, self._reader
        run_in_background(
            self._pool, self, lambda: _read_page(reader, generation, query, before), self._on_page
        )

    @Slot(object)
    def _on_page(self, result: object) -> None:
        if isinstance(result, BaseException):
            self._loading = False
            self._exhausted = True
            self.failed.emit(str(result))
            return
        assert isinstance(result, _Page)
        if result.generation != self._generation:
            return  # an answer for a search that was replaced meanwhile
        self._loading = False
        entries = result.entries
        self._exhausted = len(entries) < PAGE_SIZE
        if entries:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
            self._rows.extend(entries)
            self.endInsertRows()
        if result.newest_id is not None:
            self.reloaded.emit(result.newest_id)
        self.page_loaded.emit()

    # --- what the view shows ----------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(HistoryColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation is not Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return {
            HistoryColumn.ENDED: self.tr("Ended"),
            HistoryColumn.RESULT: self.tr("Result"),
            HistoryColumn.NAME: self.tr("Name"),
            HistoryColumn.DESTINATION: self.tr("Destination"),
            HistoryColumn.SIZE: self.tr("Size"),
            HistoryColumn.DURATION: self.tr("Duration"),
            HistoryColumn.SPEED: self.tr("Average speed"),
            HistoryColumn.ERROR: self.tr("Error"),
        }.get(HistoryColumn(section))

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        entry = self._rows[index.row()]
        column = HistoryColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(entry, column)
        if role == Qt.ItemDataRole.DecorationRole and column is HistoryColumn.RESULT:
            return state_icon(_OUTCOME_STATE[entry.outcome])
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            HistoryColumn.SIZE,
            HistoryColumn.DURATION,
            HistoryColumn.SPEED,
        ):
            return _RIGHT
        return None

    def outcome_label(self, outcome: HistoryOutcome) -> str:
        if outcome is HistoryOutcome.SKIPPED:
            return self.tr("Skipped")
        return state_label(_OUTCOME_STATE[outcome])

    def _text(self, entry: HistoryEntry, column: HistoryColumn) -> str:
        if column is HistoryColumn.ENDED:
            return format_timestamp(entry.ended_at)
        if column is HistoryColumn.RESULT:
            return self.outcome_label(entry.outcome)
        if column is HistoryColumn.NAME:
            return entry.key.rstrip("/").rsplit("/", 1)[-1] + ("/" if entry.key.endswith("/") else "")
        if column is HistoryColumn.DESTINATION:
            return f"{entry.bucket}/{entry.key}"
        if column is HistoryColumn.SIZE:
            return "" if entry.size is None else format_size(entry.size)
        if column is HistoryColumn.DURATION:
            return "—" if entry.started_at is None else format_elapsed(entry.active_s)
        if column is HistoryColumn.SPEED:
            speed = shown_average_speed(entry.bytes_sent, entry.active_s)
            return "—" if speed is None else format_speed(speed)
        error = entry_error(entry)
        return "" if error is None else explain_error(error)

    def _tooltip(self, entry: HistoryEntry, column: HistoryColumn) -> str | None:
        if column in (HistoryColumn.NAME, HistoryColumn.DESTINATION):
            lines = [f"{entry.bucket}/{entry.key}", self.tr("at %1").replace("%1", entry.endpoint)]
            if entry.source_path:
                lines.append(self.tr("from %1").replace("%1", entry.source_path))
            return "\n".join(lines)
        if column in (HistoryColumn.SIZE, HistoryColumn.SPEED, HistoryColumn.DURATION):
            # The speed is what these runs sent over the time they ran: say both.
            sent = (
                self.tr("%1 sent in %2 of uploading (pauses not counted)")
                .replace("%1", format_size(entry.bytes_sent))
                .replace("%2", format_elapsed(entry.active_s))
            )
            if entry.bytes_sent > 0 and shown_average_speed(entry.bytes_sent, entry.active_s) is None:
                sent += "\n" + self.tr("Too quick to tell the link's speed.")
            return sent
        if column in (HistoryColumn.ERROR, HistoryColumn.RESULT):
            return error_tooltip(entry_error(entry))
        return None


class HistoryDialog(QDialog):
    """The history of ``store``'s database. Non-modal; reads on a pool of its own."""

    def __init__(self, store: TaskStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(window_title(self.tr("Transfer history")))
        self.setObjectName("history-dialog")
        self._store = store
        self.reader = HistoryReader(store.path)
        # One thread: pages, counts and polls are answered in the order asked.
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        # Exports and clearing have their own, so a long export never holds up paging.
        self.slow_pool = QThreadPool(self)
        self.slow_pool.setMaxThreadCount(1)
        self._newest_id: int | None = None
        self._count_generation = 0
        self._exporting = False
        self.resize(980, 560)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search by name, bucket, folder or error"))
        self.search.setAccessibleName(self.tr("Search history"))
        self.search.setClearButtonEnabled(True)
        self.outcome = QComboBox(self)
        self.outcome.setAccessibleName(self.tr("Show results"))
        self.outcome.addItem(self.tr("All results"), None)
        self.model = HistoryTableModel(self.reader, self.pool, self)
        for outcome in HistoryOutcome:
            self.outcome.addItem(self.model.outcome_label(outcome), str(outcome))

        self.table = QTableView(self)
        self.table.setObjectName("history-table")
        self.table.setAccessibleName(self.tr("Transfer history"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        # The Duration column is as wide as its longest text under a minute needs.
        longest_duration = self.fontMetrics().horizontalAdvance(format_elapsed(0.01)) + 16
        for column, width in (
            (HistoryColumn.ENDED, 140),
            (HistoryColumn.RESULT, 95),
            (HistoryColumn.NAME, 140),
            (HistoryColumn.DESTINATION, 200),
            (HistoryColumn.SIZE, 75),
            (HistoryColumn.DURATION, max(70, longest_duration)),
            (HistoryColumn.SPEED, 95),
        ):
            header.resizeSection(column, width)
        # Errors read from their start; the tooltip has the rest.
        self.table.setItemDelegateForColumn(HistoryColumn.ERROR, ElideRightDelegate(self.table))

        self.count_label = QLabel(self)
        self.count_label.setAccessibleName(self.tr("Number of transfers"))
        self.status_label = QLabel(self)
        self.status_label.setAccessibleName(self.tr("Export status"))
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton(self.tr("Export CSV…"), self)
        set_icon(self.export_button, "copy")
        self.clear_button = QPushButton(self.tr("Clear history…"), self)
        set_icon(self.clear_button, "clear")
        self.close_button = QPushButton(self.tr("Close"), self)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.outcome)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label)
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.clear_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        QWidget.setTabOrder(self.search, self.outcome)
        QWidget.setTabOrder(self.outcome, self.table)
        QWidget.setTabOrder(self.table, self.export_button)
        QWidget.setTabOrder(self.export_button, self.clear_button)
        QWidget.setTabOrder(self.clear_button, self.close_button)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_query)
        self.search.textChanged.connect(self._on_search_edited)
        self.outcome.currentIndexChanged.connect(self._apply_query)
        self.export_button.clicked.connect(self.choose_export_file)
        self.clear_button.clicked.connect(self.ask_clear)
        self.close_button.clicked.connect(self.close)
        self.model.failed.connect(self._on_read_failed)
        self.model.reloaded.connect(self._on_reloaded)
        self.model.modelReset.connect(self._update_buttons)
        self.model.rowsInserted.connect(self._update_buttons)

        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_INTERVAL_MS)
        self._poll_timer.timeout.connect(self._poll)
        self._poll_timer.start()
        self.export_dialog: QFileDialog | None = None
        self.clear_box: QMessageBox | None = None
        self._apply_query()

    # --- searching --------------------------------------------------------------------

    def current_query(self) -> HistoryQuery:
        outcome = self.outcome.currentData()  # the enum's value: Qt stores it as a str
        return HistoryQuery(self.search.text(), HistoryOutcome(outcome) if outcome else None)

    @Slot(str)
    def _on_search_edited(self, _text: str) -> None:
        self._search_timer.start()

    @Slot()
    def _apply_query(self) -> None:
        self._search_timer.stop()
        query = self.current_query()
        self.model.set_query(query)
        self._count(query)

    def _count(self, query: HistoryQuery) -> None:
        self._count_generation += 1
        generation, reader = self._count_generation, self.reader
        self.count_label.setText(self.tr("Counting…"))
        run_in_background(self.pool, self, lambda: _Count(generation, reader.count(query)), self._on_count)

    @Slot(object)
    def _on_count(self, result: object) -> None:
        if isinstance(result, BaseException):
            self._on_read_failed(str(result))
            return
        assert isinstance(result, _Count)
        if result.generation != self._count_generation:
            return
        number = result.number
        query = self.model.query
        filtered = bool(query.text.strip() or query.outcome)
        # Worded without a plural ("Transfers: 1"), so no language needs plural forms.
        if number == 0:
            text = self.tr("No transfers match.") if filtered else self.tr("No transfers yet.")
        elif filtered:
            text = self.tr("Matching transfers: %1").replace("%1", format_number(number))
        else:
            text = self.tr("Transfers: %1").replace("%1", format_number(number))
        self.count_label.setText(text)

    @Slot(str)
    def _on_read_failed(self, reason: str) -> None:
        self.status_label.setText(self.tr("The history cannot be read: %1").replace("%1", reason))

    @Slot()
    def _update_buttons(self) -> None:
        has_rows = self.model.rowCount() > 0
        self.export_button.setEnabled(has_rows and not self._exporting)
        self.clear_button.setEnabled(has_rows)

    # --- new transfers while the window is open ----------------------------------------

    @Slot(int)
    def _on_reloaded(self, newest_id: int) -> None:
        self._newest_id = newest_id

    @Slot()
    def _poll(self) -> None:
        if not self.isVisible() or self.model.is_loading():
            return
        reader = self.reader
        run_in_background(self.pool, self, reader.newest_id, self._on_polled)

    @Slot(object)
    def _on_polled(self, result: object) -> None:
        if not isinstance(result, int) or self._newest_id is None or result == self._newest_id:
            return
        # Entries came or went. Reload unless the user scrolled down to read: the
        # rows would jump under them (they come back at the top when they return).
        if self.table.verticalScrollBar().value() == 0:
            self.reload()

    def reload(self) -> None:
        self.model.reload()
        self._count(self.model.query)

    # --- export -----------------------------------------------------------------------

    @Slot()
    def choose_export_file(self) -> None:
        """Ask where to save (a file dialog of its own, not blocking the window)."""
        dialog = QFileDialog(self, self.tr("Export history as CSV"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter(self.tr("CSV files (*.csv)"))
        dialog.setDefaultSuffix("csv")
        dialog.setDirectory(QDir.homePath())
        dialog.selectFile(f"cosdesk-history-{datetime.date.today().isoformat()}.csv")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.export_to)
        self.export_dialog = dialog
        dialog.open()

    @Slot(str)
    def export_to(self, path: str) -> None:
        """Write what the table shows (the current search, all of it) to ``path``."""
        if not path:
            return
        self._exporting = True
        self._update_buttons()
        self.status_label.setText(self.tr("Exporting…"))
        reader, query, target = self.reader, self.model.query, Path(path)
        run_in_background(
            self.slow_pool,
            self,
            lambda: _Export(target, export_csv(reader, query, target)),
            self._on_exported,
        )

    @Slot(object)
    def _on_exported(self, result: object) -> None:
        self._exporting = False
        self._update_buttons()
        if isinstance(result, OSError):
            self.status_label.setText(
                self.tr("Could not export: %1").replace(
                    "%1", f"{result.filename or ''}: {result.strerror or result}"
                )
            )
            return
        if isinstance(result, BaseException):
            self.status_label.setText(self.tr("Could not export: %1").replace("%1", str(result)))
            return
        assert isinstance(result, _Export)
        self.status_label.setText(
            self.tr("Saved %1 (transfers: %2).")
            .replace("%1", str(result.target))
            .replace("%2", format_number(result.written))
        )

    # --- clearing ---------------------------------------------------------------------

    @Slot()
    def ask_clear(self) -> None:
        box = message_box(
            self,
            QMessageBox.Icon.Question,
            self.tr("Clear the transfer history?"),
            self.tr(
                "Every entry is deleted from this computer. The files on the server and the "
                "upload list stay as they are. Export the history first to keep a copy."
            ),
            QMessageBox.StandardButton.Cancel,
        )
        clear = box.addButton(self.tr("Clear history"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: self._on_clear_answer(box.clickedButton() is clear))
        self.clear_box = box
        box.open()

    def _on_clear_answer(self, confirmed: bool) -> None:
        self.clear_box = None
        if not confirmed:
            return
        self.clear_button.setEnabled(False)
        self._store.clear_history()
        self.status_label.setText(self.tr("Clearing…"))
        # The store's writer deletes the rows; reload once it has committed.
        run_in_background(self.slow_pool, self, self._store.flush, self._on_cleared)

    @Slot(object)
    def _on_cleared(self, result: object) -> None:
        if isinstance(result, BaseException):
            self.status_label.setText(
                self.tr("The history could not be cleared: %1").replace("%1", str(result))
            )
        else:
            self.status_label.setText(self.tr("The history was cleared."))
        self.reload()

    # --- closing ----------------------------------------------------------------------

    def done(self, result: int) -> None:
        self._poll_timer.stop()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._poll_timer.stop()
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._poll_timer.isActive():
            self._poll_timer.start()
