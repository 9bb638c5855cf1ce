"""Pause, restart, cancel and resume against the local server: what the server holds
and what was really sent over the wire."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.engine_queue import engine_at
from support.tcp_proxy import TcpProxy

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64_file
from cosdesk.cos.errors import CosError
from cosdesk.engine.options import UploadOptions
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.task import TaskState

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def proxy(sandbox: Any) -> Iterator[TcpProxy]:
    """Counts the bytes the engine really sends to the server."""
    with TcpProxy(sandbox.port) as running:
        yield running


@pytest.fixture
def cos(cos_client: CosClient) -> CosClient:
    """Our own client, straight to the server (not through the proxy)."""
    return cos_client


@pytest.fixture
def engine(qtbot: Any, tmp_path: Path, credentials: Credentials, proxy: TcpProxy) -> Iterator[UploadQueue]:
    with engine_at(proxy.endpoint, tmp_path / "tasks.sqlite3", credentials, REGION) as queue:
        yield queue


def random_file(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        remaining = size
        while remaining:
            piece = os.urandom(min(MiB, remaining))
            out.write(piece)
            remaining -= len(piece)
    return path


def state_of(queue: UploadQueue, task_id: str) -> TaskState:
    snapshot = queue.task(task_id)
    assert snapshot is not None
    return snapshot.state


def wait_for_parts(qtbot: Any, queue: UploadQueue, task_id: str, parts: int) -> None:
    def enough() -> bool:
        snapshot = queue.task(task_id)
        return snapshot is not None and snapshot.parts_done >= parts

    qtbot.waitUntil(enough, timeout=30_000)


def test_pause_stops_sending_mid_part_and_restart_sends_only_what_is_missing(
    qtbot: Any, engine: UploadQueue, sandbox: Any, proxy: TcpProxy, tmp_path: Path, cos: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 24 * MiB)
    # 4 MiB parts at 4 MB/s each: a pause always lands in the middle of parts.
    sandbox.faults.bandwidth_bytes_per_s = 4_000_000
    task_id = engine.add_file(source, BUCKET, "big.bin", UploadOptions(chunk_size=4 * MiB))
    wait_for_parts(qtbot, engine, task_id, 1)
    engine.pause(task_id)
    paused_at = time.monotonic()
    assert state_of(engine, task_id) is TaskState.PAUSED
    # Every worker of the task ends within a second (the in-flight parts are abandoned).
    qtbot.waitUntil(lambda: engine.is_idle() and engine.part_pool.activeThreadCount() == 0, timeout=2000)
    assert time.monotonic() - paused_at < 1.5
    sent_when_paused = proxy.bytes_up
    time.sleep(0.5)
    assert proxy.bytes_up == sent_when_paused  # nothing more goes out
    snapshot = engine.task(task_id)
    assert snapshot is not None and 1 <= snapshot.parts_done < 6
    kept_bytes = snapshot.parts_done * 4 * MiB
    assert snapshot.loaded == kept_bytes  # abandoned parts were rewound

    sandbox.faults.bandwidth_bytes_per_s = None
    before_restart = proxy.bytes_up
    engine.restart(task_id)
    qtbot.waitUntil(lambda: state_of(engine, task_id) in (TaskState.SUCCESS, TaskState.ERROR), timeout=30_000)
    assert state_of(engine, task_id) is TaskState.SUCCESS
    resent = proxy.bytes_up - before_restart
    assert resent < 24 * MiB - kept_bytes + MiB  # the missing parts plus request overhead
    assert cos.head_object(BUCKET, "big.bin").crc64 == crc64_file(source)


def test_cancel_aborts_multipart_upload_on_server(
    qtbot: Any, engine: UploadQueue, sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 12 * MiB)
    sandbox.faults.bandwidth_bytes_per_s = 4_000_000
    task_id = engine.add_file(source, BUCKET, "cancel/big.bin", UploadOptions(chunk_size=2 * MiB))
    wait_for_parts(qtbot, engine, task_id, 1)
    assert [u.key for u in cos.iter_multipart_uploads(BUCKET)] == ["cancel/big.bin"]
    engine.cancel(task_id)
    assert state_of(engine, task_id) is TaskState.CANCELED
    qtbot.waitUntil(lambda: engine.is_idle() and engine.part_pool.activeThreadCount() == 0, timeout=5000)
    qtbot.waitUntil(lambda: list(cos.iter_multipart_uploads(BUCKET)) == [], timeout=5000)
    snapshot = engine.task(task_id)
    assert snapshot is not None and snapshot.upload_id is None and snapshot.parts_done == 0
    with pytest.raises(CosError) as missing:
        cos.head_object(BUCKET, "cancel/big.bin")
    assert missing.value.status_code == 404


def test_cancel_of_a_paused_task_aborts_its_upload_too(
    qtbot: Any, engine: UploadQueue, sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 12 * MiB)
    sandbox.faults.bandwidth_bytes_per_s = 4_000_000
    task_id = engine.add_file(source, BUCKET, "cancel2/big.bin", UploadOptions(chunk_size=2 * MiB))
    wait_for_parts(qtbot, engine, task_id, 1)
    engine.pause(task_id)
    qtbot.waitUntil(engine.is_idle, timeout=3000)
    engine.cancel(task_id)
    qtbot.waitUntil(lambda: list(cos.iter_multipart_uploads(BUCKET)) == [], timeout=5000)


def test_cancel_never_deletes_a_finished_object(qtbot: Any, engine: UploadQueue, cos: CosClient) -> None:
    task_id = engine.add_bytes(b"done", BUCKET, "kept.txt")
    qtbot.waitUntil(lambda: state_of(engine, task_id) is TaskState.SUCCESS, timeout=10_000)
    engine.cancel(task_id)
    assert state_of(engine, task_id) is TaskState.SUCCESS
    assert cos.head_object(BUCKET, "kept.txt").content_length == 4


def test_a_changed_source_file_starts_over_and_says_why(
    qtbot: Any, engine: UploadQueue, sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 12 * MiB)
    sandbox.faults.bandwidth_bytes_per_s = 4_000_000
    task_id = engine.add_file(source, BUCKET, "changed.bin", UploadOptions(chunk_size=2 * MiB))
    wait_for_parts(qtbot, engine, task_id, 1)
    engine.pause(task_id)
    qtbot.waitUntil(engine.is_idle, timeout=3000)
    with source.open("ab") as out:
        out.write(os.urandom(MiB))
    sandbox.faults.bandwidth_bytes_per_s = None
    engine.restart(task_id)
    qtbot.waitUntil(lambda: state_of(engine, task_id) in (TaskState.SUCCESS, TaskState.ERROR), timeout=30_000)
    snapshot = engine.task(task_id)
    assert snapshot is not None and snapshot.state is TaskState.SUCCESS
    assert "changed" in snapshot.note
    head = cos.head_object(BUCKET, "changed.bin")
    assert head.content_length == 13 * MiB and head.crc64 == crc64_file(source)
    assert list(cos.iter_multipart_uploads(BUCKET)) == []  # the old upload was aborted


def test_an_upload_id_the_server_forgot_becomes_a_new_upload(
    qtbot: Any, engine: UploadQueue, sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 12 * MiB)
    sandbox.faults.bandwidth_bytes_per_s = 4_000_000
    task_id = engine.add_file(source, BUCKET, "forgotten.bin", UploadOptions(chunk_size=2 * MiB))
    wait_for_parts(qtbot, engine, task_id, 1)
    engine.pause(task_id)
    qtbot.waitUntil(engine.is_idle, timeout=3000)
    snapshot = engine.task(task_id)
    assert snapshot is not None and snapshot.upload_id
    cos.abort_multipart_upload(BUCKET, "forgotten.bin", snapshot.upload_id)
    sandbox.faults.bandwidth_bytes_per_s = None
    engine.restart(task_id)
    qtbot.waitUntil(lambda: state_of(engine, task_id) in (TaskState.SUCCESS, TaskState.ERROR), timeout=30_000)
    snapshot = engine.task(task_id)
    assert snapshot is not None and snapshot.state is TaskState.SUCCESS, snapshot
    assert "no longer knew" in snapshot.note
    assert cos.head_object(BUCKET, "forgotten.bin").crc64 == crc64_file(source)


def test_server_errors_are_retried_and_success_is_real(
    qtbot: Any, engine: UploadQueue, sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 8 * MiB)
    sandbox.faults.error_rate = 0.2
    sandbox.faults.error_status = 503
    task_id = engine.add_file(source, BUCKET, "flaky.bin", UploadOptions(retries=8))
    qtbot.waitUntil(lambda: state_of(engine, task_id) in (TaskState.SUCCESS, TaskState.ERROR), timeout=60_000)
    sandbox.faults.reset()
    assert state_of(engine, task_id) is TaskState.SUCCESS, engine.task(task_id)
    assert cos.head_object(BUCKET, "flaky.bin").crc64 == crc64_file(source)


def test_persistent_server_errors_end_in_error_with_the_reason(
    qtbot: Any, engine: UploadQueue, sandbox: Any
) -> None:
    sandbox.faults.error_rate = 1.0
    sandbox.faults.error_status = 500
    task_id = engine.add_bytes(b"x" * 100, BUCKET, "always-failing.txt", UploadOptions(retries=2))
    qtbot.waitUntil(lambda: state_of(engine, task_id) is TaskState.ERROR, timeout=20_000)
    snapshot = engine.task(task_id)
    assert snapshot is not None and snapshot.error is not None
    assert snapshot.error.status_code == 500 and snapshot.error.code == "InternalError"
    sandbox.faults.reset()
    engine.retry_failed()
    qtbot.waitUntil(lambda: state_of(engine, task_id) is TaskState.SUCCESS, timeout=20_000)


@pytest.mark.slow
def test_crash_resume_after_sigkill_resends_less_than_a_quarter(
    sandbox: Any, proxy: TcpProxy, tmp_path: Path, cos: CosClient
) -> None:
    size = 200 * MiB
    source = tmp_path / "big.bin"
    random_file(source, size)
    db = tmp_path / "cli.sqlite3"
    env = {
        **os.environ,
        "COS_SECRET_ID": "AKIDcosdeskTESTsecretid",
        "COS_SECRET_KEY": "cosdesk-TEST-secret-key-0123456789",
        "PYTHONPATH": str(ROOT),
    }
    # Slow enough that "halfway" is a moment we can catch.
    sandbox.faults.bandwidth_bytes_per_s = 12_000_000
    upload = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cosdesk",
            "upload",
            str(source),
            f"cos://{BUCKET}/crash/",
            "--endpoint",
            proxy.endpoint,
            "--region",
            REGION,
            "--db",
            str(db),
            "-q",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while proxy.bytes_up < size // 2:
            assert upload.poll() is None, upload.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        upload.send_signal(signal.SIGKILL)
        upload.wait()
    upload_id = next(iter(cos.iter_multipart_uploads(BUCKET))).upload_id
    kept_on_server = sum(part.size for part in cos.iter_parts(BUCKET, "crash/big.bin", upload_id))
    assert kept_on_server >= 80 * MiB
    sandbox.faults.bandwidth_bytes_per_s = None
    sent_before_resume = proxy.bytes_up
    resumed = subprocess.run(
        [sys.executable, "-m", "cosdesk", "tasks", "resume", "--db", str(db), "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    sent_by_resume = proxy.bytes_up - sent_before_resume
    # What the resume sent beyond the parts the server lacked: bytes sent twice.
    sent_again = sent_by_resume - (size - kept_on_server)
    # Everything both runs sent beyond the file's own bytes: parts cut off by the
    # kill and sent again, parts the resume could not trust, request overhead.
    wasted = proxy.bytes_up - size
    print(
        f"\nre-sent {wasted / MiB:.1f} MiB of {size // MiB} MiB ({wasted / size:.0%}): the killed upload "
        f"left {kept_on_server / MiB:.0f} MiB of parts on the server, the resume sent "
        f"{sent_by_resume / MiB:.1f} MiB"
    )
    assert wasted < size // 4
    assert sent_again < size // 4, (sent_by_resume, kept_on_server)
    assert sent_by_resume < size * 3 // 4
    head = cos.head_object(BUCKET, "crash/big.bin")
    assert head.content_length == size and head.crc64 == crc64_file(source)
    assert list(cos.iter_multipart_uploads(BUCKET)) == []
