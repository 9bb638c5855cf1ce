"""One task's progress when it goes back: what a pause threw away, what a
failed request sends again, and a canceled task started over."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from support.task_rows import make_task

from cosdesk.engine.task import UNANSWERED_AFTER_S, PartRecord, TaskState, UploadTask

MiB = 1024 * 1024


def running_task(size: int = 8 * MiB) -> UploadTask:
    task = make_task("t", key="file.bin", size=size)
    task.set_state(TaskState.CHECKING)
    task.set_state(TaskState.UPLOADING)
    return task


def test_a_pause_that_throws_away_bytes_in_flight_says_how_many() -> None:
    task = running_task()
    task.add_progress(3 * MiB, now=1.0)
    task.set_state(TaskState.PAUSED)
    task.add_progress(-MiB, now=1.1)  # the part in flight gives its bytes back
    snapshot = task.snapshot(now=1.2)
    assert (snapshot.loaded, snapshot.dropped_bytes, snapshot.resent_bytes) == (2 * MiB, MiB, 0)

    task.set_state(TaskState.WAITING)  # resumed: it goes on from the confirmed bytes
    assert task.snapshot(now=1.3).dropped_bytes == 0


def test_bytes_of_requests_that_never_had_a_connection_take_nothing_to_the_speed() -> None:
    # A small body counts as sent when it is handed over; refused each time, it
    # never left: neither the speed nor the bytes sent again count it.
    task = running_task(30_000)
    for second in (1.0, 2.0, 3.0):
        task.add_progress(30_000, now=second)
        task.add_progress(-30_000, now=second + 0.1, sent=False)
    progress = task.progress(now=3.5)
    assert (progress.loaded, progress.speed) == (0, None)
    assert task.snapshot(now=3.5).resent_bytes == 0

    # Bytes that did go out keep their speed when taken back (a reset mid-body).
    task.add_progress(30_000, now=4.0)
    task.add_progress(10_000, now=4.5)
    task.add_progress(-40_000, now=4.6)
    assert task.progress(now=4.6).speed == 10_000 / 0.5  # after the first report, over its time


def test_a_failed_request_sent_again_is_counted_while_the_task_runs() -> None:
    task = running_task()
    task.add_progress(2 * MiB, now=1.0)
    task.add_progress(-2 * MiB, now=1.5)  # the connection dropped: the retry starts over
    task.add_progress(MiB, now=2.0)
    assert task.snapshot(now=2.0).resent_bytes == 2 * MiB

    task.set_state(TaskState.ERROR)
    assert task.snapshot(now=2.1).resent_bytes == 0  # the error says why now
    task.set_state(TaskState.WAITING)
    task.set_state(TaskState.CHECKING)
    assert task.snapshot(now=3.0).resent_bytes == 0  # a new run


def test_uploading_a_canceled_task_again_forgets_everything_it_sent() -> None:
    task = running_task()
    task.checkpoint = replace(task.checkpoint, upload_id="upload-1").with_part(
        PartRecord(1, '"etag"', MiB, 0)
    )
    task.loaded = MiB
    task.set_state(TaskState.CANCELED)
    task.start_over()
    task.set_state(TaskState.WAITING)
    assert (task.upload_id, dict(task.parts), task.loaded, task.finished_at) == (None, {}, 0, None)
    assert task.checkpoint.size == 8 * MiB  # what is known of the file stays


def test_a_run_the_server_leaves_without_an_answer_says_for_how_long_only_while_nothing_goes_out() -> None:
    task = make_task("t", key="file.bin", size=4 * MiB)
    task.set_state(TaskState.CHECKING)
    assert task.unanswered_s(time.monotonic() + 3600) is None  # its job has not begun
    began = 1000.0
    task.heard(began)  # the job took the task's lease
    late = UNANSWERED_AFTER_S
    assert task.snapshot(now=began + late - 1).unanswered_s is None  # a normal wait
    assert task.snapshot(now=began + late + 2).unanswered_s == late + 2  # checking: no bytes go out

    task.set_state(TaskState.UPLOADING)
    task.heard(began + 30)
    task.add_progress(MiB, now=began + 31)
    # Bytes still to send, one chunk counted so far: a slow link's first may take long.
    assert task.unanswered_s(began + 31 + late + 5) is None
    task.add_progress(MiB, now=began + 51)  # 20 s over a chunk: a slow link
    assert task.unanswered_s(began + 51 + late + 5) is None  # not yet three chunks' time
    assert task.unanswered_s(began + 51 + 61) == 61
    task.add_progress(2 * MiB, now=began + 60)  # all sent: now it waits for the answer
    assert task.unanswered_s(began + 60 + late + 5) == late + 5

    task.set_state(TaskState.PAUSED)
    assert task.unanswered_s(began + 40 + late + 6) is None


def test_an_error_answer_and_the_wait_before_the_retry_are_not_a_silence() -> None:
    task = make_task("t", key="file.bin", size=MiB)
    task.set_state(TaskState.CHECKING)
    task.heard(1000.0)
    # 503 answered at 1010, the request goes again after 20 s (UploadQueue.job_retrying).
    task.heard(1010.0 + 20.0)
    assert task.unanswered_s(1010.0 + 20.0 + UNANSWERED_AFTER_S - 1) is None
    assert task.unanswered_s(1010.0 + 20.0 + UNANSWERED_AFTER_S) == UNANSWERED_AFTER_S


def test_the_time_left_is_unknown_not_zero_once_every_byte_waits_for_the_answer() -> None:
    task = running_task(4 * MiB)
    for second in range(1, 4):
        task.add_progress(MiB, now=float(second))
    eta = task.progress(now=3.0).eta_s
    assert eta is not None and eta > 0  # a megabyte left at the speed measured
    task.add_progress(MiB, now=4.0)
    # All sent: storing the object may take the server seconds. "0:00" said it was done.
    progress = task.progress(now=4.0)
    assert progress.percent == 1.0 and progress.eta_s is None


def test_a_file_says_it_ends_no_later_than_its_batch_under_a_shared_limit() -> None:
    task = running_task(8 * MiB)
    for tenth in range(31):  # 1 MiB/s: its share while another file shared the limit
        task.add_progress(MiB // 10, now=tenth / 10)
    own = task.progress(now=3.0).eta_s
    assert own is not None and own > 4.5  # 4.9 MiB left
    # The other file is paused, and the batch (the bytes left at the limit) says 2.5 s.
    task.ends_by = 3.0 + 2.5
    assert task.progress(now=3.0).eta_s == pytest.approx(2.5)
    assert task.progress(now=4.0).eta_s == pytest.approx(1.5)
    # A bound that has passed says nothing: the file's own speed does again.
    assert task.meter is not None
    speed = task.meter.speed(5.6)
    assert speed and task.progress(now=5.6).eta_s == pytest.approx((8 * MiB - task.loaded) / speed)
    # A new run forgets it.
    task.set_state(TaskState.PAUSED)
    task.set_state(TaskState.WAITING)
    task.set_state(TaskState.CHECKING)
    assert task.ends_by is None
