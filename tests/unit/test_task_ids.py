"""Task ids (engine/intake.py): in the order they are made, and apart between
processes."""

from __future__ import annotations

from cosdesk.engine.intake import TaskIds


def test_ids_count_up_in_the_order_they_are_made_and_never_repeat() -> None:
    ids = TaskIds()
    made = [ids.next() for _ in range(20_000)]  # several per millisecond
    assert made == sorted(made) and len(set(made)) == len(made)
    assert all(len(task_id) == 32 and int(task_id, 16) >= 0 for task_id in made)


def test_ids_taken_many_at_once_count_up_with_those_made_one_by_one() -> None:
    ids = TaskIds()
    made = [*ids.take(3), ids.next(), *ids.take(0), *ids.take(5000), ids.next()]
    assert made == sorted(made) and len(set(made)) == len(made) == 5005
    assert all(len(task_id) == 32 and int(task_id, 16) >= 0 for task_id in made)


def test_two_makers_at_the_same_moment_make_different_ids() -> None:
    first, second = TaskIds(), TaskIds()
    made = {first.next() for _ in range(1000)} | {second.next() for _ in range(1000)}
    assert len(made) == 2000  # their random halves differ
