"""Task leases (engine/ownership.py) on a real task database: a task is worked by
one holder at a time, and taken over only when its holder is gone."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cosdesk.engine.ownership import TaskLeases, live_holders
from cosdesk.engine.store import TaskStore

ROOT = Path(__file__).resolve().parents[2]
MakeLeases = Callable[..., TaskLeases]

# Another process that takes a lease, says so, and then only lives (it never releases).
HOLDER_SCRIPT = """
import sys, time
from cosdesk.engine.ownership import TaskLeases
from cosdesk.engine.store import TaskStore
leases = TaskLeases(TaskStore(sys.argv[1]), heartbeat_s=0.1)
print("taken" if leases.take(sys.argv[2]).taken else "refused", flush=True)
time.sleep(600)
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TaskStore]:
    opened = TaskStore(tmp_path / "tasks.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def leases_of(store: TaskStore) -> Iterator[MakeLeases]:
    """Holders on the one database (each one queue's TaskLeases), closed after the test."""
    made: list[TaskLeases] = []

    def make(**timing: float) -> TaskLeases:
        leases = TaskLeases(store, **timing)
        made.append(leases)
        return leases

    yield make
    for leases in made:
        leases.close()


def test_a_free_lease_is_taken_and_refused_to_another_holder_while_the_first_lives(
    leases_of: MakeLeases,
) -> None:
    first, second = leases_of(), leases_of()
    claim = first.take("task-1")
    # No lease row says who worked it last: the task is read back before it runs.
    assert claim.taken and claim.worked_elsewhere
    refused = second.take("task-1")
    assert not refused.taken
    assert refused.holder is not None and refused.holder.pid == os.getpid()
    assert "another cosdesk process (pid" in refused.holder.describe()
    # The holder itself may take it again (a restarted job of the same queue).
    assert first.take("task-1").taken
    assert second.take("task-2").taken  # other tasks are free


def test_a_task_only_this_store_has_written_is_not_read_back_until_another_connection_commits(
    leases_of: MakeLeases, store: TaskStore
) -> None:
    only = leases_of()
    # Nobody else has written to the database since the store opened it: the
    # task is as this queue left it, and needs no reading back.
    assert not only.take("task-1").worked_elsewhere
    only.release(["task-1"])
    store.flush()
    assert not only.take("task-1").worked_elsewhere
    only.release(["task-1"])
    store.flush()
    other_store = TaskStore(store.path)  # another process, as far as SQLite can tell
    other = TaskLeases(other_store)
    try:
        assert other.take("task-2").taken  # a commit of another connection
    finally:
        other.close()
        other_store.close()
    # It might have worked any task since: each is read back before it runs.
    assert only.take("task-1").worked_elsewhere
    assert only.take("task-3").worked_elsewhere


def test_a_take_takes_the_leases_of_the_tasks_next_in_line_and_their_takes_answer_from_memory(
    leases_of: MakeLeases, store: TaskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = leases_of(), leases_of()
    assert first.take("task-1", ahead=lambda: ["task-2", "task-3"]).taken
    # Taken with it: another holder is refused them before any job of theirs runs.
    assert not second.take("task-2").taken and not second.take("task-3").taken
    transactions: list[object] = []
    write_and_wait = store.write_and_wait

    def counted(write: Any) -> Any:
        transactions.append(write)
        return write_and_wait(write)

    monkeypatch.setattr(store, "write_and_wait", counted)
    claim = first.take("task-2")
    # The claim of the take ahead: two holders share the store, so read it back.
    assert claim.taken and claim.worked_elsewhere and transactions == []
    first.take("task-4")
    assert len(transactions) == 1


def test_a_lease_taken_ahead_that_no_job_claims_is_released(
    leases_of: MakeLeases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cosdesk.engine.ownership.AHEAD_KEPT_S", 0.2)
    first, second = leases_of(heartbeat_s=0.05), leases_of()
    assert first.take("task-1", ahead=lambda: ["task-2"]).taken
    assert not second.take("task-2").taken
    deadline = time.monotonic() + 5
    while not second.take("task-2").taken:
        assert time.monotonic() < deadline, "the lease taken ahead was never released"
        time.sleep(0.05)
    assert not first.take("task-1").holder  # the claimed lease stays


def test_a_holder_that_renews_keeps_its_lease_past_the_stale_time(leases_of: MakeLeases) -> None:
    holder = leases_of(heartbeat_s=0.05)
    other = leases_of(stale_after_s=0.3)
    assert holder.take("task-1").taken
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        assert not other.take("task-1").taken
        time.sleep(0.1)


def test_a_holder_that_stops_renewing_is_taken_over_after_the_stale_time(leases_of: MakeLeases) -> None:
    silent = leases_of(heartbeat_s=3600)  # alive (same pid), but never renews in this test
    other = leases_of(stale_after_s=0.3)
    assert silent.take("task-1").taken
    assert not other.take("task-1").taken
    time.sleep(0.5)
    claim = other.take("task-1")
    assert claim.taken and claim.worked_elsewhere


def test_a_holder_whose_process_is_gone_is_taken_over_at_once(leases_of: MakeLeases, tmp_path: Path) -> None:
    database = tmp_path / "tasks.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER_SCRIPT, str(database), "task-1"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "taken"
        other = leases_of()
        refused = other.take("task-1")
        assert refused.holder is not None and refused.holder.pid == holder.pid
        assert live_holders(database).keys() == {"task-1"}
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    # Its last heartbeat is fresh, but its pid is gone: no need to wait.
    assert live_holders(database) == {}
    claim = other.take("task-1")
    assert claim.taken and claim.worked_elsewhere


def test_a_released_lease_tells_the_next_holder_that_the_task_was_worked_elsewhere(
    leases_of: MakeLeases, store: TaskStore
) -> None:
    first, second = leases_of(), leases_of()
    assert first.take("task-1").taken
    first.release(["task-1"])
    assert store.flush()
    claim = second.take("task-1")
    assert claim.taken and claim.worked_elsewhere
    second.release(["task-1"])
    assert store.flush()
    # A release leaves no row (a row per task ever run cost the database more than
    # the task's own row), so any later take reads the task back.
    rows = sqlite3.connect(store.path).execute("SELECT count(*) FROM task_leases").fetchone()
    assert rows == (0,)
    again = second.take("task-1")
    assert again.taken and again.worked_elsewhere


def test_a_release_still_queued_in_the_store_never_ends_a_lease_taken_again_since(
    leases_of: MakeLeases, store: TaskStore
) -> None:
    holder, other = leases_of(), leases_of()
    assert holder.take("task-1").taken
    holder.release(["task-1"])  # queued in the store's writer, not committed yet
    assert holder.take("task-1").taken  # the task was restarted at once
    assert store.flush()  # now the first release is committed
    assert not other.take("task-1").taken


def test_held_elsewhere_names_only_other_live_holders(leases_of: MakeLeases) -> None:
    mine, theirs = leases_of(), leases_of()
    assert mine.take("mine").taken and theirs.take("theirs").taken
    held = mine.held_elsewhere(["mine", "theirs", "nobody's"])
    assert list(held) == ["theirs"] and held["theirs"].pid == os.getpid()


def test_closing_releases_every_lease_and_deleting_a_task_deletes_its_lease(
    leases_of: MakeLeases, store: TaskStore
) -> None:
    holder, other = leases_of(), leases_of()
    assert holder.take("task-1").taken and holder.take("task-2").taken
    holder.close()
    assert store.flush()
    assert other.take("task-1").taken
    store.delete_tasks(["task-1", "task-2"])
    assert store.flush()
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM task_leases").fetchone() == (0,)
