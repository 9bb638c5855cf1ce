"""Files added again, against the local server: which keys the bucket already has
(found with few requests), new names that are free there, and the queue never
sending two uploads of one key at once."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.engine.duplicates import BucketProbe, QueuedUpload, check_batch, resolve_batch
from cosdesk.engine.options import ConflictPolicy
from cosdesk.engine.retry import RetryPolicy
from cosdesk.engine.scan import ScanEntry
from cosdesk.engine.task import TaskState

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"


def probe_for(client: CosClient, **kwargs: Any) -> BucketProbe:
    return BucketProbe(lambda: client, BUCKET, **kwargs)


def entry(key: str) -> ScanEntry:
    return ScanEntry(key, f"/data/{key}", 1, 1)


def test_one_listing_finds_which_keys_of_a_folder_exist(cos_client: CosClient) -> None:
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        cos_client.put_object(BUCKET, f"photos/{name}", b"x")
    cos_client.put_object(BUCKET, "elsewhere/a.jpg", b"x")
    probe = probe_for(cos_client)
    wanted = [f"photos/{name}" for name in ("a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg")]
    assert probe.existing(wanted) == {"photos/a.jpg", "photos/b.jpg", "photos/c.jpg"}
    assert probe.requests == 1


def test_keys_far_down_a_big_listing_are_asked_about_one_by_one(cos_client: CosClient) -> None:
    for number in range(40):
        cos_client.put_object(BUCKET, f"big/{number:03}.bin", b"x")
    probe = probe_for(cos_client, page_size=5)
    # Two keys near the end: HEADing them beats paging through 40 keys five at a time.
    assert probe.existing(["big/038.bin", "big/zzz.bin"]) == {"big/038.bin"}
    assert probe.requests == 3  # one page, then two HEADs


def test_a_listing_cheaper_than_heads_is_followed_to_the_end(cos_client: CosClient) -> None:
    for number in range(20):
        cos_client.put_object(BUCKET, f"many/{number:03}.bin", b"x")
    probe = probe_for(cos_client, page_size=10)
    wanted = [f"many/{number:03}.bin" for number in range(25)]
    assert probe.existing(wanted) == set(wanted[:20])
    assert probe.requests == 2


def test_keep_both_takes_the_first_name_free_in_bucket_queue_and_batch(cos_client: CosClient) -> None:
    cos_client.put_object(BUCKET, "docs/report.pdf", b"old")
    cos_client.put_object(BUCKET, "docs/report (1).pdf", b"old copy")
    in_queue = {"docs/report (2).pdf": (QueuedUpload("t", "docs/report (2).pdf", "/x", TaskState.WAITING),)}
    probe = probe_for(cos_client)
    batch = [entry("docs/report.pdf"), entry("docs/report (3).pdf"), entry("docs/new.pdf")]
    check = check_batch(batch, in_queue, probe)
    assert check.bucket_checked and check.in_bucket == {"docs/report.pdf"}
    plan = resolve_batch(check, ConflictPolicy.RENAME, probe)
    assert [e.key for e in plan.add] == ["docs/report (4).pdf", "docs/report (3).pdf", "docs/new.pdf"]
    assert plan.renamed == (("docs/report.pdf", "docs/report (4).pdf"),)
    # Checked here: the tasks need not look again when they start.
    assert plan.conflict is ConflictPolicy.OVERWRITE


def test_upload_changed_leaves_out_only_files_whose_object_has_their_bytes(
    cos_client: CosClient, tmp_path: Path
) -> None:
    """Same size and CRC-64: left out. Another size, or the same size with other
    bytes: sent. Not in the bucket at all: sent, as with any choice."""
    files = {"same.txt": b"hello", "grown.txt": b"hello, world", "edited.txt": b"jello", "new.txt": b"x"}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    for name in ("same.txt", "grown.txt", "edited.txt"):
        cos_client.put_object(BUCKET, f"up/{name}", b"hello")
    batch = [
        ScanEntry(f"up/{name}", str(tmp_path / name), len(content), 1) for name, content in files.items()
    ]
    probe = probe_for(cos_client)
    check = check_batch(batch, {}, probe)
    assert check.in_bucket_count == 3
    plan = resolve_batch(check, ConflictPolicy.CHANGED, probe)
    assert [e.key for e in plan.unchanged] == ["up/same.txt"]
    assert [e.key for e in plan.add] == ["up/grown.txt", "up/edited.txt", "up/new.txt"]
    assert plan.skipped == () and plan.conflict is ConflictPolicy.OVERWRITE


def test_upload_changed_sends_a_file_it_cannot_compare(cos_client: CosClient, tmp_path: Path) -> None:
    """A file that vanished since the walk cannot be shown to match: it is queued,
    and its upload says what became of it."""
    cos_client.put_object(BUCKET, "gone/a.txt", b"hello")
    probe = probe_for(cos_client)
    check = check_batch([ScanEntry("gone/a.txt", str(tmp_path / "missing.txt"), 5, 1)], {}, probe)
    plan = resolve_batch(check, ConflictPolicy.CHANGED, probe)
    assert [e.key for e in plan.add] == ["gone/a.txt"] and plan.unchanged == ()


def test_a_bucket_that_cannot_be_read_is_reported_and_the_queue_check_stands(sandbox: Any) -> None:
    endpoint = Endpoint.custom(sandbox.endpoint, path_style=True, region=REGION)
    stranger = CosClient(Credentials("AKIDcosdeskTESTsecretid", "not-the-key"), endpoint, timeout_s=10)
    try:
        in_queue = {"k": (QueuedUpload("t", "k", "/data/k", TaskState.PAUSED),)}
        check = check_batch([entry("k"), entry("other")], in_queue, probe_for(stranger))
    finally:
        stranger.close()
    assert not check.bucket_checked
    assert "SignatureDoesNotMatch" in check.bucket_problem
    assert "not-the-key" not in check.bucket_problem
    assert check.in_queue_count == 1
    plan = resolve_batch(check, ConflictPolicy.SKIP)
    # Unchecked: each task checks its key itself when it starts.
    assert plan.conflict is ConflictPolicy.SKIP and [e.key for e in plan.add] == ["other"]


def test_a_bucket_that_leaves_the_listing_unanswered_is_not_asked_again(tmp_path: Path) -> None:
    """A person waits on this check. A hung server kept it four read timeouts,
    four minutes of "Looking for files already in …", before the question."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # takes connections, never answers
        endpoint = Endpoint.custom(
            f"http://127.0.0.1:{silent.getsockname()[1]}", path_style=True, region=REGION
        )
        client = CosClient(Credentials("AKIDcosdeskTESTsecretid", "key"), endpoint, timeout_s=0.5)
        # The queue's own policy, as the window and the command pass it: three retries.
        probe = probe_for(client, retry=RetryPolicy(3, 0.05, 0.05))
        started = time.monotonic()
        try:
            check = check_batch([entry("k")], {}, probe)
        finally:
            client.close()
    assert time.monotonic() - started < 1.5  # one read timeout of 0.5 s, not four
    assert not check.bucket_checked
    assert check.bucket_unread  # so the window asks what to do with the files


@pytest.mark.parametrize("second_account", [None, "another account"])
def test_a_key_added_again_while_it_uploads_waits_for_that_upload_and_then_wins(
    make_engine: Any, tmp_path: Path, cos_client: CosClient, sandbox: Any, second_account: str | None
) -> None:
    """Also when another account of the same bucket adds it: the key is the same object."""
    engine = make_engine(file_parallel_limit=3)
    first = tmp_path / "first.bin"
    first.write_bytes(os.urandom(600_000))
    second = tmp_path / "second.bin"
    second.write_bytes(os.urandom(300_000))
    other = tmp_path / "other.bin"
    other.write_bytes(os.urandom(1000))
    sandbox.faults.bandwidth_bytes_per_s = 1_000_000  # uploads stay in flight a while
    first_id = engine.queue.add_file(first, BUCKET, "same/key.bin")
    engine.wait_states([first_id], {TaskState.UPLOADING}, timeout_s=5)
    # Added again (another file for the same key) while the first one is uploading.
    assert engine.queue.default_endpoint is not None
    second_endpoint = replace(engine.queue.default_endpoint, profile=second_account)
    second_id = engine.queue.add_file(second, BUCKET, "same/key.bin", endpoint=second_endpoint)
    other_id = engine.queue.add_file(other, BUCKET, "same/other.bin")
    both_running: list[bool] = []

    def watch(_ids: list[str]) -> None:
        states = [engine.queue.task(task_id) for task_id in (first_id, second_id)]
        both_running.append(all(s is not None and s.state.is_active for s in states))

    engine.queue.list_updated.connect(watch)
    final = {TaskState.SUCCESS, TaskState.CANCELED}
    first_done, second_done, other_done = engine.wait_states([first_id, second_id, other_id], final, 20)
    assert not any(both_running)
    assert first_done.state is TaskState.SUCCESS and second_done.state is TaskState.SUCCESS
    assert cos_client.get_object(BUCKET, "same/key.bin").content == second.read_bytes()
    # Another key was not held back behind them.
    assert other_done.finished_at is not None and first_done.finished_at is not None
    assert other_done.finished_at < first_done.finished_at
