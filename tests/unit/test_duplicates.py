"""Deciding what becomes of files added again (cosdesk/engine/duplicates.py), without
the network: the queue's findings and the answers overwrite, skip and keep both."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from support.task_rows import make_task

from cosdesk.engine.duplicates import (
    SORT_SLICE,
    DuplicateCheck,
    QueuedUpload,
    check_batch,
    common_prefix,
    plan_batch,
    queued_uploads,
    resolve_batch,
    scan_sources,
    sorted_in_slices,
    variants_prefix,
    without_repeats,
)
from cosdesk.engine.options import ConflictPolicy, EndpointSpec
from cosdesk.engine.scan import ScanEntry
from cosdesk.engine.task import TaskError, TaskSnapshot, TaskState

BUCKET = "examplebucket-1250000000"
ENDPOINT = EndpointSpec("ap-guangzhou", url="http://127.0.0.1:9", path_style=True)


def entry(key: str, path: str | None = None) -> ScanEntry:
    return ScanEntry(key, path if path is not None else f"/data/{key}", 10, 1)


def queued(
    key: str, state: TaskState, path: str | None = None, task_id: str = "t1"
) -> dict[str, tuple[QueuedUpload, ...]]:
    return {key: (QueuedUpload(task_id, key, path if path is not None else f"/data/{key}", state),)}


def snapshot(
    key: str, state: TaskState, *, bucket: str = BUCKET, endpoint: EndpointSpec = ENDPOINT
) -> TaskSnapshot:
    return make_task(
        key, key=key, bucket=bucket, endpoint=endpoint, source_path=f"/data/{key}", state=state
    ).snapshot()


def test_common_prefix_is_counted_in_characters_not_folders() -> None:
    assert common_prefix(["photos/abc.jpg", "photos/abd.jpg", "photos/abz.png"]) == "photos/ab"
    assert common_prefix(["a.txt"]) == "a.txt"
    assert common_prefix(["x", "y"]) == ""
    assert common_prefix([]) == ""


def test_every_renamed_form_of_a_key_starts_with_its_variants_prefix() -> None:
    assert variants_prefix("dir/photo.jpg") == "dir/photo ("
    assert variants_prefix("README") == "README ("
    assert variants_prefix("dir/archive.tar.gz") == "dir/archive.tar ("


def test_queued_uploads_leave_out_canceled_tasks_and_other_destinations() -> None:
    other_endpoint = EndpointSpec("ap-guangzhou", url="http://127.0.0.1:10", path_style=True)
    found = queued_uploads(
        [
            snapshot("a", TaskState.UPLOADING),
            snapshot("b", TaskState.CANCELED),
            snapshot("c", TaskState.SUCCESS, bucket="otherbucket-1250000000"),
            snapshot("d", TaskState.SUCCESS, endpoint=other_endpoint),
            snapshot("e", TaskState.SUCCESS),
        ],
        BUCKET,
        ENDPOINT,
    )
    assert sorted(found) == ["a", "e"]


def test_a_key_queued_under_another_account_of_the_same_bucket_is_found() -> None:
    """Which keys sign an upload does not change the object it writes."""
    work, home = replace(ENDPOINT, profile="work"), replace(ENDPOINT, profile="home")
    found = queued_uploads([snapshot("a", TaskState.UPLOADING, endpoint=work)], BUCKET, home)
    assert sorted(found) == ["a"]


def test_a_batch_without_duplicates_is_added_as_it_is() -> None:
    check = check_batch([entry("p/a"), entry("p/b")], {}, None)
    assert check.duplicate_count == 0 and not check.bucket_checked
    plan = resolve_batch(check, None)
    assert [e.key for e in plan.add] == ["p/a", "p/b"] and plan.conflict is None


def test_skip_leaves_out_what_is_queued_or_finished_and_adds_the_rest() -> None:
    in_queue = {**queued("p/a", TaskState.PAUSED), **queued("p/b", TaskState.SUCCESS, task_id="t2")}
    check = check_batch([entry("p/a"), entry("p/b"), entry("p/c")], in_queue, None)
    assert check.duplicate_count == 2 and check.in_queue_count == 2 and check.uploading_count == 1
    plan = resolve_batch(check, ConflictPolicy.SKIP)
    assert [e.key for e in plan.add] == ["p/c"]
    assert [e.key for e in plan.skipped] == ["p/a", "p/b"]
    # The bucket was not looked at: each task checks its key when it starts.
    assert plan.conflict is ConflictPolicy.SKIP


def test_overwrite_never_queues_a_second_upload_of_the_same_unfinished_file() -> None:
    in_queue = {
        **queued("p/paused", TaskState.PAUSED, task_id="paused"),
        **queued("p/running", TaskState.UPLOADING, task_id="running"),
        **queued("p/other-file", TaskState.WAITING, path="/elsewhere/other-file", task_id="other"),
        **queued("p/done", TaskState.SUCCESS, task_id="done"),
    }
    batch = [entry("p/paused"), entry("p/running"), entry("p/other-file"), entry("p/done")]
    plan = resolve_batch(check_batch(batch, in_queue, None), ConflictPolicy.OVERWRITE)
    assert sorted(upload.task_id for upload in plan.already_queued) == ["paused", "running"]
    assert plan.resume == ("paused",)
    # Another file for a queued key, and a finished upload, are uploaded (again).
    assert [e.key for e in plan.add] == ["p/other-file", "p/done"]
    assert plan.conflict is ConflictPolicy.OVERWRITE


def test_the_same_file_given_twice_counts_once_and_two_files_for_one_key_are_a_duplicate() -> None:
    check = check_batch(
        [entry("p/a", "/data/a"), entry("p/a", "/data/a"), entry("p/x", "/one/x"), entry("p/x", "/two/x")],
        {},
        None,
    )
    assert len(check.entries) == 3
    assert check.duplicate_count == 1 and check.where_found(2) == ["batch"]
    plan = resolve_batch(check, ConflictPolicy.RENAME)
    assert [e.key for e in plan.add] == ["p/a", "p/x", "p/x (1)"]
    assert plan.renamed == (("p/x", "p/x (1)"),)


def test_keep_both_without_the_bucket_picks_names_free_in_queue_and_batch() -> None:
    in_queue = {
        **queued("p/a.txt", TaskState.SUCCESS, task_id="1"),
        **queued("p/a (1).txt", TaskState.WAITING, task_id="2"),
    }
    plan = resolve_batch(
        check_batch([entry("p/a.txt"), entry("p/a (2).txt")], in_queue, None), ConflictPolicy.RENAME
    )
    assert [e.key for e in plan.add] == ["p/a (3).txt", "p/a (2).txt"]


def test_plan_batch_with_nothing_taken_still_tells_the_tasks_what_was_chosen() -> None:
    check, plan = plan_batch([entry("p/a")], ConflictPolicy.SKIP)
    assert check.duplicate_count == 0
    assert [e.key for e in plan.add] == ["p/a"] and plan.conflict is ConflictPolicy.SKIP


def test_scan_sources_keeps_a_folder_name_unless_given_with_a_trailing_slash(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"a")
    problems: list[tuple[str, str]] = []
    named = scan_sources(
        [str(folder), str(tmp_path / "missing")], "up", on_error=lambda p, m: problems.append((p, m))
    )
    assert [e.key for e in named] == ["up/photos/a.jpg"]
    assert problems and problems[0][0].endswith("missing")
    contents = scan_sources([str(folder) + "/"], "up")
    assert [e.key for e in contents] == ["up/a.jpg"]


def test_the_remembered_answer_is_kept_in_config_json_and_an_unknown_one_means_ask(tmp_path: Path) -> None:
    from dataclasses import replace

    from cosdesk import config

    path = tmp_path / "config.json"
    config.save_settings(replace(config.Settings(), if_exists="skip"), path)
    assert config.load_settings(path).if_exists == "skip"
    path.write_text(path.read_text().replace('"skip"', '"sometimes"'))
    assert config.load_settings(path).if_exists == "ask"
    assert config.Settings().if_exists == "ask"


def test_one_file_given_twice_for_a_key_is_one_upload_however_its_path_is_spelled(tmp_path: Path) -> None:
    here, there = str(tmp_path / "a" / "f.bin"), str(tmp_path / "b" / "f.bin")
    again = str(tmp_path / "b" / ".." / "a" / "f.bin")  # the same file as ``here``
    entries = [
        ScanEntry("k", here, 1, 1),
        ScanEntry("k", again, 1, 1),
        ScanEntry("k", there, 1, 1),  # another file for the same key: kept, asked about
        ScanEntry("k", there, 1, 1),
        ScanEntry("other", here, 1, 1),
    ]
    assert without_repeats(entries) == [entries[0], entries[2], entries[4]]


def test_a_bucket_that_could_not_be_read_may_hide_duplicates_unless_the_keys_were_refused() -> None:
    def unread(code: str, *, transient: bool = False) -> bool:
        return DuplicateCheck(entries=(), bucket_error=TaskError(code, "", transient=transient)).bucket_unread

    assert unread("NetworkError", transient=True)  # the uploads wait for the network
    assert unread("InternalError", transient=True)
    assert unread("AccessDenied")  # keys that may write but not list
    assert not unread("SignatureDoesNotMatch")  # the uploads fail the same way
    assert not unread("NoSuchBucket")
    assert not DuplicateCheck(entries=()).bucket_unread


def test_keys_sorted_in_slices_come_out_as_sorted_puts_them_from_a_list_or_a_set() -> None:
    rng = random.Random(7)
    keys = [f"drop/{rng.randrange(100):02d}/{rng.randrange(10**6)}.bin" for _ in range(SORT_SLICE * 2 + 123)]
    keys += keys[:10]  # repeats stay, as in sorted()
    assert sorted_in_slices(keys) == sorted(keys)
    assert sorted_in_slices(set(keys)) == sorted(set(keys))
    assert sorted_in_slices(keys[:5]) == sorted(keys[:5])


def test_one_walks_batch_is_checked_as_any_batch_without_looking_for_repeats(tmp_path: Path) -> None:
    for name in ("a.txt", "b/c.txt", "b/d.txt", "e/f/g.txt"):
        (tmp_path / "drop" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "drop" / name).write_text(name)
    walked = scan_sources([str(tmp_path / "drop")], "p/")
    in_queue = queued("p/drop/b/c.txt", TaskState.PAUSED)
    as_one_walk = check_batch(walked, in_queue, None, one_walk=True)
    assert as_one_walk == check_batch(walked, in_queue, None)
    assert as_one_walk.duplicate_count == 1 and as_one_walk.repeated == frozenset()
    # Two paths may give one key to two files: then the repeats are looked for.
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "c.txt").write_text("another c")
    twice = scan_sources([str(tmp_path / "drop" / "b") + "/", str(tmp_path / "other") + "/"], "p/")
    assert [e.key for e in twice] == ["p/c.txt", "p/d.txt", "p/c.txt"]
    assert check_batch(twice, {}, None).repeated == frozenset({2})
