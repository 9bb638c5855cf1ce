"""Two engines on one task database (as the window and a ``cosdesk`` command are):
a task one of them is sending waits in the other, says who is sending it, and is
adopted when done, without a byte sent twice (engine/ownership.py)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

from support.task_rows import store_waiting_files

from cosdesk.cos.crc import crc64_file
from cosdesk.engine.history import HistoryQuery, HistoryReader
from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.task import TaskState

BUCKET = "examplebucket-1250000000"
MiB = 1024 * 1024


def stored_state(database: Path, task_id: str) -> str:
    with contextlib.closing(sqlite3.connect(database)) as db:
        (state,) = db.execute("SELECT state FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
    return str(state)


FINAL = {TaskState.SUCCESS, TaskState.ERROR, TaskState.CANCELED}


# The other engine must find the upload under way: parts sent together finished it
# within a poll of the first one on a loaded machine (state success, 0 parts left).
ONE_PART_AT_A_TIME = UploadOptions(chunk_size=MiB, chunk_parallel_limit=1)


def sent_by_one_resumed_by_other(
    make_engine: Any, sandbox: Any, tmp_path: Path, *, size: int, bytes_per_s: int
) -> tuple[Path, Any, Any, str]:
    """A file one engine sends a part at a time, once its first part is stored,
    restored (resumed) by a second engine on the same database: the source, the
    sending engine, the other, and the task's id."""
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(size))
    sandbox.faults.bandwidth_bytes_per_s = bytes_per_s
    sender_engine, other_engine = make_engine(), make_engine()
    task_id = sender_engine.queue.add_file(source, BUCKET, "shared/big.bin", ONE_PART_AT_A_TIME)
    sender_engine.wait_parts(task_id, 1, timeout_s=20)
    assert other_engine.queue.restore(resume=True) == [task_id]
    return source, sender_engine, other_engine, task_id


def test_a_task_another_engine_is_sending_waits_with_a_note_and_is_adopted_when_done(
    make_engine: Any, sandbox: Any, tmp_path: Path
) -> None:
    ledger = sandbox.record_requests()
    database = tmp_path / "tasks.sqlite3"
    source, sender_engine, other_engine, task_id = sent_by_one_resumed_by_other(
        make_engine,
        sandbox,
        tmp_path,
        size=4 * MiB,
        bytes_per_s=2 * MiB,  # half a second a part
    )
    sender, other = sender_engine.queue, other_engine.queue

    def waits_for_the_sender() -> bool:
        snapshot = other.task(task_id)
        return snapshot is not None and snapshot.note.endswith("is uploading this file; waiting for it")

    other_engine.qtbot.waitUntil(waits_for_the_sender, timeout=5_000)
    waiting = other.task(task_id)
    assert waiting is not None and waiting.state is TaskState.WAITING
    assert f"another cosdesk process (pid {os.getpid()})" in waiting.note

    other_engine.wait_states([task_id], FINAL, timeout_s=30)
    sent = sender.task(task_id)
    adopted = other.task(task_id)
    assert sent is not None and sent.state is TaskState.SUCCESS, sent
    assert adopted is not None and adopted.state is TaskState.SUCCESS, adopted
    assert adopted.note == "uploaded by another cosdesk process"
    assert adopted.result is not None and adopted.result.crc64 == crc64_file(source)
    parts = [r.part for r in ledger.requests() if r.part is not None and r.status == 200]
    assert sorted(number for _, number in parts) == [1, 2, 3, 4]  # each part once, one upload
    # One transfer, one history entry: the adopting engine adds none.
    sender_engine.store.flush()
    other_engine.store.flush()
    assert HistoryReader(database).count(HistoryQuery()) == 1


def test_a_task_another_engine_is_sending_shows_the_parts_that_engine_has_stored(
    make_engine: Any, sandbox: Any, tmp_path: Path
) -> None:
    """The waiting row is not at 0% while the other process is half-way: it shows
    the parts the holder has stored, never more than the holder has sent."""
    _source, sender_engine, other_engine, task_id = sent_by_one_resumed_by_other(
        make_engine,
        sandbox,
        tmp_path,
        size=6 * MiB,
        bytes_per_s=MiB,  # a second a part
    )
    sender, other = sender_engine.queue, other_engine.queue

    def shows_the_senders_parts() -> bool:
        snapshot = other.task(task_id)
        return snapshot is not None and snapshot.state is TaskState.WAITING and snapshot.loaded >= 2 * MiB

    other_engine.qtbot.waitUntil(shows_the_senders_parts, timeout=10_000)
    waiting, sending = other.task(task_id), sender.task(task_id)
    assert waiting is not None and sending is not None
    assert waiting.loaded % MiB == 0 and waiting.loaded <= sending.loaded
    assert len(other.task_parts(task_id)) * MiB == waiting.loaded  # the parts it is made of
    other_engine.wait_states([task_id], FINAL, timeout_s=30)
    adopted = other.task(task_id)
    assert adopted is not None and adopted.state is TaskState.SUCCESS and adopted.loaded == 6 * MiB


def test_a_window_restoring_paused_leaves_a_task_another_engine_sends_alone_and_adopts_it_on_restart(
    make_engine: Any, sandbox: Any, tmp_path: Path
) -> None:
    ledger = sandbox.record_requests()
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * MiB))
    database = tmp_path / "tasks.sqlite3"
    sandbox.faults.bandwidth_bytes_per_s = 2 * MiB
    sender_engine, window_engine = make_engine(), make_engine()
    sender, window = sender_engine.queue, window_engine.queue
    task_id = sender.add_file(source, BUCKET, "shared/big.bin", ONE_PART_AT_A_TIME)
    sender_engine.wait_parts(task_id, 1, timeout_s=20)
    window.restore(resume=False)  # the window's default: interrupted tasks come back paused
    paused = window.task(task_id)
    assert paused is not None and paused.state is TaskState.PAUSED
    assert paused.note == f"another cosdesk process (pid {os.getpid()}) is uploading this file"
    window_engine.qtbot.wait(300)  # time for the window's writes, had it made any
    assert stored_state(database, task_id) != "paused"  # the row is the sender's
    window.restart(task_id)  # while the sender still holds it: it waits
    sender_engine.wait_states([task_id], FINAL, timeout_s=30)
    window_engine.wait_states([task_id], FINAL, timeout_s=10)
    adopted = window.task(task_id)
    assert adopted is not None and adopted.state is TaskState.SUCCESS, adopted
    assert adopted.note == "uploaded by another cosdesk process"
    assert sum(1 for r in ledger.requests() if r.part is not None and r.status == 200) == 3
    assert stored_state(database, task_id) == "success"


def test_two_engines_resuming_one_batch_at_rest_each_hear_of_every_file_once(
    make_engine: Any, sandbox: Any, tmp_path: Path
) -> None:
    """Two `cosdesk tasks resume` at once: each queue keeps most tasks at rest, and
    the other finishes some of them before this one wakes them. A file must still
    reach each queue's listeners once, as its own or as the other's (a command's
    summary counts these); woken already finished, it was only "changed", and each
    command left a few hundred of 27,000 files out of its count."""
    endpoint = EndpointSpec("ap-guangzhou", url=sandbox.endpoint, path_style=True)
    ids = store_waiting_files(tmp_path / "tasks.sqlite3", tmp_path / "scans", 300, endpoint, BUCKET)

    settings = {"live_task_limit": 8, "wake_batch": 4, "file_parallel_limit": 2}
    first, second = make_engine(**settings), make_engine(**settings)
    heard: dict[str, list[str]] = {"first": [], "second": []}
    first.queue.file_finished.connect(lambda event: heard["first"].append(event.task_id))
    second.queue.file_finished.connect(lambda event: heard["second"].append(event.task_id))
    first.queue.restore(resume=True)
    with second.queue.starts_held():  # as a command counts what it restored
        second.queue.restore(resume=True)
        finished_before = [f.task_id for f in second.queue.task_figures() if f.state is TaskState.SUCCESS]
    for engine in (first, second):
        engine.qtbot.waitUntil(
            lambda engine=engine: all(f.state is TaskState.SUCCESS for f in engine.queue.task_figures()),
            timeout=60_000,
        )
        engine.queue.deliver_events()
    assert sorted(heard["first"]) == ids
    assert sorted(heard["second"] + finished_before) == ids
