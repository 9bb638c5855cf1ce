"""How the task record (``engine/task_record.py``) is written to the ``tasks``
table and read back, field by field (the shapes are in ``engine/columns.py``): a
new field gets a column of its own, named after it and typed by its annotation,
with nothing to add here unless its type needs a codec below. The table is made
from this mapping, and a database made before a field existed gains its column
when it is opened.

What a task costs is mostly what it shares with the tasks added with it: the
bucket, endpoint and options are shared texts, and the key, the local path and
the result's location are split into a shared folder and a name.

The spec is written once, when the task is inserted; the checkpoint and the
status are updated together. The checkpoint's parts live in the ``parts`` table.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from cosdesk.engine.columns import (
    FieldColumns,
    RowMapping,
    SharedTexts,
    as_itself,
    create_table,
    nested,
    shared,
    split,
    storable_text,
)
from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.task_record import (
    Checkpoint,
    FileResult,
    PartRecord,
    RecordViews,
    SourceKind,
    TaskError,
    TaskSpec,
    TaskState,
    TaskStatus,
    UploadMethod,
    Verification,
)


@dataclass(frozen=True, slots=True)
class StoredTask(RecordViews):
    """A task as the database holds it."""

    spec: TaskSpec
    checkpoint: Checkpoint
    status: TaskStatus


class _JsonCache:
    """Options and endpoints are shared by every task added together: each is
    serialised (and each distinct text parsed) once, not once per row."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[object, str]] = {}
        self._values: dict[str, object] = {}
        self._lock = threading.Lock()

    def text(self, value: EndpointSpec | UploadOptions) -> str:
        cached = self._texts.get(id(value))
        if cached is None or cached[0] is not value:
            cached = (value, value.to_json())
            with self._lock:
                self._texts[id(value)] = cached
        return cached[1]

    def value(self, text: str, kind: type[EndpointSpec] | type[UploadOptions]) -> Any:
        found = self._values.get(text)
        if not isinstance(found, kind):
            found = kind.from_json(text)
            with self._lock:
                self._values[text] = found
        return found


_json = _JsonCache()


def endpoint_from_json(text: str) -> EndpointSpec:
    """The endpoint of stored JSON (one object for each distinct text)."""
    endpoint: EndpointSpec = _json.value(text, EndpointSpec)
    return endpoint


def options_from_json(text: str) -> UploadOptions:
    """The options of stored JSON (one object for each distinct text)."""
    options: UploadOptions = _json.value(text, UploadOptions)
    return options


# CRC-64 values pass SQLite's signed 64-bit integers: stored as their two's
# complement (8 bytes, where the decimal text took 20).
def _crc_stored(value: int | None) -> int | None:
    if value is None:
        return None
    return value - 2**64 if value >= 2**63 else value


def _crc_read(value: int | None) -> int | None:
    if value is None:
        return None
    return value + 2**64 if value < 0 else value


_MD5_ETAG = re.compile(r'"[0-9a-f]{32}"')


def _etag_stored(etag: str | None) -> str | bytes | None:
    """An MD5 ETag (``"`` + 32 lower-case hex digits + ``"``) as its 16 bytes;
    any other ETag as it is."""
    if etag is not None and _MD5_ETAG.fullmatch(etag):
        return bytes.fromhex(etag[1:-1])
    return etag


def _etag_read(value: str | bytes | None) -> str | None:
    return f'"{value.hex()}"' if isinstance(value, bytes) else value


def _flat_json(value: TaskError | None) -> str | None:
    """A flat frozen dataclass (str, int, bool, None fields) as JSON."""
    if value is None:
        return None
    return json.dumps({item.name: getattr(value, item.name) for item in fields(value)})


def _enum(field: str, kind: type, *, nullable: bool = False, column: str | None = None) -> FieldColumns:
    decode = (lambda value: None if value is None else kind(value)) if nullable else kind
    return as_itself(
        field,
        "TEXT" if nullable else "TEXT NOT NULL",
        lambda value: None if value is None else str(value),
        decode,
        column=column,
    )


_RESULT_FIELDS = nested(
    "result",
    FileResult,
    {
        # Mostly the host, the bucket's folder and the key's name again: the name
        # is left out when it is the key's.
        "location": split("location", nullable=True, column="result_location", name_else="result_key_name"),
        "bucket": shared("bucket", nullable=True, column="result_bucket"),
        "key": split("key", nullable=True, column="result_key"),
        "etag": as_itself("etag", "BLOB", _etag_stored, _etag_read, column="result_etag"),
        "crc64": as_itself("crc64", "INTEGER", _crc_stored, _crc_read, column="result_crc64"),
        "skipped": as_itself("skipped", "INTEGER", lambda value: int(value), bool, column="result_skipped"),
        "verification": _enum("verification", Verification, nullable=True, column="result_verification"),
    },
    present_when="etag",
)
_RESULT_COLUMNS = [name for name, _ in _RESULT_FIELDS.columns]
_LOCATION_NAME = _RESULT_COLUMNS.index("result_location_name")
_KEY_NAME = _RESULT_COLUMNS.index("result_key_name")


def _encode_result(result: FileResult | None, texts: SharedTexts) -> tuple[Any, ...]:
    stored = list(_RESULT_FIELDS.encode(result, texts))
    if stored[_LOCATION_NAME] == stored[_KEY_NAME]:
        stored[_LOCATION_NAME] = None
    return tuple(stored)


_RESULT = replace(_RESULT_FIELDS, encode=_encode_result)

SPEC = RowMapping.of(
    TaskSpec,
    {
        "task_id": as_itself("task_id", "TEXT PRIMARY KEY"),
        "bucket": shared("bucket"),
        "key": split("key"),
        "endpoint": shared("endpoint", _json.text, endpoint_from_json),
        "options": shared("options", _json.text, options_from_json),
        "source_kind": _enum("source_kind", SourceKind),
        "source_path": split("source_path", nullable=True),
        "data": as_itself("data", "BLOB", decode=lambda value: None if value is None else bytes(value)),
        "batch": shared("batch", nullable=True),
    },
)
CHECKPOINT = RowMapping.of(
    Checkpoint,
    {
        "method": _enum("method", UploadMethod, nullable=True),
        "append_start_crc64": as_itself("append_start_crc64", "INTEGER", _crc_stored, _crc_read),
        "key_resolved": as_itself("key_resolved", "INTEGER NOT NULL DEFAULT 0", int, bool),
        "renamed_key": as_itself(
            "renamed_key", "TEXT", lambda value: None if value is None else storable_text(value)
        ),
    },
    skip=("parts",),
)
STATUS = RowMapping.of(
    TaskStatus,
    {
        "state": _enum("state", TaskState),
        "error": as_itself(
            "error",
            "TEXT",
            _flat_json,
            lambda text: None if text is None else TaskError(**json.loads(text)),
            column="error_json",
        ),
        "result": _RESULT,
        "note": as_itself("note", "TEXT NOT NULL DEFAULT ''", decode=lambda text: text or ""),
    },
)

ALL_COLUMNS = SPEC.columns + CHECKPOINT.columns + STATUS.columns
TASKS_SCHEMA = create_table("tasks", ALL_COLUMNS)
# The columns that hold ids of shared texts (engine/columns.py).
SHARED_ID_COLUMNS = SPEC.shared_ids + CHECKPOINT.shared_ids + STATUS.shared_ids

_NAMES = [name for name, _ in ALL_COLUMNS]
_PROGRESS = CHECKPOINT.column_names + STATUS.column_names
# A task saved again keeps its spec, and its in-memory body unless one is given.
# A stored success is final: another process may have finished the task after this
# one read it (engine/ownership.py), and a write from that older reading (a
# restart, a pause) must not take the success back.
UPSERT_SQL = (
    f"INSERT INTO tasks({', '.join(_NAMES)}) VALUES ({', '.join('?' * len(_NAMES))})"
    f" ON CONFLICT(task_id) DO UPDATE SET {', '.join(f'{name} = excluded.{name}' for name in _PROGRESS)}"
    " WHERE tasks.state != 'success' OR excluded.state = 'success'"
)
UPDATE_SQL = (
    f"UPDATE tasks SET {', '.join(f'{name} = ?' for name in _PROGRESS)}"
    " WHERE task_id = ? AND state != 'success'"
)
# What a stored task is read from (``task_from_row``), and its usual statement:
# filter and order it like the table itself, f"{SELECT_SQL} WHERE state = ?".
SELECTED_COLUMNS = ", ".join(SPEC.reads + CHECKPOINT.reads + STATUS.reads)
SELECT_SQL = f"SELECT {SELECTED_COLUMNS} FROM tasks"


def insert_values(task: StoredTask, texts: SharedTexts) -> list[Any]:
    """Parameters of ``UPSERT_SQL``."""
    return [
        *SPEC.encode(task.spec, texts),
        *CHECKPOINT.encode(task.checkpoint, texts),
        *STATUS.encode(task.status, texts),
    ]


def update_values(task_id: str, checkpoint: Checkpoint, status: TaskStatus, texts: SharedTexts) -> list[Any]:
    """Parameters of ``UPDATE_SQL``."""
    return [*CHECKPOINT.encode(checkpoint, texts), *STATUS.encode(status, texts), task_id]


_SPEC_END = len(SPEC.reads)
_CHECKPOINT_END = _SPEC_END + len(CHECKPOINT.reads)


def task_from_row(row: Sequence[Any], parts: Mapping[int, PartRecord]) -> StoredTask:
    """A row of ``SELECT_SQL`` (with the task's parts) as the record."""
    checkpoint = CHECKPOINT.decode(row[_SPEC_END:_CHECKPOINT_END])
    return StoredTask(
        spec=SPEC.decode(row[:_SPEC_END]),
        checkpoint=checkpoint.with_parts(parts) if parts else checkpoint,  # read without parts
        status=STATUS.decode(row[_CHECKPOINT_END:]),
    )


def field_update(fields_by_name: Mapping[str, Any], texts: SharedTexts) -> tuple[str, list[Any]]:
    """An ``UPDATE tasks`` of the columns of these checkpoint or status fields (by
    task id, the last parameter), and their values but that id."""
    columns: list[str] = []
    values: list[Any] = []
    for name, value in fields_by_name.items():
        stored = _PROGRESS_FIELDS.get(name)
        if stored is None:
            raise ValueError(f"{name} is not a stored field of a task's checkpoint or status")
        columns += [column for column, _ in stored.columns]
        values += stored.encode(value, texts)
    assignments = ", ".join(f"{column} = ?" for column in columns)
    return f"UPDATE tasks SET {assignments} WHERE task_id = ? AND state != 'success'", values


_PROGRESS_FIELDS = {item.field: item for item in CHECKPOINT.fields + STATUS.fields}
# The SQL that reads a task's endpoint (a shared text) as JSON.
ENDPOINT_READ = SPEC.read_of("endpoint")
# The SQL that reads the key a task was asked for (a shared folder and a name).
KEY_READ = SPEC.read_of("key")
