"""What the task table learns from the queue, off the GUI thread and in order.

The queue names the tasks that were added, changed or removed (ids only). The
feed reads their snapshots on a worker (the queue's lock can be busy for tens of
milliseconds while it stores a batch of new tasks: only the worker waits for
it), and hands them to the model in slices with a time budget, so the GUI
thread never stalls on a million tasks added at once. Removals travel in the
same ordered stream: a snapshot read before a task was removed is applied before
the removal, never after it.

A new task comes with its row as it was made (``CompactRow``); unless the queue
said it changed since, that row is what the table shows, with nothing read:
reading a million of them back from the queue was a tenth of the time they took
to add.

At start the feed first reads the task database's compact columns (see
``engine/task_table_source.py``), so the table shows the last run's tasks
before the queue has brought them back; queue events wait until those rows'
ids are indexed as well.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.task import CompactRow, HashProgress, RestingState, TaskSnapshot
from cosdesk.engine.task_table_source import read_columns
from cosdesk.engine.worker_pool import BackgroundCall, WorkerPool
from cosdesk.ui.queue_listening import listen
from cosdesk.ui.task_rows import TaskRows

log = logging.getLogger(__name__)

# Time budget per slice of applying, in seconds: well under a 60 Hz frame.
SLICE_BUDGET_S = 0.008
# Ids read per fetch job, and snapshots handed to the model at once.
FETCH_BATCH = 2000
APPLY_BATCH = 200
# Fetch more only when fewer operations than this wait to be applied: a fetch
# running while the GUI thread applies only competes with it for the GIL.
READY_LOW_WATER = 500


@dataclass(frozen=True)
class Removal:
    """Tasks that left the queue (``tasks_removed``)."""

    task_ids: list[str]


@dataclass(frozen=True)
class NewRows:
    """Rows of tasks the table has not had yet, made with them (see
    ``rows_still_true``): appended together, no slot looked for first."""

    rows: list[CompactRow]


Operation = TaskSnapshot | CompactRow | RestingState | Removal | NewRows


@dataclass
class _Segment:
    """Events in arrival order: ids to read (added ones flagged), then removals."""

    wanted: dict[str, bool] = field(default_factory=dict)  # task id -> reported as added
    removed: list[str] = field(default_factory=list)


class TaskFeed(QObject):
    """Connects to the queue; the model connects to these signals."""

    # The stored tasks, as rows (the first thing delivered, once): TaskRows.
    loaded = Signal(object)
    # Those rows' ids are indexed now (queue events are applied from now on).
    indexed = Signal()
    # Snapshots, compact rows and removals to apply, in order: list[Operation].
    arrived = Signal(object)
    # A slice of deliveries ended (the model tells of its new counts once per slice).
    slice_ended = Signal()
    # Snapshots read for rows the view shows: (request number, list[TaskSnapshot]).
    displayed = Signal(int, object)
    # A checking task's hashing progress: HashProgress.
    hashed = Signal(object)

    def __init__(
        self,
        queue: UploadQueue,
        db_path: Path | None,
        *,
        known_final: Callable[[str], bool],
        shown_idle: Callable[[str], bool] = lambda _task_id: False,
        parent: QObject | None = None,
    ) -> None:
        """``known_final(task_id)``: the table already shows this task as done or
        canceled (called on the worker): a restored task then needs no new read.
        ``shown_idle(task_id)``: it shows the task as waiting or paused (called on
        the worker; see RestingState)."""
        super().__init__(parent)
        self._queue = queue
        self._known_final = known_final
        self._shown_idle = shown_idle
        self._segments: deque[_Segment] = deque([_Segment()])
        # Rows of new tasks as the queue made them, until their turn (tasks_added).
        self._rows_at_adding: dict[str, CompactRow] = {}
        self._ready: deque[Operation] = deque()
        self._fetching = False
        self._loading = db_path is not None
        self._closed = False
        self._display_requests = 0
        self._displaying = 0
        # Reads below normal priority, like the engine's work: the GUI thread comes
        # first. Two threads: a display read never waits behind a long fetch.
        self._pool = WorkerPool(self, background=True)
        self._pool.setMaxThreadCount(2)
        self._signals = _Signals(self)
        self._signals.fetched.connect(self._on_fetched)
        self._signals.loaded.connect(self._on_loaded)
        self._signals.indexed.connect(self._on_indexed)
        self._signals.displayed.connect(self._on_displayed)
        self._pump = QTimer(self)
        self._pump.setInterval(0)
        self._pump.timeout.connect(self._deliver)
        listen(self, queue.tasks_added, self._on_added)
        listen(self, queue.list_updated, self._on_updated)
        listen(self, queue.tasks_removed, self._on_removed)
        listen(self, queue.hash_progress, self._on_hashed)
        if db_path is not None:
            self._pool.start(BackgroundCall(lambda: self._signals.loaded.emit(_load(db_path))))

    def is_settled(self) -> bool:
        """Nothing left to read or to deliver (tests wait on it)."""
        pending = any(segment.wanted or segment.removed for segment in self._segments)
        return not (pending or self._ready or self._fetching or self._loading or self._displaying)

    def shutdown(self) -> None:
        """Read nothing more; wait for the workers (the window calls this on close)."""
        self._closed = True
        self._pump.stop()
        self._pool.waitForDone(5000)

    # --- the queue's events ---------------------------------------------------------

    @Slot(object, object)
    def _on_added(self, task_ids: list[str], rows: dict[str, CompactRow]) -> None:
        self._rows_at_adding.update(rows)
        self._want(task_ids, added=True)

    @Slot(list)
    def _on_updated(self, task_ids: list[str]) -> None:
        self._want(task_ids, added=False)

    def _want(self, task_ids: list[str], *, added: bool) -> None:
        segment = self._segments[-1]
        if segment.removed:
            segment = _Segment()
            self._segments.append(segment)
        wanted = segment.wanted
        for task_id in task_ids:
            # Reported as added and changed since: read it anyway.
            wanted[task_id] = added and wanted.get(task_id, True)
        self._start_fetch()

    def read_again(self, task_ids: list[str]) -> None:
        """Fetch these tasks' rows once more (the model could not take what came)."""
        self._want(task_ids, added=False)

    @Slot(list)
    def _on_removed(self, task_ids: list[str]) -> None:
        self._segments[-1].removed.extend(task_ids)
        self._start_fetch()

    @Slot(object)
    def _on_hashed(self, progress: HashProgress) -> None:
        self.hashed.emit(progress)

    # --- reading snapshots off the GUI thread ---------------------------------------

    def _start_fetch(self) -> None:
        """Hand the next events to the fetch worker (one job at a time, so their
        order holds)."""
        if self._fetching or self._loading or self._closed or len(self._ready) > READY_LOW_WATER:
            return
        while len(self._segments) > 1 and not (self._segments[0].wanted or self._segments[0].removed):
            self._segments.popleft()
        segment = self._segments[0]
        chunk: dict[str, bool] = {}
        for task_id, added in segment.wanted.items():
            chunk[task_id] = added
            if len(chunk) >= FETCH_BATCH:
                break
        for task_id in chunk:
            del segment.wanted[task_id]
        removal: list[str] = []
        if not segment.wanted and segment.removed:
            removal, segment.removed = segment.removed, []
        if not chunk and not removal:
            return
        known = rows_still_true(chunk, self._rows_at_adding)
        if len(known) == len(chunk) and not removal:
            rows = list(known.values())
            self._ready.extend(
                NewRows(rows[start : start + APPLY_BATCH]) for start in range(0, len(rows), APPLY_BATCH)
            )
            if not self._pump.isActive():
                self._pump.start()
            return
        self._fetching = True
        queue, known_final, shown_idle = self._queue, self._known_final, self._shown_idle
        signals = self._signals

        def fetch() -> None:
            # Restored as it was stored: nothing new to show.
            wanted = [
                task_id
                for task_id, added in chunk.items()
                if task_id not in known and not (added and known_final(task_id))
            ]
            # One read for the chunk; a task removed since is not among them.
            read = {row.task_id: row for row in queue.table_rows_of(wanted, shown_idle)}
            read.update(known)
            operations: list[Operation] = [read[task_id] for task_id in chunk if task_id in read]
            if removal:
                operations.append(Removal(removal))
            with contextlib.suppress(RuntimeError):  # the feed is gone: nobody to tell
                signals.fetched.emit(operations)

        self._pool.start(BackgroundCall(fetch))

    @Slot(object)
    def _on_fetched(self, operations: list[Operation]) -> None:
        self._fetching = False
        if self._closed:
            return
        self._ready.extend(operations)
        if self._ready and not self._pump.isActive():
            self._pump.start()
        self._start_fetch()

    @Slot()
    def _deliver(self, budget_s: float | None = SLICE_BUDGET_S) -> None:
        """Hand ready operations to the model, stopping after ``budget_s``."""
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        while self._ready and (deadline is None or time.perf_counter() < deadline):
            chunk: list[Operation] = []
            rows = 0
            while self._ready and rows < APPLY_BATCH:
                chunk.append(self._ready.popleft())
                rows += len(chunk[-1].rows) if isinstance(chunk[-1], NewRows) else 1
            self.arrived.emit(chunk)
        self.slice_ended.emit()
        if len(self._ready) <= READY_LOW_WATER:
            self._start_fetch()
        if not self._ready:
            self._pump.stop()

    @Slot(object)
    def _on_loaded(self, rows: object) -> None:
        if not isinstance(rows, TaskRows):
            self._on_indexed()
            return
        self.loaded.emit(rows)
        # Shown already; indexing the ids takes a moment more, on the worker.
        signals = self._signals

        def index() -> None:
            rows.build_index()
            with contextlib.suppress(RuntimeError):
                signals.indexed.emit()

        self._pool.start(BackgroundCall(index))

    @Slot()
    def _on_indexed(self) -> None:
        self._loading = False
        self.indexed.emit()
        self._start_fetch()

    # --- rows the view shows --------------------------------------------------------

    def read_for_display(self, task_ids: list[str]) -> int:
        """Read the snapshots of rows about to be shown; ``displayed`` brings them
        with the number returned here."""
        self._display_requests += 1
        number = self._display_requests
        if self._closed:
            return number
        self._displaying += 1
        queue, signals = self._queue, self._signals

        def read() -> None:
            snapshots = queue.snapshots_of(task_ids)
            with contextlib.suppress(RuntimeError):
                signals.displayed.emit(number, snapshots)

        self._pool.start(BackgroundCall(read))
        return number

    @Slot(int, object)
    def _on_displayed(self, number: int, snapshots: list[TaskSnapshot]) -> None:
        self._displaying -= 1
        self.displayed.emit(number, snapshots)


def rows_still_true(chunk: dict[str, bool], rows_at_adding: dict[str, CompactRow]) -> dict[str, CompactRow]:
    """The rows made with the new tasks of ``chunk`` (task id -> reported as
    added and not changed since) that are still what the tasks are: those of
    tasks that changed are taken out of ``rows_at_adding`` too, and read anew."""
    known: dict[str, CompactRow] = {}
    for task_id, unchanged in chunk.items():
        row = rows_at_adding.pop(task_id, None)
        if row is not None and unchanged:
            known[task_id] = row
    return known


def _load(db_path: Path) -> TaskRows | None:
    try:
        return TaskRows.from_stored(read_columns(db_path))
    except Exception:
        # The queue restores the tasks anyway; the table then learns of them from it.
        log.exception("reading the task table from %s failed", db_path)
        return None


class _Signals(QObject):
    fetched = Signal(object)
    loaded = Signal(object)
    indexed = Signal()
    displayed = Signal(int, object)
