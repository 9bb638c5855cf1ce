"""The current batch: which tasks it holds, its bytes and its time left."""

from __future__ import annotations

import pytest
from support.task_rows import make_row
from support.task_rows import make_task as make_stored_task

from cosdesk.engine.batch import MIN_MEASURED_S, BatchTracker
from cosdesk.engine.handover import take_final_state
from cosdesk.engine.task import FailedFile, TaskError, TaskState, UploadTask

MiB = 1024 * 1024


def make_task(name: str, size: int) -> UploadTask:
    return make_stored_task(name, key=name, size=size)


def queued(tracker: BatchTracker, *tasks: UploadTask, now: float = 0.0) -> None:
    tracker.join(tasks, now=now)
    for task in tasks:
        tracker.recount(task, now=now)


def move(tracker: BatchTracker, task: UploadTask, state: TaskState, now: float = 0.0) -> None:
    task.set_state(state)
    tracker.recount(task, now=now)


def finish(tracker: BatchTracker, task: UploadTask, now: float = 0.0) -> None:
    task.succeed()  # as the queue records a success
    task.loaded = task.size or 0
    tracker.recount(task, now=now)


def test_files_added_to_an_idle_queue_start_a_new_batch_without_the_old_rows() -> None:
    tracker = BatchTracker()
    old = make_task("old", 10 * MiB)
    queued(tracker, old)
    move(tracker, old, TaskState.CHECKING)
    finish(tracker, old)
    tracker.settle()

    new = make_task("new", 100 * MiB)
    queued(tracker, new)
    move(tracker, new, TaskState.CHECKING)
    new.loaded = 4 * MiB
    tracker.recount(new)

    batch = tracker.progress([new], parallel_files=3)
    assert (batch.loaded, batch.total) == (4 * MiB, 100 * MiB)
    assert batch.percent == pytest.approx(0.04)
    assert (batch.succeeded, batch.running, batch.files) == (0, 1, 1)


def test_resuming_the_batchs_own_paused_file_continues_the_batch() -> None:
    tracker = BatchTracker()
    done, paused = make_task("done", MiB), make_task("paused", 3 * MiB)
    queued(tracker, done, paused)
    finish(tracker, done)
    move(tracker, paused, TaskState.CHECKING)
    move(tracker, paused, TaskState.PAUSED)
    tracker.settle()  # pausing the last running file left the queue idle

    tracker.join([paused], resumed=True)
    move(tracker, paused, TaskState.WAITING)

    batch = tracker.progress([], parallel_files=3)
    assert (batch.succeeded, batch.waiting, batch.files) == (1, 1, 2)
    assert batch.total == 4 * MiB


def test_resuming_a_file_of_an_older_batch_starts_a_new_one() -> None:
    tracker = BatchTracker()
    left_paused = make_task("left paused", MiB)
    queued(tracker, left_paused)
    move(tracker, left_paused, TaskState.PAUSED)
    tracker.settle()
    other = make_task("other", 2 * MiB)
    queued(tracker, other)
    finish(tracker, other)
    tracker.settle()

    tracker.join([left_paused], resumed=True)
    move(tracker, left_paused, TaskState.WAITING)

    batch = tracker.progress([], parallel_files=3)
    assert (batch.succeeded, batch.waiting, batch.total) == (0, 1, MiB)


def test_paused_and_failed_files_hold_the_bar_below_full_but_are_not_time_left() -> None:
    tracker = BatchTracker()
    running, paused, failed = make_task("a", 10 * MiB), make_task("b", 10 * MiB), make_task("c", 10 * MiB)
    queued(tracker, running, paused, failed)
    for task, sent in ((running, 2 * MiB), (paused, 5 * MiB), (failed, 1 * MiB)):
        move(tracker, task, TaskState.CHECKING)
        task.loaded = sent
        tracker.recount(task)
    move(tracker, paused, TaskState.PAUSED)
    move(tracker, failed, TaskState.ERROR)

    batch = tracker.progress([running], parallel_files=3)
    assert (batch.loaded, batch.total) == (8 * MiB, 30 * MiB)
    assert batch.remaining == 8 * MiB  # only the running file's rest
    assert (batch.paused, batch.failed, batch.unfinished) == (1, 1, 2)


def test_a_canceled_file_leaves_the_bytes_and_the_file_count() -> None:
    tracker = BatchTracker()
    kept, canceled = make_task("kept", MiB), make_task("canceled", 9 * MiB)
    queued(tracker, kept, canceled)
    move(tracker, canceled, TaskState.CANCELED)

    batch = tracker.progress([], parallel_files=3)
    assert (batch.total, batch.remaining, batch.files, batch.canceled) == (MiB, MiB, 1, 1)


def test_time_left_waits_for_a_second_of_measured_speed_and_hides_when_nothing_runs() -> None:
    tracker = BatchTracker()
    task = make_task("file", 10 * MiB)
    queued(tracker, task, now=100.0)
    move(tracker, task, TaskState.CHECKING)
    move(tracker, task, TaskState.UPLOADING)
    tracker.add_bytes(MiB // 2, now=100.0)
    tracker.add_bytes(MiB // 2, now=100.0 + MIN_MEASURED_S / 2)
    assert tracker.progress([], parallel_files=3, now=100.0 + MIN_MEASURED_S / 2).eta_s is None

    tracker.add_bytes(MiB, now=101.0 + MIN_MEASURED_S)
    task.loaded = 2 * MiB
    tracker.recount(task)
    batch = tracker.progress([], parallel_files=3, now=101.0 + MIN_MEASURED_S)
    assert batch.eta_s == pytest.approx(batch.remaining / batch.speed)

    move(tracker, task, TaskState.PAUSED)
    paused = tracker.progress([], parallel_files=3, now=101.0 + MIN_MEASURED_S)
    assert paused.eta_s is None and paused.speed == 0.0 and paused.remaining == 0


def test_a_resume_after_a_short_pause_measures_the_speed_afresh() -> None:
    """Paused for a second (less than the speed's window), the file's speed after
    the resume is what it sends then, not an average with the pause."""
    tracker = BatchTracker()
    task = make_task("video", 24 * MiB)
    queued(tracker, task, now=0.0)
    move(tracker, task, TaskState.CHECKING)
    move(tracker, task, TaskState.UPLOADING)
    for step in range(9):  # 2 MiB/s for two seconds
        tracker.add_bytes(MiB // 4, now=step / 8)
    move(tracker, task, TaskState.PAUSED)
    tracker.add_bytes(-MiB, now=1.1)  # the parts in flight are taken back
    tracker.settle(now=1.1)

    tracker.join([task], resumed=True, now=2.0)
    move(tracker, task, TaskState.WAITING)
    move(tracker, task, TaskState.CHECKING)
    move(tracker, task, TaskState.UPLOADING)
    for step in range(5):  # 1 MiB/s now
        tracker.add_bytes(MiB // 8, now=2.1 + step / 8)

    assert tracker.progress([], parallel_files=3, now=2.65).speed == pytest.approx(MiB)


def test_time_left_counts_what_small_files_cost_besides_their_bytes() -> None:
    """A big file fills the link while a thousand small files wait: their bytes
    are nothing at that speed, but each costs the 0.3 s its predecessors took."""
    tracker = BatchTracker()
    big = make_task("big", 200 * MiB)
    small = [make_task(f"small-{n}", 16 * 1024) for n in range(1000)]
    queued(tracker, big, *small, now=0.0)
    for number, task in enumerate(small[:6]):
        move(tracker, task, TaskState.CHECKING)
        task.run_started_at = number * 0.1
        task.first_byte_at = task.last_byte_at = number * 0.1 + 0.1
        finish(tracker, task, now=number * 0.1 + 0.3)
    move(tracker, big, TaskState.CHECKING)
    move(tracker, big, TaskState.UPLOADING)
    for tenth in range(21):
        big.add_progress(5 * MiB, tenth / 10)
        tracker.add_bytes(5 * MiB, tenth / 10)
    tracker.recount(big)

    batch = tracker.progress([big], parallel_files=3, now=2.0)
    files_left = batch.waiting + batch.running
    assert files_left == 995
    assert batch.eta_s == pytest.approx(files_left * 0.3 / 3)
    assert batch.eta_s > 10 * batch.remaining / batch.speed


def test_files_another_process_finishes_shorten_the_time_left_and_are_no_files_cost() -> None:
    """Two processes work one batch (the window and ``cosdesk tasks resume``). A
    file this queue started, found held by the other and then saw finished there
    waited for its lease for seconds: that is not what a file costs here. And the
    other process's files are files this queue need not send: with the other
    finishing as many a second as this one, the rest take half as long."""
    tracker = BatchTracker()
    small = [make_task(f"small-{n}", 16 * 1024) for n in range(1000)]
    queued(tracker, *small, now=0.0)
    for number, task in enumerate(small[:6]):  # 0.3 s each besides its bytes, 3 at once: 10 a second
        move(tracker, task, TaskState.CHECKING)
        task.run_started_at = number * 0.1
        task.first_byte_at = task.last_byte_at = number * 0.1 + 0.1
        finish(tracker, task, now=number * 0.1 + 0.3)
    held = small[6:106]
    for task in held:
        move(tracker, task, TaskState.CHECKING)  # then held by the other: waits for its lease
        task.run_started_at = 0.0
        move(tracker, task, TaskState.WAITING)
    for number, task in enumerate(held):  # the other process: 10 files a second
        now = 11.0 + number / 10
        take_final_state(task, make_row(task.task_id, state=TaskState.SUCCESS))
        tracker.recount(task, now=now)
        tracker.finished_elsewhere(16 * 1024, now=now)
    move(tracker, small[106], TaskState.CHECKING)
    for tenth in range(21):
        tracker.add_bytes(10 * MiB, 19 + tenth / 10)

    batch = tracker.progress([small[106]], parallel_files=3, now=21.0)
    files_left = batch.waiting + batch.running
    assert files_left == 894
    assert batch.eta_s == pytest.approx(files_left / (10 + 10), rel=0.02)


def test_time_left_is_never_shorter_than_a_running_files_own() -> None:
    tracker = BatchTracker()
    slow, fast = make_task("slow", 100 * MiB), make_task("fast", 100 * MiB)
    queued(tracker, slow, fast, now=0.0)
    for task in (slow, fast):
        move(tracker, task, TaskState.CHECKING)
        move(tracker, task, TaskState.UPLOADING)
    for tenth in range(21):
        now = tenth / 10
        slow.add_progress(10 * 1024, now)
        fast.add_progress(MiB, now)
        tracker.add_bytes(10 * 1024 + MiB, now)
    for task in (slow, fast):
        tracker.recount(task)

    batch = tracker.progress([slow, fast], parallel_files=3, now=2.0)
    slow_eta = slow.progress(2.0).eta_s
    assert slow_eta is not None and batch.eta_s == pytest.approx(slow_eta)
    assert batch.eta_s > batch.remaining / batch.speed

    # Under a bandwidth limit they share, what the fast one leaves goes to the
    # slow one: the bytes left at the batch's speed say when both end, whether
    # the batch goes at the limit or below it (a busy machine is shared too).
    for limit in (int(batch.speed), int(2 * batch.speed)):
        shared = tracker.progress([slow, fast], parallel_files=3, now=2.0, limit_bytes_per_s=limit)
        assert shared.eta_s == pytest.approx(batch.remaining / batch.speed)


def test_elapsed_time_stops_when_the_batch_settles() -> None:
    tracker = BatchTracker()
    task = make_task("file", MiB)
    queued(tracker, task, now=50.0)
    finish(tracker, task, now=56.0)
    tracker.settle(now=56.0)
    assert tracker.progress([], parallel_files=3, now=500.0).elapsed_s == pytest.approx(6.0)
    assert tracker.progress([], parallel_files=3, now=500.0).percent == 1.0


def test_resuming_tasks_restored_from_the_database_starts_a_batch_that_counts_them() -> None:
    tracker = BatchTracker()  # a fresh queue: restored tasks belong to no batch yet
    restored = make_task("restored", 2 * MiB)
    tracker.join([restored], resumed=True)
    move(tracker, restored, TaskState.WAITING)

    batch = tracker.progress([], parallel_files=3)
    assert (batch.waiting, batch.files, batch.total) == (1, 1, 2 * MiB)


def test_the_batch_knows_its_first_file_still_failed_and_why() -> None:
    tracker = BatchTracker()
    one, two, three = make_task("one", MiB), make_task("two", MiB), make_task("three", MiB)
    queued(tracker, one, two, three)
    assert tracker.progress([], parallel_files=3).first_failure is None

    def fail(task: UploadTask, code: str, transient: bool = False) -> None:
        task.set_state(TaskState.CHECKING)
        task.set_state(TaskState.ERROR)
        task.error = TaskError(code, f"{code} happened", transient=transient)
        tracker.recount(task)

    fail(two, "NetworkError", transient=True)
    fail(one, "NoSuchBucket")
    failed = tracker.progress([], parallel_files=3)
    assert (failed.first_failure, failed.failed_transient) == (FailedFile("two", two.error), 1)
    # Retried, the first is no longer failed: the next one is the first.
    tracker.join([two], resumed=True)
    move(tracker, two, TaskState.WAITING)
    failed = tracker.progress([], parallel_files=3)
    assert (failed.first_failure, failed.failed_transient) == (FailedFile("one", one.error), 0)
    # Removed from the list, neither.
    tracker.recount(one, present=False)
    assert tracker.progress([], parallel_files=3).first_failure is None
    fail(three, "SourceUnreadable")
    tracker.settle()
    # A new batch starts without the old one's failures.
    later = make_task("later", MiB)
    queued(tracker, later)
    assert tracker.progress([later], parallel_files=3).first_failure is None
