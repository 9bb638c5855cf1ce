"""Options, task states, retry rules and folder scanning."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from cosdesk.cos.errors import CosError, CosNetworkError, NetworkErrorKind
from cosdesk.engine.options import ConflictPolicy, EndpointSpec, UploadOptions
from cosdesk.engine.retry import IntegrityError, RetryPolicy, call_with_retry, is_retryable
from cosdesk.engine.scan import check_key, key_for, normalize_prefix, scan_path
from cosdesk.engine.task import JobControl, StopReason, TaskInterrupted, TaskState, check_transition
from cosdesk.engine.workers import renamed_key


def test_options_have_the_seed_defaults_and_round_trip() -> None:
    options = UploadOptions()
    assert options.slice_size == 1024 * 1024
    assert options.chunk_parallel_limit == 3
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


def test_retry_rules() -> None:
    assert is_retryable(CosError(500, "InternalError", "x"))
    assert is_retryable(CosError(503, "SlowDown", "x"))
    assert is_retryable(CosError(403, "RequestTimeTooSkewed", "x"))
    assert is_retryable(CosNetworkError("reset", kind=NetworkErrorKind.CONNECTION_RESET, host="h"))
    assert is_retryable(IntegrityError("crc"))
    assert not is_retryable(CosError(403, "AccessDenied", "x"))
    assert not is_retryable(CosError(404, "NoSuchUpload", "x"))
    assert not is_retryable(CosError(400, "InvalidArgument", "x"))
    assert not is_retryable(TaskInterrupted(StopReason.PAUSE))


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
