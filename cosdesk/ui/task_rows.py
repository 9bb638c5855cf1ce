"""The task table's rows as compact columns: what the table needs of every task
(its id, key, state, size, bytes sent and a few flags) in flat arrays, about 60
bytes a task plus its key's UTF-8 (tests/unit/test_task_rows.py measures it),
where a ``TaskSnapshot`` costs about a kilobyte. The full snapshots of a bounded
set of rows are kept by the model.

A task lives in a *slot*: slots are numbered in the order the tasks were first
reported (queue order) and are never renumbered. A removed task leaves a
tombstone (``REMOVED``) so the slot numbers the views hold stay valid; when the
last task goes, everything starts again from slot 0.

No Qt here, and every method runs on the GUI thread, except that a fresh
``TaskRows`` may be filled on a worker (``from_stored``) before the GUI thread
adopts it, and its ids indexed on a worker (``build_index``) while nothing is
added to it.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import accumulate

from cosdesk.engine.id_index import IdIndex, pack_id
from cosdesk.engine.task import CompactRow, TaskSnapshot, TaskState
from cosdesk.engine.task_table_source import STATE_CODES, STATES, StoredColumns

REMOVED = 255
SUCCESS = STATE_CODES[TaskState.SUCCESS]
UPLOADING = STATE_CODES[TaskState.UPLOADING]

# Flags, one byte per slot.
HAS_SOURCE = 1  # a local file: "Open containing folder" applies
HAS_RESULT = 2  # uploaded: its object URL can be copied
UNVERIFIED = 4  # uploaded, but no checksum proved what the server stored
APPENDS = 8  # an append: what it sent stays in the object (the cancel question)

# What an update changed (TaskRows.update's return value).
CHANGED_STATE = 1
CHANGED_KEY = 2
CHANGED_SIZE = 4
CHANGED_SENT = 8
CHANGED_OTHER = 16  # flags, or something only the full snapshot shows


def flags_of(snapshot: TaskSnapshot | CompactRow) -> int:
    if isinstance(snapshot, CompactRow):
        return HAS_SOURCE if snapshot.from_file else 0
    flags = 0
    if snapshot.source_path:
        flags |= HAS_SOURCE
    if snapshot.result is not None:
        flags |= HAS_RESULT
        if snapshot.result.unverified:
            flags |= UNVERIFIED
    if snapshot.appends:
        flags |= APPENDS
    return flags


class TaskRows:
    """The compact columns (see the module's docstring), and the number of tasks
    per state. Columns are public for the views' sort keys and filters: read
    them, change them only through these methods."""

    def __init__(self) -> None:
        self.ids = bytearray()  # 16 bytes per slot (pack_id)
        self.states = bytearray()  # state code (STATES[code]), or REMOVED
        self.flags = bytearray()
        self.sizes = array("q")  # -1: not known yet
        self.sent = array("q")  # bytes on the server (or in flight)
        self._key_bytes = bytearray()
        self._key_starts = array("q")
        self._key_lengths = array("I")
        self._odd_ids: dict[int, str] = {}  # ids that are not uuid4 hex, by slot
        self.index = IdIndex(self.ids)
        self.indexed = True  # False until build_index: find() then scans the ids
        self.counts = [0] * len(STATES)
        self.live = 0  # slots that are not tombstones

    @classmethod
    def from_stored(cls, stored: StoredColumns) -> TaskRows:
        """Rows for the tasks of the database (see ``engine/task_table_source``),
        not indexed yet (``build_index``): they can be shown meanwhile. Runs on a
        worker: nothing else sees these rows yet."""
        rows = cls()
        if stored.task_ids is None:
            rows.ids += stored.packed_ids
        else:
            for slot, task_id in enumerate(stored.task_ids):
                packed = pack_id(task_id)
                rows.ids += packed
                if packed.hex() != task_id:
                    rows._odd_ids[slot] = task_id
        rows.states += stored.states
        rows.sizes = array("q", stored.sizes)
        rows.sent = array("q", stored.sent)
        # What the database tells of these flags: finished tasks were uploaded (and
        # most tasks are files); the snapshot says more once a row is shown.
        rows.flags += stored.states.translate(_STORED_FLAGS)
        rows._key_bytes += stored.keys
        rows._key_lengths = array("I", stored.key_lengths)
        rows._key_starts = array("q", accumulate(stored.key_lengths, initial=0))
        rows._key_starts.pop()
        for code in range(len(STATES)):
            rows.counts[code] = stored.states.count(code)
        rows.live = len(stored)
        rows.indexed = False
        return rows

    def build_index(self) -> None:
        """Index every id (a worker may do this while the GUI thread shows the
        rows; nothing may append to them meanwhile)."""
        self.index = IdIndex.build(self.ids)
        self.indexed = True

    # --- reading ----------------------------------------------------------------

    @property
    def slot_count(self) -> int:
        return len(self.states)

    def find(self, task_id: str) -> int:
        """The slot of ``task_id`` (a tombstone's too), or -1."""
        packed = pack_id(task_id)
        if self.indexed:
            return self.index.find(packed)
        position = self.ids.find(packed)
        while position >= 0 and position % 16:  # found across two ids: look on
            position = self.ids.find(packed, position + 1)
        return -1 if position < 0 else position // 16

    def task_id(self, slot: int) -> str:
        odd = self._odd_ids.get(slot)
        return odd if odd is not None else self.ids[16 * slot : 16 * slot + 16].hex()

    def key(self, slot: int) -> str:
        start = self._key_starts[slot]
        return self._key_bytes[start : start + self._key_lengths[slot]].decode("utf-8", "surrogatepass")

    def state(self, slot: int) -> TaskState | None:
        code = self.states[slot]
        return STATES[code] if code < len(STATES) else None

    def is_live(self, slot: int) -> bool:
        return 0 <= slot < len(self.states) and self.states[slot] != REMOVED

    def progress(self, slot: int) -> float:
        """0..1, as a snapshot's ``percent``."""
        if self.states[slot] == SUCCESS:
            return 1.0
        size = self.sizes[slot]
        return min(1.0, self.sent[slot] / size) if size > 0 else 0.0

    def counts_by_state(self) -> dict[TaskState, int]:
        return {STATES[code]: number for code, number in enumerate(self.counts) if number}

    # --- changing ---------------------------------------------------------------

    def append(self, snapshot: TaskSnapshot | CompactRow) -> int:
        """A new slot for a task not in the rows yet; returns it."""
        return self.extend([snapshot])[0]

    def extend(self, new_rows: Sequence[TaskSnapshot | CompactRow]) -> range:
        """Slots for tasks not in the rows yet (a drop's new tasks: one loop, their
        ids indexed together); returns them."""
        first = len(self.states)
        ids, states, flags, sizes, sent = self.ids, self.states, self.flags, self.sizes, self.sent
        key_bytes, key_starts, key_lengths, counts = (
            self._key_bytes,
            self._key_starts,
            self._key_lengths,
            self.counts,
        )
        for row in new_rows:
            packed = pack_id(row.task_id)
            if packed.hex() != row.task_id:
                self._odd_ids[len(states)] = row.task_id
            ids += packed
            code = STATE_CODES[row.state]
            states.append(code)
            flags.append(flags_of(row))
            sizes.append(-1 if row.size is None else row.size)
            sent.append(row.loaded)
            raw = _utf8(row.key)
            key_starts.append(len(key_bytes))
            key_lengths.append(len(raw))
            key_bytes += raw
            counts[code] += 1
        self.live += len(new_rows)
        self.index.insert_run(first, len(states))
        return range(first, len(states))

    def update(self, slot: int, snapshot: TaskSnapshot | CompactRow) -> int:
        """Take a newer snapshot of a live slot's task; returns what changed
        (``CHANGED_*`` bits, 0 for nothing a column shows)."""
        changed = self.update_figures(slot, snapshot.state, snapshot.size, snapshot.loaded)
        flags = flags_of(snapshot)
        if flags != self.flags[slot]:
            self.flags[slot] = flags
            changed |= CHANGED_OTHER
        if not self._key_is(slot, snapshot.key):
            self._set_key(slot, snapshot.key)  # renamed to keep both (a conflict)
            changed |= CHANGED_KEY
        return changed

    def update_figures(self, slot: int, state: TaskState, size: int | None, loaded: int) -> int:
        """Take a live slot's new state, size and bytes sent alone (RestingState);
        returns what changed (``CHANGED_*`` bits)."""
        changed = 0
        code = STATE_CODES[state]
        old_code = self.states[slot]
        if code != old_code:
            self.counts[old_code] -= 1
            self.counts[code] += 1
            self.states[slot] = code
            changed |= CHANGED_STATE
        size_code = -1 if size is None else size
        if size_code != self.sizes[slot]:
            self.sizes[slot] = size_code
            changed |= CHANGED_SIZE
        if loaded != self.sent[slot]:
            self.sent[slot] = loaded
            changed |= CHANGED_SENT
        return changed

    def remove(self, slot: int) -> None:
        """Make a live slot a tombstone."""
        self.counts[self.states[slot]] -= 1
        self.states[slot] = REMOVED
        self.live -= 1

    def _key_is(self, slot: int, key: str) -> bool:
        start = self._key_starts[slot]
        return self._key_bytes[start : start + self._key_lengths[slot]] == _utf8(key)

    def _set_key(self, slot: int, key: str) -> None:
        # A renamed key's old bytes stay where they were: renames are few.
        raw = _utf8(key)
        self._key_starts[slot] = len(self._key_bytes)
        self._key_lengths[slot] = len(raw)
        self._key_bytes += raw


def _utf8(text: str) -> bytes:
    # A file name that is not UTF-8 comes as lone surrogates (os.fsdecode): kept
    # as they are, as the snapshot's key shows them.
    return text.encode("utf-8", "surrogatepass")


_STORED_FLAGS = bytes(
    HAS_SOURCE | (HAS_RESULT if code == SUCCESS else 0) if code < len(STATES) else 0 for code in range(256)
)
