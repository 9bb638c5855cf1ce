"""What the task table shows: the model's rows in one of the filter bar's groups,
narrowed by the search text, in the order of the column sorted by (queue order
when none).

The rows are an array of slots (``task_rows.py``) kept sorted by a total order:
the sort column's key, then the slot. So the row of any slot is found by
bisection, and one task's change moves one row. Keys and filters are read from
the model's compact columns, never from cells: no call into Python per row.

Many changes at once (a tab chosen, a column sorted, thousands of tasks changing
together) rebuild the array: at once when it is cheap (queue order, or up to
``SYNC_LIMIT`` rows), else on a worker while the last order stays on screen; the
rows changed meanwhile are then put in place one by one, or the rebuild runs
again a moment later.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from itertools import compress
from typing import Any, TypeAlias

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Slot,
)

from cosdesk.engine.natural_order import natural_order
from cosdesk.engine.task import TaskState
from cosdesk.engine.task_table_source import STATE_CODES
from cosdesk.ui.background import run_in_background
from cosdesk.ui.task_cells import Column, cell_value, name_of_key
from cosdesk.ui.task_model import (
    CHANGED_MESSAGE,
    CHANGED_SPEED,
    FILTER_STATES,
    SYNC_LIMIT,
    TaskFilter,
    TaskTableModel,
    fill,
)
from cosdesk.ui.task_rows import (
    CHANGED_KEY,
    CHANGED_SENT,
    CHANGED_SIZE,
    CHANGED_STATE,
    REMOVED,
    TaskRows,
)

AnyIndex = QModelIndex | QPersistentModelIndex
# Slots in order, and (when sorted) every slot's sort key.
Order: TypeAlias = "tuple[array[int], array[float] | None]"
# What a text column sorts by: the text, or a name's natural order (task_cells.py).
TextKey: TypeAlias = "str | tuple[str | int, ...]"

# Rows put in place one by one per batch of changes; beyond, the order is rebuilt.
INCREMENTAL_LIMIT = 100
# A rebuild on a worker waits this long for more changes to come with it.
REBUILD_DELAY_MS = 300
# Rows added below what the view shows are inserted together at most this
# often: every insertion makes the view repaint all it shows.
TAIL_DELAY_MS = 250

# What a sort column's order depends on (TaskRows' and the model's CHANGED_* bits).
_SORTED_BY: dict[int, int] = {
    Column.NAME: CHANGED_KEY,
    Column.KEY: CHANGED_KEY,
    Column.SIZE: CHANGED_SIZE,
    Column.STATE: CHANGED_STATE,
    Column.PROGRESS: CHANGED_STATE | CHANGED_SIZE | CHANGED_SENT,
    Column.SPEED: CHANGED_SPEED,
    Column.ETA: CHANGED_SPEED,
    Column.MESSAGE: CHANGED_MESSAGE,
}
# Columns sorted by text: a slot's key is its rank, and a new slot is placed by
# comparing texts, then given a rank between its neighbours'.
_TEXT_COLUMNS = frozenset({Column.NAME, Column.KEY, Column.MESSAGE})


@dataclass(frozen=True)
class Layout:
    """Which rows show, in which order."""

    task_filter: TaskFilter = TaskFilter.ALL
    column: int = -1  # -1: queue order
    descending: bool = False


class TaskFilterProxy(QAbstractTableModel):
    """The rows the table view shows (see the module's docstring). Not a Qt proxy
    model: its rows map to the model's by slot, and ``mapToSource`` /
    ``mapFromSource`` say so for the few callers that need the model's rows."""

    def __init__(self, model: TaskTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        # What the rows follow now, and what was asked for (they differ while a
        # rebuild runs on a worker).
        self._shown = Layout()
        self._wanted = Layout()
        self._order = array("i")  # ascending by (key, slot); by slot in queue order
        self._keys: array[float] | None = None  # slot → its key when placed (sorted only)
        self._watched = range(0)  # the rows on screen
        self._watched_slots: set[int] = set()
        self._rebuilding = 0  # number of the newest rebuild on a worker (0: none)
        self._changed_while_rebuilding: set[int] = set()
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(REBUILD_DELAY_MS)
        self._rebuild_timer.timeout.connect(self._rebuild)
        self._tail = array("i")  # slots added at the end, not inserted yet
        self._tail_timer = QTimer(self)
        self._tail_timer.setSingleShot(True)
        self._tail_timer.setInterval(TAIL_DELAY_MS)
        self._tail_timer.timeout.connect(self._flush_tail)
        model.rows_replaced.connect(self._on_rows_replaced)
        model.slots_added.connect(self._on_added)
        model.slots_changed.connect(self._on_changed)
        model.slots_removed.connect(self._on_removed)
        model.matches_changed.connect(self._rebuild)
        model.restyled.connect(self._on_restyled)
        self._rebuild()

    # --- Qt's model interface -------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(Column)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._order):
            return None
        return cell_value(self._model.cells(self.slot_at(index.row())), index.column(), role)

    def multiData(self, index: AnyIndex, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """All the roles a delegate paints a cell with, in one call into Python."""
        if index.isValid() and index.row() < len(self._order):
            fill(roleDataSpan, self._model.cells(self.slot_at(index.row())), index.column())

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return self._model.headerData(section, orientation, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column`` (-1: queue order), as the view's header asks."""
        column = column if 0 <= column < len(Column) else -1
        descending = order is Qt.SortOrder.DescendingOrder and column >= 0
        wanted = replace(self._wanted, column=column, descending=descending)
        if wanted == self._wanted:
            return
        self._flush_tail()
        only_reversed = self.is_settled() and wanted == replace(self._shown, descending=descending)
        self._wanted = wanted
        if only_reversed:
            self._reverse()
        else:
            self._rebuild()

    def _reverse(self) -> None:
        """The same rows read from the other end."""
        self.layoutAboutToBeChanged.emit()
        moved = self.persistentIndexList()
        slots = [self.slot_at(index.row()) for index in moved]
        self._shown = self._wanted
        after = [
            self.index(self._row_of_slot(slot), index.column())
            for slot, index in zip(slots, moved, strict=True)
        ]
        self.changePersistentIndexList(moved, after)
        self.layoutChanged.emit()

    # --- the filter bar ---------------------------------------------------------------

    def task_filter(self) -> TaskFilter:
        return self._wanted.task_filter

    def set_task_filter(self, task_filter: TaskFilter) -> None:
        self._flush_tail()
        if task_filter != self._wanted.task_filter:
            self._wanted = replace(self._wanted, task_filter=task_filter)
            self._rebuild()

    def set_text(self, text: str) -> None:
        """Show only the rows whose key holds ``text`` (the model matches it)."""
        self._model.set_key_filter(text)

    def key_filter(self) -> str:
        """The search text the rows match (case-folded, "" for none)."""
        return self._model.active_key_filter

    def is_settled(self) -> bool:
        """No rebuild due or under way and no row waiting to be added: the rows
        are those asked for, in the order asked for."""
        pending = self._rebuilding or self._rebuild_timer.isActive() or self._tail
        return not pending and self._shown == self._wanted

    # --- rows and slots ----------------------------------------------------------------

    def slot_at(self, row: int) -> int:
        return self._order[len(self._order) - 1 - row if self._shown.descending else row]

    def task_id_at(self, row: int) -> str:
        return self._model.rows.task_id(self.slot_at(row))

    def row_of_slot(self, slot: int) -> int | None:
        row = self._row_of_slot(slot)
        return None if row < 0 else row

    def mapToSource(self, index: AnyIndex) -> QModelIndex:
        """The model's index of the same task and column."""
        if not index.isValid():
            return QModelIndex()
        row = self._model.row_of_slot(self.slot_at(index.row()))
        return QModelIndex() if row is None else self._model.index(row, index.column())

    def mapFromSource(self, index: AnyIndex) -> QModelIndex:
        """This model's index of the model's ``index`` (invalid when filtered out)."""
        if not index.isValid():
            return QModelIndex()
        row = self._row_of_slot(self._model.slot_at(index.row()))
        return QModelIndex() if row < 0 else self.index(row, index.column())

    def slots_in(self, selection: QItemSelection) -> array[int]:
        """The slots of the rows a selection covers (each once), however many."""
        picked = array("i")
        spans = {(selection.at(n).top(), selection.at(n).bottom()) for n in range(selection.size())}
        count = len(self._order)
        for first, last in sorted(spans):
            if self._shown.descending:
                picked.extend(reversed(self._order[count - 1 - last : count - first]))
            else:
                picked.extend(self._order[first : last + 1])
        return array("i", dict.fromkeys(picked)) if len(spans) > 1 else picked

    def watch_rows(self, first: int, last: int) -> None:
        """The view shows rows first..last: their changes are repainted (others' are not)."""
        watched_before = self._watched_slots
        self._watched = range(max(0, first), max(0, last + 1))
        if self._tail and len(self._order) < self._watched.stop:
            self._flush_tail()  # the view reached the rows still to be added
        self._refresh_watched()
        # Rows newly watched may have changed while they were not: rows added at the
        # end are painted as they come, and their next changes, in the same slice of
        # the feed, came before the view said it shows them (a finished drop's last
        # rows kept saying "Waiting"). They are repainted now.
        count = len(self._order)
        newly = [row for row in self._watched if row < count and self.slot_at(row) not in watched_before]
        if newly:
            self.dataChanged.emit(self.index(min(newly), 0), self.index(max(newly), len(Column) - 1))

    # --- following the model -------------------------------------------------------------

    @Slot(int, int)
    def _on_added(self, first: int, last: int) -> None:
        if self._keys is not None:  # every slot has a key, placed or not
            self._keys.extend(array("d", [0.0]) * (last + 1 - len(self._keys)))
        if self._rebuilding:
            self._changed_while_rebuilding.update(range(first, last + 1))
        added = [slot for slot in range(first, last + 1) if self._passes(slot)]
        if not added:
            return
        if self._keys is None:  # queue order: new slots come last
            self._tail.extend(added)
            if len(self._order) < self._watched.stop:
                self._flush_tail()  # on screen: at once
            elif not self._tail_timer.isActive():
                self._tail_timer.start()
            return
        if len(added) > INCREMENTAL_LIMIT:
            self._rebuild_soon()  # off screen until then
        else:
            for slot in added:
                self._place(slot)
        self._refresh_watched()

    @Slot()
    def _on_rows_replaced(self) -> None:
        self._tail = array("i")  # slots of the rows replaced
        self._rebuild()

    @Slot()
    def _flush_tail(self) -> None:
        """Insert the rows added at the end since the last insertion."""
        self._tail_timer.stop()
        if not self._tail:
            return
        tail, self._tail = self._tail, array("i")
        count = len(self._order)
        self.beginInsertRows(QModelIndex(), count, count + len(tail) - 1)
        self._order.extend(tail)
        self.endInsertRows()
        self._refresh_watched()

    @Slot(object)
    def _on_changed(self, changed: dict[int, int]) -> None:
        if self._rebuilding:
            self._changed_while_rebuilding.update(changed)
        relevant = self._relevant_changes()
        moving = [slot for slot, bits in changed.items() if bits & relevant]
        if moving:
            self._flush_tail()  # rows still to be added may have to move
        if len(moving) > INCREMENTAL_LIMIT:
            if self._keys is None:
                self._rebuild()  # queue order: fast whatever the count
            else:
                self._rebuild_soon()
        elif moving:
            for slot in moving:
                self._place(slot)
            self._refresh_watched()
        for slot in self._watched_slots.intersection(changed):
            row = self._row_of_slot(slot)
            if row >= 0:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    @Slot(object)
    def _on_removed(self, slots: list[int]) -> None:
        self._flush_tail()
        if self._rebuilding:
            self._changed_while_rebuilding.update(slots)
        places = sorted(index for index in map(self._index_of, slots) if index >= 0)
        if not places:
            return
        if len(places) > INCREMENTAL_LIMIT:
            self.beginResetModel()
            live = bytes(map(self._model.rows.states.__getitem__, self._order)).translate(_LIVE)
            self._order = array("i", compress(self._order, live))
            self.endResetModel()
        else:
            for index in reversed(places):
                row = self._row_of_index(index)
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._order[index]
                self.endRemoveRows()
        self._refresh_watched()

    @Slot()
    def _on_restyled(self) -> None:
        if self._order:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._order) - 1, len(Column) - 1))

    # --- placing one slot -------------------------------------------------------------

    def _passes(self, slot: int) -> bool:
        code = self._model.rows.states[slot]
        if code == REMOVED:
            return False
        states = FILTER_STATES[self._shown.task_filter]
        if states is not None and code not in _codes(states):
            return False
        return self._model.matches(slot)

    def _relevant_changes(self) -> int:
        bits = 0
        if FILTER_STATES[self._shown.task_filter] is not None:
            bits |= CHANGED_STATE
        if self._model.match_column is not None:
            bits |= CHANGED_KEY
        if self._keys is not None:
            bits |= _SORTED_BY[self._shown.column]
        return bits

    def _index_of(self, slot: int) -> int:
        """Where ``slot`` is in the order array, or -1."""
        order = self._order
        if self._keys is None:
            index = bisect_left(order, slot)
        else:
            keys = self._keys
            index = bisect_left(order, (keys[slot], slot), key=lambda other: (keys[other], other))
        return index if index < len(order) and order[index] == slot else -1

    def _row_of_index(self, index: int) -> int:
        return len(self._order) - 1 - index if self._shown.descending else index

    def _row_of_slot(self, slot: int) -> int:
        index = self._index_of(slot)
        return -1 if index < 0 else self._row_of_index(index)

    def _place(self, slot: int) -> None:
        """Put one slot where it belongs now (or take it out), telling the view."""
        old = self._index_of(slot)
        placed = self._position(slot, skip=old) if self._passes(slot) else None
        if placed is None:
            if old >= 0:  # filtered out (or off screen until a rebuild)
                row = self._row_of_index(old)
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._order[old]
                self.endRemoveRows()
            return
        index, key = placed
        count = len(self._order)
        if old < 0:
            row = count - index if self._shown.descending else index
            self.beginInsertRows(QModelIndex(), row, row)
            if self._keys is not None:
                self._keys[slot] = key
            self._order.insert(index, slot)
            self.endInsertRows()
        elif index == old:
            if self._keys is not None:
                self._keys[slot] = key
        else:
            source = self._row_of_index(old)
            target = count - 1 - index if self._shown.descending else index
            destination = target if target < source else target + 1
            self.beginMoveRows(QModelIndex(), source, source, QModelIndex(), destination)
            del self._order[old]
            assert self._keys is not None  # queue order never moves a row
            self._keys[slot] = key
            self._order.insert(index, slot)
            self.endMoveRows()

    def _position(self, slot: int, skip: int) -> tuple[int, float] | None:
        """Where ``slot`` goes in the order array once taken out of index ``skip``
        (-1: not in it), and its key there. None when it cannot be placed now (a
        rebuild is then due)."""
        order = self._order
        keys = self._keys
        if keys is None:
            return (skip if skip >= 0 else bisect_left(order, slot)), 0.0
        column = self._shown.column
        if column not in _TEXT_COLUMNS:
            key = _key_function(self._model, column)(slot)
            return _insertion(order, (key, slot), lambda other: (keys[other], other), skip), key
        text_of = _text_key(self._model, column)
        index = _insertion(order, (text_of(slot), slot), lambda other: (text_of(other), other), skip)
        lower, upper = _neighbour_keys(order, keys, index, skip)
        if lower is None:
            return index, 0.0 if upper is None else upper - 1.0
        if upper is None:
            return index, lower + 1.0
        middle = (lower + upper) / 2
        if not lower < middle < upper:  # no room left between the two ranks
            self._rebuild_soon()
            return None
        return index, middle

    def _refresh_watched(self) -> None:
        count = len(self._order)
        self._watched_slots = {self.slot_at(row) for row in self._watched if row < count}

    # --- rebuilding ----------------------------------------------------------------------

    def _rebuild_soon(self) -> None:
        if not self._rebuild_timer.isActive():
            self._rebuild_timer.start()

    @Slot()
    def _rebuild(self) -> None:
        """Work out the whole order again: now when cheap, else on a worker."""
        self._rebuild_timer.stop()
        self._flush_tail()
        model = self._model
        rows = model.rows
        layout = self._wanted
        request = _Request(
            rows,
            layout,
            model.match_column,
            _filter_table(FILTER_STATES[layout.task_filter]),
            _key_column(model, layout.column),
        )
        self._changed_while_rebuilding.clear()
        # A name's natural order costs about six times a plain text's key (20,000
        # names: 71 ms against 12): fewer rows are sorted by name on this thread.
        limit = SYNC_LIMIT // 6 if layout.column == Column.NAME else SYNC_LIMIT
        if rows.live <= limit or layout.column < 0:
            # Queue order needs no sort: filtering a million rows takes tens of
            # milliseconds, in C.
            self._rebuilding = 0
            self._install(request, request.run())
            return
        self._rebuilding += 1
        number = self._rebuilding
        run_in_background(model.jobs, self, lambda: (number, request, request.run()), self._on_rebuilt)

    @Slot(object)
    def _on_rebuilt(self, outcome: object) -> None:
        if not isinstance(outcome, tuple):  # the worker failed (logged): try again
            self._rebuilding = 0
            self._rebuild_soon()
            return
        number, request, built = outcome
        if number != self._rebuilding or request.rows is not self._model.rows:
            return  # a newer rebuild was asked for
        self._rebuilding = 0
        changed, self._changed_while_rebuilding = self._changed_while_rebuilding, set()
        self._install(request, built, changed)

    def _install(self, request: _Request, built: Order, changed: Iterable[int] = ()) -> None:
        """Show a rebuilt order. The slots ``changed`` since it was worked out (and
        those added since) are taken out of it and put in place again."""
        order, keys = built
        rows = self._model.rows
        self.beginResetModel()
        if keys is not None:
            keys.extend(array("d", [0.0]) * (rows.slot_count - len(keys)))
        late = sorted(set(changed) | set(range(request.count, rows.slot_count)))
        if late:
            unchanged = bytearray(b"\1") * rows.slot_count
            for slot in late:
                unchanged[slot] = 0
            order = array("i", compress(order, map(unchanged.__getitem__, order)))
        self._order, self._keys, self._shown = order, keys, request.layout
        self._tail = array("i")  # slots added since the request: among the late ones
        self._tail_timer.stop()
        late = [slot for slot in late if self._passes(slot)]
        if len(late) > INCREMENTAL_LIMIT and keys is not None:
            self._rebuild_soon()  # off screen until then
        else:
            for slot in late:
                placed = self._position(slot, skip=-1)
                if placed is not None:
                    if keys is not None:
                        keys[slot] = placed[1]
                    self._order.insert(placed[0], slot)
        self.endResetModel()
        self._refresh_watched()


class _Request:
    """One rebuild's inputs, read on the GUI thread; ``run`` may run on a worker."""

    def __init__(
        self,
        rows: TaskRows,
        layout: Layout,
        matches: bytearray | None,
        states_shown: bytes,
        keys: Callable[[array[int]], array[float]] | None,
    ) -> None:
        self.rows = rows
        self.layout = layout
        self.count = rows.slot_count
        self.matches = None if matches is None else bytes(matches[: self.count])
        self.states_shown = states_shown
        self.keys = keys

    def run(self) -> Order:
        """The slots shown, in order, and (when sorted) every slot's key."""
        count = self.count
        shown = bytes(self.rows.states[:count]).translate(self.states_shown)
        if self.matches is not None:
            both = int.from_bytes(shown, "big") & int.from_bytes(self.matches, "big")
            shown = both.to_bytes(count, "big")
        kept = array("i", compress(range(count), shown))
        if self.keys is None:
            return kept, None
        keys = self.keys(kept)
        # Stable: equal keys stay in slot order, the tie-break of the total order.
        return array("i", sorted(kept, key=keys.__getitem__)), keys


def _filter_table(states: frozenset[TaskState] | None) -> bytes:
    """State code → 1 if a row in that state shows (never a tombstone)."""
    codes = frozenset(range(len(STATE_CODES))) if states is None else _codes(states)
    return bytes(int(code in codes) for code in range(256))


def _codes(states: frozenset[TaskState]) -> frozenset[int]:
    return frozenset(STATE_CODES[state] for state in states)


def _key_column(model: TaskTableModel, column: int) -> Callable[[array[int]], array[float]] | None:
    """How to work out every slot's key for ``column`` from the slots shown (None:
    queue order). What lives in the model's dictionaries is copied now, on the GUI
    thread; the rest is read where the keys are worked out."""
    rows = model.rows
    count = rows.slot_count
    if column < 0:
        return None
    if column == Column.STATE:
        return lambda _kept: array("d", map(float, rows.states[:count]))
    if column == Column.SIZE:
        return lambda _kept: array("d", rows.sizes[:count])
    if column == Column.PROGRESS:
        return lambda _kept: array("d", map(rows.progress, range(count)))
    if column in (Column.SPEED, Column.ETA):
        values, fallback = (model.speeds(), 0.0) if column == Column.SPEED else (model.etas(), math.inf)

        def spread(_kept: array[int]) -> array[float]:
            keys = array("d", [fallback]) * count
            for slot, value in values.items():
                if slot < count:
                    keys[slot] = value
            return keys

        return spread
    text_of = _text_key(model, column)

    def ranked(kept: array[int]) -> array[float]:
        # Ranks in text order (equal texts in slot order: the sort is stable).
        keys = array("d", [0.0]) * count
        for rank, slot in enumerate(sorted(kept, key=text_of)):
            keys[slot] = float(rank)
        return keys

    return ranked


def _key_function(model: TaskTableModel, column: int) -> Callable[[int], float]:
    """One slot's key for a column not sorted by text."""
    rows = model.rows
    if column == Column.STATE:
        return lambda slot: float(rows.states[slot])
    if column == Column.SIZE:
        return lambda slot: float(rows.sizes[slot])
    if column == Column.PROGRESS:
        return rows.progress
    if column == Column.SPEED:
        return model.speed
    if column == Column.ETA:
        return model.eta
    raise ValueError(f"column {column} sorts by text")


def _text_key(model: TaskTableModel, column: int) -> Callable[[int], TextKey]:
    """A slot's key for a column sorted by text, from the model's columns of this
    moment (a worker keeps reading those if the model starts over meanwhile).
    Names sort as a file manager sorts them; keys in the bucket's own order."""
    rows = model.rows
    if column == Column.NAME:
        return lambda slot: natural_order(name_of_key(rows.key(slot)))
    if column == Column.KEY:
        return rows.key
    return model.message_texts()


def _insertion(order: array[int], target: Any, key: Callable[[int], Any], skip: int) -> int:
    """Where ``target`` goes in ``order`` once the element at ``skip`` (-1: none)
    is taken out: an index into the order without it."""
    if skip < 0:
        return bisect_left(order, target, key=key)
    if skip > 0 and target < key(order[skip - 1]):
        return bisect_left(order, target, 0, skip, key=key)
    if skip < len(order) - 1 and target > key(order[skip + 1]):
        return bisect_left(order, target, skip + 1, len(order), key=key) - 1
    return skip


def _neighbour_keys(
    order: array[int], keys: array[float], index: int, skip: int
) -> tuple[float | None, float | None]:
    """The keys either side of ``index`` in the order without ``skip``."""
    lower_position, upper_position = index - 1, index
    if skip >= 0:
        lower_position += lower_position >= skip
        upper_position += upper_position >= skip
    lower = keys[order[lower_position]] if lower_position >= 0 else None
    upper = keys[order[upper_position]] if upper_position < len(order) else None
    return lower, upper


_LIVE = bytes(int(code != REMOVED) for code in range(256))
