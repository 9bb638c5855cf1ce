"""Bringing back the tasks an earlier run stored (see ARCHITECTURE.md,
'Parts of the queue' and 'Tasks at rest'): few come back whole; many come back
at rest, only their state, place and sizes read, a row at a time.

A task that was waiting or running when its program stopped comes back waiting
(``resume``) or paused. Its stored state is written again only where that
changes it, and only where the row still says it was interrupted: another
process may have finished the task since. A task another live process sends
comes back waiting for that process (engine/ownership.py).

Runs on one thread (the CLI's, or a worker of the window's); the queue's records
are taken a slice at a time, so the window's event tick gets in between.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from cosdesk.engine.handover import held_note
from cosdesk.engine.notes import TaskNote
from cosdesk.engine.options import EndpointSpec
from cosdesk.engine.ownership import TaskLeases
from cosdesk.engine.queue_records import QueueRecords
from cosdesk.engine.resting import RestoredEntry
from cosdesk.engine.store import RestingRow
from cosdesk.engine.task import TaskState, UploadTask, check_transition
from cosdesk.engine.task_columns import StoredTask
from cosdesk.engine.task_repository import TaskRepository

# States a task stored by a program that stopped (or still runs it) may be in.
INTERRUPTED_STATES = (TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING)
# A stored state's value to the state (a million enum lookups by value were a tenth of a restore).
_STATE_OF = {state.value: state for state in TaskState}
# Tasks restored at rest per hold of the lock.
_RESTORE_SLICE = 5000

# Why the tasks of an endpoint stay paused when they would resume (the note they
# show), or None: see UploadQueue.restore_in_background.
Hold = Callable[[EndpointSpec], str | None]


class TaskRestorer:
    def __init__(
        self,
        records: QueueRecords,
        repository: TaskRepository,
        leases: TaskLeases,
        *,
        live_task_limit: int,
        stopping: Callable[[], bool],
    ) -> None:
        self._records = records
        self._repository = repository
        self._leases = leases
        self._live_task_limit = live_task_limit
        # Whether the queue is shutting down: what is not restored yet is read again next time.
        self._stopping = stopping

    def restore(
        self, resume: bool, task_ids: Collection[str] | None = None, hold: Hold | None = None
    ) -> list[str]:
        """Bring back the stored tasks (those of ``task_ids`` only, when given);
        returns the ids of the unfinished ones."""
        if task_ids is not None and len(task_ids) <= self._live_task_limit:
            return self._restore_whole(resume, task_ids, hold)  # read just those, not a scan of all
        rows, count = self._repository.read_at_rest(task_ids)
        if count > self._live_task_limit:
            return self._restore_at_rest(rows, resume, hold)
        return self._restore_whole(resume, task_ids, hold)

    def _restore_at_rest(self, rows: Iterable[RestingRow], resume: bool, hold: Hold | None) -> list[str]:
        """Restore many tasks at rest: only their state, place and sizes are read
        (the next waiting ones are woken when the queue needs them), a row at a time."""
        # Per endpoint (as stored): why its tasks stay paused, if they do.
        held: dict[str, str | None] = {}
        # Built outside the lock; then added a slice at a time, so a GUI thread that
        # wants the lock meanwhile waits milliseconds, not the whole restore.
        built: list[RestoredEntry] = []
        # Tasks that were waiting or running, by the state and note they come back with.
        interrupted: dict[tuple[TaskState, str | None], list[str]] = {}
        in_order = True
        last_position = None
        for read, row in enumerate(rows, 1):
            if not read % _RESTORE_SLICE and self._stopping():
                return []  # quitting: the rows are read again at the next start
            task_id, position, stored_state, size, has_upload, endpoint_json, stored_note, confirmed = row
            state = _STATE_OF.get(stored_state) or TaskState(stored_state)
            if last_position is not None and position < last_position:
                in_order = False
            last_position = position
            if state in INTERRUPTED_STATES:
                because = None
                if hold is not None and resume and endpoint_json is not None:
                    if endpoint_json not in held:  # may read the keyring: not under the lock
                        held[endpoint_json] = hold(EndpointSpec.from_json(endpoint_json))
                    because = held[endpoint_json]
                restored = TaskState.WAITING if resume and not because else TaskState.PAUSED
                check_transition(state, restored)  # here, not by set_state: a status per row, not two
                state = restored
                note = because or (None if resume else stored_note or TaskNote.INTERRUPTED.text())
                if state != stored_state or (note is not None and note != stored_note):
                    # (A task that waited and waits again needs no write: after a
                    # million were added, writing each again held the writer for seconds.)
                    interrupted.setdefault((state, note), []).append(task_id)
            built.append((task_id, position, state, size, confirmed, bool(has_upload)))
        if not in_order:  # tasks were moved: queue order (stable: equal places keep storage order)
            built.sort(key=lambda entry: entry[1])
        # Only where the row still says interrupted: another process may have finished
        # one since (a task it still sends asks for its lease when it comes to run).
        self._repository.restore_states(
            (task_id, state, note) for (state, note), ids in interrupted.items() for task_id in ids
        )
        records = self._records
        unfinished: list[str] = []
        made = 0  # slots this restore made: their tasks' ids all differ
        for start in range(0, len(built), _RESTORE_SLICE):
            piece = built[start : start + _RESTORE_SLICE]
            with records.lock:
                if self._stopping():  # what is not at rest yet is read again next time
                    break
                resting = records.resting
                # Only a slot made by someone else (a drop's tasks put at rest meanwhile)
                # can be a task of the piece: at rest already, or gone since it was read.
                others = resting.slot_count - made
                fresh = [
                    entry
                    for entry in piece
                    if entry[0] not in records.live and not (others and resting.knows(entry[0]))
                ]
                first = resting.add_restored(fresh)
                made += len(fresh)
                records.state_counts.update(entry[2] for entry in fresh)  # their tallies count them
                for slot, (task_id, _position, state, *_rest) in enumerate(fresh, first):
                    if not state.is_final:
                        unfinished.append(task_id)
                    if state is TaskState.WAITING:  # and in the batch, when one is under way
                        task = resting.view(slot)
                        records.batch.join([task])
                        records.batch.recount(task)
                    records.events.added(task_id)
                records.take_place(max(entry[1] for entry in piece))
        return unfinished

    def _restore_whole(self, resume: bool, task_ids: Collection[str] | None, hold: Hold | None) -> list[str]:
        # Only the tasks named, when named: `cosdesk tasks resume` of one failed task
        # read a database's million finished ones (37 s, 1.3 GB) to keep one.
        stored = self._repository.read_all() if task_ids is None else self._repository.read(task_ids)
        # Built outside the lock: a GUI thread calling tasks() meanwhile never waits long.
        built = [task_from_store(item) for item in stored]
        # Tasks another live process is sending: their rows are its to write.
        running_elsewhere = self._leases.held_elsewhere(
            task.task_id for task in built if task.state in INTERRUPTED_STATES
        )
        held: dict[EndpointSpec, str | None] = {}
        if hold is not None and resume:  # may read the keyring: not under the lock
            held = {endpoint: hold(endpoint) for endpoint in {task.endpoint for task in built}}
        records = self._records
        unfinished: list[str] = []
        interrupted: list[tuple[str, TaskState, str | None]] = []
        with records.lock:
            for task in built:
                if task.task_id in records.live:
                    continue
                if task.state in INTERRUPTED_STATES:
                    held_because = held.get(task.endpoint)
                    task.set_state(TaskState.WAITING if resume and not held_because else TaskState.PAUSED)
                    if held_because:
                        task.note = held_because
                    elif not resume:
                        task.note = task.note or TaskNote.INTERRUPTED.text()
                    holder = running_elsewhere.get(task.task_id)
                    if holder is not None:
                        task.note = held_note(holder, waiting=task.state is TaskState.WAITING)
                        task.awaiting_lease = True
                    else:
                        interrupted.append((task.task_id, task.state, task.note))
                if not task.state.is_final:
                    unfinished.append(task.task_id)
                records.live[task.task_id] = task
                if task.state is TaskState.WAITING:
                    records.batch.join([task])
                records.recount(task)
                records.take_place(task.position)
                records.events.added(task.task_id)
                if task.state is TaskState.WAITING:
                    records.scheduler.line_up(task)
            self._repository.restore_states(interrupted)
        return unfinished


def task_from_store(item: StoredTask) -> UploadTask:
    """A stored task, whole, as it was when stored."""
    task = UploadTask(item.spec, item.checkpoint, item.status)
    task.loaded = (task.size or 0) if task.state is TaskState.SUCCESS else item.checkpoint.sent_bytes
    task.ready = True
    return task
