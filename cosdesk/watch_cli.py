"""``cosdesk sync SRC cos://BUCKET/PREFIX --watch``: once the sync has run, the
folder is watched and each new or changed file uploaded once it stops changing,
until Ctrl-C, which ends with a summary of what the watch uploaded (see
ARCHITECTURE.md, "Watched folders"). The watch never deletes anything.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cosdesk.cli_output import printable
from cosdesk.upload_cli import Account, run_engine

if TYPE_CHECKING:
    from cosdesk.engine.queue import UploadQueue
    from cosdesk.engine.watch_list import WatchedFolder


def watch_until_interrupted(
    account: Account,
    db_path: Path,
    record: WatchedFolder,
    *,
    limits: tuple[int, int],
    quiet: bool,
) -> int:
    """Watch ``record.folder`` (catching up first with the files modified since
    ``record.seen_until``) and upload to its target through a queue on ``db_path``
    until Ctrl-C. 0 when it ends with every upload done; 1 when one failed; 130
    when Ctrl-C came while uploads ran (they stay resumable)."""
    from cosdesk.engine.qt_loading import load_qt_core

    load_qt_core()  # first: every module imported after Qt is then loaded as usual
    from PySide6.QtCore import QCoreApplication
    from watchdog.observers import Observer

    from cosdesk.engine.folder_watch import FolderWatch, WatchState
    from cosdesk.engine.sync_record import SyncRecord, record_path_beside
    from cosdesk.engine.worker_pool import WorkerPool

    # The uploads are recorded as a sync's are: the next sync skips them unread.
    synced = SyncRecord(record_path_beside(db_path))
    observer = Observer()
    observer.daemon = True
    observer.start()
    pool = WorkerPool()
    watches: list[FolderWatch] = []

    def start(queue: UploadQueue) -> None:
        watch = FolderWatch(record, queue, observer, pool, synced=synced)
        watches.append(watch)
        said: list[WatchState] = [watch.state]

        def say_state() -> None:
            # Only what changes how the watch goes: its counts show in the progress.
            if watch.state is said[0]:
                return
            said[0] = watch.state
            if watch.state is WatchState.MISSING:
                print(f"the folder {printable(record.folder)} is not there; waiting for it", file=sys.stderr)
            elif watch.state is WatchState.FAILED:
                print(f"cannot watch {printable(record.folder)}: {printable(watch.problem)}", file=sys.stderr)
            elif watch.state is WatchState.WATCHING:
                print(f"watching {printable(record.folder)} again", file=sys.stderr)

        watch.changed.connect(say_state)
        app = QCoreApplication.instance()
        assert app is not None  # run_engine made it
        # Before run_engine shuts the queue down: no job may queue files after that.
        # The uploads it tells of as it stops are still recorded (watch.stop below).
        app.aboutToQuit.connect(watch.stop_watching)
        watch.start(catch_up=True)
        print(
            f"watching {printable(record.folder)} for new and changed files "
            f"(to cos://{printable(record.target.describe())}); Ctrl-C to stop",
            flush=True,
        )

    try:
        status = run_engine(
            account,
            db_path,
            parallel_files=limits[0],
            bandwidth_limit=limits[1],
            quiet=quiet,
            start=start,
            restore=False,
            until_interrupted=True,
            qt=True,
        )
    finally:
        for watch in watches:
            watch.stop()
        observer.stop()
        observer.join(10)
        pool.waitForDone(10_000)
        synced.close()
    print(f"stopped watching {printable(record.folder)}")
    return status
