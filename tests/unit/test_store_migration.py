"""A task database made by an earlier version (schema 1, 2 or 3) opens with every
task, part and history entry as it was, in the compact layout of version 4, once."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from support.old_databases import BIG_CRC, BUCKET, CREATED_AT, TASK_IDS, write_old_database

from cosdesk.engine.history import HistoryEntry, HistoryOutcome, HistoryQuery, HistoryReader
from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.store import SCHEMA_VERSION, StoreError, TaskStore
from cosdesk.engine.task import (
    Checkpoint,
    FileResult,
    PartRecord,
    SourceKind,
    TaskError,
    TaskSpec,
    TaskState,
    TaskStatus,
    UploadMethod,
    Verification,
)
from cosdesk.engine.task_columns import StoredTask

URL = "http://127.0.0.1:9000"
DENIED = TaskError("AccessDenied", "Access Denied.", 403, "NjVhYmNk")


def expected_tasks(sources: Path, version: int) -> list[StoredTask]:
    endpoint = EndpointSpec("ap-guangzhou", url=URL)
    # Older versions wrote the fixed 3 parts at once they used: a fixed limit it stays.
    options = UploadOptions(metadata={"project": "x"}, chunk_parallel_limit=3)

    def spec(task_id: str, position: int, key: str, **changes: object) -> TaskSpec:
        fields: dict[str, object] = {
            "task_id": task_id,
            "bucket": BUCKET,
            "key": key,
            "endpoint": endpoint,
            "options": options,
            "source_kind": SourceKind.FILE,
            "source_path": str(sources / key),
            "created_at": CREATED_AT + position,
        }
        fields.update(changes)
        return TaskSpec(**fields)  # type: ignore[arg-type]

    done = FileResult(
        location=f"127.0.0.1:9000/{BUCKET}/old/done.txt",
        bucket=BUCKET,
        key="old/done.txt",
        etag='"5d41402abc4b2a76b9719d911017c592"',
        crc64=BIG_CRC,
        verification=Verification.CRC64,
    )
    return [
        StoredTask(
            spec(TASK_IDS["done"], 0, "old/done.txt"),
            Checkpoint(
                size=5, mtime_ns=1_700_000_000_123_456_789, method=UploadMethod.PUT, key_resolved=True
            ),
            TaskStatus(0, TaskState.SUCCESS, result=done, finished_at=CREATED_AT + 10),
        ),
        StoredTask(
            spec(TASK_IDS["paused"], 1, "old/big.bin"),
            Checkpoint(
                size=3 * 1024 * 1024,
                mtime_ns=1_700_000_001_000_000_000,
                method=UploadMethod.MULTIPART,
                upload_id="upload-that-the-server-forgot",
                part_size=1024 * 1024,
                key_resolved=True,
            ).with_parts({1: PartRecord(1, '"etag-of-part-1"', 1024 * 1024, BIG_CRC)}),
            TaskStatus(1, TaskState.PAUSED, note="paused by you"),
        ),
        StoredTask(
            spec(TASK_IDS["failed"], 2, "old/report.pdf"),
            Checkpoint(
                size=700,
                append_start_crc64=BIG_CRC,
                renamed_key="old/report (1).pdf" if version >= 3 else None,
            ),
            TaskStatus(2, TaskState.ERROR, error=DENIED),
        ),
        StoredTask(
            spec(
                TASK_IDS["memory"],
                3,
                "old/hello.txt",
                source_kind=SourceKind.MEMORY,
                source_path=None,
                data=b"hello",
            ),
            Checkpoint(size=5),
            TaskStatus(3),
        ),
    ]


def expected_history(sources: Path) -> list[HistoryEntry]:
    common = {"bucket": BUCKET, "endpoint": URL}
    return [
        HistoryEntry(
            task_id=TASK_IDS["failed"],
            outcome=HistoryOutcome.FAILED,
            started_at=None,
            ended_at=CREATED_AT + 20,
            active_s=0.0,
            bytes_sent=0,
            size=700,
            key="old/report.pdf",
            source_path=str(sources / "old/report.pdf"),
            error_code="AccessDenied",
            error_message="Access Denied.",
            error_status=403,
            request_id="NjVhYmNk",
            entry_id=5,
            **common,  # type: ignore[arg-type]
        ),
        HistoryEntry(
            task_id=TASK_IDS["done"],
            outcome=HistoryOutcome.DONE,
            started_at=CREATED_AT + 9,
            ended_at=CREATED_AT + 10,
            active_s=0.5,
            bytes_sent=5,
            size=5,
            key="old/done.txt",
            source_path=str(sources / "old/done.txt"),
            entry_id=3,
            **common,  # type: ignore[arg-type]
        ),
    ]


def tables(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        db.close()


@pytest.mark.parametrize("version", [2, 3])
def test_an_older_database_opens_with_its_tasks_parts_and_history_as_they_were(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "tasks.sqlite3"
    write_old_database(path, version, URL, tmp_path)

    store = TaskStore(path)
    try:
        assert store.load_tasks() == expected_tasks(tmp_path, version)
        reader = HistoryReader(path)
        assert reader.page(HistoryQuery()) == expected_history(tmp_path)
        assert [e.entry_id for e in reader.page(HistoryQuery("access denied"))] == [5]
        # Entry ids go on after the last one ever given, not the last one kept.
        assert reader.newest_id() == 5
        store.save_history(replace(expected_history(tmp_path)[1], entry_id=0))
        assert store.flush()
        assert reader.newest_id() == 10
    finally:
        store.close()

    assert tables(path) == {
        "meta",
        "shared_texts",
        "tasks",
        "parts",
        "requests",
        "history",
        "sqlite_sequence",
        "task_leases",
        "batches",
    }
    db = sqlite3.connect(path)
    try:
        (schema_version,) = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        assert int(schema_version) == SCHEMA_VERSION
        # The parts still belong to the tasks table (not to the one set aside).
        assert {row[2] for row in db.execute("PRAGMA foreign_key_list(parts)")} == {"tasks"}
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()


def test_a_version_1_database_gains_an_empty_history_and_keeps_its_tasks(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    write_old_database(path, 1, URL, tmp_path)
    store = TaskStore(path)
    try:
        assert store.load_tasks() == expected_tasks(tmp_path, 1)
        assert HistoryReader(path).count(HistoryQuery()) == 0
    finally:
        store.close()


def test_a_rewritten_database_gives_back_its_space_and_is_rewritten_only_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tasks.sqlite3"
    write_old_database(path, 3, URL, tmp_path)
    # Many finished tasks, as a long-used version 3 database holds them.
    db = sqlite3.connect(path)
    with db:
        db.execute(
            "WITH RECURSIVE copies(value) AS"
            " (SELECT 1 UNION ALL SELECT value + 1 FROM copies WHERE value < 2000)"
            " INSERT INTO tasks SELECT 'copy-' || value, position + value, bucket, key || value,"
            " endpoint_json, options_json, source_kind, source_path || value, data, size, mtime_ns,"
            " state, method, upload_id, part_size, append_start_position, append_start_crc64,"
            " file_md5, key_resolved, error_json, note, result_json, created_at, finished_at, renamed_key"
            " FROM tasks, copies WHERE task_id = '0f8fad5bd9cb469fa16570867728950e'"
        )
    db.close()
    before = path.stat().st_size

    with caplog.at_level(logging.INFO, logger="cosdesk.engine.store"):
        TaskStore(path).close()
        after = path.stat().st_size
        reopened = TaskStore(path)
        try:
            assert len(reopened.load_tasks()) == 2004
        finally:
            reopened.close()
    rewrites = [r for r in caplog.records if "rewritten from schema version 3" in r.getMessage()]
    assert len(rewrites) == 1
    assert after < before / 3, (before, after)


def test_an_old_database_that_cannot_be_rewritten_is_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    write_old_database(path, 3, URL, tmp_path)
    db = sqlite3.connect(path)
    with db:  # a row no version could have written: the rewrite fails on it
        db.execute("UPDATE tasks SET state = 'exploded' WHERE task_id = 'e4eaaaf2d14245c8a6a0e2c4dd3c4a1b'")
    db.close()

    with pytest.raises(
        StoreError, match="task 'e4eaaaf2d14245c8a6a0e2c4dd3c4a1b' cannot be read: 'exploded'"
    ):
        TaskStore(path)
    assert tables(path) == {"meta", "tasks", "parts", "requests", "history", "sqlite_sequence"}
    db = sqlite3.connect(path)
    try:
        assert db.execute("SELECT COUNT(*) FROM tasks").fetchone() == (4,)
        assert db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() == ("3",)
    finally:
        db.close()
