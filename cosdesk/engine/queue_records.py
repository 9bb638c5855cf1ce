"""The records of one queue, shared by the queue and its parts (see ARCHITECTURE.md,
'Parts of the queue'): every task, live (whole, in memory) or at rest, the lock
that guards them all, and the running totals kept as tasks change.

The queue decides and acts; the parts that read its tasks (``task_reads.py``)
or bring back an earlier run's (``task_restore.py``) work on these records under
the same lock, so no part ever holds a copy of a task.
"""

from __future__ import annotations

import threading
from collections import Counter

from cosdesk.engine.batch import BatchTracker
from cosdesk.engine.intake import TaskIds
from cosdesk.engine.pending_events import PendingEvents
from cosdesk.engine.resting import RestingTask, RestingTasks
from cosdesk.engine.scheduler import Scheduler
from cosdesk.engine.task import TaskState, UploadTask


class QueueRecords:
    """What one queue knows of its tasks. Every field is read and changed with
    ``lock`` held (an RLock: a public method of the queue may call another)."""

    def __init__(self, next_position: int) -> None:
        self.lock = threading.RLock()
        # Tasks running or about to run, whole; the others at rest (engine/resting.py),
        # their spec and checkpoint only in the database. Every task is in one of the two.
        self.live: dict[str, UploadTask] = {}
        self.resting = RestingTasks()
        self.ids = TaskIds()
        # Which task runs next: the waiting line and the running set.
        self.scheduler = Scheduler(self.live, self.resting)
        # The place in the queue the next new task takes.
        self.next_position = next_position
        # The current batch's figures (the status bar's), and what changed since the
        # last event tick.
        self.batch = BatchTracker()
        self.events = PendingEvents()
        # Tasks per state, kept by recount on each change, so an event tick never
        # walks 10,000 tasks.
        self.state_counts: Counter[TaskState] = Counter()

    def knows(self, task_id: str) -> bool:
        return task_id in self.live or task_id in self.resting

    def find(self, task_id: str) -> UploadTask | RestingTask | None:
        return self.live.get(task_id) or self.resting.get(task_id)

    def recount(self, task: UploadTask | RestingTask) -> None:
        """Bring the running totals (tasks per state, the batch's figures) up to
        date with one task: take out what it counted before, add what it counts
        now (nothing once it left)."""
        present = self.knows(task.task_id)
        self.batch.recount(task, present=present)
        tally = task.tally
        if tally.counted is not None:
            self.state_counts[tally.counted] -= 1
        tally.counted = task.state if present else None
        if present:
            self.state_counts[task.state] += 1

    def take_place(self, position: int) -> None:
        """A task at ``position`` came back from the database: new ones go after it."""
        self.next_position = max(self.next_position, position + 1)
