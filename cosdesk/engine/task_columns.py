"""How the task record (``engine/task_record.py``) is written to the ``tasks``
table and read back: one column per field, found by walking the dataclasses'
fields, so a new field needs a column and nothing else here (unless its type
needs a codec below).

The spec is written once, when the task is inserted; the checkpoint and the
status are updated together. The checkpoint's parts live in the ``parts`` table.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

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
)


@dataclass(frozen=True, slots=True)
class StoredTask(RecordViews):
    """A task as the database holds it."""

    spec: TaskSpec
    checkpoint: Checkpoint
    status: TaskStatus


def _storable(text: str | None) -> str | None:
    """Text SQLite can hold. A file name that is not UTF-8 reaches us with lone
    surrogates (os.fsdecode); such a task is refused (its key is invalid), and its
    row must not make the whole write batch fail, so they are stored escaped."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _flat_json(value: TaskError | FileResult | None) -> str | None:
    """A flat frozen dataclass (str, int, bool, None fields) as JSON."""
    if value is None:
        return None
    return json.dumps({item.name: getattr(value, item.name) for item in fields(value)})


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


def _optional(decode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else decode(value)


def _crc_text(value: int | None) -> str | None:
    # CRC-64 values do not fit SQLite's signed 64-bit integers: stored as text.
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class _Codec:
    column: str
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


# Fields whose column or stored form differs from the field's own.
_CODECS: dict[str, _Codec] = {
    "endpoint": _Codec("endpoint_json", _json.text, lambda text: _json.value(text, EndpointSpec)),
    "options": _Codec("options_json", _json.text, lambda text: _json.value(text, UploadOptions)),
    "key": _Codec("key", _storable, str),
    "source_path": _Codec("source_path", _storable, _same),
    "renamed_key": _Codec("renamed_key", _storable, _same),
    "source_kind": _Codec("source_kind", str, SourceKind),
    "method": _Codec("method", _optional(str), _optional(UploadMethod)),
    "state": _Codec("state", str, TaskState),
    "append_start_crc64": _Codec("append_start_crc64", _crc_text, _optional(int)),
    "key_resolved": _Codec("key_resolved", int, bool),
    "error": _Codec("error_json", _flat_json, _optional(lambda text: TaskError(**json.loads(text)))),
    "result": _Codec("result_json", _flat_json, _optional(lambda text: FileResult(**json.loads(text)))),
    "data": _Codec("data", _same, _optional(bytes)),
    "note": _Codec("note", _same, lambda text: text or ""),
}


def _codecs(kind: type, skip: frozenset[str] = frozenset()) -> tuple[tuple[str, _Codec], ...]:
    return tuple(
        (item.name, _CODECS.get(item.name, _Codec(item.name, _same, _same)))
        for item in fields(kind)
        if item.name not in skip
    )


_SPEC = _codecs(TaskSpec)
_CHECKPOINT = _codecs(Checkpoint, skip=frozenset({"parts"}))
_STATUS = _codecs(TaskStatus)
_PROGRESS = _CHECKPOINT + _STATUS

SPEC_COLUMNS = tuple(codec.column for _, codec in _SPEC)
PROGRESS_COLUMNS = tuple(codec.column for _, codec in _PROGRESS)
ALL_COLUMNS = SPEC_COLUMNS + PROGRESS_COLUMNS

_UPDATES = ", ".join(f"{column} = excluded.{column}" for column in PROGRESS_COLUMNS)
# A task saved again keeps its spec, and its in-memory body unless one is given.
UPSERT_SQL = (
    f"INSERT INTO tasks({', '.join(ALL_COLUMNS)}) VALUES ({', '.join('?' * len(ALL_COLUMNS))})"
    f" ON CONFLICT(task_id) DO UPDATE SET {_UPDATES}"
)
UPDATE_SQL = f"UPDATE tasks SET {', '.join(f'{column} = ?' for column in PROGRESS_COLUMNS)} WHERE task_id = ?"
SELECT_SQL = f"SELECT {', '.join(ALL_COLUMNS)} FROM tasks"


def _encoded(value: object, codecs: Sequence[tuple[str, _Codec]]) -> list[Any]:
    return [codec.encode(getattr(value, name)) for name, codec in codecs]


def insert_values(task: StoredTask) -> tuple[Any, ...]:
    """Parameters of ``UPSERT_SQL``."""
    return (
        *_encoded(task.spec, _SPEC),
        *_encoded(task.checkpoint, _CHECKPOINT),
        *_encoded(task.status, _STATUS),
    )


def update_values(task_id: str, checkpoint: Checkpoint, status: TaskStatus) -> tuple[Any, ...]:
    """Parameters of ``UPDATE_SQL``."""
    return (*_encoded(checkpoint, _CHECKPOINT), *_encoded(status, _STATUS), task_id)


def _decoded(kind: type, codecs: Sequence[tuple[str, _Codec]], row: Sequence[Any]) -> Any:
    return kind(**{name: codec.decode(value) for (name, codec), value in zip(codecs, row, strict=True)})


def task_from_row(row: Sequence[Any], parts: Mapping[int, PartRecord]) -> StoredTask:
    """A row of ``SELECT_SQL`` (with the task's parts) as the record."""
    spec_end = len(_SPEC)
    checkpoint_end = spec_end + len(_CHECKPOINT)
    return StoredTask(
        spec=_decoded(TaskSpec, _SPEC, row[:spec_end]),
        checkpoint=_decoded(Checkpoint, _CHECKPOINT, row[spec_end:checkpoint_end]).with_parts(parts),
        status=_decoded(TaskStatus, _STATUS, row[checkpoint_end:]),
    )


def field_update_sql(names: Sequence[str]) -> str:
    """``UPDATE tasks`` of the columns of these checkpoint or status fields, by
    task id (the last parameter)."""
    columns = [_codec_of(name).column for name in names]
    return f"UPDATE tasks SET {', '.join(f'{column} = ?' for column in columns)} WHERE task_id = ?"


def field_values(fields_by_name: Mapping[str, Any]) -> list[Any]:
    """The encoded values of :func:`field_update_sql`'s columns, in order."""
    return [_codec_of(name).encode(value) for name, value in fields_by_name.items()]


_PROGRESS_CODECS = dict(_PROGRESS)


def _codec_of(name: str) -> _Codec:
    codec = _PROGRESS_CODECS.get(name)
    if codec is None:
        raise ValueError(f"{name} is not a stored field of a task's checkpoint or status")
    return codec
