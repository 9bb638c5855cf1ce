"""What a sync of a folder to ``cos://bucket/prefix`` will do, decided before
anything is sent (see ARCHITECTURE.md, "Sync"): every file taken by the patterns
is uploaded or skipped, for a reason, and with ``delete`` every object under the
prefix that has no local file is deleted. No Qt here: the window, the CLI and a
watched folder all plan through :func:`plan_sync`.

The rules, in order, for a file whose key is ``prefix + relative path``:

1. no object at the key: upload (missing);
2. the record says the file was synced there with this size and mtime, and the
   listing still shows that size and ETag: skip (unchanged since the last sync),
   with no request and without reading the file;
3. the object's size differs: upload (size differs);
4. otherwise HEAD the object and compare its ``x-cos-hash-crc64ecma`` with the
   file's CRC-64: skip when equal (the pair is then recorded, so the next run
   needs no HEAD), else upload (content differs; or no CRC-64 to compare).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64_file
from cosdesk.cos.errors import NoSuchKey
from cosdesk.cos.results import ObjectSummary
from cosdesk.engine.message_templates import QT_TRANSLATE_NOOP, MessageTemplate
from cosdesk.engine.options import COMPARE_WORKERS, EndpointSpec
from cosdesk.engine.scan import ScanProblem, check_key, key_for, normalize_prefix
from cosdesk.engine.sync_listing import PrefixListing
from cosdesk.engine.sync_patterns import SyncPatterns
from cosdesk.engine.sync_record import SyncedFile, SyncRecord, normalized_etag
from cosdesk.engine.sync_walk import LocalFile, walk_folder


class SyncProblem(MessageTemplate):
    """What a sync says of itself beside the walk's problems (``ScanProblem``);
    shown translated by the window (see message_templates)."""

    DELETES_WITHHELD = QT_TRANSLATE_NOOP(
        "SyncProblem", "parts of the folder could not be read, so nothing is deleted"
    )


class UploadReason(enum.StrEnum):
    MISSING = "missing remotely"
    SIZE_DIFFERS = "size differs"
    CONTENT_DIFFERS = "same size, CRC-64 differs"
    NO_REMOTE_CRC64 = "same size, no CRC-64 on the server to compare"


class SkipReason(enum.StrEnum):
    UNCHANGED = "unchanged since the last sync"
    SAME_CONTENT = "same size and CRC-64"


@dataclass(frozen=True)
class SyncDestination:
    """Where a folder is synced: ``prefix`` always names a folder ("" or "a/b/")."""

    endpoint: EndpointSpec
    bucket: str
    prefix: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", normalize_prefix(self.prefix))

    def key_of(self, relative_path: str) -> str:
        return key_for(self.prefix, relative_path)

    def __str__(self) -> str:
        return f"cos://{self.bucket}/{self.prefix}"


@dataclass(frozen=True)
class SyncRequest:
    """One sync as a person asked for it."""

    folder: Path
    destination: SyncDestination
    excludes: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    delete: bool = False


@dataclass(frozen=True, slots=True)
class PlannedUpload:
    file: LocalFile
    key: str
    reason: UploadReason


@dataclass(frozen=True, slots=True)
class PlannedSkip:
    file: LocalFile
    key: str
    reason: SkipReason


@dataclass(frozen=True)
class SyncPlan:
    """The decision for every file and object. ``confirmed``: record entries the
    plan proved (same size and CRC-64), written when the sync runs (a dry run
    changes nothing). ``problems``: (path, reason) of what could not be taken;
    ``not_followed``: of the links to folders the walk left alone (see
    sync_walk.py), which are no problem."""

    request: SyncRequest
    uploads: tuple[PlannedUpload, ...] = ()
    skips: tuple[PlannedSkip, ...] = ()
    deletes: tuple[str, ...] = ()
    excluded_files: int = 0
    excluded_folders: int = 0
    problems: tuple[tuple[str, str], ...] = ()
    not_followed: tuple[tuple[str, str], ...] = ()
    confirmed: tuple[SyncedFile, ...] = field(default=(), repr=False)

    @property
    def destination(self) -> SyncDestination:
        return self.request.destination

    def skip_counts(self) -> Counter[SkipReason]:
        return Counter(skip.reason for skip in self.skips)

    def upload_counts(self) -> Counter[UploadReason]:
        return Counter(upload.reason for upload in self.uploads)

    @property
    def upload_bytes(self) -> int:
        return sum(upload.file.size for upload in self.uploads)


def plan_sync(
    request: SyncRequest,
    client: CosClient,
    record: SyncRecord,
    *,
    hash_file: Callable[[str], int] = crc64_file,
) -> SyncPlan:
    """Walk the folder, list the prefix once, and decide. Raises PatternError for a
    pattern gitignore cannot read, NotADirectoryError / OSError for a folder (or
    its ``.cosignore``) that cannot be read, and CosException when the listing
    fails. A file that cannot be read for its CRC-64 is a problem, not an error."""
    destination = request.destination
    patterns = SyncPatterns.for_folder(request.folder, excludes=request.excludes, includes=request.includes)
    # The listing takes most of a re-run's time: it starts first, the walk and the
    # record are read meanwhile, and the local keys cut the rest of it in ranges.
    listing = PrefixListing(client, destination.bucket, destination.prefix)
    listing.start()
    try:
        contents = walk_folder(request.folder, patterns)
        keys = [destination.key_of(file.relative_path) for file in contents.files]
        listing.split_at(keys)
        synced = record.entries_under(destination.endpoint, destination.bucket, destination.prefix)
    except BaseException:
        listing.abandon()
        raise
    remote = listing.result()
    problems = list(contents.problems)
    uploads: list[PlannedUpload] = []
    skips: list[PlannedSkip] = []
    to_compare: list[tuple[LocalFile, str, ObjectSummary]] = []
    local_keys: set[str] = set()
    for file, key in zip(contents.files, keys, strict=True):
        refused = check_key(key)
        if refused is not None:
            problems.append((file.path, refused))
            continue
        local_keys.add(key)
        summary = remote.get(key)
        if summary is None:
            uploads.append(PlannedUpload(file, key, UploadReason.MISSING))
        elif _unchanged_since_synced(file, summary, synced.get(key)):
            skips.append(PlannedSkip(file, key, SkipReason.UNCHANGED))
        elif summary.size != file.size:
            uploads.append(PlannedUpload(file, key, UploadReason.SIZE_DIFFERS))
        else:
            to_compare.append((file, key, summary))
    confirmed: list[SyncedFile] = []
    for decision in _compare_contents(to_compare, destination, client, synced, hash_file):
        if isinstance(decision, PlannedSkip):
            skips.append(decision)
        elif isinstance(decision, PlannedUpload):
            uploads.append(decision)
        elif isinstance(decision, SyncedFile):
            confirmed.append(decision)
        else:
            problems.append(decision)
    deletes: tuple[str, ...] = ()
    if request.delete and contents.problems:
        # A folder that could not be listed looks empty: its objects are not "gone".
        problems.append((str(request.folder), SyncProblem.DELETES_WITHHELD.text()))
    elif request.delete:
        deletes = tuple(
            key for key in sorted(remote) if _deletable(key, destination.prefix, local_keys, patterns)
        )
    return SyncPlan(
        request,
        uploads=tuple(sorted(uploads, key=lambda upload: upload.key)),
        skips=tuple(sorted(skips, key=lambda skip: skip.key)),
        deletes=deletes,
        excluded_files=contents.excluded_files,
        excluded_folders=contents.excluded_folders,
        problems=tuple(problems),
        not_followed=tuple(contents.not_followed),
        confirmed=tuple(confirmed),
    )


def _same_file(entry: SyncedFile, file: LocalFile) -> bool:
    return entry.size == file.size and entry.mtime_ns == file.mtime_ns


def _unchanged_since_synced(file: LocalFile, summary: ObjectSummary, entry: SyncedFile | None) -> bool:
    return (
        entry is not None
        and _same_file(entry, file)
        and summary.size == entry.size
        and normalized_etag(summary.etag) == normalized_etag(entry.etag)
    )


_Decision = PlannedUpload | PlannedSkip | SyncedFile | tuple[str, str]


def _compare_contents(
    files: Sequence[tuple[LocalFile, str, ObjectSummary]],
    destination: SyncDestination,
    client: CosClient,
    synced: dict[str, SyncedFile],
    hash_file: Callable[[str], int],
) -> Iterator[_Decision]:
    """Rule 4 for each file, a few at a time: a HEAD and a read of the file each."""

    def compare(item: tuple[LocalFile, str, ObjectSummary]) -> list[_Decision]:
        file, key, summary = item
        try:
            remote_crc64 = client.head_object(destination.bucket, key).crc64
        except NoSuchKey:  # deleted since the listing
            return [PlannedUpload(file, key, UploadReason.MISSING)]
        if remote_crc64 is None:
            return [PlannedUpload(file, key, UploadReason.NO_REMOTE_CRC64)]
        entry = synced.get(key)
        try:
            if entry is not None and entry.crc64 is not None and _same_file(entry, file):
                local_crc64 = entry.crc64  # the file is as it was synced: no need to read it
            else:
                local_crc64 = hash_file(file.path)
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or error
            return [(file.path, ScanProblem.CANNOT_READ.text(reason=reason))]
        if local_crc64 != remote_crc64:
            return [PlannedUpload(file, key, UploadReason.CONTENT_DIFFERS)]
        proved = SyncedFile(key, file.size, file.mtime_ns, local_crc64, normalized_etag(summary.etag))
        return [PlannedSkip(file, key, SkipReason.SAME_CONTENT), proved]

    if not files:
        return
    with ThreadPoolExecutor(COMPARE_WORKERS, thread_name_prefix="cosdesk-sync-compare") as pool:
        for decisions in pool.map(compare, files):
            yield from decisions


def _deletable(key: str, prefix: str, local_keys: set[str], patterns: SyncPatterns) -> bool:
    """An object the sync deletes: under the prefix, no local file, not a folder
    marker, and a path the patterns would have taken (an excluded file's object
    is left alone)."""
    if not key.startswith(prefix) or key in local_keys or key.endswith("/"):
        return False
    relative = key[len(prefix) :]
    segments = relative.split("/")
    for depth in range(1, len(segments)):
        if patterns.skips_folder("/".join(segments[:depth])):
            return False
    return patterns.takes(relative)
