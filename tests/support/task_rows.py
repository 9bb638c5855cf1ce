"""Stored task rows for tests that seed a task database directly."""

from __future__ import annotations

import time

from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.store import TaskRow
from cosdesk.engine.task import SourceKind, TaskState


def make_row(task_id: str, position: int = 0, **changes: object) -> TaskRow:
    values: dict[str, object] = dict(
        task_id=task_id,
        position=position,
        bucket="examplebucket-1250000000",
        key=f"dir/{task_id}.bin",
        endpoint_json=EndpointSpec("ap-guangzhou", url="http://127.0.0.1:9000").to_json(),
        options_json=UploadOptions(metadata={"a": "b"}).to_json(),
        source_kind=SourceKind.FILE,
        source_path=f"/tmp/{task_id}.bin",
        data=None,
        size=10,
        mtime_ns=123,
        state=TaskState.WAITING,
        method=None,
        upload_id=None,
        part_size=None,
        append_start_position=None,
        append_start_crc64=None,
        file_md5=None,
        key_resolved=False,
        error=None,
        note="",
        result=None,
        created_at=time.time(),
        finished_at=None,
    )
    values.update(changes)
    return TaskRow(**values)  # type: ignore[arg-type]
