"""Which task runs next (see ARCHITECTURE.md, 'Parts of the queue'): the waiting
line of whole tasks in queue order, the tasks running now, FileParallelLimit,
one task per key at a time, when to wake tasks at rest, and which tasks to put
at rest.

It decides; the queue acts (starts jobs, moves records between live and at
rest, emits). Every method is called with the queue's lock held, and reads the
queue's records of live and resting tasks without changing them (but the
resting tasks' own line, whose entries :meth:`take_wake_batch` takes).
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping

from cosdesk.engine.resting import RestingTasks
from cosdesk.engine.task import TaskState, UploadTask

# An entry of the waiting line: (the task's place in the queue, task id).
LineEntry = tuple[int, str]

# Whole tasks looked at, and put at rest, per sweep (one per event tick on the
# GUI thread): a few milliseconds each.
SWEEP_SIZE = 4000
REST_PER_SWEEP = 1000


class Scheduler:
    """The waiting line and the running set of one queue.

    The line is a heap of ``(position, task_id)`` of whole tasks; a task moved,
    paused or restarted gets a new entry and its old one turns stale (skipped
    when it comes up), so no change ever searches the heap. Waiting tasks at
    rest are in their own line (``RestingTasks``, an int per task), consulted to
    know when the next task is one of them."""

    def __init__(self, live: Mapping[str, UploadTask], resting: RestingTasks) -> None:
        self._live = live
        self._resting = resting
        self._waiting: list[LineEntry] = []
        # Tasks whose FileJob was started and has not ended.
        self.running_ids: set[str] = set()
        self._waking = False  # a worker is reading tasks at rest back (see begin_wake)
        self._sweep_from = 0  # where the next sweep for tasks to rest starts (see to_rest)

    def line_up(self, task: UploadTask) -> None:
        """Put a whole waiting task in line at its place (one at rest takes its
        place in its own line as its state or place changes)."""
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
        while len(self.running_ids) < limit:
            first_live = self._first_live()
            first_at_rest = self._resting.first_waiting()
            if first_at_rest is not None and (first_live is None or first_at_rest < first_live[0]):
                # Next in line, but at rest: start once a worker has read it back.
                must_wake = True
                break
            if first_live is None:
                break
            heapq.heappop(self._waiting)
            task = self._live[first_live[1]]
            if self._key_in_flight(task):
                held_back.append(first_live)
                continue
            self.running_ids.add(task.task_id)
            starting.append(task)
        for entry in held_back:
            heapq.heappush(self._waiting, entry)
        return starting, must_wake

    def _first_live(self) -> LineEntry | None:
        """The first entry of the line that is a live waiting task at its place
        (stale entries before it go)."""
        while self._waiting:
            position, task_id = self._waiting[0]
            task = self._live.get(task_id)
            if (
                task is not None
                and task.state is TaskState.WAITING
                and task.position == position
                and task_id not in self.running_ids
                and task.ready
            ):
                return position, task_id
            heapq.heappop(self._waiting)  # a stale entry; the task's live entry is elsewhere
        return None

    def next_in_line(self, count: int) -> list[str]:
        """Up to ``count`` live waiting tasks likely to start next (in queue order,
        stale entries skipped), without taking them from the line."""
        return [
            task_id
            for position, task_id in smallest_of_heap(self._waiting, 2 * count)
            if (task := self._live.get(task_id)) is not None
            and task.state is TaskState.WAITING
            and task.position == position
            and task.ready
            and task_id not in self.running_ids
        ][:count]

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

    def end_wake(self, not_woken: list[str]) -> None:
        """The worker is done; ``not_woken`` (taken, but still at rest: the read
        failed) go back in the line of those at rest."""
        self._waking = False
        self._resting.line_up(not_woken)

    def take_wake_batch(self, size: int) -> list[str]:
        """Take the ids of the first ``size`` waiting tasks at rest out of their
        line (the queue lines them up here once they are live)."""
        return self._resting.take_waiting(size)

    def may_rest(self, task: UploadTask, keep: Collection[str]) -> bool:
        """Whether a whole task may go at rest: it is stored and has no worker, no
        pending retry and no wait for another process's lease (those come back
        through the retry timer, which knows only whole tasks), and is not one of
        ``keep``."""
        return (
            task.ready
            and task.control is None
            and task.retry_at is None
            and not task.awaiting_lease
            and not task.state.is_active
            and task.task_id not in keep
        )

    def rest_at_once(
        self, task: UploadTask, live_limit: int, wake_batch: int, keep: Collection[str], *, going: int = 0
    ) -> bool:
        """Whether a task just stored goes at rest at once: the queue holds more
        than ``live_limit`` tasks and ``wake_batch`` are whole, so a big folder
        never piles up whole tasks for the sweep (:meth:`to_rest`). It is last in
        line; should it be next after all, the queue wakes it. ``going``: tasks
        the caller took out of the live ones to put at rest, not at rest yet."""
        whole = len(self._live)
        if whole + len(self._resting) + going <= live_limit or whole <= wake_batch:
            return False
        return self._live.get(task.task_id) is task and self.may_rest(task, keep)

    def to_rest(self, live_limit: int, wake_batch: int, keep: Collection[str]) -> list[UploadTask]:
        """Live tasks to put at rest while more than ``live_limit`` are in memory:
        finished, paused and failed ones first, then waiting ones but the first
        ``wake_batch`` (about to run); never those :meth:`may_rest` refuses. Each
        call looks at ``SWEEP_SIZE`` tasks, going on from where the last one
        stopped, and picks at most ``REST_PER_SWEEP``: the GUI thread never walks
        or rests tens of thousands at once."""
        if len(self._live) <= live_limit:
            return []
        tasks = list(self._live.values())
        start = self._sweep_from % len(tasks)
        count = min(SWEEP_SIZE, len(tasks))
        looked_at = tasks[start : start + count]
        looked_at += tasks[: count - len(looked_at)]  # round the end, to the first ones
        self._sweep_from = (start + count) % len(tasks)
        chosen: list[UploadTask] = []
        waiting: list[UploadTask] = []
        for task in looked_at:
            if len(chosen) >= REST_PER_SWEEP:
                return chosen
            if not self.may_rest(task, keep):
                continue
            if task.state is TaskState.WAITING:
                waiting.append(task)
            else:
                chosen.append(task)
        if not waiting or len(self._live) - len(chosen) <= live_limit:
            return chosen
        # The first wake_batch waiting tasks in memory without a job stay whole.
        positions = (
            task.position for task in tasks if task.state is TaskState.WAITING and task.control is None
        )
        next_up = heapq.nsmallest(wake_batch, positions)
        if len(next_up) < wake_batch:
            return chosen
        last_kept = next_up[-1]
        for task in waiting:
            if len(chosen) >= REST_PER_SWEEP:
                break
            if task.position > last_kept:
                chosen.append(task)
        return chosen


def smallest_of_heap(heap: list[LineEntry], count: int) -> list[LineEntry]:
    """The ``count`` smallest entries of a heap, smallest first, by walking down
    from its top (count log count steps). ``heapq.nsmallest`` looks at every
    entry: with the line of a big drop, that was 4% of the time adding it took,
    as each file's start asked for the next few in line."""
    found: list[LineEntry] = []
    frontier: list[tuple[LineEntry, int]] = [(heap[0], 0)] if heap else []
    while frontier and len(found) < count:
        entry, index = heapq.heappop(frontier)
        found.append(entry)
        for child in (2 * index + 1, 2 * index + 2):
            if child < len(heap):
                heapq.heappush(frontier, (heap[child], child))
    return found
