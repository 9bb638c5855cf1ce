"""Tasks at rest: what the queue keeps in memory of a task that is neither
running nor about to run (see ARCHITECTURE.md, 'Tasks at rest').

A queue of a million files cannot hold a million task records: each is about
two kilobytes with its strings. A task that has nothing to do for a while —
finished, paused, failed, or waiting far down the queue — becomes a
``RestingTask``: its state, its place and what it adds to the counts, about a
tenth of that. Its spec and checkpoint stay in SQLite, where they are already
stored, and are read back when the task is about to run or someone asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from cosdesk.engine.task import Tally, TaskState, TaskStatus, UploadTask, check_transition


@dataclass(slots=True, eq=False)
class RestingTask:
    """A task whose spec and checkpoint are only in the database. It keeps the
    task's status and tally (the same objects) and reads as an ``UploadTask`` to
    the counting code (state, size, loaded, tally)."""

    task_id: str
    status: TaskStatus
    size: int | None
    loaded: int  # bytes the server holds: all of a finished file, the confirmed parts
    has_upload: bool  # a multipart upload ID is recorded: canceling must abort it
    tally: Tally = field(default_factory=Tally)

    # What an UploadTask at rest would say: no worker, no pending retry.
    control = None
    retry_at = None
    ready = True

    @property
    def state(self) -> TaskState:
        return self.status.state

    @property
    def position(self) -> int:
        return self.status.position

    @position.setter
    def position(self, position: int) -> None:
        self.status = replace(self.status, position=position)

    def set_state(self, new: TaskState) -> None:
        """Move to ``new`` through the table of engine/task.py (ValueError outside it)."""
        check_transition(self.status.state, new)
        self.status = replace(self.status, state=new)

    def take_stored(self, status: TaskStatus) -> None:
        """Take the status another process stored for this task (its row changed
        after this queue's last write). Not a transition of this queue: that
        process's queue checked it, and the row is the truth."""
        self.status = status


def rest(task: UploadTask) -> RestingTask:
    """The resting form of a task that is stored and has no worker."""
    return RestingTask(
        task.task_id, task.status, task.size, task.loaded, task.upload_id is not None, task.tally
    )


def wake(resting: RestingTask, task: UploadTask) -> UploadTask:
    """``task``, read back from the database, carrying on where ``resting`` was
    counted (the queue's counts and the batch's totals stay exact)."""
    task.status = resting.status  # the queue's, which the database may not have yet
    task.loaded = resting.loaded
    task.tally = resting.tally
    task.ready = True
    return task
