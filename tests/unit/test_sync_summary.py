"""What ``cosdesk sync`` prints at the end: every file counted once, skips by
reason, failures named (sync_cli.summary, print_plan)."""

from __future__ import annotations

import io
from pathlib import Path

from cosdesk.engine.options import EndpointSpec
from cosdesk.engine.sync_delete import DeleteOutcome
from cosdesk.engine.sync_plan import (
    PlannedSkip,
    PlannedUpload,
    SkipReason,
    SyncDestination,
    SyncPlan,
    SyncRequest,
    UploadReason,
)
from cosdesk.engine.sync_run import UploadOutcome
from cosdesk.engine.sync_walk import LocalFile
from cosdesk.sync_cli import print_plan, summary

DESTINATION = SyncDestination(EndpointSpec("ap-guangzhou"), "examplebucket-1250000000", "site")


def local(name: str) -> LocalFile:
    return LocalFile(name, f"/data/{name}", 10, 1)


PLAN = SyncPlan(
    SyncRequest(Path("/data"), DESTINATION, delete=True),
    uploads=(
        PlannedUpload(local("a.txt"), "site/a.txt", UploadReason.MISSING),
        PlannedUpload(local("b.txt"), "site/b.txt", UploadReason.SIZE_DIFFERS),
        PlannedUpload(local("c.txt"), "site/c.txt", UploadReason.MISSING),
    ),
    skips=(
        PlannedSkip(local("d.txt"), "site/d.txt", SkipReason.UNCHANGED),
        PlannedSkip(local("e.txt"), "site/e.txt", SkipReason.UNCHANGED),
        PlannedSkip(local("f.txt"), "site/f.txt", SkipReason.SAME_CONTENT),
    ),
    deletes=("site/old.txt", "site/older.txt"),
    excluded_files=4,
    excluded_folders=1,
)


def test_the_summary_counts_uploads_skips_by_reason_deletes_and_failures() -> None:
    uploads = UploadOutcome(uploaded=["site/a.txt"], failed={"site/b.txt": "AccessDenied (403): no"})
    deletes = DeleteOutcome(deleted=("site/old.txt",), failed=(("site/older.txt", "AccessDenied: no"),))

    assert summary(PLAN, uploads, deletes) == (
        "sync cos://examplebucket-1250000000/site/: 1 uploaded, 3 skipped (2 unchanged since the last sync, "
        "1 same size and CRC-64), 1 deleted, 2 failed, 1 unfinished; excluded by patterns: 4 files and "
        "1 folder"
    )


def test_a_dry_run_lists_each_upload_and_delete_then_the_counts() -> None:
    out = io.StringIO()

    print_plan(PLAN, out)

    assert out.getvalue().splitlines() == [
        "would upload site/a.txt (missing remotely)",
        "would upload site/b.txt (size differs)",
        "would upload site/c.txt (missing remotely)",
        "would delete site/old.txt",
        "would delete site/older.txt",
        "dry run, nothing changed: 3 to upload (2 missing remotely, 1 size differs), 3 to skip "
        "(2 unchanged since the last sync, 1 same size and CRC-64), 2 to delete; excluded by patterns: "
        "4 files and 1 folder",
    ]
