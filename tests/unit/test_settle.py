"""When a watched folder's changed file is handed on: once its size and time have
held still for the settle time, read once more just before. Real files, real time
(settle times of a few tenths of a second)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from cosdesk.engine.settle import SettleTracker

SETTLE_S = 0.3


def wait_settled(tracker: SettleTracker, timeout_s: float = 3.0) -> list[str]:
    """Ask as the watch's timer does until something is handed on (or the timeout)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        handed = tracker.settled()
        if handed:
            return [item.path for item in handed]
        time.sleep(0.02)
    return []


def test_a_file_is_handed_on_only_after_it_held_still_for_the_settle_time(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"hello")
    tracker = SettleTracker(SETTLE_S)
    changed_at = time.monotonic()
    tracker.changed(str(path))
    assert tracker.settled() == []
    assert wait_settled(tracker) == [str(path)]
    assert time.monotonic() - changed_at >= SETTLE_S
    assert tracker.waiting == 0


def test_a_file_still_being_written_is_never_handed_on_half_way(tmp_path: Path) -> None:
    """Writes every tenth of a second for a second, without telling the tracker
    of each: the last look before handing it on sees the file grow and waits."""
    path = tmp_path / "slow.bin"
    tracker = SettleTracker(SETTLE_S)
    with path.open("wb") as handle:
        handle.write(b"x")
        handle.flush()
        tracker.changed(str(path))
        for _ in range(10):
            time.sleep(0.1)
            handle.write(b"x" * 100)
            handle.flush()
            assert tracker.settled() == []
    assert wait_settled(tracker) == [str(path)]
    assert path.stat().st_size == 1001


def test_a_file_changed_after_it_was_handed_on_is_handed_on_again(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"first")
    tracker = SettleTracker(SETTLE_S)
    tracker.changed(str(path))
    assert wait_settled(tracker) == [str(path)]
    path.write_bytes(b"second, longer")
    tracker.changed(str(path))
    assert wait_settled(tracker) == [str(path)]


def test_an_event_that_changes_neither_size_nor_time_hands_nothing_on(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"data")
    tracker = SettleTracker(SETTLE_S)
    tracker.changed(str(path))
    assert wait_settled(tracker) == [str(path)]
    os.chmod(path, 0o600)  # an attribute event: same size, same time
    tracker.changed(str(path))
    assert wait_settled(tracker, timeout_s=SETTLE_S * 3) == []
    assert tracker.waiting == 0


def test_a_deleted_or_moved_away_file_is_dropped(tmp_path: Path) -> None:
    gone, moved = tmp_path / "gone.txt", tmp_path / "moved.txt"
    gone.write_bytes(b"1")
    moved.write_bytes(b"2")
    tracker = SettleTracker(SETTLE_S)
    tracker.changed(str(gone))
    tracker.changed(str(moved))
    gone.unlink()
    moved.rename(tmp_path / "elsewhere.txt")
    tracker.forget(str(moved))
    assert wait_settled(tracker, timeout_s=SETTLE_S * 3) == []
    assert tracker.waiting == 0


def test_a_burst_of_files_waits_in_one_ordered_list_and_settles_together(tmp_path: Path) -> None:
    tracker = SettleTracker(SETTLE_S)
    paths = []
    for number in range(1000):
        path = tmp_path / f"f{number:04}.txt"
        path.write_bytes(b"x")
        tracker.changed(str(path))
        paths.append(str(path))
    assert tracker.waiting == 1000
    due_in = tracker.next_due_in_s()
    assert due_in is not None and due_in <= SETTLE_S
    handed: list[str] = []
    deadline = time.monotonic() + 10
    while len(handed) < 1000 and time.monotonic() < deadline:
        handed += [item.path for item in tracker.settled()]
        time.sleep(0.02)
    assert sorted(handed) == paths  # each once
    assert tracker.waiting == 0 and tracker.next_due_in_s() is None
