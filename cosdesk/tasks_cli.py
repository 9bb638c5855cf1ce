"""``cosdesk tasks [list|resume|pause|cancel|clear]``: the persisted upload queue
(the same database the window uses, or ``--db`` / ``COSDESK_DB``).

Tasks are shown oldest first, in batches (the files added together, see
``task_batches.py``), with the window's names for their states. Every action
takes the same selection: task ids (any unique prefix), ``--batch N`` and
``--state S``. ``resume`` says what it will run before it runs it, in the
foreground with a progress display, and exits non-zero only if one of those
tasks failed.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from cosdesk.cli_output import counted, printable
from cosdesk.engine.meter import format_size
from cosdesk.engine.ownership import LeaseHolder
from cosdesk.engine.state_names import STATE_NAMES, state_from_name, state_name
from cosdesk.engine.store import StoreError
from cosdesk.engine.task import TaskState
from cosdesk.engine.task_columns import StoredTask
from cosdesk.engine.task_listing import (
    TaskChoice,
    chosen_ids,
    chosen_tasks,
    count_starting,
    ids_starting,
    shortest_unique_prefix,
)
from cosdesk.task_batches import Batch, batches_in_order, bytes_done
from cosdesk.upload_cli import UsageError, add_account_arguments, database_path, resolve_account, run_engine

if TYPE_CHECKING:
    from cosdesk.engine.store import TaskStore

ACTIONS = ("list", "resume", "pause", "cancel", "clear")
# Task ids are shown as their shortest prefix that tells every task of the
# database apart, and never shorter than this. Ids made together share their
# first 12 digits (the time they were made in milliseconds, see ARCHITECTURE.md,
# "Task ids"): a batch tells its tasks apart in the next four.
MIN_ID_WIDTH = 12
_INTERRUPTED = (TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING)
# How a checking or uploading task is shown when no running cosdesk holds it:
# the run that was sending it stopped (Ctrl-C, a quit window, a crash), and
# ``resume`` finishes it; its state would say something is at work on it. A
# process sending a task holds its lease from before the first request to after
# the last write (engine/ownership.py). A waiting task stays Waiting: a running
# window may have it in line without a lease yet.
_SENDING = (TaskState.CHECKING, TaskState.UPLOADING)
_UNFINISHED = tuple(state for state in TaskState if not state.is_final)
INTERRUPTED_NAME = "Interrupted"
SHOWN_STATES = (*STATE_NAMES.values(), INTERRUPTED_NAME)


def _state_argument(text: str) -> str:
    """The shown name of the state a person names (see ``state_from_name``), or
    Interrupted."""
    if text.strip().lower() == INTERRUPTED_NAME.lower():
        return INTERRUPTED_NAME
    try:
        return state_name(state_from_name(text))
    except ValueError:
        choices = ", ".join(name.lower() for name in SHOWN_STATES)
        raise argparse.ArgumentTypeError(f"{text!r} is not a task state (one of: {choices})") from None


def _shown_state(task_id: str, state: TaskState, running_elsewhere: dict[str, LeaseHolder]) -> str:
    if state in _SENDING and task_id not in running_elsewhere:
        return INTERRUPTED_NAME
    return state_name(state)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        default="list",
        choices=ACTIONS,
        help="what to do (default: list). resume runs the chosen tasks to the end; pause and cancel "
        "also reach a cosdesk upload or window that is running them: it stops sending them within "
        "about a second (paused tasks keep their parts and continue with resume)",
    )
    parser.add_argument(
        "task_ids", nargs="*", metavar="TASK", help="task ids or unique prefixes (default: all)"
    )
    parser.add_argument(
        "--batch",
        type=int,
        action="append",
        metavar="N",
        help="only the tasks of batch N, as numbered by tasks list (repeatable)",
    )
    parser.add_argument(
        "--state",
        type=_state_argument,
        action="append",
        metavar="STATE",
        help="only tasks in this state: "
        + ", ".join(name.lower() for name in SHOWN_STATES)
        + " (repeatable; interrupted: being sent when the run that sent them"
        " stopped, and no cosdesk is sending them now)",
    )
    parser.add_argument(
        "--failed",
        action="store_true",
        help="with resume and no TASK or --batch: retry failed tasks too (by default it resumes "
        "interrupted and paused ones only; failed tasks of a batch or ids you name always run); "
        "with list: only failed tasks (as --state failed)",
    )
    add_account_arguments(parser)
    parser.add_argument(
        "--parallel-files", type=int, default=3, help="with resume: files at once (default 3)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="with resume: no progress display")


def run(args: argparse.Namespace) -> int:
    try:
        named = Path(args.db) if args.db else None
        if named is not None and not named.exists():
            # A mistyped --db was answered "no tasks", and left an empty database there.
            raise UsageError(f"no task database at {printable(str(named))}")
        _failed_as_state(args)
        if args.action == "resume":
            return _resume(args)
        if args.action == "cancel":
            return _cancel(args)
        return _offline(args)
    except UsageError as error:
        print(f"cosdesk tasks: {error}", file=sys.stderr)
        return 2
    except StoreError as error:
        print(f"cosdesk tasks: {error}", file=sys.stderr)
        return 1


def _failed_as_state(args: argparse.Namespace) -> None:
    """``list --failed`` lists the failed tasks, as ``--state failed`` does: it
    listed every task, a million of them, as if the word were not there. With
    pause, cancel or clear it means nothing, and says so (pause and clear leave
    failed tasks alone; cancel takes them with ``--state failed``)."""
    if not args.failed or args.action == "resume":
        return
    if args.action == "cancel":
        raise UsageError("--failed goes with resume or list; to cancel failed tasks, use --state failed")
    if args.action != "list":
        raise UsageError("--failed goes with resume or list")
    args.state = [*(args.state or ()), _state_argument("failed")]


# --- choosing tasks ------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """What a command names, chosen in SQL (engine/task_listing.py): a database of
    a million tasks is never read whole to find a few."""

    batches: list[Batch]  # every batch of the database, oldest first
    choice: TaskChoice
    shown_states: frozenset[str] | None  # the person's --state names, None: any
    named: bool  # the person named ids or batches (not "everything")
    # Tasks another cosdesk process is sending right now (engine/ownership.py).
    running_elsewhere: dict[str, LeaseHolder]

    @cached_property
    def _numbers(self) -> dict[str | None, int]:
        return {batch.token: batch.number for batch in self.batches}

    def batch_number(self, item: StoredTask) -> int:
        return self._numbers.get(item.spec.batch, 0)

    def shown_state(self, item: StoredTask) -> str:
        return _shown_state(item.spec.task_id, item.status.state, self.running_elsewhere)

    def _shown(self, task_id: str, state: TaskState) -> bool:
        """Whether a task in this state passes the person's --state names."""
        return self.shown_states is None or (
            _shown_state(task_id, state, self.running_elsewhere) in self.shown_states
        )

    def _narrowed(self, only: Collection[TaskState] | None) -> TaskChoice:
        if only is None:
            return self.choice
        states = frozenset(only) if self.choice.states is None else self.choice.states & frozenset(only)
        return replace(self.choice, states=states)

    def ids(self, db: sqlite3.Connection, only: Collection[TaskState]) -> list[str]:
        """The ids of the chosen tasks in one of the states ``only`` names: no
        record is made of them."""
        chosen = chosen_ids(db, self._narrowed(only))
        return [task_id for task_id, state in chosen if self._shown(task_id, state)]

    def tasks(
        self, db: sqlite3.Connection, only: Collection[TaskState] | None = None
    ) -> Iterator[StoredTask]:
        """The chosen tasks (those in one of the states ``only`` names, when given),
        batch by batch (oldest first), each batch's oldest first, read from ``db``
        (``TaskStore.reading``) a slice at a time. ``only`` is a filter of the
        query: a command that acts on unfinished tasks reads none of the million
        finished ones."""
        chosen = chosen_tasks(db, self._narrowed(only), [batch.token for batch in self.batches])
        if self.shown_states is None:
            return chosen
        return (item for item in chosen if self._shown(item.spec.task_id, item.status.state))


def _numbers_text(numbers: Sequence[int]) -> str:
    """``1 to 3, 7, 9 to 12``: the batch numbers there are (rising), in runs."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]} to {run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs)


def _match(db: sqlite3.Connection, wanted: Sequence[str]) -> list[str]:
    """The task id each prefix names."""
    chosen = []
    for prefix in wanted:
        matches = ids_starting(db, prefix, 2)
        if not matches:
            raise UsageError(f"no task {printable(prefix)!r}")
        if len(matches) > 1:
            count = count_starting(db, prefix)
            raise UsageError(f"{printable(prefix)!r} matches {count} tasks; give more characters")
        chosen.append(matches[0])
    return chosen


def _stored_states(shown: Iterable[str]) -> frozenset[TaskState]:
    """The stored states a task shown as one of these names may have."""
    states: set[TaskState] = set()
    for name in shown:
        states.update(_SENDING if name == INTERRUPTED_NAME else (state_from_name(name),))
    return frozenset(states)


def _select(args: argparse.Namespace, store: TaskStore, db: sqlite3.Connection) -> Selection:
    """The tasks the command line names, as SQL filters over ``db``."""
    from cosdesk.engine.ownership import live_holders

    # First: numbering an older database's batches writes, and ``db`` reads from
    # its first query on (a transaction begun with BEGIN sees the database then).
    batches = batches_in_order(store)
    running_elsewhere = live_holders(store.path)
    task_ids = frozenset(_match(db, args.task_ids)) if args.task_ids else None
    tokens = None
    if args.batch:
        known = {batch.number: batch.token for batch in batches if batch.number}
        unknown = [number for number in args.batch if number not in known]
        if unknown:
            have = f"batches {_numbers_text(sorted(known))}" if known else "no batches"
            raise UsageError(f"no batch {unknown[0]} (the database has {have}; see cosdesk tasks list)")
        tokens = frozenset(token for number, token in known.items() if number in args.batch and token)
    shown_states = frozenset(args.state) if args.state else None
    choice = TaskChoice(
        task_ids=task_ids,
        batches=tokens,
        states=_stored_states(shown_states) if shown_states else None,
    )
    return Selection(
        batches,
        choice,
        shown_states,
        named=bool(args.task_ids or args.batch),
        running_elsewhere=running_elsewhere,
    )


@contextmanager
def _reading(args: argparse.Namespace) -> Iterator[tuple[TaskStore, sqlite3.Connection]]:
    """The task database, and a connection reading it in one transaction."""
    from cosdesk.engine.store import TaskStore

    store = TaskStore(database_path(args))
    try:
        with store.reading() as db:
            yield store, db
    finally:
        store.close()


def _chosen_ids(args: argparse.Namespace, only: Collection[TaskState]) -> tuple[Selection, list[str]]:
    """The selection, and the ids of its tasks in one of the states ``only`` names."""
    with _reading(args) as (store, db):
        selection = _select(args, store, db)
        return selection, selection.ids(db, only)


# --- list, pause, clear: the database only ---------------------------------------------


def _offline(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list(args)
    from cosdesk.engine.store import RequestAction, TaskStore

    affected = _INTERRUPTED if args.action == "pause" else (TaskState.SUCCESS, TaskState.CANCELED)
    _selection, changed = _chosen_ids(args, affected)
    store = TaskStore(database_path(args))
    try:
        if args.action == "pause" and changed:
            # The state alone (a running process keeps writing the rest of the row),
            # and a request that process notices and acts on.
            store.set_state_where(changed, TaskState.PAUSED, _INTERRUPTED)
            store.post_request(RequestAction.PAUSE, changed)
        if args.action == "clear":
            store.delete_tasks(changed)
        store.flush()
    finally:
        store.close()
    verb = "paused" if args.action == "pause" else "cleared"
    print(f"{counted(len(changed), 'task')} {verb}")
    return 0


_HEADER = ("TASK", "BATCH", "ADDED", "STATE", "DONE", "SIZE", "OBJECT")
_RIGHT_ALIGNED = {1, 4, 5}
# The widest cells of the columns whose width does not depend on the tasks: rows
# are printed as they are read, so each column's width is known before the first.
_ADDED_WIDTH = len("2026-12-31 23:59:59")
_STATE_WIDTH = max(len(name) for name in SHOWN_STATES)
_DONE_WIDTH = len("100.0%")
_SIZE_WIDTH = len(format_size(1023.94 * 1024**3))  # "1023.9 GiB"


def _list(args: argparse.Namespace) -> int:
    with _reading(args) as (store, db):
        selection = _select(args, store, db)
        rows = selection.tasks(db)
        first = next(rows, None)
        if first is None:
            print("no tasks match" if selection.batches else "no tasks")
            return 0
        # A prefix that names one task of the whole database, as ``_match`` reads it,
        # whatever is listed.
        id_width = shortest_unique_prefix(db, MIN_ID_WIDTH)
        batch_width = len(str(max((batch.number for batch in selection.batches), default=0)))
        widths = (id_width, batch_width, _ADDED_WIDTH, _STATE_WIDTH, _DONE_WIDTH, _SIZE_WIDTH)
        totals = _Totals()
        print(_line(_HEADER, widths))
        for item in chain((first,), rows):
            shown_state = selection.shown_state(item)
            batch_number = selection.batch_number(item)
            totals.add(item, shown_state, batch_number)
            cells = _row_cells(
                item.spec.task_id[:id_width],
                batch_number,
                shown_state,
                item,
                selection.running_elsewhere.get(item.spec.task_id),
            )
            print(_line(cells, widths))
        print(totals.text())
    return 0


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    """One row: every column but the last padded (numbers to the right)."""
    padded = [
        cell.rjust(max(width, len(_HEADER[index])))
        if index in _RIGHT_ALIGNED
        else cell.ljust(max(width, len(_HEADER[index])))
        for index, (cell, width) in enumerate(zip(cells[:-1], widths, strict=True))
    ]
    return "  ".join([*padded, cells[-1]]).rstrip()


def _row_cells(
    shown_id: str, batch_number: int, shown_state: str, item: StoredTask, holder: LeaseHolder | None
) -> tuple[str, ...]:
    size = item.checkpoint.size or 0
    if size:
        done = f"{min(bytes_done(item), size) / size * 100:.1f}%"
    else:
        done = "100.0%" if item.status.state is TaskState.SUCCESS else "-"
    if item.status.error is not None:
        detail = f"  {item.status.error}"
    elif item.status.note:
        detail = f"  ({item.status.note})"
    else:
        detail = ""
    if holder is not None and not item.status.state.is_final:
        detail += f"  [uploading in {holder.describe()}]"
    added = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(item.spec.created_at))
    return (
        shown_id,
        str(batch_number),
        added,
        shown_state,
        done,
        format_size(size),
        printable(f"cos://{item.spec.bucket}/{item.key}{detail}"),
    )


class _Totals:
    """The last line of a listing, counted as its rows go by."""

    def __init__(self) -> None:
        self.tasks = 0
        self.batches: set[int] = set()
        self.states: Counter[str] = Counter()
        self.uploaded = 0
        self.total = 0

    def add(self, item: StoredTask, shown_state: str, batch_number: int) -> None:
        self.tasks += 1
        self.batches.add(batch_number)
        self.states[shown_state] += 1
        if item.status.state is not TaskState.CANCELED:
            size = item.checkpoint.size or 0
            self.uploaded += min(bytes_done(item), size)
            self.total += size

    def text(self) -> str:
        by_state = ", ".join(f"{self.states[name]} {name}" for name in SHOWN_STATES if self.states[name])
        return (
            f"{counted(self.tasks, 'task')} in {counted(len(self.batches), 'batch', 'batches')}: "
            f"{by_state}; {format_size(self.uploaded)} of {format_size(self.total)} uploaded"
        )


# --- resume, cancel: the engine ----------------------------------------------------------


def _runnable(
    selection: Selection, unfinished: list[StoredTask], *, failed_too: bool
) -> tuple[list[StoredTask], list[StoredTask]]:
    """What resume runs, and the failed tasks it leaves alone (only when the
    person named nothing and did not ask for ``--failed``)."""
    if selection.named or failed_too:
        return unfinished, []
    run = [item for item in unfinished if item.status.state is not TaskState.ERROR]
    left = [item for item in unfinished if item.status.state is TaskState.ERROR]
    return run, left


def _announce(
    run: list[StoredTask], left_alone: list[StoredTask], running_elsewhere: dict[str, LeaseHolder]
) -> None:
    if run:
        kinds = Counter(
            "interrupted" if item.status.state in _INTERRUPTED else state_name(item.status.state).lower()
            for item in run
        )
        how = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        to_send = sum(max(0, (item.checkpoint.size or 0) - bytes_done(item)) for item in run)
        print(f"resuming {counted(len(run), 'task')} ({how}): {format_size(to_send)} to send")
        held = [
            running_elsewhere[item.spec.task_id] for item in run if item.spec.task_id in running_elsewhere
        ]
        if held:
            processes = ", ".join(sorted({holder.describe() for holder in held}))
            print(
                f"{counted(len(held), 'of them is', 'of them are')} being uploaded by {processes}: "
                "this waits for it and takes over what it leaves unfinished"
            )
    else:
        print("nothing to resume")
    if left_alone:
        print(
            f"left alone: {len(left_alone)} failed (add --failed to retry them, or name their batch or ids)"
        )
    sys.stdout.flush()


def _resume(args: argparse.Namespace) -> int:
    with _reading(args) as (store, db):
        selection = _select(args, store, db)
        unfinished = list(selection.tasks(db, _UNFINISHED))
    run, left_alone = _runnable(selection, unfinished, failed_too=args.failed)
    # Keys first: a plan announced and then refused for want of keys reads as if it ran.
    account = resolve_account(args, need_endpoint=False) if run else None
    _announce(run, left_alone, selection.running_elsewhere)
    if account is None:
        return 0
    run_ids = [item.spec.task_id for item in run]

    def start(queue: object) -> None:
        from cosdesk.engine.queue import UploadQueue

        assert isinstance(queue, UploadQueue)
        queue.restart(run_ids)

    return run_engine(
        account,
        database_path(args),
        parallel_files=args.parallel_files,
        bandwidth_limit=0,
        quiet=args.quiet,
        start=start,
        restore=True,
        restore_ids=run_ids,
    )


def _cancel(args: argparse.Namespace) -> int:
    """Cancel: abort each multipart upload on the server (credentials needed when
    any has one), drop checkpoints; finished objects are never touched."""
    selection, targets = _chosen_ids(args, _UNFINISHED)
    # A process running these tasks stops them (and aborts what it was sending);
    # this one then cancels what is stored.
    everything = not (selection.named or args.state)
    _post_cancel_request(args, None if everything else targets)
    if not targets:
        print("0 tasks canceled")
        return 0
    account = resolve_account(args, need_endpoint=False)

    def start(queue: object) -> None:
        from cosdesk.engine.queue import UploadQueue

        assert isinstance(queue, UploadQueue)
        queue.cancel(targets)

    status = run_engine(
        account,
        database_path(args),
        parallel_files=1,
        bandwidth_limit=0,
        quiet=True,
        start=start,
        restore=True,
        restore_resume=False,
        restore_ids=targets,
        summary=False,
    )
    print(f"{counted(len(targets), 'task')} canceled")
    return status


def _post_cancel_request(args: argparse.Namespace, wanted: list[str] | None) -> None:
    from cosdesk.engine.store import RequestAction, TaskStore

    store = TaskStore(database_path(args))
    try:
        store.post_request(RequestAction.CANCEL, wanted)
        store.flush()
    finally:
        store.close()
