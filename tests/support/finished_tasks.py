"""A task database of many uploaded tasks, for the benches that read one back."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from cosdesk.engine.batch_numbers import new_batch_token
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import FileResult, TaskState
from support.task_rows import make_row

KiB = 1024


def finished_database(path: Path, count: int) -> Path:
    """``count`` uploaded tasks of 0-1 KiB, one batch, written by the real store."""
    token = new_batch_token()
    path.parent.mkdir(parents=True, exist_ok=True)
    store = TaskStore(path)
    finished_at = time.time()
    batch = []
    for number in range(count):
        key = f"bench/a{number % 100:02d}/b{(number // 100) % 100:02d}/file-{number:07d}.bin"
        batch.append(
            make_row(
                uuid.uuid4().hex,
                number,
                key=key,
                source_path=f"/tmp/tree/{key}",
                size=(number * 7919) % (KiB + 1),
                state=TaskState.SUCCESS,
                finished_at=finished_at,
                result=FileResult(f"http://127.0.0.1:9000/b/{key}", "b", key, '"etag"', crc64=1),
                batch=token,
            )
        )
        if len(batch) >= 20_000:
            store.insert_tasks(batch)
            batch = []
    store.insert_tasks(batch)
    assert store.flush(timeout_s=1200)
    store.close()
    return path
