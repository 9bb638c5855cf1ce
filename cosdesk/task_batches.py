"""The stored tasks as a person remembers them: in the order they were added,
grouped into batches, the files added together.

The database has no batch column: a batch is recognised from what its tasks
share. The tasks of one ``cosdesk upload`` (or one drop on the window) are
created one after the other, at rising queue positions, with the same bucket,
endpoint and options. So a new batch starts where one of those changes, where
the position does not rise (each ``cosdesk upload`` numbers its tasks from 0),
or where more than ``BATCH_GAP_S`` passed since the task before. Tasks moved to
the top of the window's queue count as a batch of their own. Batches are
numbered from 1, oldest first; clearing a whole batch renumbers the later ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cosdesk.engine.task import TaskState
from cosdesk.engine.task_columns import StoredTask

# Longer than any pause between two files of one folder walk; shorter than the
# time a person takes to type a second command.
BATCH_GAP_S = 5.0


@dataclass(frozen=True)
class StoredBatch:
    number: int  # 1 = the oldest
    tasks: tuple[StoredTask, ...]  # oldest first

    @property
    def created_at(self) -> float:
        return self.tasks[0].spec.created_at


def in_time_order(stored: Iterable[StoredTask]) -> list[StoredTask]:
    """Oldest first; tasks created in the same instant in queue order."""
    return sorted(stored, key=lambda item: (item.spec.created_at, item.status.position))


def group_batches(stored: Iterable[StoredTask]) -> list[StoredBatch]:
    """The tasks in batches, oldest first (see the module's docstring)."""
    batches: list[list[StoredTask]] = []
    previous: StoredTask | None = None
    for item in in_time_order(stored):
        if previous is None or not _same_batch(previous, item):
            batches.append([])
        batches[-1].append(item)
        previous = item
    return [StoredBatch(number, tuple(tasks)) for number, tasks in enumerate(batches, start=1)]


def _same_batch(before: StoredTask, after: StoredTask) -> bool:
    first, second = before.spec, after.spec
    return (
        second.created_at - first.created_at <= BATCH_GAP_S
        and after.status.position > before.status.position
        and first.bucket == second.bucket
        and first.endpoint == second.endpoint
        and first.options == second.options
    )


def batch_of(batches: Sequence[StoredBatch], task_id: str) -> StoredBatch | None:
    return next((b for b in batches if any(item.spec.task_id == task_id for item in b.tasks)), None)


def bytes_done(item: StoredTask) -> int:
    """What the database says has reached the server: all of a finished file,
    the confirmed parts of an unfinished multipart upload (a simple upload
    that was interrupted starts again from its first byte)."""
    if item.status.state is TaskState.SUCCESS:
        return item.checkpoint.size or 0
    return item.checkpoint.sent_bytes
