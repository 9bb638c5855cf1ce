"""What a watched folder catches up with when its watch starts again (cosdesk
started, the watch resumed, the folder back): the files that differ from its
destination, as a sync plan decides them (one listing of the prefix; the sync
record spares a CRC-64 per unchanged file). See ARCHITECTURE.md, "Watched folders".

The plan only says which files; they are handed on like any changed file, once
they settle. It never deletes.
"""

from __future__ import annotations

from pathlib import Path

from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.sync_plan import SyncDestination, SyncRequest, plan_sync
from cosdesk.engine.sync_record import SyncRecord
from cosdesk.engine.watch_list import WatchedFolder


class SyncCatchUp:
    """Plans with the clients of ``queue`` and ``record``, the sync record its
    owner opened and closes (the window's, shared with "Sync a folder…").
    Callable from any thread; raises what :func:`plan_sync` raises
    (CosException when the listing fails, OSError, PatternError)."""

    def __init__(self, queue: UploadQueue, record: SyncRecord) -> None:
        self._queue = queue
        self._record = record

    def __call__(self, watched: WatchedFolder) -> list[str]:
        """The paths of the files of ``watched.folder`` to upload."""
        target = watched.target
        destination = SyncDestination(target.endpoint, target.bucket, target.prefix)
        request = SyncRequest(Path(watched.folder), destination, watched.excludes, watched.includes)
        plan = plan_sync(request, self._queue.client_for(target.endpoint), self._record)
        if not plan.uploads:
            return []
        # A file whose upload is still in the queue (restored, waiting for the
        # network) is missing remotely too: it is on its way, not to be queued twice.
        on_its_way = {
            (task.bucket, task.key, task.source_path)
            for task in self._queue.tasks_with_keys([upload.key for upload in plan.uploads])
            if not task.state.is_final
        }
        return [
            upload.file.path
            for upload in plan.uploads
            if (target.bucket, upload.key, upload.file.path) not in on_its_way
        ]
