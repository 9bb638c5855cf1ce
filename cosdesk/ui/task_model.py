"""The task table's model: row snapshots fed by the queue's list-update, and the
filter proxy behind the All / Active / Paused / Failed / Done bar (canceled rows
are under Failed: neither was uploaded, and both can be sent again from there).

The engine owns the tasks; this model keeps one frozen ``TaskSnapshot`` per row and
forwards the queue's coalesced events as Qt model signals. Snapshots are read on
a worker (the queue's lock can be busy for tens of milliseconds while it stores a
batch of new tasks: only the worker waits for it), and applied in slices with a
time budget, so the GUI thread never stalls on 10,000 tasks added at once.

Every cell's text, alignment, icon, tooltip and sort key is stored on the C++ side
(a ``QStandardItemModel``), and the proxy filters and sorts by stored roles: the
view paints without calling back into Python (only the progress delegate does),
so a repaint never waits for the GIL held by busy worker threads.
"""

from __future__ import annotations

import contextlib
import enum
import os
import time
from collections import Counter, deque
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRegularExpression,
    QRunnable,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QStandardItemModel

from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.task import HashProgress, TaskSnapshot, TaskState
from cosdesk.engine.worker_pool import WorkerPool
from cosdesk.ui.formatting import (
    describe_error,
    error_tooltip,
    format_eta,
    format_percent,
    format_size,
    format_speed,
    retry_note,
    state_text,
)
from cosdesk.ui.icons import state_icon
from cosdesk.ui.progress_bars import progress_bar

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(enum.IntEnum):
    NAME = 0
    KEY = 1
    SIZE = 2
    STATE = 3
    PROGRESS = 4
    SPEED = 5
    ETA = 6
    ERROR = 7


# Custom roles: the delegate and the proxy read typed values, not display text.
SNAPSHOT_ROLE = Qt.ItemDataRole.UserRole + 1
TASK_ID_ROLE = Qt.ItemDataRole.UserRole + 2
SORT_ROLE = Qt.ItemDataRole.UserRole + 3
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 4  # float 0..1 (hash progress while checking)
# "<state>\t<key, casefolded>" on the name column: what the proxy's filter matches.
FILTER_ROLE = Qt.ItemDataRole.UserRole + 6

_DISPLAY = Qt.ItemDataRole.DisplayRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_STATE_ORDER = {state: number for number, state in enumerate(TaskState)}

# Time budget per slice of bulk work, in seconds: well under a 60 Hz frame.
SLICE_BUDGET_S = 0.008
# Ids read per fetch job, and snapshots applied per model signal.
FETCH_BATCH = 2000
APPLY_BATCH = 10
# Fetch more only when fewer snapshots than this wait to be applied: a fetch running
# while the GUI thread applies rows only competes with it for the GIL.
READY_LOW_WATER = 200


class TaskFilter(enum.IntEnum):
    ALL = 0
    ACTIVE = 1
    PAUSED = 2
    FAILED = 3
    DONE = 4


FILTER_STATES: dict[TaskFilter, frozenset[TaskState] | None] = {
    TaskFilter.ALL: None,
    TaskFilter.ACTIVE: frozenset({TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING}),
    TaskFilter.PAUSED: frozenset({TaskState.PAUSED}),
    TaskFilter.FAILED: frozenset({TaskState.ERROR, TaskState.CANCELED}),
    TaskFilter.DONE: frozenset({TaskState.SUCCESS}),
}


def key_matches(key: str, key_filter: str) -> bool:
    """Whether a row shows under the search text ``key_filter`` (stripped and
    casefolded, as ``TaskFilterProxy.set_text`` keeps it): part of its key."""
    return not key_filter or key_filter in key.casefold()


def paused_note(snapshot: TaskSnapshot) -> str:
    """Why a paused row's progress went back: the bytes in flight when it was
    paused, which the server had not confirmed (resuming finds what it did store
    and sends the rest). Empty when nothing was in flight."""
    if not snapshot.dropped_bytes:
        return ""
    return QCoreApplication.translate(
        "TaskTableModel", "%1 in flight was not confirmed; resuming sends what is missing"
    ).replace("%1", format_size(snapshot.dropped_bytes))


def resent_note(snapshot: TaskSnapshot) -> str:
    """Why a running row's progress went back: requests that failed and are sent
    again. Empty when none was."""
    if not snapshot.resent_bytes:
        return ""
    return QCoreApplication.translate("TaskTableModel", "%1 sent again after a failed request").replace(
        "%1", format_size(snapshot.resent_bytes)
    )


def display_name(snapshot: TaskSnapshot) -> str:
    """What the Name column shows: the last segment of the key (a folder marker
    keeps its trailing ``/`` so it reads as a folder)."""
    key = snapshot.key
    if key.endswith("/"):
        return key.rstrip("/").rsplit("/", 1)[-1] + "/"
    return key.rsplit("/", 1)[-1] or (os.path.basename(snapshot.source_path or "") or key)


class TaskTableModel(QStandardItemModel):
    """One row per task, in the order the queue reported them.

    The snapshots stay in Python (``snapshot_at``); what the view shows of them is
    copied into the items in batches, only the cells whose values changed."""

    # The number of tasks per state changed: dict[TaskState, int].
    counts_changed = Signal(dict)
    # The same, counting only the tasks whose key matches the search text (see
    # set_key_filter): what each filter tab would show. dict[TaskState, int].
    filter_counts_changed = Signal(dict)

    def __init__(self, queue: UploadQueue, parent: QObject | None = None) -> None:
        super().__init__(0, len(Column), parent)
        self._queue = queue
        self._rows: list[TaskSnapshot] = []
        self._row_of: dict[str, int] = {}
        # Per row, the role values last stored in each column's item.
        self._cells: list[list[dict[int, Any]]] = []
        self._hashing: dict[str, float] = {}
        self._counts: Counter[TaskState] = Counter()
        self._key_filter = ""
        self._filter_counts: Counter[TaskState] = Counter()
        # Ids whose snapshot must be (re)read, in the order they were reported; the
        # snapshots read but not yet applied; ids removed for good (never reused).
        self._pending: dict[str, None] = {}
        self._ready: deque[TaskSnapshot] = deque()
        self._gone: set[str] = set()
        self._fetching = False
        self._closed = False
        self._counts_dirty = False
        # Snapshots are fetched below normal priority, like the engine's work:
        # the GUI thread that applies them comes first.
        self._pool = WorkerPool(self, background=True)
        self._pool.setMaxThreadCount(1)
        self._fetch_signals = _FetchSignals(self)
        self._fetch_signals.fetched.connect(self._on_fetched)
        self.setHorizontalHeaderLabels(
            [
                self.tr("Name"),
                self.tr("Key"),
                self.tr("Size"),
                self.tr("State"),
                self.tr("Progress"),
                self.tr("Speed"),
                self.tr("ETA"),
                self.tr("Error"),
            ]
        )
        for column in (Column.SIZE, Column.SPEED, Column.ETA):
            self.setHeaderData(column, Qt.Orientation.Horizontal, _RIGHT, _ALIGNMENT)
        self._pump = QTimer(self)
        self._pump.setInterval(0)
        self._pump.timeout.connect(self._apply_pending)
        queue.tasks_added.connect(self.on_tasks_added)
        queue.list_updated.connect(self.on_list_updated)
        queue.tasks_removed.connect(self.on_tasks_removed)
        queue.hash_progress.connect(self.on_hash_progress)

    # --- reading ------------------------------------------------------------------

    def snapshot_at(self, row: int) -> TaskSnapshot:
        return self._rows[row]

    def row_of(self, task_id: str) -> int | None:
        return self._row_of.get(task_id)

    def snapshot(self, task_id: str) -> TaskSnapshot | None:
        row = self._row_of.get(task_id)
        return None if row is None else self._rows[row]

    def counts(self) -> dict[TaskState, int]:
        return {state: number for state, number in self._counts.items() if number}

    def filter_counts(self) -> dict[TaskState, int]:
        """Tasks per state among those whose key matches the search text."""
        return {state: number for state, number in self._filter_counts.items() if number}

    @Slot(str)
    def set_key_filter(self, text: str) -> None:
        """The search text changed: count again what each tab would show."""
        key_filter = text.strip().casefold()
        if key_filter == self._key_filter:
            return
        self._key_filter = key_filter
        self._filter_counts = Counter(
            snap.state for snap in self._rows if key_matches(snap.key, key_filter)
        )
        self.filter_counts_changed.emit(self.filter_counts())

    def _emit_counts(self) -> None:
        self.counts_changed.emit(self.counts())
        self.filter_counts_changed.emit(self.filter_counts())

    def is_settled(self) -> bool:
        """No queued work left to apply (tests wait on it)."""
        return not self._pending and not self._ready and not self._fetching

    def _progress(self, snap: TaskSnapshot) -> float:
        if snap.state is TaskState.CHECKING and snap.task_id in self._hashing:
            return self._hashing[snap.task_id]
        return snap.percent

    def _cell_values(self, snap: TaskSnapshot) -> list[dict[int, Any]]:
        """Every column's role values for one snapshot (each dict has the same keys
        every time, None clearing a role)."""
        state = snap.state
        uploading = state is TaskState.UPLOADING
        progress = self._progress(snap)
        name = display_name(snap)
        where = f"{snap.source_path or ''}\n→ {snap.bucket}/{snap.key}"
        retrying = snap.retry_delay_s is not None
        note = retry_note(snap.retry_delay_s) if snap.retry_delay_s is not None else snap.note
        if snap.dropped_bytes:  # progress went back: say why
            note = paused_note(snap)
        elif snap.resent_bytes:
            note = resent_note(snap)
        error_text = describe_error(snap.error, short=True) if snap.error and not retrying else note
        # The column cuts its text: the tooltip has all of it (the explanation, the
        # untranslated system message, labelled as such, and the note).
        error_tip = error_tooltip(snap.error, note)
        return [
            {
                _DISPLAY: name,
                _TOOLTIP: where,
                SORT_ROLE: name.casefold(),
                FILTER_ROLE: f"{state.value}\t{snap.key.casefold()}",
            },
            {_DISPLAY: snap.key, _TOOLTIP: where, SORT_ROLE: snap.key},
            {
                _DISPLAY: "" if snap.size is None else format_size(snap.size),
                SORT_ROLE: snap.size or 0,
            },
            {
                _DISPLAY: state_text(state, snap.result is not None and snap.result.unverified),
                _DECORATION: state_icon(state),
                _TOOLTIP: error_tip,
                SORT_ROLE: _STATE_ORDER[state],
            },
            {
                _DISPLAY: format_percent(progress),
                _DECORATION: progress_bar(progress, state),
                PROGRESS_ROLE: progress,
                SORT_ROLE: snap.percent,
            },
            {_DISPLAY: format_speed(snap.speed) if uploading else "", SORT_ROLE: snap.speed},
            {
                _DISPLAY: format_eta(snap.eta_s) if uploading else "",
                SORT_ROLE: snap.eta_s if snap.eta_s is not None else float("inf"),
            },
            {
                _DISPLAY: error_text,
                _TOOLTIP: error_tip,
                SORT_ROLE: describe_error(snap.error) if snap.error else snap.note,
            },
        ]

    # --- the queue's events -------------------------------------------------------

    @Slot(list)
    def on_tasks_added(self, task_ids: list[str]) -> None:
        self._want(task_ids)

    @Slot(list)
    def on_list_updated(self, task_ids: list[str]) -> None:
        self._want(task_ids)

    @Slot(object)
    def on_hash_progress(self, progress: HashProgress) -> None:
        self._hashing[progress.task_id] = progress.percent
        self._want([progress.task_id])

    def _want(self, task_ids: list[str]) -> None:
        for task_id in task_ids:
            if task_id not in self._gone:
                self._pending[task_id] = None
        self._start_fetch()

    @Slot(list)
    def on_tasks_removed(self, task_ids: list[str]) -> None:
        self._gone.update(task_ids)
        for task_id in task_ids:
            self._pending.pop(task_id, None)
            self._hashing.pop(task_id, None)
        gone = {task_id for task_id in task_ids if task_id in self._row_of}
        if not gone:
            return
        rows = sorted(self._row_of[task_id] for task_id in gone)
        ranges = _contiguous(rows)
        if len(ranges) > 50:
            # Many scattered rows: one reset is cheaper than hundreds of removals
            # (each told to the proxy and the view).
            self.beginResetModel()
            blocked = self.blockSignals(True)
            try:
                for first, last in reversed(ranges):
                    self.removeRows(first, last - first + 1)
            finally:
                self.blockSignals(blocked)
            self.endResetModel()
        else:
            for first, last in reversed(ranges):
                self.removeRows(first, last - first + 1)
        for first, last in reversed(ranges):
            del self._rows[first : last + 1]
            del self._cells[first : last + 1]
        self._row_of = {snap.task_id: row for row, snap in enumerate(self._rows)}
        self._counts = Counter(snap.state for snap in self._rows)
        self._filter_counts = Counter(
            snap.state for snap in self._rows if key_matches(snap.key, self._key_filter)
        )
        self._emit_counts()

    # --- fetching snapshots off the GUI thread -------------------------------------

    def _start_fetch(self) -> None:
        """Hand the pending ids to the fetch worker (one job at a time): the queue's
        lock may be held by its workers for a while, and only the worker waits."""
        if self._fetching or not self._pending or self._closed or len(self._ready) > READY_LOW_WATER:
            return
        chunk: list[str] = []
        for task_id in self._pending:
            chunk.append(task_id)
            if len(chunk) >= FETCH_BATCH:
                break
        for task_id in chunk:
            del self._pending[task_id]
        self._fetching = True
        self._pool.start(_Fetch(self._queue, chunk, self._fetch_signals))

    @Slot(list)
    def _on_fetched(self, snapshots: list[TaskSnapshot]) -> None:
        self._fetching = False
        self._ready.extend(snapshots)  # those of tasks removed meanwhile are dropped in _apply
        if not self._pump.isActive():
            self._pump.start()
        self._start_fetch()

    def shutdown(self) -> None:
        """Stop fetching and wait for the fetch worker (the window calls this on close)."""
        self._closed = True
        self._pump.stop()
        self._pool.waitForDone(5000)

    @Slot()
    def _apply_pending(self, budget_s: float | None = SLICE_BUDGET_S) -> None:
        """Apply fetched snapshots, stopping after ``budget_s`` (None: all)."""
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        while self._ready and (deadline is None or time.perf_counter() < deadline):
            chunk = [self._ready.popleft() for _ in range(min(APPLY_BATCH, len(self._ready)))]
            self._apply(chunk)
        if self._counts_dirty:
            self._counts_dirty = False
            self._emit_counts()
        if len(self._ready) <= READY_LOW_WATER:
            self._start_fetch()
        if not self._ready:
            self._pump.stop()

    def restyle(self) -> None:
        """Draw every row's state icon and progress bar again (after a palette
        change), in the same time-sliced batches as updates. Queued ahead of any
        newer snapshot already waiting, so none of those is undone."""
        for cells in self._cells:
            cells[Column.STATE] = {}
            cells[Column.PROGRESS] = {}
        self._ready.extendleft(reversed(self._rows))
        if self._ready and not self._pump.isActive():
            self._pump.start()

    def _apply(self, snapshots: list[TaskSnapshot]) -> None:
        # The latest snapshot of each task in the chunk wins; one removed since it
        # was fetched must not come back as a new row.
        latest: dict[str, TaskSnapshot] = {}
        for snap in snapshots:
            if snap.task_id not in self._gone:
                latest[snap.task_id] = snap
        new: list[TaskSnapshot] = []
        # row → (first, last) changed columns
        changed: dict[int, tuple[int, int]] = {}
        blocked = self.blockSignals(True)  # one dataChanged per run of rows, below
        try:
            for snap in latest.values():
                row = self._row_of.get(snap.task_id)
                if row is None:
                    new.append(snap)
                    continue
                old = self._rows[row]
                if snap.state is not old.state:
                    self._counts[old.state] -= 1
                    self._counts[snap.state] += 1
                    self._counts_dirty = True
                    if snap.state is not TaskState.CHECKING:
                        self._hashing.pop(snap.task_id, None)
                if snap.state is not old.state or snap.key != old.key:  # a key renamed on conflict
                    if key_matches(old.key, self._key_filter):
                        self._filter_counts[old.state] -= 1
                    if key_matches(snap.key, self._key_filter):
                        self._filter_counts[snap.state] += 1
                    self._counts_dirty = True
                self._rows[row] = snap
                span = self._store(row, snap)
                if span is not None:
                    changed[row] = span
        finally:
            self.blockSignals(blocked)
        # Runs of consecutive rows share one signal over the columns that changed.
        runs: list[tuple[int, int, int, int]] = []
        for row in sorted(changed):
            first_column, last_column = changed[row]
            if runs and runs[-1][1] == row - 1:
                run = runs[-1]
                runs[-1] = (run[0], row, min(run[2], first_column), max(run[3], last_column))
            else:
                runs.append((row, row, first_column, last_column))
        for first, last, first_column, last_column in runs:
            self.dataChanged.emit(self.index(first, first_column), self.index(last, last_column))
        if new:
            first = len(self._rows)
            for offset, snap in enumerate(new):
                self._row_of[snap.task_id] = first + offset
                self._counts[snap.state] += 1
                if key_matches(snap.key, self._key_filter):
                    self._filter_counts[snap.state] += 1
                self._rows.append(snap)
                self._cells.append([{} for _ in Column])
            self._counts_dirty = True
            self.insertRows(first, len(new))
            blocked = self.blockSignals(True)
            try:
                for offset, snap in enumerate(new):
                    self._store(first + offset, snap, new_row=True)
            finally:
                self.blockSignals(blocked)
            self.dataChanged.emit(self.index(first, 0), self.index(len(self._rows) - 1, len(Column) - 1))

    def _store(self, row: int, snap: TaskSnapshot, new_row: bool = False) -> tuple[int, int] | None:
        """Copy the changed cells of one row into its items (signals blocked by the
        caller); returns the first and last column changed, None if none. The
        snapshot itself (``SNAPSHOT_ROLE``) is kept current without counting as a
        change: nothing on screen shows it."""
        cells = self._cells[row]
        first_column = last_column = -1
        for column, values in enumerate(self._cell_values(snap)):
            if values == cells[column]:
                continue
            cells[column] = values
            if new_row:
                values = {**values, TASK_ID_ROLE: snap.task_id}
            self.setItemData(self.index(row, column), values)
            if first_column < 0:
                first_column = column
            last_column = column
        self.setData(self.index(row, Column.NAME), snap, SNAPSHOT_ROLE)
        return None if first_column < 0 else (first_column, last_column)


class _FetchSignals(QObject):
    # Snapshots read by the fetch worker: list[TaskSnapshot].
    fetched = Signal(list)


class _Fetch(QRunnable):
    """Reads snapshots for a list of ids on a worker thread."""

    def __init__(self, queue: UploadQueue, task_ids: list[str], signals: _FetchSignals) -> None:
        super().__init__()
        self._queue = queue
        self._task_ids = task_ids
        self._signals = signals

    def run(self) -> None:
        snapshots = [snap for snap in map(self._queue.task, self._task_ids) if snap is not None]
        with contextlib.suppress(RuntimeError):  # the model is gone: nobody to tell
            self._signals.fetched.emit(snapshots)


def _contiguous(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers → (first, last) runs, so one dataChanged covers each run."""
    ranges: list[tuple[int, int]] = []
    for row in rows:
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges


class TaskFilterProxy(QSortFilterProxyModel):
    """Sorts by typed values and shows one of the filter bar's groups, optionally
    narrowed by text typed in the search box. Both are done by Qt itself: sorting
    by ``SORT_ROLE``, filtering by a regular expression over ``FILTER_ROLE``
    ("<state>\\t<key, casefolded>") of the name column, so no row costs a call
    into Python."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._filter = TaskFilter.ALL
        self._text = ""
        self.setSortRole(SORT_ROLE)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(Column.NAME)
        self.setDynamicSortFilter(True)

    def task_filter(self) -> TaskFilter:
        return self._filter

    def set_task_filter(self, task_filter: TaskFilter) -> None:
        if task_filter != self._filter:
            self._filter = task_filter
            self._update_pattern()

    def set_text(self, text: str) -> None:
        text = text.strip().casefold()
        if text != self._text:
            self._text = text
            self._update_pattern()

    def _update_pattern(self) -> None:
        states = FILTER_STATES[self._filter]
        if states is None and not self._text:
            pattern = ""  # everything: Qt skips matching
        else:
            head = "[^\\t]*" if states is None else "(?:" + "|".join(sorted(s.value for s in states)) + ")"
            pattern = f"^{head}\\t.*" + QRegularExpression.escape(self._text)
        self.setFilterRegularExpression(
            QRegularExpression(pattern, QRegularExpression.PatternOption.DotMatchesEverythingOption)
        )
