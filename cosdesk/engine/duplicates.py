"""Files added again: which keys of a batch are already taken — by a task in the
queue, by an object in the bucket, or by another file of the same batch — and
what the batch becomes once someone has chosen to overwrite, skip or keep both.

The window asks once per batch (between :func:`check_batch` and
:func:`resolve_batch`); ``cosdesk upload --if-exists`` takes the answer as a flag.
Everything here may send requests or walk folders: call it off the GUI thread.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import count
from typing import TypeVar

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64_file
from cosdesk.cos.errors import CosError, CosException
from cosdesk.cos.results import ListObjectsResult
from cosdesk.engine import intake
from cosdesk.engine.meter import eta_seconds
from cosdesk.engine.options import COMPARE_WORKERS, ConflictPolicy, EndpointSpec
from cosdesk.engine.retry import RetryPolicy, call_with_retry
from cosdesk.engine.scan import ScanEntry
from cosdesk.engine.task import UNANSWERED_AFTER_S, TaskError, TaskSnapshot, TaskState
from cosdesk.engine.workers import describe_error, renamed_key

T = TypeVar("T")

log = logging.getLogger(__name__)

LIST_PAGE_SIZE = 1000
# A listing page of 1,000 keys costs about as much as this many HEAD requests (one
# round trip, but a larger answer). Past that, the keys still ahead are HEADed.
HEADS_PER_PAGE = 10


def scan_sources(
    sources: Iterable[str],
    prefix: str,
    *,
    include_empty_folders: bool = False,
    on_error: Callable[[str, str], None] | None = None,
    on_not_followed: Callable[[str, str], None] | None = None,
) -> list[ScanEntry]:
    """Walk everything that was added, as :meth:`UploadQueue.add_paths` does
    (``engine/intake.py``'s walk of the sources, whole): a folder given with a
    trailing slash contributes its contents only."""
    return list(
        intake.scan_sources(
            list(sources),
            prefix,
            include_empty_folders=include_empty_folders,
            on_error=on_error or (lambda _path, _why: None),
            on_not_followed=on_not_followed,
        )
    )


# --- the queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedUpload:
    """A task of the queue that holds a key (any state but canceled)."""

    task_id: str
    key: str
    source_path: str | None
    state: TaskState


def queued_uploads(
    snapshots: Iterable[TaskSnapshot], bucket: str, endpoint: EndpointSpec
) -> dict[str, tuple[QueuedUpload, ...]]:
    """The queue's tasks for ``bucket`` at ``endpoint``, by key, whichever account
    queued them. A canceled task holds no key: nothing of it stays on the server."""
    found: dict[str, list[QueuedUpload]] = {}
    place = endpoint.without_profile()
    for snap in snapshots:
        if snap.state is TaskState.CANCELED or snap.bucket != bucket:
            continue
        if snap.endpoint.without_profile() != place:
            continue
        upload = QueuedUpload(snap.task_id, snap.key, snap.source_path, snap.state)
        found.setdefault(snap.key, []).append(upload)
    return {key: tuple(uploads) for key, uploads in found.items()}


def shared_folder(keys: Collection[str]) -> str:
    """The deepest folder (``a/b/``) all ``keys`` are in; "" for the bucket's top."""
    prefix = common_prefix(keys)
    return prefix[: prefix.rfind("/") + 1]


# --- the bucket ----------------------------------------------------------------------


# Keys sorted by one C call at most: sorted() holds the GIL from start to end,
# and a million keys in a walk's order held it for 0.17 s, a stall of the window.
# Slices of this many took about 10 ms each here, and merging them is bytecode,
# which other threads interleave with (0.5 s in all for the million).
SORT_SLICE = 50_000


def sorted_in_slices(keys: Collection[str]) -> list[str]:
    """``sorted(keys)``, never holding the GIL for more than a slice's sort."""
    if len(keys) <= SORT_SLICE:
        return sorted(keys)
    listed = keys if isinstance(keys, list) else list(keys)
    runs = [sorted(listed[start : start + SORT_SLICE]) for start in range(0, len(listed), SORT_SLICE)]
    return list(heapq.merge(*runs))


def common_prefix(keys: Collection[str]) -> str:
    """The longest string every key starts with (character by character: a listing
    prefix need not end at a ``/``)."""
    if not keys:
        return ""
    first, last = min(keys), max(keys)
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    return first[:length]


# A comparison says how long it has left once it has run this long.
ESTIMATE_AFTER_S = 1.0


@dataclass(frozen=True)
class Comparison:
    """How far the comparison of a batch's files with their objects has got;
    ``seconds_left`` None until it can be told (ESTIMATE_AFTER_S)."""

    compared: int
    total: int
    seconds_left: float | None


class BucketProbe:
    """Tells which keys exist in a bucket with as few requests as it can: one paged
    listing over the common prefix of the keys asked about, and a HEAD for each key
    that listing would reach only after more pages than those HEADs would cost.
    What it learnt is kept, so renaming asks only about names it has not seen,
    and the size of each object found, for telling a changed file from the same.

    ``client()`` gives the client to ask with. Raises what it and the client raise
    (a CosException) when the bucket cannot be read.
    """

    def __init__(
        self,
        client: Callable[[], CosClient],
        bucket: str,
        retry: RetryPolicy | None = None,
        *,
        page_size: int = LIST_PAGE_SIZE,
    ) -> None:
        # Asked for on the first request: getting a client may read the keyring.
        self._client_of = client
        self._client: CosClient | None = None
        self._bucket = bucket
        # A person waits on this check: a server that left a request a whole
        # timeout without an answer is not asked again (four read timeouts of a
        # hung server were four minutes of "Looking for files already in …").
        self._retry = replace(retry or RetryPolicy(3, 0.5, 5.0), after_silence=False)
        self._page_size = page_size
        # Key -> size of each object found.
        self._present: dict[str, int] = {}
        # Prefixes listed to their end, and prefixes listed up to (and including) a key.
        self._complete: set[str] = set()
        self._partial: dict[str, str] = {}
        # Key -> size, or None where a HEAD found nothing.
        self._headed: dict[str, int | None] = {}
        self.requests = 0
        # When the latest request was first sent (its retries included), in
        # time.monotonic(); None once one is answered (of requests sent side by
        # side, the first answer clears it: a silence is said only when real).
        # Read by other threads.
        self._asking_since: float | None = None
        # Files compared with their objects (holds_same), and how many are to be:
        # a window says how far a comparison of many files is.
        self._compare_lock = threading.Lock()
        self._compared = 0
        self._to_compare = 0
        self._compare_began = 0.0  # time.monotonic()

    def unanswered_s(self, now: float) -> float | None:
        """How long the bucket has left the request under way without an answer,
        once that is UNANSWERED_AFTER_S or more (a hung server keeps it waiting for
        each retry's read timeout: minutes)."""
        since = self._asking_since
        if since is None or now - since < UNANSWERED_AFTER_S:
            return None
        return now - since

    def existing(self, keys: Collection[str]) -> set[str]:
        """The keys among ``keys`` that exist in the bucket."""
        # Sorted first, then without repeats: a walk gives its keys nearly in order,
        # where sorting a set's scrambled order held the GIL for 0.2 s per 300,000
        # keys (and a million in walk order for 0.17 s: hence sorted_in_slices).
        ordered = sorted_in_slices(keys)
        wanted = [key for number, key in enumerate(ordered) if not number or key != ordered[number - 1]]
        if not wanted:
            return set()
        # Sorted: every key starts with what the first and the last have in common.
        prefix = common_prefix((wanted[0], wanted[-1]))
        if not self._covers_prefix(prefix) and not all(self._covers(key) for key in wanted):
            self._list(prefix, wanted)
        if self._covers_prefix(prefix):
            # Listed whole: what is there is known without a look per key (which
            # went through every listed prefix: a few seconds for a million keys).
            present = self._present
            return {key for key in wanted if key in present}
        return {key for key in wanted if self.exists(key)}

    def comparison(self, now: float) -> Comparison | None:
        """How far ``holds_same`` has got with a batch (see resolve_batch) at
        ``now`` (time.monotonic()), else None. Read by other threads."""
        with self._compare_lock:
            compared, total, began = self._compared, self._to_compare, self._compare_began
        if not total:
            return None
        elapsed_s = now - began
        seconds_left = None
        if elapsed_s >= ESTIMATE_AFTER_S:
            # Files of one drop cost about the same each: a HEAD and a read.
            seconds_left = eta_seconds(total - compared, compared / elapsed_s)
        return Comparison(compared, total, seconds_left)

    def begin_comparison(self, total: int) -> None:
        """``total`` files are about to be asked about (holds_same)."""
        with self._compare_lock:
            self._compared, self._to_compare = 0, total
            self._compare_began = time.monotonic()

    def exists(self, key: str) -> bool:
        return self.size_of(key) is not None

    def size_of(self, key: str) -> int | None:
        """The size of the object at ``key``; None when there is none."""
        size = self._present.get(key)
        if size is not None or self._covers(key):
            return size
        if key not in self._headed:
            self._headed[key] = self._head(key)
        return self._headed[key]

    def holds_same(self, entry: ScanEntry) -> bool:
        """Whether the object at ``entry.key`` has the file's bytes: the same size,
        and a CRC-64 from a HEAD equal to the file's. False when that cannot be told
        (no CRC-64 from the server, a file or a HEAD that fails): the file is sent."""
        try:
            return self._holds_same(entry)
        finally:
            with self._compare_lock:
                self._compared += 1

    def _holds_same(self, entry: ScanEntry) -> bool:
        if entry.path is None:  # a folder marker: any object at its key is one
            return self.exists(entry.key)
        if self.size_of(entry.key) != entry.size:
            return False
        try:
            remote = self._call(lambda client: client.head_object(self._bucket, entry.key)).crc64
            return remote is not None and remote == crc64_file(entry.path)
        except (CosException, OSError, ValueError) as error:
            log.info("could not compare %s with its object: %s", entry.key, error)
            return False

    def load_prefix(self, prefix: str) -> None:
        """List everything under ``prefix`` (unless already known), so that
        :meth:`exists` answers for those keys without a request."""
        if not self._covers_prefix(prefix):
            self._list(prefix, None)

    def _covers(self, key: str) -> bool:
        if any(key.startswith(prefix) for prefix in self._complete):
            return True
        return any(key.startswith(prefix) and key <= last for prefix, last in self._partial.items())

    def _covers_prefix(self, wanted: str) -> bool:
        return any(wanted.startswith(prefix) for prefix in self._complete)

    def _call(self, operation: Callable[[CosClient], T]) -> T:
        if self._client is None:
            self._client = self._client_of()
        client = self._client
        self.requests += 1
        self._asking_since = time.monotonic()
        try:
            return call_with_retry(partial(operation, client), policy=self._retry)
        finally:
            self._asking_since = None

    def _head(self, key: str) -> int | None:
        try:
            return self._call(lambda client: client.head_object(self._bucket, key)).content_length
        except CosError as error:
            if error.status_code == 404:
                return None
            raise

    def _page(self, prefix: str, marker: str | None, client: CosClient) -> ListObjectsResult:
        return client.list_objects(
            self._bucket, prefix=prefix or None, marker=marker, max_keys=self._page_size
        )

    def _list(self, prefix: str, wanted: Sequence[str] | None) -> None:
        """Page through ``prefix``; with ``wanted`` (sorted), stop once past its
        last key, or once HEADing the keys still ahead is cheaper than listing on."""
        marker: str | None = None
        pages = 0
        while True:
            page = self._call(partial(self._page, prefix, marker))
            pages += 1
            listed = [item.key for item in page.contents]
            self._present.update((item.key, item.size) for item in page.contents)
            if not page.is_truncated:
                self._complete.add(prefix)
                self._partial.pop(prefix, None)
                return
            next_marker = page.next_marker or max([*listed, *page.common_prefixes], default=None)
            if not next_marker or next_marker == marker:
                return  # a server that cannot say where to go on: HEAD the rest
            marker = next_marker
            self._partial[prefix] = marker
            if wanted is not None:
                ahead = len(wanted) - bisect.bisect_right(wanted, marker)
                if ahead == 0 or pages * HEADS_PER_PAGE >= ahead:
                    return


# --- a batch ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateCheck:
    """What the files of one batch collide with, found before anything is queued.

    ``in_queue`` holds the queue's tasks for keys of the batch, ``queue_keys`` every
    key the queue holds at that destination (a new name must avoid them all).
    ``repeated`` holds the indexes of entries whose key an earlier entry of the
    same batch already has. ``bucket_checked`` is False when the bucket was not
    looked at (no need, or it could not be read: ``bucket_problem`` says why).

    The key sets are those the check made, never changed after, not frozen
    copies: copying a million keys is one C call that held the GIL for 0.1-0.2 s.
    """

    entries: tuple[ScanEntry, ...]
    in_bucket: AbstractSet[str] = frozenset()
    in_queue: Mapping[str, tuple[QueuedUpload, ...]] = field(default_factory=dict)
    queue_keys: AbstractSet[str] = frozenset()
    repeated: frozenset[int] = frozenset()
    bucket_checked: bool = False
    bucket_problem: str = ""  # the error as the CLI prints it
    bucket_error: TaskError | None = None  # the same, for the window to explain

    def is_duplicate(self, index: int) -> bool:
        key = self.entries[index].key
        return key in self.in_bucket or key in self.in_queue or index in self.repeated

    def duplicate_indexes(self) -> list[int]:
        if not (self.in_bucket or self.in_queue or self.repeated):
            return []  # nothing to look for among a million entries
        return [index for index in range(len(self.entries)) if self.is_duplicate(index)]

    @property
    def duplicate_count(self) -> int:
        return len(self.duplicate_indexes())

    @property
    def bucket_unread(self) -> bool:
        """The bucket could not be read, and the files may upload all the same: it
        may hold some of them unseen (a network or server failure, or keys that may
        write but not list). Not when the answer refused these keys or this bucket:
        the uploads fail the same way, and their rows say why."""
        error = self.bucket_error
        return error is not None and (error.transient or error.code == "AccessDenied")

    @property
    def in_bucket_count(self) -> int:
        return sum(1 for entry in self.entries if entry.key in self.in_bucket)

    @property
    def in_queue_count(self) -> int:
        return sum(1 for entry in self.entries if entry.key in self.in_queue)

    @property
    def uploading_count(self) -> int:
        """Files whose key a task is sending right now (or about to)."""
        return sum(
            1
            for entry in self.entries
            if any(not upload.state.is_final for upload in self.in_queue.get(entry.key, ()))
        )

    def where_found(self, index: int) -> list[str]:
        """Why entry ``index`` is a duplicate, as tags: ``bucket``, ``queue``, ``batch``."""
        key = self.entries[index].key
        tags = []
        if key in self.in_bucket:
            tags.append("bucket")
        if key in self.in_queue:
            tags.append("queue")
        if index in self.repeated:
            tags.append("batch")
        return tags


def _source(entry: ScanEntry) -> str | None:
    return os.path.abspath(entry.path) if entry.path is not None else None


def without_repeats(entries: Iterable[ScanEntry]) -> list[ScanEntry]:
    """``entries`` without an entry met before (the same file added twice to the
    same key in one go: nothing to ask about, it is one upload)."""
    # Key -> the entry first met for it; a key given from a second source too
    # (rare) also keeps its pairs in a set. No tuple per entry for a million files,
    # and no absolute path either until a key comes twice: a million new strings
    # cost a second to make and, freed in one go, a stall of the window.
    first: dict[str, ScanEntry] = {}
    seen_pairs: set[tuple[str, str | None]] = set()
    kept = []
    for entry in entries:
        met = first.get(entry.key)
        if met is None:
            first[entry.key] = entry
        else:
            source = _source(entry)
            if _source(met) == source or (entry.key, source) in seen_pairs:
                continue
            seen_pairs.add((entry.key, source))
        kept.append(entry)
    return kept


def repeated_indexes(entries: Sequence[ScanEntry]) -> frozenset[int]:
    """Indexes of entries whose key an earlier entry already has."""
    seen: set[str] = set()
    repeated = set()
    for index, entry in enumerate(entries):
        if entry.key in seen:
            repeated.add(index)
        seen.add(entry.key)
    return frozenset(repeated)


def check_batch(
    entries: Sequence[ScanEntry],
    queued: Mapping[str, tuple[QueuedUpload, ...]],
    probe: BucketProbe | None,
    *,
    one_walk: bool = False,
) -> DuplicateCheck:
    """Which entries are already queued, already in the bucket (when ``probe`` is
    given) or repeated within the batch. A bucket that cannot be read is not an
    error: the check says why, and the rest of it stands. The same file given
    twice for the same key counts once.

    ``one_walk``: the entries are one path's walk, whose keys cannot repeat (one
    key per relative path), so nothing is looked for among them. The look keeps
    a set of every key, and growing it to a million held the GIL for 30 ms and
    more at a time, in a C call that resizes it."""
    if not one_walk:
        entries = without_repeats(entries)
    # In the walk's order, never a set: BucketProbe.existing sorts them, fast only
    # when they come nearly in order (and every step here is bytecode, which lets
    # the window have the GIL, not one C call over a million keys).
    keys = [entry.key for entry in entries]
    in_bucket: set[str] = set()
    problem = ""
    bucket_error = None
    checked = False
    if probe is not None and keys:
        try:
            in_bucket = probe.existing(keys)
            checked = True
        except CosException as error:
            problem = str(error)
            bucket_error = describe_error(error)
    return DuplicateCheck(
        entries=tuple(entries),
        in_bucket=in_bucket,
        in_queue={key: queued[key] for key in keys if key in queued},
        queue_keys=queued.keys(),
        repeated=frozenset() if one_walk else repeated_indexes(entries),
        bucket_checked=checked,
        bucket_problem=problem,
        bucket_error=bucket_error,
    )


@dataclass(frozen=True)
class BatchPlan:
    """What to queue for a batch once the choice is made.

    ``add``: the entries to queue, renamed ones under their new key. ``renamed``:
    (old key, new key) pairs. ``skipped``: entries left out. ``unchanged``:
    entries left out because the bucket holds their very bytes (the choice
    CHANGED; those that differ are in ``add``). ``already_queued``:
    tasks that upload the very same file to the same key and were not added a
    second time; ``resume`` the ids among them to start again (the choice was to
    overwrite and they were paused or failed). ``conflict``: the policy the added
    tasks carry — overwrite once the bucket was checked here (the decision is
    made), the choice itself when it could not be (the worker checks each key
    when it starts), None when there was nothing to decide.
    """

    add: tuple[ScanEntry, ...]
    renamed: tuple[tuple[str, str], ...] = ()
    skipped: tuple[ScanEntry, ...] = ()
    unchanged: tuple[ScanEntry, ...] = ()
    already_queued: tuple[QueuedUpload, ...] = ()
    resume: tuple[str, ...] = ()
    conflict: ConflictPolicy | None = None


def _same_file_unfinished(entry: ScanEntry, uploads: Iterable[QueuedUpload]) -> QueuedUpload | None:
    path = _source(entry)
    if path is None:
        return None
    return next(
        (upload for upload in uploads if not upload.state.is_final and upload.source_path == path), None
    )


def resolve_batch(
    check: DuplicateCheck,
    choice: ConflictPolicy | None,
    probe: BucketProbe | None = None,
    *,
    queued: Mapping[str, tuple[QueuedUpload, ...]] | None = None,
) -> BatchPlan:
    """Apply ``choice`` to the duplicates of ``check`` (None: there are none, or
    nothing was decided; everything is added as it is).

    - OVERWRITE: every file is queued under its key, except a file whose very
      same upload is already queued and unfinished (restarted if it was paused or
      failed, never sent twice at once).
    - SKIP: duplicates are left out.
    - CHANGED: as OVERWRITE, except that a file whose object in the bucket has
      its size and CRC-64 is left out (``unchanged``). Telling them apart reads
      each file of the same size as its object, a few at a time.
    - RENAME (keep both): duplicates get ``name (1).ext``, ``name (2).ext``, …:
      the first number free in the bucket, in the queue and in this batch.

    ``queued`` is the queue as it is now (the choice may have taken a while);
    ``probe`` answers for renamed keys (None: the bucket is not consulted).
    """
    if queued is None:
        queued, queue_keys = check.in_queue, check.queue_keys
    else:
        queue_keys = queued.keys()
    if choice is None:
        return BatchPlan(add=check.entries)
    conflict = ConflictPolicy.OVERWRITE if check.bucket_checked else choice
    add: list[ScanEntry] = []
    skipped: list[ScanEntry] = []
    unchanged: list[ScanEntry] = []
    same = _held_unchanged(check, probe) if choice is ConflictPolicy.CHANGED else frozenset()
    renamed: list[tuple[str, str]] = []
    already: list[QueuedUpload] = []
    # Keep both's: every key taken, made at its first rename.
    taken: set[str] | None = None
    for index, entry in enumerate(check.entries):
        duplicate = check.is_duplicate(index) or entry.key in queued
        if not duplicate:
            add.append(entry)
            continue
        if choice is ConflictPolicy.SKIP:
            skipped.append(entry)
            continue
        if choice in (ConflictPolicy.OVERWRITE, ConflictPolicy.CHANGED):
            unfinished = _same_file_unfinished(entry, queued.get(entry.key, ()))
            if unfinished is not None and index not in check.repeated:
                already.append(unfinished)
            elif index in same:
                unchanged.append(entry)
            else:
                add.append(entry)
            continue
        if taken is None:
            # From generators, not set(queue_keys): a copy in one C call held the
            # GIL for 0.1 s per million keys; a generator lets other threads in.
            taken = set(key for key in queue_keys)
            taken.update(entry.key for entry in check.entries)
        new_key = _free_key(entry.key, taken, probe if check.bucket_checked else None)
        taken.add(new_key)
        renamed.append((entry.key, new_key))
        add.append(ScanEntry(new_key, entry.path, entry.size, entry.mtime_ns))
    resume = tuple(upload.task_id for upload in already if upload.state.is_resumable)
    return BatchPlan(
        add=tuple(add),
        renamed=tuple(renamed),
        skipped=tuple(skipped),
        unchanged=tuple(unchanged),
        already_queued=tuple(already),
        resume=resume,
        conflict=conflict,
    )


def _held_unchanged(check: DuplicateCheck, probe: BucketProbe | None) -> frozenset[int]:
    """Indexes of the entries whose object in the bucket has their bytes (see
    BucketProbe.holds_same); none when the bucket was not read. A file given twice
    for one key is never one of them: the batch itself replaces that object."""
    if probe is None or not check.bucket_checked:
        return frozenset()
    candidates = [
        index
        for index, entry in enumerate(check.entries)
        if entry.key in check.in_bucket and index not in check.repeated
    ]
    if not candidates:
        return frozenset()
    probe.begin_comparison(len(candidates))
    with ThreadPoolExecutor(COMPARE_WORKERS, thread_name_prefix="cosdesk-compare") as pool:
        held = pool.map(lambda index: probe.holds_same(check.entries[index]), candidates)
        return frozenset(index for index, same in zip(candidates, held, strict=True) if same)


def variants_prefix(key: str) -> str:
    """What every renamed form of ``key`` starts with (``dir/name (`` for ``dir/name.ext``)."""
    return common_prefix([renamed_key(key, 1), renamed_key(key, 2)])


def _free_key(key: str, taken: Collection[str], probe: BucketProbe | None) -> str:
    if probe is not None:
        probe.load_prefix(variants_prefix(key))  # one listing finds every "name (n)" there is
    for number in count(1):
        candidate = renamed_key(key, number)
        if candidate not in taken and (probe is None or not probe.exists(candidate)):
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def plan_batch(
    entries: Sequence[ScanEntry],
    choice: ConflictPolicy,
    *,
    queued: Mapping[str, tuple[QueuedUpload, ...]] | None = None,
    probe: BucketProbe | None = None,
) -> tuple[DuplicateCheck, BatchPlan]:
    """Check and resolve in one go, for a choice known beforehand (the command
    line's ``--if-exists``, a remembered answer)."""
    check = check_batch(entries, queued or {}, probe)
    return check, resolve_batch(check, choice, probe)
