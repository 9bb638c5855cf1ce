"""Controlling a running queue against the local server: the global bandwidth limit,
the order of waiting tasks, bringing tasks back after a restart, and memory on a
big file."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from support.engine_queue import Engine
from support.task_rows import make_row

from cosdesk.engine import task as task_module
from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import TaskState
from cosdesk.engine.task_columns import StoredTask

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
MiB = 1024 * 1024


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def rate_over(engine: Engine, task_id: str, seconds: float) -> float:
    """Bytes/s the task sent over the next ``seconds`` (the event loop keeps running)."""
    before, started = engine.loaded(task_id), time.monotonic()
    engine.qtbot.wait(int(seconds * 1000))
    return (engine.loaded(task_id) - before) / (time.monotonic() - started)


def test_the_bandwidth_limit_holds_and_a_new_limit_applies_at_once(make_engine: Any, tmp_path: Path) -> None:
    engine = make_engine(bandwidth_limit_bytes_per_s=3 * MiB)
    source = random_file(tmp_path / "big.bin", 48 * MiB)
    task_id = engine.queue.add_file(source, BUCKET, "limited.bin")
    engine.wait_loaded(task_id, 2 * MiB, timeout_s=10)
    limited = rate_over(engine, task_id, 2.0)
    assert 1.5 * MiB <= limited <= 4.5 * MiB, limited / MiB
    engine.queue.set_bandwidth_limit(12 * MiB)
    engine.qtbot.wait(300)  # the burst allowance and the chunk in flight
    raised = rate_over(engine, task_id, 1.5)
    assert 8 * MiB <= raised <= 16 * MiB, raised / MiB
    engine.queue.set_bandwidth_limit(0)
    engine.wait_states([task_id], {TaskState.SUCCESS})


def test_a_lower_bandwidth_limit_is_not_taken_for_a_silent_server(
    make_engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks that came every few milliseconds come every 4 s under the new limit.
    # Measured against the old pace, each of those waits read as the server's
    # silence: "No answer from the server for 0:16" on a row that was sending.
    monkeypatch.setattr(task_module, "UNANSWERED_AFTER_S", 0.3)
    engine = make_engine(bandwidth_limit_bytes_per_s=16 * MiB)
    task_id = engine.queue.add_file(random_file(tmp_path / "big.bin", 24 * MiB), BUCKET, "slowed.bin")
    engine.wait_loaded(task_id, 3 * MiB, timeout_s=10)
    engine.queue.set_bandwidth_limit(256 * 1024)
    said = set()
    for _ in range(20):
        engine.qtbot.wait(100)
        said.add(engine.snapshot(task_id).unanswered_s)
    assert engine.state(task_id) is TaskState.UPLOADING
    assert said == {None}
    engine.queue.set_bandwidth_limit(0)
    engine.wait_states([task_id], {TaskState.SUCCESS})


def test_moving_a_waiting_task_to_the_top_makes_it_start_next(make_engine: Any, tmp_path: Path) -> None:
    # One file at a time, the first one held back by a low limit while the others wait.
    engine = make_engine(file_parallel_limit=1, bandwidth_limit_bytes_per_s=1 * MiB)
    finished = engine.collect_finished()
    first = engine.queue.add_file(random_file(tmp_path / "first.bin", 3 * MiB), BUCKET, "order/first")
    # Added only once the first runs: each add stats its files on a worker, and a
    # later batch that is ready sooner would otherwise start first.
    engine.qtbot.waitUntil(lambda: engine.state(first) is TaskState.UPLOADING, timeout=10_000)
    waiting = engine.queue.add_files(
        [FileToAdd(str(random_file(tmp_path / f"{name}.txt", 100)), f"order/{name}") for name in "abc"],
        BUCKET,
    )
    engine.qtbot.waitUntil(lambda: all(engine.state(t) is TaskState.WAITING for t in waiting), timeout=10_000)
    a, b, c = waiting
    engine.queue.move_to_top(c)
    engine.queue.move_to_bottom(a)
    engine.queue.set_bandwidth_limit(0)
    engine.wait_states([first, *waiting], {TaskState.SUCCESS})
    engine.qtbot.waitUntil(lambda: len(finished) == 4, timeout=5000)
    assert [event.task_id for event in finished] == [first, c, b, a]
    assert [s.task_id for s in engine.queue.tasks()] == [c, first, b, a]


def test_restored_tasks_come_back_paused_or_running_as_resume_on_start_says(
    make_engine: Any, tmp_path: Path
) -> None:
    # An earlier run stopped while one file was uploading and another waited.
    earlier = make_engine(file_parallel_limit=1, bandwidth_limit_bytes_per_s=256 * 1024)
    sources = [random_file(tmp_path / f"{n}.bin", 2 * MiB) for n in range(2)]
    ids = earlier.queue.add_files([FileToAdd(str(p), f"restore/{p.name}") for p in sources], BUCKET)
    earlier.qtbot.waitUntil(lambda: earlier.state(ids[0]) is TaskState.UPLOADING, timeout=10_000)
    earlier.close()
    for suffix in ("", "-wal"):  # the same earlier run, for the second start below
        if (tmp_path / f"tasks.sqlite3{suffix}").exists():
            shutil.copy(tmp_path / f"tasks.sqlite3{suffix}", tmp_path / f"copy.sqlite3{suffix}")

    paused = make_engine(resume_on_start=False)
    assert sorted(paused.queue.restore()) == sorted(ids)
    paused.qtbot.wait(300)
    assert [paused.state(task_id) for task_id in ids] == [TaskState.PAUSED] * 2
    snapshot = paused.queue.task(ids[0])
    assert snapshot is not None and "interrupted" in snapshot.note
    paused.close()

    resumed = make_engine(db_name="copy.sqlite3", resume_on_start=True)
    resumed.queue.restore_in_background()
    resumed.wait_states(ids, {TaskState.SUCCESS})


def _stored_rows(count: int, spec: EndpointSpec) -> list[StoredTask]:
    states = [TaskState.WAITING, TaskState.SUCCESS, TaskState.PAUSED, TaskState.UPLOADING]
    options = UploadOptions()
    return [
        make_row(
            f"{index:032x}",
            index,
            bucket=BUCKET,
            key=f"many/{index}",
            endpoint=spec,
            options=options,
            source_path=f"/nonexistent/{index}",
            size=100,
            mtime_ns=1,
            state=states[index % 4],
        )
        for index in range(count)
    ]


def test_restoring_10000_tasks_in_the_background_leaves_the_gui_thread_free(
    make_engine: Any, tmp_path: Path
) -> None:
    nowhere = "http://127.0.0.1:9"
    seeded = TaskStore(tmp_path / "many.sqlite3")
    seeded.insert_tasks(_stored_rows(10_000, EndpointSpec(REGION, url=nowhere)))
    seeded.flush()
    seeded.close()
    engine = make_engine(endpoint=nowhere, db_name="many.sqlite3", resume_on_start=False)
    restored: list[list[str]] = []
    engine.queue.restored.connect(restored.append)
    started = time.perf_counter()
    engine.queue.restore_in_background()
    blocked_s = time.perf_counter() - started
    print(f"\nrestore_in_background of 10,000 tasks blocked the caller for {blocked_s * 1000:.1f} ms")
    assert blocked_s < 0.05
    engine.qtbot.waitUntil(lambda: bool(restored), timeout=30_000)
    assert len(restored[0]) == 7500  # all but the succeeded quarter
    assert len(engine.queue.tasks()) == 10_000
    assert all(s.state is not TaskState.UPLOADING for s in engine.queue.tasks())


@pytest.mark.slow
def test_memory_stays_bounded_on_a_big_sparse_file(make_engine: Any, tmp_path: Path) -> None:
    engine = make_engine()
    sparse = tmp_path / "sparse.bin"
    with sparse.open("wb") as out:
        out.truncate(512 * MiB)
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline

    def track() -> None:
        nonlocal peak
        peak = max(peak, process.memory_info().rss)

    # Three parts at once, not automatic: the point is that a part is streamed, and
    # each part in flight costs the client and this in-process server a few MiB.
    task_id = engine.queue.add_file(sparse, BUCKET, "sparse.bin", UploadOptions(chunk_parallel_limit=3))
    engine.queue.batch_progress.connect(lambda _batch: track())
    engine.wait_states([task_id], {TaskState.SUCCESS}, timeout_s=120)
    track()
    grown = (peak - baseline) / MiB
    print(f"\n512 MiB sparse file through the engine: RSS grew by {grown:.0f} MiB at most")
    # Parts are streamed in 1 MiB chunks: a few parts in flight, never the file.
    assert grown < 64


def test_a_task_failed_by_5xx_answers_retries_by_itself_and_finishes(make_engine: Any, sandbox: Any) -> None:
    engine = make_engine(network_retry_delays_s=(0.5, 1.0))
    sandbox.faults.error_rate = 1.0  # every request: 500 InternalError / 503 SlowDown
    task_id = engine.queue.add_bytes(b"comes back", BUCKET, "retry/by-itself", UploadOptions(retries=1))
    engine.wait_states([task_id], {TaskState.ERROR})
    waiting = engine.queue.task(task_id)
    assert waiting is not None and waiting.retry_delay_s == 0.5 and "waiting for the network" in waiting.note
    assert waiting.error is not None and waiting.error.status_code in (500, 503)
    sandbox.faults.error_rate = 0.0
    engine.wait_states([task_id], {TaskState.SUCCESS}, timeout_s=10)
    done = engine.queue.task(task_id)
    assert done is not None and done.retry_delay_s is None and done.error is None


def test_a_refusal_is_never_retried_by_itself_and_pause_stops_a_pending_retry(
    make_engine: Any, sandbox: Any
) -> None:
    engine = make_engine(network_retry_delays_s=(0.3,))
    refused = engine.queue.add_bytes(b"x", "nosuchbucket-1250000000", "k")
    engine.wait_states([refused], {TaskState.ERROR})
    sandbox.faults.error_rate = 1.0
    pending = engine.queue.add_bytes(b"y", BUCKET, "retry/paused", UploadOptions(retries=1))
    engine.wait_states([pending], {TaskState.ERROR})
    engine.queue.pause(pending)
    sandbox.faults.error_rate = 0.0
    engine.qtbot.wait(1000)  # three retry delays
    refused_now, paused_now = engine.queue.task(refused), engine.queue.task(pending)
    assert refused_now is not None and refused_now.state is TaskState.ERROR
    assert refused_now.retry_delay_s is None and refused_now.error is not None
    assert refused_now.error.code == "NoSuchBucket"
    assert paused_now is not None and paused_now.state is TaskState.PAUSED
    assert paused_now.retry_delay_s is None


def test_clear_finished_right_after_cancel_removes_the_task_once_its_worker_stops(
    make_engine: Any, tmp_path: Path, sandbox: Any
) -> None:
    engine = make_engine(bandwidth_limit_bytes_per_s=2 * MiB)
    task_id = engine.queue.add_file(random_file(tmp_path / "big.bin", 8 * MiB), BUCKET, "clear/big.bin")
    engine.qtbot.waitUntil(lambda: engine.state(task_id) is TaskState.UPLOADING, timeout=10_000)
    engine.queue.cancel(task_id)
    engine.queue.clear_finished()  # the worker may still be stopping: the row must go anyway
    engine.qtbot.waitUntil(lambda: engine.queue.task(task_id) is None, timeout=10_000)
    engine.store.flush()
    assert engine.store.load_tasks() == []


def test_pause_all_during_a_walk_adds_the_rest_of_it_paused_and_start_all_sends_it(
    make_engine: Any, tmp_path: Path
) -> None:
    """A folder still being walked when everything is paused (here or by another
    process's ``tasks pause``): the files found after it wait paused instead of
    starting, and "start all" sends them."""
    from cosdesk.engine.scan import ScanEntry

    engine = make_engine()
    files = [random_file(tmp_path / f"{number:02d}.bin", 2048) for number in range(40)]
    halfway, go_on = threading.Event(), threading.Event()
    queued: dict[str, str] = {}  # key -> task id

    def walk() -> Iterator[ScanEntry]:
        for number, path in enumerate(files):
            if number == 20:
                halfway.set()
                go_on.wait(10)
            yield ScanEntry(f"walk/{path.name}", str(path), 2048, path.stat().st_mtime_ns)

    engine.queue.add_entries(walk, BUCKET, on_queued=lambda pairs: queued.update((k, t) for t, k in pairs))
    engine.qtbot.waitUntil(halfway.is_set)
    engine.queue.pause(None)
    go_on.set()
    engine.qtbot.waitUntil(lambda: len(queued) == 40)
    late = [queued[f"walk/{path.name}"] for path in files[20:]]
    early = [queued[f"walk/{path.name}"] for path in files[:20]]
    engine.wait_states(early, {TaskState.SUCCESS, TaskState.PAUSED})
    engine.qtbot.wait(300)  # time enough to start any that were not held
    assert {engine.state(task_id) for task_id in late} == {TaskState.PAUSED}

    engine.queue.restart(None)
    engine.wait_states([*early, *late], {TaskState.SUCCESS})
