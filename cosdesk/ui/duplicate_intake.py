"""Adding files from the window without duplicates: walk what was added, find
which keys are already queued or in the bucket, ask once for the batch (or use
the remembered answer), then queue the files.

Walking, listing the bucket and queueing run on a thread of their own, below
the GUI thread's priority as the engine's are; only the question and the summary
are on the GUI thread. Batches go one at a time, so a second drop is checked
against the first one's tasks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import cast

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Slot
from PySide6.QtWidgets import QMainWindow

from cosdesk import config
from cosdesk.config import Settings
from cosdesk.engine.batch_numbers import new_batch_token
from cosdesk.engine.duplicates import (
    BatchPlan,
    BucketProbe,
    DuplicateCheck,
    check_batch,
    queued_uploads,
    resolve_batch,
    scan_sources,
)
from cosdesk.engine.options import ConflictPolicy
from cosdesk.engine.queue import FileToAdd, UploadQueue
from cosdesk.engine.queue_commands import QueueCommands
from cosdesk.engine.worker_pool import WorkerPool
from cosdesk.ui.accounts import Destination
from cosdesk.ui.background import run_in_background
from cosdesk.ui.duplicates_dialog import DuplicatesQuestion
from cosdesk.ui.engine_texts import links_left_alone
from cosdesk.ui.formatting import format_duration, unanswered_note

log = logging.getLogger(__name__)

ASK = "ask"
# Files queued per call: each call holds the queue's lock while it makes the
# tasks, and a thread below the GUI's priority must not hold it long (slices of
# 500 let the 10,000-row bench stall the window for up to 180 ms; 100: 50-90 ms).
QUEUE_SLICE = 100
# Entries freed per step when a drop's entries are let go of (release_gradually).
# Each step is one C call, and the GUI thread, painting the table, takes the GIL
# once per cell it asks the model for, so it waits behind step after step: with
# 10,000 a step the window stalled 150-195 ms while a million were freed, with
# 500 and the GIL handed over after each, 27 ms (the million then take 0.4 s).
RELEASE_SLICE = 500


@dataclass
class _Checked:
    # The queue's pauses_of_all when the batch was added: a "Pause all" since
    # holds what the batch has left (UploadQueue.add_files).
    began_at_pauses: int
    destination: Destination
    check: DuplicateCheck  # emptied of its entries once they are queued (release_gradually)
    probe: BucketProbe | None
    problems: tuple[tuple[str, str], ...]
    # Links to folders the walk left alone (path, reason): not problems, told
    # with what was added (nothing of the drop is missing behind them).
    not_followed: tuple[tuple[str, str], ...]
    duplicate_count: int  # counted on the pool: a walk of a million entries


@dataclass(frozen=True)
class _Queued:
    began_at_pauses: int
    destination: Destination
    plan: BatchPlan  # without the entries added (they are counted in ``added``)
    added: int
    not_followed: tuple[tuple[str, str], ...]


class BatchIntake(QObject):
    """The window's way in for dropped and chosen files (see the module's docstring).

    ``settings()`` gives the window's current settings (the remembered answer is
    ``Settings.if_exists``); ``use_settings(settings)`` hands back settings with a
    newly remembered answer, once config.json is being written. ``on_problem(path,
    message)`` reports what the walk could not add.
    """

    def __init__(
        self,
        queue: UploadQueue,
        commands: QueueCommands,
        pool: QThreadPool,
        window: QMainWindow,
        *,
        settings: Callable[[], Settings],
        use_settings: Callable[[Settings], None],
        on_problem: Callable[[str, str], None],
    ) -> None:
        super().__init__(window)
        self._queue = queue
        self._commands = commands
        self._pool = pool  # for config.json
        # One batch at a time; a thread that gives way to the GUI thread (a walk of
        # 10,000 files must not hold the GIL against it).
        self._work_pool = WorkerPool(self, background=True)
        self._work_pool.setMaxThreadCount(1)
        self._window = window
        self._settings = settings
        self._use_settings = use_settings
        self._on_problem = on_problem
        self._pending: deque[tuple[int, list[str], Destination]] = deque()
        self._busy = False
        self._stopped = threading.Event()
        self.question: DuplicatesQuestion | None = None
        # What the status bar says of the batch being worked on, and the probe of
        # the bucket it may be waiting for (_show_status).
        self._status = self._shown = ""  # what it says, and what the bar shows of it
        self._probe: BucketProbe | None = None
        self._comparing_in: str | None = None
        self._silence_timer = QTimer(self)
        self._silence_timer.timeout.connect(self._say_silence)
        # The last line that said a batch's files wait paused (the window takes
        # it down once uploads go on).
        self.paused_summary = ""
        # Whether the window told how the uploads ended while this batch was being
        # queued (its small files can all be sent before the summary arrives).
        self._queueing = False
        self._end_told_while_queueing = False
        # Skipped and renamed files of batches still uploading, and the links their
        # walks left alone, told when they end (see take_outcome). Written by the
        # pool, read by the GUI thread.
        self._outcome_lock = threading.Lock()
        self._skipped_unreported = 0
        self._renamed_unreported = 0
        self._unchanged_unreported = 0
        self._not_followed_unreported: list[tuple[str, str]] = []

    def is_idle(self) -> bool:
        """Nothing being walked, checked, asked about or queued."""
        return not self._busy and not self._pending

    def add(self, paths: list[str], destination: Destination) -> None:
        """Queue ``paths`` (files and folders) under ``destination``; returns at once."""
        self._pending.append((self._queue.pauses_of_all, list(paths), destination))
        self._next()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """The window is closing: add nothing more, close the question, wait for
        the batch being walked or queued (at most ``timeout_s``); whether it ended."""
        self._stopped.set()
        self._silence_timer.stop()
        self._pending.clear()
        if self.question is not None:
            self.question.close()
        return bool(self._work_pool.waitForDone(int(timeout_s * 1000)))

    # --- one batch ----------------------------------------------------------------------

    def _next(self) -> None:
        if self._busy or not self._pending or self._stopped.is_set():
            return
        self._busy = True
        began_at_pauses, paths, destination = self._pending.popleft()
        probe = None
        if self._remembered() is not ConflictPolicy.OVERWRITE:  # else nothing to look for
            endpoint = destination.endpoint
            probe = BucketProbe(
                lambda: self._queue.client_for(endpoint),
                destination.bucket,
                self._queue.retry_policy(destination.options),
            )
        self._show_status(
            self.tr("Looking for files already in %1…").replace("%1", destination.describe())
            if probe is not None
            else self.tr("Adding files to %1…").replace("%1", destination.describe()),
            probe,
        )
        run_in_background(
            self._work_pool,
            self,
            partial(self._check, began_at_pauses, paths, destination, probe),
            self._on_checked,
        )

    def _show_status(
        self, message: str, probe: BucketProbe | None = None, *, comparing_in: str | None = None
    ) -> None:
        """Say ``message`` while the batch is worked on; while ``probe`` waits for
        the bucket's answer, add for how long (a hung server keeps it minutes).
        ``comparing_in``: the files are compared with their objects there, and the
        line counts them as they go, with the time left (100,000 files took about
        a minute here)."""
        bar = self._window.statusBar()
        if message or bar.currentMessage() == self._shown:  # the end of its own line only
            bar.showMessage(message)
        self._status = self._shown = message
        self._probe = probe
        self._comparing_in = comparing_in
        if probe is None:
            self._silence_timer.stop()
        else:
            # A count moves: said four times a second; a silence once a second.
            self._silence_timer.start(250 if comparing_in is not None else 1000)

    @Slot()
    def _say_silence(self) -> None:
        bar = self._window.statusBar()
        if bar.currentMessage() != self._shown:
            return  # the window said something else since ("Quitting…"): it stays
        now = time.monotonic()
        silence = self._probe.unanswered_s(now) if self._probe is not None else None
        message = self._status
        where = self._comparing_in
        comparison = self._probe.comparison(now) if self._probe is not None and where is not None else None
        if where is not None and comparison is not None:
            if comparison.compared < comparison.total:
                if comparison.seconds_left is None:
                    message = self.tr("Comparing your files with those in %1… %2 of %3 files")
                else:
                    message = self.tr("Comparing your files with those in %1… %2 of %3 files, %4 left")
                    message = message.replace("%4", format_duration(comparison.seconds_left))
                message = (
                    message.replace("%2", str(comparison.compared))
                    .replace("%3", str(comparison.total))
                    .replace("%1", where)
                )
            else:  # the rest is adding those that changed
                message = self.tr("Adding files to %1…").replace("%1", where)
        if silence is not None:
            message = self.tr("%1 — %2").replace("%1", message).replace("%2", unanswered_note(silence))
        if message != self._shown:
            self._shown = message
            bar.showMessage(message)

    def _check(
        self, began_at_pauses: int, paths: list[str], destination: Destination, probe: BucketProbe | None
    ) -> _Checked:
        # On the pool: walking and listing may take a while.
        problems: list[tuple[str, str]] = []
        not_followed: list[tuple[str, str]] = []
        entries = scan_sources(
            paths,
            destination.prefix,
            on_error=lambda path, why: problems.append((path, why)),
            on_not_followed=lambda path, why: not_followed.append((path, why)),
        )
        keys = [entry.key for entry in entries]
        queued = queued_uploads(self._queue.tasks_with_keys(keys), destination.bucket, destination.endpoint)
        check = check_batch(entries, queued, probe, one_walk=len(paths) == 1)
        return _Checked(
            began_at_pauses,
            destination,
            check,
            probe,
            tuple(problems),
            tuple(not_followed),
            check.duplicate_count,
        )

    @Slot(object)
    def _on_checked(self, outcome: object) -> None:
        if self._stopped.is_set():
            return
        if isinstance(outcome, Exception):
            log.error("checking added files failed", exc_info=outcome)
            self._done(self.tr("Could not add the files: %1").replace("%1", str(outcome)))
            return
        checked = cast(_Checked, outcome)
        for path, message in checked.problems:
            self._on_problem(path, message)
        check = checked.check
        if not check.entries:
            # The problems' box says why; links left alone are told here.
            said = "" if checked.problems and not checked.not_followed else self.tr("Nothing to add.")
            if checked.not_followed:
                said += " " + links_left_alone(checked.not_followed)
            self._done(said)
            return
        remembered = self._remembered()
        # A bucket that could not be read may hold any of them: asked too, as "ask"
        # means. Left unasked, they were added to overwrite whatever is there.
        if (checked.duplicate_count or check.bucket_unread) and remembered is None:
            self._ask(checked)
        else:
            self._queue_batch(checked, remembered)

    def _ask(self, checked: _Checked) -> None:
        question = DuplicatesQuestion(checked.check, checked.destination.bucket, self._window)
        question.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        question.answered.connect(partial(self._on_answered, checked))
        self.question = question
        self._show_status("")
        self._window.statusBar().clearMessage()
        question.open()

    def _on_answered(self, checked: _Checked, choice: object, remember: bool) -> None:
        self.question = None
        if self._stopped.is_set():
            return
        if choice is None:
            self._done(self.tr("Nothing added."))
            return
        policy = ConflictPolicy(cast(ConflictPolicy, choice))
        if remember:
            self._remember(policy)
        self._queue_batch(checked, policy)

    def _queue_batch(self, checked: _Checked, choice: ConflictPolicy | None) -> None:
        # The bucket has been looked at: what goes on now, until the summary, is
        # comparing (Upload changed reads the files of the same size as their
        # objects) and adding (a million files take a minute, their rows arriving).
        where = checked.destination.describe()
        comparing = choice is ConflictPolicy.CHANGED and checked.check.in_bucket_count > 0
        if comparing:
            status = self.tr("Comparing your files with those in %1…").replace("%1", where)
        else:
            status = self.tr("Adding files to %1…").replace("%1", where)
        self._show_status(status, checked.probe, comparing_in=where if comparing else None)
        self._queueing, self._end_told_while_queueing = True, False
        run_in_background(
            self._work_pool, self, partial(self._resolve_and_queue, checked, choice), self._on_queued
        )

    def _resolve_and_queue(self, checked: _Checked, choice: ConflictPolicy | None) -> _Queued:
        # On the pool: renaming may list the bucket; queueing 10,000 files takes a moment.
        destination = checked.destination
        queued = None
        if choice is not None:
            # The queue as it is now: the question may have been open a while. (With
            # no choice, nothing is a duplicate and the plan does not look: a read
            # of the keys of a million files for nothing.)
            keys = [entry.key for entry in checked.check.entries]
            tasks = self._queue.tasks_with_keys(keys)
            queued = queued_uploads(tasks, destination.bucket, destination.endpoint)
            del keys, tasks
        plan = resolve_batch(checked.check, choice, checked.probe, queued=queued)
        if self._stopped.is_set():
            return _Queued(checked.began_at_pauses, destination, replace(plan, add=()), 0, ())
        options = destination.options
        if plan.conflict is not None:
            options = options.with_changes(conflict=plan.conflict)
        files = [entry for entry in plan.add if entry.path is not None]
        if plan.add:
            # Before the tasks exist: the queue may fall idle before this returns.
            with self._outcome_lock:
                self._skipped_unreported += len(plan.skipped)
                self._renamed_unreported += len(plan.renamed)
                self._unchanged_unreported += len(plan.unchanged)
                self._not_followed_unreported.extend(checked.not_followed)
        # In slices (see QUEUE_SLICE); uploads start when the last is stored.
        # One batch for the whole drop (engine/batch_numbers.py).
        batch = new_batch_token()
        with self._queue.adding_a_drop():
            for start in range(0, len(files), QUEUE_SLICE):
                if self._stopped.is_set():
                    break
                # Made a slice at a time: a million files at once held a million more objects.
                entries = files[start : start + QUEUE_SLICE]
                self._queue.add_files(
                    [FileToAdd.scanned(entry) for entry in entries if entry.path is not None],
                    destination.bucket,
                    options,
                    destination.endpoint,
                    part_of_drop_since=checked.began_at_pauses,
                    batch=batch,
                )
            for entry in plan.add:
                if entry.path is None:
                    self._queue.add_folder_marker(
                        destination.bucket, entry.key, options, destination.endpoint, batch=batch
                    )
            # The entries (a tuple, two strings each) are let go of a slice at a
            # time: the last reference to a million of them dropped at once freed
            # them in one C call, 0.2 s of held GIL, a stall of the window. Before
            # the uploads start: while the window says it is adding, none runs.
            kept: list[object] = list(checked.check.entries)
            checked.check = replace(checked.check, entries=())
            queued_plan, added = replace(plan, add=()), len(plan.add)
            del plan, files
            release_gradually(kept)
        return _Queued(checked.began_at_pauses, destination, queued_plan, added, checked.not_followed)

    def uploads_end_told(self) -> None:
        """The window has just said how the uploads ended (the queue went idle)."""
        if self._queueing:
            self._end_told_while_queueing = True

    @Slot(object)
    def _on_queued(self, outcome: object) -> None:
        self._queueing = False
        if self._stopped.is_set():
            return
        if isinstance(outcome, Exception):
            log.error("queueing added files failed", exc_info=outcome)
            self._done(self.tr("Could not add the files: %1").replace("%1", str(outcome)))
            return
        queued = cast(_Queued, outcome)
        paused_meanwhile = self._queue.pauses_of_all > queued.began_at_pauses
        if queued.plan.resume and not paused_meanwhile:
            # Files dropped again while paused or failed go on, unless Pause all
            # came while this batch was added.
            self._commands.restart(queued.plan.resume)
        message = self.summary(queued.plan, queued.destination.describe(), queued.added, paused_meanwhile)
        if queued.not_followed:
            message += " " + links_left_alone(queued.not_followed)
        if paused_meanwhile:
            self.paused_summary = message
        elif self._end_told_while_queueing and self._queue.idle_at_last_tick:
            # This batch's files were all sent before this line could be shown: the
            # notice of how they ended (with what was left out) says more, and later.
            self._done(None)
            return
        self._done(message)

    def _done(self, message: str | None) -> None:
        """Ends the batch, saying ``message`` ("": nothing; None: leaving the
        status bar to what it says)."""
        # Replaces "Looking for files…": it must not stay once this batch is settled.
        self._show_status("")
        if message:
            self._window.statusBar().showMessage(message, 15000)
        elif message is not None:
            self._window.statusBar().clearMessage()
        self._busy = False
        self._next()

    # --- what the user sees and chose ----------------------------------------------------

    def summary(self, plan: BatchPlan, where: str, added: int, paused_meanwhile: bool = False) -> str:
        """One line saying what became of the batch (``added`` files queued;
        ``paused_meanwhile``: "Pause all" came while they were)."""
        if not added:
            if plan.skipped:
                return self.tr("Nothing added: %n file(s) already there, skipped.", None, len(plan.skipped))
            if plan.unchanged:
                unchanged = len(plan.unchanged)
                said = [self.tr("Nothing added: %n file(s) already there and unchanged", None, unchanged)]
                if plan.already_queued:
                    said.append(self.tr("%n already in the upload list", None, len(plan.already_queued)))
                return self.tr("; ").join(said) + self.tr(".")
            return self.tr(
                "Nothing added: %n file(s) already in the upload list.", None, len(plan.already_queued)
            )
        parts = [self.tr("Added %n file(s) to %1", None, added).replace("%1", where)]
        if paused_meanwhile:
            parts.append(self.tr("those not uploaded yet wait paused (Pause all)"))
        if plan.skipped:
            parts.append(self.tr("%n skipped (already there)", None, len(plan.skipped)))
        if plan.renamed:
            parts.append(self.tr("%n renamed to keep both", None, len(plan.renamed)))
        if plan.unchanged:
            parts.append(self.tr("%n skipped (unchanged)", None, len(plan.unchanged)))
        if plan.already_queued:
            parts.append(self.tr("%n already in the upload list", None, len(plan.already_queued)))
        return self.tr("; ").join(parts) + self.tr(".")

    def take_outcome(self) -> str:
        """What the batches that just finished left out or renamed, and the links
        to folders their walks left alone ("" if nothing), for the notice saying
        they ended; counted again from zero afterwards."""
        with self._outcome_lock:
            skipped, renamed = self._skipped_unreported, self._renamed_unreported
            unchanged = self._unchanged_unreported
            self._skipped_unreported = self._renamed_unreported = self._unchanged_unreported = 0
            not_followed, self._not_followed_unreported = self._not_followed_unreported, []
        parts = []
        if skipped:
            parts.append(self.tr("%n skipped (already there)", None, skipped))
        if renamed:
            parts.append(self.tr("%n renamed to keep both", None, renamed))
        if unchanged:
            parts.append(self.tr("%n skipped (unchanged)", None, unchanged))
        said = self.tr("; ").join(parts) + self.tr(".") if parts else ""
        if not_followed:
            said = (said + " " + links_left_alone(not_followed)).strip()
        return said

    def _remembered(self) -> ConflictPolicy | None:
        answer = self._settings().if_exists
        return None if answer == ASK else ConflictPolicy(answer)

    def _remember(self, policy: ConflictPolicy) -> None:
        settings = replace(self._settings(), if_exists=policy.value)
        self._use_settings(settings)
        # config.json is written on the pool, never on the GUI thread.
        run_in_background(self._pool, self, partial(config.save_settings, settings), self._on_remembered)

    @Slot(object)
    def _on_remembered(self, outcome: object) -> None:
        if isinstance(outcome, Exception):
            self._window.statusBar().showMessage(
                self.tr("Your choice could not be saved: %1").replace("%1", str(outcome)), 15000
            )


def release_gradually(items: list[object]) -> None:
    """Empty ``items`` RELEASE_SLICE at a time, handing the GIL to a waiting thread
    between steps, so that objects whose last reference it holds are not all freed
    in one C call."""
    while items:
        del items[-RELEASE_SLICE:]
        time.sleep(0)  # lets go of the GIL: a waiting GUI thread takes it now, not after the switch interval
