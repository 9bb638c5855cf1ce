"""The task table's compact columns (ui/task_rows.py) and what the task database
gives them (engine/task_table_source.py): a real SQLite database written by the
real store."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from support.task_rows import make_row, make_task

from cosdesk.engine import task_table_source
from cosdesk.engine.intake import TaskIds
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import CompactRow, PartRecord, TaskSnapshot, TaskState
from cosdesk.engine.task_columns import StoredTask
from cosdesk.engine.task_table_source import STATE_CODES, read_columns
from cosdesk.ui.task_rows import (
    CHANGED_KEY,
    CHANGED_SENT,
    CHANGED_STATE,
    HAS_RESULT,
    IdIndex,
    TaskRows,
    pack_id,
)


def snapshot(
    task_id: str, key: str, state: TaskState = TaskState.WAITING, *, loaded: int = 0, **changes: object
) -> TaskSnapshot:
    """A snapshot of a 100-byte file task; ``changes`` name fields of its record."""
    task = make_task(task_id, key=key, state=state, size=100, **changes)
    task.loaded = loaded
    return task.snapshot()


def test_every_id_stays_findable_while_the_index_grows_by_small_steps() -> None:
    rows = TaskRows()
    ids = [uuid.uuid4().hex for _ in range(70_000)]
    for number, task_id in enumerate(ids):
        assert rows.append(snapshot(task_id, f"k/{number}")) == number
    assert [rows.find(task_id) for task_id in ids[::997]] == list(range(0, 70_000, 997))
    assert rows.find(uuid.uuid4().hex) == -1
    assert rows.task_id(69_999) == ids[-1]


def test_rows_added_in_runs_are_found_as_rows_added_one_by_one() -> None:
    one_by_one, in_runs = TaskRows(), TaskRows()
    made = TaskIds()
    rows = [
        CompactRow(made.next(), f"k/{number}", TaskState.WAITING, number, 0, True) for number in range(30_000)
    ]
    rows[7] = rows[7]._replace(task_id="odd id")
    for row in rows:
        one_by_one.append(row)
    # Runs of every length, across the index's doublings and its moves between them.
    start = 0
    for length in (1, 2, 200, 5, 4000, 1, 25_791):
        assert in_runs.extend(rows[start : start + length]) == range(start, start + length)
        start += length
    assert start == len(rows)
    for copy in (one_by_one, in_runs):
        assert [copy.find(row.task_id) for row in rows] == list(range(len(rows)))
        assert [copy.key(slot) for slot in (0, 7, 29_999)] == ["k/0", "k/7", "k/29999"]
        assert copy.task_id(7) == "odd id"
        assert copy.counts_by_state() == {TaskState.WAITING: 30_000}
    assert (in_runs.ids, in_runs.sizes, in_runs.flags) == (one_by_one.ids, one_by_one.sizes, one_by_one.flags)


def test_an_index_built_at_once_finds_what_incremental_inserts_find() -> None:
    rows = TaskRows()
    ids = [uuid.uuid4().hex for _ in range(5000)]
    for task_id in ids:
        rows.append(snapshot(task_id, "k"))
    built = IdIndex.build(rows.ids)
    assert all(built.find(pack_id(task_id)) == slot for slot, task_id in enumerate(ids))


@pytest.mark.parametrize("source", ["TaskIds", "uuid4"])
def test_ids_spread_over_the_index(source: str) -> None:
    # New ids share their first digits (they count up in time): the index keys on
    # their random half, so they do not pile up in one run of the table. A uuid4
    # (older databases) has fixed bits in that half: they must not choose where
    # ids go (read the wrong way round, three places in four were never used).
    ids = TaskIds()
    made = [ids.next() if source == "TaskIds" else uuid.uuid4().hex for _ in range(20_000)]
    rows = TaskRows()
    for number, task_id in enumerate(made):
        rows.append(snapshot(task_id, f"k/{number}"))
    assert [rows.find(task_id) for task_id in made[::499]] == list(range(0, 20_000, 499))
    for index in (rows.index, IdIndex.build(rows.ids)):
        occupied = "".join("x" if slot >= 0 else "." for slot in index._table)
        assert max(map(len, occupied.split("."))) < 64  # at half load, runs stay short


def test_ids_that_are_not_uuid_hex_keep_their_text() -> None:
    rows = TaskRows()
    odd = ["t1", "ABCDEF0123456789ABCDEF0123456789", "你好"]
    for task_id in odd:
        rows.append(snapshot(task_id, "k"))
    assert [rows.task_id(slot) for slot in range(3)] == odd
    assert [rows.find(task_id) for task_id in odd] == [0, 1, 2]


def test_an_update_says_what_changed_and_keeps_the_counts() -> None:
    rows = TaskRows()
    task_id = uuid.uuid4().hex
    slot = rows.append(snapshot(task_id, "a/b.txt"))
    assert rows.counts_by_state() == {TaskState.WAITING: 1}
    changed = rows.update(slot, snapshot(task_id, "a/b (1).txt", TaskState.UPLOADING, loaded=40))
    assert changed & CHANGED_STATE and changed & CHANGED_KEY and changed & CHANGED_SENT
    assert rows.key(slot) == "a/b (1).txt" and rows.progress(slot) == 0.4
    assert rows.counts_by_state() == {TaskState.UPLOADING: 1}
    assert rows.update(slot, snapshot(task_id, "a/b (1).txt", TaskState.UPLOADING, loaded=40)) == 0
    rows.remove(slot)
    assert rows.counts_by_state() == {} and rows.live == 0
    assert rows.find(task_id) == slot and not rows.is_live(slot)  # a tombstone, never reused


def test_a_row_costs_a_few_tens_of_bytes_besides_its_key() -> None:
    rows = TaskRows()
    count = 50_000
    for number in range(count):
        rows.append(snapshot(uuid.uuid4().hex, f"photos/2024/IMG_{number:05d}.jpg"))
    columns = [rows.ids, rows.states, rows.flags, rows.sizes, rows.sent, rows.index._table]
    keys = [rows._key_bytes, rows._key_starts, rows._key_lengths]
    per_row = sum(map(sys.getsizeof, columns)) / count
    key_bytes = sum(map(sys.getsizeof, keys)) / count
    print(f"\n{per_row:.0f} B per row, and {key_bytes:.0f} B per row for keys of 28 characters")
    assert per_row < 70
    assert key_bytes < 28 + 20


def test_the_database_gives_every_task_in_queue_order_with_its_bytes_sent(tmp_path: Path) -> None:
    db = tmp_path / "tasks.sqlite3"
    store = TaskStore(db)
    first, second, third = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
    store.insert_tasks(
        [
            make_row(first, 0, key="a/done.bin", state=TaskState.SUCCESS, size=500),
            make_row(second, 1, key="a/半.bin", state=TaskState.PAUSED, size=3000),
            make_row(third, 2, key="b/new.bin", state=TaskState.WAITING, size=None),
        ]
    )
    store.save_part(second, PartRecord(1, '"e"', 1024, 7))
    assert store.flush()
    store.close()

    columns = read_columns(db)
    rows = TaskRows.from_stored(columns)
    assert [rows.task_id(slot) for slot in range(3)] == [first, second, third]
    assert [rows.key(slot) for slot in range(3)] == ["a/done.bin", "a/半.bin", "b/new.bin"]
    assert [rows.state(slot) for slot in range(3)] == [TaskState.SUCCESS, TaskState.PAUSED, TaskState.WAITING]
    assert list(rows.sizes) == [500, 3000, -1]
    assert list(rows.sent) == [500, 1024, 0]
    assert rows.flags[0] & HAS_RESULT and not rows.flags[1] & HAS_RESULT
    assert rows.counts_by_state()[TaskState.PAUSED] == 1
    assert not rows.indexed and rows.find(third) == 2  # shown before its ids are indexed
    rows.build_index()
    assert rows.indexed and [rows.find(task_id) for task_id in (first, second, third)] == [0, 1, 2]


def test_tasks_moved_in_the_queue_come_in_their_new_order(tmp_path: Path) -> None:
    db = tmp_path / "tasks.sqlite3"
    store = TaskStore(db)
    ids = [uuid.uuid4().hex for _ in range(4)]
    store.insert_tasks([make_row(task_id, number, key=f"k{number}") for number, task_id in enumerate(ids)])
    store.insert_tasks([make_row(ids[3], -1, key="k3")])  # moved to the top
    assert store.flush()
    store.close()
    columns = read_columns(db)
    rows = TaskRows.from_stored(columns)
    assert [rows.key(slot) for slot in range(4)] == ["k3", "k0", "k1", "k2"]
    assert rows.find(ids[3]) == 0


@pytest.mark.parametrize("odd_id_at", [None, 0, 7])
def test_a_big_table_read_in_two_halves_is_the_table_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd_id_at: int | None
) -> None:
    """Halves by rowid, joined: the same tasks in the same queue order (some were
    moved), their bytes sent, keys beyond ASCII; an id that is not uuid hex in
    either half sends the whole table row by row."""
    db = tmp_path / "tasks.sqlite3"
    store = TaskStore(db)
    ids = [uuid.uuid4().hex if number != odd_id_at else f"odd-{number}" for number in range(9)]
    done = {0, 2, 8}

    def row(number: int, task_id: str) -> StoredTask:
        state = TaskState.SUCCESS if number in done else TaskState.WAITING
        return make_row(task_id, number, key=f"f{number % 3}/名{number}.bin", state=state, size=number)

    store.insert_tasks([row(number, task_id) for number, task_id in enumerate(ids)])
    store.insert_tasks([make_row(ids[6], -1, key="f0/名6.bin", state=TaskState.PAUSED, size=4000)])
    store.save_part(ids[6], PartRecord(1, '"e"', 1024, 7))
    assert store.flush()
    store.close()

    whole = read_columns(db)
    monkeypatch.setattr(task_table_source, "SPLIT_FROM", 2)
    halves = read_columns(db)
    assert halves == whole
    rows = TaskRows.from_stored(halves)
    assert rows.key(0) == "f0/名6.bin" and rows.sent[0] == 1024 and rows.sizes[8] == 8
    assert [rows.task_id(slot) for slot in range(9)] == [ids[6], *ids[:6], *ids[7:]]


def test_odd_ids_and_states_a_newer_version_wrote_are_read_row_by_row(tmp_path: Path) -> None:
    db = tmp_path / "tasks.sqlite3"
    store = TaskStore(db)
    store.insert_tasks([make_row("t1", 0, state=TaskState.ERROR), make_row(uuid.uuid4().hex, 1)])
    assert store.flush()
    store.close()
    rows = TaskRows.from_stored(read_columns(db))
    assert rows.task_id(0) == "t1" and rows.find("t1") == 0
    assert rows.states[0] == STATE_CODES[TaskState.ERROR]


def test_no_database_or_an_empty_one_means_no_rows(tmp_path: Path) -> None:
    assert len(read_columns(tmp_path / "missing.sqlite3")) == 0
    TaskStore(tmp_path / "empty.sqlite3").close()
    assert len(read_columns(tmp_path / "empty.sqlite3")) == 0


def test_keys_stored_as_a_shared_folder_and_a_name_read_whole(tmp_path: Path) -> None:
    """Schema 3 keeps a key's folder once, in shared_texts, and a renamed key apart."""
    import sqlite3

    db = tmp_path / "tasks.sqlite3"
    connection = sqlite3.connect(db)
    connection.executescript(
        """
        CREATE TABLE shared_texts (text_id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
        CREATE TABLE tasks (task_id TEXT PRIMARY KEY, key_folder INTEGER, key_name TEXT NOT NULL,
            renamed_key TEXT, size INTEGER, position INTEGER NOT NULL, state TEXT NOT NULL);
        CREATE TABLE parts (task_id TEXT, part_number INTEGER, etag TEXT, size INTEGER, crc64 TEXT);
        INSERT INTO shared_texts VALUES (1, 'photos/2024/');
        """
    )
    ids = [uuid.uuid4().hex for _ in range(3)]
    connection.executemany(
        "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (ids[0], 1, "a.jpg", None, 10, 0, "success"),
            (ids[1], None, "top.txt", None, 20, 1, "waiting"),
            (ids[2], 1, "b.jpg", "photos/2024/b (1).jpg", 30, 2, "paused"),
        ],
    )
    connection.commit()
    connection.close()
    rows = TaskRows.from_stored(read_columns(db))
    assert [rows.key(slot) for slot in range(3)] == ["photos/2024/a.jpg", "top.txt", "photos/2024/b (1).jpg"]
    assert list(rows.sizes) == [10, 20, 30]
