"""``cosdesk sync SRC cos://BUCKET/PREFIX``: make the prefix hold what the folder
holds (see ARCHITECTURE.md, "Sync").

The plan is made first (one listing; a HEAD only for a file whose size matches
and whose record is stale), then its uploads run through the same engine and
task database as ``cosdesk upload``, then, with ``--delete``, the objects that
have no local file are deleted. ``--dry-run`` prints the plan and stops.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cosdesk.cli_output import counted, printable
from cosdesk.upload_cli import (
    Account,
    UsageError,
    add_account_arguments,
    add_transfer_arguments,
    database_path,
    engine_limits,
    options_from_args,
    parse_destination,
    resolve_account,
    run_engine,
)

if TYPE_CHECKING:  # Qt and the engine are imported only when the sync runs.
    from cosdesk.engine.clients import ClientCache
    from cosdesk.engine.options import UploadOptions
    from cosdesk.engine.queue import UploadQueue
    from cosdesk.engine.sync_delete import DeleteOutcome
    from cosdesk.engine.sync_plan import SkipReason, SyncDestination, SyncPlan, UploadReason
    from cosdesk.engine.sync_record import SyncRecord
    from cosdesk.engine.sync_run import UploadOutcome

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130  # as run_engine says it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SRC", help="the local folder")
    parser.add_argument("destination", metavar="cos://BUCKET/PREFIX", help="where its files go")
    parser.add_argument("--dry-run", action="store_true", help="print what would be done; change nothing")
    parser.add_argument(
        "--delete",
        action="store_true",
        help="delete objects under the prefix that have no file in the folder (never outside the prefix)",
    )
    parser.add_argument(
        "--max-delete",
        type=int,
        metavar="N",
        help="with --delete: when more than N objects would be deleted, delete none of them (a folder "
        "emptied or unmounted by mistake must not empty the bucket); the uploads still run",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="after the sync, keep watching the folder and upload each new or changed file once it "
        "stops changing, until Ctrl-C (the watch never deletes)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERN",
        help="leave out paths matching this gitignore pattern (after the folder's .cosignore); repeatable",
    )
    parser.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="PATTERN",
        help="take only paths matching this gitignore pattern; repeatable",
    )
    add_account_arguments(parser)
    add_transfer_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from cosdesk.cos.errors import CosException
    from cosdesk.engine.clients import ClientCache
    from cosdesk.engine.sync_delete import DeleteOutcome
    from cosdesk.engine.sync_patterns import PatternError
    from cosdesk.engine.sync_plan import SyncDestination, SyncRequest, plan_sync
    from cosdesk.engine.sync_record import SyncRecord, record_path_beside

    try:
        folder = Path(args.source)
        if not folder.is_dir():
            what = "not a folder" if folder.exists() else "no such folder"
            raise UsageError(f"{what}: {printable(args.source)}")
        bucket, prefix = parse_destination(args.destination)
        if args.watch and args.dry_run:
            raise UsageError("--watch uploads what changes; it cannot be a dry run")
        if args.max_delete is not None and (args.max_delete < 0 or not args.delete):
            raise UsageError("--max-delete needs --delete and a number of objects (0 or more)")
        account = resolve_account(args, need_endpoint=True, destination=(bucket, prefix))
        options = options_from_args(args, account.profile)
        parallel_files, bandwidth = engine_limits(args, account.profile)
    except UsageError as error:
        return _usage(error)
    assert account.endpoint is not None  # need_endpoint
    destination = SyncDestination(account.endpoint, bucket, prefix)
    request = SyncRequest(folder, destination, tuple(args.exclude), tuple(args.include), args.delete)
    db_path = database_path(args)
    # What changes from here on is the watch's, even while the sync runs.
    watch_since = time.time()
    record_path = record_path_beside(db_path)
    record = SyncRecord(None if args.dry_run and not record_path.exists() else record_path)
    clients = ClientCache(account.credentials, verify=account.verify)
    try:
        try:
            plan = plan_sync(request, clients(account.endpoint), record)
        except PatternError as error:
            return _usage(f"bad pattern: {error}")
        except OSError as error:
            where = printable(str(error.filename or folder))
            return _usage(f"cannot read {where}: {error.strerror or error}")
        except CosException as error:
            print(f"cosdesk sync: cannot list {printable(str(destination))}: {error}", file=sys.stderr)
            return EXIT_FAILED
        # Both said; only the problems make the sync fail.
        for path, reason in (*plan.not_followed, *plan.problems):
            print(f"skipped {printable(path)}: {printable(reason)}", file=sys.stderr)
        if args.dry_run:
            print_plan(plan, sys.stdout)
            return 0
        too_many = args.max_delete is not None and len(plan.deletes) > args.max_delete
        if too_many:  # said before the uploads, which may take long
            print(
                f"cosdesk sync: {counted(len(plan.deletes), 'object')} would be deleted, more than "
                f"--max-delete {args.max_delete}: none will be (see them with --dry-run)",
                file=sys.stderr,
            )
        limits = (parallel_files, bandwidth)
        uploads, status = _upload(plan, record, account, db_path, options, limits, args.quiet)
        # Ctrl-C stops the sync there: nothing is deleted after it.
        deleting = status != EXIT_INTERRUPTED and not too_many
        deletes = _delete(plan, clients, record) if deleting else DeleteOutcome()
    finally:
        record.close()
        clients.close()
    print(summary(plan, uploads, deletes, held_back=len(plan.deletes) if too_many else 0))
    for key, reason in [*uploads.failed.items(), *deletes.failed]:
        print(f"failed {printable(key)}: {printable(reason)}", file=sys.stderr)
    failed = uploads.failed or deletes.failed or len(uploads.uploaded) < len(plan.uploads) or too_many
    if status == EXIT_INTERRUPTED:
        if plan.deletes:
            print(
                f"interrupted: {counted(len(plan.deletes), 'object')} to delete "
                f"{'was' if len(plan.deletes) == 1 else 'were'} left alone",
                file=sys.stderr,
            )
        return status
    sync_status = EXIT_FAILED if failed or plan.problems or status else 0
    if args.watch:
        return _watch(args, account, db_path, destination, watch_since) or sync_status
    return sync_status


def _watch(
    args: argparse.Namespace, account: Account, db_path: Path, destination: SyncDestination, since: float
) -> int:
    from cosdesk.engine.watch_list import WatchedFolder, WatchTarget
    from cosdesk.watch_cli import watch_until_interrupted

    target = WatchTarget(
        destination.bucket, destination.prefix, destination.endpoint, options_from_args(args, account.profile)
    )
    record = WatchedFolder(args.source, target, tuple(args.exclude), tuple(args.include), seen_until=since)
    return watch_until_interrupted(
        account, db_path, record, limits=engine_limits(args, account.profile), quiet=args.quiet
    )


def _usage(error: object) -> int:
    print(f"cosdesk sync: {error}", file=sys.stderr)
    return EXIT_USAGE


def _upload(
    plan: SyncPlan,
    record: SyncRecord,
    account: Account,
    db_path: Path,
    options: UploadOptions,
    limits: tuple[int, int],
    quiet: bool,
) -> tuple[UploadOutcome, int]:
    """Run the plan's uploads through the engine; (how they ended, run_engine's status)."""
    from cosdesk.engine.sync_run import SyncUploads, UploadOutcome

    if not plan.uploads:
        # Starting the engine costs half a second: a sync with nothing to send
        # only writes what the plan proved to the record.
        record.remember(plan.destination.endpoint, plan.destination.bucket, plan.confirmed)
        return UploadOutcome(), 0
    runs: list[SyncUploads] = []

    def start(queue: UploadQueue) -> None:
        runs.append(SyncUploads(queue, plan, record, options))
        runs[0].start()

    try:
        status = run_engine(
            account,
            db_path,
            parallel_files=limits[0],
            bandwidth_limit=limits[1],
            quiet=quiet,
            start=start,
            restore=False,
            qt=True,
        )
    finally:
        for sync_run in runs:
            sync_run.close()
    return runs[0].outcome, status


def _delete(plan: SyncPlan, clients: ClientCache, record: SyncRecord) -> DeleteOutcome:
    from cosdesk.engine.sync_delete import DeleteOutcome, delete_objects

    if not plan.deletes:
        return DeleteOutcome()
    return delete_objects(clients(plan.destination.endpoint), plan.destination, plan.deletes, record)


def _counted(counts: Mapping[SkipReason, int] | Mapping[UploadReason, int]) -> str:
    return ", ".join(f"{count} {reason}" for reason, count in sorted(counts.items(), key=lambda kv: -kv[1]))


def print_plan(plan: SyncPlan, out: TextIO) -> None:
    """``--dry-run``: a line per upload and per delete, then the counts."""
    for upload in plan.uploads:
        print(f"would upload {printable(upload.key)} ({upload.reason})", file=out)
    for key in plan.deletes:
        print(f"would delete {printable(key)}", file=out)
    line = f"dry run, nothing changed: {len(plan.uploads)} to upload"
    if plan.uploads:
        line += f" ({_counted(plan.upload_counts())})"
    line += f", {len(plan.skips)} to skip"
    if plan.skips:
        line += f" ({_counted(plan.skip_counts())})"
    line += f", {len(plan.deletes)} to delete" + _excluded(plan)
    print(line, file=out)


def summary(plan: SyncPlan, uploads: UploadOutcome, deletes: DeleteOutcome, *, held_back: int = 0) -> str:
    """``sync cos://b/p/: 3 uploaded, 5 skipped (…), 2 deleted, 0 failed; 1 excluded``.
    ``held_back``: objects not deleted because they were more than --max-delete."""
    line = f"sync {printable(str(plan.destination))}: {len(uploads.uploaded)} uploaded"
    if uploads.unverified:
        line += f" ({uploads.unverified} not verified)"
    line += f", {len(plan.skips)} skipped"
    if plan.skips:
        line += f" ({_counted(plan.skip_counts())})"
    failed = len(uploads.failed) + len(deletes.failed)
    unfinished = len(plan.uploads) - len(uploads.uploaded) - len(uploads.failed)
    line += f", {len(deletes.deleted)} deleted"
    if held_back:
        line += f" ({held_back} not: more than --max-delete)"
    line += f", {failed} failed"
    if unfinished:
        line += f", {unfinished} unfinished"
    return line + _excluded(plan)


def _excluded(plan: SyncPlan) -> str:
    parts = []
    if plan.excluded_files:
        parts.append(counted(plan.excluded_files, "file"))
    if plan.excluded_folders:
        parts.append(counted(plan.excluded_folders, "folder"))
    return f"; excluded by patterns: {' and '.join(parts)}" if parts else ""
