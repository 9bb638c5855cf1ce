"""Task databases made by cosdesk before version 4 of the schema, brought to the
current layout the first time they are opened.

Versions 1 to 3 kept a task in one wide row: the endpoint and options as JSON in
every row, the result as JSON repeating the bucket and key, the history with a
second, case-folded copy of its words (1: no history; 3 added ``renamed_key``).
Their rows are read here with the layout they were written in, as the record's
values, and written again through today's mapping (``engine/task_columns.py``,
``engine/history.py``): there is one way to write a row, and it is tested.
Parts keep their table; the history keeps its entry ids and their sequence.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from cosdesk.engine.columns import SharedTexts
from cosdesk.engine.history import HistoryEntry, HistoryOutcome, insert_entries
from cosdesk.engine.task_columns import (
    UPSERT_SQL,
    StoredTask,
    endpoint_from_json,
    insert_values,
    options_from_json,
)
from cosdesk.engine.task_record import (
    Checkpoint,
    FileResult,
    SourceKind,
    TaskError,
    TaskSpec,
    TaskState,
    TaskStatus,
    UploadMethod,
)

# The first version with shared texts and split keys and paths.
COMPACT_VERSION = 4


class UnreadableRow(Exception):
    """A row of the old layout that cannot be read as a task or a history entry."""


_OLD_TASKS = "tasks_before_v4"
_OLD_HISTORY = "history_before_v4"
_BATCH = 5000
T = TypeVar("T")


def _known_fields(kind: type, text: str | None) -> Any:
    """A flat dataclass stored as JSON (fields it no longer has are left out)."""
    if text is None:
        return None
    names = {item.name for item in dataclasses.fields(kind)}
    return kind(**{name: value for name, value in json.loads(text).items() if name in names})


def _old_task(row: sqlite3.Row) -> StoredTask:
    crc = row["append_start_crc64"]
    return StoredTask(
        spec=TaskSpec(
            task_id=row["task_id"],
            bucket=row["bucket"],
            key=row["key"],
            endpoint=endpoint_from_json(row["endpoint_json"]),
            options=options_from_json(row["options_json"]),
            source_kind=SourceKind(row["source_kind"]),
            source_path=row["source_path"],
            data=None if row["data"] is None else bytes(row["data"]),
            created_at=row["created_at"],
        ),
        checkpoint=Checkpoint(
            size=row["size"],
            mtime_ns=row["mtime_ns"],
            method=None if row["method"] is None else UploadMethod(row["method"]),
            upload_id=row["upload_id"],
            part_size=row["part_size"],
            append_start_position=row["append_start_position"],
            append_start_crc64=None if crc is None else int(crc),
            file_md5=row["file_md5"],
            key_resolved=bool(row["key_resolved"]),
            renamed_key=row["renamed_key"] if "renamed_key" in row.keys() else None,  # noqa: SIM118
        ),
        status=TaskStatus(
            position=row["position"],
            state=TaskState(row["state"]),
            error=_known_fields(TaskError, row["error_json"]),
            note=row["note"] or "",
            result=_known_fields(FileResult, row["result_json"]),
            finished_at=row["finished_at"],
        ),
    )


def _old_entry(row: sqlite3.Row) -> HistoryEntry:
    return HistoryEntry(
        task_id=row["task_id"],
        outcome=HistoryOutcome(row["outcome"]),
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        active_s=row["active_s"],
        bytes_sent=row["bytes_sent"],
        size=row["size"],
        bucket=row["bucket"],
        key=row["key"],
        endpoint=row["endpoint"],
        source_path=row["source_path"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        error_status=row["error_status"],
        request_id=row["request_id"],
        entry_id=row["entry_id"],
    )


def _read(rows: list[sqlite3.Row], read: Callable[[sqlite3.Row], T], what: str) -> list[T]:
    values = []
    for row in rows:
        try:
            values.append(read(row))
        except (ValueError, TypeError, KeyError) as error:
            raise UnreadableRow(f"{what} {row[0]!r} cannot be read: {error}") from error
    return values


def _rows(db: sqlite3.Connection, table: str) -> Iterator[list[sqlite3.Row]]:
    cursor = db.cursor()
    cursor.row_factory = sqlite3.Row
    cursor.execute(f"SELECT * FROM {table} ORDER BY rowid")
    while batch := cursor.fetchmany(_BATCH):
        yield batch


def set_aside_old_tables(db: sqlite3.Connection) -> bool:
    """Rename the tables of an older layout out of the way, so the current schema
    can be created under their names; True if there were any. In the caller's
    transaction (with foreign keys off), before the schema is created."""
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "tasks" not in tables:
        return False
    # The parts table names its parent "tasks": the rename must leave that name
    # alone (legacy mode, foreign keys off: ARCHITECTURE.md, 'SQLite'), so it
    # means the new table once made.
    db.execute("PRAGMA legacy_alter_table = ON")
    try:
        db.execute(f"ALTER TABLE tasks RENAME TO {_OLD_TASKS}")
        if "history" in tables:
            db.execute(f"ALTER TABLE history RENAME TO {_OLD_HISTORY}")
    finally:
        db.execute("PRAGMA legacy_alter_table = OFF")
    return True


def copy_old_rows(db: sqlite3.Connection) -> None:
    """Write the rows of the tables set aside into the new ones, then drop the old.
    In the caller's transaction, after the schema is created. Raises UnreadableRow
    (the caller rolls back: the file stays as it was)."""
    texts = SharedTexts(db)
    for batch in _rows(db, _OLD_TASKS):
        tasks = _read(batch, _old_task, "task")
        db.executemany(UPSERT_SQL, [insert_values(task, texts) for task in tasks])
    db.execute(f"DROP TABLE {_OLD_TASKS}")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (_OLD_HISTORY,)).fetchone() is None:
        return
    for batch in _rows(db, _OLD_HISTORY):
        insert_entries(db, _read(batch, _old_entry, "history entry"), texts)
    # Entry ids never go back, even past entries that were cleared.
    (last,) = db.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = ?", (_OLD_HISTORY,)
    ).fetchone()
    db.execute(f"DROP TABLE {_OLD_HISTORY}")
    raised = db.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'history'", (last,))
    if raised.rowcount == 0:
        db.execute("INSERT INTO sqlite_sequence(name, seq) VALUES ('history', ?)", (last,))
