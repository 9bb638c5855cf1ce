"""What a watched folder's uploads leave in the sync record: a file a watch handed
on, once the engine verified its upload, is recorded as a sync records one (its
size and time when handed on, the object's CRC-64 and ETag). The next catch-up or
``cosdesk sync`` of the folder then skips it without a HEAD or a read; unrecorded,
each file a watch had uploaded cost both at the next start. See ARCHITECTURE.md,
"Watched folders".

The size and time are those the watch read when the file settled. Should the file
have changed again before its upload began, the record names a version the
object does not hold: a later look at the file finds another time there, and
compares CRC-64s as for any unrecorded file. A record entry can cost a HEAD,
never a wrong skip.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cosdesk.engine.settle import FileVersion
from cosdesk.engine.sync_record import SyncedFile, SyncRecord, normalized_etag
from cosdesk.engine.task import FileFinished
from cosdesk.engine.watch_list import WatchTarget

# Verified uploads written to the record per transaction, at most.
RECORD_BATCH = 500


class WatchRecorder:
    """Follows the uploads of one watch, on the watch's thread; the record is
    written on a thread of its own (``flush``, ``close``)."""

    def __init__(self, record: SyncRecord) -> None:
        self._record = record
        self._handed: dict[str, tuple[str, FileVersion]] = {}  # task id -> key, version
        self._verified: list[SyncedFile] = []
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="cosdesk-watch-record")

    def handed_on(self, files: list[tuple[str, str, FileVersion]]) -> None:
        """Tasks queued for the watch: (task id, key, the file's version then)."""
        for task_id, key, version in files:
            self._handed[task_id] = (key, version)

    def finished(self, event: FileFinished, target: WatchTarget) -> None:
        """A task of the watch ended (any other is ignored); a failed one is kept
        until it succeeds (a retry, a restart)."""
        if event.data is None:
            return
        handed = self._handed.pop(event.task_id, None)
        if handed is None or event.data.unverified or event.data.skipped:
            return
        (key, version), result = handed, event.data
        self._verified.append(
            SyncedFile(key, version.size, version.mtime_ns, result.crc64, normalized_etag(result.etag))
        )
        if len(self._verified) >= RECORD_BATCH:
            self.flush(target)

    def flush(self, target: WatchTarget) -> None:
        """Write the verified uploads not written yet (returns at once)."""
        entries, self._verified = self._verified, []
        if entries:
            self._writer.submit(self._record.remember, target.endpoint, target.bucket, entries)

    def close(self, target: WatchTarget) -> None:
        """Write what is left and wait for it."""
        self.flush(target)
        self._writer.shutdown(wait=True)
