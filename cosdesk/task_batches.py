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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cosdesk.engine.task import TaskState
from cosdesk.engine.task_columns import StoredTask
from cosdesk.engine.task_listing import TaskChoice, batch_firsts, chosen_tasks

if TYPE_CHECKING:
    from cosdesk.engine.store import TaskStore

# Longer than any pause between two files of one folder walk; shorter than the
# time a person takes to type a second command (the rule for tasks stored
# before batches were recorded).
BATCH_GAP_S = 5.0


@dataclass(frozen=True)
class Batch:
    number: int  # given by the database when the batch was stored, never changed (0: none yet)
    token: str | None  # None: tasks stored without a batch since the numbering below
    first_at: float  # when its first task was made


def in_time_order(stored: Iterable[StoredTask]) -> list[StoredTask]:
    """Oldest first; tasks created in the same instant in queue order."""
    return sorted(stored, key=lambda item: (item.spec.created_at, item.status.position))


def batches_in_order(store: TaskStore) -> list[Batch]:
    """Every batch of the database, oldest first (by its first task): without
    reading a task. Tasks stored without a batch are put in batches first (once:
    the database keeps their numbers)."""
    with store.reading() as db:
        firsts = batch_firsts(db)
    if any(token is None for token, _first in firsts):
        number_earlier_batches(store)
        with store.reading() as db:
            firsts = batch_firsts(db)
    numbers = store.batch_numbers()
    # 0: no number, as for tasks an older version stored without a batch meanwhile.
    batches = [Batch(numbers.get(token, 0) if token is not None else 0, token, at) for token, at in firsts]
    return sorted(batches, key=lambda batch: (batch.first_at, batch.number))


def number_earlier_batches(store: TaskStore) -> None:
    """Put the tasks stored without a batch in the batches they had then, each
    with the next number. Another process doing the same at once keeps the
    numbers it gave (``TaskStore.put_in_batches``)."""
    with store.reading() as db:
        unbatched = list(chosen_tasks(db, TaskChoice(unbatched=True), ()))
    groups = earlier_batches(unbatched)
    store.put_in_batches([[item.spec.task_id for item in group] for group in groups])


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
