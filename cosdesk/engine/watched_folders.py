"""The window's watched folders: each a :class:`FolderWatch` on the window's
queue, all sharing one watchdog observer and one small pool, and the list kept
in ``watched_folders.json`` (``engine/watch_list.py``) so watching survives a
restart (see ARCHITECTURE.md, "Watched folders")."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from cosdesk.engine.folder_watch import DEFAULT_SETTLE_S, FolderWatch
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.sync_record import SyncRecord
from cosdesk.engine.watch_catch_up import SyncCatchUp
from cosdesk.engine.watch_list import WatchedFolder, load_watch_list, save_watch_list
from cosdesk.engine.worker_pool import BackgroundCall, WorkerPool

log = logging.getLogger(__name__)

# Changes to the list (a count going up while files upload) are written at most
# this often.
SAVE_DELAY_MS = 1000


class WatchedFolders(QObject):
    """Watched folders on ``queue``, kept at ``list_path`` (None: not kept);
    ``plan_catch_up`` says what changed while a watch did not run (without it,
    what was modified since); verified uploads are written to the sync record
    ``synced`` (when given), as a sync writes them."""

    # A watch was added or removed, or one's record or state changed.
    changed = Signal()

    def __init__(
        self,
        queue: UploadQueue,
        list_path: Path | None,
        *,
        settle_s: float = DEFAULT_SETTLE_S,
        plan_catch_up: SyncCatchUp | None = None,
        synced: SyncRecord | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settle_s = settle_s
        self._plan_catch_up = plan_catch_up
        self._synced = synced
        self._queue = queue
        self._list_path = list_path
        self._observer: BaseObserver | None = None
        # Starting a system watch walks the folder's tree; a catch-up walks it too.
        self._pool = WorkerPool(self, background=True)
        self._pool.setMaxThreadCount(2)
        self._watches: dict[str, FolderWatch] = {}
        self._save_lock = threading.RLock()
        self._latest: list[WatchedFolder] = []
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self._save_in_background)
        self._stopped_watching = False

    def load(self) -> None:
        """Start watching the folders kept at ``list_path`` (a small file, read
        at start like the settings); each catches up with what changed while
        cosdesk did not run."""
        if self._list_path is None:
            return
        for record in load_watch_list(self._list_path):
            self._start(record, catch_up=True)
        if self._watches:
            self.changed.emit()

    def watches(self) -> list[FolderWatch]:
        """In the order they were added."""
        return list(self._watches.values())

    def get(self, watch_id: str) -> FolderWatch | None:
        return self._watches.get(watch_id)

    def watch(self, record: WatchedFolder, *, upload_existing: bool = False) -> FolderWatch:
        """Start watching ``record.folder`` and keep it in the list. With
        ``upload_existing``, the files already there are taken too (those that
        differ from the destination, when a catch-up planner can tell)."""
        watch = self._start(record, catch_up=upload_existing)
        self._changed()
        return watch

    def pause(self, watch_id: str) -> None:
        if (watch := self._watches.get(watch_id)) is not None:
            watch.pause()

    def resume(self, watch_id: str) -> None:
        if (watch := self._watches.get(watch_id)) is not None:
            watch.resume()

    def remove(self, watch_id: str) -> None:
        """Stop watching the folder and forget it (its uploads stay in the queue)."""
        watch = self._watches.pop(watch_id, None)
        if watch is None:
            return
        watch.stop()
        watch.deleteLater()
        self._changed()

    def shutdown(self) -> None:
        """Stop every watch for good (:meth:`stop_watching`, then follow no more
        uploads, recording the verified ones in the sync record). Idempotent."""
        self.stop_watching()
        for watch in self._watches.values():
            watch.stop_following()

    def shutdown_with_queue(self, on_saving: Callable[[int], None] | None = None) -> None:
        """Stop the watches and their queue in the order that loses no record:
        no more files handed on, then the queue stopped (``on_saving`` as for
        ``UploadQueue.shutdown``) and its last events delivered, so the uploads
        that end as it stops reach the sync record; then the watches stop
        following. Quitting the window does this."""
        self.stop_watching()
        self._queue.shutdown(wait=True, on_saving=on_saving)
        self._queue.deliver_events()
        self.shutdown()

    def stop_watching(self) -> None:
        """Stop every watch handing on files and write the list as it ends; the
        uploads handed on are still followed until :meth:`shutdown`. Quitting
        stops the queue in between, so the uploads that end as it stops are
        recorded too. Idempotent."""
        if self._stopped_watching:
            return
        self._stopped_watching = True
        self._save_timer.stop()
        for watch in self._watches.values():
            watch.stop_watching()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(10)
        self._pool.waitForDone(10_000)
        self._save([watch.record for watch in self._watches.values()])

    def _start(self, record: WatchedFolder, *, catch_up: bool) -> FolderWatch:
        if self._observer is None:
            self._observer = Observer()
            self._observer.daemon = True
            self._observer.start()
        watch = FolderWatch(
            record,
            self._queue,
            self._observer,
            self._pool,
            settle_s=self.settle_s,
            plan_catch_up=self._plan_catch_up,
            synced=self._synced,
            parent=self,
        )
        watch.changed.connect(self._changed)
        self._watches[record.watch_id] = watch
        watch.start(catch_up=catch_up)
        return watch

    @Slot()
    def _changed(self) -> None:
        if not self._stopped_watching:
            self._save_timer.start()
            self.changed.emit()

    @Slot()
    def _save_in_background(self) -> None:
        with self._save_lock:
            self._latest = [watch.record for watch in self._watches.values()]
        self._pool.start(BackgroundCall(self._save_latest))

    def _save_latest(self) -> None:
        # Two saves may run at once: each writes the latest list, so the last
        # write is never an older one.
        with self._save_lock:
            self._save(self._latest)

    def _save(self, records: list[WatchedFolder]) -> None:
        if self._list_path is None:
            return
        with self._save_lock:
            try:
                save_watch_list(self._list_path, records)
            except OSError as error:
                log.error("cannot save the watched folders to %s: %s", self._list_path, error)
