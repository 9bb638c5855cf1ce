"""The upload queue against the local server: real HTTP, real SQLite, real Qt event loop."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.engine_queue import ENDED
from support.task_rows import listed_batches

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64_file
from cosdesk.cos.errors import CosError
from cosdesk.engine import queue as queue_module
from cosdesk.engine.batch_numbers import new_batch_token
from cosdesk.engine.intake import SCAN_BATCH
from cosdesk.engine.options import ConflictPolicy, EndpointSpec, UploadMethodChoice, UploadOptions
from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.scan import ScanEntry, scan_path
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import TaskState

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
MiB = 1024 * 1024


def write_file(path: Path, size: int, seed: int = 0) -> Path:
    chunk = hashlib.sha256(str(seed).encode()).digest() * 4096  # 128 KiB pattern
    with path.open("wb") as out:
        remaining = size
        while remaining:
            piece = chunk[: min(len(chunk), remaining)]
            out.write(piece)
            remaining -= len(piece)
    return path


def test_small_and_multipart_files_upload_with_matching_crc(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    engine = make_engine()
    finished = engine.collect_finished()
    small = write_file(tmp_path / "small.bin", 1000)
    empty = write_file(tmp_path / "empty.bin", 0)
    big = write_file(tmp_path / "big.bin", 5 * MiB + 17, seed=1)
    ids = engine.queue.add_files(
        [
            FileToAdd(str(small), "a/small.bin"),
            FileToAdd(str(empty), "a/empty.bin"),
            FileToAdd(str(big), "a/big.bin"),
        ],
        BUCKET,
    )
    engine.wait_states(ids, ENDED)
    assert [engine.state(i) for i in ids] == [TaskState.SUCCESS] * 3
    for path, key in ((small, "a/small.bin"), (empty, "a/empty.bin"), (big, "a/big.bin")):
        head = cos_client.head_object(BUCKET, key)
        assert head.content_length == path.stat().st_size
        assert head.crc64 == crc64_file(path)
    big_snapshot = engine.queue.task(ids[2])
    assert big_snapshot is not None and big_snapshot.result is not None
    assert big_snapshot.result.etag.endswith('-6"')
    assert big_snapshot.percent == 1.0
    engine.qtbot.waitUntil(lambda: len(finished) == 3, timeout=5000)
    assert all(event.error is None and event.data is not None for event in finished)
    assert {event.data.key for event in finished if event.data} == {
        "a/small.bin",
        "a/empty.bin",
        "a/big.bin",
    }


def test_in_memory_bodies_folder_markers_and_options(make_engine: Any, cos_client: CosClient) -> None:
    engine = make_engine()
    options = UploadOptions(
        storage_class="STANDARD_IA",
        content_type="text/plain",
        metadata={"origin": "test"},
        content_md5=True,
        upload_add_meta_md5=True,
    )
    body_id = engine.queue.add_bytes(b"hello!", BUCKET, "mem/hello.txt", options)
    big_body_id = engine.queue.add_bytes(os.urandom(3 * MiB), BUCKET, "mem/big.bin", options)
    folder_id = engine.queue.add_folder_marker(BUCKET, "mem/folder")
    engine.wait_states([body_id, big_body_id, folder_id], ENDED)
    assert engine.state(body_id) is TaskState.SUCCESS, engine.queue.task(body_id)
    assert engine.state(big_body_id) is TaskState.SUCCESS, engine.queue.task(big_body_id)
    assert engine.state(folder_id) is TaskState.SUCCESS
    head = cos_client.head_object(BUCKET, "mem/hello.txt")
    assert head.metadata.get("origin") == "test"
    assert head.metadata.get("md5") == hashlib.md5(b"hello!").hexdigest()
    assert head.storage_class == "STANDARD_IA"
    assert head.content_type == "text/plain"
    assert cos_client.head_object(BUCKET, "mem/folder/").content_length == 0


def test_folders_are_walked_on_a_worker(make_engine: Any, tmp_path: Path, cos_client: CosClient) -> None:
    engine = make_engine()
    root = tmp_path / "photos"
    (root / "2024").mkdir(parents=True)
    (root / "empty").mkdir()
    write_file(root / "a.jpg", 10)
    write_file(root / "2024" / "b.jpg", 2 * MiB, seed=3)
    added: list[str] = []
    engine.queue.tasks_added.connect(lambda task_ids, _rows: added.extend(task_ids))
    engine.queue.add_paths([root], BUCKET, "backup", include_empty_folders=True)
    engine.qtbot.waitUntil(lambda: len(added) == 3, timeout=10_000)
    engine.wait_states(added, ENDED)
    keys = sorted(s.key for s in engine.queue.tasks())
    assert keys == ["backup/photos/2024/b.jpg", "backup/photos/a.jpg", "backup/photos/empty/"]
    assert all(s.state is TaskState.SUCCESS for s in engine.queue.tasks())
    stored = cos_client.head_object(BUCKET, "backup/photos/2024/b.jpg")
    assert stored.crc64 == crc64_file(root / "2024" / "b.jpg")


def test_each_way_of_adding_makes_one_batch_and_a_drop_in_slices_stays_one(
    make_engine: Any, tmp_path: Path
) -> None:
    engine = make_engine()
    (tmp_path / "drop").mkdir()
    drop = [write_file(tmp_path / "drop" / f"{n}.txt", 10, seed=n) for n in range(3)]
    slices_token = new_batch_token()
    # A big drop is handed to the queue in slices, with its folder markers after.
    engine.queue.add_files([FileToAdd(str(drop[0]), "drop/0.txt")], BUCKET, batch=slices_token)
    engine.queue.add_files(
        [FileToAdd(str(path), f"drop/{path.name}") for path in drop[1:]], BUCKET, batch=slices_token
    )
    engine.queue.add_folder_marker(BUCKET, "drop/empty", batch=slices_token)
    engine.queue.add_bytes(b"note", BUCKET, "note.txt")
    engine.queue.add_paths([tmp_path / "drop"], BUCKET, "walked")
    engine.qtbot.waitUntil(lambda: len(engine.queue.tasks()) == 8, timeout=10_000)  # and the walk's 3
    engine.wait_states([task.task_id for task in engine.queue.tasks()], ENDED)
    assert engine.store.flush()

    batches = [sorted(item.spec.key for item in tasks) for _number, tasks in listed_batches(engine.store)]
    assert batches == [
        ["drop/0.txt", "drop/1.txt", "drop/2.txt", "drop/empty/"],
        ["note.txt"],
        ["walked/drop/0.txt", "walked/drop/1.txt", "walked/drop/2.txt"],
    ]


def test_conflict_policies(make_engine: Any, tmp_path: Path, cos_client: CosClient) -> None:
    engine = make_engine()
    cos_client.put_object(BUCKET, "c/x.txt", b"old")
    source = write_file(tmp_path / "x.txt", 100)
    skip = engine.queue.add_file(source, BUCKET, "c/x.txt", UploadOptions(conflict=ConflictPolicy.SKIP))
    engine.wait_states([skip], ENDED)
    snapshot = engine.queue.task(skip)
    assert snapshot is not None and snapshot.result is not None and snapshot.result.skipped
    assert cos_client.head_object(BUCKET, "c/x.txt").content_length == 3
    rename = engine.queue.add_file(source, BUCKET, "c/x.txt", UploadOptions(conflict=ConflictPolicy.RENAME))
    engine.wait_states([rename], ENDED)
    assert cos_client.head_object(BUCKET, "c/x (1).txt").content_length == 100
    overwrite = engine.queue.add_file(source, BUCKET, "c/x.txt")
    engine.wait_states([overwrite], ENDED)
    assert cos_client.head_object(BUCKET, "c/x.txt").content_length == 100


def test_upload_changed_decided_when_the_task_starts_skips_the_same_bytes_only(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    """A task that carries CHANGED (the bucket could not be read when it was
    added) compares the object's size and CRC-64 with its file itself."""
    engine = make_engine()
    same = write_file(tmp_path / "same.bin", 100, seed=1)
    cos_client.put_object(BUCKET, "d/same.bin", same.read_bytes())
    edited = write_file(tmp_path / "edited.bin", 100, seed=2)
    cos_client.put_object(BUCKET, "d/edited.bin", write_file(tmp_path / "old.bin", 100, seed=3).read_bytes())
    changed = UploadOptions(conflict=ConflictPolicy.CHANGED)
    skipped = engine.queue.add_file(same, BUCKET, "d/same.bin", changed)
    replaced = engine.queue.add_file(edited, BUCKET, "d/edited.bin", changed)
    engine.wait_states([skipped, replaced], ENDED)
    left, sent = engine.queue.task(skipped), engine.queue.task(replaced)
    assert left is not None and left.result is not None and left.result.skipped
    assert left.note == "the same file is already there; skipped"
    assert sent is not None and sent.state is TaskState.SUCCESS
    assert sent.result is not None and not sent.result.skipped
    assert cos_client.get_object(BUCKET, "d/edited.bin").content == edited.read_bytes()


def test_append_task_creates_and_extends_an_appendable_object(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    engine = make_engine()
    source = write_file(tmp_path / "log.bin", 2 * MiB + 5, seed=4)
    task_id = engine.queue.add_file(
        source, BUCKET, "logs/log.bin", UploadOptions(method=UploadMethodChoice.APPEND)
    )
    engine.wait_states([task_id], ENDED)
    assert engine.state(task_id) is TaskState.SUCCESS, engine.queue.task(task_id)
    head = cos_client.head_object(BUCKET, "logs/log.bin")
    assert head.appendable and head.content_length == source.stat().st_size
    assert head.crc64 == crc64_file(source)


def test_a_canceled_append_uploaded_again_goes_on_after_what_it_had_appended(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    """An append cannot be taken back: a canceled append task's chunks stay in the
    object. Uploaded again, it appended the whole file after them, and the object
    held the file's first megabytes twice, yet said verified (the CRC-64 it
    checked began with whatever was there). It goes on after its own chunks,
    once the object shows it holds the start of the file."""
    key = "logs/app.log"
    cos_client.append_object(BUCKET, key, 0, b"yesterday\n")
    engine = make_engine(bandwidth_limit_bytes_per_s=2 * MiB)
    source = write_file(tmp_path / "today.bin", 6 * MiB + 3, seed=5)
    task_id = engine.queue.add_file(source, BUCKET, key, UploadOptions(method=UploadMethodChoice.APPEND))
    engine.qtbot.waitUntil(
        lambda: cos_client.head_object(BUCKET, key).content_length >= 10 + 2 * MiB, timeout=20_000
    )
    engine.queue.cancel(task_id)
    engine.wait_states([task_id], {TaskState.CANCELED})
    engine.wait_idle(timeout_s=20)  # its job has ended: the person uploads it again later
    appended = cos_client.head_object(BUCKET, key).content_length - 10
    assert 2 * MiB <= appended < source.stat().st_size

    engine.queue.upload_again([task_id])
    (again,) = engine.wait_states([task_id], ENDED)
    assert again.state is TaskState.SUCCESS, again
    assert cos_client.get_object(BUCKET, key).content == b"yesterday\n" + source.read_bytes()


def test_a_paused_append_of_a_log_that_grew_goes_on_after_what_it_had_appended(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    """A log appended to while its append was paused: resumed, the task sends the
    rest of the grown file after its own chunks. It started over, and appended the
    whole file after them."""
    key = "logs/service.log"
    engine = make_engine(bandwidth_limit_bytes_per_s=2 * MiB)
    source = write_file(tmp_path / "service.log", 5 * MiB, seed=6)
    task_id = engine.queue.add_file(source, BUCKET, key, UploadOptions(method=UploadMethodChoice.APPEND))
    engine.qtbot.waitUntil(lambda: _object_length(cos_client, key) >= 2 * MiB, timeout=20_000)
    engine.queue.pause(task_id)
    engine.wait_states([task_id], {TaskState.PAUSED})
    engine.wait_idle(timeout_s=20)
    assert _object_length(cos_client, key) < 5 * MiB
    with source.open("ab") as log:
        log.write(b"one more line\n" * 1000)

    engine.queue.restart(task_id)
    (resumed,) = engine.wait_states([task_id], ENDED)
    assert resumed.state is TaskState.SUCCESS, resumed
    assert cos_client.get_object(BUCKET, key).content == source.read_bytes()


def _object_length(cos_client: CosClient, key: str) -> int:
    try:
        return cos_client.head_object(BUCKET, key).content_length
    except CosError:
        return 0


def test_access_denied_fails_at_once_with_the_exact_reason(make_engine: Any) -> None:
    engine = make_engine(credentials=Credentials("AKIDcosdeskTESTsecretid", "wrong-key"), client_timeout_s=10)
    finished = engine.collect_finished()
    task_id = engine.queue.add_bytes(b"x", BUCKET, "denied.txt")
    engine.qtbot.waitUntil(lambda: len(finished) == 1, timeout=10_000)
    assert finished[0].error is not None and finished[0].error.code == "SignatureDoesNotMatch"
    assert finished[0].error.status_code == 403
    assert engine.state(task_id) is TaskState.ERROR


def test_adding_10000_files_does_not_wait_for_the_database(make_engine: Any, tmp_path: Path) -> None:
    """The window adds a dropped folder on the GUI thread: adding hands the files to
    a worker and returns, even while the database's writer is busy."""
    engine = make_engine()
    engine.queue.pause()  # nothing is uploaded: this is about adding only
    source = write_file(tmp_path / "one.bin", 10)
    files = [FileToAdd(str(source), f"many/{i}.bin") for i in range(10_000)]
    writer_busy, let_go = threading.Event(), threading.Event()
    engine.store.write_in_order(lambda db: (writer_busy.set(), let_go.wait(30)))
    assert writer_busy.wait(10)
    try:
        ids = engine.queue.add_files(files, BUCKET)
        assert len(ids) == 10_000
        assert stored_task_count(engine.store.path) == 0  # nothing on disk yet
    finally:
        let_go.set()
    engine.queue.pause(ids)
    engine.wait_idle(timeout_s=20)
    assert engine.store.flush()
    assert stored_task_count(engine.store.path) == 10_000


def stored_task_count(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database)) as db:
        return int(db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])


def test_a_simple_put_writes_its_row_when_added_and_when_finished_only(
    make_engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a crash needs of a small file is its row when added and its final state:
    checking, uploading, its method and "key resolved" mark are not written (a
    restart sends a simple PUT again from the start). A multipart task's are."""
    engine = make_engine()
    written: list[tuple[str, TaskState]] = []
    save_task = engine.store.save_task

    def spy(task_id: str, checkpoint: Any, status: Any, *, lazy: bool = False) -> None:
        written.append((task_id, status.state))
        save_task(task_id, checkpoint, status, lazy=lazy)

    monkeypatch.setattr(engine.store, "save_task", spy)
    small = write_file(tmp_path / "small.bin", 16 * 1024)
    big = write_file(tmp_path / "big.bin", 3 * MiB, seed=2)
    ids = engine.queue.add_files(
        [FileToAdd(str(small), "w/small.bin"), FileToAdd(str(big), "w/big.bin")], BUCKET
    )
    engine.wait_states(ids, ENDED)
    assert [engine.state(i) for i in ids] == [TaskState.SUCCESS] * 2
    # (insert_tasks writes the rows when added; save_task every later change.)
    assert [state for task_id, state in written if task_id == ids[0]] == [TaskState.SUCCESS]
    big_writes = [state for task_id, state in written if task_id == ids[1]]
    assert len(big_writes) >= 3 and big_writes[-1] is TaskState.SUCCESS
    engine.store.flush()
    reopened = TaskStore(tmp_path / "tasks.sqlite3")
    try:
        stored = {item.key: item.status for item in reopened.load_tasks()}
    finally:
        reopened.close()
    assert stored["w/small.bin"].state is TaskState.SUCCESS
    result = stored["w/small.bin"].result
    assert result is not None and result.crc64 == crc64_file(small)


def test_idle_fires_as_soon_as_the_last_file_ends_not_on_the_next_tick(
    make_engine: Any, tmp_path: Path
) -> None:
    engine = make_engine(list_update_interval_ms=5000)
    idle: list[float] = []
    engine.queue.idle.connect(lambda: idle.append(time.monotonic()))
    started = time.monotonic()
    engine.queue.add_file(write_file(tmp_path / "one.bin", 1000), BUCKET, "idle/one.bin")
    engine.qtbot.waitUntil(lambda: bool(idle), timeout=4000)
    assert idle[0] - started < 4.0


def test_a_listener_of_task_progress_hears_each_upload_move_to_its_end(
    make_engine: Any, tmp_path: Path
) -> None:
    """The seed's per-task progress callback: made only while someone listens (the
    window and the command line read rows and batches instead)."""
    engine = make_engine(list_update_interval_ms=50)
    engine.queue.set_bandwidth_limit(2 * MiB)  # about a second: several ticks
    heard: list[Any] = []
    engine.queue.task_progress.connect(heard.append)
    size = 2 * MiB
    task_id = engine.queue.add_file(write_file(tmp_path / "moving.bin", size), BUCKET, "progress/moving.bin")
    assert engine.ended(task_id).state is TaskState.SUCCESS
    engine.queue.deliver_events()
    mine = [progress for progress in heard if progress.task_id == task_id]
    assert len({progress.loaded for progress in mine}) >= 3, mine  # it moved, tick by tick
    assert [progress.loaded for progress in mine] == sorted(progress.loaded for progress in mine)
    assert mine[-1].loaded == mine[-1].total == size and mine[-1].percent == 1.0
    assert all(progress.total == size and 0 <= progress.percent <= 1 for progress in mine)


def test_without_a_crc64_from_the_server_the_etag_is_checked_against_the_md5(
    make_engine: Any, tmp_path: Path, scripted_server: Any, http_answer: Any
) -> None:
    """The MD5 of a simple PUT is computed only when COS sends no CRC-64 (a second
    read of the file); then a wrong ETag still fails the upload."""
    good = write_file(tmp_path / "good.bin", 20_000, seed=3)
    md5 = hashlib.md5(good.read_bytes()).hexdigest()

    def respond(request: bytes) -> list[bytes | float]:
        etag = md5 if b"/good.bin " in request.split(b"\r\n", 1)[0] else "0" * 32
        return [http_answer("200 OK", b"", {"ETag": f'"{etag}"'})]

    server = scripted_server(respond)
    spec = EndpointSpec(REGION, url=server.endpoint, path_style=True)
    engine = make_engine()
    ok = engine.queue.add_file(good, BUCKET, "good.bin", endpoint=spec)
    bad = engine.queue.add_file(good, BUCKET, "bad.bin", endpoint=spec)
    engine.wait_states([ok, bad], ENDED)
    assert engine.state(ok) is TaskState.SUCCESS, engine.queue.task(ok)
    snapshot = engine.queue.task(bad)
    assert snapshot is not None and snapshot.state is TaskState.ERROR
    assert snapshot.error is not None and snapshot.error.code == "ETagMismatch"


def test_a_finished_file_is_told_when_the_events_are_delivered_before_the_loop_runs_again(
    make_engine: Any, tmp_path: Path
) -> None:
    """A job's end asks for a flush through the event loop. A command that leaves
    its loop in between (its own idle check fired) delivers the events itself:
    ``cosdesk upload`` once said "0 uploaded" for a file it had uploaded."""
    engine = make_engine()
    finished = engine.collect_finished()
    task_id = engine.queue.add_file(write_file(tmp_path / "one.bin", 1000), BUCKET, "told/one.bin")
    # Waited for without running the event loop: the job ends on its worker.
    deadline = time.monotonic() + 20
    while engine.queue.task_figures()[0].state is not TaskState.SUCCESS:
        assert time.monotonic() < deadline, "the upload did not end"
        time.sleep(0.01)
    assert finished == []  # the flush it asked for waits for the loop
    engine.queue.deliver_events()
    assert [(event.task_id, event.error) for event in finished] == [(task_id, None)]


class _WalkThatStops:
    """A walk of SCAN_BATCH new files (``seconds_per_file`` each) added to the
    queue, which stops before its end until :meth:`go_on`: one slice is stored,
    and the walk is still adding."""

    def __init__(self, engine: Any, root: Path, seconds_per_file: float) -> None:
        root.mkdir()
        for n in range(SCAN_BATCH):
            write_file(root / f"{n:03}.txt", 10, seed=n)
        self.walked, self._let_go = threading.Event(), threading.Event()
        self.added: list[str] = []
        engine.queue.tasks_added.connect(lambda task_ids, _rows: self.added.extend(task_ids))
        self._seconds_per_file = seconds_per_file
        engine.queue.add_entries(lambda: self._entries(root), BUCKET)

    def _entries(self, root: Path) -> Iterator[ScanEntry]:
        for entry in scan_path(root, "walked"):
            time.sleep(self._seconds_per_file)
            yield entry
        self.walked.set()
        assert self._let_go.wait(30)

    def go_on(self) -> None:
        self._let_go.set()

    @property
    def ended(self) -> bool:
        return self._let_go.is_set()


def test_uploads_wait_while_a_walk_adds_files_and_start_when_it_ends(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    """Adding small files and uploading them share one GIL: the uploads start
    when the files are all added (ARCHITECTURE.md, "A task's life")."""
    engine = make_engine()
    walk = _WalkThatStops(engine, tmp_path / "drop", seconds_per_file=0)
    try:
        engine.qtbot.waitUntil(lambda: walk.walked.is_set() and len(walk.added) == SCAN_BATCH, timeout=10_000)
        engine.qtbot.wait(500)  # a start would have come in milliseconds
        assert {task.state for task in engine.queue.tasks()} == {TaskState.WAITING}
        assert cos_client.list_objects(BUCKET, prefix="walked/").contents == ()
    finally:
        walk.go_on()
    engine.wait_states(walk.added, ENDED)
    assert {task.state for task in engine.queue.tasks()} == {TaskState.SUCCESS}
    assert cos_client.head_object(BUCKET, "walked/drop/007.txt").content_length == 10


def test_a_slow_walk_lets_the_files_it_found_upload_while_it_goes_on(
    make_engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walk that finds files more slowly than they upload (a network share)
    holds nothing: what it found goes while it walks on."""
    monkeypatch.setattr(queue_module, "_SLOW_WALK_SLICE_S", 0.2)
    engine = make_engine()
    walk = _WalkThatStops(engine, tmp_path / "share", seconds_per_file=0.001)
    try:
        engine.qtbot.waitUntil(lambda: len(walk.added) == SCAN_BATCH, timeout=10_000)
        engine.wait_states(walk.added, ENDED, timeout_s=30)
        assert not walk.ended  # all uploaded while the walk was still going
    finally:
        walk.go_on()
    assert {task.state for task in engine.queue.tasks()} == {TaskState.SUCCESS}


def test_a_drop_added_a_slice_at_a_time_starts_uploading_after_its_last_slice(
    make_engine: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    """The window adds a big drop in slices: between two, nothing is being added,
    yet the drop's first files wait for the rest (as a walk's do)."""
    engine = make_engine()
    files = [write_file(tmp_path / f"{n}.txt", 10, seed=n) for n in range(3)]
    token = new_batch_token()
    with engine.queue.adding_a_drop():
        ids = engine.queue.add_files([FileToAdd(str(files[0]), "slices/0.txt")], BUCKET, batch=token)
        assert engine.store.flush()  # the first slice is stored
        engine.qtbot.wait(500)  # a start would have come in milliseconds
        first = engine.queue.task(ids[0])
        assert first is not None and first.state is TaskState.WAITING
        assert cos_client.list_objects(BUCKET, prefix="slices/").contents == ()
        ids += engine.queue.add_files(
            [FileToAdd(str(path), f"slices/{path.name}") for path in files[1:]], BUCKET, batch=token
        )
    engine.wait_states(ids, ENDED)
    assert {task.state for task in engine.queue.tasks()} == {TaskState.SUCCESS}
