"""A plan's uploads through the real queue: the record is written once the engine
has verified each upload, and the next plan finds every file unchanged from the
listing alone, a multipart object's ETag included (engine/sync_run.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from integration.test_sync_plan import settled

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64_file
from cosdesk.engine.options import UploadOptions
from cosdesk.engine.sync_plan import SkipReason, SyncDestination, SyncRequest, plan_sync
from cosdesk.engine.sync_record import SyncRecord, normalized_etag
from cosdesk.engine.sync_run import SyncUploads

BUCKET = "examplebucket-1250000000"
MiB = 1024 * 1024


def test_verified_uploads_are_recorded_and_the_next_plan_needs_only_the_listing(
    make_engine: Any, sandbox: Any, tmp_path: Path, cos_client: CosClient
) -> None:
    engine = make_engine()
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "small.txt").write_bytes(b"small")
    (folder / "sub" / "big.bin").write_bytes(os.urandom(3 * MiB + 5))  # multipart: a "-N" ETag
    record = SyncRecord(tmp_path / "record.sqlite3")
    request = SyncRequest(folder, SyncDestination(engine.queue.default_endpoint, BUCKET, "mirror"))
    plan = plan_sync(request, cos_client, record)
    uploads = SyncUploads(engine.queue, plan, record, UploadOptions())

    with engine.qtbot.waitSignal(uploads.ended, timeout=30_000) as ended:
        uploads.start()
    uploads.close()

    assert sorted(ended.args[0].uploaded) == ["mirror/small.txt", "mirror/sub/big.bin"]
    entries = record.entries_under(request.destination.endpoint, BUCKET, "mirror/")
    listed = {summary.key: summary for summary in cos_client.iter_objects(BUCKET, "mirror/")}
    for key, path in (
        ("mirror/small.txt", folder / "small.txt"),
        ("mirror/sub/big.bin", folder / "sub" / "big.bin"),
    ):
        assert entries[key].crc64 == crc64_file(path)
        assert entries[key].etag == normalized_etag(listed[key].etag)
        assert (entries[key].size, entries[key].mtime_ns) == (path.stat().st_size, path.stat().st_mtime_ns)

    ledger = sandbox.record_requests()
    before = len(settled(ledger))  # the listing above may land in it after its answer
    again = plan_sync(request, cos_client, record)
    record.close()

    assert again.uploads == () and {skip.reason for skip in again.skips} == {SkipReason.UNCHANGED}
    assert [(request.method, request.key) for request in settled(ledger)[before:]] == [("GET", "")]
