"""The task database: tasks and parts survive a reopen; writes come from any thread."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from support.task_rows import make_row

from cosdesk.engine.store import StoreError, TaskStore
from cosdesk.engine.task import FileResult, PartRecord, SourceKind, TaskError, TaskState, UploadMethod


def test_tasks_and_parts_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    store = TaskStore(path)
    store.insert_tasks([make_row("a", 1)])
    failed = make_row(
        "b",
        0,
        state=TaskState.ERROR,
        method=UploadMethod.MULTIPART,
        upload_id="up-1",
        part_size=1048576,
        append_start_crc64=2**64 - 1,
        key_resolved=True,
        error=TaskError("AccessDenied", "no", 403, "req-1"),
        renamed_key="dir/b (1).bin",
    )
    store.insert_tasks([failed])
    # CRC-64 values above 2**63 do not fit SQLite integers.
    store.save_part("b", PartRecord(1, '"etag1"', 1048576, 2**64 - 5))
    store.save_part("b", PartRecord(2, '"etag2"', 100, 7))
    store.close()

    reopened = TaskStore(path)
    loaded = reopened.load_tasks()
    assert [item.spec.task_id for item in loaded] == ["b", "a"]
    b = loaded[0]
    # Every field of the three values comes back as it was saved.
    assert replace(b, checkpoint=b.checkpoint.with_parts({})) == failed
    assert b.status.state is TaskState.ERROR and b.checkpoint.method is UploadMethod.MULTIPART
    assert b.status.error == TaskError("AccessDenied", "no", 403, "req-1")
    assert b.key == "dir/b (1).bin" and b.spec.key == "dir/b.bin"
    assert [p.crc64 for p in b.checkpoint.parts.values()] == [2**64 - 5, 7]
    assert loaded[1].spec.options.metadata == {"a": "b"}
    reopened.close()


def test_updates_keep_the_in_memory_body(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "t.sqlite3")
    memory = make_row("m", source_kind=SourceKind.MEMORY, source_path=None, data=b"hello")
    store.insert_tasks([memory])
    store.save_task("m", memory.checkpoint, replace(memory.status, state=TaskState.PAUSED))
    store.flush()
    (item,) = store.load_tasks()
    assert item.spec.data == b"hello" and item.status.state is TaskState.PAUSED
    store.close()


def test_result_and_deletion(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "t.sqlite3")
    result = FileResult("host/k", "bucket-1", "k", '"e"', None, 42)
    store.insert_tasks([make_row("done", state=TaskState.SUCCESS, result=result)])
    store.save_part("done", PartRecord(1, '"x"', 1, 1))
    store.flush()
    assert store.load_tasks()[0].status.result == result
    store.delete_tasks(["done"])
    store.flush()
    assert store.load_tasks() == []
    store.close()


def test_many_threads_write_at_once(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "t.sqlite3")
    store.insert_tasks(make_row(f"t{i}", i) for i in range(8))

    def write_parts(task_index: int) -> None:
        for number in range(1, 201):
            store.save_part(f"t{task_index}", PartRecord(number, f'"{number}"', 1, number))

    threads = [threading.Thread(target=write_parts, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.flush()
    assert sum(len(item.checkpoint.parts) for item in store.load_tasks()) == 1600
    store.close()


def test_saving_10000_tasks_does_not_block_the_caller(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "t.sqlite3")
    rows = [make_row(f"t{i}", i) for i in range(10_000)]
    started = time.monotonic()
    store.insert_tasks(rows)
    assert time.monotonic() - started < 0.1
    store.flush()
    assert len(store.load_tasks()) == 10_000
    store.close()


def test_the_database_uses_wal(tmp_path: Path) -> None:
    import sqlite3

    store = TaskStore(tmp_path / "t.sqlite3")
    store.close()
    mode = sqlite3.connect(tmp_path / "t.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_damaged_database_is_named_with_the_reason(tmp_path: Path) -> None:
    damaged = tmp_path / "tasks.sqlite3"
    damaged.write_bytes(b"this is not SQLite " * 100)
    with pytest.raises(StoreError, match=f"cannot open the task database {damaged}: file is not a database"):
        TaskStore(damaged)


def test_a_file_where_the_data_folder_should_be_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file, not a folder")
    with pytest.raises(StoreError, match=f"{blocker} is a file, not a folder"):
        TaskStore(blocker / "cosdesk" / "tasks.sqlite3")


def test_a_stored_success_is_never_taken_back_by_a_write_from_an_older_reading(tmp_path: Path) -> None:
    # Another process finished the task after this one read it (engine/ownership.py).
    store = TaskStore(tmp_path / "t.sqlite3")
    done = make_row("t", state=TaskState.SUCCESS, result=FileResult("", "b", "k", '"e"'))
    store.insert_tasks([done])
    older = make_row("t", state=TaskState.PAUSED, upload_id="stale-upload")
    store.insert_tasks([older])  # an older reading written whole
    store.save_task("t", older.checkpoint, older.status)  # a pause from the older reading
    store.save_fields(["t"], state=TaskState.WAITING, error=None)  # a restart of a task at rest
    store.restore_states([("t", TaskState.WAITING, "")])  # a restore
    store.flush()
    (item,) = store.load_tasks()
    assert item.status.state is TaskState.SUCCESS and item.checkpoint.upload_id is None
    assert item.status.result is not None and item.status.result.etag == '"e"'
    store.close()


def test_closing_waits_for_a_large_backlog_of_writes_and_tells_how_many_are_left(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    store = TaskStore(path)
    count = 5_000
    store.insert_tasks(make_row(f"t{number}", number) for number in range(count))
    # The writer is kept busy (as a slow disk would), while a backlog builds up
    # behind it: one write per task, as pausing tasks one by one makes.
    store.write_in_order(lambda db: time.sleep(1.5))
    for number in range(count):
        store.save_fields([f"t{number}"], state=TaskState.PAUSED)
    left: list[int] = []
    store.close(on_progress=left.append)

    assert left and left[0] > 0  # the wait was long enough to show, and said how much was left
    reopened = TaskStore(path)
    states = {item.status.state for item in reopened.load_tasks()}
    assert len(reopened.load_tasks()) == count and states == {TaskState.PAUSED}
    reopened.close()


def test_a_flush_without_a_timeout_waits_for_everything_queued_before_it(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "t.sqlite3")
    store.insert_tasks([make_row("a")])
    store.write_in_order(lambda db: time.sleep(0.8))
    store.save_fields(["a"], state=TaskState.ERROR)
    assert store.flush(timeout_s=0.1) is False  # not yet; the write still lands
    assert store.flush() is True
    assert store.load_tasks()[0].status.state is TaskState.ERROR
    store.close()
