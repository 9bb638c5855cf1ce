"""The current batch: what the overall progress bar, the time left and the
"Uploads finished" notice describe.

What a batch is:

- The tasks queued or resumed since the queue was last idle (nothing waiting,
  checking, uploading or being added). While a batch runs, every task that is
  added, resumed or retried joins it.
- When work arrives at an idle queue, a new batch begins, unless the work is the
  current batch's own tasks coming back (pause all, then resume; retry its failed
  files): then the batch goes on, and its end counts every file it holds.
- Tasks of earlier batches, finished long ago or left paused, count nowhere.

The figures (``BatchProgress``) are kept as running totals: each change of a
member adds what it counts now and takes back what it counted before, so an
event tick never walks ten thousand tasks.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Iterable

from cosdesk.engine.meter import SpeedMeter, eta_seconds
from cosdesk.engine.resting import RestingTask
from cosdesk.engine.task import BatchProgress, FailedFile, TaskState, UploadTask

# A member, in memory whole or at rest: both carry the marks counted here.
Member = UploadTask | RestingTask

_ACTIVE = frozenset({TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING})

# The time left is not shown before the batch's speed has been measured this
# long: the first fraction of a second (connecting, the first chunk) says little.
MIN_MEASURED_S = 1.0
# What a file costs besides its bytes is averaged over this many recent files.
OVERHEAD_SAMPLES = 32
# Another process working the same batch (the window and `cosdesk tasks resume`)
# is measured over this long: this queue learns of its files in bursts, as it
# wakes tasks at rest or asks for their leases.
ELSEWHERE_WINDOW_S = 10.0


class BatchTracker:
    """The current batch's running totals. Not thread-safe: the queue calls it
    with its lock held."""

    def __init__(self) -> None:
        # The current batch's number; 0 before the first (tasks start in none).
        self.number = 0
        self._settled = True
        self._started_at = time.monotonic()
        self._settled_at: float | None = None
        self._counts: Counter[TaskState] = Counter()
        self._total = 0
        self._loaded = 0
        self._remaining = 0
        self._meter = SpeedMeter()
        # Seconds each recent file of the batch spent not sending bytes: checking,
        # waiting for answers, completing (see _file_done).
        self._overheads: deque[float] = deque(maxlen=OVERHEAD_SAMPLES)
        # What another process sends of the batch: bytes, and files (one "byte" each).
        self._elsewhere_bytes = SpeedMeter(ELSEWHERE_WINDOW_S)
        self._elsewhere_files = SpeedMeter(ELSEWHERE_WINDOW_S)
        # The members failed now, by task id, in the order they failed.
        self._failures: dict[str, FailedFile] = {}
        # How many of them heal by themselves (their error is transient).
        self._failures_transient = 0

    # --- membership -------------------------------------------------------------------

    def join(self, tasks: Iterable[Member], *, resumed: bool = False, now: float | None = None) -> None:
        """Tasks are queued (``resumed``: paused, failed or canceled ones queued
        again). Call before they are counted (``recount``)."""
        tasks = list(tasks)
        if not tasks:
            return
        now = time.monotonic() if now is None else now
        if self._settled:
            # Batch 0 is "never in a batch" (tasks restored from the database):
            # resuming those starts a batch of their own.
            ours = (
                resumed and self.number > 0 and any(task.tally.batch_number == self.number for task in tasks)
            )
            if not ours:
                self._begin(now)
            self._settled = False
            self._settled_at = None
        if resumed and not any(self._counts[state] for state in _ACTIVE):
            # Nothing of the batch was running or waiting: the speed is measured
            # afresh, not averaged with the seconds before the pause.
            self._meter.reset()
        for task in tasks:
            if task.tally.batch_number != self.number:
                task.tally.batch_number = self.number
                task.tally.batch_counted = None

    def take_in_paused(self, tasks: Iterable[Member]) -> None:
        """Tasks added paused (the rest of a drop that "Pause all" came in the
        middle of) belong to the current batch, which they neither begin nor wake:
        its figures then cover the whole drop, these files as paused, and "Start
        all" goes on with it. Call before they are counted (``recount``)."""
        if not self.number:
            return
        for task in tasks:
            task.tally.batch_number = self.number
            task.tally.batch_counted = None

    def settle(self, now: float | None = None) -> None:
        """The queue went idle: the batch is over (its figures stay as they are
        until work arrives again)."""
        if not self._settled:
            self._settled = True
            self._settled_at = time.monotonic() if now is None else now

    def _begin(self, now: float) -> None:
        self.number += 1
        self._started_at = now
        self._counts.clear()
        self._total = self._loaded = self._remaining = 0
        self._meter.reset()
        self._overheads.clear()
        self._elsewhere_bytes.reset()
        self._elsewhere_files.reset()
        self._failures.clear()
        self._failures_transient = 0

    # --- counting ---------------------------------------------------------------------

    def recount(self, task: Member, *, present: bool = True, now: float | None = None) -> None:
        """Bring the totals up to date with one task (``present``: False once it left
        the queue): take out what it counted, add what it counts now."""
        tally = task.tally
        if not self.number or tally.batch_number != self.number:
            return
        before = tally.batch_counted
        if before is not None:
            state, size, loaded = before
            self._counts[state] -= 1
            self._total -= size
            self._loaded -= loaded
            if state in _ACTIVE:
                self._remaining -= size - loaded
        if not present:
            tally.batch_counted = None
            self._forget_failure(task.task_id)
            return
        state = task.state
        self._note_failure(task, state)
        size = task.size or 0
        if state is TaskState.CANCELED:
            size = loaded = 0
        elif state is TaskState.SUCCESS:
            loaded = size
        else:
            loaded = min(max(task.loaded, 0), size)
        self._counts[state] += 1
        self._total += size
        self._loaded += loaded
        if state in _ACTIVE:
            self._remaining += size - loaded
        tally.batch_counted = (state, size, loaded)
        if (
            isinstance(task, UploadTask)
            and state is TaskState.SUCCESS
            and before is not None
            and before[0] is not TaskState.SUCCESS
        ):
            self._file_done(task, time.monotonic() if now is None else now)

    def _note_failure(self, task: Member, state: TaskState) -> None:
        if state is TaskState.ERROR:
            # One at rest failed in an earlier run (restored so): its reason is not in memory.
            if not isinstance(task, UploadTask) or task.task_id in self._failures:
                return
            error = task.status.error
            if error is not None:
                self._failures[task.task_id] = FailedFile(task.key, error)
                self._failures_transient += error.transient
        elif self._failures:
            self._forget_failure(task.task_id)

    def _forget_failure(self, task_id: str) -> None:
        failure = self._failures.pop(task_id, None)
        if failure is not None:
            self._failures_transient -= failure.error.transient

    def add_bytes(self, byte_count: int, now: float | None = None, *, sent: bool = True) -> None:
        """Bytes sent by a member (negative: taken back; with ``sent`` False, they
        never left and the speed forgets them); for the speed."""
        self._meter.add(byte_count, now, sent=sent)

    def finished_elsewhere(self, byte_count: int = 0, now: float | None = None) -> None:
        """Another process finished a file of the batch, sending ``byte_count`` bytes
        this queue had not: the rest goes faster by what it does."""
        if self._settled:
            return
        self._elsewhere_files.add(1, now)
        self._elsewhere_bytes.add(byte_count, now)

    def sent_elsewhere(self, byte_count: int, now: float | None = None) -> None:
        """Another process stored ``byte_count`` more bytes of a file it is still
        sending (seen in its parts): counted as its speed, as a finished file's."""
        if not self._settled:
            self._elsewhere_bytes.add(byte_count, now)

    def _file_done(self, task: UploadTask, now: float) -> None:
        if task.run_started_at is None:
            # Restored as finished, skipped before it ran, or finished by another
            # process while this one waited for its lease (handover.take_final_state).
            return
        sending = 0.0
        if task.first_byte_at is not None and task.last_byte_at is not None:
            sending = task.last_byte_at - task.first_byte_at
        self._overheads.append(max(0.0, now - task.run_started_at - sending))

    # --- reading ----------------------------------------------------------------------

    def progress(
        self,
        running: Iterable[UploadTask],
        parallel_files: int,
        now: float | None = None,
        *,
        limit_bytes_per_s: int = 0,
    ) -> BatchProgress:
        """The batch's figures. ``running``: the tasks workers hold now (for their
        own time left); ``parallel_files``: how many files run at once;
        ``limit_bytes_per_s``: the bandwidth limit all uploads share (0: none).

        The time left is the largest of three estimates, each a floor under the
        truth, so none of them can make it read too short:

        - the remaining bytes at the batch's speed over the last few seconds;
        - what the remaining files cost besides their bytes (the average of the
          batch's recent files: checking, answers, completing), shared by the
          files running at once: many small files take longer than their bytes;
        - the longest time left of a file uploading now: where each file's
          connections hold it back (a per-request traffic limit, a server that
          paces each connection), the batch cannot end before its slowest file.
          Not under a bandwidth limit: the files share it, and what one that
          ends leaves goes to the others, so the bytes left at the batch's speed
          say when it ends. (Three files under 4 MiB/s: the biggest one's row
          read 0:18 at its share, and so did the batch, which ended 9 s later,
          as 36.3 MiB left at 4 MiB/s said. Under a busy machine the batch went
          at 3.2 MiB/s and ended as that said: the files share the machine too.)
          There the batch's time bounds each row's instead (the queue sets
          ``UploadTask.ends_by``).

        The first two count what another process working the same batch (the
        window and ``cosdesk tasks resume``) sent and finished of it lately
        (``finished_elsewhere``): the files it takes are not left to this one.

        None when nothing runs, when the speed has been measured for less than
        ``MIN_MEASURED_S`` (the first readings are noise), or when it is zero.
        """
        now = time.monotonic() if now is None else now
        running = list(running)
        counts = self._counts
        active_now = counts[TaskState.CHECKING] + counts[TaskState.UPLOADING]
        succeeded = counts[TaskState.SUCCESS]
        speed = self._meter.speed(now) if active_now else 0.0
        eta: float | None = None
        if active_now and self._meter.measured_s(now) >= MIN_MEASURED_S:
            # Under a limit the files share, no row's own time bounds the batch's.
            slowest_bounds = limit_bytes_per_s == 0
            eta = self._time_left(speed, active_now, running, parallel_files, now, slowest_bounds)
        # Said for the batch only when the server answers none of its running tasks:
        # one slow answer among many is its row's to tell.
        silences = [silence for task in running if (silence := task.unanswered_s(now)) is not None]
        unanswered = min(silences) if running and len(silences) == len(running) else None
        if self._total:
            percent = self._loaded / self._total
        else:  # only empty files (or none): done when they all are
            unfinished = counts[TaskState.WAITING] + active_now + counts[TaskState.PAUSED]
            percent = 1.0 if succeeded and not unfinished and not counts[TaskState.ERROR] else 0.0
        end = self._settled_at if self._settled and self._settled_at is not None else now
        return BatchProgress(
            loaded=self._loaded,
            total=self._total,
            speed=speed,
            percent=percent,
            eta_s=eta,
            waiting=counts[TaskState.WAITING],
            running=active_now,
            succeeded=succeeded,
            failed=counts[TaskState.ERROR],
            paused=counts[TaskState.PAUSED],
            canceled=counts[TaskState.CANCELED],
            remaining=self._remaining,
            elapsed_s=max(0.0, end - self._started_at) if self.number else 0.0,
            unanswered_s=unanswered,
            first_failure=next(iter(self._failures.values()), None),
            failed_transient=self._failures_transient,
        )

    def _time_left(
        self,
        speed: float | None,
        active_now: int,
        running: list[UploadTask],
        parallel_files: int,
        now: float,
        slowest_bounds: bool,
    ) -> float | None:
        by_bytes = eta_seconds(self._remaining, (speed or 0.0) + (self._elsewhere_bytes.speed(now) or 0.0))
        if by_bytes is None:
            return None
        files_left = self._counts[TaskState.WAITING] + active_now
        mean_overhead = sum(self._overheads) / len(self._overheads) if self._overheads else 0.0
        by_files = 0.0
        if mean_overhead > 0:
            files_per_s = max(1, parallel_files) / mean_overhead + (self._elsewhere_files.speed(now) or 0.0)
            by_files = files_left / files_per_s
        slowest = 0.0
        for task in running if slowest_bounds else ():
            if task.state is TaskState.UPLOADING:
                row_eta = task.progress(now).eta_s
                if row_eta is not None:
                    slowest = max(slowest, row_eta)
        return max(by_bytes, by_files, slowest)
