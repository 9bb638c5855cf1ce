"""Which task runs next (see ARCHITECTURE.md, 'Parts of the queue'): the waiting
line in queue order, the tasks running now, FileParallelLimit, one task per key
at a time, which tasks at rest to wake and which idle tasks to put at rest.

It decides; the queue acts (starts jobs, moves records between live and at
rest, emits). Every method is called with the queue's lock held, and reads the
queue's records of live and resting tasks without changing them.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping

from cosdesk.engine.resting import RestingTask
from cosdesk.engine.task import TaskState, UploadTask

# An entry of the waiting line: (the task's place in the queue, task id).
LineEntry = tuple[int, str]


def _position(task: UploadTask) -> int:
    return task.status.position


class Scheduler:
    """The waiting line and the running set of one queue.

    The line is a heap of ``(position, task_id)``; a task moved, paused or
    restarted gets a new entry and its old one turns stale (skipped when it comes
    up), so no change ever searches the heap."""

    def __init__(self, live: Mapping[str, UploadTask], resting: Mapping[str, RestingTask]) -> None:
        self._live = live
        self._resting = resting
        self._waiting: list[LineEntry] = []
        # Tasks whose FileJob was started and has not ended.
        self.running_ids: set[str] = set()
        self._waking = False  # a worker is reading tasks at rest back (see begin_wake)

    def line_up(self, task: UploadTask | RestingTask) -> None:
        """Put a waiting task in line at its place."""
        heapq.heappush(self._waiting, (task.position, task.task_id))

    def ended(self, task_id: str) -> None:
        """The task's job has ended."""
        self.running_ids.discard(task_id)

    def next_to_start(self, limit: int) -> tuple[list[UploadTask], bool]:
        """Take waiting tasks, in order, while fewer than ``limit`` run: the tasks to
        start now (counted as running from here on), and whether the next in line
        is at rest (to be woken before it can start). A task whose key another
        running task is sending waits until that one ends: two uploads of one key
        at once would race, and a key added again while it uploads must end with
        what was added last."""
        starting: list[UploadTask] = []
        must_wake = False
        held_back: list[LineEntry] = []
        while self._waiting and len(self.running_ids) < limit:
            position, task_id = heapq.heappop(self._waiting)
            if self._waiting_at_rest(task_id, position):
                # Next in line, but at rest: start once a worker has read it back.
                held_back.append((position, task_id))
                must_wake = True
                break
            task = self._live.get(task_id)
            if (
                task is None
                or task.state is not TaskState.WAITING
                or task.position != position
                or task_id in self.running_ids
                or not task.ready
            ):
                continue  # a stale heap entry; the task's live entry is elsewhere
            if self._key_in_flight(task):
                held_back.append((position, task_id))
                continue
            self.running_ids.add(task_id)
            starting.append(task)
        for entry in held_back:
            heapq.heappush(self._waiting, entry)
        return starting, must_wake

    def next_in_line(self, count: int) -> list[str]:
        """Up to ``count`` live waiting tasks likely to start next (in queue order,
        stale entries skipped), without taking them from the line."""
        return [
            task_id
            for position, task_id in heapq.nsmallest(2 * count, self._waiting)
            if (task := self._live.get(task_id)) is not None
            and task.state is TaskState.WAITING
            and task.position == position
            and task.ready
            and task_id not in self.running_ids
        ][:count]

    def _waiting_at_rest(self, task_id: str, position: int) -> bool:
        """Whether a waiting-line entry is a task at rest, waiting at that place."""
        resting = self._resting.get(task_id)
        return resting is not None and resting.state is TaskState.WAITING and resting.position == position

    def _key_in_flight(self, task: UploadTask) -> bool:
        # At most FileParallelLimit tasks run: a scan is cheap.
        for running_id in self.running_ids:
            other = self._live.get(running_id)
            if (
                other is not None
                and other.key == task.key
                and other.bucket == task.bucket
                and other.endpoint.without_profile() == task.endpoint.without_profile()
            ):
                return True
        return False

    # --- tasks at rest ------------------------------------------------------------------

    def begin_wake(self) -> bool:
        """Whether a worker should now read waiting tasks at rest back (one worker
        at a time: False while one does). Call :meth:`end_wake` when it is done."""
        if self._waking:
            return False
        self._waking = True
        return True

    def end_wake(self) -> None:
        self._waking = False

    def take_wake_batch(self, size: int) -> list[LineEntry]:
        """Take the first ``size`` waiting tasks at rest out of the line (the queue
        lines them up again once they are live); stale entries go."""
        entries: list[LineEntry] = []
        kept: list[LineEntry] = []
        while self._waiting and len(entries) < size:
            position, task_id = heapq.heappop(self._waiting)
            if self._waiting_at_rest(task_id, position):
                entries.append((position, task_id))
            elif task_id in self._live:
                kept.append((position, task_id))
        for entry in kept:
            heapq.heappush(self._waiting, entry)
        return entries

    def to_rest(self, live_limit: int, wake_batch: int, keep: Collection[str]) -> list[UploadTask]:
        """The live tasks to put at rest while more than ``live_limit`` are in memory:
        every task without a worker, a pending retry or a wait for another
        process's lease (those come back through the retry timer, which knows only
        whole tasks), but the first ``wake_batch`` waiting ones (about to run) and
        those of ``keep``."""
        if len(self._live) <= live_limit:
            return []
        idle = [
            task
            for task in self._live.values()
            if task.ready
            and task.control is None
            and task.retry_at is None
            and not task.awaiting_lease
            and not task.state.is_active
        ]
        waiting = [task for task in idle if task.state is TaskState.WAITING]
        next_up = {task.task_id for task in heapq.nsmallest(wake_batch, waiting, key=_position)}
        return [task for task in idle if task.task_id not in next_up and task.task_id not in keep]
