"""UploadQueue: accepts tasks, orders them, runs FileParallelLimit of them at
once on its own thread pools (``engine/thread_pool.py``), and tells the world
what changed.

Threads: the queue lives in the GUI (or CLI) thread. Public methods return at
once: they change in-memory records under a lock and enqueue database writes;
stat-ing files, walking folders, hashing and every request happen on worker
threads. Workers report through the :class:`JobHost` methods (thread-safe), which
mark tasks dirty; a timer in the queue's thread (its loop's) turns dirty marks into
coalesced signals at most every ``list_update_interval_ms`` — so the receiver
sees a few signals per second however many bytes move, and signals are always
emitted from the queue's own thread.

The queue keeps the decisions that need all of its records (queue_records.py);
its parts (task_reads.py, task_restore.py, intake.py, scheduler.py,
task_repository.py, pending_events.py, retry_scheduler.py, request_watcher.py)
each do one job (see ARCHITECTURE.md, 'Parts of the queue').
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import partial

from cosdesk.cos.client import CosClient
from cosdesk.cos.errors import CosError, CosException
from cosdesk.engine.batch_numbers import new_batch_token
from cosdesk.engine.concurrency import MAX_REQUESTS, ConcurrencyStatus, ConcurrencyTuner
from cosdesk.engine.handover import LEASE_RETRY_S, held_note, take_checkpoint, take_final_state
from cosdesk.engine.history import TransferJournal
from cosdesk.engine.intake import (
    SCAN_BATCH,
    FileToAdd,
    NewSource,
    new_task,
    refusal,
    scan_sources,
)
from cosdesk.engine.integrity import FileSource, MemorySource, Source
from cosdesk.engine.limited_source import LimitedSource
from cosdesk.engine.loop import Loop, Signal
from cosdesk.engine.meter import BandwidthLimiter
from cosdesk.engine.options import ConflictPolicy, EndpointSpec, QueueSettings, UploadOptions
from cosdesk.engine.ownership import TAKE_AHEAD, TaskLeases
from cosdesk.engine.queue_records import QueueRecords
from cosdesk.engine.request_watcher import RequestWatcher
from cosdesk.engine.resting import RestingTask, wake
from cosdesk.engine.retry import RetryPolicy
from cosdesk.engine.retry_scheduler import RetryScheduler
from cosdesk.engine.scan import ScanEntry
from cosdesk.engine.store import RequestAction, TaskStore
from cosdesk.engine.task import (
    BatchProgress,
    Checkpoint,
    CompactRow,
    FileFinished,
    FileResult,
    HashProgress,
    JobControl,
    PartRecord,
    RestingState,
    SourceKind,
    StopReason,
    TaskFigures,
    TaskProgress,
    TaskSnapshot,
    TaskState,
    UploadMethod,
    UploadTask,
)
from cosdesk.engine.task_reads import TaskReads
from cosdesk.engine.task_repository import TaskRepository
from cosdesk.engine.task_restore import Hold, TaskRestorer
from cosdesk.engine.thread_pool import Call, ThreadPool
from cosdesk.engine.workers import CleanupJob, FileJob, JobInput, JobOutcome, JobStart, OutcomeKind

# FileToAdd is named here too: callers think of the queue's add_files.
__all__ = ["FileToAdd", "UploadQueue"]

log = logging.getLogger(__name__)

ClientProvider = Callable[[EndpointSpec], CosClient]


# Checkpoint fields a restart needs whatever the upload's method (see _resume_needs).
_RESUME_FIELDS = ("upload_id", "append_start_position", "append_start_crc64", "file_md5", "renamed_key")

# How long a shutdown waits for the requests in flight to be answered before it
# ends them (CosClient.stop_requests): a server that answers does so in
# milliseconds, and a Complete or an abort cut short is left for the resume.
ANSWER_GRACE_S = 3.0
# How far adding files may run ahead (see _keep_up_with_intake): new tasks not
# yet written to the database (about a kilobyte each), and intake jobs not yet run.
# The table's feed waits for the writer before each read of tasks at rest: with
# 20,000 ahead it waited seconds a read, and a million rows filled at 700 a second.
_INSERTS_AHEAD = 2_000
_INTAKES_AHEAD = 20
# A walk slower than this for a slice of SCAN_BATCH files (a network share, a
# busy disk) finds files more slowly than small files upload here (500 a
# second): uploads go while it walks (_adding_files).
_SLOW_WALK_SLICE_S = 1.0
# Tasks a bulk command (pause, resume, cancel, clear) changes per hold of the
# lock: "Pause all" on 100,000 tasks held it for 0.7 s in one go, and every other
# thread, the window's event tick among them, waited that long.
_COMMAND_SLICE = 2_000
_BETWEEN_SLICES_S = 0.001

# Part threads at most, whatever the limits (a fixed 16 files x 32 parts would ask 512).
MAX_PART_THREADS = 64


class UploadQueue:
    """The upload queue (the seed's task list with pauseTask / restartTask /
    cancelTask and list-update).

    Give it a :class:`TaskStore` and a ``client_for(EndpointSpec) -> CosClient``
    (one shared client per endpoint: one httpx pool). Call :meth:`restore` once
    to bring back the tasks of an earlier run, and :meth:`shutdown` before
    quitting. It lives in ``loop``'s thread (``engine/loop.py``; by default the
    Qt event loop of the thread that makes it), where its signals are emitted.
    """

    # Tasks were created (the seed's onTaskReady), in queue order: list[str] of task
    # ids, and dict[str, CompactRow]: the rows of the new ones as they were made (a
    # reader shows those without reading them back, unless they changed since, which
    # list_updated tells). Fires on the next event tick after add_*; folders add
    # theirs as the walk finds them.
    tasks_added = Signal()
    # Coalesced list-update (at most every list_update_interval_ms): list[str] of the
    # ids of tasks whose state, key, size or progress changed. Look them up with task().
    list_updated = Signal()
    # Tasks left the list (clear_finished): list[str] of task ids.
    tasks_removed = Signal()
    # Per-task progress of uploading tasks, with the list-update tick: TaskProgress.
    task_progress = Signal()
    # Hashing / verifying local bytes (the seed's onHashProgress): HashProgress.
    hash_progress = Signal()
    # A file ended in success or error (the seed's onFileFinish): FileFinished.
    file_finished = Signal()
    # The current batch's progress (see engine/batch.py), on ticks where anything
    # changed: BatchProgress.
    batch_progress = Signal()
    # A folder walk skipped something: (path, reason).
    scan_problem = Signal()
    # Nothing is waiting, running, being added or walked any more (the CLI quits on it).
    idle = Signal()
    # restore_in_background() is done: list[str] of the ids of unfinished tasks.
    restored = Signal()
    # Another process asked to pause or cancel tasks here: (action, number of tasks).
    request_applied = Signal()

    def __init__(
        self,
        store: TaskStore,
        client_for: ClientProvider,
        settings: QueueSettings | None = None,
        *,
        default_endpoint: EndpointSpec | None = None,
        loop: Loop | None = None,
    ) -> None:
        if loop is None:  # the window's, and a test's with a Qt event loop
            from cosdesk.engine.qt_loop import QtLoop

            loop = QtLoop()
        # The thread the queue lives in: its event tick, retries and signals.
        self._loop = loop
        self.settings = settings or QueueSettings()
        # Everything the queue reads from and writes to the task database.
        self._repository = TaskRepository(store)
        # Times each task's runs; logs starts, ends and failures; keeps the history.
        self.journal = TransferJournal(store)
        # One process per task: a job sends only a task whose lease it took.
        self.leases = TaskLeases(store)
        self._client_for = client_for
        self._client_lock = threading.Lock()
        # The clients jobs were given: a shutdown ends their requests in flight.
        self._clients_used: set[CosClient] = set()
        self.default_endpoint = default_endpoint
        self.limiter = BandwidthLimiter(self.settings.bandwidth_limit_bytes_per_s)
        # How many files and parts go at once: fixed, or tuned by goodput.
        self.concurrency = ConcurrencyTuner(self.settings.file_parallel_limit)
        # Every task, live or at rest, the lock over them and the running totals:
        # shared with the parts that read and restore tasks. The names below are
        # the records' own (not copies), as the queue's methods use them throughout.
        self._records = records = QueueRecords(store.next_position())
        self._lock = records.lock
        self._tasks = records.live
        self._resting = records.resting
        self._scheduler = records.scheduler
        self._batch = records.batch
        self._events = records.events  # drained by the event timer
        self._reads = TaskReads(records, self._repository)
        self._restorer = TaskRestorer(
            records,
            self._repository,
            self.leases,
            live_task_limit=self.settings.live_task_limit,
            stopping=lambda: self._shutting_down,
        )
        # How many times everything was paused (pause(None)): see add_files.
        self.pauses_of_all = 0
        self._pending_intakes = 0
        self._intake_ended = threading.Condition(self._lock)
        # Walks among them found slow (add_entries), which hold no starts.
        self._slow_walks = 0
        # Drops being added a slice at a time (adding_a_drop).
        self._drops_adding = 0
        # Restores of the last run's tasks under way (restore_in_background), and
        # whether one is announced that has not begun yet (restore_coming).
        self._restores = 0
        self._restore_announced = False
        self._restore_ended = threading.Condition(self._lock)
        self._shutting_down = False
        # Bulk commands under way that hold new starts until they have gone through
        # all their slices (pause, cancel: see _selected_in_slices).
        self._starts_held = 0
        # Cleared while their worker was still winding down (a cancel just asked
        # for): removed as soon as that worker ends. See clear_finished.
        self._clear_when_stopped: set[str] = set()
        self._wake_requested = False
        self._was_busy = False
        # Whether the queue was idle at the last event tick: what a slot of its
        # signals reads on the queue's thread, without waiting for the lock again.
        self.idle_at_last_tick = True
        # Automatic retries after network failures (the timer lives in the queue's thread).
        self._retries = RetryScheduler(
            loop,
            self.settings.network_retry_delays_s,
            self._retry_now,
            credential_waits=self.settings.credential_server_waits,
            network_waits=self.settings.network_waits,
        )
        # Whether the server has answered a request of this queue (an upload, a
        # part, a refusal): a network failure after that is a lost network, which
        # a command waits for (RetryScheduler); before it, the server may be out
        # of reach (cli_progress.py).
        self._network_worked = False

        # Files, their parts and the small jobs (intake, walking, aborting) get
        # separate pools: a file job waits for its parts, so they must never
        # compete for the same threads.
        pool = partial(
            ThreadPool, background=self.settings.background_workers, start_thread=loop.start_thread
        )
        self.file_pool = pool("cosdesk-files")
        self.file_pool.setMaxThreadCount(self.concurrency.max_files)
        self.part_pool = pool("cosdesk-parts")
        self.part_pool.setMaxThreadCount(min(self.concurrency.max_files * 3, MAX_PART_THREADS))
        self._aux_pool = pool("cosdesk-intake")
        self._aux_pool.setMaxThreadCount(2)

        self._timer = loop.timer(self._flush_events, single_shot=False)

        # Pause / cancel asked by another process.
        self._watcher: RequestWatcher | None = None
        if self.settings.request_poll_interval_s > 0:
            self._watcher = RequestWatcher(store, self.settings.request_poll_interval_s, self._apply_request)

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
        *,
        part_of_drop_since: int | None = None,
        batch: str | None = None,
    ) -> list[str]:
        """Queue local files; returns their task ids. On the queue's thread it
        returns at once (10,000 files in a few tens of milliseconds): sizes a walk
        did not read are read, and the tasks stored, on a worker. Called from
        another thread, that thread does it before returning. They are a batch
        of their own unless ``batch`` names the one they belong to (the token of
        a drop added in slices).

        ``part_of_drop_since``: these files are a slice of a bigger drop, which
        began when ``pauses_of_all`` was this. If "Pause all" came since, they are
        added paused: it meant the whole drop, and the rest of a big one went on
        uploading after the person paused everything. Decided under the lock, so a
        slice added as the pause comes is either paused by it or added paused."""
        options = options or UploadOptions()
        spec = self._endpoint(endpoint)
        self._keep_up_with_intake()
        sources = [(item.key, NewSource.file(item.path, item.size, item.mtime_ns)) for item in files]
        with self._lock:
            first, task_ids = self._reserve(len(sources))
        # Made outside the lock, which the window's thread takes each tick: making
        # them was most of what a slice held it for.
        tasks = _made_tasks(first, task_ids, bucket, spec, options, sources, batch or new_batch_token())
        with self._lock:
            paused = part_of_drop_since is not None and self._paused_since(part_of_drop_since)
            self._register(tasks, paused=paused)
            self._pending_intakes += 1
        if self._loop.in_thread():
            self._aux_pool.start(Call(lambda: self._intake(tasks)))
        else:
            # Already off the queue's thread (a drop's slices, a watched folder):
            # stored here. Handed to the pool as well, the slices of a million-file
            # drop kept one more thread wanting the GIL beside the window's, whose
            # longest stall was then 110-156 ms, against 61-130 ms stored here.
            self._intake(tasks)
        return [task.task_id for task in tasks]

    def _keep_up_with_intake(self) -> None:
        """Off the queue's thread, wait while the intake or the database writer is
        far behind the files added: a folder of a million files is walked faster
        than they are stored, and each waiting file is a whole task in memory."""
        if self._loop.in_thread():
            return  # the GUI thread never waits (it adds a few files at a time)
        self._repository.wait_for_new(_INSERTS_AHEAD)
        if self._pending_intakes < _INTAKES_AHEAD:
            # Read without the lock (a bound, not a count to keep exact): taking the
            # lock here only to look was half the time a big drop's walk waited.
            return
        with self._intake_ended:
            self._intake_ended.wait_for(
                lambda: self._pending_intakes < _INTAKES_AHEAD or self._shutting_down, timeout=60
            )

    def add_bytes(
        self,
        data: bytes,
        bucket: str,
        key: str,
        options: UploadOptions | None = None,
        endpoint: EndpointSpec | None = None,
    ) -> str:
        """Queue an in-memory body (kept in the database until it is uploaded), a
        batch of its own."""
        spec = self._endpoint(endpoint)
        with self._lock:
            (task,) = self._new_tasks(
                bucket, spec, options or UploadOptions(), [(key, NewSource.memory(data))], new_batch_token()
            )
            self._pending_intakes += 1
        self._aux_pool.start(Call(lambda: self._intake([task])))
        return task.task_id

    def add_folder_marker(
        self,
        bucket: str,
        key: str,
        options: UploadOptions | None = None,
        endpoint: EndpointSpec | None = None,
        *,
        batch: str | None = None,
    ) -> str:
        """Queue an empty object whose key ends in ``/`` (a folder in COS consoles),
        in ``batch`` (the files added with it), else a batch of its own."""
        if not key.endswith("/"):
            key += "/"
        spec = self._endpoint(endpoint)
        with self._lock:
            (task,) = self._new_tasks(
                bucket,
                spec,
                options or UploadOptions(),
                [(key, NewSource.folder_marker())],
                batch or new_batch_token(),
            )
            self._pending_intakes += 1
        self._aux_pool.start(Call(lambda: self._intake([task])))
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
        sources = [os.fspath(path) for path in paths]
        self.add_entries(
            lambda: scan_sources(
                sources, prefix, include_empty_folders=include_empty_folders, on_error=self._scan_problem
            ),
            bucket,
            options,
            endpoint,
        )

    def add_entries(
        self,
        entries: Callable[[], Iterable[ScanEntry]],
        bucket: str,
        options: UploadOptions | None = None,
        endpoint: EndpointSpec | None = None,
        *,
        on_queued: Callable[[list[tuple[str, str]]], None] | None = None,
    ) -> None:
        """Queue what a walk finds, its sizes and times already read, as one batch:
        ``entries()`` runs on a worker, and the queue counts as busy until it is exhausted.
        ``on_queued`` is handed the (task id, key) pairs of each batch on that
        worker before any of them can start. Returns at once."""
        options = options or UploadOptions()
        spec = self._endpoint(endpoint)
        batch_token = new_batch_token()
        with self._lock:
            self._pending_intakes += 1
            began_at_pauses = self.pauses_of_all  # a "Pause all" since holds the rest (add_files)

        def walk() -> None:
            slow = False
            try:
                batch: list[UploadTask] = []
                slice_began = time.monotonic()
                for entry in entries():
                    with self._lock:
                        if self._shutting_down:
                            return
                        (task,) = self._new_tasks(
                            bucket,
                            spec,
                            options,
                            [(entry.key, NewSource.scanned(entry))],
                            batch_token,
                            paused=self._paused_since(began_at_pauses),
                        )
                    batch.append(task)
                    if len(batch) >= SCAN_BATCH:
                        self._store_queued(batch, on_queued)
                        batch = []
                        if slow != (time.monotonic() - slice_began > _SLOW_WALK_SLICE_S):
                            slow = not slow
                            with self._lock:
                                self._slow_walks += 1 if slow else -1
                                self._schedule()
                        slice_began = time.monotonic()
                self._store_queued(batch, on_queued)
            finally:
                with self._lock:
                    if slow:
                        self._slow_walks -= 1
                    self._end_intake()
                self._poke()
                self._flush_if_idle()

        self._aux_pool.start(Call(walk))

    def _store_queued(
        self, batch: list[UploadTask], on_queued: Callable[[list[tuple[str, str]]], None] | None
    ) -> None:
        if on_queued is not None and batch:
            on_queued([(task.task_id, task.spec.key) for task in batch])
        self._store_new(batch, stat_files=False)
        self._poke()

    def _paused_since(self, pauses_of_all: int) -> bool:
        # Lock held. Whether "Pause all" came since the count was this: the rest of
        # a drop begun then is added paused (add_files).
        return self.pauses_of_all > pauses_of_all

    def _endpoint(self, endpoint: EndpointSpec | None) -> EndpointSpec:
        spec = endpoint or self.default_endpoint
        if spec is None:
            raise ValueError("no endpoint given and the queue has no default endpoint")
        return spec

    def _new_tasks(
        self,
        bucket: str,
        endpoint: EndpointSpec,
        options: UploadOptions,
        sources: Sequence[tuple[str, NewSource]],
        batch: str,
        *,
        paused: bool = False,
    ) -> list[UploadTask]:
        """New tasks, one for each (key, source), at the end of the queue, with the
        batch token ``batch``. Called with the lock held; the tracker of the window's
        batch takes them in together."""
        first, task_ids = self._reserve(len(sources))
        tasks = _made_tasks(first, task_ids, bucket, endpoint, options, sources, batch)
        self._register(tasks, paused=paused)
        return tasks

    def _reserve(self, count: int) -> tuple[int, list[str]]:
        """The first of ``count`` queue positions and their task ids, taken for new
        tasks (lock held): tasks made from them may be registered later."""
        first = self._records.next_position
        self._records.next_position = first + count
        return first, self._records.ids.take(count)

    def _register(self, tasks: list[UploadTask], *, paused: bool) -> None:
        """Make new tasks the queue's (lock held): counted, in the window's batch,
        told to the table."""
        for task in tasks:
            self._tasks[task.task_id] = task
        if paused:
            for task in tasks:
                task.set_state(TaskState.PAUSED)  # before they are counted
            self._batch.take_in_paused(tasks)
        else:
            self._batch.join(tasks)
        for task in tasks:
            self._records.recount(task)
            self._events.added(task.task_id, task.compact_row())

    def _intake(self, tasks: list[UploadTask]) -> None:
        idle = False
        try:
            idle = self._store_new(tasks, stat_files=True, ends_intake=True)
        except BaseException:
            with self._lock:
                self._end_intake()
            raise
        finally:
            self._poke()
            if idle:
                self._flush_soon()

    def _end_intake(self) -> None:
        # Lock held.
        self._pending_intakes -= 1
        self._intake_ended.notify_all()
        # Work that ends between two event ticks (a tiny file uploads in
        # milliseconds) must still count as busy, or idle never fires.
        self._was_busy = True
        self._schedule()  # the starts held while files were added (_adding_files)

    def _adding_files(self) -> bool:
        """Whether files are being added (lock held). New uploads wait until they
        are all stored: on two cores adding and uploading small files at once
        share one GIL, and a million files added in the window while the first
        ones uploaded took 68-90 s, against 53-62 s when the uploads began after
        (and the few that had gone meanwhile, 40 a second, were not worth it).
        Restoring the last run's tasks holds nothing (it is not adding), nor does
        a slow walk (_SLOW_WALK_SLICE_S): its files come as fast as they go."""
        return self._drops_adding > 0 or self._pending_intakes > self._restores + self._slow_walks

    @contextlib.contextmanager
    def adding_a_drop(self) -> Iterator[None]:
        """Hold new starts while a drop is added in several calls (add_files a
        slice at a time, then its folder markers): between two slices nothing is
        being added, and the uploads that started there ran beside the rest of the
        drop (see _adding_files)."""
        with self._lock:
            self._drops_adding += 1
        try:
            yield
        finally:
            with self._lock:
                self._drops_adding -= 1
                self._schedule()

    def _store_new(self, tasks: list[UploadTask], *, stat_files: bool, ends_intake: bool = False) -> bool:
        """Read sizes (when asked), check keys, store the tasks, make them runnable;
        with ``ends_intake``, count this intake job as ended. Storing, scheduling,
        ending the job and looking for idleness are one hold of the lock: an
        intake job that took it for each waited for it most of its time while a
        big drop was added. Returns whether the queue is idle now."""
        if tasks:
            self._prepare_clients({(task.spec.endpoint, task.spec.bucket) for task in tasks})
        sizes_shown = [task.size for task in tasks]  # what the table was told at their adding
        for task in tasks:
            refused = refusal(task, stat_file=stat_files)
            if refused is not None:
                with self._lock:
                    if task.state in (TaskState.WAITING, TaskState.PAUSED):
                        if task.state is TaskState.PAUSED:
                            # Added paused (or paused since): it can never be sent,
                            # so it fails now as any other, not when resumed.
                            task.set_state(TaskState.WAITING)
                        task.set_state(TaskState.ERROR)
                        task.error = refused
                        self._events.finished(FileFinished(task.task_id, task.error, None))
                        self.journal.refused(task, task.error)
        with self._lock:
            self._repository.add(tasks)
            going: list[UploadTask] = []
            for task, size_shown in zip(tasks, sizes_shown, strict=True):
                task.ready = True
                # Refused, or its size read only now: counted anew. A task put at
                # rest as it was added (most of a big drop) shows nothing new
                # either: the table is not asked to read it again.
                news = task.state is not TaskState.WAITING or task.size != size_shown
                if news:
                    self._records.recount(task)
                rested = self._rest_new(task, going)
                if not rested and task.state is TaskState.WAITING:
                    self._scheduler.line_up(task)
                if news or not rested:
                    self._events.changed(task.task_id)
            self._resting.add_new(going)  # in this hold of the lock: never seen half at rest
            if ends_intake:
                self._end_intake()  # and schedules
            else:
                self._schedule()
            idle = not self._busy()
        return idle

    def _prepare_clients(self, places: set[tuple[EndpointSpec, str]]) -> None:
        """Make the connection pools the new tasks will use here, before their first
        job (CosClient.prepare): that job would pay their making, and its CPU time
        is what automatic concurrency judges the first files by (engine/
        concurrency.py). Keys that cannot be read fail the tasks' jobs, as ever."""
        for endpoint, bucket in places:
            with contextlib.suppress(CosException):
                self.client_for(endpoint).prepare(bucket)

    def _scan_problem(self, path: str, message: str) -> None:
        with self._lock:
            self._events.scan_problem(path, message)
        self._poke()

    # --- reading (engine/task_reads.py) -------------------------------------------

    def tasks(self) -> list[TaskSnapshot]:
        """Every task, in queue order (the seed's getTaskList). Tasks at rest are
        read from the database: call it off the GUI thread when there are many."""
        return self._reads.tasks()

    def task_figures(self) -> list[TaskFigures]:
        """Every task's state, size and bytes on the server, from memory (no
        snapshot made, nothing read from the database): for summaries."""
        return self._reads.task_figures()

    def task(self, task_id: str) -> TaskSnapshot | None:
        """One task (a task at rest is read from the database)."""
        found = self._reads.snapshots_of([task_id])
        return found[0] if found else None

    def snapshots_of(self, task_ids: Iterable[str]) -> list[TaskSnapshot]:
        """The tasks of ``task_ids`` that exist, in no particular order."""
        return self._reads.snapshots_of(task_ids)

    def table_rows_of(
        self, task_ids: Iterable[str], shown_idle: Callable[[str], bool] | None = None
    ) -> list[TaskSnapshot | CompactRow | RestingState]:
        """As ``snapshots_of``, as the task table wants them (new tasks come with
        their rows, see ``tasks_added``): see TaskReads.table_rows_of."""
        return self._reads.table_rows_of(task_ids, shown_idle)

    def unfinished_by_endpoint(self) -> dict[EndpointSpec, int]:
        """How many unfinished tasks each endpoint has, counted by the database
        once the queue's writes are in: a scan of the table, so call it off the
        GUI thread (the window asks which accounts need keys, which endpoints
        have uploads left)."""
        return self._repository.unfinished_by_endpoint()

    def task_ids_at(self, accept: Callable[[EndpointSpec], bool], states: Collection[TaskState]) -> list[str]:
        """The ids of unfinished tasks in one of ``states`` whose endpoint ``accept``
        takes (an account's paused uploads, to resume them), read from the database
        once the queue's writes are in. Call it off the GUI thread."""
        return self._repository.unfinished_ids_at(accept, states)

    def tasks_with_keys(self, keys: Collection[str]) -> list[TaskSnapshot]:
        """The tasks whose key is one of ``keys``, or may be a numbered form of one
        (``name (2).ext``), which a rename must not take: what a batch being added
        looks for. Found by the database: call it off the GUI thread."""
        return self._reads.tasks_with_keys(keys)

    def task_parts(self, task_id: str) -> list[PartRecord]:
        """The parts of a multipart task the server has confirmed (and we verified),
        by part number; empty for an unknown or finished task."""
        return self._reads.task_parts(task_id)

    def batch(self) -> BatchProgress:
        with self._lock:
            return self._batch_progress()

    @property
    def live_task_count(self) -> int:
        """Tasks held whole in memory; the others are at rest (see engine/resting.py)."""
        with self._lock:
            return len(self._tasks)

    @property
    def bandwidth_limit_bytes_per_s(self) -> int:
        return self.limiter.limit_bytes_per_s

    # --- control ------------------------------------------------------------------

    def _select(self, task_ids: Iterable[str] | None) -> list[UploadTask | RestingTask]:
        """The queue's tasks with these ids (all when None), live and at rest."""
        if task_ids is None:
            # Order does not matter to the callers: the waiting heap keeps it.
            return [*self._tasks.values(), *self._resting.values()]
        if isinstance(task_ids, str):
            task_ids = [task_ids]
        found = map(self._records.find, task_ids)
        return [task for task in found if task is not None]

    def _selected_in_slices(
        self, task_ids: Iterable[str] | str | None
    ) -> Iterator[Sequence[UploadTask | RestingTask]]:
        """The tasks of ``task_ids`` (all when None) for a bulk command, at most
        _COMMAND_SLICE at a time, each slice handed out with the lock held: the
        command's work on a million tasks is spread over many short holds. Every
        command leaves alone a task it already changed, so a task may come twice
        (see _command_slices)."""
        self._wait_for_restores()
        took = 0.0
        for number, read_slice in enumerate(self._command_slices(task_ids)):
            if number:
                # Python's locks are not fair: a thread that lets go and takes the
                # lock again at once keeps it from one waiting (the window's event
                # tick waited 0.9 s behind a "Pause all" of 100,000 in slices).
                # As long a rest as the slice took: the other threads, the GUI's
                # first, get the GIL half of the time.
                time.sleep(max(_BETWEEN_SLICES_S, took))
            began = time.perf_counter()
            with self._lock:
                yield read_slice()
            took = time.perf_counter() - began

    def _wait_for_restores(self) -> None:
        """A bulk command given while the last run's tasks are still being restored
        (a million take seconds after the window shows them, from the database)
        waits for them: it is meant for every task the person sees, not for those
        restored so far ("Clear finished" found none and did nothing). Commands run
        on a worker (QueueCommands): the window does not wait."""
        with self._restore_ended:
            self._restore_ended.wait_for(lambda: self.is_restored() or self._shutting_down)

    def restore_coming(self) -> None:
        """The last run's tasks will be restored (:meth:`restore_in_background`,
        called later: the window waits for its sandbox first). Bulk commands given
        before then wait for them too."""
        with self._lock:
            self._restore_announced = True

    def is_restored(self) -> bool:
        """No restore under way or announced: bulk commands run at once. (Two reads,
        no lock: the window asks on its thread.)"""
        return not (self._restores or self._restore_announced)

    def no_restore_coming(self) -> None:
        """Take :meth:`restore_coming` back (quitting before the restore began):
        commands waiting for it go on."""
        with self._lock:
            self._restore_announced = False
            self._restore_ended.notify_all()

    def _command_slices(
        self, task_ids: Iterable[str] | str | None
    ) -> Iterator[Callable[[], Sequence[UploadTask | RestingTask]]]:
        """How to read each slice of a bulk command's tasks (with the lock held).
        Tasks are looked up by id as each slice is read: one put at rest or woken
        since the command began is found where it is now. All tasks: those in
        memory, those at rest slot by slot, then those in memory again (a wake
        begun before a command that holds new starts may have brought some back
        from slots it had not reached yet)."""
        if task_ids is not None:
            yield from self._id_slices([task_ids] if isinstance(task_ids, str) else list(task_ids))
            return
        with self._lock:
            live_ids = list(self._tasks)
            slots = self._resting.slot_count
        yield from self._id_slices(live_ids)
        for start in range(0, slots, _COMMAND_SLICE):
            yield partial(self._resting.views_in, start, start + _COMMAND_SLICE)
        with self._lock:
            live_ids = list(self._tasks)
        yield from self._id_slices(live_ids)

    def _id_slices(self, task_ids: list[str]) -> Iterator[Callable[[], Sequence[UploadTask | RestingTask]]]:
        for start in range(0, len(task_ids), _COMMAND_SLICE):
            yield partial(self._select, task_ids[start : start + _COMMAND_SLICE])

    @contextlib.contextmanager
    def starts_held(self) -> Iterator[None]:
        """No task starts meanwhile (a command going through its slices: a task it
        has not reached yet must not start, nor be woken from rest; a restore the
        command line counts before anything runs), and those due start afterwards."""
        with self._lock:
            self._starts_held += 1
        try:
            yield
        finally:
            with self._lock:
                self._starts_held -= 1
            self._schedule()

    def _rested_changes(self, tasks: list[RestingTask], **fields: object) -> None:
        """Tasks at rest changed these fields (lock held): store them, recount."""
        self._repository.save_at_rest(tasks, **fields)
        for task in tasks:
            self._records.recount(task)
            self._events.changed(task.task_id)

    def pause(self, task_ids: Iterable[str] | str | None = None) -> None:
        """Pause tasks (all when None: also the rest of drops still being added,
        see add_files): waiting ones stay put, running ones stop sending within a
        second, failed ones waiting for an automatic retry stop waiting. Finished
        parts are kept."""
        if task_ids is None:
            with self._lock:
                self.pauses_of_all += 1
        with self.starts_held():
            for tasks in self._selected_in_slices(task_ids):
                self._pause_slice(tasks)
                self._poke()

    def _pause_slice(self, tasks: Sequence[UploadTask | RestingTask]) -> None:
        # Lock held.
        changed = []
        rested = []
        for task in tasks:
            if isinstance(task, RestingTask):
                if task.state is TaskState.WAITING:
                    task.set_state(TaskState.PAUSED)
                    rested.append(task)
            elif task.state in (TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING) or (
                task.state is TaskState.ERROR and task.retry_at is not None
            ):
                if task.control is not None:
                    task.control.stop(StopReason.PAUSE)
                self._retries.forget(task)
                task.set_state(TaskState.PAUSED)
                changed.append(task)
        self._changed_states(changed)
        self._rested_changes(rested, state=TaskState.PAUSED)

    def restart(self, task_ids: Iterable[str] | str | None = None) -> None:
        """Resume paused and failed tasks (all when None): only what is missing is sent."""
        self._restart_where(task_ids, lambda task: task.state.is_resumable)

    def _restart_where(
        self, task_ids: Iterable[str] | str | None, accept: Callable[[UploadTask | RestingTask], bool]
    ) -> None:
        for selected in self._selected_in_slices(task_ids):
            tasks = [task for task in selected if accept(task)]
            for task in tasks:
                if isinstance(task, UploadTask):
                    task.network_retries = 0
            self._requeue(tasks)
            self._schedule()  # what this slice resumed starts before the next is done
            self._poke()

    def _requeue(self, tasks: Sequence[UploadTask | RestingTask]) -> None:
        # Lock held; every task is paused, in error or canceled.
        self._batch.join(tasks, resumed=True)
        live = []
        rested = []
        for task in tasks:
            task.set_state(TaskState.WAITING)
            if isinstance(task, RestingTask):
                rested.append(task)
            else:
                self._retries.forget(task)
                task.error = None
                live.append(task)
            if task.ready and isinstance(task, UploadTask):  # one at rest is in its own line
                self._scheduler.line_up(task)
        self._changed_states(live)
        self._rested_changes(rested, state=TaskState.WAITING, error=None)

    def retry_failed(self) -> None:
        """Restart every task in error."""
        self._restart_where(None, lambda task: task.state is TaskState.ERROR)

    def cancel(self, task_ids: Iterable[str] | str | None = None) -> None:
        """Cancel tasks (all unfinished when None): the multipart upload is aborted
        on the server and the checkpoint removed. A finished object is never deleted."""
        with self.starts_held():
            for tasks in self._selected_in_slices(task_ids):
                cleanups, rested_ids = self._cancel_slice(tasks)
                for cleanup in cleanups:
                    # The client is looked up on the worker too: it may read the keyring.
                    self._aux_pool.start(Call(partial(self._abort_upload, *cleanup)))
                if rested_ids:
                    self._aux_pool.start(Call(partial(self._finish_resting_cancels, rested_ids)))
                self._poke()

    def _cancel_slice(
        self, tasks: Sequence[UploadTask | RestingTask]
    ) -> tuple[list[tuple[EndpointSpec, str, str, str, UploadOptions]], list[str]]:
        """Cancel these tasks (lock held). Returns the multipart uploads to abort
        now, and the ids of the tasks at rest, whose uploads and history entries
        are read from the database (``_finish_resting_cancels``)."""
        cleanups: list[tuple[EndpointSpec, str, str, str, UploadOptions]] = []
        changed = []
        forgotten = []
        rested = []
        now = time.time()
        for task in tasks:
            if task.state.is_final:
                continue
            if isinstance(task, RestingTask):
                task.set_state(TaskState.CANCELED)
                rested.append(task)
                continue
            running = task.task_id in self._scheduler.running_ids
            if task.control is not None:
                task.control.stop(StopReason.CANCEL)
            self._retries.forget(task)
            task.set_state(TaskState.CANCELED)
            task.finished_at = now
            self.journal.canceled(task)
            if not running and task.upload_id:
                cleanups.append((task.endpoint, task.bucket, task.key, task.upload_id, task.options))
            if not running:
                if task.parts:
                    forgotten.append(task.task_id)
                task.checkpoint = task.checkpoint.without_upload()
            changed.append(task)
        self._repository.forget_parts_of(forgotten)
        self._changed_states(changed)
        self._rested_changes(rested, state=TaskState.CANCELED, finished_at=now)
        return cleanups, [task.task_id for task in rested]

    def _finish_resting_cancels(self, task_ids: list[str]) -> None:
        """The rest of canceling tasks at rest, on a worker: their history entries,
        and the multipart uploads to abort, read from the database."""
        # Their canceled state first: the history reads the rows.
        for item in self._repository.read_after_writes(task_ids):
            task = UploadTask(item.spec, item.checkpoint, item.status)
            with self._lock:
                self.journal.canceled(task)
            if task.upload_id:
                self._abort_upload(task.endpoint, task.bucket, task.key, task.upload_id, task.options)
                self._repository.forget_upload(task.task_id)
            if task.parts:
                self._repository.forget_parts(task.task_id)

    def _abort_upload(
        self, endpoint: EndpointSpec, bucket: str, key: str, upload_id: str, options: UploadOptions
    ) -> None:
        CleanupJob(self.client_for(endpoint), bucket, key, upload_id, self.retry_policy(options)).run()

    def upload_again(self, task_ids: Iterable[str] | str) -> None:
        """Queue canceled tasks again, from the first byte (cancel threw away what
        they had sent; an append goes on after what it appended, which stays in
        the object). Other tasks are left as they are."""
        for selected in self._selected_in_slices(task_ids):
            tasks = [task for task in selected if task.state is TaskState.CANCELED]
            live = [task for task in tasks if isinstance(task, UploadTask)]
            rested = [task for task in tasks if isinstance(task, RestingTask)]
            for task in live:
                task.start_over()
                task.network_retries = 0
            for resting in rested:
                resting.loaded = 0
                self._repository.forget_parts(resting.task_id)
            # What start_over forgets, for the tasks at rest.
            self._rested_changes(rested, upload_id=None, file_md5=None, note="", finished_at=None)
            self._requeue(tasks)
            for task in live:
                self._changed(task)  # the whole row: its upload ID, MD5, append start went
            self._schedule()  # what this slice resumed starts before the next is done
            self._poke()

    def clear_finished(self, task_ids: Iterable[str] | str | None = None) -> list[str]:
        """Remove succeeded and canceled tasks (all of them, or those of ``task_ids``)
        from the list and the database; others are left. A canceled task whose worker
        is still stopping goes as soon as it has stopped."""
        removed: list[str] = []
        for selected in self._selected_in_slices(task_ids):
            final = [t for t in selected if t.state.is_final]
            gone = [t.task_id for t in final if t.task_id not in self._scheduler.running_ids]
            self._clear_when_stopped.update(
                t.task_id for t in final if t.task_id in self._scheduler.running_ids
            )
            self._remove(gone)
            removed += gone
            self._poke()
        return removed

    def _remove(self, task_ids: list[str]) -> None:
        # Called with the lock held.
        for task_id in task_ids:
            task = self._tasks.pop(task_id, None) or self._resting.pop(task_id)
            self._records.recount(task)
        self._repository.remove(task_ids)
        self._events.removed(task_ids)

    def move_to_top(self, task_ids: Sequence[str] | str) -> None:
        """Run these waiting tasks before all others (in the order given)."""
        ids = [task_ids] if isinstance(task_ids, str) else list(task_ids)
        with self._lock:
            first = min((t.position for t in self._select(None)), default=0)
            for offset, task in enumerate(self._select(ids)):
                self._reposition(task, first - len(ids) + offset)
        self._poke()

    def move_to_bottom(self, task_ids: Sequence[str] | str) -> None:
        ids = [task_ids] if isinstance(task_ids, str) else list(task_ids)
        with self._lock:
            for task in self._select(ids):
                self._reposition(task, self._records.next_position)
                self._records.next_position += 1
        self._poke()

    def move_up(self, task_id: str) -> None:
        self._swap_with_neighbour(task_id, -1)

    def move_down(self, task_id: str) -> None:
        self._swap_with_neighbour(task_id, +1)

    def _swap_with_neighbour(self, task_id: str, direction: int) -> None:
        with self._lock:
            found = self._select([task_id])
            if not found:
                return
            task = found[0]
            # The nearest task before (or after) it: one pass, not a sort of every task.
            others = (t for t in self._select(None) if (t.position - task.position) * direction > 0)
            neighbour = min(others, key=lambda t: (t.position - task.position) * direction, default=None)
            if neighbour is None:
                return
            task_position, neighbour_position = task.position, neighbour.position
            self._reposition(task, neighbour_position)
            self._reposition(neighbour, task_position)
        self._poke()

    def _reposition(self, task: UploadTask | RestingTask, position: int) -> None:
        task.position = position  # one at rest takes its new place in its own line
        if task.state is TaskState.WAITING and task.ready and isinstance(task, UploadTask):
            self._scheduler.line_up(task)
        if isinstance(task, RestingTask):
            self._rested_changes([task], position=position)
        else:
            self._changed(task)

    def set_bandwidth_limit(self, limit_bytes_per_s: int) -> None:
        """The global upload limit in bytes/s (0: unlimited), effective at once."""
        before = self.limiter.limit_bytes_per_s
        self.limiter.set_limit(limit_bytes_per_s)
        if limit_bytes_per_s and (not before or limit_bytes_per_s < before):
            # Chunks now come further apart: the gaps the running tasks measured
            # say nothing of when a pause between them is the server's silence.
            with self._lock:
                now = time.monotonic()
                for task_id in self._scheduler.running_ids:
                    task = self._tasks.get(task_id)
                    if task is not None:
                        task.pace_changed(now)

    def set_file_parallel_limit(self, limit: int) -> None:
        """FileParallelLimit: a fixed number, or ``AUTOMATIC`` (0)."""
        with self._lock:
            self.settings = QueueSettings(**{**self.settings.__dict__, "file_parallel_limit": limit})
            self.concurrency.set_file_parallel_limit(limit)
            self.file_pool.setMaxThreadCount(self.concurrency.max_files)
        self._schedule()

    # --- running ------------------------------------------------------------------

    def _schedule(self) -> None:
        """Start waiting tasks, in order, while fewer than FileParallelLimit run
        (see Scheduler.next_to_start)."""
        with self._lock:
            if self._shutting_down or self._starts_held or self._adding_files():
                return
            files_limit = self.concurrency.files_limit()
            # The file pool as big as the limit, tuned or not: a thread that ends a
            # file then takes the next itself. A pool of 16 under a limit of 2 handed
            # each file to another thread (a wake-up and a GIL hand-off per file:
            # 10% of a small-file sync's time on loopback).
            if self.file_pool.maxThreadCount() != files_limit:
                self.file_pool.setMaxThreadCount(files_limit)
            starting, must_wake = self._scheduler.next_to_start(files_limit)
            for task in starting:
                self._start(task)
            if must_wake:
                self._wake_next()

    def _wake_next(self) -> None:
        """Have a worker read the next waiting tasks at rest back from the database
        (lock held; one worker at a time)."""
        if self._shutting_down or not self._scheduler.begin_wake():
            return
        self._aux_pool.start(Call(self._wake_waiting))

    def _wake_waiting(self) -> None:
        """Worker: make the first ``wake_batch`` waiting tasks at rest live again."""
        taken: list[str] = []
        try:
            with self._lock:
                taken = self._scheduler.take_wake_batch(self.settings.wake_batch)
                # What the queue said of them when the read began.
                taken_as = {
                    task_id: (resting.state, resting.position)
                    for task_id in taken
                    if (resting := self._resting.get(task_id)) is not None
                }
            # The rows as the queue last changed them.
            found = self._repository.read_after_writes(taken)
            stored = {item.spec.task_id: item for item in found}
            with self._lock:
                for task_id in taken:
                    resting = self._resting.get(task_id)
                    item = stored.get(task_id)
                    if resting is None:
                        continue  # removed meanwhile
                    if (resting.state, resting.position) != taken_as.get(task_id):
                        # Paused, canceled or moved here while the row was read: the
                        # row may predate that change, and the queue's record wins.
                        continue
                    if item is None:
                        # Gone from the database (another program cleared it): gone here.
                        del self._resting[task_id]
                        self._records.recount(resting)
                        self._events.removed([task_id])
                        continue
                    if item.status.state is not resting.state or item.status.position != resting.position:
                        # The queue's writes are committed (flushed above): the row
                        # differs because another process changed it. The row says.
                        counted_here = max(resting.loaded, 0)
                        ended_elsewhere = item.status.state.is_final and not resting.state.is_final
                        resting.take_stored(item.status)
                        if ended_elsewhere:
                            result = item.status.result if item.status.state is TaskState.SUCCESS else None
                            record = UploadTask(item.spec, item.checkpoint, item.status)
                            self._tell_ended_elsewhere(record, result, counted_here)
                        self._records.recount(resting)
                        self._events.changed(task_id)
                    if resting.state is TaskState.WAITING:
                        del self._resting[task_id]
                        task = wake(resting, UploadTask(item.spec, item.checkpoint, item.status))
                        self._tasks[task_id] = task
                        self._scheduler.line_up(task)
        finally:
            with self._lock:
                self._scheduler.end_wake(not_woken=[t for t in taken if t in self._resting])
        self._schedule()

    def _tell_ended_elsewhere(self, task: UploadTask, result: FileResult | None, counted_here: int) -> None:
        """Another process finished (``result``) or canceled the task (lock held):
        the listeners hear of a finished file, with the bytes this queue had not
        counted, and the journal logs it. Also for a task that rested here meanwhile
        (``_wake_waiting``): said only as "changed", two `tasks resume` at once each
        left a few hundred of 27,000 files out of its count."""
        if result is not None:
            sent = max(0, (task.size or 0) - counted_here)
            self._events.finished(FileFinished(task.task_id, None, result, sent_by_other_process=sent))
            self._batch.finished_elsewhere(sent)
        self.journal.ended_elsewhere(task, done=result is not None)

    def _rest_new(self, task: UploadTask, going: list[UploadTask]) -> bool:
        """Take a task just stored out of the live ones if the Scheduler says it
        goes at rest at once, into ``going``, which the caller puts at rest
        together (lock held, on the intake's worker; see Scheduler.rest_at_once)."""
        settings = self.settings
        if not self._scheduler.rest_at_once(
            task,
            settings.live_task_limit,
            settings.wake_batch,
            keep=self._clear_when_stopped,
            going=len(going),
        ):
            return False
        del self._tasks[task.task_id]
        going.append(task)
        return True

    def _rest_idle_tasks(self) -> None:
        """Put idle tasks at rest while more than ``live_task_limit`` are in memory
        (lock held, on every event tick; see Scheduler.to_rest)."""
        settings = self.settings
        for task in self._scheduler.to_rest(
            settings.live_task_limit, settings.wake_batch, keep=self._clear_when_stopped
        ):
            del self._tasks[task.task_id]
            self._resting.rest(task)

    def _start(self, task: UploadTask) -> None:
        # Called with the lock held.
        control = JobControl()
        task.control = control
        if not task.awaiting_lease:  # else it stays waiting until its lease is taken (job_claim)
            task.set_state(TaskState.CHECKING)
        task.loaded = task.checkpoint.sent_bytes
        self._was_busy = True
        source: Source
        if task.source_kind is SourceKind.FILE:
            assert task.source_path is not None
            source = FileSource(task.source_path)
        else:
            source = MemorySource(task.data or b"")
        # Each chunk waits for the bandwidth limit before it goes out, not after.
        source = LimitedSource(source, self.limiter, control.check)
        job = JobInput(task.spec, task.checkpoint, source)
        self._changed(task, persist=False)  # checking: restored as waiting anyway
        needed_part_threads = self.concurrency.max_files * (task.options.chunk_parallel_limit or MAX_REQUESTS)
        if self.part_pool.maxThreadCount() < needed_part_threads:
            self.part_pool.setMaxThreadCount(min(needed_part_threads, MAX_PART_THREADS))
        self.file_pool.start(FileJob(self, job, control))

    # --- JobHost (called from worker threads) --------------------------------------

    def client_for(self, endpoint: EndpointSpec) -> CosClient:
        with self._client_lock:
            client = self._client_for(endpoint)
            self._clients_used.add(client)
            return client

    def job_claim(self, job: JobInput) -> JobStart:
        """A FileJob asks to work its task (on its worker thread, before any request):
        take the task's lease (engine/ownership.py), and when another process worked
        the task since, go on from what it stored (engine/handover.py)."""
        task_id = job.spec.task_id
        claim = self.leases.take(task_id, ahead=self._next_in_line)
        if claim.holder is not None:
            # How far the holder is: its row here shows that, not 0%.
            found = self._repository.read([task_id])
            note = held_note(claim.holder, waiting=True)
            return JobStart(
                JobOutcome(OutcomeKind.HELD_ELSEWHERE, note=note, stored=found[0] if found else None)
            )
        stored = None
        if claim.worked_elsewhere:
            found = self._repository.read([task_id])
            stored = found[0] if found else None
        with self._lock:
            task = self._live(task_id)
            if task is None:
                return JobStart()
            # Before a pause or cancel is looked at: a finished object wins (UploadTask.succeed),
            # and a job that stops writes the task as the database has it, not as read before.
            if stored is not None and stored.status.state.is_final:
                return JobStart(JobOutcome(OutcomeKind.ENDED_ELSEWHERE, stored=stored))
            if stored is not None:
                take_checkpoint(task, stored)
                self._records.recount(task)
                self._events.changed(task_id)
            if task.control is not None and not task.control.stopped:
                if task.awaiting_lease:  # it waited for another process: it runs now
                    task.awaiting_lease = False
                    task.note = ""
                    task.set_state(TaskState.CHECKING)
                task.heard()  # from now on a wait is the server's (the lease was a database write)
                self.journal.started(task)
        return JobStart(checkpoint=stored.checkpoint if stored is not None else None)

    def _next_in_line(self) -> list[str]:
        """The live waiting tasks likely to start next, whose leases a take takes
        along (engine/ownership.py, TAKE_AHEAD)."""
        with self._lock:
            return self._scheduler.next_in_line(TAKE_AHEAD)

    def retry_policy(self, options: UploadOptions) -> RetryPolicy:
        return RetryPolicy(options.retries, self.settings.retry_base_delay_s, self.settings.retry_max_delay_s)

    def _live(self, task_id: str) -> UploadTask | None:
        task = self._tasks.get(task_id)
        return task if task is not None and task_id in self._scheduler.running_ids else None

    def job_checkpoint(self, task_id: str, checkpoint: Checkpoint, note: str | None = None) -> None:
        with self._lock:
            task = self._live(task_id)
            if task is None:
                return
            task.heard()
            old, task.checkpoint = task.checkpoint, checkpoint
            parts_changed = checkpoint.parts != old.parts
            if parts_changed:
                self._repository.replace_parts(task_id, checkpoint.parts.values())
                task.loaded = checkpoint.sent_bytes
            noted = note is not None and note != task.note
            if noted:
                task.note = note
            # Workers report what they hold, often unchanged (size and mtime known
            # since the scan): a row write per report is most of a small file's cost.
            if checkpoint == old and not noted:
                return
            self._changed(task, persist=noted or self._resume_needs(old, checkpoint, task.options))
        self._poke()

    @staticmethod
    def _resume_needs(old: Checkpoint, new: Checkpoint, options: UploadOptions) -> bool:
        """Whether a restart after a crash needs this change of a running task's
        checkpoint. A simple PUT holds nothing to resume (it is sent again from the
        start), so its method, size or "conflict policy applied" mark are not
        written: a row write per report was most of a small file's cost. What is
        written: progress (upload ID, append start, MD5), a renamed key (with
        RENAME, so a restart does not rename it once more), and anything of a
        multipart or append upload (its method and resolved key tell a restart to
        look for an upload whose ID was not recorded yet)."""
        if new.method is not None and new.method is not UploadMethod.PUT:
            return True
        if any(getattr(old, name) != getattr(new, name) for name in _RESUME_FIELDS):
            return True
        return old.key_resolved != new.key_resolved and options.conflict is not ConflictPolicy.OVERWRITE

    def job_state(self, task_id: str, state: TaskState) -> None:
        with self._lock:
            task = self._live(task_id)
            # A pause or cancel decided by the user wins over what the worker reports.
            if task is None or task.control is None or task.control.stopped or task.state is state:
                return
            task.set_state(state)
            task.heard()
            self._changed(task, persist=not state.is_active)
        self._poke()

    def job_progress(self, task_id: str, byte_count: int, *, sent: bool = True) -> None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return
            now = time.monotonic()
            task.add_progress(byte_count, now, sent=sent)
            self._batch.add_bytes(byte_count, now, sent=sent)
            self._records.recount(task)
            self._events.changed(task_id)
            self.concurrency.record(byte_count, now)
        self._poke()

    def job_request_done(self, task_id: str, byte_count: int, started_at: float, ended_at: float) -> None:
        """A part was sent: its time tunes the parts in flight (engine/concurrency.py)."""
        self.concurrency.request_done(byte_count, started_at, ended_at, big_file=True)

    def job_retrying(self, task_id: str, error: BaseException, delay_s: float) -> None:
        """A request of the task failed and is sent again after ``delay_s``. An
        error answer is an answer: the wait until the request goes again is not
        the server's silence (UploadTask.unanswered_s). A network failure is."""
        if not isinstance(error, CosError):
            return
        with self._lock:
            task = self._live(task_id)
            if task is not None:
                task.heard(time.monotonic() + delay_s)

    def _time_small_file(self, task: UploadTask, outcome: JobOutcome) -> None:
        """A small file sent: its run's time (and how its job spent it) tunes the
        files in flight (lock held)."""
        if task.run_started_at is not None and task.size is not None and not _sent_in_parts(task):
            self.concurrency.request_done(
                task.size,
                task.run_started_at,
                time.monotonic(),
                big_file=False,
                cpu_s=outcome.cpu_s,
                waited_s=outcome.waited_s,
            )

    def parts_in_flight_limit(self, task_id: str) -> int:
        """Parts of this task to keep in flight now: its fixed ChunkParallelLimit, or
        its share of the tuned number (engine/concurrency.py)."""
        with self._lock:
            task = self._tasks.get(task_id)
            chunk_parallel_limit = task.options.chunk_parallel_limit if task is not None else 1
            tasks = self._tasks
            running = [tasks[running_id] for running_id in self._scheduler.running_ids if running_id in tasks]
        big = sum(1 for other in running if _sent_in_parts(other))
        return self.concurrency.parts_limit(
            chunk_parallel_limit, big, len(running) - big, self.limiter.limit_bytes_per_s
        )

    def concurrency_status(self, task_id: str | None = None) -> ConcurrencyStatus:
        """Files and parts sent at once now (the parts of ``task_id`` when given), and
        the goodput measured last."""
        with self._lock:
            task = self._tasks.get(task_id) if task_id is not None else None
        limit = self.limiter.limit_bytes_per_s
        if task is None:
            return self.concurrency.status(bandwidth_limit_bytes_per_s=limit)
        status = self.concurrency.status(task.options.chunk_parallel_limit, limit)
        if status.parts_automatic and _sent_in_parts(task) and task.control is not None:
            return replace(status, parts=self.parts_in_flight_limit(task.task_id))
        return status

    def job_hash_progress(self, task_id: str, loaded: int, total: int) -> None:
        now = time.monotonic()
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return
            task.heard(now)
            if loaded == 0 or task.hash_started_at is None:
                task.hash_started_at = now
            elapsed = max(now - task.hash_started_at, 1e-3)
            self._events.hashed(
                HashProgress(
                    task_id,
                    loaded,
                    total,
                    loaded / elapsed if loaded else 0.0,
                    loaded / total if total else 1.0,
                )
            )
        self._poke()

    def job_part_done(self, task_id: str, part: PartRecord) -> None:
        with self._lock:
            self._network_worked = True
            task = self._live(task_id)
            if task is None:
                return
            task.heard()
            task.checkpoint = task.checkpoint.with_part(part)
            self._repository.save_part(task_id, part)
            self._events.changed(task_id)

    def job_ended(self, task_id: str, control: JobControl, outcome: JobOutcome) -> None:
        with self._lock:
            self._scheduler.ended(task_id)
            task = self._tasks.get(task_id)
            if task is not None and outcome.kind is OutcomeKind.SUCCESS:
                self._time_small_file(task, outcome)
            if task is not None and task.control is control:
                task.control = None
                self._finish(task, control, outcome)
            # Queued after the task's last writes: the next holder reads them.
            self.leases.release([task_id])
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
            self._flush_soon()

    def _flush_if_idle(self) -> None:
        """When nothing is left to do, emit the last events (and ``idle``) at once."""
        with self._lock:
            idle = not self._busy()
        if idle:
            self._flush_soon()

    def _finish(self, task: UploadTask, control: JobControl, outcome: JobOutcome) -> None:
        # Called with the lock held, after the task's job has ended.
        if outcome.kind is OutcomeKind.HELD_ELSEWHERE:
            # Nothing ran and nothing is written: the row is the holder's, and
            # shows the parts it has stored (sent by it: the batch's time left
            # counts them as another process's, see BatchTracker.sent_elsewhere).
            if outcome.stored is not None and not outcome.stored.status.state.is_final:
                gained = outcome.stored.checkpoint.sent_bytes - task.loaded
                if gained > 0:
                    self._batch.sent_elsewhere(gained)
                take_checkpoint(task, outcome.stored)  # its parts, as the details show them
            if not control.stopped:
                self._wait_for_lease(task, outcome.note)
            self._records.recount(task)
            self._events.changed(task.task_id)
            return
        if outcome.kind is OutcomeKind.ENDED_ELSEWHERE and outcome.stored is not None:
            counted_here = max(task.loaded, 0)
            self._tell_ended_elsewhere(task, take_final_state(task, outcome.stored), counted_here)
            self._changed(task)
            return
        if outcome.kind is OutcomeKind.SUCCESS:
            self._network_worked = True
            # The object exists: the late-success rule of UploadTask.succeed.
            task.succeed()
            # One new status, not one per field (each is a frozen copy).
            task.status = replace(task.status, result=outcome.result, error=None, finished_at=time.time())
            task.loaded = task.size or 0
            task.network_retries = 0
            if task.parts:  # the stored parts are exactly these (job_part_done)
                self._repository.forget_parts(task.task_id)
            task.checkpoint = task.checkpoint.without_upload()
            self._events.finished(FileFinished(task.task_id, None, outcome.result))
            self.journal.succeeded(task, skipped=outcome.result is not None and outcome.result.skipped)
        elif outcome.kind is OutcomeKind.FAILED and not control.stopped:
            task.set_state(TaskState.ERROR)
            task.error = outcome.error
            if outcome.error is not None and outcome.error.status_code is not None:
                self._network_worked = True  # refused, but answered
            held = False
            if outcome.error is not None and outcome.error.transient:
                held = self._retries.plan(task, network_worked=self._network_worked)
            else:
                task.network_retries = 0
            self._events.finished(FileFinished(task.task_id, outcome.error, None, retried_before_idle=held))
            self.journal.failed(task, outcome.error)
        elif control.reason is StopReason.CANCEL:
            # The journal heard of it when cancel() was called.
            task.checkpoint = task.checkpoint.without_upload()
            self._repository.forget_parts(task.task_id)
        elif control.reason is StopReason.SHUTDOWN:
            # Leave the stored state as it is: the next start finds it unfinished.
            self.journal.interrupted(task)
            return
        else:
            self.journal.paused(task)
        if task.state is TaskState.WAITING:
            # Restarted while its old job was stopping: its heap entry may be gone.
            self._scheduler.line_up(task)
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
            self._repository.save(task, lazy=lazy)
        self._records.recount(task)
        self._events.changed(task.task_id)

    def _changed_states(self, tasks: list[UploadTask]) -> None:
        """:meth:`_changed` for many tasks at once (pause, restart, cancel): one
        database write."""
        self._repository.save_all(task for task in tasks if task.ready)
        for task in tasks:
            self._records.recount(task)
            self._events.changed(task.task_id)

    # --- automatic retries after network failures ----------------------------------

    def _retry_now(self) -> None:
        with self._lock:
            due = [self._tasks[task_id] for task_id in self._retries.take_due(self._retry_pending)]
            failed = [task for task in due if task.state is TaskState.ERROR]
            for task in due:
                if task.awaiting_lease:  # asks the other process again: back in line
                    self._scheduler.line_up(task)
            if failed:
                self._requeue(failed)
            self._retries.arm()
        if due:
            self._schedule()
            self._poke()

    def _retry_pending(self, task_id: str) -> bool:
        task = self._tasks.get(task_id)
        if task is None:
            return False
        if task.state is TaskState.WAITING:
            return task.awaiting_lease
        return task.state is TaskState.ERROR and task.retry_at is not None

    def _wait_for_lease(self, task: UploadTask, note: str) -> None:
        """Another live process holds the task: it waits, and asks again after
        LEASE_RETRY_S (lock held). Nothing is written: the row is the holder's."""
        task.set_state(TaskState.WAITING)
        task.note = note
        task.awaiting_lease = True
        self._retries.ask_again(task.task_id, LEASE_RETRY_S)

    def _poke(self) -> None:
        """Make sure the event timer runs (from any thread; cheap when it does)."""
        # Read without the lock first: a small file pokes four times, and the lock
        # is what the upload threads wait for. Safe: the flag is cleared (under the
        # lock) only by a tick that found nothing changed, and every poke follows
        # a change made under the lock, so a poke after a clearing sees it.
        if self._wake_requested:
            return
        with self._lock:
            if self._wake_requested:
                return
            self._wake_requested = True
        self._on_loop(self._on_wake)

    def _on_loop(self, call: Callable[[], object]) -> None:
        """Run ``call`` now on the queue's thread, or from a worker as soon as that
        thread is free."""
        if self._loop.in_thread():
            call()
        else:
            self._loop.call_soon(call)

    def _flush_soon(self) -> None:
        """Emit what changed (and ``idle``) now, not on the next tick."""
        self._on_loop(self._flush_events)

    def _on_wake(self) -> None:
        if not self._timer.is_active():
            self._timer.start(self.settings.list_update_interval_ms / 1000)

    def _flush_events(self) -> None:
        now = time.monotonic()
        with self._lock:
            events = self._events.drain(self._records.knows)
            dirty = events.changed
            self._retries.arm()
            # Per-task progress is made only for a listener: the window reads its rows
            # through list_updated, and the command line counts the batch's.
            heard = self.task_progress.connected
            progress = self._progress_of(dirty, now) if heard else []
            for task_id in self._scheduler.running_ids:
                task = self._tasks[task_id]
                # Speed and ETA move even in a tick without bytes (a stalled upload),
                # and so does the time a silent server has kept a task waiting.
                if task_id not in dirty and (
                    task.state is TaskState.UPLOADING or task.unanswered_s(now) is not None
                ):
                    dirty.append(task_id)
                    if heard:
                        progress.append(task.progress(now))
            changed = bool(events) or bool(dirty)
            batch = self._batch_progress() if changed else None
            busy = self._busy()
            if not busy and not changed:
                self._timer.stop()
                self._wake_requested = False
            became_idle = self._was_busy and not busy
            if became_idle:
                self._batch.settle(now)
                self.journal.batch_ended(batch or self._batch_progress())
            self._was_busy = busy
            self.idle_at_last_tick = not busy
            self._rest_idle_tasks()
        for path, message in events.problems:
            self.scan_problem.emit(path, message)
        if events.added:
            self.tasks_added.emit(events.added, events.added_rows)
        for hashed in events.hashes:
            self.hash_progress.emit(hashed)
        for moved in progress:
            self.task_progress.emit(moved)
        if dirty:
            self.list_updated.emit(dirty)
        if events.removed:
            self.tasks_removed.emit(events.removed)
        for event in events.finished:
            self.file_finished.emit(event)
        for unfinished in events.restored:
            self.restored.emit(unfinished)
        for action, count in events.applied:
            self.request_applied.emit(action, count)
        if batch is not None:
            self.batch_progress.emit(batch)
        if became_idle:
            self.idle.emit()

    def _progress_of(self, task_ids: list[str], now: float) -> list[TaskProgress]:
        """The progress of those of ``task_ids`` that move or just ended (lock held)."""
        moving = (TaskState.UPLOADING, TaskState.CHECKING, TaskState.SUCCESS)
        tasks = (self._tasks.get(task_id) for task_id in task_ids)
        return [task.progress(now) for task in tasks if task is not None and task.state in moving]

    def deliver_events(self) -> None:
        """Emit now, on the queue's thread, the events still waiting (a finished
        file's among them). A command leaving its event loop calls it: the flush
        a job's end asks for comes through that loop, and ``cosdesk upload`` once
        quit in between and said "0 uploaded" for a file it had uploaded."""
        self._flush_events()

    def _busy(self) -> bool:
        # A task in error waiting for its automatic retry does not count: the CLI
        # ends (saying what failed) and tests see the failure; the window, which
        # stays open, retries it when it is due. Except a short wait for the
        # credential server, or for a lost network in a command (RetryScheduler):
        # that is a pause, not a failure.
        return bool(
            self._scheduler.running_ids
            or self._pending_intakes
            or self._records.state_counts[TaskState.WAITING]
            or self._retries.holding
        )

    @property
    def network_worked(self) -> bool:
        """Whether the server has answered one of this queue's requests."""
        return self._network_worked

    def is_idle(self) -> bool:
        with self._lock:
            return not self._busy()

    def _batch_progress(self) -> BatchProgress:
        # Lock held. At most FileParallelLimit tasks run.
        running = [self._tasks[task_id] for task_id in self._scheduler.running_ids if task_id in self._tasks]
        limit, now = self.limiter.limit_bytes_per_s, time.monotonic()
        batch = self._batch.progress(running, self.concurrency.files_limit(), now, limit_bytes_per_s=limit)
        # Under a limit the batch's time left comes from its bytes, not from its rows,
        # and it bounds each row's (UploadTask.ends_by). Without one it is at least
        # the slowest row's already, and a bound would feed back into it.
        ends_by = now + batch.eta_s if limit and batch.eta_s is not None else None
        for task in running:
            task.ends_by = ends_by
        return batch

    # --- the last run's tasks (engine/task_restore.py) -----------------------------

    def restore(self, *, resume: bool | None = None, task_ids: Collection[str] | None = None) -> list[str]:
        """Bring back the tasks stored by an earlier run, synchronously (the CLI; the
        window uses :meth:`restore_in_background`). Call once, at start-up. Tasks
        that were waiting or running come back waiting when ``resume`` (default:
        ``settings.resume_on_start``), paused otherwise; paused and failed ones stay
        so. ``task_ids``: only these tasks (``cosdesk tasks resume ID…``); the others
        stay in the database exactly as they are. Returns the ids of unfinished tasks."""
        resume = self.settings.resume_on_start if resume is None else resume
        # A set: each stored row is looked up in it (a list of 100,000 ids, once per row).
        unfinished = self._restorer.restore(resume, None if task_ids is None else frozenset(task_ids))
        self._schedule()
        self._poke()
        return unfinished

    def restore_in_background(self, *, resume: bool | None = None, hold: Hold | None = None) -> None:
        """:meth:`restore` on a worker thread: returns at once (reading 10,000 stored
        tasks takes about a second), the tasks arrive through ``tasks_added`` and
        ``restored`` fires when all are back. ``hold(endpoint)``, called on that
        worker once per endpoint, may keep the tasks of an endpoint paused that
        would resume: it returns the note they show (why), or None."""
        resume = self.settings.resume_on_start if resume is None else resume
        with self._lock:
            self._pending_intakes += 1
            self._restores += 1
            self._restore_announced = False

        def work() -> None:
            try:
                unfinished = self._restorer.restore(resume, hold=hold)
                with self._lock:
                    self._events.restore_done(unfinished)
                self._schedule()
            finally:
                with self._lock:
                    self._pending_intakes -= 1
                    self._restores -= 1
                    self._restore_ended.notify_all()
                    self._was_busy = True
                self._poke()

        self._aux_pool.start(Call(work))

    # --- requests from other processes ----------------------------------------------

    def _apply_request(self, action: RequestAction, task_id: str | None) -> None:
        with self._lock:
            targets = [task_id] if task_id is not None else None
            count = sum(1 for task in self._select(targets) if not task.state.is_final)
            if count:
                self._events.request_applied(str(action), count)
        if not count:
            return
        log.info("another process asked to %s %s", action, f"task {task_id}" if task_id else "all tasks")
        if action is RequestAction.PAUSE:
            self.pause(targets)
        else:
            self.cancel(targets)

    # --- shutting down ------------------------------------------------------------

    def shutdown(
        self, wait: bool = True, timeout_s: float = 30.0, on_saving: Callable[[int], None] | None = None
    ) -> bool:
        """Stop every worker (their tasks stay unfinished in the database, to be
        restored next time), wait for them when ``wait``, and commit the database:
        every queued write, however long it takes (``on_saving(writes left)`` hears
        how it goes, see ``TaskStore.flush``). Returns False if workers were still
        running at the timeout."""
        with self._lock:
            self._shutting_down = True
            self._intake_ended.notify_all()  # adders waiting to keep pace go on (and stop)
            self._restore_ended.notify_all()  # so do commands waiting for a restore
            self._retries.stop()
            for task in self._tasks.values():
                if task.control is not None:
                    task.control.stop(StopReason.SHUTDOWN)
        self._timer.stop()
        for pool in (self._aux_pool, self.file_pool, self.part_pool):
            pool.close()  # idle threads go now; busy ones after their job
        if self._watcher is not None:
            self._watcher.stop(wait, timeout_s)
        finished = True
        if wait:
            if not _all_done((self._aux_pool, self.file_pool, self.part_pool), ANSWER_GRACE_S):
                # Requests still wait for answers (a network gone without a word):
                # each ends now, and its stopped job reports the stop. Waiting
                # held Ctrl-C for the read timeout, 30 s.
                with self._client_lock:
                    clients = list(self._clients_used)
                for client in clients:
                    client.stop_requests()
            deadline_ms = int(timeout_s * 1000)
            finished = self._aux_pool.waitForDone(deadline_ms)
            finished = self.file_pool.waitForDone(deadline_ms) and finished
            finished = self.part_pool.waitForDone(deadline_ms) and finished
            self.leases.close()
            self._repository.wait_for_writes(on_progress=on_saving)
        return finished


def _all_done(pools: Iterable[ThreadPool], within_s: float) -> bool:
    """Wait up to ``within_s`` in all for the pools' jobs to end; whether they did."""
    deadline = time.monotonic() + within_s
    return all(pool.waitForDone(max(0, int((deadline - time.monotonic()) * 1000))) for pool in pools)


def _sent_in_parts(task: UploadTask) -> bool:
    """Big-file work: a file above SliceSize goes by multipart (engine/plan.py)."""
    return task.size is not None and task.size > task.options.slice_size


def _made_tasks(
    first: int,
    task_ids: list[str],
    bucket: str,
    endpoint: EndpointSpec,
    options: UploadOptions,
    sources: Sequence[tuple[str, NewSource]],
    batch: str,
) -> list[UploadTask]:
    """New tasks at the positions from ``first`` on, with the ids reserved for them
    (UploadQueue._reserve); not the queue's yet."""
    return [
        new_task(task_id, first + number, bucket, key, endpoint, options, source, batch)
        for number, (task_id, (key, source)) in enumerate(zip(task_ids, sources, strict=True))
    ]
