"""Tencent's Node SDKs, unmodified, against the local server.

cos-nodejs-sdk-v5 and cos-wx-sdk-v5 (the latter on a minimal `wx` shim, see
tests/node/lib/wx_shim.js) run as node subprocesses, one scenario script each
(tests/node/*.js), and report what they saw as one JSON line. Each test checks
that report and, independently, what the server stored, read back with our
own client.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.node_sdks import ServerAccess, ensure_installed, run_scenario

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64
from cosdesk.cos.errors import NoSuchKey
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY

MiB = 1024 * 1024
# The SDKs' smallest part size (and their default SliceSize): 1 MiB.
PART_BYTES = MiB

Scenario = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def node_sdks_installed() -> None:
    ensure_installed()


@pytest.fixture
def scenario(node_sdks_installed: None, sandbox: SandboxServer, tmp_path: Path) -> Scenario:
    """Runs a tests/node script against the sandbox: ``scenario(script, inputs, conf="name")``.
    ``conf`` names the Node SDK's UploadId cache folder (one per simulated machine)."""
    access = ServerAccess(sandbox.endpoint, TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY)

    def run(script: str, inputs: dict[str, Any], *, conf: str = "sdk-conf", **options: Any) -> dict[str, Any]:
        return run_scenario(script, access, inputs, conf_dir=tmp_path / conf, **options)

    return run


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[[str, int], Path]:
    """A file of random bytes: ``make_file("name.bin", size)``."""
    folder = tmp_path / "files"
    folder.mkdir()

    def make(name: str, size: int) -> Path:
        path = folder / name
        path.write_bytes(os.urandom(size))
        return path

    return make


@pytest.fixture
def stored(cos_client: CosClient) -> Callable[[str], bytes]:
    """The bytes the server holds for a key, read with our own client."""

    def read(key: str) -> bytes:
        content = cos_client.get_object(TEST_BUCKET, key).content
        assert content is not None
        return content

    return read


@pytest.fixture
def uploads_left(cos_client: CosClient) -> Callable[[str], list[str]]:
    """Ids of the multipart uploads still in progress under a key prefix."""

    def left(prefix: str) -> list[str]:
        return [upload.upload_id for upload in cos_client.iter_multipart_uploads(TEST_BUCKET, prefix=prefix)]

    return left


def quoted_md5(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def part_count(size: int) -> int:
    return math.ceil(size / PART_BYTES)


def multipart_operations(parts: int) -> list[str]:
    """What a fresh sliceUploadFile sends, in order."""
    return (
        ["ListMultipartUploads", "InitiateMultipartUpload"]
        + ["UploadPart"] * parts
        + ["CompleteMultipartUpload"]
    )


# --- cos-nodejs-sdk-v5 ---------------------------------------------------------------


@pytest.mark.parametrize("endpoint_mode", ["ip", "domain"])
def test_node_put_object_stores_bytes_type_and_metadata_and_head_get_agree(
    scenario: Scenario,
    make_file: Callable[[str, int], Path],
    stored: Callable[[str], bytes],
    endpoint_mode: str,
) -> None:
    source = make_file("photo.png", 300_000)
    body = source.read_bytes()
    key = "node/put object ü+%.png"
    result = scenario(
        "node_put_object.js",
        {"file": str(source), "key": key, "contentType": "image/png", "meta": {"owner": "node"}},
        endpoint_mode=endpoint_mode,
    )
    assert result["put"] == {"statusCode": 200, "etag": quoted_md5(body), "crc64": str(crc64(body))}
    assert result["head"] == {
        "statusCode": 200,
        "etag": quoted_md5(body),
        "contentLength": len(body),
        "contentType": "image/png",
        "meta": {"owner": "node"},
    }
    assert result["get"] == {"statusCode": 200, "length": len(body), "md5": hashlib.md5(body).hexdigest()}
    assert stored(key) == body


def test_node_get_bucket_pages_through_a_prefix_and_groups_common_prefixes(
    scenario: Scenario, cos_client: CosClient
) -> None:
    keys = ["list/a.txt", "list/b c.txt", "list/sub/x", "list/sub/y", "list/中文.txt"]
    for index, key in enumerate([*keys, "other/z"]):
        cos_client.put_object(TEST_BUCKET, key, b"x" * (index + 1))

    paged = scenario("node_get_bucket.js", {"prefix": "list/", "maxKeys": 2})
    assert [len(page["keys"]) for page in paged["pages"]] == [2, 2, 1]
    assert [page["isTruncated"] for page in paged["pages"]] == ["true", "true", "false"]
    assert [key for page in paged["pages"] for key in page["keys"]] == keys
    assert paged["objects"] == [
        {"key": key, "size": index + 1, "etag": quoted_md5(b"x" * (index + 1))}
        for index, key in enumerate(keys)
    ]

    grouped = scenario("node_get_bucket.js", {"prefix": "list/", "delimiter": "/"})
    assert grouped["pages"] == [
        {
            "keys": ["list/a.txt", "list/b c.txt", "list/中文.txt"],
            "commonPrefixes": ["list/sub/"],
            "isTruncated": "false",
            "nextMarker": None,
        }
    ]


def test_node_delete_object_removes_it_and_deleting_a_missing_key_succeeds(
    scenario: Scenario, cos_client: CosClient
) -> None:
    cos_client.put_object(TEST_BUCKET, "node/doomed.txt", b"bye")
    result = scenario("node_delete_object.js", {"key": "node/doomed.txt", "missingKey": "node/never-there"})
    assert result["deleteStatus"] == 204
    assert result["headAfterDelete"]["statusCode"] == 404
    assert result["deleteMissingStatus"] == 204
    with pytest.raises(NoSuchKey):
        cos_client.get_object(TEST_BUCKET, "node/doomed.txt")


def test_node_upload_file_puts_a_small_file_whole_and_slices_a_large_one(
    scenario: Scenario,
    make_file: Callable[[str, int], Path],
    stored: Callable[[str], bytes],
    uploads_left: Callable[[str], list[str]],
) -> None:
    small = make_file("small.bin", 200_000)
    large = make_file("large.bin", 3 * MiB + 1234)
    result = scenario(
        "node_upload_file.js",
        {
            "files": [
                {"file": str(small), "key": "uf/small.bin"},
                {"file": str(large), "key": "uf/large.bin"},
            ],
            "sliceSize": PART_BYTES,
            "chunkSize": PART_BYTES,
        },
    )
    small_result, large_result = result["files"]
    assert small_result["operations"] == ["PutObject"]
    assert small_result["etag"] == quoted_md5(small.read_bytes())
    assert small_result["uploadId"] is None
    assert large_result["operations"] == multipart_operations(4)
    assert large_result["partsSent"] == [1, 2, 3, 4]
    assert large_result["etag"].endswith('-4"')
    for file_result in result["files"]:
        assert file_result["onFileFinish"]["error"] is False
        assert file_result["onFileFinish"]["key"] == file_result["key"]
        assert file_result["onFileFinish"]["taskId"]
    assert stored("uf/small.bin") == small.read_bytes()
    assert stored("uf/large.bin") == large.read_bytes()
    assert uploads_left("uf/large.bin") == []


def test_node_slice_upload_file_sends_every_part_in_parallel_and_completes(
    scenario: Scenario,
    make_file: Callable[[str, int], Path],
    stored: Callable[[str], bytes],
    uploads_left: Callable[[str], list[str]],
) -> None:
    source = make_file("video.mp4", 5 * MiB + 100_000)
    size = source.stat().st_size
    result = scenario(
        "node_slice_upload_file.js",
        {"file": str(source), "key": "slice/video.mp4", "chunkSize": PART_BYTES, "asyncLimit": 3},
    )
    assert result["operations"] == multipart_operations(6)
    assert result["partsSent"] == [1, 2, 3, 4, 5, 6]
    assert result["etag"].endswith('-6"')
    assert result["location"] == f"{TEST_BUCKET}.cos.{TEST_REGION}.myqcloud.com/slice/video.mp4"
    assert result["lastProgress"]["loaded"] == result["lastProgress"]["total"] == size
    assert result["lastProgress"]["percent"] == 1
    assert stored("slice/video.mp4") == source.read_bytes()
    assert uploads_left("slice/video.mp4") == []


def test_node_slice_upload_after_cancel_task_reuses_the_upload_id_and_sends_only_missing_parts(
    scenario: Scenario,
    make_file: Callable[[str, int], Path],
    stored: Callable[[str], bytes],
    uploads_left: Callable[[str], list[str]],
) -> None:
    source = make_file("resume.bin", 5 * MiB + 4321)
    key = "resume/same-process.bin"
    result = scenario(
        "node_resume_slice_upload.js",
        {"file": str(source), "key": key, "chunkSize": PART_BYTES, "cancelAtPart": 3, "phase": "both"},
    )
    interrupted, resumed = result["interrupted"], result["resumed"]
    assert interrupted["taskState"] == "canceled"
    assert interrupted["partsOnServer"][:2] == [1, 2]
    missing = sorted(set(range(1, 7)) - set(interrupted["partsOnServer"]))
    assert missing, "the cancel came too late to leave anything to resume"
    assert resumed["uploadId"] == interrupted["uploadId"]
    assert "InitiateMultipartUpload" not in resumed["operations"]
    assert resumed["partsSent"] == missing
    assert resumed["etag"].endswith('-6"')
    assert stored(key) == source.read_bytes()
    assert uploads_left(key) == []


def test_node_slice_upload_in_a_new_process_finds_the_upload_by_listing_and_sends_only_missing_parts(
    scenario: Scenario,
    cos_client: CosClient,
    make_file: Callable[[str, int], Path],
    stored: Callable[[str], bytes],
    uploads_left: Callable[[str], list[str]],
) -> None:
    source = make_file("resume.bin", 4 * MiB + 99)
    body = source.read_bytes()
    key = "resume/new process.bin"
    inputs = {"file": str(source), "key": key, "chunkSize": PART_BYTES, "cancelAtPart": 3}
    interrupted = scenario("node_resume_slice_upload.js", {**inputs, "phase": "interrupt"}, conf="first-run")[
        "interrupted"
    ]
    assert interrupted["taskState"] == "canceled"
    upload_id = interrupted["uploadId"]
    assert uploads_left(key) == [upload_id]
    listed = cos_client.list_parts(TEST_BUCKET, key, upload_id).parts
    assert [part.part_number for part in listed] == interrupted["partsOnServer"]
    # What the SDK compares with the local file to trust a listed part.
    for part in listed:
        chunk = body[(part.part_number - 1) * PART_BYTES : part.part_number * PART_BYTES]
        assert (part.etag, part.size) == (quoted_md5(chunk), len(chunk))

    # A second run with an empty UploadId cache, as after a restart on another machine.
    resumed = scenario("node_resume_slice_upload.js", {**inputs, "phase": "resume"}, conf="second-run")[
        "resumed"
    ]
    assert resumed["uploadId"] == upload_id
    assert resumed["operations"][:2] == ["ListMultipartUploads", "ListParts"]
    assert "InitiateMultipartUpload" not in resumed["operations"]
    assert resumed["partsSent"] == sorted(set(range(1, 6)) - set(interrupted["partsOnServer"]))
    assert stored(key) == body
    assert uploads_left(key) == []


def test_node_upload_files_uploads_each_file_and_reports_each_finish(
    scenario: Scenario, make_file: Callable[[str, int], Path], stored: Callable[[str], bytes]
) -> None:
    sources = {
        "batch/one.txt": make_file("one.txt", 10),
        "batch/two.bin": make_file("two.bin", 700_000),
        "batch/three.bin": make_file("three.bin", 2 * MiB + 5),
    }
    result = scenario(
        "node_upload_files.js",
        {
            "files": [{"file": str(path), "key": key} for key, path in sources.items()],
            "sliceSize": PART_BYTES,
        },
    )
    assert sorted(finish["key"] for finish in result["onFileFinish"]) == sorted(sources)
    assert all(finish["error"] is None for finish in result["onFileFinish"])
    assert [item["key"] for item in result["files"]] == list(sources)
    by_key = {item["key"]: item for item in result["files"]}
    assert by_key["batch/one.txt"]["operations"] == ["PutObject"]
    assert by_key["batch/two.bin"]["operations"] == ["PutObject"]
    assert by_key["batch/three.bin"]["operations"] == multipart_operations(3)
    for key, path in sources.items():
        assert by_key[key]["error"] is None
        assert stored(key) == path.read_bytes()
    assert by_key["batch/one.txt"]["etag"] == quoted_md5(sources["batch/one.txt"].read_bytes())


def test_node_task_queue_pauses_restarts_and_cancels_tasks_and_reports_list_updates(
    scenario: Scenario,
    cos_client: CosClient,
    make_file: Callable[[str, int], Path],
    stored: Callable[[str], bytes],
    uploads_left: Callable[[str], list[str]],
) -> None:
    first = make_file("first.bin", 4 * MiB + 1)
    second = make_file("second.bin", 2 * MiB + 2)
    third = make_file("third.bin", 2 * MiB + 3)
    keys = ["queue/first.bin", "queue/second.bin", "queue/third.bin"]
    result = scenario(
        "node_task_queue.js",
        {
            "files": [
                {"file": str(path), "key": key}
                for path, key in zip([first, second, third], keys, strict=True)
            ],
            "chunkSize": PART_BYTES,
        },
    )
    snapshots = result["snapshots"]
    assert [key for key, _ in snapshots["afterQueued"]] == keys
    assert [state for _, state in snapshots["afterQueued"]][1:] == ["waiting", "waiting"]
    assert snapshots["afterCancel"][2] == ["queue/third.bin", "canceled"]
    assert snapshots["afterPause"][0] == ["queue/first.bin", "paused"]
    assert snapshots["afterSecond"][:2] == [["queue/first.bin", "paused"], ["queue/second.bin", "success"]]
    assert snapshots["afterRestart"][0][1] in ("waiting", "checking", "uploading")
    assert snapshots["final"] == [
        ["queue/first.bin", "success"],
        ["queue/second.bin", "success"],
        ["queue/third.bin", "canceled"],
    ]
    first_states = result["statesSeen"]["queue/first.bin"]
    assert first_states.index("paused") < len(first_states) - 1 and first_states[-1] == "success"
    assert result["statesSeen"]["queue/third.bin"] == ["waiting", "canceled"]
    # Both event names fire, once each per list change.
    assert result["eventCounts"]["list-update"] == result["eventCounts"]["task-list-update"] > 0

    # The restarted task carried on with its multipart upload.
    assert result["first"]["error"] is None
    assert result["first"]["uploadId"] == result["first"]["pausedUploadId"]
    assert result["first"]["operations"].count("InitiateMultipartUpload") == 1
    assert set(result["first"]["partsSent"]) == {1, 2, 3, 4, 5}
    assert result["second"]["error"] is None
    assert result["third"]["operations"] == []
    assert stored("queue/first.bin") == first.read_bytes()
    assert stored("queue/second.bin") == second.read_bytes()
    with pytest.raises(NoSuchKey):
        cos_client.head_object(TEST_BUCKET, "queue/third.bin")
    assert uploads_left("queue/") == []


# --- cos-wx-sdk-v5 on the wx shim ----------------------------------------------------


def test_wx_post_object_uploads_a_form_signed_without_policy(
    scenario: Scenario,
    cos_client: CosClient,
    make_file: Callable[[str, int], Path],
    stored: Callable[[str], bytes],
) -> None:
    source = make_file("avatar.jpg", 150_000)
    key = "wx/post object ü.jpg"
    result = scenario(
        "wx_post_object.js",
        {"file": str(source), "key": key, "contentType": "image/jpeg", "meta": {"owner": "wx"}},
    )
    assert result["operations"] == ["PostObject"]
    assert result["statusCode"] == 200
    assert result["etag"] == quoted_md5(source.read_bytes())
    assert stored(key) == source.read_bytes()
    head = cos_client.head_object(TEST_BUCKET, key)
    assert head.content_type == "image/jpeg"
    assert dict(head.metadata) == {"owner": "wx"}


def test_wx_put_object_reads_the_file_through_the_file_system_manager(
    scenario: Scenario, make_file: Callable[[str, int], Path], stored: Callable[[str], bytes]
) -> None:
    source = make_file("notes.txt", 123_456)
    result = scenario(
        "wx_put_object.js", {"file": str(source), "key": "wx/notes.txt", "contentType": "text/plain"}
    )
    assert result["operations"] == ["PutObject", "HeadObject"]
    assert result["statusCode"] == 200
    assert result["etag"] == result["head"]["etag"] == quoted_md5(source.read_bytes())
    assert result["head"]["contentLength"] == 123_456
    assert stored("wx/notes.txt") == source.read_bytes()


@pytest.mark.parametrize(
    ("simple_method", "simple_operation"), [(None, "PostObject"), ("putObject", "PutObject")]
)
def test_wx_upload_file_sends_a_small_file_simply_and_slices_a_large_one(
    scenario: Scenario,
    make_file: Callable[[str, int], Path],
    stored: Callable[[str], bytes],
    uploads_left: Callable[[str], list[str]],
    simple_method: str | None,
    simple_operation: str,
) -> None:
    small = make_file("small.bin", 80_000)
    large = make_file("large.bin", 2 * MiB + 77)
    result = scenario(
        "wx_upload_file.js",
        {
            "files": [
                {"file": str(small), "key": "wxuf/small.bin"},
                {"file": str(large), "key": "wxuf/large.bin"},
            ],
            "sliceSize": PART_BYTES,
            "chunkSize": PART_BYTES,
            "simpleUploadMethod": simple_method,
        },
    )
    small_result, large_result = result["files"]
    assert small_result["operations"] == [simple_operation]
    assert small_result["etag"] == quoted_md5(small.read_bytes())
    assert large_result["operations"] == multipart_operations(3)
    assert large_result["partsSent"] == [1, 2, 3]
    assert all(item["onFileFinish"]["error"] is False for item in result["files"])
    assert stored("wxuf/small.bin") == small.read_bytes()
    assert stored("wxuf/large.bin") == large.read_bytes()
    assert uploads_left("wxuf/large.bin") == []


def test_wx_slice_upload_file_reads_parts_by_range_and_completes(
    scenario: Scenario,
    make_file: Callable[[str, int], Path],
    stored: Callable[[str], bytes],
    uploads_left: Callable[[str], list[str]],
) -> None:
    source = make_file("clip.mov", 3 * MiB + 500)
    result = scenario(
        "wx_slice_upload_file.js",
        {"file": str(source), "key": "wxslice/clip.mov", "chunkSize": PART_BYTES, "asyncLimit": 2},
    )
    assert result["operations"] == multipart_operations(4)
    assert result["partsSent"] == [1, 2, 3, 4]
    assert result["etag"].endswith('-4"')
    assert result["lastProgress"]["loaded"] == result["lastProgress"]["total"] == source.stat().st_size
    assert stored("wxslice/clip.mov") == source.read_bytes()
    assert uploads_left("wxslice/clip.mov") == []


@pytest.mark.parametrize(
    ("simple_method", "simple_operation"), [(None, "PostObject"), ("putObject", "PutObject")]
)
def test_wx_upload_files_uploads_each_file_and_reports_each_finish(
    scenario: Scenario,
    make_file: Callable[[str, int], Path],
    stored: Callable[[str], bytes],
    simple_method: str | None,
    simple_operation: str,
) -> None:
    sources = {
        "wxbatch/a.txt": make_file("a.txt", 100),
        "wxbatch/b.bin": make_file("b.bin", 500_000),
        "wxbatch/c.bin": make_file("c.bin", 2 * MiB + 1),
    }
    result = scenario(
        "wx_upload_files.js",
        {
            "files": [{"file": str(path), "key": key} for key, path in sources.items()],
            "sliceSize": PART_BYTES,
            "simpleUploadMethod": simple_method,
        },
    )
    assert sorted(finish["key"] for finish in result["onFileFinish"]) == sorted(sources)
    assert [finish["error"] for finish in result["onFileFinish"]] == [None, None, None]
    by_key = {item["key"]: item for item in result["files"]}
    assert by_key["wxbatch/a.txt"]["operations"] == [simple_operation]
    assert by_key["wxbatch/b.bin"]["operations"] == [simple_operation]
    assert by_key["wxbatch/c.bin"]["operations"] == multipart_operations(3)
    for key, path in sources.items():
        assert by_key[key]["error"] is None
        assert stored(key) == path.read_bytes()
