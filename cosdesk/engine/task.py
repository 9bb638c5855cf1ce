"""One upload task: its states, its mutable record (owned by the queue) and the
frozen snapshots that cross threads in signals.

State machine (see ARCHITECTURE.md, 'Task states')::

    waiting -> checking -> uploading -> success
       ^          |            |
       |          +---> paused / error (auto-paused) --restart--> waiting
       +------------------------------------------------------------+
    any unfinished state --cancel--> canceled --upload again--> waiting

``success`` is final; ``canceled`` is final unless the user asks to upload the
file again, which starts it over from the first byte, or a success arrives late
(``UploadTask.succeed``: the job's last request had already completed on the
server when the cancel came; the object is kept and the task says so).
Every change is checked by :func:`check_transition` against the table below,
made by ``UploadTask.set_state`` (``RestingTask.set_state`` for a task at rest)
or, for the late success, ``UploadTask.succeed``. A record read back from the
database takes the stored state as it is (``RestingTask.take_stored``): the
process that stored it checked that transition.
"""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from cosdesk.engine.meter import SpeedMeter, eta_seconds
from cosdesk.engine.notes import TaskNote
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

# The record's values are named here too: most callers think of "a task".
__all__ = [
    "Checkpoint",
    "FileResult",
    "PartRecord",
    "SourceKind",
    "TaskError",
    "TaskSpec",
    "TaskState",
    "TaskStatus",
    "UploadMethod",
    "Verification",
]

# A running task that has heard nothing from the server this long says so (its
# row, the status bar, the command's progress line). COS answers a request in
# well under a second, a Complete of many parts in a few; a hung server or a
# proxy that swallows requests keeps it waiting until the 60 s read timeout,
# then again for each retry, and "Checking 0%" alone read as frozen.
UNANSWERED_AFTER_S = 15.0

# Transitions the queue allows; anything else is a bug and raises.
_ALLOWED: dict[TaskState, frozenset[TaskState]] = {
    TaskState.WAITING: frozenset({TaskState.CHECKING, TaskState.PAUSED, TaskState.CANCELED, TaskState.ERROR}),
    TaskState.CHECKING: frozenset(
        {
            TaskState.UPLOADING,
            TaskState.SUCCESS,
            TaskState.PAUSED,
            TaskState.ERROR,
            TaskState.CANCELED,
            TaskState.WAITING,
        }
    ),
    TaskState.UPLOADING: frozenset(
        {
            TaskState.SUCCESS,
            TaskState.PAUSED,
            TaskState.ERROR,
            TaskState.CANCELED,
            TaskState.WAITING,
            TaskState.CHECKING,
        }
    ),
    TaskState.PAUSED: frozenset({TaskState.WAITING, TaskState.CANCELED}),
    TaskState.ERROR: frozenset({TaskState.WAITING, TaskState.CANCELED, TaskState.PAUSED}),
    TaskState.SUCCESS: frozenset(),
    TaskState.CANCELED: frozenset({TaskState.WAITING}),
}


# The late success, the one transition outside the table: where a task may be
# when its job's last request turns out to have succeeded although a pause,
# cancel or restart came first (see UploadTask.succeed), with what was asked
# too late. Only succeed() makes it.
LATE_SUCCESS_FROM: dict[TaskState, TaskNote] = {
    TaskState.PAUSED: TaskNote.LATE_AFTER_PAUSE,
    TaskState.CANCELED: TaskNote.LATE_AFTER_CANCEL,
    TaskState.WAITING: TaskNote.LATE_AFTER_RESTART,
}


def check_transition(old: TaskState, new: TaskState, *, late_success: bool = False) -> None:
    """Raise ValueError unless a task may go from ``old`` to ``new``: a move of the
    table, or with ``late_success`` the late success (to SUCCESS from one of
    :data:`LATE_SUCCESS_FROM`)."""
    if new is old or new in _ALLOWED[old]:
        return
    if late_success and new is TaskState.SUCCESS and old in LATE_SUCCESS_FROM:
        return
    raise ValueError(f"a task cannot go from {old} to {new}")


@dataclass(frozen=True)
class TaskProgress:
    """Progress of one task (the seed's progressData). ``speed`` is bytes/s over a
    short sliding window; ``percent`` is 0..1; ``eta_s`` is None when unknown."""

    task_id: str
    loaded: int
    total: int
    speed: float | None  # None: not measured yet (SpeedMeter.speed)
    percent: float
    eta_s: float | None


@dataclass(frozen=True)
class HashProgress:
    """Progress of hashing or verifying local bytes (the seed's onHashProgress)."""

    task_id: str
    loaded: int
    total: int
    speed: float
    percent: float


class FailedFile(NamedTuple):
    """A file of the batch that failed: its key and why (for the notice of how
    the batch ended)."""

    key: str
    error: TaskError


@dataclass(frozen=True)
class BatchProgress:
    """The progress of the current batch (see ``engine/batch.py`` for what a batch
    is): the tasks queued or resumed since the queue was last idle. Tasks of
    earlier batches count nowhere here.

    - ``loaded`` / ``total``: bytes of the batch's tasks that are not canceled:
      what has been sent (all of a finished file) / their sizes. ``percent`` is
      their ratio, so a paused or failed file keeps it below 100%: it is not
      uploaded.
    - ``remaining``: the bytes still to send by tasks that will run without anyone
      doing anything (waiting, checking, uploading); paused, failed and canceled
      ones are not remaining work.
    - ``speed``: bytes/s over the last few seconds (0 when nothing runs, None
      while it is not measured yet).
    - ``eta_s``: seconds until the remaining work is done (see
      ``BatchTracker.progress``); None when nothing runs or it cannot be told yet.
    - the counts are tasks of the batch per state (``running``: checking or
      uploading); ``elapsed_s``: time since the batch began, until it ended.
    - ``first_failure``: of the batch's files that failed and still are, the
      first to fail (None when none, or only files restored as failed);
      ``failed_transient``: how many of those failed in a way that heals by
      itself (``TaskError.transient``), which the window starts again when due.
    """

    loaded: int
    total: int
    speed: float | None
    percent: float
    eta_s: float | None
    waiting: int
    running: int
    succeeded: int
    failed: int
    paused: int
    canceled: int = 0
    remaining: int = 0
    elapsed_s: float = 0.0
    # Seconds the server has answered none of the running tasks (UploadTask.unanswered_s).
    unanswered_s: float | None = None
    first_failure: FailedFile | None = None
    failed_transient: int = 0

    @property
    def files(self) -> int:
        """Files of the batch that are not canceled."""
        return self.waiting + self.running + self.succeeded + self.failed + self.paused

    @property
    def unfinished(self) -> int:
        """Files of the batch still waiting, running or paused (not failed)."""
        return self.waiting + self.running + self.paused


@dataclass(frozen=True)
class FileFinished:
    """One file is done (the seed's onFileFinish(err, data)): exactly one of
    ``error`` and ``data`` is set."""

    task_id: str
    error: TaskError | None
    data: FileResult | None
    # Another cosdesk process finished it (engine/ownership.py): the bytes it sent
    # that this one had not counted as on the server. None: it was finished here.
    sent_by_other_process: int | None = None
    # The error is a wait: the queue starts the task again before it goes idle
    # (a credential server that did not answer, engine/retry_scheduler.py).
    retried_before_idle: bool = False


class CompactRow(NamedTuple):
    """What the table shows of a task that has nothing but its key, state, size
    and bytes sent to show (no error, note or result): a task just added and put
    at rest. The queue hands the table these where it has them, and full
    snapshots for the rest: making a ``TaskSnapshot`` for each of a million new
    tasks, and taking it in the table, was a third of adding them
    (ARCHITECTURE.md, "The task table")."""

    task_id: str
    key: str
    state: TaskState
    size: int | None
    loaded: int
    from_file: bool  # a local file: "Open containing folder" applies


class RestingState(NamedTuple):
    """A task at rest went from waiting to paused or back (a pause or a restart
    of everything): its new state, size and bytes on the server, all the table
    needs of a row it shows as waiting or paused, whose key, error and note
    these do not change. Reading each task's row back from the database instead
    made the tabs trail a "Pause all" of 100,000 tasks by ten seconds."""

    task_id: str
    state: TaskState
    size: int | None
    loaded: int


@dataclass(frozen=True, slots=True)
class TaskSnapshot(RecordViews):
    """Everything a view shows about a task, frozen at one moment: the task's
    three values and the figures of its current run."""

    spec: TaskSpec
    checkpoint: Checkpoint
    status: TaskStatus
    progress: TaskProgress
    # Failed on the network (or a 5xx): the queue starts it again by itself after
    # this many seconds (counted from ``retry_at``, wall-clock time). None: no
    # automatic retry is pending.
    retry_delay_s: float | None = None
    retry_at: float | None = None
    # Paused: bytes that had been sent but not confirmed by the server when the
    # pause stopped them (a part or a whole small file in flight). Progress went
    # back by this much (resuming sends what the server turns out not to hold):
    # the view says why.
    dropped_bytes: int = 0
    # Running: bytes this run took back because a request failed and was sent
    # again (progress went back by this much then: the view says why).
    resent_bytes: int = 0
    # Running: seconds the server has left it without an answer (UploadTask.unanswered_s).
    unanswered_s: float | None = None

    @property
    def parts_done(self) -> int:
        return len(self.checkpoint.parts)

    @property
    def loaded(self) -> int:
        return self.progress.loaded

    @property
    def speed(self) -> float | None:
        return self.progress.speed

    @property
    def percent(self) -> float:
        return self.progress.percent

    @property
    def eta_s(self) -> float | None:
        return self.progress.eta_s


class TaskFigures(NamedTuple):
    """A task's state, size (None: not read yet) and bytes the server holds, as
    the queue keeps them in memory: what a summary of many tasks counts."""

    task_id: str
    state: TaskState
    size: int | None
    loaded: int


@dataclass(slots=True)
class Tally:
    """What a task adds to the running totals: the state it counts under in the
    queue's tasks per state (None: not counted), and its batch (engine/batch.py)
    with what it adds to that batch's totals, (state, size, loaded). It moves
    with the task when the task goes at rest and back (engine/resting.py)."""

    counted: TaskState | None = None
    batch_number: int = 0
    batch_counted: tuple[TaskState, int, int] | None = None


def _status_field(name: str) -> property:
    """A task attribute that reads and replaces one field of its frozen status."""

    def read(task: UploadTask) -> object:
        return getattr(task.status, name)

    def write(task: UploadTask, value: object) -> None:
        task.status = replace(task.status, **{name: value})  # type: ignore[arg-type]

    return property(read, write)


@dataclass(slots=True, eq=False)
class UploadTask(RecordViews):
    """The queue's mutable record of one task: its three frozen values, each
    replaced whole, and the figures of the current run (never stored). Guarded
    by the queue's lock; only snapshots leave it."""

    spec: TaskSpec
    checkpoint: Checkpoint
    status: TaskStatus
    loaded: int = 0
    # The speed of the current run (None until the task first runs: a waiting task
    # does not carry one, which is most of a small record's size).
    meter: SpeedMeter | None = None
    control: JobControl | None = None
    ready: bool = False  # persisted and known to the store's writer
    hash_started_at: float | None = None
    # What this task adds to the queue's counts and the batch's totals.
    tally: Tally = field(default_factory=Tally)
    # Automatic retries after network failures: how many so far in a row, and the
    # pending one (delay in seconds, wall-clock time it is due).
    network_retries: int = 0
    retry_delay_s: float | None = None
    retry_at: float | None = None
    # Another process held the task when last asked (its note says which). Waiting,
    # it asks again on the retry timer and stays waiting until it gets the lease;
    # the note goes when it runs, or is paused or restarted.
    awaiting_lease: bool = False
    # What the view showed as sent when the task was paused (None: not paused).
    loaded_at_pause: int | None = None
    # The current run, in time.monotonic(): when it started, when its first and
    # latest bytes went out (what a file costs besides its bytes, see batch.py).
    run_started_at: float | None = None
    first_byte_at: float | None = None
    last_byte_at: float | None = None
    # Bytes this run took back while it kept running (failed requests sent again).
    resent_bytes: int = 0
    # When the current run last moved (its job took the task's lease, sent or
    # hashed bytes, reported a step), in time.monotonic(), and the longest time
    # it has taken between two reports of bytes sent: see unanswered_s.
    heard_at: float | None = None
    longest_byte_gap_s: float | None = None
    # The latest this run can end (time.monotonic()): when its batch's time left
    # says the batch ends, under a bandwidth limit the files share. None: no bound.
    ends_by: float | None = None

    # Fields of the status the queue sets one at a time (each replaces the status).
    position = _status_field("position")
    error = _status_field("error")
    note = _status_field("note")
    result = _status_field("result")
    finished_at = _status_field("finished_at")

    def set_state(self, new: TaskState) -> None:
        """Move to ``new`` through the table (ValueError outside it)."""
        self._move(new, late_success=False)

    def _move(self, new: TaskState, *, late_success: bool) -> None:
        old = self.status.state
        check_transition(old, new, late_success=late_success)
        if new is TaskState.PAUSED and old is not TaskState.PAUSED:
            self.loaded_at_pause = self.loaded
        elif new is not TaskState.PAUSED:
            self.loaded_at_pause = None
        if new is TaskState.CHECKING:
            self.meter = SpeedMeter()  # a new run measures its own speed
            self.run_started_at = time.monotonic()
            self.heard_at = None  # from when its job has the task's lease (job_claim)
            self.longest_byte_gap_s = None
            self.ends_by = None
            self.first_byte_at = self.last_byte_at = None
            self.resent_bytes = 0
        elif not new.is_active:
            # A speed is shown only while the task runs. Kept, the meter (its lock
            # and deque) was three of the objects a full garbage collection walks
            # for each finished task still in memory.
            self.meter = None
        self.status = replace(self.status, state=new)

    def succeed(self) -> None:
        """Record that the job finished: the object is on the server.

        The late-success rule: a success beats a pause, cancel or restart that
        came while the job's last request was already completing on the server
        (as in s3transfer, where a result set after a cancel still stands). The
        object exists and a finished object is never deleted, so the task goes to
        SUCCESS from PAUSED, CANCELED or WAITING too, and ``note`` says that the
        pause or cancel came too late; a cancel's cleanup then has nothing to
        remove. This is the only way out of CANCELED other than uploading again;
        ``set_state(SUCCESS)`` from these states still raises. Raises ValueError
        from any other state (ERROR, SUCCESS)."""
        state = self.status.state
        if state is TaskState.SUCCESS:
            raise ValueError("a task cannot succeed twice")
        late = state in LATE_SUCCESS_FROM
        self._move(TaskState.SUCCESS, late_success=late)
        if late:
            self.note = LATE_SUCCESS_FROM[state].text()

    def add_progress(self, byte_count: int, now: float | None = None, *, sent: bool = True) -> None:
        """Count bytes a worker sent (negative: an abandoned request taking back
        what it had reported; with ``sent`` False, bytes that never left, which
        the speed forgets too)."""
        now = time.monotonic() if now is None else now
        self.loaded += byte_count
        if self.meter is not None:
            self.meter.add(byte_count, now, sent=sent)
        if byte_count < 0 and sent and self.state.is_active:
            self.resent_bytes -= byte_count  # not paused nor canceled: a request is retried
        if byte_count > 0:
            if self.first_byte_at is None:
                self.first_byte_at = now
            if self.last_byte_at is not None:
                gap = now - self.last_byte_at
                self.longest_byte_gap_s = max(gap, self.longest_byte_gap_s or 0.0)
            self.last_byte_at = self.heard_at = now

    def pace_changed(self, now: float) -> None:
        """The upload was slowed on our side (a lower bandwidth limit): the pace
        between chunks is measured afresh before a wait counts as a silence."""
        self.longest_byte_gap_s = None
        self.last_byte_at = None
        if self.heard_at is not None:  # counting from the job's lease, not before
            self.heard_at = now

    def heard(self, now: float | None = None) -> None:
        """The run moved without sending bytes: a step reported, bytes hashed."""
        self.heard_at = time.monotonic() if now is None else now

    def unanswered_s(self, now: float) -> float | None:
        """How long the server has kept this run waiting, once that is long enough
        to say: UNANSWERED_AFTER_S while it checks or waits for the answer to bytes
        all sent. While bytes are still going out (a server that stops reading
        stops them too), three times the longest this run has taken between two
        chunks, and nothing before it has sent two: bytes are counted a chunk
        (1 MiB) at a time, and a slow link takes a while over each."""
        state = self.status.state
        if self.heard_at is None or state not in (TaskState.CHECKING, TaskState.UPLOADING):
            return None
        wait = UNANSWERED_AFTER_S
        if state is TaskState.UPLOADING and self.loaded < (self.size or 0):
            if self.longest_byte_gap_s is None:
                return None
            wait = max(wait, 3 * self.longest_byte_gap_s)
        quiet = now - self.heard_at
        return quiet if quiet >= wait else None

    def dropped_bytes(self) -> int:
        """Paused: what progress lost when the pause threw away bytes in flight."""
        if self.state is not TaskState.PAUSED or self.loaded_at_pause is None:
            return 0
        return max(0, self.loaded_at_pause - max(self.loaded, 0))

    def start_over(self) -> None:
        """Forget every byte sent (before uploading a canceled task again)."""
        self.checkpoint = self.checkpoint.started_over()
        self.status = replace(self.status, error=None, note="", finished_at=None)
        self.loaded = 0

    def compact_row(self) -> CompactRow | None:
        """The task as a ``CompactRow``, if that is all it has to show: waiting,
        with no error, note, result or retry to tell of."""
        status = self.status
        if (
            status.state is not TaskState.WAITING
            or status.error is not None
            or status.note
            or status.result is not None
            or self.retry_delay_s is not None
        ):
            return None
        from_file = self.source_path is not None
        return CompactRow(self.task_id, self.key, status.state, self.size, self.loaded, from_file)

    def snapshot(self, now: float | None = None) -> TaskSnapshot:
        now = time.monotonic() if now is None else now
        return TaskSnapshot(
            spec=self.spec,
            checkpoint=self.checkpoint,
            status=self.status,
            progress=self.progress(now),
            retry_delay_s=self.retry_delay_s,
            retry_at=self.retry_at,
            dropped_bytes=self.dropped_bytes(),
            resent_bytes=self.resent_bytes if self.state.is_active else 0,
            unanswered_s=self.unanswered_s(now),
        )

    def progress(self, now: float | None = None) -> TaskProgress:
        now = time.monotonic() if now is None else now
        total = self.checkpoint.size or 0
        uploading = self.state is TaskState.UPLOADING
        speed: float | None = 0.0
        if uploading and self.meter is not None:
            speed = self.meter.speed(now)
        loaded = min(self.loaded, total) if total else self.loaded
        percent = 1.0 if self.state is TaskState.SUCCESS else (loaded / total if total else 0.0)
        # Once every byte is sent, what is left is the server's answer (storing a
        # big multipart object takes COS seconds): no time is known, not 0:00.
        eta = eta_seconds(total - loaded, speed) if uploading and loaded < total else None
        # A file cannot end after its batch. Its own speed is that of the last few
        # seconds: a file that shared the limit with one just paused read 0:05 for
        # seconds, while it had the whole limit and the batch said 0:03.
        if eta is not None and self.ends_by is not None and self.ends_by > now:
            eta = min(eta, self.ends_by - now)
        return TaskProgress(self.task_id, loaded, total, speed, percent, eta)


class StopReason(enum.StrEnum):
    PAUSE = "pause"
    CANCEL = "cancel"
    SHUTDOWN = "shutdown"  # the program is quitting: keep the state for the next start


class TaskInterrupted(Exception):
    """Raised inside a worker (from a progress callback or a backoff sleep) to
    abandon the current request because the task was paused, canceled or the
    queue is shutting down."""

    def __init__(self, reason: StopReason) -> None:
        super().__init__(f"task interrupted: {reason}")
        self.reason = reason


class JobControl:
    """The stop switch of one run of a task, shared by its coordinator and its
    part workers. A new run gets a new switch, so a late part of an old run can
    never stop (or be confused with) the new one."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: StopReason | None = None

    def stop(self, reason: StopReason) -> None:
        # Cancel wins over pause: a paused-then-canceled task must clean up.
        if self.reason is None or reason is StopReason.CANCEL:
            self.reason = reason
        self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise TaskInterrupted if the run was asked to stop."""
        if self._event.is_set():
            raise TaskInterrupted(self.reason or StopReason.PAUSE)

    def sleep(self, seconds: float) -> None:
        """Sleep, waking early (and raising TaskInterrupted) if the run is stopped."""
        if self._event.wait(max(0.0, seconds)):
            self.check()
