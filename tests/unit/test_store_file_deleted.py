"""The task database deleted while in use: the store puts it back, tasks, parts
and all, and says so; a cosdesk started after the deletion does not mix the
deleted database's WAL into its new file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.task_rows import make_row

from cosdesk.engine.store import TaskStore
from cosdesk.engine.store_file import DatabaseRecreated
from cosdesk.engine.task import PartRecord, TaskState

ROOT = Path(__file__).resolve().parents[2]


def _stored_ids(path: Path) -> list[str]:
    """The tasks another program finds at ``path`` (a separate process: SQLite
    shares more between connections of one process than between processes)."""
    script = (
        "import sys; from cosdesk.engine.store import TaskStore; s = TaskStore(sys.argv[1]); "
        "print(','.join(sorted(i.spec.task_id for i in s.load_tasks()))); s.close()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return [name for name in result.stdout.strip().split(",") if name]


def test_a_deleted_database_is_written_back_with_every_task_at_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    told: list[DatabaseRecreated] = []
    store = TaskStore(path, on_recreated=told.append)
    store.insert_tasks([make_row("done", 0, state=TaskState.SUCCESS)])
    store.insert_tasks([make_row("half", 1, state=TaskState.UPLOADING)])
    store.save_part("half", PartRecord(1, '"e1"', 1048576, 7))
    store.flush()

    path.unlink()  # rm tasks.sqlite3, its -wal and -shm left where they are
    store.save_part("half", PartRecord(2, '"e2"', 1048576, 8))
    store.flush()

    assert told == [DatabaseRecreated(path, unfinished=1)]
    assert _stored_ids(path) == ["done", "half"]
    store.close()
    reopened = TaskStore(path)
    half = next(item for item in reopened.load_tasks() if item.spec.task_id == "half")
    assert list(half.checkpoint.parts) == [1, 2]
    reopened.close()


def test_a_cosdesk_started_after_the_deletion_gets_the_tasks_not_an_empty_list(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    told: list[DatabaseRecreated] = []
    running = TaskStore(path, on_recreated=told.append)
    running.insert_tasks([make_row("a", 0, state=TaskState.UPLOADING)])
    running.flush()
    path.unlink()

    # `cosdesk tasks list` meanwhile: it creates a new, empty database there.
    assert _stored_ids(path) == []
    running.insert_tasks([make_row("b", 1)])
    running.flush()

    assert told == [DatabaseRecreated(path, unfinished=2)]
    assert _stored_ids(path) == ["a", "b"]
    running.close()


def test_nothing_is_reported_while_the_file_stays(tmp_path: Path) -> None:
    told: list[DatabaseRecreated] = []
    store = TaskStore(tmp_path / "tasks.sqlite3", on_recreated=told.append)
    for number in range(20):
        store.insert_tasks([make_row(f"t{number}", number)])
        store.flush()
    store.close()
    assert told == []
