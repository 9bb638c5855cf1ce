"""The sync plan against the local server: each rule that sends a file, skips it
or deletes an object, the record that makes a re-run cost one listing, and the
patterns (engine/sync_plan.py, ARCHITECTURE.md "Sync")."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from cosdesk.cos.client import CosClient
from cosdesk.engine.options import EndpointSpec
from cosdesk.engine.sync_delete import delete_objects
from cosdesk.engine.sync_plan import (
    SkipReason,
    SyncDestination,
    SyncPlan,
    SyncProblem,
    SyncRequest,
    UploadReason,
    plan_sync,
)
from cosdesk.engine.sync_record import SyncedFile, SyncRecord

BUCKET = "examplebucket-1250000000"


@pytest.fixture
def record(tmp_path: Path) -> Any:
    opened = SyncRecord(tmp_path / "record.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def destination(sandbox: Any) -> SyncDestination:
    return SyncDestination(EndpointSpec("ap-guangzhou", url=sandbox.endpoint), BUCKET, "backup")


def folder_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "folder"
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    folder.mkdir(exist_ok=True)
    return folder


def plan(
    folder: Path, destination: SyncDestination, client: CosClient, record: SyncRecord, **asked: Any
) -> SyncPlan:
    return plan_sync(SyncRequest(folder, destination, **asked), client, record)


def reasons(result: SyncPlan) -> dict[str, str]:
    """key -> why, for every upload and skip."""
    return {item.key: str(item.reason) for item in (*result.uploads, *result.skips)}


def test_each_file_is_uploaded_or_skipped_for_its_reason(
    tmp_path: Path, destination: SyncDestination, cos_client: CosClient, record: SyncRecord
) -> None:
    folder = folder_with(
        tmp_path,
        {
            "new.txt": b"new",
            "grown.txt": b"longer now",
            "edited.txt": b"BBBB",
            "same.txt": b"same",
            "a/b.txt": b"b",
        },
    )
    for key, body in {
        "grown.txt": b"short",
        "edited.txt": b"aaaa",
        "same.txt": b"same",
        "a/b.txt": b"b",
    }.items():
        cos_client.put_object(BUCKET, f"backup/{key}", body)

    result = plan(folder, destination, cos_client, record)

    assert reasons(result) == {
        "backup/new.txt": UploadReason.MISSING,
        "backup/grown.txt": UploadReason.SIZE_DIFFERS,
        "backup/edited.txt": UploadReason.CONTENT_DIFFERS,
        "backup/same.txt": SkipReason.SAME_CONTENT,
        "backup/a/b.txt": SkipReason.SAME_CONTENT,
    }
    assert result.deletes == ()


def test_a_file_proved_the_same_is_recorded_so_the_next_plan_sends_only_the_listing(
    sandbox: Any, tmp_path: Path, destination: SyncDestination, cos_client: CosClient, record: SyncRecord
) -> None:
    folder = folder_with(tmp_path, {"same.txt": b"same"})
    cos_client.put_object(BUCKET, "backup/same.txt", b"same")
    first = plan(folder, destination, cos_client, record)
    assert [entry.key for entry in first.confirmed] == ["backup/same.txt"]
    record.remember(destination.endpoint, BUCKET, first.confirmed)  # what a sync that runs does

    ledger = sandbox.record_requests()
    before = len(settled(ledger))  # the first plan's last request may land in it after its answer
    second = plan_sync(SyncRequest(folder, destination), cos_client, record, hash_file=_never_read)

    assert reasons(second) == {"backup/same.txt": SkipReason.UNCHANGED}
    sent = settled(ledger)[before:]
    assert [(request.method, request.key, request.params.get("prefix")) for request in sent] == [
        ("GET", "", "backup/")
    ]


def test_an_unchanged_file_whose_object_was_replaced_is_compared_again(
    tmp_path: Path, destination: SyncDestination, cos_client: CosClient, record: SyncRecord
) -> None:
    folder = folder_with(tmp_path, {"doc.txt": b"mine"})
    put = cos_client.put_object(BUCKET, "backup/doc.txt", b"mine")
    info = (folder / "doc.txt").stat()
    record.remember(
        destination.endpoint,
        BUCKET,
        [SyncedFile("backup/doc.txt", 4, info.st_mtime_ns, None, put.etag or "")],
    )
    cos_client.put_object(BUCKET, "backup/doc.txt", b"them")  # someone else's upload: a new ETag

    assert reasons(plan(folder, destination, cos_client, record)) == {
        "backup/doc.txt": UploadReason.CONTENT_DIFFERS
    }


def test_a_file_touched_since_the_last_sync_is_compared_not_trusted(
    tmp_path: Path, destination: SyncDestination, cos_client: CosClient, record: SyncRecord
) -> None:
    folder = folder_with(tmp_path, {"doc.txt": b"mine"})
    put = cos_client.put_object(BUCKET, "backup/doc.txt", b"mine")
    info = (folder / "doc.txt").stat()
    record.remember(
        destination.endpoint,
        BUCKET,
        [SyncedFile("backup/doc.txt", 4, info.st_mtime_ns, None, put.etag or "")],
    )
    (folder / "doc.txt").write_bytes(b"MINE")
    os.utime(folder / "doc.txt", ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))

    assert reasons(plan(folder, destination, cos_client, record)) == {
        "backup/doc.txt": UploadReason.CONTENT_DIFFERS
    }


def test_delete_names_only_objects_under_the_prefix_with_no_local_file(
    tmp_path: Path, destination: SyncDestination, cos_client: CosClient, record: SyncRecord
) -> None:
    folder = folder_with(tmp_path, {"kept.txt": b"k"})
    for key in (
        "backup/kept.txt",
        "backup/gone.txt",
        "backup/old/deep.txt",
        "backupX/near.txt",
        "other/far.txt",
    ):
        cos_client.put_object(BUCKET, key, b"x")

    without_flag = plan(folder, destination, cos_client, record)
    with_flag = plan(folder, destination, cos_client, record, delete=True)
    outcome = delete_objects(cos_client, destination, with_flag.deletes, record)

    assert without_flag.deletes == ()
    assert with_flag.deletes == ("backup/gone.txt", "backup/old/deep.txt")
    assert outcome.deleted == with_flag.deletes and outcome.failed == ()
    left = sorted(summary.key for summary in cos_client.iter_objects(BUCKET))
    assert left == ["backup/kept.txt", "backupX/near.txt", "other/far.txt"]


def test_delete_refuses_any_key_outside_the_prefix_before_sending_anything(
    destination: SyncDestination, cos_client: CosClient
) -> None:
    cos_client.put_object(BUCKET, "backup/a.txt", b"a")
    cos_client.put_object(BUCKET, "other/b.txt", b"b")

    with pytest.raises(ValueError, match="outside"):
        delete_objects(cos_client, destination, ["backup/a.txt", "other/b.txt"])

    assert sorted(summary.key for summary in cos_client.iter_objects(BUCKET)) == [
        "backup/a.txt",
        "other/b.txt",
    ]


def test_patterns_from_cosignore_and_flags_leave_files_out_and_their_objects_alone(
    tmp_path: Path, destination: SyncDestination, cos_client: CosClient, record: SyncRecord
) -> None:
    folder = folder_with(
        tmp_path,
        {
            ".cosignore": b"*.log\nbuild/\n",
            "app.py": b"code",
            "debug.log": b"log",
            "keep.log": b"kept",
            "build/out.o": b"obj",
            "notes.tmp": b"tmp",
        },
    )
    for key in ("backup/old.log", "backup/build/stale.o", "backup/gone.py"):
        cos_client.put_object(BUCKET, key, b"x")

    result = plan(folder, destination, cos_client, record, excludes=("*.tmp", "!keep.log"), delete=True)

    assert sorted(upload.key for upload in result.uploads) == ["backup/app.py", "backup/keep.log"]
    assert (result.excluded_files, result.excluded_folders) == (2, 1)  # debug.log, notes.tmp; build/
    assert result.deletes == ("backup/gone.py",)


def test_include_patterns_take_only_what_they_match(
    tmp_path: Path, destination: SyncDestination, cos_client: CosClient, record: SyncRecord
) -> None:
    folder = folder_with(tmp_path, {"a.jpg": b"1", "b.png": b"2", "sub/c.jpg": b"3"})

    result = plan(folder, destination, cos_client, record, includes=("*.jpg",))

    assert sorted(upload.key for upload in result.uploads) == ["backup/a.jpg", "backup/sub/c.jpg"]
    assert result.excluded_files == 1


def test_nothing_is_deleted_when_part_of_the_folder_could_not_be_read(
    tmp_path: Path, destination: SyncDestination, cos_client: CosClient, record: SyncRecord
) -> None:
    folder = folder_with(tmp_path, {"a.txt": b"a"})
    with open(os.path.join(os.fsencode(folder), b"bad-\xff.txt"), "wb") as unkeyable:  # not UTF-8
        unkeyable.write(b"x")
    cos_client.put_object(BUCKET, "backup/gone.txt", b"x")

    result = plan(folder, destination, cos_client, record, delete=True)

    assert result.deletes == ()
    assert (str(folder), SyncProblem.DELETES_WITHHELD.text()) in result.problems


def settled(ledger: Any) -> list[Any]:
    """The ledger's requests once it stops growing: the server adds a request
    after its answer is sent, so a client may be done before the entry is."""
    seen = -1
    while len(ledger.requests()) != seen:
        seen = len(ledger.requests())
        time.sleep(0.2)
    return list(ledger.requests())


def _never_read(path: str) -> int:
    raise AssertionError(f"{path} was read")
