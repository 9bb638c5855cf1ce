"""The task table's model: every task in compact columns, cells worked out for
the rows on screen, and the groups of the All / Active / Paused / Failed / Done
bar (canceled rows are under Failed: neither was uploaded, and both can be sent
again from there).

The engine owns the tasks. ``TaskFeed`` brings their snapshots off the GUI
thread; this model keeps of each task only what the table sorts, filters,
counts and selects by (``TaskRows``: about a hundred bytes a task), and the full
snapshots of a bounded set of rows: those shown, those running, those last
changed. A row whose snapshot is not at hand shows what its compact columns
tell, and its snapshot is read for it (a moment later: its tooltips and error).

Painting asks one ``multiData`` per cell, answered from a bounded cache of
cells, so a repaint makes one short call into Python per cell (ARCHITECTURE.md,
"Python models and the GIL"). ``TaskFilterProxy`` (``task_filter.py``) is what
the view shows: the same rows filtered and sorted. The whole design is told in
ARCHITECTURE.md, "The task table".
"""

from __future__ import annotations

import enum
import math
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from itertools import compress
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)

from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.task import CompactRow, HashProgress, RestingState, TaskSnapshot, TaskState
from cosdesk.engine.task_table_source import STATE_CODES, STATES
from cosdesk.engine.worker_pool import WorkerPool
from cosdesk.ui.background import run_in_background
from cosdesk.ui.queue_listening import listen
from cosdesk.ui.task_cells import (
    CELL_ROLES,
    Cells,
    Column,
    alignment_of,
    cell_value,
    compact_cells,
    display_name,
    message_text,
    paused_note,
    snapshot_cells,
)
from cosdesk.ui.task_feed import NewRows, Operation, Removal, TaskFeed
from cosdesk.ui.task_rows import (
    APPENDS,
    CHANGED_KEY,
    CHANGED_OTHER,
    CHANGED_STATE,
    HAS_RESULT,
    HAS_SOURCE,
    REMOVED,
    UNVERIFIED,
    TaskRows,
)

__all__ = [
    "FILTER_STATES",
    "Column",
    "TaskFacts",
    "TaskFilter",
    "TaskTableModel",
    "display_name",
    "key_matches",
    "paused_note",
]

AnyIndex = QModelIndex | QPersistentModelIndex

# What else an applied snapshot changed (beside TaskRows' CHANGED_* bits).
CHANGED_SPEED = 32  # speed or time left (of an uploading row)
CHANGED_MESSAGE = 64  # the Message column's text
CHANGED_HASHED = 128  # hashing progress of a checking row

# Full snapshots kept (the rows last changed or shown: a table this small keeps
# all of them), and rows of cells (a few screens' worth). A snapshot holds about
# six objects the garbage collector walks: 16,384 of them made a full collection
# of a million-row window's 0.26 s stall three times slower.
SNAPSHOT_CACHE = 4096
CELL_CACHE = 1024
# Up to this many tasks, a new search text is matched at once, on the GUI thread
# (a few milliseconds); beyond, on a worker while the table shows the last one.
SYNC_LIMIT = 20_000
# Distinct Message texts told apart when sorting by that column (more share one).
MESSAGE_TEXTS = 65_535

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)


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
    casefolded, as ``TaskTableModel.set_key_filter`` keeps it): part of its key."""
    return not key_filter or key_filter in key.casefold()


class TaskFacts(NamedTuple):
    """What the row commands need of a selected task, from the compact columns."""

    task_id: str
    key: str
    state: TaskState
    size: int | None
    loaded: int
    appends: bool


class SelectionSummary(NamedTuple):
    """What the selected rows allow (see ``task_actions.rule_for``)."""

    states: frozenset[TaskState]
    any_result: bool
    any_source: bool
    rows: int


class TaskTableModel(QAbstractTableModel):
    """One row per task, in the order the queue reported them (the rows of the
    last run first, as stored). Rows live in slots of ``rows`` (see
    ``task_rows.py``); ``TaskFilterProxy`` orders the same slots its own way."""

    # The number of tasks per state changed: dict[TaskState, int].
    counts_changed = Signal(dict)
    # The same, counting only the tasks whose key matches the search text (see
    # set_key_filter): what each filter tab would show. dict[TaskState, int].
    filter_counts_changed = Signal(dict)
    # For TaskFilterProxy, once the rows have changed (all on the GUI thread):
    # every slot is new (the stored tasks arrived, or the last task left).
    rows_replaced = Signal()
    # Slots first..last were added.
    slots_added = Signal(int, int)
    # Slots changed: dict[int, int], slot → CHANGED_* bits (an object: see
    # ARCHITECTURE.md, "Python models and the GIL").
    slots_changed = Signal(object)
    # Slots became tombstones: list[int].
    slots_removed = Signal(object)
    # matches() answers for a new search text.
    matches_changed = Signal()
    # Every row looks different (the palette changed).
    restyled = Signal()
    # The tasks stored by the last run are rows now, their ids indexed (once, at
    # start; at once when there was no database to read).
    stored_ready = Signal()

    def __init__(
        self, queue: UploadQueue, db_path: Path | None = None, parent: QObject | None = None
    ) -> None:
        """``db_path``: the task database, whose tasks the table shows before the
        queue has restored them (None: only what the queue reports)."""
        super().__init__(parent)
        self._queue = queue
        self.rows = TaskRows()
        self._live = array("i")  # row → slot, ascending
        self._snapshots: OrderedDict[int, TaskSnapshot] = OrderedDict()
        self._cells: OrderedDict[int, Cells] = OrderedDict()
        self._hashing: dict[int, float] = {}  # checking slot → fraction hashed
        # Uploading slot → bytes/s (None: not measured yet; sorted as 0).
        self._speeds: dict[int, float | None] = {}
        self._etas: dict[int, float] = {}  # uploading slot → seconds left
        self._message_ids = array("H")  # slot → index in _message_texts (0: none)
        self._message_texts: list[str] = [""]
        self._message_id_of: dict[str, int] = {"": 0}
        # The search text asked for, and the one ``_matches`` holds (they differ
        # while a worker matches a new text against a million keys).
        self._key_filter = ""
        self._active_filter = ""
        self._matches: bytearray | None = None  # slot → 1 if its key matches; None: no text
        self._rematch: set[int] = set()  # slots added or renamed while a worker matches
        self._matching = 0  # number of the newest match job (0: none running)
        self._filter_counts = [0] * len(STATES)
        self._display_wanted: set[int] = set()
        self._display_reading: dict[int, tuple[set[int], set[int]]] = {}  # request → (slots, touched)
        self._closed = False
        self._counts_dirty = False
        self._headers = [
            self.tr("Name"),
            self.tr("Key"),
            self.tr("Size"),
            self.tr("State"),
            self.tr("Progress"),
            self.tr("Speed"),
            self.tr("ETA"),
            self.tr("Message"),
        ]
        # Whole-table work (matching a search text, the proxy's rebuilds), one job
        # at a time and in order, below the GUI thread's priority.
        self.jobs = WorkerPool(self, background=True)
        self.jobs.setMaxThreadCount(1)
        self._display_timer = QTimer(self)
        self._display_timer.setSingleShot(True)
        self._display_timer.setInterval(0)
        self._display_timer.timeout.connect(self._read_for_display)
        self.feed = TaskFeed(
            queue, db_path, known_final=self._known_final, shown_idle=self._shown_idle, parent=self
        )
        self.feed.loaded.connect(self._adopt)
        self.feed.indexed.connect(self._display_timer.start)
        # The counts, once the stored tasks are known (none: no reset told them).
        self.feed.indexed.connect(self._emit_counts)
        self.feed.indexed.connect(self.stored_ready)
        self.feed.arrived.connect(self._apply)
        self.feed.slice_ended.connect(self._tell_counts)
        self.feed.displayed.connect(self._on_displayed)
        self.feed.hashed.connect(self._on_hashed)
        listen(self, queue.restored, self._on_restored)

    # --- Qt's model interface -------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._live)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(Column)

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._live):
            return None
        return cell_value(self.cells(self._live[index.row()]), index.column(), role)

    def multiData(self, index: AnyIndex, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """All the roles a delegate paints a cell with, in one call."""
        if index.isValid() and index.row() < len(self._live):
            fill(roleDataSpan, self.cells(self._live[index.row()]), index.column())

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation is not Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == _DISPLAY:
            return self._headers[section]
        if role == _ALIGNMENT:
            return alignment_of(section)
        return None

    # --- reading --------------------------------------------------------------------

    def slot_at(self, row: int) -> int:
        return self._live[row]

    def row_of_slot(self, slot: int) -> int | None:
        row = bisect_left(self._live, slot)
        return row if row < len(self._live) and self._live[row] == slot else None

    def row_of(self, task_id: str) -> int | None:
        slot = self.rows.find(task_id)
        return self.row_of_slot(slot) if self.rows.is_live(slot) else None

    def task_id_at(self, row: int) -> str:
        return self.rows.task_id(self._live[row])

    def snapshot_at(self, row: int) -> TaskSnapshot:
        """The full snapshot of a row: the one kept, else read from the queue now
        (and applied). For single-row commands and tests; raises LookupError when
        the queue does not know the task (yet)."""
        snapshot = self.snapshot_of_slot(self._live[row])
        if snapshot is None:
            raise LookupError(f"the queue does not know task {self.task_id_at(row)}")
        return snapshot

    def snapshot_of_slot(self, slot: int) -> TaskSnapshot | None:
        found = self.snapshots_of([slot])
        return found[0] if found else None

    def snapshot(self, task_id: str) -> TaskSnapshot | None:
        slot = self.rows.find(task_id)
        return self.snapshot_of_slot(slot) if self.rows.is_live(slot) else None

    def snapshots(self) -> list[TaskSnapshot]:
        """Every row's full snapshot, in row order (see ``snapshots_of``)."""
        return self.snapshots_of(self._live)

    def snapshots_of(self, slots: Iterable[int]) -> list[TaskSnapshot]:
        """Full snapshots of live slots: those kept, the others read from the queue
        now and applied (one update for all). For the commands that need more than
        the compact columns (copying URLs, opening a folder) and for tests: it may
        wait on the queue's lock. Tasks the queue does not know (yet) are left out."""
        wanted = [slot for slot in slots if self.rows.is_live(slot)]
        found = {slot: self._snapshots[slot] for slot in wanted if slot in self._snapshots}
        missing = [slot for slot in wanted if slot not in found]
        if missing:
            slot_of = dict(zip(self.task_ids_of(missing), missing, strict=True))
            read = self._queue.snapshots_of(slot_of)
            self._apply(list[Operation](read))
            self._tell_counts()
            found.update((slot_of[snap.task_id], snap) for snap in read)
        return [found[slot] for slot in wanted if slot in found]

    def counts(self) -> dict[TaskState, int]:
        return self.rows.counts_by_state()

    def filter_counts(self) -> dict[TaskState, int]:
        """Tasks per state among those whose key matches the search text."""
        if self._matches is None:
            return self.counts()
        return {STATES[code]: number for code, number in enumerate(self._filter_counts) if number}

    def matches(self, slot: int) -> bool:
        """Whether a slot's key matches the search text (always, without one)."""
        return self._matches is None or bool(self._matches[slot])

    @property
    def active_key_filter(self) -> str:
        """The search text ``match_column`` is of, case-folded ("" for none)."""
        return self._active_filter

    @property
    def match_column(self) -> bytearray | None:
        """``matches`` for every slot at once (1 or 0), None without a search text."""
        return self._matches

    def speed(self, slot: int) -> float:
        return self._speeds.get(slot) or 0.0

    def eta(self, slot: int) -> float:
        return self._etas.get(slot, math.inf)

    def speeds(self) -> dict[int, float]:
        """Bytes/s of every uploading slot (a copy)."""
        return {slot: speed or 0.0 for slot, speed in self._speeds.items()}

    def etas(self) -> dict[int, float]:
        """Seconds left of every uploading slot (a copy)."""
        return dict(self._etas)

    def message_texts(self) -> Callable[[int], str]:
        """Slot → the Message column's text as last applied ("" for none), for
        sorting; bound to this moment's columns (see ``TaskFilterProxy``)."""
        texts, ids = self._message_texts, self._message_ids
        return lambda slot: texts[ids[slot]]

    def is_settled(self) -> bool:
        """No queued work left to apply (tests wait on it)."""
        return self.feed.is_settled() and not self._matching and not self._display_reading

    def cells(self, slot: int) -> Cells:
        """What each column of a slot's row shows (see ``task_cells.py``)."""
        cells = self._cells.get(slot)
        if cells is not None:
            self._cells.move_to_end(slot)
            return cells
        rows = self.rows
        state = rows.state(slot)
        if state is None:  # a tombstone the view has not been told of yet, or unknown
            return _EMPTY_CELLS
        snapshot = self._snapshots.get(slot)
        if snapshot is not None:
            cells = snapshot_cells(snapshot, self._hashing.get(slot))
        else:
            cells = compact_cells(
                rows.key(slot),
                state,
                rows.sizes[slot],
                rows.progress(slot),
                unverified=bool(rows.flags[slot] & UNVERIFIED),
                hashed=self._hashing.get(slot),
            )
            self._display_wanted.add(slot)
            self._display_timer.start()
        self._cells[slot] = cells
        if len(self._cells) > CELL_CACHE:
            self._cells.popitem(last=False)
        return cells

    # --- the selection's commands ----------------------------------------------------

    def unfinished_of(self, slots: Iterable[int]) -> list[int]:
        """Those of ``slots`` whose row is neither done nor canceled (nor removed)."""
        states = self.rows.states
        return [slot for slot in slots if states[slot] in _UNFINISHED_CODES]

    def started_of(self, slots: Iterable[int]) -> list[TaskFacts]:
        """The facts of those of ``slots`` that have bytes on the server."""
        sent = self.rows.sent
        return self.facts_of(slot for slot in slots if sent[slot] > 0)

    def task_ids_of(self, slots: Iterable[int]) -> list[str]:
        task_id = self.rows.task_id
        return [task_id(slot) for slot in slots]

    def summary_of(self, slots: Sequence[int]) -> SelectionSummary:
        """What the row commands need to know of a selection, however large."""
        rows = self.rows
        codes = set(map(rows.states.__getitem__, slots))
        flags = 0
        for flag in set(map(rows.flags.__getitem__, slots)):
            flags |= flag
        states = frozenset(STATES[code] for code in codes if code < len(STATES))
        return SelectionSummary(states, bool(flags & HAS_RESULT), bool(flags & HAS_SOURCE), len(slots))

    def facts_of(self, slots: Iterable[int]) -> list[TaskFacts]:
        rows = self.rows
        facts = []
        for slot in slots:
            state = rows.state(slot)
            if state is not None:
                size = rows.sizes[slot]
                facts.append(
                    TaskFacts(
                        rows.task_id(slot),
                        rows.key(slot),
                        state,
                        None if size < 0 else size,
                        rows.sent[slot],
                        bool(rows.flags[slot] & APPENDS),
                    )
                )
        return facts

    # --- the search text ---------------------------------------------------------------

    @Slot(str)
    def set_key_filter(self, text: str) -> None:
        """The search text changed: match every key against it, then count again
        what each tab would show (``matches_changed``, ``filter_counts_changed``)."""
        key_filter = text.strip().casefold()
        if key_filter == self._key_filter:
            return
        self._key_filter = key_filter
        count = self.rows.slot_count
        if not key_filter or count <= SYNC_LIMIT:
            self._matching = 0
            self._rematch.clear()
            self._use_matches(
                key_filter, _match_keys(self.rows, key_filter, 0, count) if key_filter else None
            )
            return
        self._matching += 1
        number = self._matching
        self._rematch.clear()
        rows = self.rows
        run_in_background(
            self.jobs,
            self,
            lambda: (number, rows, key_filter, _match_keys(rows, key_filter, 0, count)),
            self._on_matched,
        )

    @Slot(object)
    def _on_matched(self, outcome: object) -> None:
        if not isinstance(outcome, tuple):  # the worker failed (logged): match here
            self._matching = 0
            self._rematch.clear()
            self._use_matches(
                self._key_filter, _match_keys(self.rows, self._key_filter, 0, self.rows.slot_count)
            )
            return
        number, rows, key_filter, matches = outcome
        if number != self._matching or rows is not self.rows:
            return  # a newer text (or other rows) came since
        self._matching = 0
        for slot in self._rematch:
            if slot < len(matches):
                matches[slot] = key_matches(rows.key(slot), key_filter)
        self._rematch.clear()
        matches += _match_keys(rows, key_filter, len(matches), rows.slot_count)
        self._use_matches(key_filter, matches)

    def _use_matches(self, key_filter: str, matches: bytearray | None) -> None:
        self._active_filter = key_filter
        self._matches = matches
        self._recount_filtered()
        self.matches_changed.emit()
        self.filter_counts_changed.emit(self.filter_counts())

    def _recount_filtered(self) -> None:
        if self._matches is None:
            self._filter_counts = list(self.rows.counts)
            return
        matching = bytes(compress(self.rows.states, self._matches))
        self._filter_counts = [matching.count(code) for code in range(len(STATES))]

    # --- applying what the feed brings -------------------------------------------------

    def _known_final(self, task_id: str) -> bool:
        # On the feed's worker: a read of a few array items (see TaskFeed).
        rows = self.rows
        slot = rows.find(task_id)
        return slot >= 0 and rows.states[slot] in _FINAL_CODES

    def _shown_idle(self, task_id: str) -> bool:
        # On the feed's worker, as _known_final; _take checks again in order.
        rows = self.rows
        slot = rows.find(task_id)
        return slot >= 0 and rows.states[slot] in _IDLE_CODES

    @Slot(object)
    def _adopt(self, stored: object) -> None:
        """The stored tasks arrived (before any queue event is applied)."""
        if not isinstance(stored, TaskRows) or not stored.live or self.rows.slot_count:
            return
        self.beginResetModel()
        self.rows = stored
        self._live = array("i", range(stored.slot_count))
        self._message_ids = array("H", bytes(2 * stored.slot_count))
        self._matches = (
            _match_keys(stored, self._active_filter, 0, stored.slot_count) if self._active_filter else None
        )
        self._recount_filtered()
        self.endResetModel()
        self.rows_replaced.emit()
        self._emit_counts()

    @Slot(object)
    def _apply(self, operations: list[Operation]) -> None:
        """Apply the feed's operations in order (the counts are told at the end of
        the feed's slice: ``_tell_counts``)."""
        first_new = self.rows.slot_count
        changed: dict[int, int] = {}
        for operation in operations:
            if isinstance(operation, Removal):
                self._flush(first_new, changed)
                self._remove(operation.task_ids)
                first_new, changed = self.rows.slot_count, {}
                self._counts_dirty = True
                continue
            if isinstance(operation, NewRows):
                self._take_new(operation.rows)
                continue
            if isinstance(operation, RestingState):
                slot, bits = self._take_state(operation)
            else:
                slot, bits = self._take(operation, first_new)
            if bits:
                changed[slot] = bits
                self._counts_dirty = self._counts_dirty or bool(bits & CHANGED_STATE)
        if self._flush(first_new, changed):
            self._counts_dirty = True

    @Slot()
    def _tell_counts(self) -> None:
        if self._counts_dirty:
            self._counts_dirty = False
            self._emit_counts()

    def _take(self, snapshot: TaskSnapshot | CompactRow, first_new: int) -> tuple[int, int]:
        """Apply one snapshot (or compact row) to the rows and caches; returns its
        slot and what changed (0 for a slot added in this batch: ``_flush``
        announces it)."""
        rows = self.rows
        slot = rows.find(snapshot.task_id)
        if slot < 0:
            (slot,) = self._take_new([snapshot])
            if isinstance(snapshot, CompactRow):
                return slot, 0  # a new slot has nothing cached to forget, nothing extra
            bits = 0
        elif rows.states[slot] == REMOVED:
            return slot, 0
        else:
            old_code = rows.states[slot]
            bits = rows.update(slot, snapshot) | CHANGED_OTHER
            if self._matches is not None:
                was = self._matches[slot]
                now = key_matches(snapshot.key, self._active_filter) if bits & CHANGED_KEY else was
                self._matches[slot] = now
                self._filter_counts[old_code] -= was
                self._filter_counts[rows.states[slot]] += now
            if bits & CHANGED_KEY and self._matching:
                self._rematch.add(slot)
        for touched in self._display_reading.values():
            touched[1].add(slot)
        if isinstance(snapshot, CompactRow):
            # All it has to show is in the columns now; a row the view shows is
            # read whole, as a restored one is (``cells``).
            bits |= self._take_no_extras(slot)
            self._snapshots.pop(slot, None)
        else:
            bits |= self._take_extras(slot, snapshot)
            self._snapshots[slot] = snapshot
            self._snapshots.move_to_end(slot)
            if len(self._snapshots) > SNAPSHOT_CACHE:
                self._snapshots.popitem(last=False)
        self._cells.pop(slot, None)
        return slot, (bits if slot < first_new else 0)

    def _take_new(self, new_rows: Sequence[TaskSnapshot | CompactRow]) -> range:
        """Slots for tasks the rows do not hold yet (``_flush`` announces them),
        with their filter marks; returns them."""
        slots = self.rows.extend(new_rows)
        self._message_ids.frombytes(bytes(2 * len(slots)))
        if self._matches is not None:
            for row in new_rows:
                match = key_matches(row.key, self._active_filter)
                self._matches.append(match)
                if match:
                    self._filter_counts[STATE_CODES[row.state]] += 1
        if self._matching:
            self._rematch.update(slots)
        return slots

    def _take_state(self, change: RestingState) -> tuple[int, int]:
        """Apply a waiting/paused flip of a row shown as waiting or paused; a row
        shown otherwise by now (a later change applied first) is read again."""
        rows = self.rows
        slot = rows.find(change.task_id)
        if slot < 0 or rows.states[slot] == REMOVED:
            return slot, 0
        old_code = rows.states[slot]
        if old_code not in _IDLE_CODES:
            self.feed.read_again([change.task_id])
            return slot, 0
        bits = rows.update_figures(slot, change.state, change.size, change.loaded)
        if self._matches is not None and self._matches[slot]:
            self._filter_counts[old_code] -= 1
            self._filter_counts[rows.states[slot]] += 1
        for touched in self._display_reading.values():
            touched[1].add(slot)
        self._snapshots.pop(slot, None)
        self._cells.pop(slot, None)
        return slot, bits | CHANGED_OTHER

    def _take_extras(self, slot: int, snapshot: TaskSnapshot) -> int:
        """Speed, time left, hashing and the Message text: what only some rows have."""
        bits = 0
        if snapshot.state is TaskState.UPLOADING:
            eta = math.inf if snapshot.eta_s is None else snapshot.eta_s
            if (
                slot not in self._speeds
                or self._speeds[slot] != snapshot.speed
                or self._etas.get(slot) != eta
            ):
                self._speeds[slot] = snapshot.speed
                self._etas[slot] = eta
                bits |= CHANGED_SPEED
        elif slot in self._speeds:
            del self._speeds[slot]
            self._etas.pop(slot, None)
            bits |= CHANGED_SPEED
        if snapshot.state is not TaskState.CHECKING and self._hashing.pop(slot, None) is not None:
            bits |= CHANGED_HASHED
        shown = message_text(snapshot) if snapshot.error or snapshot.note or _has_note(snapshot) else ""
        message_id = self._message_id_of.get(shown)
        if message_id is None:
            message_id = len(self._message_texts) if len(self._message_texts) < MESSAGE_TEXTS else 0
            if message_id:
                self._message_texts.append(shown)
                self._message_id_of[shown] = message_id
        if self._message_ids[slot] != message_id:
            self._message_ids[slot] = message_id
            bits |= CHANGED_MESSAGE
        return bits

    def _take_no_extras(self, slot: int) -> int:
        """A compact row's task has no speed, hashing or Error text."""
        bits = 0
        if slot in self._speeds:
            del self._speeds[slot]
            self._etas.pop(slot, None)
            bits |= CHANGED_SPEED
        if self._hashing.pop(slot, None) is not None:
            bits |= CHANGED_HASHED
        if self._message_ids[slot]:
            self._message_ids[slot] = 0
            bits |= CHANGED_MESSAGE
        return bits

    def _flush(self, first_new: int, changed: dict[int, int]) -> bool:
        """Tell the views of the slots added since ``first_new`` and of those in
        ``changed``; returns whether any slot was added."""
        added = self.rows.slot_count > first_new
        if added:
            last = self.rows.slot_count - 1
            row = len(self._live)
            self.beginInsertRows(QModelIndex(), row, row + last - first_new)
            self._live.extend(range(first_new, last + 1))
            self.endInsertRows()
            self.slots_added.emit(first_new, last)
        if changed:
            rows = [row for row in map(self.row_of_slot, (min(changed), max(changed))) if row is not None]
            if rows:
                self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(Column) - 1))
            self.slots_changed.emit(changed)
        return added

    def _remove(self, task_ids: list[str]) -> None:
        rows = self.rows
        slots = sorted({slot for slot in map(rows.find, task_ids) if rows.is_live(slot)})
        if not slots:
            return
        if len(slots) == rows.live:
            self._clear()
            return
        places = [row for row in map(self.row_of_slot, slots) if row is not None]
        ranges = _runs(places)
        if len(ranges) > 50:
            # Many scattered rows: one reset is cheaper than hundreds of removals.
            self.beginResetModel()
            self._tombstone(slots)
            self.endResetModel()
        else:
            for first, last in reversed(ranges):
                self.beginRemoveRows(QModelIndex(), first, last)
                del self._live[first : last + 1]
                self.endRemoveRows()
            self._tombstone(slots, live_done=True)
        self.slots_removed.emit(slots)

    def _tombstone(self, slots: list[int], *, live_done: bool = False) -> None:
        rows = self.rows
        for slot in slots:
            if self._matches is not None and self._matches[slot]:
                self._filter_counts[rows.states[slot]] -= 1
            rows.remove(slot)
            self._snapshots.pop(slot, None)
            self._cells.pop(slot, None)
            self._hashing.pop(slot, None)
            self._speeds.pop(slot, None)
            self._etas.pop(slot, None)
        if not live_done:
            self._live = array("i", compress(range(rows.slot_count), rows.states.translate(_IS_LIVE)))

    def _clear(self) -> None:
        """The last task left: start again from slot 0."""
        self.beginResetModel()
        self.rows = TaskRows()
        self._live = array("i")
        self._message_ids = array("H")
        self._snapshots.clear()
        self._cells.clear()
        self._hashing.clear()
        self._speeds.clear()
        self._etas.clear()
        self._rematch.clear()
        self._display_wanted.clear()  # reads under way find their tasks gone: nothing applies
        if self._matches is not None:
            self._matches = bytearray()
        self._filter_counts = [0] * len(STATES)
        self.endResetModel()
        self.rows_replaced.emit()

    def _emit_counts(self) -> None:
        if self._matches is None:
            self._filter_counts = list(self.rows.counts)
        self.counts_changed.emit(self.counts())
        self.filter_counts_changed.emit(self.filter_counts())

    @Slot(object)
    def _on_hashed(self, progress: HashProgress) -> None:
        # Kept even if the row does not say checking yet (its snapshot is on the
        # way); shown only while it does.
        slot = self.rows.find(progress.task_id)
        if not self.rows.is_live(slot):
            return
        self._hashing[slot] = progress.percent
        self._cells.pop(slot, None)
        row = self.row_of_slot(slot)
        if row is not None:
            self.dataChanged.emit(self.index(row, Column.PROGRESS), self.index(row, Column.PROGRESS))
        self.slots_changed.emit({slot: CHANGED_HASHED})

    @Slot(list)
    def _on_restored(self, _unfinished: list[str]) -> None:
        # Rows shown before the queue knew their tasks: read them again now.
        stale = [slot for slot in self._cells if slot not in self._snapshots]
        for slot in stale:
            del self._cells[slot]
        if stale:
            self.slots_changed.emit(dict.fromkeys(stale, CHANGED_OTHER))

    # --- reading the snapshots of rows on screen ---------------------------------------

    @Slot()
    def _read_for_display(self) -> None:
        if not self.rows.indexed:
            return  # once the ids are indexed (the feed starts this again then)
        reading = set().union(*(slots for slots, _ in self._display_reading.values()))
        slots = {
            slot
            for slot in self._display_wanted
            if slot not in reading and slot not in self._snapshots and self.rows.is_live(slot)
        }
        self._display_wanted.clear()
        if not slots or self._closed:
            return
        number = self.feed.read_for_display(self.task_ids_of(slots))
        self._display_reading[number] = (slots, set())

    @Slot(int, object)
    def _on_displayed(self, number: int, snapshots: list[TaskSnapshot]) -> None:
        _slots, touched = self._display_reading.pop(number, (set(), set()))
        # Only rows no newer snapshot reached meanwhile: the feed's are newer.
        fresh = [snap for snap in snapshots if self.rows.find(snap.task_id) not in touched]
        if fresh:
            self._apply([snap for snap in fresh if self.rows.is_live(self.rows.find(snap.task_id))])
            self._tell_counts()

    # --- the window's life ----------------------------------------------------------

    def restyle(self) -> None:
        """Draw every row's state icon and progress bar again (after a palette change)."""
        self._cells.clear()
        if self._live:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._live) - 1, len(Column) - 1))
        self.restyled.emit()

    def shutdown(self) -> None:
        """Stop reading and wait for the workers (the window calls this on close)."""
        self._closed = True
        self._display_timer.stop()
        self.feed.shutdown()
        self.jobs.waitForDone(5000)


def fill(span: QModelRoleDataSpan | QModelRoleData, cells: Cells, column: int) -> None:
    """Answer a ``multiData`` request for a row's cell in ``column``. Only the
    roles a cell can have are touched: the others were never set, so they stay
    empty (a delegate reuses its request for every cell it paints); the fewer
    calls here, the shorter a repaint (ARCHITECTURE.md, "Python models and the GIL")."""
    for role_data in (span,) if isinstance(span, QModelRoleData) else span:  # type: ignore[union-attr]
        role = role_data.role()
        if role in CELL_ROLES:
            value = cell_value(cells, column, role)
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)


def _match_keys(rows: TaskRows, key_filter: str, first: int, end: int) -> bytearray:
    """1 for each slot in first..end-1 whose key contains ``key_filter`` (casefolded)."""
    key = rows.key
    return bytearray(key_filter in key(slot).casefold() for slot in range(first, end))


def _has_note(snapshot: TaskSnapshot) -> bool:
    return bool(snapshot.dropped_bytes or snapshot.resent_bytes or snapshot.retry_delay_s is not None)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers → (first, last) runs."""
    ranges: list[tuple[int, int]] = []
    for row in rows:
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges


_FINAL_CODES = frozenset(STATE_CODES[state] for state in TaskState if state.is_final)
_IDLE_CODES = frozenset({STATE_CODES[TaskState.WAITING], STATE_CODES[TaskState.PAUSED]})
_UNFINISHED_CODES = frozenset(code for state, code in STATE_CODES.items() if not state.is_final)
_IS_LIVE = bytes(int(code != REMOVED) for code in range(256))
_EMPTY_CELLS: Cells = tuple({} for _ in Column)
