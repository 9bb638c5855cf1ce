"""The numbers of batches: the files added together (one drop on the window, one
``cosdesk upload``, one folder walk) share a token in their spec (``TaskSpec.batch``),
made in memory as they are added, and the database gives each token a number
the first time a task of it is stored. ``cosdesk tasks`` shows that number and
``--batch N`` takes it, and it never changes: clearing older batches does not
renumber the later ones, so a ``cosdesk tasks resume --batch 12`` printed
yesterday still names the same files (ARCHITECTURE.md, "Batches").

Numbers come from an AUTOINCREMENT key, in the order the batches reached the
database, and are never given twice, even across processes (the store's writer
numbers them inside its transaction) or after every task was cleared.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Sequence

from cosdesk.engine.columns import SharedTexts

BATCHES_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT NOT NULL UNIQUE
)"""


def new_batch_token() -> str:
    """A token no other batch, of any process, has."""
    return uuid.uuid4().hex


def number_batches(db: sqlite3.Connection, tokens: Iterable[str]) -> None:
    """Give the tokens not numbered yet the next numbers, in this order (in the
    writer's transaction, before their tasks are written)."""
    # Not INSERT OR IGNORE: an insert the UNIQUE constraint refuses still uses up
    # a number, and every slice of a big drop would leave a gap.
    db.executemany(
        "INSERT INTO batches(token) SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM batches WHERE token = ?1)",
        ((token,) for token in tokens),
    )


def batch_numbers(db: sqlite3.Connection) -> dict[str, int]:
    """Every token's number."""
    return {str(token): int(number) for token, number in db.execute("SELECT token, number FROM batches")}


def put_in_batches(
    db: sqlite3.Connection, texts: SharedTexts, groups: Sequence[Sequence[str]]
) -> list[int] | None:
    """Make each group of task ids (oldest group first) a batch of its own, with
    the next number; returns the numbers, or None when some of the tasks had a
    batch already or were gone. Only tasks without a batch are changed: another
    process that numbered them first keeps its numbers (its batches, and a
    number or two given to none here)."""
    numbers: list[int] = []
    all_changed = True
    for task_ids in groups:
        token = new_batch_token()
        number_batches(db, [token])
        batch_id = texts.id_of(token)
        changed = db.executemany(
            "UPDATE tasks SET batch_id = ? WHERE task_id = ? AND batch_id IS NULL",
            ((batch_id, task_id) for task_id in task_ids),
        ).rowcount
        all_changed = all_changed and changed == len(task_ids)
        (number,) = db.execute("SELECT number FROM batches WHERE token = ?", (token,)).fetchone()
        numbers.append(int(number))
    return numbers if all_changed else None


def forget_unused_batches(db: sqlite3.Connection) -> None:
    """Drop the numbers of batches no task is in any more (after their shared
    texts went): the sequence keeps counting, so none is given again."""
    db.execute("DELETE FROM batches WHERE token NOT IN (SELECT text FROM shared_texts)")
