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
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from pathlib import Path

from cosdesk.cli_output import counted, printable
from cosdesk.engine.meter import format_size
from cosdesk.engine.ownership import LeaseHolder
from cosdesk.engine.state_names import STATE_NAMES, state_from_name, state_name
from cosdesk.engine.store import StoreError
from cosdesk.engine.task import TaskState
from cosdesk.engine.task_columns import StoredTask
from cosdesk.task_batches import StoredBatch, bytes_done, stored_batches
from cosdesk.upload_cli import UsageError, add_account_arguments, database_path, resolve_account, run_engine

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


def _shown_state(item: StoredTask, running_elsewhere: dict[str, LeaseHolder]) -> str:
    state = item.status.state
    if state in _SENDING and item.spec.task_id not in running_elsewhere:
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
        "interrupted and paused ones only; failed tasks of a batch or ids you name always run)",
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


# --- choosing tasks ------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    batches: list[StoredBatch]
    chosen: list[StoredTask]  # oldest first
    named: bool  # the person named ids or batches (not "everything")
    # Tasks another cosdesk process is sending right now (engine/ownership.py).
    running_elsewhere: dict[str, LeaseHolder]

    @cached_property
    def _batch_numbers(self) -> dict[str, int]:
        return {item.spec.task_id: batch.number for batch in self.batches for item in batch.tasks}

    def batch_number(self, task_id: str) -> int:
        return self._batch_numbers.get(task_id, 0)

    def shown_state(self, item: StoredTask) -> str:
        return _shown_state(item, self.running_elsewhere)

    @cached_property
    def id_width(self) -> int:
        """How many of a task id's digits to show: a prefix that names one task
        of the whole database, as ``_match`` reads it, whatever is listed."""
        ordered = sorted(item.spec.task_id for batch in self.batches for item in batch.tasks)
        shared = max((_shared_length(*pair) for pair in pairwise(ordered)), default=0)
        return max(MIN_ID_WIDTH, shared + 1)


def _numbers_text(numbers: Sequence[int]) -> str:
    """``1 to 3, 7, 9 to 12``: the batch numbers there are (rising), in runs."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]} to {run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs)


def _shared_length(first: str, second: str) -> int:
    """How many leading characters the two have in common."""
    for index, (mine, theirs) in enumerate(zip(first, second, strict=False)):
        if mine != theirs:
            return index
    return min(len(first), len(second))


def _match(ids: Sequence[str], wanted: Sequence[str]) -> list[str]:
    chosen = []
    for prefix in wanted:
        matches = [task_id for task_id in ids if task_id.startswith(prefix)]
        if not matches:
            raise UsageError(f"no task {printable(prefix)!r}")
        if len(matches) > 1:
            raise UsageError(f"{printable(prefix)!r} matches {len(matches)} tasks; give more characters")
        chosen.append(matches[0])
    return chosen


def _select(args: argparse.Namespace) -> Selection:
    """The tasks the command line names, from the database (read once)."""
    from cosdesk.engine.ownership import live_holders
    from cosdesk.engine.store import TaskStore

    store = TaskStore(database_path(args))
    try:
        batches = stored_batches(store)
        running_elsewhere = live_holders(store.path)
    finally:
        store.close()
    everything = [item for batch in batches for item in batch.tasks]
    chosen = everything
    if args.task_ids:
        wanted = set(_match([item.spec.task_id for item in everything], args.task_ids))
        chosen = [item for item in chosen if item.spec.task_id in wanted]
    if args.batch:
        known = {batch.number for batch in batches}
        unknown = [number for number in args.batch if number not in known]
        if unknown:
            have = f"batches {_numbers_text(sorted(known))}" if batches else "no batches"
            raise UsageError(f"no batch {unknown[0]} (the database has {have}; see cosdesk tasks list)")
        in_batches = {item.spec.task_id for b in batches if b.number in args.batch for item in b.tasks}
        chosen = [item for item in chosen if item.spec.task_id in in_batches]
    if args.state:
        chosen = [item for item in chosen if _shown_state(item, running_elsewhere) in args.state]
    named = bool(args.task_ids or args.batch)
    return Selection(batches, chosen, named=named, running_elsewhere=running_elsewhere)


# --- list, pause, clear: the database only ---------------------------------------------


def _offline(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list(args)
    from cosdesk.engine.store import RequestAction, TaskStore

    selection = _select(args)
    if args.action == "pause":
        affected: tuple[TaskState, ...] = _INTERRUPTED
    else:
        affected = (TaskState.SUCCESS, TaskState.CANCELED)
    changed = [item.spec.task_id for item in selection.chosen if item.status.state in affected]
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


def _list(args: argparse.Namespace) -> int:
    selection = _select(args)
    if not selection.chosen:
        print("no tasks" if not selection.batches else "no tasks match")
        return 0
    rows = [
        _row_cells(
            item.spec.task_id[: selection.id_width],
            selection.batch_number(item.spec.task_id),
            selection.shown_state(item),
            item,
            selection.running_elsewhere.get(item.spec.task_id),
        )
        for item in selection.chosen
    ]
    # Every column but the last is padded to its widest cell; numbers align right.
    widths = [max(len(cells[index]) for cells in [_HEADER, *rows]) for index in range(len(_HEADER) - 1)]
    right_aligned = {1, 4, 5}
    for cells in [_HEADER, *rows]:
        padded = [
            cell.rjust(widths[index]) if index in right_aligned else cell.ljust(widths[index])
            for index, cell in enumerate(cells[:-1])
        ]
        print("  ".join([*padded, cells[-1]]).rstrip())
    print(_totals(selection))
    return 0


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


def _totals(selection: Selection) -> str:
    chosen = selection.chosen
    batch_count = len({selection.batch_number(item.spec.task_id) for item in chosen})
    states = Counter(selection.shown_state(item) for item in chosen)
    by_state = ", ".join(f"{states[name]} {name}" for name in SHOWN_STATES if states[name])
    live = [item for item in chosen if item.status.state is not TaskState.CANCELED]
    uploaded = sum(min(bytes_done(item), item.checkpoint.size or 0) for item in live)
    total = sum(item.checkpoint.size or 0 for item in live)
    return (
        f"{counted(len(chosen), 'task')} in {counted(batch_count, 'batch', 'batches')}: "
        f"{by_state}; {format_size(uploaded)} of {format_size(total)} uploaded"
    )


# --- resume, cancel: the engine ----------------------------------------------------------


def _runnable(selection: Selection, *, failed_too: bool) -> tuple[list[StoredTask], list[StoredTask]]:
    """What resume runs, and the failed tasks it leaves alone (only when the
    person named nothing and did not ask for ``--failed``)."""
    unfinished = [item for item in selection.chosen if not item.status.state.is_final]
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
    selection = _select(args)
    run, left_alone = _runnable(selection, failed_too=args.failed)
    # Keys first: a plan announced and then refused for want of keys reads as if it ran.
    account = resolve_account(args, need_endpoint=False) if run else None
    _announce(run, left_alone, selection.running_elsewhere)
    if account is None:
        return 0
    chosen = [item.spec.task_id for item in run]

    def start(queue: object) -> None:
        from cosdesk.engine.queue import UploadQueue

        assert isinstance(queue, UploadQueue)
        queue.restart(chosen)

    return run_engine(
        account,
        database_path(args),
        parallel_files=args.parallel_files,
        bandwidth_limit=0,
        quiet=args.quiet,
        start=start,
        restore=True,
        restore_ids=chosen,
    )


def _cancel(args: argparse.Namespace) -> int:
    """Cancel: abort each multipart upload on the server (credentials needed when
    any has one), drop checkpoints; finished objects are never touched."""
    selection = _select(args)
    targets = [item.spec.task_id for item in selection.chosen if not item.status.state.is_final]
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
