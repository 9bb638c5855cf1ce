"""The three frozen values that make up a task, shared by the store, the queue,
the workers and the table alike (see ARCHITECTURE.md, 'The task record'):

- ``TaskSpec``: what was asked (which file or bytes, to which bucket and key,
  with which options). Fixed once the task is queued.
- ``Checkpoint``: what runs of the task have learned about the file and the
  server — enough for the next run to resume. A worker replaces it whole.
- ``TaskStatus``: where the task stands (its place in the queue, its state, why
  it failed, what it returned). Replaced whole by the queue.

Every field is stored under its own name (``engine/store.py`` maps the fields,
not a hand-written list), a snapshot carries these values rather than copies of
their fields, and a worker starts from the task's checkpoint and reports new
ones. Adding a resume field is one line here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from cosdesk.engine.options import EndpointSpec, UploadMethodChoice, UploadOptions


class TaskState(enum.StrEnum):
    WAITING = "waiting"  # queued, not started
    CHECKING = "checking"  # hashing, looking for an earlier upload, HEAD for conflicts
    UPLOADING = "uploading"  # bytes are going out
    SUCCESS = "success"
    PAUSED = "paused"  # by the user; keeps finished parts
    ERROR = "error"  # failed after retries; auto-paused, restart resumes it
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in (TaskState.SUCCESS, TaskState.CANCELED)

    @property
    def is_active(self) -> bool:
        """A worker owns the task (or will very soon)."""
        return self in (TaskState.CHECKING, TaskState.UPLOADING)

    @property
    def is_resumable(self) -> bool:
        return self in (TaskState.PAUSED, TaskState.ERROR)


class UploadMethod(enum.StrEnum):
    PUT = "put"  # PUT Object, one request
    MULTIPART = "multipart"  # initiate, parts, complete
    APPEND = "append"  # POST ?append&position=N, chunk by chunk


class SourceKind(enum.StrEnum):
    FILE = "file"
    MEMORY = "memory"  # an in-memory body given to add_bytes
    FOLDER_MARKER = "folder_marker"  # an empty object whose key ends in "/"


class Verification(enum.StrEnum):
    """How an upload's stored bytes were checked against what was sent (the rules
    are in ``engine/verification.py``). A mismatch is never a success, so a
    finished upload is one of these."""

    CRC64 = "crc64"  # the server's CRC-64 of what it stored equals ours
    MD5 = "md5"  # no CRC-64; the ETag (of the object, or of every part) is the MD5 sent
    NONE = "none"  # not verified: no CRC-64, and ETags that are not MD5s

    @property
    def verified(self) -> bool:
        return self is not Verification.NONE


# Our codes for temporary keys (see "Temporary keys" in ARCHITECTURE.md): the
# credential server gave none (the name of the client's exception), or COS
# refused a destination outside the scope the credential server gave them.
CREDENTIAL_SERVER_ERROR = "CredentialServerError"
# No answer at all: the connection was refused, reset or timed out.
NETWORK_ERROR = "NetworkError"
CREDENTIAL_SERVER_REFUSED = "CredentialServerRefused"
OUTSIDE_CREDENTIAL_SCOPE = "OutsideCredentialScope"


@dataclass(frozen=True, slots=True)
class TaskError:
    """Why a task failed: the exact reason, as COS or the network said it.

    ``code`` is COS's error code (``"AccessDenied"``), or one of ours
    (``"NetworkError"``, ``"Crc64Mismatch"``, ``"SourceMissing"``, ...);
    ``status_code`` is the HTTP status when there was one.
    """

    code: str
    message: str
    status_code: int | None = None
    request_id: str | None = None
    # The queue may start the task again later by itself: sending again may
    # succeed without anyone changing anything. Decided when the error happened,
    # by ``engine/retry.py``'s ``heals_by_itself`` (the one place for that rule).
    transient: bool = False

    def __str__(self) -> str:
        status = f" ({self.status_code})" if self.status_code else ""
        request = f" [request id {self.request_id}]" if self.request_id else ""
        return f"{self.code}{status}: {self.message}{request}"


@dataclass(frozen=True, slots=True)
class FileResult:
    """What a finished upload returns (the seed's onFileFinish ``data``)."""

    location: str
    bucket: str
    key: str
    etag: str
    version_id: str | None = None
    crc64: int | None = None
    skipped: bool = False  # the key existed and the conflict policy said skip
    # None: nothing was uploaded (skipped), or a result stored before this was kept.
    verification: Verification | None = None

    def __post_init__(self) -> None:
        # Stored results come back from JSON with the enum's plain string.
        if self.verification is not None and not isinstance(self.verification, Verification):
            object.__setattr__(self, "verification", Verification(self.verification))

    @property
    def unverified(self) -> bool:
        """Uploaded, but nothing proves the server stored what was sent."""
        return self.verification is Verification.NONE


@dataclass(frozen=True, slots=True)
class PartRecord:
    """A part the server has confirmed (and we verified)."""

    part_number: int
    etag: str
    size: int
    crc64: int


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """What was asked. ``key`` is the key asked for: a RENAME upload may store the
    object under another (``Checkpoint.renamed_key``). ``data`` is the body of a
    MEMORY task (b"" for a folder marker), None for a file."""

    task_id: str
    bucket: str
    key: str
    endpoint: EndpointSpec
    options: UploadOptions
    source_kind: SourceKind
    source_path: str | None = None
    data: bytes | None = field(default=None, repr=False)
    created_at: float = 0.0
    # The files added together (one drop, one command, one walk) share this token;
    # the database numbers it once (ARCHITECTURE.md, "Batches"). None: a task
    # stored before batches were recorded, until ``cosdesk tasks`` numbers it.
    batch: str | None = None


_NO_PARTS: Mapping[int, PartRecord] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What the task's runs learned, enough to resume (see ARCHITECTURE.md,
    'Resuming a multipart upload'). ``size`` and ``mtime_ns`` are the local
    file's when it was last looked at: a run that finds them changed starts
    over. ``parts`` maps part numbers to the parts the server confirmed."""

    size: int | None = None
    mtime_ns: int | None = None
    method: UploadMethod | None = None
    upload_id: str | None = None
    part_size: int | None = None
    parts: Mapping[int, PartRecord] = field(default_factory=lambda: _NO_PARTS)
    append_start_position: int | None = None
    append_start_crc64: int | None = None
    file_md5: str | None = None
    key_resolved: bool = False  # the conflict policy has been applied
    renamed_key: str | None = None  # RENAME found the key taken: the key used instead

    def with_part(self, part: PartRecord) -> Checkpoint:
        return replace(self, parts=MappingProxyType({**self.parts, part.part_number: part}))

    def with_parts(self, parts: Mapping[int, PartRecord]) -> Checkpoint:
        return replace(self, parts=MappingProxyType(dict(parts)))

    @property
    def sent_bytes(self) -> int:
        """Bytes the server has confirmed: the sum of the recorded parts."""
        return sum(part.size for part in self.parts.values())

    @property
    def has_progress(self) -> bool:
        """Something of an earlier run that a changed file or plan makes stale."""
        return bool(self.upload_id or self.parts or self.append_start_position is not None or self.file_md5)

    def without_upload(self) -> Checkpoint:
        """The multipart upload is gone (aborted, completed, or unknown to the server)."""
        return replace(self, upload_id=None, parts=_NO_PARTS)

    def started_over(self) -> Checkpoint:
        """Nothing sent: what is kept of the file's size and the resolved key. An
        append's start stays: what it appended cannot be taken back, so it goes on
        after that (once the object shows it holds the start of the file), where
        appending the whole file again left its first chunks in the object twice."""
        return replace(self, upload_id=None, parts=_NO_PARTS, file_md5=None)


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """Where a task stands. ``position`` orders the queue (lower runs first)."""

    position: int
    state: TaskState = TaskState.WAITING
    error: TaskError | None = None
    note: str = ""
    result: FileResult | None = None
    finished_at: float | None = None


class RecordViews:
    """The fields of a task's three values that most code reads, named as it
    thinks of them (``task.key``, ``snapshot.state``), for any class holding a
    ``spec``, a ``checkpoint`` and a ``status``. Views, not copies."""

    __slots__ = ()
    spec: TaskSpec
    checkpoint: Checkpoint
    status: TaskStatus

    @property
    def task_id(self) -> str:
        return self.spec.task_id

    @property
    def bucket(self) -> str:
        return self.spec.bucket

    @property
    def key(self) -> str:
        """The key the object is stored under (the renamed one after RENAME)."""
        return self.checkpoint.renamed_key or self.spec.key

    @property
    def endpoint(self) -> EndpointSpec:
        return self.spec.endpoint

    @property
    def options(self) -> UploadOptions:
        return self.spec.options

    @property
    def appends(self) -> bool:
        """An append: what it sent stays in the object, whatever becomes of the task."""
        return self.spec.options.method is UploadMethodChoice.APPEND

    @property
    def source_kind(self) -> SourceKind:
        return self.spec.source_kind

    @property
    def source_path(self) -> str | None:
        return self.spec.source_path

    @property
    def data(self) -> bytes | None:
        return self.spec.data

    @property
    def created_at(self) -> float:
        return self.spec.created_at

    @property
    def size(self) -> int | None:
        return self.checkpoint.size

    @property
    def method(self) -> UploadMethod | None:
        return self.checkpoint.method

    @property
    def upload_id(self) -> str | None:
        return self.checkpoint.upload_id

    @property
    def part_size(self) -> int | None:
        return self.checkpoint.part_size

    @property
    def parts(self) -> Mapping[int, PartRecord]:
        return self.checkpoint.parts

    @property
    def position(self) -> int:
        return self.status.position

    @property
    def state(self) -> TaskState:
        return self.status.state

    @property
    def error(self) -> TaskError | None:
        return self.status.error

    @property
    def note(self) -> str:
        return self.status.note

    @property
    def result(self) -> FileResult | None:
        return self.status.result

    @property
    def finished_at(self) -> float | None:
        return self.status.finished_at
