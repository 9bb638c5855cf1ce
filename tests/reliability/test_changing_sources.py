"""Changing sources: a file grown, truncated, replaced or deleted between pause and
resume, or while it is being sent, is noticed; the object on the server is never a
mix of old and new bytes (it is the old file, the new file, or not there)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.workloads import BUCKET, MiB, write_random_file

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64
from cosdesk.cos.errors import CosError
from cosdesk.engine.options import UploadOptions
from cosdesk.engine.task import TaskState

Change = Callable[[Path], None]


def grow(path: Path) -> None:
    with path.open("ab") as out:
        out.write(os.urandom(MiB + 123))


def truncate(path: Path) -> None:
    with path.open("r+b") as out:
        out.truncate(path.stat().st_size // 3)


def replace_same_size(path: Path) -> None:
    """Another program saves a new version of the same size (write, then rename)."""
    fresh = path.with_suffix(".new")
    fresh.write_bytes(os.urandom(path.stat().st_size))
    os.replace(fresh, path)


def rewrite_in_place(path: Path) -> None:
    """Every byte rewritten where it is (a database, a VM image): both behind and
    ahead of what the upload has read so far."""
    with path.open("r+b") as out:
        out.write(os.urandom(path.stat().st_size))


def delete(path: Path) -> None:
    path.unlink()


def object_crc(cos: CosClient, key: str) -> int | None:
    try:
        head = cos.head_object(BUCKET, key)
    except CosError as error:
        assert error.status_code == 404
        return None
    return head.crc64


PUT = UploadOptions(slice_size=16 * MiB)  # 6 MiB in one PUT Object
MULTIPART = UploadOptions(chunk_size=MiB)  # 6 MiB in six parts

CHANGES = {
    "grown": grow,
    "truncated": truncate,
    "replaced": replace_same_size,
    "rewritten": rewrite_in_place,
    "deleted": delete,
}


@pytest.mark.parametrize("method", ["put", "multipart"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_file_changed_between_pause_and_resume_is_sent_afresh_or_refused(
    qtbot: Any, make_engine: Any, sandbox: Any, tmp_path: Path, cos: CosClient, change: str, method: str
) -> None:
    source = write_random_file(tmp_path / "doc.bin", 6 * MiB, random.Random(1))
    engine = make_engine()
    sandbox.faults.bandwidth_bytes_per_s = 3_000_000
    key = f"paused/{change}-{method}.bin"
    task_id = engine.queue.add_file(source, BUCKET, key, PUT if method == "put" else MULTIPART)
    engine.wait_loaded(task_id, 2 * MiB, timeout_s=20)
    engine.queue.pause(task_id)
    engine.wait_idle()
    CHANGES[change](source)
    sandbox.faults.bandwidth_bytes_per_s = None
    engine.queue.restart(task_id)
    snapshot = engine.ended(task_id)
    if change == "deleted":
        assert snapshot.state is TaskState.ERROR
        assert snapshot.error is not None and "no longer exists" in snapshot.error.message
        assert object_crc(cos, key) is None
        # The parts stay (the file may come back); cancelling the task removes them.
        engine.queue.cancel(task_id)
        qtbot.waitUntil(lambda: list(cos.iter_multipart_uploads(BUCKET)) == [], timeout=5000)
    else:
        assert snapshot.state is TaskState.SUCCESS, snapshot.error
        if method == "multipart":
            assert "the local file changed since the last attempt" in snapshot.note
        assert object_crc(cos, key) == crc64(source.read_bytes())
        assert cos.head_object(BUCKET, key).content_length == source.stat().st_size
    assert list(cos.iter_multipart_uploads(BUCKET)) == []


@pytest.mark.parametrize("method", ["put", "multipart"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_file_changed_while_it_is_sent_never_leaves_a_mixed_object(
    make_engine: Any, sandbox: Any, tmp_path: Path, cos: CosClient, change: str, method: str
) -> None:
    source = write_random_file(tmp_path / "doc.bin", 6 * MiB, random.Random(2))
    old_crc = crc64(source.read_bytes())
    engine = make_engine()
    sandbox.faults.bandwidth_bytes_per_s = 3_000_000
    key = f"live/{change}-{method}.bin"
    task_id = engine.queue.add_file(source, BUCKET, key, PUT if method == "put" else MULTIPART)
    engine.wait_loaded(task_id, 2 * MiB, timeout_s=20)
    CHANGES[change](source)
    changed_at = time.monotonic()
    engine.ended(task_id)
    new_crc = crc64(source.read_bytes()) if source.exists() else None
    snapshot = engine.snapshot(task_id)
    stored = object_crc(cos, key)
    # The object is the old file, the new file, or absent: never a mix.
    assert stored in (old_crc, new_crc, None)
    if snapshot.state is TaskState.SUCCESS:
        # Success is only ever claimed for exactly the bytes the file now holds.
        assert stored == new_crc
    else:
        assert snapshot.state is TaskState.ERROR
        assert snapshot.error is not None
        message = snapshot.error.message
        assert (
            "changed while it was being uploaded" in message
            or "no longer exists" in message
            or ("shorter than expected" in message)
        ), message
    print(
        f"\n{change} during {method}: {snapshot.state} after {time.monotonic() - changed_at:.1f} s; "
        f"object {'absent' if stored is None else 'old' if stored == old_crc else 'new'}"
    )
