"""Choosing and ordering stored tasks in SQL (engine/task_listing.py), on a real
task database: the order ``cosdesk tasks`` lists them in, its filters, and the
shortest task-id prefixes it shows and reads back."""

from __future__ import annotations

from pathlib import Path

from support.task_rows import listed_batches, make_row

from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import TaskState
from cosdesk.engine.task_listing import (
    SLICE,
    TaskChoice,
    chosen_ids,
    chosen_tasks,
    count_starting,
    ids_starting,
    shortest_unique_prefix,
)
from cosdesk.engine.task_record import PartRecord
from cosdesk.task_batches import batches_in_order


def test_batches_come_oldest_first_by_their_first_task_and_each_batchs_tasks_oldest_first(
    tmp_path: Path,
) -> None:
    store = TaskStore(tmp_path / "tasks.sqlite3")
    store.insert_tasks(
        [
            # Two runs of `cosdesk upload` a second apart: each numbers its tasks from 0.
            make_row("b1", 1, created_at=100.2, batch="first"),
            make_row("a0", 0, created_at=100.0, batch="first"),
            make_row("b0", 0, created_at=101.0, batch="second"),
            make_row("b1x", 1, created_at=101.1, batch="second"),
            # Moved to the top of the queue since (position 0): still its batch's.
            make_row("c0", 0, created_at=102.5, batch="third"),
            make_row("c1", 3, created_at=102.0, batch="third"),
        ]
    )
    # A batch stored later whose first task is older (a drop added in slices
    # while a command ran): listed by its first task, not by its number.
    store.insert_tasks([make_row("d0", 0, created_at=100.5, batch="fourth")])
    store.flush()

    listed = [(number, [item.spec.task_id for item in tasks]) for number, tasks in listed_batches(store)]
    assert listed == [
        (1, ["a0", "b1"]),
        (4, ["d0"]),
        (2, ["b0", "b1x"]),
        (3, ["c1", "c0"]),
    ]
    store.close()


def test_a_choice_filters_by_state_batch_and_id_and_brings_each_tasks_parts(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "tasks.sqlite3")
    store.insert_tasks(
        [
            make_row("t-done", 0, created_at=1.0, batch="one", state=TaskState.SUCCESS),
            make_row("t-failed", 1, created_at=1.1, batch="one", state=TaskState.ERROR),
            make_row("t-big", 2, created_at=1.2, batch="one", state=TaskState.PAUSED, size=3 * 1024 * 1024),
            make_row("u-failed", 0, created_at=2.0, batch="two", state=TaskState.ERROR),
        ]
    )
    parts = [PartRecord(1, '"e1"', 1024 * 1024, 11), PartRecord(2, '"e2"', 1024 * 1024, 22)]
    store.replace_parts("t-big", parts)
    store.flush()
    order = [batch.token for batch in batches_in_order(store)]

    def chosen(choice: TaskChoice) -> list[str]:
        with store.reading() as db:
            return [item.spec.task_id for item in chosen_tasks(db, choice, order)]

    assert chosen(TaskChoice()) == ["t-done", "t-failed", "t-big", "u-failed"]
    assert chosen(TaskChoice(states=frozenset({TaskState.ERROR}))) == ["t-failed", "u-failed"]
    assert chosen(TaskChoice(batches=frozenset({"two"}))) == ["u-failed"]
    assert chosen(TaskChoice(batches=frozenset({"one"}), states=frozenset({TaskState.ERROR}))) == ["t-failed"]
    assert chosen(TaskChoice(task_ids=frozenset({"u-failed", "t-done"}))) == ["t-done", "u-failed"]
    assert chosen(TaskChoice(states=frozenset({TaskState.CANCELED}))) == []

    with store.reading() as db:
        (big,) = chosen_tasks(db, TaskChoice(task_ids=frozenset({"t-big"})), order)
        # What a command that acts on tasks reads of them: ids and states, no records.
        failed_or_paused = chosen_ids(db, TaskChoice(states=frozenset({TaskState.ERROR, TaskState.PAUSED})))
        assert sorted(failed_or_paused) == [
            ("t-big", TaskState.PAUSED),
            ("t-failed", TaskState.ERROR),
            ("u-failed", TaskState.ERROR),
        ]
    assert list(big.checkpoint.parts.values()) == parts
    store.close()


def test_a_listing_bigger_than_a_slice_keeps_its_order_and_every_tasks_parts(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "tasks.sqlite3")
    count = SLICE * 2 + 7
    store.insert_tasks(
        [make_row(f"task-{n:05d}", n, created_at=1000.0 + n / 1000, batch="big") for n in range(count)]
    )
    for n in (0, SLICE - 1, SLICE, count - 1):
        store.replace_parts(f"task-{n:05d}", [PartRecord(1, f'"{n}"', 1024 * 1024, n)])
    store.flush()
    with store.reading() as db:
        listed = list(chosen_tasks(db, TaskChoice(), ["big"]))
    assert [item.spec.task_id for item in listed] == [f"task-{n:05d}" for n in range(count)]
    parts = {item.spec.task_id: item.checkpoint.parts[1].etag for item in listed if item.checkpoint.parts}
    assert parts == {f"task-{n:05d}": f'"{n}"' for n in (0, SLICE - 1, SLICE, count - 1)}
    store.close()


def test_task_ids_are_shown_by_the_shortest_prefix_that_tells_them_apart_and_read_back_by_it(
    tmp_path: Path,
) -> None:
    store = TaskStore(tmp_path / "tasks.sqlite3")
    # Ids made together share their first 12 digits (the millisecond they were made).
    ids = ["0000018c2f3a4b5c" + "0" * 16, "0000018c2f3a4b5d" + "1" * 16, "0000018c2f3a4b5d" + "2" * 16]
    store.insert_tasks([make_row(task_id, n, batch="one") for n, task_id in enumerate(ids)])
    store.flush()
    with store.reading() as db:
        assert shortest_unique_prefix(db, 12) == 17  # the last two differ in their 17th digit
        assert ids_starting(db, ids[0][:12], 5) == ids
        assert ids_starting(db, ids[1][:17], 5) == [ids[1]]
        assert ids_starting(db, "0000018c2f3a4b5e", 5) == []
        assert count_starting(db, "0000018c2f3a4b5d") == 2
    # An empty database: the least width asked for.
    store.delete_tasks(ids)
    store.flush()
    with store.reading() as db:
        assert shortest_unique_prefix(db, 12) == 12
    store.close()
