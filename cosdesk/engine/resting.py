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

from dataclasses import dataclass

from cosdesk.engine.task import TaskState, UploadTask, check_transition


@dataclass(slots=True, eq=False)
class RestingTask:
    """A task whose spec and checkpoint are only in the database. The attribute
    names are those of ``UploadTask`` that the queue's counts read (state, size,
    loaded, the batch's marks), so the same counting code serves both."""

    task_id: str
    position: int
    state: TaskState
    size: int | None
    loaded: int  # bytes the server holds: all of a finished file, the confirmed parts
    has_upload: bool  # a multipart upload ID is recorded: canceling must abort it
    batch_number: int = 0
    batch_counted: tuple[TaskState, int, int] | None = None
    counted: TaskState | None = None

    # What an UploadTask at rest would say: no worker, no pending retry.
    control = None
    retry_at = None
    ready = True

    def set_state(self, new: TaskState) -> None:
        check_transition(self.state, new)
        self.state = new


def rest(task: UploadTask) -> RestingTask:
    """The resting form of a task that is stored and has no worker."""
    return RestingTask(
        task_id=task.task_id,
        position=task.position,
        state=task.state,
        size=task.size,
        loaded=task.loaded,
        has_upload=task.upload_id is not None,
        batch_number=task.batch_number,
        batch_counted=task.batch_counted,
        counted=task.counted,
    )


def wake(resting: RestingTask, task: UploadTask) -> UploadTask:
    """``task``, read back from the database, carrying on where ``resting`` was
    counted (the queue's counts and the batch's totals stay exact)."""
    task.loaded = resting.loaded
    task.batch_number = resting.batch_number
    task.batch_counted = resting.batch_counted
    task.counted = resting.counted
    task.ready = True
    return task
