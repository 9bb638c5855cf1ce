"""The window's commands to the queue run on a worker of their own, one after the
other (engine/queue_commands.py): the last one given is what the tasks end in."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.queue_commands import QueueCommands
from cosdesk.engine.task import TaskState

BUCKET = "examplebucket-1250000000"


def test_commands_run_off_the_callers_thread_in_the_order_given(make_engine: Any, tmp_path: Path) -> None:
    engine = make_engine(file_parallel_limit=1, live_task_limit=12, wake_batch=4)
    queue = engine.queue
    folder = tmp_path / "files"
    folder.mkdir()
    files = []
    for number in range(80):
        path = folder / f"f{number:02}.txt"
        path.write_bytes(b"x" * 2000)
        files.append(FileToAdd(str(path), f"commands/{path.name}"))
    queue.set_bandwidth_limit(1000)  # two seconds a file: most wait, and rest
    ids = queue.add_files(files, BUCKET)
    engine.qtbot.waitUntil(lambda: queue.live_task_count <= 12, timeout=5000)

    threads: set[int] = set()
    pause = queue.pause

    def noted_pause(*args: Any) -> None:
        threads.add(threading.get_ident())
        pause(*args)

    queue.pause = noted_pause  # type: ignore[method-assign]
    commands = QueueCommands(queue)
    commands.pause()
    commands.restart()
    commands.pause()
    commands.restart(ids[40:])
    commands.cancel(ids[70:])
    assert commands.wait(30_000)

    assert threads and threading.get_ident() not in threads
    states = {snapshot.task_id: snapshot.state for snapshot in queue.snapshots_of(ids)}
    assert {states[task_id] for task_id in ids[1:40]} == {TaskState.PAUSED}
    assert {states[task_id] for task_id in ids[40:70]} <= {
        TaskState.WAITING,
        TaskState.CHECKING,
        TaskState.UPLOADING,
    }
    assert {states[task_id] for task_id in ids[70:]} == {TaskState.CANCELED}
