"""Intake: what becomes of a dropped file, folder or in-memory body before the
queue holds it as a task (see ARCHITECTURE.md, 'Parts of the queue'): its fresh
task id, its record, the walk of a folder, and the checks that refuse a task
before it is stored (a key COS would refuse, a file that cannot be read).

The queue numbers and registers the tasks under its lock; stat-ing and walking
run on its workers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from cosdesk.engine.options import EndpointSpec, UploadOptions
from cosdesk.engine.scan import ErrorCallback, ScanEntry, check_key, scan_path
from cosdesk.engine.task import Checkpoint, SourceKind, TaskError, TaskSpec, TaskStatus, UploadTask

# Tasks created per database batch while a folder is walked: the first ones can
# start long before a huge tree is fully listed.
SCAN_BATCH = 500


@dataclass(frozen=True, slots=True)
class FileToAdd:
    """One local file for :meth:`UploadQueue.add_files`, with its size and time
    when a walk read them already (else they are read when it is stored)."""

    path: str
    key: str
    size: int | None = None
    mtime_ns: int | None = None

    @classmethod
    def scanned(cls, entry: ScanEntry) -> FileToAdd:
        assert entry.path is not None, "a folder marker is not a file"
        return cls(entry.path, entry.key, entry.size, entry.mtime_ns)


@dataclass(frozen=True)
class NewSource:
    """Where a new task's bytes come from, and what is known of them yet."""

    kind: SourceKind
    path: str | None = None
    data: bytes | None = None
    size: int | None = None
    mtime_ns: int | None = None

    @classmethod
    def file(cls, path: str, size: int | None = None, mtime_ns: int | None = None) -> NewSource:
        return cls(SourceKind.FILE, path=os.path.abspath(path), size=size, mtime_ns=mtime_ns)

    @classmethod
    def memory(cls, data: bytes) -> NewSource:
        return cls(SourceKind.MEMORY, data=bytes(data), size=len(data))

    @classmethod
    def folder_marker(cls) -> NewSource:
        return cls(SourceKind.FOLDER_MARKER, data=b"", size=0)

    @classmethod
    def scanned(cls, entry: ScanEntry) -> NewSource:
        """A file or folder marker a walk found (its size and time already read)."""
        if entry.path is None:
            return cls.folder_marker()
        return cls.file(entry.path, entry.size, entry.mtime_ns)


class TaskIds:
    """Task ids of 32 hex digits: 16 that count up (the time in milliseconds, then
    a counter), then 16 random ones. Stored in that order, ids made one after the
    other go to the end of the task table's primary-key index: a million random
    ids (as uuid4) cost the database writer 29 s against 4.5 s (ARCHITECTURE.md,
    "Task ids"). The random half keeps ids of two processes apart, and is what
    ``IdIndex`` hashes. Many random bytes per system call: one call per id was a
    fifth of the cost of adding a file. Used under the queue's lock."""

    def __init__(self) -> None:
        self._random: list[str] = []
        self._last = 0

    def next(self) -> str:
        (task_id,) = self.take(1)
        return task_id

    def take(self, count: int) -> list[str]:
        """``count`` new ids, in the order they count up (one look at the clock)."""
        random = self._random
        while len(random) < count:
            digits = os.urandom(8 * 512).hex()
            random += [digits[start : start + 16] for start in range(0, len(digits), 16)]
        # Milliseconds in the high 48 bits, a counter in the low 16; never the same
        # or smaller twice in this process, whatever the clock does.
        first = max(self._last + 1, time.time_ns() // 1_000_000 << 16)
        self._last = first + count - 1
        taken = random[-count:] if count else []
        del random[len(random) - count :]
        return [f"{first + number:016x}{digits}" for number, digits in enumerate(taken)]


def new_task(
    task_id: str,
    position: int,
    bucket: str,
    key: str,
    endpoint: EndpointSpec,
    options: UploadOptions,
    source: NewSource,
    batch: str | None = None,
) -> UploadTask:
    """A new task, waiting at ``position``, in ``batch`` (a token of
    engine/batch_numbers.py); not stored yet."""
    return UploadTask(
        spec=TaskSpec(
            task_id=task_id,
            bucket=bucket,
            key=key,
            endpoint=endpoint,
            options=options,
            source_kind=source.kind,
            source_path=source.path,
            data=source.data,
            created_at=time.time(),
            batch=batch,
        ),
        checkpoint=Checkpoint(size=source.size, mtime_ns=source.mtime_ns),
        status=TaskStatus(position=position),
    )


def refusal(task: UploadTask, *, stat_file: bool) -> TaskError | None:
    """Why a new task cannot be sent (None: it can). With ``stat_file``, a local
    file's size and time are read into its checkpoint unless a walk read them
    (a worker's job: a stat may wait on a slow disk, and in a busy process each
    waits for the GIL again after it)."""
    key_problem = check_key(task.key)
    if key_problem is not None:
        return TaskError("InvalidKey", key_problem)
    known = task.checkpoint.size is not None and task.checkpoint.mtime_ns is not None
    if stat_file and not known and task.source_kind is SourceKind.FILE and task.source_path:
        try:
            info = os.stat(task.source_path)
        except OSError as error:
            # The worker's name for an unreadable file (describe_error): one code, one row text.
            return TaskError("SourceUnreadable", f"cannot read {task.source_path}: {error.strerror or error}")
        task.checkpoint = replace(task.checkpoint, size=info.st_size, mtime_ns=info.st_mtime_ns)
    return None


def scan_sources(
    sources: Sequence[str],
    prefix: str,
    *,
    include_empty_folders: bool,
    on_error: ErrorCallback,
    on_not_followed: ErrorCallback | None = None,
) -> Iterator[ScanEntry]:
    """Everything to upload under the dropped ``sources``, in the order found. A
    folder given with a trailing separator gives its contents, not itself. The
    callbacks are :func:`scan_path`'s."""
    for source in sources:
        contents_only = source.endswith(("/", os.sep)) and os.path.isdir(source)
        yield from scan_path(
            source,
            prefix,
            include_empty_folders=include_empty_folders,
            contents_only=contents_only,
            on_error=on_error,
            on_not_followed=on_not_followed,
        )
