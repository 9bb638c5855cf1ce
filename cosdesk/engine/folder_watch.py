"""One watched folder: the file system's events become uploads once the files
settle (see ARCHITECTURE.md, "Watched folders").

watchdog (inotify, FSEvents, ReadDirectoryChangesW behind one API) reports
events on its own thread; the handler there only filters them through the
folder's patterns and tells the :class:`SettleTracker`, which is thread-safe. It
touches no Qt object. A timer on the watch's thread asks, a few times a second,
whether anything settled or the folder should be looked at; the work that reads
the disk (starting the system's watch, which walks the tree; a catch-up walk; the
last look at each settled file) runs as one job at a time on a worker pool, and
hands the settled files to the queue there. What the job found comes back to the
watch's thread as a signal.

A created, written or moved-in file is uploaded once it settles; a move within
the folder uploads the file under its new name (saving through a temporary name
and a rename is how many programs write); a delete or a move away uploads
nothing and deletes nothing.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot
from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_EVENTS_LOST,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.api import BaseObserver, ObservedWatch

from cosdesk.engine.batch_numbers import new_batch_token
from cosdesk.engine.intake import FileToAdd
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.scan import key_for, scan_path
from cosdesk.engine.settle import FileVersion, SettleTracker
from cosdesk.engine.sync_patterns import IGNORE_FILE_NAME, PatternError, SyncPatterns
from cosdesk.engine.sync_record import SyncRecord
from cosdesk.engine.task import FileFinished
from cosdesk.engine.watch_list import WatchedFolder
from cosdesk.engine.watch_record import WatchRecorder
from cosdesk.engine.worker_pool import BackgroundCall

log = logging.getLogger(__name__)

# How long a file must keep its size and time before it is uploaded.
DEFAULT_SETTLE_S = 2.0
# How often a watch looks whether its folder is still there (an unplugged disk,
# a folder deleted and made again), with nothing else to do.
FOLDER_CHECK_S = 2.0
# ``seen_until`` advances with every look; the kept record takes it this often
# (and when the watch pauses or stops): a crash costs at most this much
# catch-up, and the list is not written every two seconds.
SEEN_UNTIL_KEPT_EVERY_S = 60.0
# Files handed to the queue at once while a catch-up walk or a burst settles.
HAND_ON_BATCH = 500


# Which files of a watched folder differ from its destination (their paths);
# engine/watch_catch_up.py's, from a sync plan. Raises when it cannot tell.
CatchUpPlanner = Callable[[WatchedFolder], list[str]]


class WatchState(enum.Enum):
    WATCHING = "watching"
    PAUSED = "paused"
    MISSING = "missing"  # the folder is not there
    FAILED = "failed"  # the system would not watch it, or its patterns are wrong: see ``problem``


@dataclass(frozen=True)
class _Order:
    """What a job is asked to do."""

    watching: bool
    catch_up_since: float | None  # Unix seconds; None: no catch-up walk


@dataclass(frozen=True)
class _Outcome:
    """What a job found, for the watch's thread."""

    state: WatchState
    problem: str = ""
    # The files queued: (task id, key, the file's version when handed on).
    handed: list[tuple[str, str, FileVersion]] = field(default_factory=list)
    # Every change before this (Unix seconds) is with the queue; None: some still wait.
    seen_until: float | None = None
    # The catch-up ordered but not done (the folder missing): asked again next time.
    catch_up_left: float | None = None


class _Events(FileSystemEventHandler):
    """watchdog's handler: runs on watchdog's thread, touches no Qt object."""

    def __init__(self, watch: FolderWatch) -> None:
        super().__init__()
        self._watch = watch

    def on_any_event(self, event: FileSystemEvent) -> None:
        watch = self._watch
        kind = event.event_type
        if kind == EVENT_TYPE_EVENTS_LOST:  # the system's queue overflowed
            watch.lost_events.set()
            return
        if event.is_directory:
            # A folder made, or moved in, comes with events for what it holds.
            return
        source = os.fsdecode(event.src_path)
        if kind in (EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_CLOSED):
            watch.file_changed(source)
        elif kind == EVENT_TYPE_DELETED:
            watch.tracker.forget(source)
        elif kind == EVENT_TYPE_MOVED:
            watch.tracker.forget(source)
            watch.file_changed(os.fsdecode(event.dest_path))


class FolderWatch(QObject):
    """Watches ``record.folder`` and queues its settled files on ``queue`` (see
    the module's docstring). ``record`` is replaced whole as the watch goes
    (paused, files uploaded, ``seen_until``); ``state`` says how it goes now."""

    # The record, the state or the counts changed; read them from the watch.
    changed = Signal()
    # This many files were just handed to the queue.
    files_queued = Signal(int)
    _job_done = Signal(object)

    def __init__(
        self,
        record: WatchedFolder,
        queue: UploadQueue,
        observer: BaseObserver,
        pool: QThreadPool,
        *,
        settle_s: float = DEFAULT_SETTLE_S,
        plan_catch_up: CatchUpPlanner | None = None,
        synced: SyncRecord | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.record = record
        self._plan_catch_up = plan_catch_up
        # Verified uploads go to the sync record ``synced`` (engine/watch_record.py).
        self._recorder = WatchRecorder(synced) if synced is not None else None
        self.state = WatchState.PAUSED if record.paused else WatchState.WATCHING
        self.problem = ""
        self.failed = 0  # files whose upload failed since the watch started
        self.tracker = SettleTracker(settle_s)
        self.lost_events = threading.Event()
        self._queue = queue
        self._observer = observer
        self._pool = pool
        self._handler = _Events(self)
        self._patterns = SyncPatterns()
        # Touched by jobs only (one at a time), and by stop() once none runs.
        self._system_watch: ObservedWatch | None = None
        self._folder_identity: tuple[int, int] | None = None
        self._job_running = False
        self._no_job = threading.Event()
        self._no_job.set()
        self._stopping = threading.Event()
        self._following_ended = False
        self._look_now = True
        self._catch_up_since: float | None = None
        # ``record.seen_until`` as it is now (the record takes it now and then).
        self._seen_until = record.seen_until
        # Set by the first job: when the system's watch starts after that (the
        # folder made again, its disk back), what the folder holds is new to us.
        self._looked_before = False
        self._last_look = 0.0
        # Tasks this watch queued that have not succeeded yet.
        self._ours: set[str] = set()
        # Files finished while a job ran: a small file may finish before the job
        # that queued it has said so (its ids come with the job's outcome).
        self._finished_during_job: list[FileFinished] = []
        self._job_done.connect(self._on_job_done)
        queue.file_finished.connect(self._on_file_finished)
        self._timer = QTimer(self)
        self._timer.setInterval(max(50, min(500, int(settle_s * 250))))
        self._timer.timeout.connect(self._tick)

    # --- control (the watch's thread) ---------------------------------------------

    def start(self, *, catch_up: bool = True) -> None:
        """Begin following the folder. With ``catch_up``, a watch not paused
        first takes what changed while it did not run (see :meth:`_catch_up`);
        without, only what changes from now on."""
        if catch_up and not self.record.paused:
            self._catch_up_since = self._seen_until
        self._timer.start()
        QTimer.singleShot(0, self._tick)

    def pause(self) -> None:
        """Stop following the folder; changes meanwhile are caught up with on resume."""
        if self.record.paused:
            return
        self.record = self.record.with_changes(paused=True, seen_until=self._seen_until)
        self.tracker.forget_all()
        self._catch_up_since = None
        self._set_state(WatchState.PAUSED, "")
        self._look_now = True

    def resume(self) -> None:
        if not self.record.paused:
            return
        self.record = self.record.with_changes(paused=False)
        self._catch_up_since = self._seen_until
        self._set_state(WatchState.WATCHING, "")
        self._look_now = True
        QTimer.singleShot(0, self._tick)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop for good: :meth:`stop_watching`, then :meth:`stop_following`. Idempotent."""
        self.stop_watching(timeout_s)
        self.stop_following()

    def stop_watching(self, timeout_s: float = 10.0) -> None:
        """Hand on no more files: waits for a running job (a catch-up walk stops at
        its next file) and ends the system's watch. The uploads handed on are
        still followed. Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._timer.stop()
        if not self._no_job.wait(timeout_s):
            log.warning("the watch of %s did not stop within %.0f s", self.record.folder, timeout_s)
        self._end_system_watch()
        self.record = self.record.with_changes(seen_until=self._seen_until)

    def stop_following(self) -> None:
        """Stop following the uploads handed on, and write to the sync record those
        verified so far. On quitting, the queue stops (and tells of the uploads that
        ended meanwhile) between stop_watching and this: a file whose upload ended
        as the window closed was otherwise left out of the record, and the next
        start paid a HEAD and a read for it. Idempotent."""
        if self._following_ended:
            return
        self._following_ended = True
        with contextlib.suppress(RuntimeError, TypeError):  # disconnected already
            self._queue.file_finished.disconnect(self._on_file_finished)
        if self._recorder is not None:
            self._recorder.close(self.record.target)

    def _set_state(self, state: WatchState, problem: str) -> None:
        if (state, problem) != (self.state, self.problem):
            self.state, self.problem = state, problem
            self.changed.emit()

    # --- the timer and the jobs ----------------------------------------------------

    @Slot()
    def _tick(self) -> None:
        if self._job_running or self._stopping.is_set():
            return
        now = time.monotonic()
        look = self._look_now or now - self._last_look >= FOLDER_CHECK_S or self.lost_events.is_set()
        settled = self.tracker.next_due_in_s() == 0
        if not (look or settled):
            return
        if look:
            self._look_now = False
            self._last_look = now
        if self.lost_events.is_set():
            self.lost_events.clear()
            if self._catch_up_since is None and not self.record.paused:
                self._catch_up_since = self._seen_until
        order = _Order(watching=not self.record.paused, catch_up_since=self._catch_up_since)
        self._catch_up_since = None
        self._job_running = True
        self._no_job.clear()
        self._pool.start(BackgroundCall(lambda: self._run(order)))

    def _run(self, order: _Order) -> None:
        """On a pool thread."""
        try:
            try:
                outcome = self._job(order)
            except Exception as error:  # a job must always report back, or the watch stalls
                log.exception("watching %s failed", self.record.folder)
                outcome = _Outcome(WatchState.FAILED, str(error))
            self._job_done.emit(outcome)
        finally:
            # Only now may stop() return and the watch be deleted: the emit above
            # must not meet a half-deleted object.
            self._no_job.set()

    def _job(self, order: _Order) -> _Outcome:
        started_at = time.time()
        if not order.watching:
            self._end_system_watch()
            return _Outcome(WatchState.PAUSED)
        identity = _folder_identity(self.record.folder)
        if identity is None:
            self._end_system_watch()
            self._looked_before = True
            return _Outcome(WatchState.MISSING, catch_up_left=order.catch_up_since)
        catch_up_since = order.catch_up_since
        if self._system_watch is None or identity != self._folder_identity:
            # Watched for the first time, or come back (made again, its disk
            # plugged in): what it holds now may be new.
            self._end_system_watch()
            try:
                self._patterns = self._read_patterns()
                self._system_watch = self._observer.schedule(
                    self._handler, self.record.folder, recursive=True
                )
            except (OSError, PatternError) as error:
                return _Outcome(WatchState.FAILED, str(error), catch_up_left=order.catch_up_since)
            self._folder_identity = identity
            if catch_up_since is None and self._looked_before:
                catch_up_since = self._seen_until
            self._looked_before = True
        if catch_up_since is not None:
            self._catch_up(catch_up_since)
        handed = self._hand_on_settled()
        seen_until = started_at if self.tracker.waiting == 0 else None
        return _Outcome(WatchState.WATCHING, handed=handed, seen_until=seen_until)

    def _end_system_watch(self) -> None:
        if self._system_watch is not None:
            # Its folder gone, the system may have ended the watch itself.
            with contextlib.suppress(KeyError, OSError):
                self._observer.unschedule(self._system_watch)
            self._system_watch = None
            self._folder_identity = None

    def _read_patterns(self) -> SyncPatterns:
        return SyncPatterns.for_folder(
            Path(self.record.folder), excludes=self.record.excludes, includes=self.record.includes
        )

    def _catch_up(self, since: float) -> None:
        """What changed while the watch did not run waits to settle like any
        changed file (one still being written is not taken half-way): the files
        that differ from the destination, when ``plan_catch_up`` can tell; else
        those modified since ``since``."""
        if self._plan_catch_up is not None:
            try:
                paths = self._plan_catch_up(self.record)
            except Exception as error:  # offline, no keys, a folder unreadable: fall back
                log.warning(
                    "%s: cannot compare with cos://%s (%s); catching up by modification time",
                    self.record.folder,
                    self.record.target.describe(),
                    error,
                )
            else:
                for path in paths:
                    self.tracker.changed(path)
                return
        self._catch_up_by_time(since)

    def _catch_up_by_time(self, since: float) -> None:
        """Files modified up to a settle time before ``since`` are taken too,
        since modification times are coarse on some file systems (2 s on FAT); a
        file this watch handed on had held still that long before the job that
        set ``since``, so it is not taken again."""
        after_ns = int((since - self.tracker.settle_s) * 1e9)
        for entry in scan_path(self.record.folder, "", contents_only=True):
            if self._stopping.is_set():
                return
            if entry.path is None or entry.mtime_ns is None or entry.mtime_ns <= after_ns:
                continue
            if self._takes(entry.key):
                self.tracker.changed(entry.path)

    def _hand_on_settled(self) -> list[tuple[str, str, FileVersion]]:
        """Queue the settled files: (task id, key, version) of each."""
        target = self.record.target
        files = []
        for settled in self.tracker.settled():
            relative = self._relative(settled.path)
            if relative is not None and self._takes(relative):
                key, version = key_for(target.prefix, relative), settled.version
                files.append(FileToAdd(settled.path, key, version.size, version.mtime_ns))
        handed: list[tuple[str, str, FileVersion]] = []
        batch_token = new_batch_token()  # the files settled together: one batch
        for start in range(0, len(files), HAND_ON_BATCH):
            batch = files[start : start + HAND_ON_BATCH]
            task_ids = self._queue.add_files(
                batch, target.bucket, target.options, target.endpoint, batch=batch_token
            )
            handed += [
                (task_id, file.key, FileVersion(file.size or 0, file.mtime_ns or 0))
                for task_id, file in zip(task_ids, batch, strict=True)
            ]
        return handed

    @Slot(object)
    def _on_job_done(self, outcome: _Outcome) -> None:
        self._job_running = False
        if self._stopping.is_set():
            return
        record = self.record
        if outcome.seen_until is not None and not record.paused:
            self._seen_until = outcome.seen_until
            if self._seen_until - record.seen_until >= SEEN_UNTIL_KEPT_EVERY_S:
                record = record.with_changes(seen_until=self._seen_until)
        if outcome.state is WatchState.MISSING and self.state is not WatchState.MISSING:
            log.warning("the watched folder %s is not there", record.folder)
        if outcome.state is WatchState.FAILED:
            log.error("cannot watch %s: %s", record.folder, outcome.problem)
        if outcome.catch_up_left is not None and self._catch_up_since is None and not record.paused:
            self._catch_up_since = outcome.catch_up_left
        changed = record != self.record
        self.record = record
        task_ids = [task_id for task_id, _key, _version in outcome.handed]
        self._ours.update(task_ids)
        if self._recorder is not None:
            self._recorder.handed_on(outcome.handed)
        early, self._finished_during_job = self._finished_during_job, []
        for finished in early:
            if finished.task_id in self._ours:
                self._count(finished)
                changed = True
        # A job ordered before a pause or resume says nothing of the state now.
        state = WatchState.PAUSED if record.paused else outcome.state
        if (state, outcome.problem) != (self.state, self.problem):
            self.state, self.problem = state, outcome.problem
            changed = True
        if task_ids:
            log.info("%s: %d file(s) queued", record.folder, len(task_ids))
            self.files_queued.emit(len(task_ids))
        if self._recorder is not None:
            self._recorder.flush(record.target)
        if changed:
            self.changed.emit()

    @Slot(object)
    def _on_file_finished(self, finished: FileFinished) -> None:
        if finished.task_id in self._ours:
            self._count(finished)
            self.changed.emit()
        elif self._job_running:
            self._finished_during_job.append(finished)

    def _count(self, finished: FileFinished) -> None:
        if self._recorder is not None:
            self._recorder.finished(finished, self.record.target)
        if finished.data is not None:
            self._ours.discard(finished.task_id)
            self.record = self.record.with_changes(uploaded=self.record.uploaded + 1)
        else:
            self.failed += 1

    # --- what the folder's events become (watchdog's thread) -----------------------

    def file_changed(self, path: str) -> None:
        relative = self._relative(path)
        if relative is None:
            return  # moved out of the folder
        if relative == IGNORE_FILE_NAME:
            try:
                self._patterns = self._read_patterns()
            except (OSError, PatternError) as error:
                log.error("%s: %s; the patterns before it still apply", path, error)
            return
        if self._takes(relative):
            self.tracker.changed(path)

    def _relative(self, path: str) -> str | None:
        """``path`` relative to the folder, "/"-separated; None outside it."""
        relative = os.path.relpath(path, self.record.folder)
        if relative == os.curdir or relative.startswith(os.pardir + os.sep) or relative == os.pardir:
            return None
        return relative.replace(os.sep, "/")

    def _takes(self, relative: str) -> bool:
        patterns = self._patterns
        folders = relative.split("/")[:-1]
        for depth in range(1, len(folders) + 1):
            if patterns.skips_folder("/".join(folders[:depth])):
                return False
        return patterns.takes(relative)


def _folder_identity(folder: str) -> tuple[int, int] | None:
    """(device, inode) of the folder; None when there is no folder there."""
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None
