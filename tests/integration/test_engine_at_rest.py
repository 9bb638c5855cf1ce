"""Tasks at rest (ARCHITECTURE.md, 'Tasks at rest'): past its live limit the queue
keeps only the tasks about to run whole, and every action still works on the
others. The limits here are tiny so a few hundred files exercise what a million
would."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from support.engine_queue import Engine
from support.task_rows import make_row

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64_file
from cosdesk.engine.history import HistoryOutcome, HistoryQuery
from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import CompactRow, TaskState

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
MiB = 1024 * 1024
SMALL_LIMITS = dict(live_task_limit=12, wake_batch=4)
# Frequent list updates: each one is a moment the live count is sampled.
AT_REST = dict(list_update_interval_ms=20, **SMALL_LIMITS)


class MostLive:
    """The most tasks held whole at any list update of the queue."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self._queue = engine.queue
        engine.queue.list_updated.connect(self._sample)

    def _sample(self, _ids: list[str]) -> None:
        self.count = max(self.count, self._queue.live_task_count)


def small_files(folder: Path, count: int) -> list[FileToAdd]:
    folder.mkdir()
    files = []
    for number in range(count):
        path = folder / f"f{number:03}.txt"
        path.write_bytes(f"file {number}\n".encode() * (number % 7 + 1))
        files.append(FileToAdd(str(path), f"rest/{path.name}"))
    return files


def test_a_queue_past_its_live_limit_uploads_everything_with_few_tasks_whole(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    engine = make_engine(**AT_REST)
    most_live = MostLive(engine)
    files = small_files(tmp_path / "many", 150)
    ids = engine.queue.add_files(files, BUCKET)
    engine.wait_states(ids, {TaskState.SUCCESS})

    for item in files:
        head = cos_client.head_object(BUCKET, item.key)
        assert head.crc64 == crc64_file(item.path)
    # The last tasks to finish go to rest at the next event tick.
    engine.qtbot.waitUntil(
        lambda: engine.queue.live_task_count <= SMALL_LIMITS["live_task_limit"], timeout=2000
    )
    # Between two ticks a few more may be whole (just added, just finished), never all.
    assert most_live.count < len(ids) / 3
    batch = engine.queue.batch()
    assert (batch.succeeded, batch.files, batch.percent) == (150, 150, 1.0)


def test_pause_resume_cancel_move_and_clear_act_on_tasks_at_rest(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    engine = make_engine(file_parallel_limit=1, **AT_REST)
    files = small_files(tmp_path / "held", 60)
    engine.queue.set_bandwidth_limit(2000)  # slow enough that most wait, then rest
    ids = engine.queue.add_files(files, BUCKET)
    engine.queue.pause()
    engine.wait_states(ids, {TaskState.PAUSED, TaskState.SUCCESS})
    engine.qtbot.waitUntil(
        lambda: engine.queue.live_task_count <= SMALL_LIMITS["live_task_limit"], timeout=5000
    )
    paused = [task_id for task_id, snap in engine.snapshots().items() if snap.state is TaskState.PAUSED]
    assert len(paused) >= 50

    canceled, resumed = paused[-10:], paused[:-10]
    engine.queue.cancel(canceled)
    found = engine.snapshots()
    assert {found[task_id].state for task_id in canceled} == {TaskState.CANCELED}
    assert all(found[task_id].finished_at is not None for task_id in canceled)

    last = resumed[-1]
    engine.queue.move_to_top([last])
    engine.queue.set_bandwidth_limit(0)
    engine.queue.restart(resumed)
    engine.wait_states(resumed, {TaskState.SUCCESS})
    finished_at = {task_id: engine.queue.task(task_id).finished_at for task_id in resumed}  # type: ignore[union-attr]
    assert finished_at[last] == min(finished_at.values())  # moved to the top, it ran first

    engine.store.flush()
    canceled_entries = HistoryQuery(outcome=HistoryOutcome.CANCELED)
    engine.qtbot.waitUntil(lambda: engine.history.count(canceled_entries) == len(canceled), timeout=5000)

    engine.queue.upload_again(canceled[:3])
    engine.wait_states(canceled[:3], {TaskState.SUCCESS})
    gone = engine.queue.clear_finished()
    assert set(gone) >= set(resumed) | set(canceled)
    assert set(engine.snapshots()) == set(ids) - set(gone)
    engine.store.flush()
    assert {item.spec.task_id for item in engine.store.load_tasks()} == set(ids) - set(gone)


def test_canceling_a_multipart_upload_at_rest_aborts_it_on_the_server(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    engine = make_engine(file_parallel_limit=1, **AT_REST)
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * (12 * 4096))  # 12 MiB: three 4 MiB parts
    options = UploadOptions(chunk_size=4 * MiB, adaptive_part_size=False)
    engine.queue.set_bandwidth_limit(4 * MiB)
    (big_id,) = engine.queue.add_files([FileToAdd(str(big), "rest/big.bin")], BUCKET, options)
    engine.wait_parts(big_id, 1, timeout_s=20)
    engine.queue.pause(big_id)
    engine.wait_states([big_id], {TaskState.PAUSED})
    # Enough other tasks for the paused one to go at rest.
    others = engine.queue.add_files(small_files(tmp_path / "others", 30), BUCKET)
    engine.queue.pause(others)
    engine.qtbot.waitUntil(
        lambda: engine.queue.live_task_count <= SMALL_LIMITS["live_task_limit"], timeout=5000
    )
    assert [u.key for u in cos_client.iter_multipart_uploads(BUCKET, prefix="rest/")] == ["rest/big.bin"]

    engine.queue.cancel(big_id)
    engine.qtbot.waitUntil(
        lambda: not list(cos_client.iter_multipart_uploads(BUCKET, prefix="rest/")), timeout=10_000
    )

    def forgotten() -> bool:
        engine.store.flush()
        (stored,) = engine.store.load_some([big_id])
        return stored.checkpoint.upload_id is None and not stored.checkpoint.parts

    engine.qtbot.waitUntil(forgotten, timeout=5000)
    assert engine.queue.task(big_id).state is TaskState.CANCELED  # type: ignore[union-attr]


def test_restoring_more_tasks_than_the_live_limit_brings_them_back_at_rest(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    first = make_engine(file_parallel_limit=1, **AT_REST)
    files = small_files(tmp_path / "later", 50)
    first.queue.set_bandwidth_limit(500)
    ids = first.queue.add_files(files, BUCKET)
    first.qtbot.waitUntil(lambda: first.queue.batch().succeeded >= 1, timeout=20_000)
    first.close()

    started = time.monotonic()
    again = make_engine(**AT_REST)
    unfinished = again.queue.restore(resume=True)
    assert time.monotonic() - started < 5
    assert again.queue.live_task_count <= SMALL_LIMITS["live_task_limit"]
    assert 0 < len(unfinished) < len(ids)
    again.wait_states(ids, {TaskState.SUCCESS})
    for item in files:
        assert cos_client.head_object(BUCKET, item.key).crc64 == crc64_file(item.path)


def test_a_task_at_rest_that_another_process_finished_is_adopted_when_its_turn_comes(
    make_engine: Any, tmp_path: Path
) -> None:
    engine = make_engine(file_parallel_limit=1, **AT_REST)
    files = small_files(tmp_path / "shared", 40)
    engine.queue.set_bandwidth_limit(2000)
    ids = engine.queue.add_files(files, BUCKET)
    engine.queue.pause()
    engine.wait_states(ids, {TaskState.PAUSED, TaskState.SUCCESS})
    engine.qtbot.waitUntil(
        lambda: engine.queue.live_task_count <= SMALL_LIMITS["live_task_limit"], timeout=5000
    )
    last = ids[-1]  # far down the queue: at rest
    assert engine.queue.live_task_count < len(ids)
    # Another cosdesk process finished it meanwhile (its row says so).
    engine.store.flush()
    with sqlite3.connect(engine.store.path) as db:
        db.execute("UPDATE tasks SET state = 'success' WHERE task_id = ?", (last,))
    engine.queue.set_bandwidth_limit(0)
    engine.queue.restart(ids)  # a stored success is final: this restart leaves its row alone
    engine.wait_states(ids, {TaskState.SUCCESS}, timeout_s=60)
    # Its turn came: read back, it is the other process's success (not a loop of
    # wake-ups, nor a second upload), and the queue goes idle.
    engine.qtbot.waitUntil(engine.queue.is_idle, timeout=10_000)
    assert engine.queue.batch().waiting == 0


def test_counts_keys_and_an_accounts_tasks_are_asked_of_the_database_not_read_task_by_task(
    make_engine: Any, tmp_path: Path
) -> None:
    """What the window asks of a queue of a million tasks (which accounts have
    uploads left, which keys a new batch would take) are narrow queries."""
    here, there = (
        EndpointSpec(REGION, url="http://127.0.0.1:1"),
        EndpointSpec(REGION, url="http://127.0.0.1:2"),
    )
    states = [TaskState.PAUSED, TaskState.ERROR, TaskState.SUCCESS, TaskState.CANCELED]
    rows = [
        make_row(f"t{number:02}", number, endpoint=here if number % 3 else there, state=states[number % 4])
        for number in range(40)
    ]
    rows += [
        make_row("named", 40, key="up/a.bin", endpoint=here, state=TaskState.PAUSED),
        make_row("numbered", 41, key="up/a (3).bin", endpoint=here, state=TaskState.SUCCESS),
        make_row("renamed", 42, key="up/c.bin", renamed_key="up/c (1).bin", endpoint=there),
    ]
    store = TaskStore(tmp_path / "tasks.sqlite3")
    store.insert_tasks(rows)
    store.close()
    engine = make_engine(**AT_REST)
    engine.queue.restore(resume=False)
    assert engine.queue.live_task_count <= SMALL_LIMITS["live_task_limit"]

    def unfinished_at(endpoint: EndpointSpec) -> set[str]:
        return {r.spec.task_id for r in rows if r.spec.endpoint == endpoint and not r.status.state.is_final}

    assert engine.queue.unfinished_by_endpoint() == {
        here: len(unfinished_at(here)),
        there: len(unfinished_at(there)),
    }
    resumable_states = (TaskState.PAUSED, TaskState.ERROR)
    resumable = engine.queue.task_ids_at(lambda endpoint: endpoint == here, resumable_states)
    # ("renamed" was waiting: restored paused, and so counted; it is not at "here".)
    assert set(resumable) == unfinished_at(here) and "renamed" not in resumable

    found = {snapshot.task_id: snapshot.key for snapshot in engine.queue.tasks_with_keys(["up/a.bin"])}
    # The key asked for, and every key a rename might pick again; not the others.
    assert found == {"named": "up/a.bin", "numbered": "up/a (3).bin", "renamed": "up/c (1).bin"}


def test_reading_a_task_at_rest_does_not_wait_behind_the_writers_backlog(
    make_engine: Any, tmp_path: Path
) -> None:
    store = TaskStore(tmp_path / "tasks.sqlite3")
    store.insert_tasks(make_row(f"t{number:02}", number, state=TaskState.PAUSED) for number in range(30))
    store.close()
    engine = make_engine(**AT_REST)
    engine.queue.restore(resume=False)
    assert engine.queue.live_task_count <= SMALL_LIMITS["live_task_limit"]
    # The writer is busy for seconds (a million rows being stored) when a task
    # at rest is restarted, then read.
    engine.store.write_in_order(lambda db: time.sleep(2))
    engine.queue.cancel("t29")
    started = time.monotonic()
    snapshot = engine.queue.task("t29")
    assert time.monotonic() - started < 1.0
    # The queue's own state, though its write is not in the database yet.
    assert snapshot is not None and snapshot.state is TaskState.CANCELED
    assert snapshot.key == "dir/t29.bin"


def test_where_unfinished_tasks_go_is_known_with_most_of_them_at_rest(
    make_engine: Any, tmp_path: Path
) -> None:
    engine = make_engine(file_parallel_limit=1, **AT_REST)
    files = small_files(tmp_path / "unfinished", 40)
    ids = engine.queue.add_files(files, BUCKET)
    engine.qtbot.waitUntil(lambda: engine.queue.live_task_count <= SMALL_LIMITS["live_task_limit"])
    engine.queue.pause(ids)
    engine.wait_states(ids, {TaskState.PAUSED, TaskState.SUCCESS})
    assert set(engine.queue.unfinished_by_endpoint()) == {engine.queue.default_endpoint}

    engine.queue.restart(ids)
    engine.wait_states(ids, {TaskState.SUCCESS})
    assert engine.queue.unfinished_by_endpoint() == {}


def test_a_task_paused_while_its_row_is_read_to_wake_it_stays_paused(
    make_engine: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """Waking reads rows outside the queue's lock. A pause in that gap must win over
    the row read before it, or a paused (or canceled) task would start uploading."""
    engine = make_engine(file_parallel_limit=1, **AT_REST)
    files = small_files(tmp_path / "woken", 40)
    engine.queue.set_bandwidth_limit(2000)  # slow enough that most wait, then rest
    ids = engine.queue.add_files(files, BUCKET)
    engine.queue.pause()
    engine.wait_states(ids, {TaskState.PAUSED, TaskState.SUCCESS})
    engine.queue.set_bandwidth_limit(0)
    ids = [task_id for task_id, snap in engine.snapshots().items() if snap.state is TaskState.PAUSED]
    engine.qtbot.waitUntil(
        lambda: engine.queue.live_task_count <= SMALL_LIMITS["live_task_limit"], timeout=5000
    )
    paused_in_the_gap: list[str] = []
    repository = engine.queue._repository
    read = repository.read_after_writes

    def read_then_pause(task_ids: Any, wait_s: Any = None) -> Any:
        wanted = list(task_ids)
        rows = read(wanted, wait_s)
        if wait_s is None and not paused_in_the_gap and wanted:  # the wake's read
            # The person pauses the batch after its rows were read, before they are used.
            paused_in_the_gap.extend(wanted)
            engine.queue.pause(wanted)
        return rows

    monkeypatch.setattr(repository, "read_after_writes", read_then_pause)
    engine.queue.restart(ids)
    engine.qtbot.waitUntil(lambda: bool(paused_in_the_gap), timeout=10_000)
    others = [task_id for task_id in ids if task_id not in paused_in_the_gap]
    engine.wait_states(others, {TaskState.SUCCESS})
    found = engine.snapshots()
    assert {found[task_id].state for task_id in paused_in_the_gap} == {TaskState.PAUSED}


def test_new_tasks_come_with_the_rows_made_with_them(make_engine: Any, tmp_path: Path) -> None:
    """``tasks_added`` hands the table each new task's ``CompactRow``, equal to
    what a full read of the task says (the table shows it without reading it)."""
    # One file at a time, slowly: the others stay waiting while the test looks.
    engine = make_engine(file_parallel_limit=1, bandwidth_limit_bytes_per_s=4096, **SMALL_LIMITS)
    added: list[str] = []
    rows: dict[str, CompactRow] = {}

    def take(task_ids: list[str], made: dict[str, CompactRow]) -> None:
        added.extend(task_ids)
        rows.update(made)

    engine.queue.tasks_added.connect(take)
    files = [
        FileToAdd(item.path, item.key, os.stat(item.path).st_size, os.stat(item.path).st_mtime_ns)
        for item in small_files(tmp_path / "many", 40)
    ]
    ids = engine.queue.add_files(files, BUCKET)
    engine.qtbot.waitUntil(lambda: len(added) == 40)
    assert added == ids and set(rows) == set(ids)
    found = engine.snapshots()
    for task_id, row in rows.items():
        full = found[task_id]
        assert (row.task_id, row.key, row.size, row.loaded) == (full.task_id, full.key, full.size, 0)
        assert row.state is TaskState.WAITING and row.from_file
    engine.queue.cancel()


class TasksPerHold:
    """Stands in for the queue's lock (delegating to it) and counts the tasks a
    command changes in each outermost hold of it."""

    def __init__(self, lock: Any) -> None:
        self._lock = lock
        self._depth = 0  # changed only by the thread that holds the lock
        self._in_this_hold = 0
        self.most = 0
        self.total = 0

    def acquire(self, *args: Any, **kwargs: Any) -> bool:
        got = bool(self._lock.acquire(*args, **kwargs))
        if got:
            self._depth += 1
            if self._depth == 1:
                self._in_this_hold = 0
        return got

    def release(self) -> None:
        self._depth -= 1
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def changed(self, count: int) -> None:
        self._in_this_hold += count
        self.total += count
        self.most = max(self.most, self._in_this_hold)


def test_pause_resume_and_cancel_of_all_change_tasks_a_slice_per_hold_of_the_lock(
    make_engine: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    # "Pause all" on 100,000 tasks held the lock 0.7 s in one go (10 s at a
    # million): every other thread, the window's event tick too, waited for it.
    import cosdesk.engine.queue as queue_module

    monkeypatch.setattr(queue_module, "_COMMAND_SLICE", 25)
    engine = make_engine(file_parallel_limit=1, **AT_REST)
    queue = engine.queue
    files = small_files(tmp_path / "many", 200)
    drop_began = queue.pauses_of_all
    queue.pause()
    ids = queue.add_files(files, BUCKET, part_of_drop_since=drop_began)  # added paused
    engine.wait_states(ids, {TaskState.PAUSED})
    engine.qtbot.waitUntil(lambda: queue.live_task_count <= SMALL_LIMITS["live_task_limit"], timeout=5000)

    holds = TasksPerHold(queue._lock)
    monkeypatch.setattr(queue, "_lock", holds)
    for name in ("_rested_changes", "_changed_states"):
        original = getattr(queue, name)

        def counted(tasks: list[Any], original: Any = original, **fields: Any) -> None:
            holds.changed(len(tasks))
            original(tasks, **fields)

        monkeypatch.setattr(queue, name, counted)

    queue.set_bandwidth_limit(1000)  # resumed, they wait their turn
    queue.restart()
    running = {TaskState.CHECKING, TaskState.UPLOADING, TaskState.SUCCESS}
    assert {snapshot.state for snapshot in queue.snapshots_of(ids)} <= {TaskState.WAITING, *running}
    queue.pause()
    paused = [snapshot.task_id for snapshot in queue.snapshots_of(ids) if snapshot.state is TaskState.PAUSED]
    assert len(paused) >= 195  # the one sending may finish first
    queue.cancel()
    assert {snapshot.state for snapshot in queue.snapshots_of(ids)} <= {TaskState.CANCELED, TaskState.SUCCESS}

    assert holds.total >= 3 * 195
    assert holds.most <= 25


class HeldRestore:
    """A task database of one interrupted task, then ``finished`` done ones. Its
    restore (``start``) waits on its first row, in ``hold`` (called on the
    restore's worker), until ``go_on``: a test acts with the restore under way."""

    def __init__(self, path: Path, finished: int) -> None:
        endpoint = EndpointSpec(REGION, url="http://127.0.0.1:1")
        rows = [make_row("interrupted", 0, endpoint=endpoint, state=TaskState.UPLOADING)]
        rows += [make_row(f"done-{n:05}", n, state=TaskState.SUCCESS) for n in range(1, finished + 1)]
        store = TaskStore(path)
        store.insert_tasks(rows)
        assert store.flush(timeout_s=60)
        store.close()
        self._asked, self._answer = threading.Event(), threading.Event()

    def _hold(self, _endpoint: EndpointSpec) -> str | None:
        self._asked.set()
        self._answer.wait(10)
        return None

    def start(self, engine: Any) -> None:
        engine.queue.restore_in_background(resume=True, hold=self._hold)
        assert self._asked.wait(10)

    def go_on(self) -> None:
        self._answer.set()


def test_quitting_while_many_tasks_are_restored_stops_the_restore(make_engine: Any, tmp_path: Path) -> None:
    """A window quit just after it opened on a million finished tasks waited for
    all of them to be put at rest (a minute, then 15 s). The restore stops
    instead: the next start reads them again."""
    restore = HeldRestore(tmp_path / "tasks.sqlite3", 12_000)
    engine = make_engine(**AT_REST)
    restore.start(engine)
    engine.queue.shutdown(wait=False)  # quitting: the queue stops what it starts
    restore.go_on()
    assert engine.queue.shutdown(wait=True, timeout_s=10)
    # Nothing past the quit was put at rest (without the stop: all 12,001).
    assert len(engine.queue.task_figures()) < 5000
    # The interrupted task's row still says so: the next start restores it again.
    reader = TaskStore(tmp_path / "tasks.sqlite3")
    try:
        assert reader.load_tasks()[0].status.state is TaskState.UPLOADING
    finally:
        reader.close()


def test_a_command_given_before_or_while_tasks_are_restored_acts_on_all_of_them(
    make_engine: Any, tmp_path: Path
) -> None:
    """The window shows a million restored rows from the database seconds before the
    queue has put them all at rest, and before it even begins (it waits for its
    sandbox). "Clear finished" clicked then found none and did nothing; it now
    waits for the restore and clears them all."""
    restore = HeldRestore(tmp_path / "tasks.sqlite3", 1000)
    engine = make_engine(**AT_REST)
    engine.queue.restore_coming()  # as the window does when it opens
    assert not engine.queue.is_restored()
    cleared: list[list[str]] = []
    # On a worker, as the window's commands run.
    clearing = threading.Thread(target=lambda: cleared.append(engine.queue.clear_finished()))
    clearing.start()
    clearing.join(0.3)
    assert clearing.is_alive()  # waits for the restore announced
    restore.start(engine)
    clearing.join(0.3)
    assert clearing.is_alive()  # and for the restore under way (without the wait: nothing cleared)
    restore.go_on()
    clearing.join(10)
    assert not clearing.is_alive()
    assert len(cleared[0]) == 1000
    assert [figures.task_id for figures in engine.queue.task_figures()] == ["interrupted"]
    assert engine.queue.is_restored()


def test_commands_waiting_for_a_restore_that_never_begins_go_on_at_quitting(make_engine: Any) -> None:
    engine = make_engine(**AT_REST)
    engine.queue.restore_coming()
    pausing = threading.Thread(target=engine.queue.pause)
    pausing.start()
    pausing.join(0.3)
    assert pausing.is_alive()
    engine.queue.no_restore_coming()  # the window quits before its sandbox started
    pausing.join(10)
    assert not pausing.is_alive()
