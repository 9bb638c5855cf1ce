"""The queue's transfer journal against the local server: each finished, failed or
canceled upload becomes one history entry with true figures, and ``cosdesk.log``
says when each transfer started and ended and why one failed — without a secret."""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from support.log_capture import log_text

from cosdesk.cos.auth import Credentials
from cosdesk.engine.history import HistoryOutcome
from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.task import TaskState

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
MiB = 1024 * 1024


def test_a_finished_upload_is_one_entry_with_true_size_duration_and_speed(
    make_engine: Any, tmp_path: Path, log_file: Path, sandbox: Any
) -> None:
    engine = make_engine()
    source = tmp_path / "report.pdf"
    source.write_bytes(os.urandom(3 * MiB + 5))
    # A limit long enough to time: ~3 MiB at 8 MiB/s is about 0.4 s.
    engine.queue.set_bandwidth_limit(8 * MiB)
    before = time.time()
    task_id = engine.queue.add_file(source, BUCKET, "docs/report.pdf")
    engine.ended(task_id)
    after = time.time()

    (entry,) = engine.entries()
    assert entry.outcome is HistoryOutcome.DONE
    assert (entry.task_id, entry.bucket, entry.key) == (task_id, BUCKET, "docs/report.pdf")
    assert entry.size == entry.bytes_sent == source.stat().st_size
    assert entry.endpoint == sandbox.endpoint and entry.source_path == str(source)
    assert entry.started_at is not None and before <= entry.started_at <= entry.ended_at <= after
    assert 0.2 < entry.active_s <= after - before
    speed = entry.average_bytes_per_s
    assert speed is not None and speed == pytest.approx(entry.size / entry.active_s)
    assert speed < 12 * MiB  # held to the limit, give or take the first burst

    text = log_text(log_file)
    assert f"upload started: {BUCKET}/docs/report.pdf (3.0 MiB) from {source}" in text
    assert re.search(
        rf"upload done: {BUCKET}/docs/report.pdf, 3.0 MiB in 0\.\d\d s \(\d+\.\d MiB/s\)"
        rf" from {re.escape(str(source))}\n",
        text,
    ), text


def test_small_files_are_entries_each_and_one_log_line_for_their_batch(
    make_engine: Any, tmp_path: Path, log_file: Path
) -> None:
    # The log keeps 5 MiB: a line per small file would push a day's failures out of it.
    engine = make_engine()
    files = []
    for number in range(1, 6):
        source = tmp_path / f"{number}.txt"
        source.write_bytes(b"s" * number * 1000)
        files.append(FileToAdd(str(source), f"small/{source.name}"))
    task_ids = engine.queue.add_files(files, BUCKET)
    engine.wait_states(task_ids, {TaskState.SUCCESS})

    assert [entry.outcome for entry in engine.entries()] == [HistoryOutcome.DONE] * 5
    engine.qtbot.waitUntil(lambda: "queue idle: " in log_text(log_file), timeout=5_000)
    lines = [line for line in log_text(log_file).splitlines() if "cosdesk.transfers" in line]
    assert not any("upload done: " in line or "upload started: " in line for line in lines), lines
    (idle,) = [line for line in lines if "queue idle: " in line]
    # 1,000 + 2,000 + ... + 5,000 bytes
    assert re.search(
        r"queue idle: 5 done, 0 failed, 0 paused, 0 canceled; 14\.6 KiB of 14\.6 KiB in \d+\.\d\d s$", idle
    ), idle


def test_a_start_with_nothing_to_restore_logs_no_batch(make_engine: Any, log_file: Path) -> None:
    # The window restores the last run's tasks at every start: with none, the
    # queue is busy a moment and idle again, which is no batch of uploads.
    engine = make_engine()
    restored: list[object] = []
    engine.queue.restored.connect(restored.append)
    became_idle: list[None] = []
    engine.queue.idle.connect(lambda: became_idle.append(None))
    engine.queue.restore_in_background()
    engine.qtbot.waitUntil(lambda: bool(restored and became_idle), timeout=10_000)
    assert "queue idle" not in log_text(log_file)


def test_a_refused_upload_is_a_failed_entry_and_its_reason_is_logged_without_secrets(
    make_engine: Any, tmp_path: Path, log_file: Path, credentials: Credentials
) -> None:
    wrong = Credentials(credentials.secret_id, "not-the-right-secret-key")
    engine = make_engine(credentials=wrong)
    source = tmp_path / "a.txt"
    source.write_bytes(b"x" * 1000)
    task_id = engine.queue.add_file(source, BUCKET, "a.txt")
    engine.wait_states([task_id], {TaskState.ERROR})

    (entry,) = engine.entries()
    assert entry.outcome is HistoryOutcome.FAILED
    assert entry.error_code == "SignatureDoesNotMatch" and entry.error_message
    assert entry.error_status == 403 and entry.request_id
    assert entry.bytes_sent <= entry.size == 1000

    text = log_text(log_file)
    assert f"upload failed: {BUCKET}/a.txt: SignatureDoesNotMatch (403): " in text
    assert "not-the-right-secret-key" not in text
    assert "q-signature=" not in text.replace("q-signature=***", "")


def test_a_network_failure_streak_is_one_entry_until_cancel_adds_another(
    make_engine: Any, tmp_path: Path, log_file: Path
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    engine = make_engine(endpoint=dead, network_retry_delays_s=(0.05,))
    source = tmp_path / "b.bin"
    source.write_bytes(b"y" * 2000)
    task_id = engine.queue.add_file(source, BUCKET, "b.bin")

    engine.qtbot.waitUntil(lambda: log_text(log_file).count("upload failed: ") >= 3, timeout=20_000)
    entries = engine.entries()
    assert [e.outcome for e in entries] == [HistoryOutcome.FAILED]
    assert entries[0].error_code == "NetworkError"
    assert "connection refused" in log_text(log_file)

    engine.queue.cancel(task_id)
    engine.wait_states([task_id], {TaskState.CANCELED})
    assert [e.outcome for e in engine.entries()] == [HistoryOutcome.CANCELED, HistoryOutcome.FAILED]
    assert f"upload canceled: {BUCKET}/b.bin" in log_text(log_file)


def test_a_paused_and_resumed_upload_is_one_transfer_timed_without_its_pause(
    make_engine: Any, tmp_path: Path, log_file: Path
) -> None:
    engine = make_engine()
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(4 * MiB))
    engine.queue.set_bandwidth_limit(4 * MiB)
    task_id = engine.queue.add_file(source, BUCKET, "big.bin")
    # A part on the server, which the pause keeps (the bytes of parts in flight go).
    engine.qtbot.waitUntil(lambda: bool(engine.queue.task_parts(task_id)), timeout=10_000)
    engine.queue.pause(task_id)
    engine.wait_states([task_id], {TaskState.PAUSED})
    # The state turns at once; the run ends (and its timing stops) when the job stops.
    engine.qtbot.waitUntil(lambda: f"upload paused: {BUCKET}/big.bin" in log_text(log_file), timeout=10_000)
    time.sleep(1.0)
    assert engine.entries() == []  # a pause ends nothing
    engine.queue.set_bandwidth_limit(0)
    engine.queue.restart(task_id)
    engine.ended(task_id)

    (entry,) = engine.entries()
    assert entry.outcome is HistoryOutcome.DONE
    assert entry.started_at is not None
    wall_s = entry.ended_at - entry.started_at
    assert entry.active_s < wall_s - 0.9  # the second of pause is not counted
    # Every byte went out in this process: what was kept at the pause and the rest.
    assert entry.bytes_sent == entry.size == 4 * MiB
    text = log_text(log_file)
    assert f"upload paused: {BUCKET}/big.bin at " in text
    assert f"upload resumed: {BUCKET}/big.bin (4.0 MiB, " in text


def test_a_key_with_control_characters_is_one_escaped_log_line(
    make_engine: Any, tmp_path: Path, log_file: Path
) -> None:
    engine = make_engine()
    source = tmp_path / "odd.txt"
    source.write_bytes(b"z" * 10)
    task_id = engine.queue.add_file(source, BUCKET, "odd\nname\x1b[2J.txt")
    engine.wait_states([task_id], {TaskState.ERROR})

    (entry,) = engine.entries()
    assert entry.key == "odd\nname\x1b[2J.txt"  # the history keeps the key as it is
    text = log_text(log_file)
    assert "\x1b" not in text
    (line,) = [line for line in text.splitlines() if "upload failed" in line or "upload refused" in line]
    assert f"{BUCKET}/odd\\nname\\x1b[2J.txt: " in line
