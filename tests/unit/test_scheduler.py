"""The scheduler decides which task runs next, from the queue's records alone."""

from __future__ import annotations

from support.task_rows import make_task

from cosdesk.engine.resting import RestingTask, rest
from cosdesk.engine.scheduler import Scheduler
from cosdesk.engine.task import JobControl, TaskState, UploadTask


def waiting_tasks(count: int, **changes: object) -> dict[str, UploadTask]:
    tasks = {}
    for position in range(count):
        task = make_task(f"t{position}", position, **changes)
        task.ready = True
        tasks[task.task_id] = task
    return tasks


def lined_up(live: dict[str, UploadTask], resting: dict[str, RestingTask] | None = None) -> Scheduler:
    resting = resting if resting is not None else {}
    scheduler = Scheduler(live, resting)
    for task in [*live.values(), *resting.values()]:
        scheduler.line_up(task)
    return scheduler


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
    resting = {task_id: rest(live.pop(task_id)) for task_id in ("t1", "t2")}
    scheduler = lined_up(live, resting)
    starting, must_wake = scheduler.next_to_start(limit=3)
    assert [task.task_id for task in starting] == ["t0"] and must_wake
    assert scheduler.begin_wake() and not scheduler.begin_wake()  # one wake at a time
    assert scheduler.take_wake_batch(size=5) == [(1, "t1"), (2, "t2")]
    scheduler.end_wake()
    assert scheduler.begin_wake()


def test_idle_tasks_go_to_rest_but_the_next_wake_batch_and_running_ones_stay() -> None:
    live = waiting_tasks(6)
    live["t5"].set_state(TaskState.PAUSED)
    scheduler = lined_up(live)
    (first,), _ = scheduler.next_to_start(limit=1)
    first.control = JobControl()  # its job runs
    chosen = scheduler.to_rest(live_limit=2, wake_batch=2, keep={"t4"})
    assert sorted(task.task_id for task in chosen) == ["t3", "t5"]
    assert scheduler.to_rest(live_limit=6, wake_batch=2, keep=set()) == []
