"""The scheduler decides which task runs next, from the queue's records alone."""

from __future__ import annotations

import heapq
import random

import pytest
from support.task_rows import make_task

from cosdesk.engine import scheduler as scheduler_module
from cosdesk.engine.resting import RestingTasks
from cosdesk.engine.scheduler import Scheduler, smallest_of_heap
from cosdesk.engine.task import JobControl, TaskState, UploadTask


def waiting_tasks(count: int, **changes: object) -> dict[str, UploadTask]:
    tasks = {}
    for position in range(count):
        task = make_task(f"t{position}", position, **changes)
        task.ready = True
        tasks[task.task_id] = task
    return tasks


def lined_up(live: dict[str, UploadTask], resting: RestingTasks | None = None) -> Scheduler:
    """A scheduler with every live task in line (those at rest are in their own)."""
    scheduler = Scheduler(live, resting if resting is not None else RestingTasks())
    for task in live.values():
        scheduler.line_up(task)
    return scheduler


def rested(live: dict[str, UploadTask], *task_ids: str) -> RestingTasks:
    resting = RestingTasks()
    for task_id in task_ids:
        resting.rest(live.pop(task_id))
    return resting


def test_waiting_tasks_start_in_queue_order_up_to_the_limit() -> None:
    live = waiting_tasks(5)
    live["t0"].position = 9  # moved to the bottom: its first entry in line is stale
    scheduler = lined_up(live)
    scheduler.line_up(live["t0"])
    starting, must_wake = scheduler.next_to_start(limit=3)
    assert [task.task_id for task in starting] == ["t1", "t2", "t3"]
    assert scheduler.running_ids == {"t1", "t2", "t3"} and not must_wake
    assert scheduler.next_to_start(limit=3) == ([], False)  # the limit is reached
    scheduler.ended("t2")
    assert [task.task_id for task in scheduler.next_to_start(limit=3)[0]] == ["t4"]


def test_a_task_for_a_key_another_running_task_sends_waits_for_it() -> None:
    live = waiting_tasks(3, key="same/key.bin")
    scheduler = lined_up(live)
    starting, _ = scheduler.next_to_start(limit=3)
    assert [task.task_id for task in starting] == ["t0"]
    scheduler.ended("t0")
    live["t0"].set_state(TaskState.CHECKING)  # what the queue did when it started t0
    live["t0"].set_state(TaskState.PAUSED)
    assert [task.task_id for task in scheduler.next_to_start(limit=3)[0]] == ["t1"]


def test_paused_tasks_and_tasks_not_stored_yet_do_not_start() -> None:
    live = waiting_tasks(3)
    live["t0"].set_state(TaskState.PAUSED)
    live["t1"].ready = False
    starting, _ = lined_up(live).next_to_start(limit=3)
    assert [task.task_id for task in starting] == ["t2"]


def test_a_task_at_rest_next_in_line_is_woken_before_anything_after_it_starts() -> None:
    live = waiting_tasks(4)
    resting = rested(live, "t1", "t2")
    scheduler = lined_up(live, resting)
    starting, must_wake = scheduler.next_to_start(limit=3)
    assert [task.task_id for task in starting] == ["t0"] and must_wake
    assert scheduler.begin_wake() and not scheduler.begin_wake()  # one wake at a time
    assert scheduler.take_wake_batch(size=5) == ["t1", "t2"]
    assert resting.first_waiting() is None
    scheduler.end_wake(not_woken=["t2"])  # its read failed: back in line
    assert scheduler.begin_wake()
    assert resting.first_waiting() == 2


def test_a_task_at_rest_further_down_the_line_is_not_woken_before_its_turn() -> None:
    live = waiting_tasks(4)
    resting = rested(live, "t3")
    starting, must_wake = lined_up(live, resting).next_to_start(limit=2)
    assert [task.task_id for task in starting] == ["t0", "t1"] and not must_wake


def test_idle_tasks_go_to_rest_but_the_next_wake_batch_and_running_ones_stay() -> None:
    live = waiting_tasks(6)
    live["t5"].set_state(TaskState.PAUSED)
    scheduler = lined_up(live)
    (first,), _ = scheduler.next_to_start(limit=1)
    first.control = JobControl()  # its job runs
    chosen = scheduler.to_rest(live_limit=2, wake_batch=2, keep={"t4"})
    assert sorted(task.task_id for task in chosen) == ["t3", "t5"]
    assert scheduler.to_rest(live_limit=6, wake_batch=2, keep=set()) == []


def test_a_new_task_goes_at_rest_at_once_only_past_the_live_limit_with_a_wake_batch_whole() -> None:
    live = waiting_tasks(4)
    resting = rested(live, "t0", "t1")  # four tasks, two whole
    scheduler = lined_up(live, resting)
    assert scheduler.rest_at_once(live["t3"], live_limit=3, wake_batch=1, keep=set())
    assert not scheduler.rest_at_once(live["t3"], live_limit=4, wake_batch=1, keep=set())
    assert not scheduler.rest_at_once(live["t3"], live_limit=3, wake_batch=2, keep=set())
    assert not scheduler.rest_at_once(live["t3"], live_limit=3, wake_batch=1, keep={"t3"})


def test_each_sweep_looks_at_a_slice_and_the_next_goes_on_where_it_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scheduler_module, "SWEEP_SIZE", 3)
    live = waiting_tasks(5)
    for task in live.values():
        task.set_state(TaskState.PAUSED)
    scheduler = lined_up(live)
    first = scheduler.to_rest(live_limit=1, wake_batch=1, keep=set())
    second = scheduler.to_rest(live_limit=1, wake_batch=1, keep=set())
    assert [task.task_id for task in first] == ["t0", "t1", "t2"]
    # Round the end of the tasks, to the first ones again.
    assert [task.task_id for task in second] == ["t3", "t4", "t0"]


def test_the_smallest_entries_of_a_heap_are_found_from_its_top() -> None:
    pick = random.Random(7)
    for size in (0, 1, 2, 5, 100, 1000):
        entries = [(pick.randrange(50), f"t{number}") for number in range(size)]
        heap = list(entries)
        heapq.heapify(heap)
        for count in (0, 1, 3, 16, size + 1):
            assert smallest_of_heap(heap, count) == sorted(entries)[:count]
