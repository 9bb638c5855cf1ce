"""Tasks at rest (engine/resting.py): a slot of flat columns per task, read and
written through views."""

from __future__ import annotations

import heapq
import tracemalloc
import uuid

import pytest

from cosdesk.engine.intake import NewSource, new_task
from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.resting import RestingTasks
from cosdesk.engine.task import Tally, TaskState, TaskStatus


def test_a_task_at_rest_reads_back_what_it_was_put_at_rest_with() -> None:
    resting = RestingTasks()
    task_id = uuid.uuid4().hex
    tally = Tally(TaskState.PAUSED, 3, (TaskState.PAUSED, 700, 200))
    resting.add(task_id, TaskStatus(42, TaskState.PAUSED), 700, 200, True, tally)

    task = resting.get(task_id)
    assert task is not None
    assert (task.task_id, task.state, task.position, task.size, task.loaded, task.has_upload) == (
        task_id,
        TaskState.PAUSED,
        42,
        700,
        200,
        True,
    )
    assert task.tally.whole() == tally
    assert task_id in resting and len(resting) == 1 and list(resting) == [task_id]


def test_changes_made_through_a_view_are_what_the_next_view_reads() -> None:
    resting = RestingTasks()
    resting.add("t1", TaskStatus(1), None, 0, False)
    task = resting.get("t1")
    assert task is not None and task.size is None and task.tally.counted is None
    task.set_state(TaskState.PAUSED)
    task.position = -5
    task.loaded = 10
    task.tally.counted = TaskState.PAUSED
    task.tally.batch_counted = (TaskState.PAUSED, 0, 10)

    again = resting.get("t1")
    assert again is not None
    assert (again.status, again.loaded) == (TaskStatus(-5, TaskState.PAUSED), 10)
    assert again.tally.whole() == Tally(TaskState.PAUSED, 0, (TaskState.PAUSED, 0, 10))


def test_a_finished_task_cannot_be_set_waiting_through_its_view() -> None:
    resting = RestingTasks()
    task = resting.add("done", TaskStatus(0, TaskState.SUCCESS), 5, 5, False)
    with pytest.raises(ValueError):
        task.set_state(TaskState.WAITING)


def test_a_task_taken_out_still_reads_its_tally_and_comes_back_to_its_own_slot() -> None:
    resting = RestingTasks()
    ids = [uuid.uuid4().hex for _ in range(100)]
    for position, task_id in enumerate(ids):
        resting.add(task_id, TaskStatus(position), position, 0, False, Tally(TaskState.WAITING))

    gone = resting.pop(ids[7])
    assert gone.tally.counted is TaskState.WAITING and gone.position == 7
    assert ids[7] not in resting and resting.get(ids[7]) is None and len(resting) == 99
    with pytest.raises(KeyError):
        resting.pop(ids[7])

    resting.add(ids[7], TaskStatus(500, TaskState.PAUSED), 1, 0, False)
    back = resting.get(ids[7])
    assert back is not None and (back.position, back.state) == (500, TaskState.PAUSED)
    assert sorted(resting) == sorted(ids) and len(resting) == 100
    assert sorted(task.task_id for task in resting.values()) == sorted(ids)


def test_a_task_cannot_be_put_at_rest_twice() -> None:
    resting = RestingTasks()
    resting.add("t1", TaskStatus(1), None, 0, False)
    with pytest.raises(ValueError):
        resting.add("t1", TaskStatus(1), None, 0, False)


def test_a_waiting_task_at_rest_costs_about_a_hundred_bytes_with_its_place_in_line() -> None:
    count = 20_000
    ids = [uuid.uuid4().hex for _ in range(count)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        resting = RestingTasks()
        for position, task_id in enumerate(ids):
            tally = Tally(TaskState.WAITING, 1, (TaskState.WAITING, 1000 + position, 0))
            resting.add(task_id, TaskStatus(position), 1000 + position, 0, False, tally)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(resting) == count
    # An object per task with its status and tally took about 560 bytes.
    assert held / count < 150


def test_the_waiting_line_gives_tasks_at_rest_by_place_and_skips_those_that_left_it() -> None:
    resting = RestingTasks()
    for position, task_id in ((30, "c"), (10, "a"), (20, "b"), (40, "d"), (50, "e")):
        resting.add(task_id, TaskStatus(position), 1, 0, False)
    resting.add("done", TaskStatus(5, TaskState.SUCCESS), 1, 1, False)
    first = resting.get("a")
    assert first is not None
    first.set_state(TaskState.PAUSED)  # out of line
    moved = resting.get("d")
    assert moved is not None
    moved.position = 1  # to the front
    resting.pop("b")  # woken or removed

    assert resting.first_waiting() == 1
    assert resting.take_waiting(2) == ["d", "c"]
    assert resting.first_waiting() == 50

    first.set_state(TaskState.WAITING)  # back in line, at its place
    resting.line_up(["c"])  # taken but not woken: back in line too
    assert resting.take_waiting(10) == ["a", "c", "e"]
    assert resting.first_waiting() is None


def test_once_no_task_at_rest_waits_the_line_is_dropped_whole_not_entry_by_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # After "Pause all" every entry of the line is stale: popping a million of them
    # one by one held the queue's lock for 0.4 s.
    resting = RestingTasks()
    for number in range(1000):
        resting.add(f"t{number}", TaskStatus(number), 1, 0, False)
    for number in range(1000):
        task = resting.get(f"t{number}")
        assert task is not None
        task.set_state(TaskState.PAUSED)
    pops: list[int] = []
    monkeypatch.setattr(heapq, "heappop", lambda line: pops.append(1) or line.pop())
    assert resting.first_waiting() is None
    assert pops == []

    task = resting.get("t500")
    assert task is not None
    task.set_state(TaskState.WAITING)  # one waits again: it is found
    assert resting.first_waiting() == 500
    resting.pop("t500")  # woken
    assert resting.first_waiting() is None


def test_a_status_another_process_stored_is_taken_outside_the_transitions_and_lines_the_task_up() -> None:
    resting = RestingTasks()
    resting.add("t1", TaskStatus(5, TaskState.SUCCESS), 10, 10, False)
    task = resting.get("t1")
    assert task is not None
    with pytest.raises(ValueError):
        task.set_state(TaskState.WAITING)  # not a move this queue may make
    task.take_stored(TaskStatus(3, TaskState.WAITING))  # the row says so: it is the truth
    assert (task.state, task.position) == (TaskState.WAITING, 3)
    assert resting.first_waiting() == 3


def test_tasks_restored_together_read_as_tasks_put_at_rest_one_by_one() -> None:
    states = [TaskState.SUCCESS, TaskState.WAITING, TaskState.PAUSED, TaskState.ERROR, TaskState.CANCELED]
    entries = [
        (
            uuid.uuid4().hex if n % 7 else f"odd-{n}",
            n,
            states[n % 5],
            None if n % 11 == 0 else n * 10,
            n,
            n % 3 == 0,
        )
        for n in range(500)
    ]
    together, one_by_one = RestingTasks(), RestingTasks()
    one_by_one.add("earlier", TaskStatus(1000, TaskState.WAITING), 5, 0, False)
    together.add("earlier", TaskStatus(1000, TaskState.WAITING), 5, 0, False)
    assert together.add_restored(entries) == 1
    for task_id, position, state, size, loaded, has_upload in entries:
        task = one_by_one.add(task_id, TaskStatus(position, state), size, loaded, has_upload)
        task.tally.counted = state  # as the queue counts a task it restores

    def read(resting: RestingTasks, task_id: str) -> tuple[object, ...]:
        task = resting.get(task_id)
        assert task is not None
        tally = task.tally.whole()
        return (task.state, task.position, task.size, task.loaded, task.has_upload, tally)

    for task_id, *_ in entries:
        assert read(together, task_id) == read(one_by_one, task_id)
    assert len(together) == len(one_by_one) == 501 and set(together) == set(one_by_one)
    assert together.take_waiting(200) == one_by_one.take_waiting(200)
    assert together.view(1).task_id == entries[0][0]


def test_new_tasks_put_at_rest_together_read_as_tasks_put_at_rest_one_by_one() -> None:
    """``add_new`` (a big drop's tasks) keeps what each task's tally says: the
    state it counts under, its batch and what it adds to that batch."""
    endpoint, options = EndpointSpec("ap-guangzhou"), UploadOptions()
    states = [TaskState.WAITING, TaskState.PAUSED, TaskState.ERROR]
    tasks = []
    for n in range(300):
        source = NewSource.file(f"/data/{n}.bin", None if n % 13 == 0 else n * 100, 1)
        task = new_task(
            uuid.uuid4().hex if n % 7 else f"odd-{n}", n, "b", f"k/{n}", endpoint, options, source
        )
        if states[n % 3] is not TaskState.WAITING:
            task.set_state(states[n % 3])
        task.loaded = n % 5
        task.tally = Tally(task.state, n % 4, None if n % 4 == 0 else (task.state, n * 100, n % 5))
        tasks.append(task)
    together, one_by_one = RestingTasks(), RestingTasks()
    for resting in (together, one_by_one):
        resting.add("earlier", TaskStatus(1000, TaskState.WAITING), 5, 0, False)
    together.add_new(tasks)
    for task in tasks:
        one_by_one.rest(task, new=True)

    def read(resting: RestingTasks, task_id: str) -> tuple[object, ...]:
        task = resting.get(task_id)
        assert task is not None
        return (task.state, task.position, task.size, task.loaded, task.has_upload, task.tally.whole())

    for task in tasks:
        assert read(together, task.task_id) == read(one_by_one, task.task_id)
    assert read(together, tasks[4].task_id)[5] == Tally(TaskState.PAUSED, 0, None)
    assert len(together) == len(one_by_one) == 301 and set(together) == set(one_by_one)
    assert together.take_waiting(300) == one_by_one.take_waiting(300)
