"""UploadQueue: accepts tasks, orders them, runs FileParallelLimit of them at
once on its own QThreadPools, and tells the world what changed.

Threads: the queue lives in the GUI (or CLI) thread. Public methods return at
once: they change in-memory records under a lock and enqueue database writes;
stat-ing files, walking folders, hashing and every request happen on worker
threads. Workers report through the :class:`JobHost` methods (thread-safe), which
mark tasks dirty; a QTimer in the queue's thread turns dirty marks into
coalesced signals at most every ``list_update_interval_ms`` — so the receiver
sees a few signals per second however many bytes move, and signals are always
emitted from the queue's own thread.
"""

from __future__ import annotations

import heapq
import logging
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from cosdesk.cos.client import CosClient
from cosdesk.engine.batch import BatchTracker
from cosdesk.engine.history import TransferJournal
from cosdesk.engine.integrity import FileSource, MemorySource, Source
from cosdesk.engine.limited_source import LimitedSource
from cosdesk.engine.meter import BandwidthLimiter
from cosdesk.engine.options import ConflictPolicy, EndpointSpec, QueueSettings, UploadOptions
from cosdesk.engine.retry import RetryPolicy
from cosdesk.engine.scan import check_key, scan_path
from cosdesk.engine.store import RequestAction, StoredTask, TaskRow, TaskStateRow, TaskStore
from cosdesk.engine.task import (
    BatchProgress,
    FileFinished,
    HashProgress,
    JobControl,
    PartRecord,
    SourceKind,
    StopReason,
    TaskError,
    TaskProgress,
    TaskSnapshot,
    TaskState,
    UploadMethod,
    UploadTask,
)
from cosdesk.engine.worker_pool import WorkerPool
from cosdesk.engine.workers import CleanupJob, FileJob, JobInput, JobOutcome, OutcomeKind

log = logging.getLogger(__name__)

ClientProvider = Callable[[EndpointSpec], CosClient]
_Json = TypeVar("_Json", EndpointSpec, UploadOptions)

# Changes of a running task a restart needs whatever its method (see _resume_needs).
_RESUME_FIELDS = frozenset({"upload_id", "append_start_position", "append_start_crc64", "file_md5", "key"})

# Tasks created per database batch while a folder is walked: the first ones can
# start long before a huge tree is fully listed.
SCAN_BATCH = 500


@dataclass(frozen=True)
class FileToAdd:
    """One local file for :meth:`UploadQueue.add_files`."""

    path: str
    key: str


class _Intake(QRunnable):
    """Stats newly added files and stores them (off the caller's thread)."""

    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._work = work

    def run(self) -> None:
        try:
            self._work()
        except Exception:
            log.exception("adding tasks failed")


class UploadQueue(QObject):
    """The upload queue (the seed's task list with pauseTask / restartTask /
    cancelTask and list-update).

    Give it a :class:`TaskStore` and a ``client_for(EndpointSpec) -> CosClient``
    (one shared client per endpoint: one httpx pool). Call :meth:`restore` once
    to bring back the tasks of an earlier run, and :meth:`shutdown` before
    quitting.
    """

    # Tasks were created (the seed's onTaskReady), in queue order: list[str] of task ids.
    # Fires on the next event tick after add_*; folders add theirs as the walk finds them.
    tasks_added = Signal(list)
    # Coalesced list-update (at most every list_update_interval_ms): list[str] of the
    # ids of tasks whose state, key, size or progress changed. Look them up with task().
    list_updated = Signal(list)
    # Tasks left the list (clear_finished): list[str] of task ids.
    tasks_removed = Signal(list)
    # Per-task progress of uploading tasks, with the list-update tick: TaskProgress.
    task_progress = Signal(object)
    # Hashing / verifying local bytes (the seed's onHashProgress): HashProgress.
    hash_progress = Signal(object)
    # A file ended in success or error (the seed's onFileFinish): FileFinished.
    file_finished = Signal(object)
    # The current batch's progress (see engine/batch.py), on ticks where anything
    # changed: BatchProgress.
    batch_progress = Signal(object)
    # A folder walk skipped something: (path, reason).
    scan_problem = Signal(str, str)
    # Nothing is waiting, running, being added or walked any more (the CLI quits on it).
    idle = Signal()
    # restore_in_background() is done: list[str] of the ids of unfinished tasks.
    restored = Signal(list)
    # Another process asked to pause or cancel tasks here: (action, number of tasks).
    request_applied = Signal(str, int)

    # Internal: a worker thread asks the queue's thread to start the event timer.
    _wake = Signal()
    # Internal: the last work just ended; flush (and say idle) now, not on the next tick.
    _flush_now = Signal()

    def __init__(
        self,
        store: TaskStore,
        client_for: ClientProvider,
        settings: QueueSettings | None = None,
        *,
        default_endpoint: EndpointSpec | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or QueueSettings()
        self._store = store
        # Times each task's runs; logs starts, ends and failures; keeps the history.
        self.journal = TransferJournal(store)
        self._client_for = client_for
        self._client_lock = threading.Lock()
        self.default_endpoint = default_endpoint
        self.limiter = BandwidthLimiter(self.settings.bandwidth_limit_bytes_per_s)
        self._lock = threading.RLock()
        self._tasks: dict[str, UploadTask] = {}
        self._waiting: list[tuple[int, str]] = []  # heap of (position, task_id)
        self._running: set[str] = set()
        self._next_position = 0
        self._pending_intakes = 0
        self._shutting_down = False
        self._batch = BatchTracker()
        # Dirty state, drained by the timer in the queue's thread.
        self._dirty: set[str] = set()
        self._added: list[str] = []
        self._removed: list[str] = []
        # Cleared while their worker was still winding down (a cancel just asked
        # for): removed as soon as that worker ends. See clear_finished.
        self._clear_when_stopped: set[str] = set()
        self._hash_updates: dict[str, HashProgress] = {}
        self._finished: list[FileFinished] = []
        self._problems: list[tuple[str, str]] = []
        self._wake_requested = False
        self._was_busy = False
        # id(options or endpoint) -> (that object, its JSON); see _json_of.
        self._json_cache: dict[int, tuple[object, str]] = {}
        self._parsed_cache: dict[str, object] = {}  # see _parsed_json
        self._restored: list[list[str]] = []
        self._applied_requests: list[tuple[str, int]] = []
        # Running totals over every task, kept by _recount on each change, so an
        # event tick never walks 10,000 tasks: tasks per state (the current batch's
        # figures are kept by self._batch).
        self._state_counts: Counter[TaskState] = Counter()
        # Automatic retries after network failures: a heap of (due, task_id), due in
        # time.monotonic(); the timer lives in the queue's thread.
        self._retry_due: list[tuple[float, str]] = []
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.timeout.connect(self._retry_now)

        # Files, their parts and the small jobs (intake, walking, aborting) get
        # separate pools: a file job waits for its parts, so they must never
        # compete for the same threads.
        background = self.settings.background_workers
        self.file_pool = WorkerPool(self, background=background)
        self.file_pool.setMaxThreadCount(self.settings.file_parallel_limit)
        self.part_pool: QThreadPool = WorkerPool(self, background=background)
        self.part_pool.setMaxThreadCount(self.settings.file_parallel_limit * 3)
        self._aux_pool = WorkerPool(self, background=background)
        self._aux_pool.setMaxThreadCount(2)

        self._timer = QTimer(self)
        self._timer.setInterval(self.settings.list_update_interval_ms)
        self._timer.timeout.connect(self._flush_events)
        self._wake.connect(self._on_wake)
        self._flush_now.connect(self._flush_events)

        # Pause / cancel asked by another process, read from the database on a
        # thread of its own (never on the queue's thread).
        self._watch_stop = threading.Event()
        self._watcher: threading.Thread | None = None
        if self.settings.request_poll_interval_s > 0:
            self._watcher = threading.Thread(
                target=self._watch_requests, name="cosdesk-requests", daemon=True
            )
            self._watcher.start()

    # --- adding -------------------------------------------------------------------

    def add_file(
        self,
        path: str | os.PathLike[str],
        bucket: str,
        key: str,
        options: UploadOptions | None = None,
        endpoint: EndpointSpec | None = None,
    ) -> str:
        """Queue one local file as ``key``; returns its task id at once."""
        return self.add_files([FileToAdd(os.fspath(path), key)], bucket, options, endpoint)[0]

    def add_files(
        self,
        files: Sequence[FileToAdd],
        bucket: str,
        options: UploadOptions | None = None,
        endpoint: EndpointSpec | None = None,
    ) -> list[str]:
        """Queue local files; returns their task ids at once (10,000 files in a few
        tens of milliseconds). Sizes are read and the tasks stored on a worker."""
        options = options or UploadOptions()
        spec = self._endpoint(endpoint)
        with self._lock:
            tasks = [
                self._new_task(
                    bucket, item.key, spec, options, SourceKind.FILE, source_path=os.path.abspath(item.path)
                )
                for item in files
            ]
            self._pending_intakes += 1
        self._aux_pool.start(_Intake(lambda: self._intake(tasks)))
        return [task.task_id for task in tasks]

    def add_bytes(
        self,
        data: bytes,
        bucket: str,
        key: str,
        options: UploadOptions | None = None,
        endpoint: EndpointSpec | None = None,
    ) -> str:
        """Queue an in-memory body (kept in the database until it is uploaded)."""
        spec = self._endpoint(endpoint)
        with self._lock:
            task = self._new_task(
                bucket, key, spec, options or UploadOptions(), SourceKind.MEMORY, data=bytes(data)
            )
            task.size = len(data)
            self._recount(task)
            self._pending_intakes += 1
        self._aux_pool.start(_Intake(lambda: self._intake([task])))
        return task.task_id

    def add_folder_marker(
        self,
        bucket: str,
        key: str,
        options: UploadOptions | None = None,
        endpoint: EndpointSpec | None = None,
    ) -> str:
        """Queue an empty object whose key ends in ``/`` (a folder in COS consoles)."""
        if not key.endswith("/"):
            key += "/"
        spec = self._endpoint(endpoint)
        with self._lock:
            task = self._new_task(
                bucket, key, spec, options or UploadOptions(), SourceKind.FOLDER_MARKER, data=b""
            )
            task.size = 0
            self._pending_intakes += 1
        self._aux_pool.start(_Intake(lambda: self._intake([task])))
        return task.task_id

    def add_paths(
        self,
        paths: Iterable[str | os.PathLike[str]],
        bucket: str,
        prefix: str = "",
        options: UploadOptions | None = None,
        endpoint: EndpointSpec | None = None,
        *,
        include_empty_folders: bool = False,
    ) -> None:
        """Queue files and folders (recursively, keys under ``prefix``, relative paths
        kept, see :func:`scan.scan_path`). Returns at once; the walk runs on a worker
        and its tasks arrive through ``tasks_added``; problems through ``scan_problem``."""
        options = options or UploadOptions()
        spec = self._endpoint(endpoint)
        sources = [os.fspath(path) for path in paths]
        with self._lock:
            self._pending_intakes += 1

        def walk() -> None:
            try:
                batch: list[UploadTask] = []
                for source in sources:
                    contents_only = source.endswith(("/", os.sep)) and os.path.isdir(source)
                    for entry in scan_path(
                        source,
                        prefix,
                        include_empty_folders=include_empty_folders,
                        contents_only=contents_only,
                        on_error=self._scan_problem,
                    ):
                        with self._lock:
                            if self._shutting_down:
                                return
                            if entry.path is None:
                                task = self._new_task(
                                    bucket, entry.key, spec, options, SourceKind.FOLDER_MARKER, data=b""
                                )
                            else:
                                task = self._new_task(
                                    bucket,
                                    entry.key,
                                    spec,
                                    options,
                                    SourceKind.FILE,
                                    source_path=os.path.abspath(entry.path),
                                )
                            task.size = entry.size
                            task.mtime_ns = entry.mtime_ns
                            self._recount(task)
                        batch.append(task)
                        if len(batch) >= SCAN_BATCH:
                            self._store_new(batch, stat_files=False)
                            batch = []
                self._store_new(batch, stat_files=False)
            finally:
                with self._lock:
                    self._pending_intakes -= 1
                    self._was_busy = True  # see _intake
                self._poke()
                self._flush_if_idle()

        self._aux_pool.start(_Intake(walk))

    def _endpoint(self, endpoint: EndpointSpec | None) -> EndpointSpec:
        spec = endpoint or self.default_endpoint
        if spec is None:
            raise ValueError("no endpoint given and the queue has no default endpoint")
        return spec

    def _new_task(
        self,
        bucket: str,
        key: str,
        endpoint: EndpointSpec,
        options: UploadOptions,
        kind: SourceKind,
        *,
        source_path: str | None = None,
        data: bytes | None = None,
    ) -> UploadTask:
        # Called with the lock held.
        task = UploadTask(
            task_id=uuid.uuid4().hex,
            position=self._next_position,
            bucket=bucket,
            key=key,
            endpoint=endpoint,
            options=options,
            source_kind=kind,
            source_path=source_path,
            data=data,
        )
        self._next_position += 1
        self._tasks[task.task_id] = task
        self._batch.join([task])
        self._recount(task)
        self._added.append(task.task_id)
        return task

    def _intake(self, tasks: list[UploadTask]) -> None:
        try:
            self._store_new(tasks, stat_files=True)
        finally:
            with self._lock:
                self._pending_intakes -= 1
                # Work that ends between two event ticks (a tiny file uploads in
                # milliseconds) must still count as busy, or idle never fires.
                self._was_busy = True
            self._poke()
            self._flush_if_idle()

    def _store_new(self, tasks: list[UploadTask], *, stat_files: bool) -> None:
        """Read sizes (when asked), check keys, store the tasks, make them runnable."""
        if not tasks:
            return
        for task in tasks:
            refusal: TaskError | None = None
            key_problem = check_key(task.key)
            if key_problem is not None:
                refusal = TaskError("InvalidKey", key_problem)
            elif stat_files and task.source_kind is SourceKind.FILE and task.source_path:
                try:
                    info = os.stat(task.source_path)
                    task.size, task.mtime_ns = info.st_size, info.st_mtime_ns
                except OSError as error:
                    refusal = TaskError(
                        "InvalidSource", f"cannot read {task.source_path}: {error.strerror or error}"
                    )
            if refusal is not None:
                with self._lock:
                    if task.state is TaskState.WAITING:
                        task.set_state(TaskState.ERROR)
                        task.error = refusal
                        self._finished.append(FileFinished(task.task_id, task.error, None))
                        self.journal.refused(task, task.error)
        # Rows are built outside the lock (the GUI thread may want it meanwhile):
        # these tasks are not runnable yet, so only pause and cancel can change them,
        # and a row whose task changed meanwhile is built again under the lock.
        built = [(task, task.state, self._row(task, with_data=True)) for task in tasks]
        with self._lock:
            rows = [
                row if task.state is state else self._row(task, with_data=True) for task, state, row in built
            ]
            self._store.save_tasks(rows)
            for task in tasks:
                task.ready = True
                self._recount(task)
                if task.state is TaskState.WAITING:
                    heapq.heappush(self._waiting, (task.position, task.task_id))
                self._dirty.add(task.task_id)
        self._schedule()
        self._poke()

    def _scan_problem(self, path: str, message: str) -> None:
        with self._lock:
            self._problems.append((path, message))
        self._poke()

    # --- reading ------------------------------------------------------------------

    def tasks(self) -> list[TaskSnapshot]:
        """Every task, in queue order (the seed's getTaskList)."""
        now = time.monotonic()
        with self._lock:
            return [task.snapshot(now) for task in sorted(self._tasks.values(), key=lambda t: t.position)]

    def task(self, task_id: str) -> TaskSnapshot | None:
        with self._lock:
            task = self._tasks.get(task_id)
            return task.snapshot() if task is not None else None

    def task_parts(self, task_id: str) -> list[PartRecord]:
        """The parts of a multipart task the server has confirmed (and we verified),
        by part number; empty for an unknown or finished task."""
        with self._lock:
            task = self._tasks.get(task_id)
            parts = list(task.parts.values()) if task is not None else []
        return sorted(parts, key=lambda part: part.part_number)

    def batch(self) -> BatchProgress:
        with self._lock:
            return self._batch_progress()

    @property
    def bandwidth_limit_bytes_per_s(self) -> int:
        return self.limiter.limit_bytes_per_s

    # --- control ------------------------------------------------------------------

    def _select(self, task_ids: Iterable[str] | None) -> Iterable[UploadTask]:
        if task_ids is None:
            # Order does not matter to the callers: the waiting heap keeps it.
            return list(self._tasks.values())
        if isinstance(task_ids, str):
            task_ids = [task_ids]
        return [self._tasks[task_id] for task_id in task_ids if task_id in self._tasks]

    def pause(self, task_ids: Iterable[str] | str | None = None) -> None:
        """Pause tasks (all when None): waiting ones stay put, running ones stop
        sending within a second, failed ones waiting for an automatic retry stop
        waiting. Finished parts are kept."""
        with self._lock:
            changed = []
            for task in self._select(task_ids):
                if task.state in (TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING) or (
                    task.state is TaskState.ERROR and task.retry_at is not None
                ):
                    if task.control is not None:
                        task.control.stop(StopReason.PAUSE)
                    self._forget_retry(task)
                    task.set_state(TaskState.PAUSED)
                    changed.append(task)
            self._changed_states(changed)
        self._poke()

    def restart(self, task_ids: Iterable[str] | str | None = None) -> None:
        """Resume paused and failed tasks (all when None): only what is missing is sent."""
        with self._lock:
            tasks = [task for task in self._select(task_ids) if task.state.is_resumable]
            for task in tasks:
                task.network_retries = 0
            self._requeue(tasks)
        self._schedule()
        self._poke()

    def _requeue(self, tasks: list[UploadTask]) -> None:
        # Lock held; every task is paused, in error or canceled.
        self._batch.join(tasks, resumed=True)
        for task in tasks:
            self._forget_retry(task)
            task.set_state(TaskState.WAITING)
            task.error = None
            if task.ready:
                heapq.heappush(self._waiting, (task.position, task.task_id))
        self._changed_states(tasks)

    def retry_failed(self) -> None:
        """Restart every task in error."""
        with self._lock:
            failed = [task.task_id for task in self._tasks.values() if task.state is TaskState.ERROR]
        self.restart(failed)

    def cancel(self, task_ids: Iterable[str] | str | None = None) -> None:
        """Cancel tasks (all unfinished when None): the multipart upload is aborted
        on the server and the checkpoint removed. A finished object is never deleted."""
        cleanups: list[tuple[EndpointSpec, str, str, str, UploadOptions]] = []
        with self._lock:
            changed = []
            forgotten = []
            now = time.time()
            for task in self._select(task_ids):
                if task.state.is_final:
                    continue
                running = task.task_id in self._running
                if task.control is not None:
                    task.control.stop(StopReason.CANCEL)
                self._forget_retry(task)
                task.set_state(TaskState.CANCELED)
                task.finished_at = now
                self.journal.canceled(task)
                if not running and task.upload_id:
                    cleanups.append((task.endpoint, task.bucket, task.key, task.upload_id, task.options))
                if not running:
                    task.upload_id = None
                    if task.parts:
                        task.parts = {}
                        forgotten.append(task.task_id)
                changed.append(task)
            self._store.delete_parts_of(forgotten)
            self._changed_states(changed)
        for cleanup in cleanups:
            # The client is looked up on the worker too: it may read the keyring.
            self._aux_pool.start(_Intake(partial(self._abort_upload, *cleanup)))
        self._poke()

    def _abort_upload(
        self, endpoint: EndpointSpec, bucket: str, key: str, upload_id: str, options: UploadOptions
    ) -> None:
        CleanupJob(self.client_for(endpoint), bucket, key, upload_id, self.retry_policy(options)).run()

    def upload_again(self, task_ids: Iterable[str] | str) -> None:
        """Queue canceled tasks again, from the first byte (cancel threw away what
        they had sent). Other tasks are left as they are."""
        with self._lock:
            tasks = [task for task in self._select(task_ids) if task.state is TaskState.CANCELED]
            for task in tasks:
                task.start_over()
                task.network_retries = 0
            self._requeue(tasks)
            for task in tasks:
                self._changed(task)  # the whole row: its upload ID, MD5, append start went
        self._schedule()
        self._poke()

    def clear_finished(self, task_ids: Iterable[str] | str | None = None) -> list[str]:
        """Remove succeeded and canceled tasks (all of them, or those of ``task_ids``)
        from the list and the database; others are left. A canceled task whose worker
        is still stopping goes as soon as it has stopped."""
        with self._lock:
            final = [t for t in self._select(task_ids) if t.state.is_final]
            gone = [t.task_id for t in final if t.task_id not in self._running]
            self._clear_when_stopped.update(t.task_id for t in final if t.task_id in self._running)
            self._remove(gone)
        self._poke()
        return gone

    def _remove(self, task_ids: list[str]) -> None:
        # Called with the lock held.
        for task_id in task_ids:
            task = self._tasks.pop(task_id)
            self._recount(task)
            self._dirty.discard(task_id)
        self._store.delete_tasks(task_ids)
        self._removed.extend(task_ids)

    def move_to_top(self, task_ids: Sequence[str] | str) -> None:
        """Run these waiting tasks before all others (in the order given)."""
        ids = [task_ids] if isinstance(task_ids, str) else list(task_ids)
        with self._lock:
            first = min((t.position for t in self._tasks.values()), default=0)
            for offset, task in enumerate(self._select(ids)):
                self._reposition(task, first - len(ids) + offset)
        self._poke()

    def move_to_bottom(self, task_ids: Sequence[str] | str) -> None:
        ids = [task_ids] if isinstance(task_ids, str) else list(task_ids)
        with self._lock:
            for task in self._select(ids):
                self._reposition(task, self._next_position)
                self._next_position += 1
        self._poke()

    def move_up(self, task_id: str) -> None:
        self._swap_with_neighbour(task_id, -1)

    def move_down(self, task_id: str) -> None:
        self._swap_with_neighbour(task_id, +1)

    def _swap_with_neighbour(self, task_id: str, direction: int) -> None:
        with self._lock:
            ordered = sorted(self._tasks.values(), key=lambda t: t.position)
            index = next((i for i, t in enumerate(ordered) if t.task_id == task_id), None)
            if index is None or not 0 <= index + direction < len(ordered):
                return
            task, neighbour = ordered[index], ordered[index + direction]
            task_position, neighbour_position = task.position, neighbour.position
            self._reposition(task, neighbour_position)
            self._reposition(neighbour, task_position)
        self._poke()

    def _reposition(self, task: UploadTask, position: int) -> None:
        task.position = position
        if task.state is TaskState.WAITING and task.ready:
            heapq.heappush(self._waiting, (position, task.task_id))
        self._changed(task)

    def set_bandwidth_limit(self, limit_bytes_per_s: int) -> None:
        """The global upload limit in bytes/s (0: unlimited), effective at once."""
        self.limiter.set_limit(limit_bytes_per_s)

    def set_file_parallel_limit(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("FileParallelLimit must be at least 1")
        with self._lock:
            self.settings = QueueSettings(**{**self.settings.__dict__, "file_parallel_limit": limit})
            self.file_pool.setMaxThreadCount(limit)
        self._schedule()

    # --- running ------------------------------------------------------------------

    def _schedule(self) -> None:
        """Start waiting tasks, in order, while fewer than FileParallelLimit run. A task
        whose key another running task is sending waits until that one ends: two
        uploads of one key at once would race, and a key added again while it
        uploads must end with what was added last."""
        with self._lock:
            if self._shutting_down:
                return
            held_back: list[tuple[int, str]] = []
            while self._waiting and len(self._running) < self.settings.file_parallel_limit:
                position, task_id = heapq.heappop(self._waiting)
                task = self._tasks.get(task_id)
                if (
                    task is None
                    or task.state is not TaskState.WAITING
                    or task.position != position
                    or task_id in self._running
                    or not task.ready
                ):
                    continue  # a stale heap entry; the task's live entry is elsewhere
                if self._key_in_flight(task):
                    held_back.append((position, task_id))
                    continue
                self._start(task)
            for entry in held_back:
                heapq.heappush(self._waiting, entry)

    def _key_in_flight(self, task: UploadTask) -> bool:
        # Lock held. At most FileParallelLimit tasks run: a scan is cheap.
        for running_id in self._running:
            other = self._tasks.get(running_id)
            if (
                other is not None
                and other.key == task.key
                and other.bucket == task.bucket
                and other.endpoint == task.endpoint
            ):
                return True
        return False

    def _start(self, task: UploadTask) -> None:
        # Called with the lock held.
        control = JobControl()
        task.control = control
        task.set_state(TaskState.CHECKING)
        task.meter.reset()
        task.loaded = sum(part.size for part in task.parts.values())
        self.journal.started(task)
        self._running.add(task.task_id)
        self._was_busy = True
        source: Source
        if task.source_kind is SourceKind.FILE:
            assert task.source_path is not None
            source = FileSource(task.source_path)
        else:
            source = MemorySource(task.data or b"")
        # Each chunk waits for the bandwidth limit before it goes out, not after.
        source = LimitedSource(source, self.limiter, control.check)
        job = JobInput(
            task_id=task.task_id,
            bucket=task.bucket,
            key=task.key,
            endpoint=task.endpoint,
            options=task.options,
            source=source,
            size=task.size,
            mtime_ns=task.mtime_ns,
            method=task.method,
            upload_id=task.upload_id,
            part_size=task.part_size,
            parts=dict(task.parts),
            append_start_position=task.append_start_position,
            append_start_crc64=task.append_start_crc64,
            file_md5=task.file_md5,
            key_resolved=task.key_resolved,
            is_folder_marker=task.source_kind is SourceKind.FOLDER_MARKER,
        )
        self._changed(task, persist=False)  # checking: restored as waiting anyway
        needed_part_threads = self.settings.file_parallel_limit * task.options.chunk_parallel_limit
        if self.part_pool.maxThreadCount() < needed_part_threads:
            self.part_pool.setMaxThreadCount(min(needed_part_threads, 64))
        self.file_pool.start(FileJob(self, job, control))

    # --- JobHost (called from worker threads) --------------------------------------

    def client_for(self, endpoint: EndpointSpec) -> CosClient:
        with self._client_lock:
            return self._client_for(endpoint)

    def retry_policy(self, options: UploadOptions) -> RetryPolicy:
        return RetryPolicy(options.retries, self.settings.retry_base_delay_s, self.settings.retry_max_delay_s)

    def _live(self, task_id: str) -> UploadTask | None:
        task = self._tasks.get(task_id)
        return task if task is not None and task_id in self._running else None

    def job_update(self, task_id: str, **changes: object) -> None:
        with self._lock:
            task = self._live(task_id)
            if task is None:
                return
            # Workers report what they hold, often unchanged (size and mtime known
            # since the scan): a row write per report is most of a small file's cost.
            changed = [name for name, value in changes.items() if getattr(task, name) != value]
            if not changed:
                return
            for name in changed:
                setattr(task, name, changes[name])
            self._changed(task, persist=self._resume_needs(task, changed))
        self._poke()

    @staticmethod
    def _resume_needs(task: UploadTask, changed: list[str]) -> bool:
        """Whether a restart after a crash needs these changes of a running task.
        A simple PUT holds nothing to resume (it is sent again from the start), so
        its method, size or "conflict policy applied" mark are not written: a row
        write per report was most of a small file's cost. What is written: progress
        (upload ID, append start, MD5), a renamed key (with RENAME, so a restart does
        not rename it once more), and anything of a multipart or append upload (its
        method and resolved key tell a restart to look for an upload whose ID was
        not recorded yet)."""
        if task.method is not None and task.method is not UploadMethod.PUT:
            return True
        if any(name in _RESUME_FIELDS for name in changed):
            return True
        return "key_resolved" in changed and task.options.conflict is not ConflictPolicy.OVERWRITE

    def job_state(self, task_id: str, state: TaskState) -> None:
        with self._lock:
            task = self._live(task_id)
            # A pause or cancel decided by the user wins over what the worker reports.
            if task is None or task.control is None or task.control.stopped or task.state is state:
                return
            task.set_state(state)
            self._changed(task, persist=not state.is_active)
        self._poke()

    def job_progress(self, task_id: str, byte_count: int) -> None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return
            now = time.monotonic()
            task.add_progress(byte_count, now)
            self._batch.add_bytes(byte_count, now)
            self._recount(task)
            self._dirty.add(task_id)
        self._poke()

    def job_hash_progress(self, task_id: str, loaded: int, total: int) -> None:
        now = time.monotonic()
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return
            if loaded == 0 or task.hash_started_at is None:
                task.hash_started_at = now
            elapsed = max(now - task.hash_started_at, 1e-3)
            self._hash_updates[task_id] = HashProgress(
                task_id, loaded, total, loaded / elapsed if loaded else 0.0, loaded / total if total else 1.0
            )
        self._poke()

    def job_parts_replaced(self, task_id: str, parts: dict[int, PartRecord]) -> None:
        with self._lock:
            task = self._live(task_id)
            if task is None:
                return
            task.parts = dict(parts)
            task.loaded = sum(part.size for part in parts.values())
            self._recount(task)
            self._store.delete_parts(task_id)
            for part in parts.values():
                self._store.save_part(task_id, part)
            self._dirty.add(task_id)
        self._poke()

    def job_part_done(self, task_id: str, part: PartRecord) -> None:
        with self._lock:
            task = self._live(task_id)
            if task is None:
                return
            task.parts[part.part_number] = part
            self._store.save_part(task_id, part)
            self._dirty.add(task_id)

    def job_ended(self, task_id: str, control: JobControl, outcome: JobOutcome) -> None:
        with self._lock:
            self._running.discard(task_id)
            task = self._tasks.get(task_id)
            if task is not None and task.control is control:
                task.control = None
                self._finish(task, control, outcome)
            if task_id in self._clear_when_stopped:
                self._clear_when_stopped.discard(task_id)
                if task is not None and task.state.is_final:
                    self._remove([task_id])
            self._schedule()  # in the same hold of the lock: a small file ends every ms
            idle = not self._busy()
        self._poke()
        if idle:
            # Nothing left to do: emit the last events (and ``idle``) at once; waiting
            # for the next tick made every ``cosdesk upload`` up to a tick longer.
            self._flush_now.emit()

    def _flush_if_idle(self) -> None:
        """When nothing is left to do, emit the last events (and ``idle``) at once."""
        with self._lock:
            idle = not self._busy()
        if idle:
            self._flush_now.emit()

    def _finish(self, task: UploadTask, control: JobControl, outcome: JobOutcome) -> None:
        # Called with the lock held, after the task's job has ended.
        if outcome.kind is OutcomeKind.SUCCESS:
            # The object exists: the late-success rule of UploadTask.succeed.
            task.succeed()
            task.result = outcome.result
            task.error = None
            task.finished_at = time.time()
            task.loaded = task.size or 0
            task.upload_id = None
            task.network_retries = 0
            if task.parts:  # the stored parts are exactly these (job_part_done)
                self._store.delete_parts(task.task_id)
            task.parts = {}
            self._finished.append(FileFinished(task.task_id, None, outcome.result))
            self.journal.succeeded(task, skipped=outcome.result is not None and outcome.result.skipped)
        elif outcome.kind is OutcomeKind.FAILED and not control.stopped:
            task.set_state(TaskState.ERROR)
            task.error = outcome.error
            if outcome.error is not None and outcome.error.transient:
                self._plan_retry(task)
            else:
                task.network_retries = 0
            self._finished.append(FileFinished(task.task_id, outcome.error, None))
            self.journal.failed(task, outcome.error)
        elif control.reason is StopReason.CANCEL:
            # The journal heard of it when cancel() was called.
            task.upload_id = None
            task.parts = {}
            self._store.delete_parts(task.task_id)
        elif control.reason is StopReason.SHUTDOWN:
            # Leave the stored state as it is: the next start finds it unfinished.
            self.journal.interrupted(task)
            return
        else:
            self.journal.paused(task)
        if task.state is TaskState.WAITING:
            # Restarted while its old job was stopping: its heap entry may be gone.
            heapq.heappush(self._waiting, (task.position, task.task_id))
        # A simple PUT's success may wait for a shared commit: lost to a kill -9, the
        # task comes back waiting and the same bytes are sent to the same key again.
        simple = task.method is None or task.method is UploadMethod.PUT
        self._changed(task, lazy=simple and task.state is TaskState.SUCCESS)

    # --- events -------------------------------------------------------------------

    def _changed(self, task: UploadTask, *, persist: bool = True, lazy: bool = False) -> None:
        """Record a change of a stored field (lock held): persist and mark dirty.
        ``persist=False`` for a change a restart does not need (checking and
        uploading come back as waiting): a row write per transition was a large
        part of a small file's cost. ``lazy``: the write may share a later commit
        (see TaskStore.save_task)."""
        if task.ready and persist:
            self._store.save_task(self._row(task, with_data=False), lazy=lazy)
        self._recount(task)
        self._dirty.add(task.task_id)

    def _changed_states(self, tasks: list[UploadTask]) -> None:
        """:meth:`_changed` for many tasks whose state, error, note, finish time or
        upload id changed (pause, restart, cancel): one narrow database write."""
        self._store.save_states(
            TaskStateRow(task.task_id, task.state, task.error, task.note, task.finished_at, task.upload_id)
            for task in tasks
            if task.ready
        )
        for task in tasks:
            self._recount(task)
            self._dirty.add(task.task_id)

    def _recount(self, task: UploadTask) -> None:
        """Bring the running totals (tasks per state here, the batch's figures in
        self._batch) up to date with one task (lock held): take out what it counted
        before, add what it counts now (nothing once it left)."""
        present = task.task_id in self._tasks
        self._batch.recount(task, present=present)
        if task.counted is not None:
            self._state_counts[task.counted] -= 1
        task.counted = task.state if present else None
        if present:
            self._state_counts[task.state] += 1

    # --- automatic retries after network failures ----------------------------------

    def _plan_retry(self, task: UploadTask) -> None:
        """Start a task that failed on the network again by itself, later (lock held)."""
        delays = self.settings.network_retry_delays_s
        if not delays or self._shutting_down:
            return
        delay = delays[min(task.network_retries, len(delays) - 1)]
        task.network_retries += 1
        task.retry_delay_s = delay
        task.retry_at = time.time() + delay
        task.note = f"waiting for the network; retrying in {delay:g} s"
        heapq.heappush(self._retry_due, (time.monotonic() + delay, task.task_id))

    def _forget_retry(self, task: UploadTask) -> None:
        # Lock held. The heap entry stays: _retry_now skips it (retry_at is None).
        if task.retry_at is not None:
            task.retry_at = task.retry_delay_s = None
            task.note = ""

    def _arm_retry_timer(self) -> None:
        # Queue's thread, lock held.
        if not self._retry_due or self._shutting_down:
            return
        wait_ms = max(0, int((self._retry_due[0][0] - time.monotonic()) * 1000) + 1)
        if not self._retry_timer.isActive() or self._retry_timer.remainingTime() > wait_ms:
            self._retry_timer.start(wait_ms)

    @Slot()
    def _retry_now(self) -> None:
        now = time.monotonic()
        with self._lock:
            due: list[UploadTask] = []
            while self._retry_due and self._retry_due[0][0] <= now:
                _, task_id = heapq.heappop(self._retry_due)
                task = self._tasks.get(task_id)
                if task is not None and task.state is TaskState.ERROR and task.retry_at is not None:
                    due.append(task)
            if due:
                self._requeue(due)
            self._arm_retry_timer()
        if due:
            self._schedule()
            self._poke()

    def _poke(self) -> None:
        """Make sure the event timer runs (from any thread; cheap when it does)."""
        with self._lock:
            if self._wake_requested:
                return
            self._wake_requested = True
        self._wake.emit()

    @Slot()
    def _on_wake(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def _flush_events(self) -> None:
        now = time.monotonic()
        with self._lock:
            added, self._added = self._added, []
            removed, self._removed = self._removed, []
            dirty = [task_id for task_id in self._dirty if task_id in self._tasks]
            self._dirty.clear()
            hashes, self._hash_updates = list(self._hash_updates.values()), {}
            finished, self._finished = self._finished, []
            problems, self._problems = self._problems, []
            restored, self._restored = self._restored, []
            applied, self._applied_requests = self._applied_requests, []
            self._arm_retry_timer()
            progress: list[TaskProgress] = [
                self._tasks[task_id].progress(now)
                for task_id in dirty
                if self._tasks[task_id].state in (TaskState.UPLOADING, TaskState.CHECKING, TaskState.SUCCESS)
            ]
            uploading = [t for t in self._running if self._tasks[t].state is TaskState.UPLOADING]
            for task_id in uploading:
                # Speed and ETA move even in a tick without bytes (a stalled upload).
                if task_id not in dirty:
                    dirty.append(task_id)
                    progress.append(self._tasks[task_id].progress(now))
            changed = bool(added or removed or dirty or hashes or finished or problems or restored or applied)
            batch = self._batch_progress() if changed else None
            busy = self._busy()
            if not busy and not changed:
                self._timer.stop()
                self._wake_requested = False
            became_idle = self._was_busy and not busy
            if became_idle:
                self._batch.settle(now)
            self._was_busy = busy
        for path, message in problems:
            self.scan_problem.emit(path, message)
        if added:
            self.tasks_added.emit(added)
        for hashed in hashes:
            self.hash_progress.emit(hashed)
        for moved in progress:
            self.task_progress.emit(moved)
        if dirty:
            self.list_updated.emit(dirty)
        if removed:
            self.tasks_removed.emit(removed)
        for event in finished:
            self.file_finished.emit(event)
        for unfinished in restored:
            self.restored.emit(unfinished)
        for action, count in applied:
            self.request_applied.emit(action, count)
        if batch is not None:
            self.batch_progress.emit(batch)
        if became_idle:
            self.idle.emit()

    def _busy(self) -> bool:
        # A task in error waiting for its automatic retry does not count: the CLI
        # ends (saying what failed) and tests see the failure; the window, which
        # stays open, retries it when it is due.
        return bool(self._running or self._pending_intakes or self._state_counts[TaskState.WAITING])

    def is_idle(self) -> bool:
        with self._lock:
            return not self._busy()

    def _batch_progress(self) -> BatchProgress:
        # Lock held. At most FileParallelLimit tasks run.
        running = [self._tasks[task_id] for task_id in self._running if task_id in self._tasks]
        return self._batch.progress(running, self.settings.file_parallel_limit)

    # --- persistence --------------------------------------------------------------

    def _row(self, task: UploadTask, *, with_data: bool) -> TaskRow:
        return TaskRow(
            task_id=task.task_id,
            position=task.position,
            bucket=task.bucket,
            key=task.key,
            endpoint_json=self._json_of(task.endpoint),
            options_json=self._json_of(task.options),
            source_kind=task.source_kind,
            source_path=task.source_path,
            data=task.data if with_data else None,
            size=task.size,
            mtime_ns=task.mtime_ns,
            state=task.state,
            method=task.method,
            upload_id=task.upload_id,
            part_size=task.part_size,
            append_start_position=task.append_start_position,
            append_start_crc64=task.append_start_crc64,
            file_md5=task.file_md5,
            key_resolved=task.key_resolved,
            error=task.error,
            note=task.note,
            result=task.result,
            created_at=task.created_at,
            finished_at=task.finished_at,
        )

    def _json_of(self, value: EndpointSpec | UploadOptions) -> str:
        """``value.to_json()``, once per object: the options and endpoint of a task are
        frozen and shared by every task added together, and serialising them for each
        row write cost more than the write itself."""
        cached = self._json_cache.get(id(value))
        if cached is None or cached[0] is not value:
            cached = (value, value.to_json())
            self._json_cache[id(value)] = cached
        return cached[1]

    def restore(self, *, resume: bool | None = None, task_ids: Collection[str] | None = None) -> list[str]:
        """Bring back the tasks stored by an earlier run, synchronously (the CLI; the
        window uses :meth:`restore_in_background`). Call once, at start-up. Tasks
        that were waiting or running come back waiting when ``resume`` (default:
        ``settings.resume_on_start``), paused otherwise; paused and failed ones stay
        so. ``task_ids``: only these tasks (``cosdesk tasks resume ID…``); the others
        stay in the database exactly as they are. Returns the ids of unfinished tasks."""
        resume = self.settings.resume_on_start if resume is None else resume
        unfinished = self._restore(resume, task_ids)
        self._schedule()
        self._poke()
        return unfinished

    def restore_in_background(
        self, *, resume: bool | None = None, hold: Callable[[EndpointSpec], str | None] | None = None
    ) -> None:
        """:meth:`restore` on a worker thread: returns at once (reading 10,000 stored
        tasks takes about a second), the tasks arrive through ``tasks_added`` and
        ``restored`` fires when all are back. ``hold(endpoint)``, called on that
        worker once per endpoint, may keep the tasks of an endpoint paused that
        would resume: it returns the note they show (why), or None."""
        resume = self.settings.resume_on_start if resume is None else resume
        with self._lock:
            self._pending_intakes += 1

        def work() -> None:
            try:
                unfinished = self._restore(resume, hold=hold)
                with self._lock:
                    self._restored.append(unfinished)
                self._schedule()
            finally:
                with self._lock:
                    self._pending_intakes -= 1
                    self._was_busy = True
                self._poke()

        self._aux_pool.start(_Intake(work))

    def _restore(
        self,
        resume: bool,
        task_ids: Collection[str] | None = None,
        hold: Callable[[EndpointSpec], str | None] | None = None,
    ) -> list[str]:
        stored = self._store.load_tasks()
        if task_ids is not None:
            stored = [item for item in stored if item.row.task_id in task_ids]
        # Built outside the lock: a GUI thread calling tasks() meanwhile never waits long.
        built = [self._task_from_store(item) for item in stored]
        held: dict[EndpointSpec, str | None] = {}
        if hold is not None and resume:  # may read the keyring: not under the lock
            held = {endpoint: hold(endpoint) for endpoint in {task.endpoint for task in built}}
        unfinished: list[str] = []
        with self._lock:
            for task in built:
                if task.task_id in self._tasks:
                    continue
                if task.state in (TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING):
                    held_because = held.get(task.endpoint)
                    task.set_state(TaskState.WAITING if resume and not held_because else TaskState.PAUSED)
                    if held_because:
                        task.note = held_because
                    elif not resume:
                        task.note = task.note or "interrupted when the program stopped; paused"
                    self._store.save_task(self._row(task, with_data=False))
                if not task.state.is_final:
                    unfinished.append(task.task_id)
                self._tasks[task.task_id] = task
                if task.state is TaskState.WAITING:
                    self._batch.join([task])
                self._recount(task)
                self._next_position = max(self._next_position, task.position + 1)
                self._added.append(task.task_id)
                if task.state is TaskState.WAITING:
                    heapq.heappush(self._waiting, (task.position, task.task_id))
        return unfinished

    def _parsed_json(self, text: str, kind: type[_Json]) -> _Json:
        """``kind.from_json(text)``, once per distinct text: tasks added together
        share their options, and parsing them per task was most of restore's time."""
        with self._lock:
            cached = self._parsed_cache.get(text)
        if not isinstance(cached, kind):
            cached = kind.from_json(text)
            with self._lock:
                self._parsed_cache[text] = cached
        return cached

    def _task_from_store(self, item: StoredTask) -> UploadTask:
        row = item.row
        task = UploadTask(
            task_id=row.task_id,
            position=row.position,
            bucket=row.bucket,
            key=row.key,
            endpoint=self._parsed_json(row.endpoint_json, EndpointSpec),
            options=self._parsed_json(row.options_json, UploadOptions),
            source_kind=row.source_kind,
            source_path=row.source_path,
            data=row.data,
            size=row.size,
            mtime_ns=row.mtime_ns,
            state=row.state,
            method=row.method,
            upload_id=row.upload_id,
            part_size=row.part_size,
            parts={part.part_number: part for part in item.parts},
            append_start_position=row.append_start_position,
            append_start_crc64=row.append_start_crc64,
            file_md5=row.file_md5,
            key_resolved=row.key_resolved,
            error=row.error,
            note=row.note,
            result=row.result,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )
        task.loaded = (task.size or 0) if task.state is TaskState.SUCCESS else sum(p.size for p in item.parts)
        task.ready = True
        return task

    # --- requests from other processes ----------------------------------------------

    def _watch_requests(self) -> None:
        """The request watcher's thread: every ``request_poll_interval_s``, apply the
        pause / cancel requests other processes posted since this queue started."""
        try:
            seen = self._store.last_request_id()
            while not self._watch_stop.wait(self.settings.request_poll_interval_s):
                for request in self._store.requests_after(seen):
                    seen = request.request_id
                    self._apply_request(request.action, request.task_id)
        except Exception:
            if not self._watch_stop.is_set():  # the store closed under a queue not shut down
                log.exception("watching for pause / cancel requests stopped")

    def _apply_request(self, action: RequestAction, task_id: str | None) -> None:
        with self._lock:
            targets = [task_id] if task_id is not None else None
            count = sum(1 for task in self._select(targets) if not task.state.is_final)
            if count:
                self._applied_requests.append((str(action), count))
        if not count:
            return
        log.info("another process asked to %s %s", action, f"task {task_id}" if task_id else "all tasks")
        if action is RequestAction.PAUSE:
            self.pause(targets)
        else:
            self.cancel(targets)

    # --- shutting down ------------------------------------------------------------

    def shutdown(self, wait: bool = True, timeout_s: float = 30.0) -> bool:
        """Stop every worker (their tasks stay unfinished in the database, to be
        restored next time), wait for them when ``wait``, and commit the database.
        Returns False if workers were still running at the timeout."""
        with self._lock:
            self._shutting_down = True
            for task in self._tasks.values():
                if task.control is not None:
                    task.control.stop(StopReason.SHUTDOWN)
        self._timer.stop()
        self._retry_timer.stop()
        self._watch_stop.set()
        if self._watcher is not None and wait:
            self._watcher.join(timeout_s)
        finished = True
        if wait:
            deadline_ms = int(timeout_s * 1000)
            finished = self._aux_pool.waitForDone(deadline_ms)
            finished = self.file_pool.waitForDone(deadline_ms) and finished
            finished = self.part_pool.waitForDone(deadline_ms) and finished
            self._store.flush()
        return finished
