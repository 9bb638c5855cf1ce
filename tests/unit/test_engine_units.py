"""Options, task states, retry rules, folder scanning and what "verified" means."""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import asdict
from pathlib import Path

import pytest
from support.task_rows import make_row
from support.task_rows import make_task as make_stored_task

from cosdesk.cos.crc import crc64
from cosdesk.cos.errors import CosError
from cosdesk.cos.results import HeadObjectResult, UploadPartResult
from cosdesk.engine.integrity import HashingBody, MemorySource, RegionDigest, digest_region
from cosdesk.engine.options import AUTOMATIC, ConflictPolicy, EndpointSpec, UploadOptions
from cosdesk.engine.retry import IntegrityError, RetryPolicy, call_with_retry, is_retryable
from cosdesk.engine.scan import ScanProblem, check_key, key_for, normalize_prefix, scan_path
from cosdesk.engine.store import TaskStore
from cosdesk.engine.sync_patterns import SyncPatterns
from cosdesk.engine.sync_walk import walk_folder
from cosdesk.engine.task import (
    FileResult,
    JobControl,
    SourceKind,
    StopReason,
    TaskInterrupted,
    TaskState,
    UploadTask,
    Verification,
    check_transition,
)
from cosdesk.engine.verification import (
    ChecksumHabits,
    check_assembled,
    check_existing_object,
    check_stored,
    etag_can_be_md5,
    multipart_part_count,
    weakest,
)
from cosdesk.engine.workers import renamed_key


def test_options_have_the_seed_defaults_and_round_trip() -> None:
    options = UploadOptions()
    assert options.slice_size == 1024 * 1024
    # The seed's fixed 3 parts became automatic (engine/concurrency.py).
    assert options.chunk_parallel_limit == AUTOMATIC
    assert options.retries == 3
    assert not options.content_md5 and not options.upload_add_meta_md5
    assert options.conflict is ConflictPolicy.OVERWRITE
    custom = UploadOptions(
        storage_class="STANDARD_IA", metadata={"k": "v"}, traffic_limit=819_200, conflict="skip"
    )
    assert custom.conflict is ConflictPolicy.SKIP
    assert UploadOptions.from_json(custom.to_json()) == custom
    spec = EndpointSpec("ap-guangzhou", url="http://127.0.0.1:1")
    assert EndpointSpec.from_json(spec.to_json()) == spec


def test_traffic_limit_outside_cos_range_is_refused() -> None:
    with pytest.raises(ValueError, match="traffic limit"):
        UploadOptions(traffic_limit=1000)


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        (TaskState.WAITING, TaskState.CHECKING, True),
        (TaskState.UPLOADING, TaskState.PAUSED, True),
        (TaskState.ERROR, TaskState.WAITING, True),
        (TaskState.SUCCESS, TaskState.WAITING, False),
        (TaskState.CANCELED, TaskState.WAITING, True),  # "Upload again", from the first byte
        (TaskState.CANCELED, TaskState.UPLOADING, False),
        (TaskState.PAUSED, TaskState.UPLOADING, False),
    ],
)
def test_state_transitions(old: TaskState, new: TaskState, allowed: bool) -> None:
    if allowed:
        check_transition(old, new)
    else:
        with pytest.raises(ValueError):
            check_transition(old, new)


def make_task(state: TaskState) -> UploadTask:
    # The starting point of each case, not a transition.
    return make_stored_task("t1", source_kind=SourceKind.MEMORY, data=b"x", size=1, state=state)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (TaskState.CANCELED, TaskState.SUCCESS),
        (TaskState.CANCELED, TaskState.CHECKING),
        (TaskState.SUCCESS, TaskState.CANCELED),
        (TaskState.SUCCESS, TaskState.WAITING),
        (TaskState.PAUSED, TaskState.SUCCESS),
        (TaskState.ERROR, TaskState.SUCCESS),
        (TaskState.WAITING, TaskState.UPLOADING),
    ],
)
def test_set_state_refuses_a_transition_outside_the_table(old: TaskState, new: TaskState) -> None:
    task = make_task(old)
    with pytest.raises(ValueError, match=f"cannot go from {old} to {new}"):
        task.set_state(new)
    assert task.state is old


def test_a_running_task_that_succeeds_is_done_without_a_note() -> None:
    task = make_task(TaskState.UPLOADING)
    task.succeed()
    assert task.state is TaskState.SUCCESS and task.note == ""


@pytest.mark.parametrize(
    ("stopped", "asked"),
    [(TaskState.CANCELED, "cancel"), (TaskState.PAUSED, "pause"), (TaskState.WAITING, "restart")],
)
def test_a_late_success_beats_the_cancel_or_pause_and_says_so(stopped: TaskState, asked: str) -> None:
    task = make_task(TaskState.UPLOADING)
    task.set_state(stopped)
    task.succeed()
    assert task.state is TaskState.SUCCESS
    assert task.note == f"uploaded: the {asked} came after the upload had finished on the server"
    assert task.dropped_bytes() == 0


@pytest.mark.parametrize("stopped", [TaskState.CANCELED, TaskState.PAUSED, TaskState.WAITING])
def test_the_late_success_is_a_named_move_outside_the_table(stopped: TaskState) -> None:
    with pytest.raises(ValueError):
        check_transition(stopped, TaskState.SUCCESS)
    check_transition(stopped, TaskState.SUCCESS, late_success=True)
    with pytest.raises(ValueError):
        check_transition(TaskState.ERROR, TaskState.SUCCESS, late_success=True)


@pytest.mark.parametrize("state", [TaskState.ERROR, TaskState.SUCCESS])
def test_only_a_running_or_just_stopped_task_can_succeed(state: TaskState) -> None:
    task = make_task(state)
    with pytest.raises(ValueError):
        task.succeed()


def test_retry_helper_retries_then_gives_the_last_error() -> None:
    calls: list[int] = []

    def flaky() -> int:
        calls.append(1)
        raise CosError(500, "InternalError", "boom")

    retries: list[int] = []
    with pytest.raises(CosError):
        call_with_retry(flaky, policy=RetryPolicy(3, 0.001, 0.01), on_retry=lambda n, e, d: retries.append(n))
    assert len(calls) == 4 and retries == [1, 2, 3]


def test_retry_helper_does_not_retry_client_errors() -> None:
    calls: list[int] = []

    def denied() -> None:
        calls.append(1)
        raise CosError(403, "AccessDenied", "no")

    with pytest.raises(CosError):
        call_with_retry(denied, policy=RetryPolicy(3, 0.001, 0.01))
    assert len(calls) == 1


def test_backoff_grows_with_jitter() -> None:
    policy = RetryPolicy(5, 0.5, 4.0)
    rng = random.Random(1)
    delays = [policy.delay_s(n, rng) for n in range(5)]
    assert 0.25 <= delays[0] <= 0.5
    assert 2.0 <= delays[3] <= 4.0 and 2.0 <= delays[4] <= 4.0


def test_pause_interrupts_a_backoff_sleep() -> None:
    control = JobControl()
    control.stop(StopReason.PAUSE)

    def failing() -> None:
        raise CosError(500, "InternalError", "x")

    with pytest.raises(TaskInterrupted):
        call_with_retry(failing, policy=RetryPolicy(3, 100.0, 100.0), control=control)


def test_keys() -> None:
    assert normalize_prefix("/a//b") == "a/b/"
    assert normalize_prefix("") == ""
    assert key_for("backup", "photos/a.jpg") == "backup/photos/a.jpg"
    assert key_for("", "./a.jpg") == "a.jpg"
    if os.sep == "/":  # a backslash is a character of a name here, as it is on macOS
        assert key_for("backup", "a\\b/c\\d.txt") == "backup/a\\b/c\\d.txt"
        assert normalize_prefix("a\\b") == "a\\b/"
    assert check_key("x" * 851) is not None
    assert check_key("ok") is None
    assert renamed_key("dir/a.txt", 1) == "dir/a (1).txt"
    assert renamed_key("noext", 2) == "noext (2)"
    assert renamed_key(".bashrc", 1) == ".bashrc (1)"


def test_scan_keeps_relative_paths_and_marks_empty_folders(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    (root / "2024" / "jan").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "a.jpg").write_bytes(b"a")
    (root / "2024" / "jan" / "b.jpg").write_bytes(b"bb")
    entries = list(scan_path(root, "backup", include_empty_folders=True))
    assert {(e.key, e.size) for e in entries} == {
        ("backup/photos/2024/jan/b.jpg", 2),
        ("backup/photos/a.jpg", 1),
        ("backup/photos/empty/", 0),
    }
    contents = {e.key for e in scan_path(root, "x/", contents_only=True)}
    assert contents == {"x/2024/jan/b.jpg", "x/a.jpg"}


@pytest.mark.parametrize(("prefix", "contents_only"), [("", False), ("/backup//2024", False), ("x/", True)])
def test_a_walk_gives_each_file_the_key_key_for_gives_its_relative_path(
    tmp_path: Path, prefix: str, contents_only: bool
) -> None:
    root = tmp_path / "drop"
    names = ["plain.txt", "with space.txt", "数据.csv", "back\\slash.txt", "é.txt"]
    for folder in ["", "a", "a/中文", "a/b c", "back\\slash folder"]:
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            (root / folder / name).write_bytes(b"x")
    found = {e.key: e.path for e in scan_path(root, prefix, contents_only=contents_only)}
    base = prefix if contents_only else key_for(prefix, "drop")
    expected = {
        key_for(base, os.path.relpath(path, root).replace(os.sep, "/")): str(path)
        for path in root.rglob("*")
        if path.is_file()
    }
    assert found == expected


@pytest.mark.skipif(os.sep != "/", reason="a backslash cannot be in a Windows file name")
def test_a_backslash_in_a_name_is_kept_in_the_key_of_a_file_a_folder_and_an_empty_folder(
    tmp_path: Path,
) -> None:
    root = tmp_path / "odd\\drop"
    (root / "empty\\folder").mkdir(parents=True)
    (root / "a\\b").mkdir()
    (root / "a\\b" / "c\\d.txt").write_bytes(b"x")
    keys = {e.key for e in scan_path(root, "up", include_empty_folders=True)}
    assert keys == {"up/odd\\drop/a\\b/c\\d.txt", "up/odd\\drop/empty\\folder/"}
    single = root / "a\\b" / "c\\d.txt"
    assert [e.key for e in scan_path(single, "")] == ["c\\d.txt"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_scan_does_not_loop_through_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "f.txt").write_text("x")
    (root / "sub" / "back").symlink_to(root)  # a loop
    (root / "dangling").symlink_to(tmp_path / "missing")
    fifo = root / "pipe"
    os.mkfifo(fifo)
    problems: list[tuple[str, str]] = []
    keys = [e.key for e in scan_path(root, "", on_error=lambda p, m: problems.append((p, m)))]
    assert keys == ["tree/sub/f.txt"]
    assert len(problems) == 3  # the loop, the broken link, the FIFO


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_drop_and_a_sync_of_one_folder_take_the_same_files_and_say_the_same_problems(
    tmp_path: Path,
) -> None:
    # One walk (scan.walk_folders) under both, which once had a loop each.
    root = tmp_path / "site"
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a").mkdir()
    (root / "empty").mkdir()
    for relative in ("index.html", "a/one.txt", "b/two.txt", "b/deep/three.txt"):
        (root / relative).write_text(relative)
    (root / "b" / "back").symlink_to(root)
    (root / "gone").symlink_to(tmp_path / "missing")
    os.mkfifo(root / "a" / "pipe")
    os.close(os.open(os.path.join(os.fsencode(root), b"latin1-\xe9.txt"), os.O_CREAT | os.O_WRONLY))

    problems: list[tuple[str, str]] = []
    links: list[tuple[str, str]] = []
    entries = list(
        scan_path(
            root,
            "",
            on_error=lambda p, m: problems.append((p, m)),
            on_not_followed=lambda p, m: links.append((p, m)),
        )
    )
    contents = walk_folder(root, SyncPatterns())
    assert (
        [entry.key for entry in entries]
        == ["site/" + f.relative_path for f in contents.files]
        == [
            "site/index.html",
            "site/a/one.txt",
            "site/b/two.txt",
            "site/b/deep/three.txt",
        ]
    )
    assert sorted(problems) == sorted(contents.problems) and len(problems) == 3  # FIFO, dangling, name
    assert links == contents.not_followed == [(str(root / "b" / "back"), ScanProblem.LINK_LOOP.text())]


def test_a_walk_goes_in_the_order_a_file_manager_lists_names(tmp_path: Path) -> None:
    # Digits by their number, case aside; names equal but for case keep one
    # order (the name's own), whatever order the system lists them in.
    root = tmp_path / "set"
    for relative in ("b10.txt", "b9.txt", "B9.txt", "a.txt", "Z.txt", "v2/x", "v10/x", "V1/x", "b09.txt"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(relative)
    expected = ["a.txt", "B9.txt", "b09.txt", "b9.txt", "b10.txt", "Z.txt", "V1/x", "v2/x", "v10/x"]
    dropped = [entry.key.removeprefix("set/") for entry in scan_path(root, "")]
    synced = [file.relative_path for file in walk_folder(root, SyncPatterns()).files]
    assert dropped == synced == expected


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_link_to_a_folder_that_holds_the_drop_takes_in_nothing_beside_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "private").mkdir(parents=True)
    (home / "private" / "secret.txt").write_text("not to upload")
    project = home / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "main.py").write_text("x")
    (project / "src" / "up").symlink_to("../..")  # the home folder, through a relative link
    (project / "home").symlink_to(home)
    (project / "shared").symlink_to(home / "private")  # beside the drop, not above it: followed

    problems: list[tuple[str, str]] = []
    keys = {e.key for e in scan_path(project, "", on_error=lambda p, m: problems.append((p, m)))}
    assert keys == {"project/src/main.py", "project/shared/secret.txt"}
    assert sorted(problems) == [
        (str(project / "home"), ScanProblem.LINK_UP.text()),
        (str(project / "src" / "up"), ScanProblem.LINK_UP.text()),
    ]

    contents = walk_folder(project, SyncPatterns())
    assert {f.relative_path for f in contents.files} == {"src/main.py", "shared/secret.txt"}
    # The same links, said apart: nothing of the folder is missing behind them.
    assert sorted(contents.not_followed) == sorted(problems) and contents.problems == []


# --- what "verified" means (engine/verification.py) ---------------------------------


def _sent(data: bytes, *, with_md5: bool = False) -> HashingBody:
    """A body as the client streams it: every chunk read, hashed on the way."""
    body = HashingBody(MemorySource(data).body(0, len(data)), with_md5=with_md5)
    for _chunk in body.chunks():
        pass
    return body


def _answer(etag: str, crc: int | None, headers: dict[str, str] | None = None) -> UploadPartResult:
    return UploadPartResult(etag=etag, crc64=crc, headers=headers or {})


def _never_read() -> RegionDigest:
    raise AssertionError("the local bytes were read again although nothing needed them")


DATA = os.urandom(5000)
DATA_MD5 = hashlib.md5(DATA).hexdigest()
DATA_DIGEST = digest_region(MemorySource(DATA), 0, len(DATA), with_md5=True)


def test_a_matching_crc64_verifies_without_computing_an_md5() -> None:
    body = _sent(DATA)
    assert check_stored("part 1", body, _answer('"whatever"', crc64(DATA)), _never_read) is Verification.CRC64


def test_a_crc64_that_differs_is_an_integrity_error_whatever_the_etag() -> None:
    with pytest.raises(IntegrityError, match="CRC-64 of part 1"):
        check_stored("part 1", _sent(DATA), _answer(f'"{DATA_MD5}"', crc64(DATA) ^ 1), _never_read)


def test_without_crc64_the_etag_is_checked_against_the_md5_of_what_was_sent() -> None:
    answer = _answer(f'"{DATA_MD5}"', None)
    assert check_stored("part 1", _sent(DATA, with_md5=True), answer, _never_read) is Verification.MD5
    # Not hashed on the way: the local bytes are read back, and they are what was sent.
    assert check_stored("part 1", _sent(DATA), answer, lambda: DATA_DIGEST) is Verification.MD5


def test_without_crc64_an_etag_that_is_not_the_md5_sent_is_an_etag_mismatch() -> None:
    damaged = bytes([DATA[0] ^ 1]) + DATA[1:]
    server_md5 = hashlib.md5(damaged).hexdigest()  # what a server that got damaged bytes says
    with pytest.raises(IntegrityError) as mismatch:
        check_stored("part 2", _sent(DATA, with_md5=True), _answer(f'"{server_md5}"', None), _never_read)
    assert mismatch.value.code == "ETagMismatch" and is_retryable(mismatch.value)


def test_local_bytes_that_changed_since_the_send_cannot_vouch_for_it() -> None:
    # The first byte flipped: b"x" in its place was no change when DATA began with it.
    changed = digest_region(MemorySource(bytes([DATA[0] ^ 0xFF]) + DATA[1:]), 0, len(DATA), with_md5=True)
    with pytest.raises(IntegrityError) as error:
        check_stored("part 1", _sent(DATA), _answer(f'"{DATA_MD5}"', None), lambda: changed)
    assert error.value.code == "SourceChanged"


def test_a_body_not_sent_whole_is_never_verified() -> None:
    big = DATA * 300  # more than one chunk
    body = HashingBody(MemorySource(big).body(0, len(big)))
    next(body.chunks())  # the request stopped after its first chunk
    with pytest.raises(IntegrityError, match="were read"):
        check_stored("the object", body, _answer('"e"', body.crc64), _never_read)


@pytest.mark.parametrize(
    ("etag", "headers"),
    [
        ('"0123456789abcdef0123456789abcdef-3"', {}),  # a multipart ETag
        ('"v1-opaque-etag-0001"', {}),  # a server's own format
        (f'"{DATA_MD5}"', {"x-cos-server-side-encryption": "cos/kms"}),  # encrypted at rest
        (f'"{DATA_MD5}"', {"x-amz-server-side-encryption-customer-algorithm": "AES256"}),
        ("", {}),
    ],
)
def test_without_crc64_an_etag_that_cannot_be_an_md5_leaves_the_body_not_verified(
    etag: str, headers: dict[str, str]
) -> None:
    assert not etag_can_be_md5(etag, headers)
    result = check_stored("the object", _sent(DATA), _answer(etag, None, headers), _never_read)
    assert result is Verification.NONE and not result.verified


def test_etags_that_are_md5s_are_recognised_with_or_without_quotes() -> None:
    assert etag_can_be_md5(f'"{DATA_MD5}"', {}) and etag_can_be_md5(DATA_MD5.upper(), {})
    assert multipart_part_count('"0123456789abcdef0123456789abcdef-12"') == 12
    assert multipart_part_count(f'"{DATA_MD5}"') is None and multipart_part_count(None) is None


def test_habits_turn_on_md5_hashing_once_a_server_omits_the_crc64() -> None:
    habits = ChecksumHabits()
    habits.observe(_answer('"e"', 7))
    assert not habits.hash_md5_while_sending
    habits.observe(_answer('"e"', None))
    habits.observe(_answer('"e"', 7))
    assert habits.hash_md5_while_sending


def test_an_assembled_object_is_as_verified_as_its_weakest_part_without_a_crc64() -> None:
    md5, crc, none = Verification.MD5, Verification.CRC64, Verification.NONE
    assert check_assembled("o", 5, 5, {}, [md5, md5]) is crc  # the object's own CRC-64 wins
    assert check_assembled("o", None, 5, {}, [md5, crc]) is md5
    assert check_assembled("o", None, 5, {}, [md5, none]) is none
    assert check_assembled("o", None, 5, {"x-cos-server-side-encryption": "AES256"}, [md5]) is none
    assert check_assembled("o", None, 5, {}) is none  # an appended object: no parts to lean on
    assert weakest([]) is none
    with pytest.raises(IntegrityError, match="CRC-64 of o on the server is 6"):
        check_assembled("o", 6, 5, {}, [md5])


def _head(size: int, etag: str, crc: int | None) -> HeadObjectResult:
    return HeadObjectResult(content_length=size, etag=etag, crc64=crc)


def test_an_object_found_after_no_such_upload_is_ours_only_if_size_and_crc64_match() -> None:
    found = _head(100, '"0123456789abcdef0123456789abcdef-2"', 42)
    assert check_existing_object(found, size=100, part_count=2, local_crc64=lambda: 42) is Verification.CRC64
    assert check_existing_object(found, size=100, part_count=2, local_crc64=lambda: 41) is None
    assert check_existing_object(found, size=99, part_count=2, local_crc64=lambda: 42) is None


def test_without_crc64_an_object_found_is_taken_unverified_when_size_and_part_count_match() -> None:
    found = _head(100, '"0123456789abcdef0123456789abcdef-2"', None)
    # Nothing to compare a local CRC-64 with, so the file is not read.
    assert check_existing_object(found, size=100, part_count=2, local_crc64=lambda: _never_read().crc64) is (
        Verification.NONE
    )
    assert check_existing_object(found, size=100, part_count=3, local_crc64=lambda: 0) is None
    simple = _head(100, f'"{DATA_MD5}"', None)
    assert check_existing_object(simple, size=100, part_count=2, local_crc64=lambda: 0) is None


def test_a_stored_result_keeps_its_verification(tmp_path: Path) -> None:
    result = FileResult("loc", "b", "k", '"e"', crc64=1, verification=Verification.NONE)
    store = TaskStore(tmp_path / "tasks.sqlite3")
    store.insert_tasks([make_row("done", state=TaskState.SUCCESS, result=result)])
    store.flush()
    (restored,) = store.load_tasks()
    store.close()
    assert restored.status.result == result and restored.status.result.unverified
    # A result stored before verification was recorded reads as "not said".
    older = FileResult(**{**json.loads(json.dumps(asdict(result))), "verification": None})
    assert older.verification is None and not older.unverified
