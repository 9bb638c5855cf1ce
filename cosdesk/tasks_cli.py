"""``cosdesk tasks [list|resume|pause|cancel|clear]``: the persisted upload queue
(the same database the window uses, or ``--db`` / ``COSDESK_DB``).

``resume`` runs every unfinished task (or the ones named) to the end in the
foreground, with a progress display, then exits non-zero if any failed.
Task ids may be abbreviated to any unique prefix.
"""

from __future__ import annotations

import argparse
import sys

from cosdesk.engine.store import StoreError
from cosdesk.upload_cli import UsageError, add_account_arguments, database_path, resolve_account, run_engine

ACTIONS = ("list", "resume", "pause", "cancel", "clear")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        default="list",
        choices=ACTIONS,
        help="what to do (default: list). pause and cancel also reach a cosdesk upload or window that "
        "is running the tasks: it stops sending them within about a second (paused tasks keep their "
        "parts and continue with resume)",
    )
    parser.add_argument(
        "task_ids", nargs="*", metavar="TASK", help="task ids or unique prefixes (default: all)"
    )
    add_account_arguments(parser)
    parser.add_argument(
        "--parallel-files", type=int, default=3, help="with resume: files at once (default 3)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="with resume: no progress display")


def _match(ids: list[str], wanted: list[str]) -> list[str]:
    chosen = []
    for prefix in wanted:
        matches = [task_id for task_id in ids if task_id.startswith(prefix)]
        if not matches:
            raise UsageError(f"no task {prefix!r}")
        if len(matches) > 1:
            raise UsageError(f"{prefix!r} matches {len(matches)} tasks; give more characters")
        chosen.append(matches[0])
    return chosen


def run(args: argparse.Namespace) -> int:
    try:
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


def _offline(args: argparse.Namespace) -> int:
    """list, pause, clear: database only, no network."""
    from cosdesk.engine.meter import format_size
    from cosdesk.engine.store import RequestAction, TaskStore
    from cosdesk.engine.task import TaskState

    store = TaskStore(database_path(args))
    try:
        stored = store.load_tasks()
        ids = [item.row.task_id for item in stored]
        selected = set(_match(ids, args.task_ids)) if args.task_ids else set(ids)
        if args.action == "list":
            if not stored:
                print("no tasks")
            for item in stored:
                row = item.row
                if row.task_id not in selected:
                    continue
                size = row.size or 0
                done = size if row.state is TaskState.SUCCESS else sum(part.size for part in item.parts)
                percent = f"{done / size * 100:5.1f}%" if size else "  -  "
                detail = f"  {row.error}" if row.error else (f"  ({row.note})" if row.note else "")
                print(
                    f"{row.task_id[:12]}  {row.state.value:<9} {percent}  {format_size(size):>10}  "
                    f"cos://{row.bucket}/{row.key}{detail}"
                )
            return 0
        changed = []
        active = (TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING)
        affected = active if args.action == "pause" else (TaskState.SUCCESS, TaskState.CANCELED)
        changed = [
            item.row.task_id for item in stored if item.row.task_id in selected and item.row.state in affected
        ]
        if args.action == "pause" and changed:
            # The state alone (a running process keeps writing the rest of the row),
            # and a request that process notices and acts on.
            store.set_state_where(changed, TaskState.PAUSED, active)
            store.post_request(RequestAction.PAUSE, changed)
        if args.action == "clear":
            store.delete_tasks(changed)
        store.flush()
        verb = "paused" if args.action == "pause" else "cleared"
        print(f"{len(changed)} task(s) {verb}")
        return 0
    finally:
        store.close()


def _select_ids(args: argparse.Namespace) -> list[str] | None:
    if not args.task_ids:
        return None
    from cosdesk.engine.store import TaskStore

    store = TaskStore(database_path(args))
    try:
        return _match([item.row.task_id for item in store.load_tasks()], args.task_ids)
    finally:
        store.close()


def _resume(args: argparse.Namespace) -> int:
    account = resolve_account(args, need_endpoint=False)
    wanted = _select_ids(args)

    def start(queue: object) -> None:
        from cosdesk.engine.queue import UploadQueue

        assert isinstance(queue, UploadQueue)
        if wanted is not None:
            # Only the named tasks run: the others stay as they were.
            others = [s.task_id for s in queue.tasks() if s.task_id not in wanted and not s.state.is_final]
            queue.pause(others)
        queue.restart(wanted)

    return run_engine(
        account,
        database_path(args),
        parallel_files=args.parallel_files,
        bandwidth_limit=0,
        quiet=args.quiet,
        start=start,
        restore=True,
        restore_resume=wanted is None,
    )


def _cancel(args: argparse.Namespace) -> int:
    """Cancel: abort each multipart upload on the server (credentials needed when
    any has one), drop checkpoints; finished objects are never touched."""
    account = resolve_account(args, need_endpoint=False)
    wanted = _select_ids(args)
    count = 0
    _post_cancel_request(args, wanted)

    def start(queue: object) -> None:
        nonlocal count
        from cosdesk.engine.queue import UploadQueue

        assert isinstance(queue, UploadQueue)
        targets = [
            s.task_id
            for s in queue.tasks()
            if not s.state.is_final and (wanted is None or s.task_id in wanted)
        ]
        count = len(targets)
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
    )
    print(f"{count} task(s) canceled")
    return status


def _post_cancel_request(args: argparse.Namespace, wanted: list[str] | None) -> None:
    """Tell a process that is running these tasks to stop them (it also aborts
    what it was sending); this one then cancels what is stored."""
    from cosdesk.engine.store import RequestAction, TaskStore

    store = TaskStore(database_path(args))
    try:
        store.post_request(RequestAction.CANCEL, wanted)
        store.flush()
    finally:
        store.close()
