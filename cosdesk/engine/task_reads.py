"""Reading a queue's tasks (see ARCHITECTURE.md, 'Parts of the queue'): snapshots
of tasks in memory, and of tasks at rest from the database with what the queue
knows better than their rows on top (state, place, bytes sent).

Any thread may read. A long list of ids is read in slices, each under the
queue's lock for a moment, so a reader of thousands lets the others in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import replace

from cosdesk.engine.queue_records import QueueRecords
from cosdesk.engine.resting import RestingTask
from cosdesk.engine.task import (
    CompactRow,
    PartRecord,
    RestingState,
    TaskFigures,
    TaskSnapshot,
    TaskState,
    UploadTask,
)
from cosdesk.engine.task_columns import StoredTask
from cosdesk.engine.task_repository import TaskRepository

# Snapshots made per hold of the lock (a reader of thousands lets the GUI thread in).
_SNAPSHOT_SLICE = 256
# How long a read of tasks at rest waits for the queue's writes before it reads
# the rows as they are (see _resting_snapshots).
_READ_FLUSH_S = 0.05
# States a task at rest flips between by a pause or restart (see RestingState).
_IDLE = frozenset({TaskState.WAITING, TaskState.PAUSED})


class TaskReads:
    def __init__(self, records: QueueRecords, repository: TaskRepository) -> None:
        self._records = records
        self._repository = repository

    def tasks(self) -> list[TaskSnapshot]:
        """Every task, in queue order. Tasks at rest are read from the database."""
        records = self._records
        with records.lock:
            every = [*records.live, *records.resting]
        return sorted(self.snapshots_of(every), key=lambda snapshot: snapshot.position)

    def task_figures(self) -> list[TaskFigures]:
        """Every task's state, size and bytes on the server, from memory."""
        records = self._records
        tasks: list[UploadTask | RestingTask]
        with records.lock:
            tasks = [*records.live.values(), *records.resting.values()]
            return [TaskFigures(task.task_id, task.state, task.size, task.loaded) for task in tasks]

    def snapshots_of(self, task_ids: Iterable[str]) -> list[TaskSnapshot]:
        """The tasks of ``task_ids`` that exist, in no particular order: those in
        memory at once, those at rest from the database in one read (a read per
        task, each waiting for the store's writes, made a table of 100,000 rows
        take minutes to fill)."""
        now = time.monotonic()
        live, at_rest = self._records.live, self._records.resting
        snapshots: list[TaskSnapshot] = []
        resting: list[str] = []
        for some_ids in self._under_lock_in_slices(task_ids):
            for task_id in some_ids:
                task = live.get(task_id)
                if task is not None:
                    snapshots.append(task.snapshot(now))
                elif task_id in at_rest:
                    resting.append(task_id)
        return snapshots + self._resting_snapshots(resting)

    def table_rows_of(
        self, task_ids: Iterable[str], shown_idle: Callable[[str], bool] | None = None
    ) -> list[TaskSnapshot | CompactRow | RestingState]:
        """As ``snapshots_of``, for the task table: a task in memory that has
        nothing more to show comes as its ``CompactRow``, not as a snapshot; a
        waiting or paused task at rest that ``shown_idle(task_id)`` says the table
        shows as waiting or paused, as its ``RestingState``."""
        now = time.monotonic()
        live_tasks, at_rest = self._records.live, self._records.resting
        rows: list[TaskSnapshot | CompactRow | RestingState] = []
        resting_ids: list[str] = []
        for some_ids in self._under_lock_in_slices(task_ids):
            for task_id in some_ids:
                live = live_tasks.get(task_id)
                if live is not None:
                    rows.append(live.compact_row() or live.snapshot(now))
                elif (resting := at_rest.get(task_id)) is not None:
                    if resting.state in _IDLE and shown_idle is not None and shown_idle(task_id):
                        rows.append(RestingState(task_id, resting.state, resting.size, resting.loaded))
                    else:
                        resting_ids.append(task_id)
        rows += self._resting_snapshots(resting_ids)
        return rows

    def tasks_with_keys(self, keys: Collection[str]) -> list[TaskSnapshot]:
        """The tasks whose key is one of ``keys``, or may be a numbered form of one
        (``name (2).ext``), found by the database, not by reading every task."""
        with self._records.lock:
            # Tasks so new that their rows may not be queued for the database yet:
            # few (the live ones), so they are the set, and the keys are looked up
            # one by one. A set of a million dropped keys was one C call that held
            # the GIL for 0.2 s, a stall of the window.
            live: dict[str, list[str]] = {}
            found = set()
            for task in self._records.live.values():
                live.setdefault(task.key, []).append(task.task_id)
                if " (" in task.key:
                    found.add(task.task_id)
        if live:
            for key in keys:
                ids = live.get(key)
                if ids:
                    found.update(ids)
        found.update(self._repository.ids_with_keys(keys))
        return self.snapshots_of(found)

    def task_parts(self, task_id: str) -> list[PartRecord]:
        """The parts of a multipart task the server has confirmed (and we verified),
        by part number; empty for an unknown or finished task."""
        with self._records.lock:
            task = self._records.live.get(task_id)
            parts = list(task.parts.values()) if task is not None else None
        if parts is None:
            parts = [
                part for item in self._repository.read([task_id]) for part in item.checkpoint.parts.values()
            ]
        return sorted(parts, key=lambda part: part.part_number)

    def _under_lock_in_slices(self, task_ids: Iterable[str]) -> Iterator[list[str]]:
        """``task_ids`` in slices, each handed out with the queue's lock held: a
        long list never keeps the lock from the others for long."""
        ids = list(task_ids)
        for start in range(0, len(ids), _SNAPSHOT_SLICE):
            with self._records.lock:
                yield ids[start : start + _SNAPSHOT_SLICE]

    def _resting_snapshots(self, task_ids: list[str]) -> list[TaskSnapshot]:
        """Snapshots of tasks at rest, from the database, with the queue's state and
        place on top. The queue's writes are waited for only briefly: behind a
        backlog (a million rows being stored) a reader waited for all of it, up to
        seconds. Only a task whose row is not written yet waits for it."""
        if not task_ids:
            return []
        records = self._records
        stored = self._repository.read_after_writes(task_ids, _READ_FLUSH_S)
        snapshots = []
        at_rest: list[tuple[StoredTask, TaskState, int, int]] = []
        for start in range(0, len(stored), _SNAPSHOT_SLICE):
            with records.lock:  # only what the queue knows better than the row
                for item in stored[start : start + _SNAPSHOT_SLICE]:
                    resting = records.resting.get(item.spec.task_id)
                    live = records.live.get(item.spec.task_id)
                    if live is not None:
                        snapshots.append(live.snapshot())
                    elif resting is not None:
                        at_rest.append((item, resting.state, resting.position, resting.loaded))
        for item, state, position, loaded in at_rest:
            status = item.status
            if (status.state, status.position) != (state, position):
                status = replace(status, state=state, position=position)
            task = UploadTask(item.spec, item.checkpoint, status)
            task.loaded = loaded
            snapshots.append(task.snapshot())
        return snapshots
