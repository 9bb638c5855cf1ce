"""Task id -> slot for compact columns that keep a task per slot (the task
table's rows, ``ui/task_rows.py``; the queue's tasks at rest,
``engine/resting.py``): ids packed in 16 bytes each, indexed without an object
per task."""

from __future__ import annotations

import hashlib
import sys
from array import array


def pack_id(task_id: str) -> bytes:
    """A task id as the 16 bytes it is stored as: a uuid4's hex digits packed;
    any other text (tests, old databases) by its digest."""
    if len(task_id) == 32:
        try:
            packed = bytes.fromhex(task_id)
        except ValueError:
            pass
        else:
            if packed.hex() == task_id:
                return packed
    return hashlib.blake2b(task_id.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _hashes(packed_ids: bytes) -> array[int]:
    """The hash of each id packed in ``packed_ids`` (see ``_hash``), worked out in C."""
    words = array("Q")
    words.frombytes(packed_ids)
    if sys.byteorder == "little":
        words.byteswap()
    return words[1::2]


def _hash(packed: bytes | bytearray) -> int:
    """The last 8 of an id's 16 bytes, read big-endian: random in every id (see
    ``intake.TaskIds``; the first 8 of a new id count up in time). Big-endian puts
    byte 15 lowest, where the table's position comes from: in a uuid4 (the ids of
    databases from before TaskIds, and of tests) byte 8 has two fixed bits, and
    read little-endian they made three positions in four unreachable. A million
    such ids then probed along clusters thousands long: restoring a million
    finished tasks took a minute."""
    return int.from_bytes(packed[8:], "big")


class IdIndex:
    """Task id → slot: open addressing over an array of slots, keyed by
    ``_hash``. It doubles incrementally: after a resize each insert moves a few
    entries of the old table, so no single insert rehashes a million ids.
    Removed tasks stay in it (their slots are tombstones)."""

    # Old positions moved per insert: the move ends long before the next resize
    # (which needs at least two per insert).
    _MOVED_PER_INSERT = 8

    def __init__(self, ids: bytearray, capacity: int = 16) -> None:
        self._ids = ids  # TaskRows' id column, 16 bytes per slot
        self._table = _empty_table(capacity)
        self._old: array[int] | None = None
        self._moved = 0
        self._count = 0

    @classmethod
    def build(cls, ids: bytearray) -> IdIndex:
        """An index of every slot of ``ids`` at once (a worker may do this)."""
        count = len(ids) // 16
        capacity = 16
        while capacity < 2 * count:
            capacity *= 2
        index = cls(ids, capacity)
        table = index._table
        mask = capacity - 1
        # (From a copy: a view of the bytearray itself would keep it from growing.)
        for slot, value in enumerate(_hashes(bytes(ids))):
            position = value & mask
            while table[position] >= 0:
                position = (position + 1) & mask
            table[position] = slot
        index._count = count
        return index

    def find(self, packed: bytes) -> int:
        """The slot of the id packed as ``packed`` (see ``pack_id``), or -1."""
        value = _hash(packed)
        slot = self._probe(self._table, value, packed)
        if slot < 0 and self._old is not None:
            slot = self._probe(self._old, value, packed)
        return slot

    def _probe(self, table: array[int], value: int, packed: bytes) -> int:
        ids = self._ids
        mask = len(table) - 1
        position = value & mask
        while True:
            slot = table[position]
            if slot < 0 or ids[16 * slot : 16 * slot + 16] == packed:
                return slot
            position = (position + 1) & mask

    def insert(self, slot: int) -> None:
        """Index ``slot`` (its id must not be indexed yet)."""
        if 2 * (self._count + 1) > len(self._table):
            self._finish_move()
            self._old, self._table, self._moved = self._table, _empty_table(2 * len(self._table)), 0
        self._place(slot)
        self._count += 1
        if self._old is not None:
            self._move(self._MOVED_PER_INSERT)

    def insert_run(self, start: int, stop: int) -> None:
        """Index slots ``start`` to ``stop`` (none indexed yet), as ``insert`` does
        each: a drop's new rows, their hashes read together (see ``build``)."""
        hashes = _hashes(bytes(self._ids[16 * start : 16 * stop]))
        for slot, value in zip(range(start, stop), hashes, strict=True):
            if 2 * (self._count + 1) > len(self._table):
                self._finish_move()
                self._old, self._table, self._moved = self._table, _empty_table(2 * len(self._table)), 0
            table = self._table
            mask = len(table) - 1
            position = value & mask
            while table[position] >= 0:
                position = (position + 1) & mask
            table[position] = slot
            self._count += 1
            if self._old is not None:
                self._move(self._MOVED_PER_INSERT)

    def _place(self, slot: int) -> None:
        table = self._table
        mask = len(table) - 1
        position = _hash(self._ids[16 * slot : 16 * slot + 16]) & mask
        while table[position] >= 0:
            position = (position + 1) & mask
        table[position] = slot

    def _move(self, positions: int) -> None:
        old = self._old
        assert old is not None
        end = min(len(old), self._moved + positions)
        for position in range(self._moved, end):
            slot = old[position]
            if slot >= 0:
                self._place(slot)
        self._moved = end
        if end == len(old):
            self._old = None

    def _finish_move(self) -> None:
        if self._old is not None:
            self._move(len(self._old))


def _empty_table(capacity: int) -> array[int]:
    return array("i", [-1]) * capacity
