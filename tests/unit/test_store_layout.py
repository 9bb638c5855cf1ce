"""How the task database lays a task out: every field of the record comes back as
it went in, whatever its path or key looks like; texts many tasks share are
stored once and go when nothing uses them; a field added to the record is a
column that older files gain when opened."""

from __future__ import annotations

import sqlite3
from dataclasses import fields, replace
from pathlib import Path

import pytest
from support.task_rows import make_row

from cosdesk.engine.history import HistoryEntry, HistoryOutcome, HistoryQuery, HistoryReader
from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import Checkpoint, FileResult, TaskSpec, TaskState, TaskStatus, Verification
from cosdesk.engine.task_columns import ALL_COLUMNS, CHECKPOINT, SPEC, STATUS


def round_trip(tmp_path: Path, *rows: object) -> list[object]:
    store = TaskStore(tmp_path / "tasks.sqlite3")
    try:
        store.insert_tasks(rows)  # type: ignore[arg-type]
        store.flush()
        return list(store.load_tasks())
    finally:
        store.close()


@pytest.mark.parametrize(
    ("key", "source_path"),
    [
        ("top.txt", "relative.txt"),  # no folder at all
        ("photos/2024/", None),  # a folder marker: a key with an empty name
        ("照片/家/猫 1.jpg", "/home/我/照片/家/猫 1.jpg"),
        ("a\\b/c.txt", "C:\\Users\\me\\Documents\\c.txt"),  # a backslash in a key is a character
        ("dir//double.txt", "//server/share/double.txt"),
    ],
)
def test_keys_and_paths_of_every_shape_come_back_as_they_were(
    tmp_path: Path, key: str, source_path: str | None
) -> None:
    row = make_row("t", key=key, source_path=source_path, renamed_key=None)
    assert round_trip(tmp_path, row) == [row]


@pytest.mark.parametrize(
    "result",
    [
        # The usual PUT: an MD5 ETag, a CRC-64 above SQLite's integers, the location
        # ending in the key's name.
        FileResult(
            "127.0.0.1:9000/examplebucket-1250000000/dir/t.bin",
            "examplebucket-1250000000",
            "dir/t.bin",
            '"5d41402abc4b2a76b9719d911017c592"',
            None,
            2**64 - 1,
            verification=Verification.CRC64,
        ),
        # A multipart ETag, a version, a location that quotes the key.
        FileResult(
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/dir/a%20b.bin",
            "examplebucket-1250000000",
            "dir/a b.bin",
            '"0123456789ABCDEF0123456789ABCDEF-3"',
            "MTg0NDUxNzc5MTI0NjQzNzg",
            0,
            verification=Verification.MD5,
        ),
        # Skipped: no location, an empty ETag, nothing verified.
        FileResult("", "examplebucket-1250000000", "dir/t.bin", "", skipped=True),
        # An upper-case MD5 ETag is kept exactly as the server wrote it.
        FileResult("h/b/dir/t.bin", "other-1250000000", "dir/t.bin", '"5D41402ABC4B2A76B9719D911017C592"'),
    ],
)
def test_every_kind_of_result_comes_back_as_it_was(tmp_path: Path, result: FileResult) -> None:
    row = make_row("t", state=TaskState.SUCCESS, result=result, finished_at=1_700_000_000.5)
    assert round_trip(tmp_path, row) == [row]


def test_a_file_name_that_is_not_utf8_is_stored_escaped_not_lost(tmp_path: Path) -> None:
    odd = "/home/me/caf\udce9.txt"  # os.fsdecode of b"caf\xe9.txt"
    (loaded,) = round_trip(tmp_path, make_row("t", key="caf\udce9.txt", source_path=odd))
    assert loaded.spec.source_path == "/home/me/caf\\udce9.txt"  # type: ignore[attr-defined]
    assert loaded.spec.key == "caf\\udce9.txt"  # type: ignore[attr-defined]


def test_every_field_of_the_record_has_its_columns() -> None:
    names = {name for name, _ in ALL_COLUMNS}
    for mapping, kind in ((SPEC, TaskSpec), (CHECKPOINT, Checkpoint), (STATUS, TaskStatus)):
        mapped = {item.field for item in mapping.fields}
        assert mapped == {item.name for item in fields(kind)} - {"parts"}, kind
        for item in mapping.fields:
            assert item.columns and all(name in names for name, _ in item.columns)
    assert len(names) == len(ALL_COLUMNS)


def test_a_database_made_before_a_field_existed_gains_its_column(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    TaskStore(path).close()
    db = sqlite3.connect(path)
    with db:  # as if file_md5 had been added to the checkpoint since this file was made
        db.execute("ALTER TABLE tasks DROP COLUMN file_md5")
    db.close()

    row = make_row("t", file_md5="5d41402abc4b2a76b9719d911017c592")
    assert round_trip(tmp_path, row) == [row]


def texts_stored(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return sorted(text for (text,) in db.execute("SELECT text FROM shared_texts"))
    finally:
        db.close()


def history_entry(key: str) -> HistoryEntry:
    return HistoryEntry(
        task_id="t",
        outcome=HistoryOutcome.DONE,
        started_at=1.0,
        ended_at=2.0,
        active_s=1.0,
        bytes_sent=10,
        size=10,
        bucket="examplebucket-1250000000",
        key=key,
        endpoint="http://127.0.0.1:9000",
        source_path=f"/home/me/{key}",
    )


def test_texts_shared_by_many_tasks_are_stored_once_and_go_when_nothing_uses_them(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    endpoint, options = EndpointSpec("ap-guangzhou", url="http://127.0.0.1:9000"), UploadOptions()
    rows = [
        make_row(
            f"t{number}",
            number,
            key=f"photos/{number % 2}/{number}.jpg",
            source_path=f"/home/me/photos/{number % 2}/{number}.jpg",
            endpoint=endpoint,
            options=options,
        )
        for number in range(500)
    ]
    store = TaskStore(path)
    try:
        store.insert_tasks(rows)
        store.save_history(history_entry("photos/0/0.jpg"))
        store.flush()
        # The bucket, the endpoint (as the task and as the history names it), the
        # options, and two folders of keys and two of paths.
        assert len(texts_stored(path)) == 4 + 2 + 2

        store.delete_tasks([row.spec.task_id for row in rows])
        store.flush()
        # The history entry still shows its bucket, endpoint, key and path.
        assert texts_stored(path) == [
            "/home/me/photos/0/",
            "examplebucket-1250000000",
            "http://127.0.0.1:9000",
            "photos/0/",
        ]
        (entry,) = HistoryReader(path).page(HistoryQuery())
        assert replace(entry, entry_id=0) == history_entry("photos/0/0.jpg")

        store.clear_history()
        store.flush()
        assert texts_stored(path) == []
        # New tasks after everything went find their texts stored again.
        store.insert_tasks(rows[:1])
        store.flush()
        assert store.load_tasks() == rows[:1]
    finally:
        store.close()
