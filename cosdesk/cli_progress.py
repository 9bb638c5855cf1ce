"""What ``cosdesk upload`` and ``cosdesk tasks resume`` print while the engine
runs: a refreshing line on a terminal (plain lines otherwise), one line per
failed or skipped file, warnings about the task database, and a summary that
says how long it took and how fast it went.

Every file name and key goes through :func:`printable`: a name may contain a
newline or an escape sequence, and it must neither split a line nor reach the
terminal as a command.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable, Iterable, Sequence

from cosdesk.cli_output import counted, format_elapsed, printable
from cosdesk.cli_pipe import TextOut
from cosdesk.engine.meter import format_duration, format_size, format_speed, shown_average_speed
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.store_file import DatabaseRecreated
from cosdesk.engine.task import BatchProgress, FileFinished, TaskFigures, TaskState
from cosdesk.engine.task_record import NETWORK_ERROR
from cosdesk.engine.verification import NOT_VERIFIED_REASON

# The speed is shown once bytes have been going out this long.
SPEED_SETTLES_S = 1.0
# Plain output (a log, a pipe) says the server's silence when it begins, then
# this often while it lasts: its lines otherwise come per 10% step, none for minutes.
PLAIN_SILENCE_EVERY_S = 30.0

# Exit statuses (0: everything given was uploaded).
EXIT_INCOMPLETE = 1  # a file failed, was left unfinished, or could not be read
EXIT_INTERRUPTED = 130  # Ctrl-C: the tasks stay in the database, resumable
# Files that got no answer at all before any file did: this many, and the server
# is out of reach (a wrong endpoint, a server that is down). The run stops there
# rather than failing every other file after its own retries (each about three
# seconds: twenty files took 42 s, a thousand would take half an hour).
UNREACHABLE_AFTER = 3


def holds_unreadable_data(path: str) -> bool:
    """Whether something a folder walk skipped held data that could not be read:
    a folder that cannot be listed, an entry that cannot be reached (no
    permission, a broken link). Things skipped by rule are not: a FIFO, a
    device, a link back up the tree, a name that cannot be a COS key."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        # A broken link, or nothing at all: the path of a name that is not UTF-8
        # does not survive the trip through Qt's signal, and that is skipped by rule.
        return os.path.lexists(path)
    except OSError:
        return True
    if not stat.S_ISDIR(info.st_mode):
        return False
    try:
        with os.scandir(path):
            return False
    except OSError:
        return True


def database_notice(event: DatabaseRecreated) -> str:
    if event.error is None:
        return (
            f"warning: the task database {printable(str(event.path))} was deleted while uploads ran; "
            f"it was written again from the copy still open, with its "
            f"{counted(event.unfinished, 'unfinished task')}"
        )
    return (
        f"warning: the task database {printable(str(event.path))} was deleted while uploads ran and "
        f"cannot be written again ({printable(event.error)}): its "
        f"{counted(event.unfinished, 'unfinished task')} {'is' if event.unfinished == 1 else 'are'} lost "
        "when this command ends"
    )


class ProgressDisplay:
    """Follows one queue's run and prints it; :meth:`finish` prints the summary
    and returns the exit status.

    ``already_sent``: bytes of the run's tasks that were on the server before it
    began (a resume), left out of the average speed. ``notices``: filled by the
    task store's writer thread, printed from the queue's thread."""

    def __init__(
        self,
        queue: UploadQueue,
        out: TextOut,
        *,
        quiet: bool,
        already_sent: int = 0,
        notices: list[DatabaseRecreated] | None = None,
    ) -> None:
        self._queue = queue
        self._out = out
        self._quiet = quiet
        self._tty = out.isatty()
        self._line_width = 0
        self._last_plain_percent = -1
        self._last_plain_text = ""
        self._silence_told_at: float | None = None
        self._failures: dict[str, str] = {}
        # Failed tasks whose error does not heal by itself (TaskError.transient is
        # False: a wrong key, a missing bucket): resuming them fails the same way
        # until someone fixes the cause.
        self._lasting_failures: set[str] = set()
        # Tasks in error that the queue starts again before it ends (FileFinished.retried_before_idle).
        self._waiting: set[str] = set()
        self._succeeded = 0
        self._skipped = 0
        self._skipped_bytes = 0
        # Finished by another cosdesk process on the same database (engine/ownership.py).
        self._by_other_process = 0
        self._by_other_process_bytes = 0
        self._unverified = 0  # uploaded, but the server sent nothing to check them by
        self._unreadable = 0
        self.already_sent = already_sent
        self._sending_since: float | None = None  # time.monotonic() of the run's first bytes
        self._notices = notices if notices is not None else []
        # The failures of files that got no answer, before any answer came.
        self._unanswered: list[str] = []
        # Called once when UNREACHABLE_AFTER files got no answer and none did.
        self.on_unreachable: Callable[[], None] | None = None
        self._notices_shown = 0
        self._totals: tuple[int, int, int] | None = None
        queue.file_finished.connect(self._on_file_finished)
        queue.batch_progress.connect(self._on_batch)
        queue.scan_problem.connect(self._on_scan_problem)

    def _clear_line(self) -> None:
        if self._tty and self._line_width:
            self._out.write("\r" + " " * self._line_width + "\r")
            self._out.flush()
            self._line_width = 0

    def _show_notices(self) -> None:
        while self._notices_shown < len(self._notices):
            self._clear_line()
            print(database_notice(self._notices[self._notices_shown]), file=sys.stderr)
            self._notices_shown += 1

    def _on_scan_problem(self, path: str, message: str) -> None:
        self._clear_line()
        print(f"skipped {printable(path)}: {printable(message)}", file=sys.stderr)
        if holds_unreadable_data(path):
            self._unreadable += 1

    def _on_file_finished(self, event: FileFinished) -> None:
        self._note_answer(event)
        skipped = event.data is not None and event.data.skipped
        unverified = event.error is None and event.data is not None and event.data.unverified
        if unverified:
            self._unverified += 1
        if event.sent_by_other_process is not None:
            self._succeeded += 1
            self._by_other_process += 1
            self._by_other_process_bytes += event.sent_by_other_process
            if not self._quiet and not self._tty and event.data is not None:
                snapshot = self._queue.task(event.task_id)
                name = printable((snapshot.source_path or snapshot.key) if snapshot else event.task_id)
                target = printable(f"cos://{event.data.bucket}/{event.data.key}")
                print(f"uploaded by another cosdesk process: {name} -> {target}", file=self._out)
                self._out.flush()
            return
        if event.error is None and not skipped and (self._quiet or self._tty):
            # Nothing is printed for this file: no snapshot of it (one per file
            # was a measurable part of a small file's cost).
            self._succeeded += 1
            return
        snapshot = self._queue.task(event.task_id)
        name = (snapshot.source_path or snapshot.key) if snapshot is not None else event.task_id
        shown = printable(name)
        self._clear_line()
        if event.error is not None and event.retried_before_idle:
            if event.task_id not in self._waiting:  # said once, not at every retry
                self._waiting.add(event.task_id)
                print(
                    f"waiting {shown}: {printable(str(event.error))}; trying again by itself", file=sys.stderr
                )
            return
        self._waiting.discard(event.task_id)
        if event.error is not None:
            self._failures[event.task_id] = f"{shown}: {event.error}"
            if not event.error.transient:
                self._lasting_failures.add(event.task_id)
            print(f"failed {shown}: {printable(str(event.error))}", file=sys.stderr)
            return
        self._succeeded += 1
        if skipped:
            self._skipped += 1
            self._skipped_bytes += (snapshot.size or 0) if snapshot is not None else 0
        if not self._quiet and not self._tty and event.data is not None:
            verb = "skipped (exists)" if skipped else "uploaded"
            target = printable(f"cos://{event.data.bucket}/{event.data.key}")
            aside = " (not verified)" if unverified else ""
            print(f"{verb} {shown} -> {target}{aside}", file=self._out)
            self._out.flush()

    def _note_answer(self, event: FileFinished) -> None:
        # A local problem (an unreadable file) says nothing of the server.
        if self._queue.network_worked or event.error is None or event.error.code != NETWORK_ERROR:
            return
        self._unanswered.append(str(event.error))
        if len(self._unanswered) == UNREACHABLE_AFTER and self.on_unreachable is not None:
            self.on_unreachable()

    @property
    def unreachable(self) -> bool:
        """Whether the run found the server out of reach (see UNREACHABLE_AFTER)."""
        return len(self._unanswered) >= UNREACHABLE_AFTER and not self._queue.network_worked

    def count_finished_elsewhere(self, tasks: Iterable[TaskFigures]) -> None:
        """Tasks this run was to finish that another cosdesk process finished before
        it began (between listing them and restoring them)."""
        for task in tasks:
            self._succeeded += 1
            self._by_other_process += 1
            self._by_other_process_bytes += task.size or 0

    def _on_batch(self, batch: BatchProgress) -> None:
        self._show_notices()
        if self._quiet:
            return
        text = self._progress_line(batch)
        if self._tty:
            padding = max(0, self._line_width - len(text))
            self._out.write("\r" + text + " " * padding)
            self._line_width = len(text)
            self._out.flush()
        else:
            # Plain output (logs, pipes): a line per 10% step, not per tick, and one
            # when the last file is done (the bytes reach 100% before the server
            # has answered for them).
            step = int(batch.percent * 10)
            settled = not batch.running and not batch.waiting
            silence_due = self._plain_silence_due(batch)
            if step != self._last_plain_percent or (settled and text != self._last_plain_text) or silence_due:
                self._last_plain_percent = step
                self._last_plain_text = text
                print(text, file=self._out)
                self._out.flush()

    def _plain_silence_due(self, batch: BatchProgress) -> bool:
        if not batch.running or batch.unanswered_s is None:
            self._silence_told_at = None
            return False
        now = time.monotonic()
        if self._silence_told_at is not None and now - self._silence_told_at < PLAIN_SILENCE_EVERY_S:
            return False
        self._silence_told_at = now
        return True

    def _progress_line(self, batch: BatchProgress) -> str:
        # The queue counts a task waiting for its retry as failed; here it is still to do.
        waiting_to_retry = min(len(self._waiting), batch.failed)
        failed = batch.failed - waiting_to_retry
        done = batch.succeeded + failed
        total_files = done + batch.waiting + waiting_to_retry + batch.running + batch.paused
        parts = [f"{batch.percent * 100:5.1f}%", f"{format_size(batch.loaded)} / {format_size(batch.total)}"]
        now = time.monotonic()
        if self._sending_since is None and batch.loaded > self.already_sent:
            self._sending_since = now
        if batch.running:
            # Speed and time left describe files being sent: once none is, the
            # line says where things stand, not "0 B/s ETA --:--". The speed of the
            # first moments counts a chunk against a fraction of a second (45 MiB/s
            # read under a 40 MiB/s limit): it shows once it has settled.
            settled = self._sending_since is not None and now - self._sending_since >= SPEED_SETTLES_S
            if settled and batch.speed is not None:
                parts.append(format_speed(batch.speed))
            if batch.unanswered_s is not None:  # no time can be told meanwhile
                parts.append(f"no answer from the server for {format_duration(batch.unanswered_s)}")
            else:
                parts.append(f"ETA {format_duration(batch.eta_s)}")
        parts.append(f"files {done}/{total_files}")
        if waiting_to_retry:
            parts.append(f"waiting to retry {waiting_to_retry}")
        if failed:
            parts.append(f"failed {failed}")
        return "  ".join(parts)

    def count_totals(self) -> None:
        """Count :meth:`finish`'s totals now, while the task database is open:
        tasks at rest are read back from it."""
        self._totals = self._run_totals()

    def _run_totals(self) -> tuple[int, int, int]:
        """Bytes on the server and in all, and tasks not done, over this run's tasks
        (the queue of a command holds only those). Counted from the tasks, once:
        the queue's batch figures describe what ran since it was last idle."""
        loaded = total = unfinished = 0
        for task in self._queue.task_figures():
            if task.state is TaskState.CANCELED:
                continue
            size = task.size or 0
            total += size
            loaded += size if task.state is TaskState.SUCCESS else min(max(task.loaded, 0), size)
            # A failure said as such is not unfinished too, though its automatic retry
            # may have put it back in line by now (a run stopped for an unreachable
            # server said "3 failed, 99998 unfinished" of 100,000 files).
            if task.state not in (TaskState.SUCCESS, TaskState.ERROR) and task.task_id not in self._failures:
                unfinished += 1
        return loaded, total, unfinished

    def finish(
        self, interrupted: bool, elapsed_s: float, resume_command: str, *, watched: bool = False
    ) -> int:
        """Print the summary (and what to do next); returns the exit status.
        ``resume_command``: the command that finishes what this run left.
        ``watched``: the run was a folder watch, and ``elapsed_s`` mostly waiting
        for files: it is said as such, with no average speed over it."""
        self._show_notices()
        self._clear_line()
        loaded, total, unfinished = self._totals or self._run_totals()
        failed = len(self._failures)
        asides = [f"{self._skipped} skipped"] if self._skipped else []
        if self._by_other_process:
            asides.append(f"{self._by_other_process} by another cosdesk process")
        if self._unverified:
            asides.append(f"{self._unverified} not verified: {NOT_VERIFIED_REASON}")
        summary = f"{self._succeeded} uploaded" + (f" ({'; '.join(asides)})" if asides else "")
        summary += f", {failed} failed" + (f", {unfinished} unfinished" if unfinished else "")
        if self._unreadable:
            summary += f", {self._unreadable} unreadable"
        summary += f"; {format_size(loaded)} of {format_size(total)}"
        summary += f" {'while watching for' if watched else 'in'} {format_elapsed(elapsed_s)}"
        sent = max(0, loaded - self.already_sent - self._skipped_bytes - self._by_other_process_bytes)
        speed = shown_average_speed(sent, elapsed_s)
        if speed is not None and not watched:
            summary += f" ({format_speed(speed)} on average)"
        print(summary, file=self._out)
        self._out.flush()
        if self._unreadable:
            print(
                f"{counted(self._unreadable, 'file or folder', 'files or folders')} could not be read "
                f"and {'was' if self._unreadable == 1 else 'were'} not uploaded "
                "(see the lines starting with 'skipped')",
                file=sys.stderr,
            )
        if interrupted:
            print(f"interrupted: run `{resume_command}` to finish", file=sys.stderr)
            return EXIT_INTERRUPTED
        if self.unreachable and unfinished:
            print(
                f"stopped: the first {len(self._unanswered)} files got no answer from the server "
                f"({printable(self._unanswered[-1])}), so the other {counted(unfinished, 'file')} "
                f"{'was' if unfinished == 1 else 'were'} left for later: "
                f"run `{resume_command}` once it answers",
                file=sys.stderr,
            )
            return EXIT_INCOMPLETE
        if self._lasting_failures:
            fix_first = "once the cause above is fixed"
            print(f"to retry the failed files {fix_first}: `{resume_command}`", file=sys.stderr)
        elif failed:
            print(f"to retry the failed files: `{resume_command}`", file=sys.stderr)
        elif unfinished:
            print(f"some tasks are paused: run `{resume_command}` to finish them", file=sys.stderr)
        return EXIT_INCOMPLETE if failed or unfinished or self._unreadable else 0


def resume_command(batch_numbers: Sequence[int]) -> str:
    """``cosdesk tasks resume --batch 3``: what finishes the tasks of these batches."""
    if not batch_numbers:
        return "cosdesk tasks resume"
    return "cosdesk tasks resume " + " ".join(f"--batch {number}" for number in sorted(set(batch_numbers)))
