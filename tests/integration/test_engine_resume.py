"""Pause, restart, cancel and resume against the local server: what the server holds
and what was really sent over the wire."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.engine_queue import Engine
from support.tcp_proxy import TcpProxy

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64_file
from cosdesk.cos.errors import CosError
from cosdesk.engine.history import HistoryOutcome
from cosdesk.engine.notes import TaskNote
from cosdesk.engine.options import UploadOptions
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
def engine(proxy: TcpProxy, make_engine: Callable[..., Engine]) -> Engine:
    """An engine sending through the proxy (``cos_client`` goes straight to the server)."""
    return make_engine(endpoint=proxy.endpoint)


def random_file(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        remaining = size
        while remaining:
            piece = os.urandom(min(MiB, remaining))
            out.write(piece)
            remaining -= len(piece)
    return path


def settled_bytes_up(proxy: TcpProxy, within_s: float) -> int:
    """The proxy's count of bytes sent once it stops moving (unchanged for 0.25 s)."""
    deadline = time.monotonic() + within_s
    last = proxy.bytes_up
    while time.monotonic() < deadline:
        time.sleep(0.25)
        if proxy.bytes_up == last:
            return last
        last = proxy.bytes_up
    raise AssertionError(f"still sending {within_s} s after the pause: {last} bytes")


def test_pause_stops_sending_mid_part_and_restart_sends_only_what_is_missing(
    engine: Engine, sandbox: Any, proxy: TcpProxy, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 48 * MiB)
    # 4 MiB parts at 4 MB/s each: a pause always lands in the middle of parts. A
    # part whose body the loopback's socket buffers took whole is not abandoned
    # but answered; 12 parts leave some unsent even when the pause comes late
    # (a loaded machine once finished all of 6 first).
    sandbox.faults.bandwidth_bytes_per_s = 4_000_000
    # Three parts at a time (not automatic, which would send all twelve at once).
    options = UploadOptions(chunk_size=4 * MiB, chunk_parallel_limit=3)
    task_id = engine.queue.add_file(source, BUCKET, "big.bin", options)
    engine.wait_parts(task_id, 1)
    engine.queue.pause(task_id)
    paused_at = time.monotonic()
    assert engine.state(task_id) is TaskState.PAUSED
    # Every worker of the task ends within a second (the in-flight parts are abandoned).
    engine.wait_workers_stopped(timeout_s=2)
    assert time.monotonic() - paused_at < 1.5
    # What the engine wrote before the pause may still drain from the kernel's
    # buffers through the proxy; once that settles, nothing more goes out.
    sent_when_paused = settled_bytes_up(proxy, within_s=2)
    time.sleep(0.5)
    assert proxy.bytes_up == sent_when_paused
    snapshot = engine.queue.task(task_id)
    assert snapshot is not None and 1 <= snapshot.parts_done < 12
    kept_bytes = snapshot.parts_done * 4 * MiB
    assert snapshot.loaded == kept_bytes  # abandoned parts were rewound

    sandbox.faults.bandwidth_bytes_per_s = None
    before_restart = proxy.bytes_up
    engine.queue.restart(task_id)
    assert engine.ended(task_id).state is TaskState.SUCCESS
    resent = proxy.bytes_up - before_restart
    assert resent < 48 * MiB - kept_bytes + MiB  # the missing parts plus request overhead
    assert cos_client.head_object(BUCKET, "big.bin").crc64 == crc64_file(source)


def test_cancel_aborts_multipart_upload_on_server(
    engine: Engine, sandbox: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 12 * MiB)
    sandbox.faults.bandwidth_bytes_per_s = 4_000_000
    # Three parts at a time (not automatic, which sends all six at once and ends first).
    options = UploadOptions(chunk_size=2 * MiB, chunk_parallel_limit=3)
    task_id = engine.queue.add_file(source, BUCKET, "cancel/big.bin", options)
    engine.wait_parts(task_id, 1)
    assert [u.key for u in cos_client.iter_multipart_uploads(BUCKET)] == ["cancel/big.bin"]
    engine.queue.cancel(task_id)
    assert engine.state(task_id) is TaskState.CANCELED
    engine.wait_workers_stopped()
    engine.qtbot.waitUntil(lambda: list(cos_client.iter_multipart_uploads(BUCKET)) == [], timeout=5000)
    snapshot = engine.queue.task(task_id)
    assert snapshot is not None and snapshot.upload_id is None and snapshot.parts_done == 0
    with pytest.raises(CosError) as missing:
        cos_client.head_object(BUCKET, "cancel/big.bin")
    assert missing.value.status_code == 404


def test_cancel_of_a_paused_task_aborts_its_upload_too(
    engine: Engine, sandbox: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 12 * MiB)
    sandbox.faults.bandwidth_bytes_per_s = 4_000_000
    options = UploadOptions(chunk_size=2 * MiB, chunk_parallel_limit=2)
    task_id = engine.queue.add_file(source, BUCKET, "cancel2/big.bin", options)
    engine.wait_parts(task_id, 1)
    engine.queue.pause(task_id)
    engine.wait_idle(timeout_s=3)
    assert [u.key for u in cos_client.iter_multipart_uploads(BUCKET)] == ["cancel2/big.bin"]
    engine.queue.cancel(task_id)
    engine.qtbot.waitUntil(lambda: list(cos_client.iter_multipart_uploads(BUCKET)) == [], timeout=5000)


def test_a_cancel_that_comes_while_the_server_stores_the_file_loses_to_the_upload(
    engine: Engine, sandbox: Any, cos_client: CosClient
) -> None:
    # The server waits before it answers: the whole body has left when the cancel comes.
    sandbox.faults.latency_s = 1.5
    body = os.urandom(4096)
    task_id = engine.queue.add_bytes(body, BUCKET, "late/success.bin")
    engine.wait_loaded(task_id, len(body), timeout_s=10)
    engine.queue.cancel(task_id)
    assert engine.state(task_id) is TaskState.CANCELED
    (done,) = engine.wait_states([task_id], {TaskState.SUCCESS}, timeout_s=10)
    assert done.note == "uploaded: the cancel came after the upload had finished on the server"
    assert cos_client.get_object(BUCKET, "late/success.bin").content == body  # kept, never deleted
    # The history has the cancel as it was asked, then the upload that beat it.
    assert [entry.outcome for entry in engine.entries()] == [HistoryOutcome.DONE, HistoryOutcome.CANCELED]


def test_cancel_never_deletes_a_finished_object(engine: Engine, cos_client: CosClient) -> None:
    task_id = engine.queue.add_bytes(b"done", BUCKET, "kept.txt")
    engine.wait_states([task_id], {TaskState.SUCCESS}, timeout_s=10)
    engine.queue.cancel(task_id)
    assert engine.state(task_id) is TaskState.SUCCESS
    assert cos_client.head_object(BUCKET, "kept.txt").content_length == 4


def test_a_changed_source_file_starts_over_and_says_why(
    engine: Engine, sandbox: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 12 * MiB)
    sandbox.faults.bandwidth_bytes_per_s = 4_000_000
    # Two parts at a time (automatic sends all six at once, and they can all end
    # before the pause lands): the pause comes with parts still to send.
    options = UploadOptions(chunk_size=2 * MiB, chunk_parallel_limit=2)
    task_id = engine.queue.add_file(source, BUCKET, "changed.bin", options)
    engine.wait_parts(task_id, 1)
    engine.queue.pause(task_id)
    engine.wait_idle(timeout_s=3)
    assert engine.state(task_id) is TaskState.PAUSED
    with source.open("ab") as out:
        out.write(os.urandom(MiB))
    sandbox.faults.bandwidth_bytes_per_s = None
    engine.queue.restart(task_id)
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.SUCCESS
    assert "changed" in snapshot.note
    head = cos_client.head_object(BUCKET, "changed.bin")
    assert head.content_length == 13 * MiB and head.crc64 == crc64_file(source)
    assert list(cos_client.iter_multipart_uploads(BUCKET)) == []  # the old upload was aborted


def test_an_upload_id_the_server_forgot_becomes_a_new_upload(
    engine: Engine, sandbox: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 12 * MiB)
    sandbox.faults.bandwidth_bytes_per_s = 4_000_000
    # Three parts at a time (not automatic): parts are left to send when it pauses.
    options = UploadOptions(chunk_size=2 * MiB, chunk_parallel_limit=3)
    task_id = engine.queue.add_file(source, BUCKET, "forgotten.bin", options)
    engine.wait_parts(task_id, 1)
    engine.queue.pause(task_id)
    engine.wait_idle(timeout_s=3)
    snapshot = engine.queue.task(task_id)
    assert snapshot is not None and snapshot.upload_id
    cos_client.abort_multipart_upload(BUCKET, "forgotten.bin", snapshot.upload_id)
    sandbox.faults.bandwidth_bytes_per_s = None
    engine.queue.restart(task_id)
    snapshot = engine.ended(task_id)
    assert snapshot.state is TaskState.SUCCESS, snapshot
    assert snapshot.note == TaskNote.UPLOAD_LOST_RESTARTED.text()
    assert cos_client.head_object(BUCKET, "forgotten.bin").crc64 == crc64_file(source)


def test_server_errors_are_retried_and_success_is_real(
    engine: Engine, sandbox: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    source = random_file(tmp_path / "big.bin", 8 * MiB)
    sandbox.faults.error_rate = 0.2
    sandbox.faults.error_status = 503
    task_id = engine.queue.add_file(source, BUCKET, "flaky.bin", UploadOptions(retries=8))
    engine.ended(task_id, timeout_s=60)
    sandbox.faults.reset()
    assert engine.state(task_id) is TaskState.SUCCESS, engine.queue.task(task_id)
    assert cos_client.head_object(BUCKET, "flaky.bin").crc64 == crc64_file(source)


def test_persistent_server_errors_end_in_error_with_the_reason(engine: Engine, sandbox: Any) -> None:
    sandbox.faults.error_rate = 1.0
    sandbox.faults.error_status = 500
    task_id = engine.queue.add_bytes(b"x" * 100, BUCKET, "always-failing.txt", UploadOptions(retries=2))
    engine.wait_states([task_id], {TaskState.ERROR}, timeout_s=20)
    snapshot = engine.queue.task(task_id)
    assert snapshot is not None and snapshot.error is not None
    assert snapshot.error.status_code == 500 and snapshot.error.code == "InternalError"
    sandbox.faults.reset()
    engine.queue.retry_failed()
    engine.wait_states([task_id], {TaskState.SUCCESS}, timeout_s=20)


@pytest.mark.slow
def test_crash_resume_after_sigkill_resends_less_than_a_quarter(
    sandbox: Any, proxy: TcpProxy, tmp_path: Path, cos_client: CosClient
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
            # A crash loses the parts in flight: with three, "halfway" leaves 80 MiB
            # on the server (automatic sends more at once, and loses more).
            "--parallel-parts",
            "3",
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
    upload_id = next(iter(cos_client.iter_multipart_uploads(BUCKET))).upload_id
    kept_on_server = sum(part.size for part in cos_client.iter_parts(BUCKET, "crash/big.bin", upload_id))
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
    head = cos_client.head_object(BUCKET, "crash/big.bin")
    assert head.content_length == size and head.crc64 == crc64_file(source)
    assert list(cos_client.iter_multipart_uploads(BUCKET)) == []
