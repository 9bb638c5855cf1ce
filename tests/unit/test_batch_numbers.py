"""Batch numbers as the database gives them (engine/batch_numbers.py): one per
token, in the order batches were stored, never changed and never given twice, and
numbers for tasks stored before batches were recorded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support.task_rows import listed_batches, make_row

from cosdesk.engine.store import TaskStore
from cosdesk.task_batches import BATCH_GAP_S


def numbered(store: TaskStore) -> list[tuple[int, list[str]]]:
    return [(number, [item.spec.task_id for item in tasks]) for number, tasks in listed_batches(store)]


def test_a_batch_keeps_its_number_when_older_ones_are_cleared_and_no_number_comes_twice(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.sqlite3"
    store = TaskStore(path)
    # Two slices of one drop, then two commands: three batches.
    store.insert_tasks([make_row("a0", 0, batch="drop", created_at=10.0)])
    store.insert_tasks([make_row("a1", 1, batch="drop", created_at=10.1)])
    store.insert_tasks([make_row("b0", 0, batch="command", created_at=11.0)])
    # Another process sharing the database stores a batch meanwhile.
    other = TaskStore(path)
    other.insert_tasks([make_row("c0", 0, batch="other process", created_at=12.0)])
    other.close()
    store.flush()
    assert numbered(store) == [(1, ["a0", "a1"]), (2, ["b0"]), (3, ["c0"])]

    store.delete_tasks(["a0", "a1"])
    store.flush()
    assert numbered(store) == [(2, ["b0"]), (3, ["c0"])]

    # Everything cleared (its shared texts and batch numbers go): a new batch
    # still gets a number never shown before.
    store.delete_tasks(["b0", "c0"])
    store.insert_tasks([make_row("d0", 0, batch="later", created_at=13.0)])
    store.flush()
    assert numbered(store) == [(4, ["d0"])]
    store.close()


def test_tasks_stored_before_batches_were_recorded_get_numbers_once_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    store = TaskStore(path)
    gap = BATCH_GAP_S + 1
    store.insert_tasks(
        [
            make_row("old-a0", 0, created_at=100.0),
            make_row("old-a1", 1, created_at=100.1),
            make_row("old-b0", 0, created_at=100.2),  # a second command: positions from 0
            make_row("old-c0", 5, created_at=100.2 + gap),
        ]
    )
    store.flush()
    store.close()
    # As a database of an older version has them: no batch at all.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE tasks SET batch_id = NULL")
    store = TaskStore(path)
    store.insert_tasks([make_row("new0", 0, batch="new", created_at=200.0)])
    store.flush()

    # Numbered after the batch stored since, listed before it: oldest first.
    first = numbered(store)
    assert first == [(2, ["old-a0", "old-a1"]), (3, ["old-b0"]), (4, ["old-c0"]), (1, ["new0"])]
    store.delete_tasks(["old-a0", "old-a1"])
    store.flush()
    assert numbered(store) == first[1:]
    store.close()


def test_tasks_another_process_numbered_first_keep_their_batch(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    store = TaskStore(path)
    store.insert_tasks([make_row("old0", 0, created_at=100.0), make_row("old1", 1, created_at=100.1)])
    store.flush()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE tasks SET batch_id = NULL")
    other = TaskStore(path)
    assert other.put_in_batches([["old0", "old1"]]) == [1]
    other.close()

    # This one read them without a batch: it learns that they have one now.
    assert store.put_in_batches([["old0", "old1"]]) is None
    assert numbered(store) == [(1, ["old0", "old1"])]
    store.close()
