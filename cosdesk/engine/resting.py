"""Tasks at rest: what the queue keeps in memory of a task that is neither
running nor about to run (see ARCHITECTURE.md, 'Tasks at rest').

A queue of a million files cannot hold a million task records: each is about
two kilobytes with its strings, and even a small object per task with its id,
status and tally came to about 560 bytes. A task that has nothing to do for a
while — finished, paused, failed, or waiting far down the queue — goes into
``RestingTasks``: a slot of flat columns (its packed id, state, place, size,
confirmed bytes and what it adds to the counts), about 90 bytes with its index
entry. Its spec, checkpoint and the rest of its status (error, note, result)
stay in SQLite, where they are already stored, and are read back when the task
is about to run or someone asks for it.

The queue handles a task at rest through a ``RestingTask``: a view of its slot,
made on demand, that reads as an ``UploadTask`` to the counting code (state,
size, loaded, tally). Every method runs under the queue's lock.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence

from cosdesk.engine.id_index import IdIndex, pack_id
from cosdesk.engine.task import Tally, TaskState, TaskStatus, UploadTask, check_transition
from cosdesk.engine.waiting_line import WaitingLine

# A state as one byte, and "none" (a tally that counts nothing yet).
_STATES = tuple(TaskState)
_CODES = {state: code for code, state in enumerate(_STATES)}
_NONE = 255
_WAITING = _CODES[TaskState.WAITING]

# A place in the waiting line: (position << _SLOT_BITS) | slot, one int per entry
# (a (position, task id) tuple with its id's text took about 170 bytes).
_SLOT_BITS = 32
_SLOT_MASK = (1 << _SLOT_BITS) - 1

# Bits of a slot's flags.
_PRESENT = 1  # the task is at rest here (not woken, not removed)
_HAS_UPLOAD = 2  # a multipart upload ID is recorded: canceling must abort it


# A task a restore puts at rest: id, place, state, size, confirmed bytes, whether
# a multipart upload ID is recorded.
RestoredEntry = tuple[str, int, TaskState, int | None, int, bool]


def _code(state: TaskState | None) -> int:
    return _NONE if state is None else _CODES[state]


def _state(code: int) -> TaskState | None:
    return None if code == _NONE else _STATES[code]


class RestingTasks:
    """The tasks at rest, a slot each, by task id (a mapping of ids to
    ``RestingTask`` views), and the line of those waiting, by place. A task keeps
    its slot for the queue's life: resting it again after it was woken or removed
    fills the same slot."""

    def __init__(self) -> None:
        self._ids = bytearray()  # 16 bytes per slot (pack_id)
        self._odd_ids: dict[int, str] = {}  # ids that are not uuid4 hex, by slot
        self._index = IdIndex(self._ids)
        self._flags = bytearray()
        self._states = bytearray()
        self._positions = array("q")
        self._sizes = array("q")  # -1: not known yet
        self._loaded = array("q")  # bytes the server holds
        # The tally (engine/task.py): the state counted, the batch, and what the
        # task adds to the batch's totals (state, size, loaded).
        self._counted = bytearray()
        self._batch_numbers = array("q")
        self._batch_states = bytearray()
        self._batch_sizes = array("q")
        self._batch_loaded = array("q")
        self._count = 0
        # The waiting tasks at rest, by place (see _SLOT_BITS). An entry whose task
        # left the line (woken, paused, moved since) is dropped when met.
        self._line = WaitingLine()
        self._waiting = 0  # tasks at rest that are waiting, in the line or not

    # --- the mapping --------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    def __contains__(self, task_id: object) -> bool:
        return isinstance(task_id, str) and self._slot(task_id) >= 0

    def __iter__(self) -> Iterator[str]:
        """The ids of the tasks at rest, in no particular order."""
        flags = self._flags
        for slot in range(len(flags)):
            if flags[slot] & _PRESENT:
                yield self._task_id(slot)

    def get(self, task_id: str) -> RestingTask | None:
        slot = self._slot(task_id)
        return RestingTask(self, slot, task_id) if slot >= 0 else None

    def values(self) -> list[RestingTask]:
        return self.views_in(0, len(self._flags))

    @property
    def slot_count(self) -> int:
        """Slots made so far, at rest now or not (``views_in`` goes through them)."""
        return len(self._flags)

    def views_in(self, start: int, stop: int) -> list[RestingTask]:
        """The tasks at rest in slots ``start`` to ``stop`` (a bulk command's
        slice: a list of a million ids would be 90 MB)."""
        flags = self._flags
        present = (slot for slot in range(start, min(stop, len(flags))) if flags[slot] & _PRESENT)
        return [RestingTask(self, slot, self._task_id(slot)) for slot in present]

    def pop(self, task_id: str) -> RestingTask:
        """Take the task out; the view returned still reads what it held (its
        tally, to take it out of the counts)."""
        slot = self._slot(task_id)
        if slot < 0:
            raise KeyError(task_id)
        self._flags[slot] &= ~_PRESENT
        self._count -= 1
        if self._states[slot] == _WAITING:
            self._waiting -= 1
        return RestingTask(self, slot, task_id)

    def __delitem__(self, task_id: str) -> None:
        self.pop(task_id)

    # --- putting tasks at rest ----------------------------------------------------

    def add(
        self,
        task_id: str,
        status: TaskStatus,
        size: int | None,
        loaded: int,
        has_upload: bool,
        tally: Tally | None = None,
        *,
        new: bool = False,
    ) -> RestingTask:
        """Put a task at rest (it must not be at rest already); its status keeps
        only the state and place (the rest is in the database). ``new``: it was
        never at rest before (just added), so it has no slot to look for."""
        packed = pack_id(task_id)
        slot = -1 if new else self._index.find(packed)
        if slot < 0:
            slot = len(self._flags)
            self._ids += packed
            if packed.hex() != task_id:
                self._odd_ids[slot] = task_id
            self._flags.append(0)
            self._states.append(0)
            self._positions.append(0)
            self._sizes.append(0)
            self._loaded.append(0)
            self._counted.append(_NONE)
            self._batch_numbers.append(0)
            self._batch_states.append(_NONE)
            self._batch_sizes.append(0)
            self._batch_loaded.append(0)
            self._index.insert(slot)
        elif self._flags[slot] & _PRESENT:
            raise ValueError(f"task {task_id} is at rest already")
        tally = tally or Tally()
        self._flags[slot] = _PRESENT | (_HAS_UPLOAD if has_upload else 0)
        self._states[slot] = _NONE  # set last, once its place is known
        self._positions[slot] = status.position
        self._sizes[slot] = -1 if size is None else size
        self._loaded[slot] = loaded
        self._counted[slot] = _code(tally.counted)
        self._batch_numbers[slot] = tally.batch_number
        counted = tally.batch_counted
        self._batch_states[slot] = _NONE if counted is None else _CODES[counted[0]]
        self._batch_sizes[slot] = 0 if counted is None else counted[1]
        self._batch_loaded[slot] = 0 if counted is None else counted[2]
        self._count += 1
        self._set_state(slot, _CODES[status.state])
        return RestingTask(self, slot, task_id)

    def add_restored(self, entries: Sequence[RestoredEntry]) -> int:
        """Put at rest tasks that have no slot here yet (a restore's), as ``add``
        with ``new`` does each, their columns extended together: a million one
        by one took seconds of the restore. Each counts in its state already (its
        tally says so: the caller adds it to the counts) and in no batch. Returns
        the slot of the first; the others follow in order."""
        codes = bytes(_CODES[entry[2]] for entry in entries)
        count = len(entries)
        zeros = array("q", [0]) * count
        return self._extend(
            [entry[0] for entry in entries],
            codes,
            flags=bytes(_PRESENT | (_HAS_UPLOAD if entry[5] else 0) for entry in entries),
            positions=(entry[1] for entry in entries),
            sizes=(-1 if entry[3] is None else entry[3] for entry in entries),
            loaded=(entry[4] for entry in entries),
            counted=codes,
            batch_numbers=zeros,
            batch_states=bytes([_NONE]) * count,
            batch_sizes=zeros,
            batch_loaded=zeros,
        )

    def add_new(self, tasks: Sequence[UploadTask]) -> None:
        """Put at rest whole tasks just added (``rest`` with ``new`` for each),
        their columns extended together, tallies and all: one by one, putting a
        big drop at rest was a tenth of the window's work while it was added."""
        tallies = [task.tally for task in tasks]
        batch_counted = [tally.batch_counted or (None, 0, 0) for tally in tallies]
        self._extend(
            [task.task_id for task in tasks],
            bytes(_CODES[task.state] for task in tasks),
            flags=bytes(_PRESENT | (_HAS_UPLOAD if task.upload_id is not None else 0) for task in tasks),
            positions=(task.status.position for task in tasks),
            sizes=(-1 if task.size is None else task.size for task in tasks),
            loaded=(task.loaded for task in tasks),
            counted=bytes(_code(tally.counted) for tally in tallies),
            batch_numbers=(tally.batch_number for tally in tallies),
            batch_states=bytes(_code(counted[0]) for counted in batch_counted),
            batch_sizes=(counted[1] for counted in batch_counted),
            batch_loaded=(counted[2] for counted in batch_counted),
        )

    def _extend(
        self,
        task_ids: list[str],
        states: bytes,
        *,
        flags: bytes,
        positions: Iterable[int],
        sizes: Iterable[int],
        loaded: Iterable[int],
        counted: bytes,
        batch_numbers: Iterable[int],
        batch_states: bytes,
        batch_sizes: Iterable[int],
        batch_loaded: Iterable[int],
    ) -> int:
        """New slots at the end for tasks that have none, every column extended
        once; returns the first slot."""
        first = len(self._flags)
        packed = [pack_id(task_id) for task_id in task_ids]
        self._ids += b"".join(packed)
        for offset, (task_id, packed_id) in enumerate(zip(task_ids, packed, strict=True)):
            if packed_id.hex() != task_id:
                self._odd_ids[first + offset] = task_id
        self._flags += flags
        self._states += states
        self._positions.extend(positions)
        self._sizes.extend(sizes)
        self._loaded.extend(loaded)
        self._counted += counted
        self._batch_numbers.extend(batch_numbers)
        self._batch_states += batch_states
        self._batch_sizes.extend(batch_sizes)
        self._batch_loaded.extend(batch_loaded)
        count = len(task_ids)
        self._index.insert_run(first, first + count)
        self._count += count
        for slot in range(first, first + count):
            if states[slot - first] == _WAITING:
                self._waiting += 1
                self._enter_line(slot)
        return first

    def view(self, slot: int) -> RestingTask:
        """The task at rest in ``slot``."""
        return RestingTask(self, slot, self._task_id(slot))

    def knows(self, task_id: str) -> bool:
        """Whether ``task_id`` has a slot here: at rest now, or once (woken, removed)."""
        return self._index.find(pack_id(task_id)) >= 0

    def rest(self, task: UploadTask, *, new: bool = False) -> RestingTask:
        """Put a whole task at rest (it is stored and has no worker; ``new``: see ``add``)."""
        return self.add(
            task.task_id, task.status, task.size, task.loaded, task.upload_id is not None, task.tally, new=new
        )

    # --- the waiting line -------------------------------------------------------------

    def first_waiting(self) -> int | None:
        """The place of the first waiting task at rest, or None."""
        line = self._line
        if not self._waiting:
            # Every entry is stale ("Pause all", "Cancel all"): dropped at once, not
            # popped one by one (a million pops held the queue's lock 0.4 s).
            line.clear()
            return None
        while (place := line.first()) is not None:
            if self._in_line(place & _SLOT_MASK, place >> _SLOT_BITS):
                return place >> _SLOT_BITS
            line.pop()
        return None

    def take_waiting(self, count: int) -> list[str]:
        """The ids of the first ``count`` waiting tasks at rest, taken out of the
        line (to be woken: the caller reads them back)."""
        taken: dict[str, None] = {}  # a task may be in line twice at one place
        while len(taken) < count and self.first_waiting() is not None:
            taken[self._task_id(self._line.pop() & _SLOT_MASK)] = None
        return list(taken)

    def line_up(self, task_ids: list[str]) -> None:
        """Put these tasks back in line, those still at rest and waiting (taken
        out by ``take_waiting`` and not woken after all)."""
        for task_id in task_ids:
            slot = self._slot(task_id)
            if slot >= 0:
                self._enter_line(slot)

    def _in_line(self, slot: int, position: int) -> bool:
        return (
            self._flags[slot] & _PRESENT != 0
            and self._states[slot] == _WAITING
            and self._positions[slot] == position
        )

    def _enter_line(self, slot: int) -> None:
        if self._states[slot] == _WAITING:
            self._line.push((self._positions[slot] << _SLOT_BITS) | slot)

    def _set_state(self, slot: int, code: int) -> None:
        """A present slot's state (the waiting count kept), in line if waiting."""
        self._waiting += (code == _WAITING) - (self._states[slot] == _WAITING)
        self._states[slot] = code
        self._enter_line(slot)

    # --- slots ----------------------------------------------------------------------

    def _slot(self, task_id: str) -> int:
        slot = self._index.find(pack_id(task_id))
        return slot if slot >= 0 and self._flags[slot] & _PRESENT else -1

    def _task_id(self, slot: int) -> str:
        odd = self._odd_ids.get(slot)
        return odd if odd is not None else self._ids[16 * slot : 16 * slot + 16].hex()


class RestingTally:
    """A task at rest's tally (see ``Tally``), read from and written to its slot."""

    __slots__ = ("_columns", "_slot")

    def __init__(self, columns: RestingTasks, slot: int) -> None:
        self._columns = columns
        self._slot = slot

    @property
    def counted(self) -> TaskState | None:
        return _state(self._columns._counted[self._slot])

    @counted.setter
    def counted(self, state: TaskState | None) -> None:
        self._columns._counted[self._slot] = _code(state)

    @property
    def batch_number(self) -> int:
        return self._columns._batch_numbers[self._slot]

    @batch_number.setter
    def batch_number(self, number: int) -> None:
        self._columns._batch_numbers[self._slot] = number

    @property
    def batch_counted(self) -> tuple[TaskState, int, int] | None:
        columns, slot = self._columns, self._slot
        state = _state(columns._batch_states[slot])
        if state is None:
            return None
        return state, columns._batch_sizes[slot], columns._batch_loaded[slot]

    @batch_counted.setter
    def batch_counted(self, counted: tuple[TaskState, int, int] | None) -> None:
        columns, slot = self._columns, self._slot
        columns._batch_states[slot] = _NONE if counted is None else _CODES[counted[0]]
        columns._batch_sizes[slot] = 0 if counted is None else counted[1]
        columns._batch_loaded[slot] = 0 if counted is None else counted[2]

    def whole(self) -> Tally:
        """The same tally as a ``Tally`` of its own (for the task woken)."""
        return Tally(self.counted, self.batch_number, self.batch_counted)


class RestingTask:
    """A view of one task at rest (lock held): it reads as an ``UploadTask`` to
    the counting code (state, size, loaded, tally); writes go to its slot."""

    __slots__ = ("_columns", "_slot", "task_id")

    # What an UploadTask at rest would say: no worker, no pending retry.
    control = None
    retry_at = None
    ready = True

    def __init__(self, columns: RestingTasks, slot: int, task_id: str) -> None:
        self._columns = columns
        self._slot = slot
        self.task_id = task_id

    @property
    def state(self) -> TaskState:
        return _STATES[self._columns._states[self._slot]]

    def set_state(self, new: TaskState) -> None:
        """Move to ``new`` through the table of engine/task.py (ValueError outside it)."""
        check_transition(self.state, new)
        self._columns._set_state(self._slot, _CODES[new])

    @property
    def position(self) -> int:
        return self._columns._positions[self._slot]

    @position.setter
    def position(self, position: int) -> None:
        self._columns._positions[self._slot] = position
        self._columns._enter_line(self._slot)

    @property
    def status(self) -> TaskStatus:
        """Its state and place (the rest of its status is in the database)."""
        return TaskStatus(self.position, self.state)

    def take_stored(self, status: TaskStatus) -> None:
        """Take the status another process stored for this task (its row changed
        after this queue's last write). Not a transition of this queue: that
        process's queue checked it, and the row is the truth."""
        self._columns._positions[self._slot] = status.position
        self._columns._set_state(self._slot, _CODES[status.state])

    @property
    def size(self) -> int | None:
        size = self._columns._sizes[self._slot]
        return None if size < 0 else size

    @property
    def loaded(self) -> int:
        """Bytes the server holds: all of a finished file, the confirmed parts."""
        return self._columns._loaded[self._slot]

    @loaded.setter
    def loaded(self, loaded: int) -> None:
        self._columns._loaded[self._slot] = loaded

    @property
    def has_upload(self) -> bool:
        """A multipart upload ID is recorded: canceling must abort it."""
        return bool(self._columns._flags[self._slot] & _HAS_UPLOAD)

    @property
    def tally(self) -> RestingTally:
        return RestingTally(self._columns, self._slot)


def wake(resting: RestingTask, task: UploadTask) -> UploadTask:
    """``task``, read back from the database once the queue's writes are in,
    carrying on where ``resting`` was counted (the queue's counts and the
    batch's totals stay exact)."""
    task.loaded = resting.loaded
    task.tally = resting.tally.whole()
    task.ready = True
    return task
