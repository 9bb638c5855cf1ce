"""The stored tasks as a person remembers them: in the order they were added,
grouped into batches, the files added together.

A batch is the tasks that share a batch token (``TaskSpec.batch``: one per drop
on the window, ``cosdesk upload``, folder walk), and its number is the one the
database gave that token (``engine/batch_numbers.py``): numbers never change, so
clearing a batch leaves the later ones as they were printed. Batches are listed
oldest first (by their first task): in their numbers' order, but for tasks
numbered late (below). A batch's tasks are listed oldest first.

Tasks stored before batches were recorded have no token. The first listing puts
them in batches by the rule their numbers followed then, and numbers those: a new
batch started where the bucket, endpoint or options changed, where the queue
position did not rise (each ``cosdesk upload`` numbers its tasks from 0), or
after more than ``BATCH_GAP_S`` without a new task.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cosdesk.engine.task import TaskState
from cosdesk.engine.task_columns import StoredTask

if TYPE_CHECKING:
    from cosdesk.engine.store import TaskStore

# Longer than any pause between two files of one folder walk; shorter than the
# time a person takes to type a second command (the rule for tasks stored
# before batches were recorded).
BATCH_GAP_S = 5.0


@dataclass(frozen=True)
class StoredBatch:
    number: int  # given by the database when the batch was stored, never changed
    tasks: tuple[StoredTask, ...]  # oldest first

    @property
    def created_at(self) -> float:
        return self.tasks[0].spec.created_at


def in_time_order(stored: Iterable[StoredTask]) -> list[StoredTask]:
    """Oldest first; tasks created in the same instant in queue order."""
    return sorted(stored, key=lambda item: (item.spec.created_at, item.status.position))


def stored_batches(store: TaskStore) -> list[StoredBatch]:
    """Every stored task in its batch, oldest batch first. Tasks stored without a
    batch are put in batches first (once: the database keeps their numbers)."""
    stored = store.load_tasks()
    unbatched = [item for item in stored if item.spec.batch is None]
    if not unbatched:
        return group_batches(stored, store.batch_numbers())
    groups = earlier_batches(unbatched)
    numbers = store.put_in_batches([[item.spec.task_id for item in group] for group in groups])
    if numbers is None:  # another process numbered some of them: read what it made
        return group_batches(store.load_tasks(), store.batch_numbers())
    # Not read again: a million tasks took 35 s and held twice the memory.
    batched = group_batches([item for item in stored if item.spec.batch is not None], store.batch_numbers())
    earlier = [StoredBatch(number, tuple(group)) for number, group in zip(numbers, groups, strict=True)]
    return sorted(batched + earlier, key=_oldest_first)


def group_batches(stored: Iterable[StoredTask], numbers: Mapping[str, int]) -> list[StoredBatch]:
    """The tasks by batch token, with the tokens' ``numbers``, oldest batch first."""
    tasks_by_token: dict[str | None, list[StoredTask]] = {}
    for item in in_time_order(stored):
        tasks_by_token.setdefault(item.spec.batch, []).append(item)
    # 0: no number (yet), as for tasks stored without a batch, grouped together.
    batches = [
        StoredBatch(numbers.get(token, 0) if token is not None else 0, tuple(tasks))
        for token, tasks in tasks_by_token.items()
    ]
    return sorted(batches, key=_oldest_first)


def _oldest_first(batch: StoredBatch) -> tuple[float, int]:
    return batch.created_at, batch.number


def earlier_batches(stored: Iterable[StoredTask]) -> list[list[StoredTask]]:
    """Tasks stored before batches were recorded, grouped as their batches were
    then (see the module's docstring), oldest first."""
    batches: list[list[StoredTask]] = []
    previous: StoredTask | None = None
    for item in in_time_order(stored):
        if previous is None or not _same_batch(previous, item):
            batches.append([])
        batches[-1].append(item)
        previous = item
    return batches


def _same_batch(before: StoredTask, after: StoredTask) -> bool:
    first, second = before.spec, after.spec
    return (
        second.created_at - first.created_at <= BATCH_GAP_S
        and after.status.position > before.status.position
        and first.bucket == second.bucket
        and first.endpoint == second.endpoint
        and first.options == second.options
    )


def bytes_done(item: StoredTask) -> int:
    """What the database says has reached the server: all of a finished file,
    the confirmed parts of an unfinished multipart upload (a simple upload
    that was interrupted starts again from its first byte)."""
    if item.status.state is TaskState.SUCCESS:
        return item.checkpoint.size or 0
    return item.checkpoint.sent_bytes
