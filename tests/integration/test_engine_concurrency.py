"""Automatic concurrency against the local server over an emulated link
(tests/support/link_emulator.py): more requests in flight where the link's round
trip needs them, never more than the client's connections, a fixed number kept,
and pausing and progress unchanged by it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.link_emulator import LinkEmulator, LinkSettings

from cosdesk.engine.concurrency import MAX_REQUESTS
from cosdesk.engine.options import UploadOptions
from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.task import TaskState

BUCKET = "examplebucket-1250000000"
MiB = 1024 * 1024


@pytest.fixture
def far_link(sandbox: Any) -> Iterator[LinkEmulator]:
    """A long round trip and a slow connection: one request at a time cannot fill it."""
    link = LinkSettings("far", rtt_s=0.06, per_connection_bytes_per_s=1 * MiB, uplink_bytes_per_s=0)
    with LinkEmulator(int(sandbox.endpoint.rsplit(":", 1)[1]), link) as emulator:
        yield emulator


def small_files(folder: Path, count: int) -> list[FileToAdd]:
    folder.mkdir()
    files = []
    for index in range(count):
        path = folder / f"{index:03d}.bin"
        path.write_bytes(os.urandom(4096))
        files.append(FileToAdd(str(path), f"small/{index:03d}.bin"))
    return files


def test_small_files_go_many_at_once_by_default_within_the_connections_per_host(
    make_engine: Any, far_link: LinkEmulator, tmp_path: Path
) -> None:
    engine = make_engine(endpoint=far_link.endpoint)
    task_ids = engine.queue.add_files(small_files(tmp_path / "small", 60), BUCKET)
    engine.wait_states(task_ids, {TaskState.SUCCESS}, timeout_s=60)
    assert 3 < far_link.peak_open_connections <= MAX_REQUESTS


def test_a_fixed_number_of_files_is_kept(make_engine: Any, far_link: LinkEmulator, tmp_path: Path) -> None:
    engine = make_engine(endpoint=far_link.endpoint, file_parallel_limit=2)
    task_ids = engine.queue.add_files(small_files(tmp_path / "small", 12), BUCKET)
    engine.wait_states(task_ids, {TaskState.SUCCESS}, timeout_s=60)
    assert far_link.peak_open_connections <= 2
    assert not engine.queue.concurrency_status().files_automatic


def test_a_big_file_sends_more_parts_at_once_yet_pauses_within_a_second_with_honest_progress(
    make_engine: Any, far_link: LinkEmulator, tmp_path: Path
) -> None:
    engine = make_engine(endpoint=far_link.endpoint)
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(24 * MiB))
    task_id = engine.queue.add_file(source, BUCKET, "big.bin", UploadOptions(adaptive_part_size=False))
    engine.wait_loaded(task_id, 4 * MiB, timeout_s=30)
    # Reported bytes run ahead of connections the emulator has accepted (socket buffers).
    engine.qtbot.waitUntil(lambda: far_link.peak_open_connections > 3, timeout=5000)
    status = engine.queue.concurrency_status(task_id)
    assert status.parts_automatic and status.parts > 3
    asked = time.monotonic()
    engine.queue.pause(task_id)
    engine.wait_states([task_id], {TaskState.PAUSED}, timeout_s=5)
    assert time.monotonic() - asked < 1.0
    assert 0 < engine.loaded(task_id) < 24 * MiB
    engine.queue.restart(task_id)
    engine.wait_states([task_id], {TaskState.SUCCESS}, timeout_s=60)
    assert engine.loaded(task_id) == 24 * MiB


def test_the_bandwidth_limit_holds_from_the_first_second_whatever_the_parts_in_flight(
    make_engine: Any, sandbox: Any, tmp_path: Path
) -> None:
    limit = 8 * MiB
    link = LinkSettings("loopback", rtt_s=0.0)  # no limit of its own: it only counts
    with LinkEmulator(int(sandbox.endpoint.rsplit(":", 1)[1]), link) as counter:
        engine = make_engine(endpoint=counter.endpoint, bandwidth_limit_bytes_per_s=limit)
        source = tmp_path / "big.bin"
        source.write_bytes(os.urandom(32 * MiB))
        task_id = engine.queue.add_file(source, BUCKET, "limited.bin")
        engine.qtbot.waitUntil(lambda: counter.first_connection_at is not None, timeout=10_000)
        assert counter.first_connection_at is not None
        first_second: list[int] = []
        while len(first_second) < 4:
            engine.qtbot.wait(50)
            if time.monotonic() - counter.first_connection_at >= 0.5 * (len(first_second) + 1):
                first_second.append(counter.bytes_up)
        engine.queue.cancel(task_id)
    # By each half second, no more than the limit allows, but for one chunk (a
    # chunk is paid for whole before it goes, when the bucket is full) and the
    # requests' heads; and the limit is used, not undercut.
    for index, sent in enumerate(first_second, start=1):
        assert sent <= limit * 0.5 * index + 1 * MiB + 64 * 1024, (index, sent / MiB)
    assert first_second[-1] >= 0.7 * limit * 2
