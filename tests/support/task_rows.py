"""Stored tasks for tests that seed a task database directly."""

from __future__ import annotations

import time
from dataclasses import fields
from pathlib import Path

from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import Checkpoint, SourceKind, TaskSpec, TaskState, TaskStatus, UploadTask
from cosdesk.engine.task_columns import StoredTask
from cosdesk.engine.task_listing import TaskChoice, chosen_tasks
from cosdesk.task_batches import batches_in_order


def make_row(task_id: str, position: int = 0, **changes: object) -> StoredTask:
    """A stored file task; ``changes`` name fields of its spec, checkpoint or status."""

    def values_for(kind: type, defaults: dict[str, object]) -> dict[str, object]:
        names = {item.name for item in fields(kind)}
        return {**defaults, **{name: value for name, value in changes.items() if name in names}}

    known = {item.name for kind in (TaskSpec, Checkpoint, TaskStatus) for item in fields(kind)}
    unknown = set(changes) - known
    assert not unknown, f"no such task field: {unknown}"
    spec = TaskSpec(
        **values_for(  # type: ignore[arg-type]
            TaskSpec,
            dict(
                task_id=task_id,
                bucket="examplebucket-1250000000",
                key=f"dir/{task_id}.bin",
                endpoint=EndpointSpec("ap-guangzhou", url="http://127.0.0.1:9000"),
                options=UploadOptions(metadata={"a": "b"}),
                source_kind=SourceKind.FILE,
                source_path=f"/tmp/{task_id}.bin",
                created_at=time.time(),
            ),
        )
    )
    checkpoint = Checkpoint(**values_for(Checkpoint, dict(size=10, mtime_ns=123)))  # type: ignore[arg-type]
    status = TaskStatus(**values_for(TaskStatus, dict(position=position)))  # type: ignore[arg-type]
    return StoredTask(spec, checkpoint, status)


def make_task(task_id: str, position: int = 0, **changes: object) -> UploadTask:
    """The queue's record of a task made by :func:`make_row`."""
    stored = make_row(task_id, position, **changes)
    return UploadTask(stored.spec, stored.checkpoint, stored.status)


def listed_batches(store: TaskStore) -> list[tuple[int, list[StoredTask]]]:
    """Every batch's number and tasks, read as ``cosdesk tasks list`` reads them:
    oldest batch first, each batch's oldest task first."""
    batches = batches_in_order(store)
    with store.reading() as db:
        listed = list(chosen_tasks(db, TaskChoice(), [batch.token for batch in batches]))
    return [(batch.number, [item for item in listed if item.spec.batch == batch.token]) for batch in batches]


def store_waiting_files(
    database: Path, folder: Path, count: int, endpoint: EndpointSpec, bucket: str
) -> list[str]:
    """Write ``count`` small files into ``folder`` and store a waiting task for
    each (one batch, keys ``scans/NAME``), as a stopped upload leaves them; their
    ids, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for number in range(count):
        source = folder / f"scan-{number:04d}.txt"
        source.write_bytes(b"page %d" % number)
        rows.append(
            make_row(
                f"{number:032x}",
                number,
                bucket=bucket,
                key=f"scans/{source.name}",
                endpoint=endpoint,
                source_path=str(source),
                size=source.stat().st_size,
                mtime_ns=source.stat().st_mtime_ns,
                state=TaskState.WAITING,
                batch="scans",
            )
        )
    store = TaskStore(database)
    try:
        store.insert_tasks(rows)
        assert store.flush()
    finally:
        store.close()
    return [row.spec.task_id for row in rows]
