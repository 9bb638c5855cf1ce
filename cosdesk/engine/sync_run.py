"""The uploading half of a sync: a plan's uploads queued as ordinary tasks (so
they are verified, resumable and shown like any other), and the sync record
written as each one is verified.

The record is written off the queue's thread (which is the GUI thread in the
window), in batches: an entry lost to a crash costs a CRC-64 check next time.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from PySide6.QtCore import QObject, Signal

from cosdesk.engine.options import ConflictPolicy, UploadMethodChoice, UploadOptions
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.scan import ScanEntry
from cosdesk.engine.sync_plan import PlannedUpload, SyncPlan
from cosdesk.engine.sync_record import SyncedFile, SyncRecord, normalized_etag
from cosdesk.engine.task import FileFinished

# Verified uploads written to the record per transaction.
RECORD_BATCH = 500


@dataclass
class UploadOutcome:
    """How the plan's uploads ended so far: keys uploaded (and how many of them
    the server could not prove), and failed keys with the reason."""

    uploaded: list[str] = field(default_factory=list)
    unverified: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ended(self) -> int:
        return len(self.uploaded) + len(self.failed)


def sync_options(options: UploadOptions) -> UploadOptions:
    """``options`` as a sync needs them: a changed file replaces its object."""
    return replace(options, conflict=ConflictPolicy.OVERWRITE, method=UploadMethodChoice.AUTO)


class SyncUploads(QObject):
    """Queues a plan's uploads on :meth:`start` and follows them. Lives in the
    queue's thread."""

    # Every planned upload has ended (succeeded or failed): UploadOutcome.
    ended = Signal(object)

    def __init__(
        self,
        queue: UploadQueue,
        plan: SyncPlan,
        record: SyncRecord,
        options: UploadOptions,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._queue = queue
        self._plan = plan
        self._record = record
        self._options = sync_options(options)
        self._by_key = {upload.key: upload for upload in plan.uploads}
        self._lock = threading.Lock()
        self._planned_by_task: dict[str, PlannedUpload] = {}
        self.outcome = UploadOutcome()
        self._unrecorded: list[SyncedFile] = []
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="cosdesk-sync-record")
        self.task_ids: list[str] = []

    def start(self) -> None:
        """Write what the plan proved to the record, then queue the uploads."""
        destination = self._plan.destination
        proved = self._plan.confirmed
        self._writer.submit(self._record.remember, destination.endpoint, destination.bucket, proved)
        if not self._plan.uploads:
            self.ended.emit(self.outcome)
            return
        self._queue.file_finished.connect(self._on_file_finished)
        self._queue.add_entries(
            self._entries,
            destination.bucket,
            self._options,
            destination.endpoint,
            on_queued=self._on_queued,
        )

    def _entries(self) -> Iterator[ScanEntry]:
        for upload in self._plan.uploads:
            yield ScanEntry(upload.key, upload.file.path, upload.file.size, upload.file.mtime_ns)

    def _on_queued(self, pairs: list[tuple[str, str]]) -> None:
        # On the queue's intake worker, before these tasks can start.
        with self._lock:
            for task_id, key in pairs:
                self._planned_by_task[task_id] = self._by_key[key]
                self.task_ids.append(task_id)

    def _on_file_finished(self, event: FileFinished) -> None:
        with self._lock:
            planned = self._planned_by_task.get(event.task_id)
        if planned is None:
            return  # another task of the queue
        if event.error is not None:
            self.outcome.failed[planned.key] = str(event.error)
        elif event.data is not None:
            self.outcome.failed.pop(planned.key, None)  # a retry that succeeded
            self.outcome.uploaded.append(planned.key)
            if event.data.unverified:
                self.outcome.unverified += 1
            else:
                file, result = planned.file, event.data
                etag = normalized_etag(result.etag)
                self._unrecorded.append(SyncedFile(planned.key, file.size, file.mtime_ns, result.crc64, etag))
        if len(self._unrecorded) >= RECORD_BATCH or self.outcome.ended >= len(self._plan.uploads):
            self._write_record()
        if self.outcome.ended == len(self._plan.uploads):
            self.ended.emit(self.outcome)

    def _write_record(self) -> None:
        entries, self._unrecorded = self._unrecorded, []
        if entries:
            destination = self._plan.destination
            self._writer.submit(self._record.remember, destination.endpoint, destination.bucket, entries)

    def close(self, *, wait: bool = True) -> None:
        """Write what is left to the record (waiting for it when ``wait``; the
        record stays open) and stop following the queue."""
        self._write_record()
        self._writer.shutdown(wait=wait)
        with contextlib.suppress(RuntimeError, TypeError):  # never connected: nothing to upload
            self._queue.file_finished.disconnect(self._on_file_finished)
