"""PUT Object against the local server over real HTTP: every kind of body, the
seed's options, integrity checks, progress and its abort contract."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.body import FileSlice
from cosdesk.cos.client import CosClient, ObjectOptions
from cosdesk.cos.crc import crc64
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import BadDigest, CosBodyError, CosValidationError
from cosdesk.engine.retry import is_retryable


def quoted_md5(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest() + '"'


def test_put_bytes_returns_md5_etag_crc64_and_location(cos_client: CosClient, bucket: str) -> None:
    result = cos_client.put_object(bucket, "docs/hello.txt", b"hello!")
    assert result.status_code == 200
    assert result.etag == quoted_md5(b"hello!")
    assert result.crc64 == crc64(b"hello!")
    assert result.request_id
    assert result.location.endswith("/docs/hello.txt")
    assert result.headers["etag"] == result.etag
    assert cos_client.get_object(bucket, "docs/hello.txt").content == b"hello!"


def test_put_string_is_sent_as_utf8(cos_client: CosClient, bucket: str) -> None:
    cos_client.put_object(bucket, "text.txt", "héllo 中文")
    assert cos_client.get_object(bucket, "text.txt").content == "héllo 中文".encode()


def test_put_from_path_streams_the_whole_file(cos_client: CosClient, bucket: str, tmp_path: Path) -> None:
    data = bytes(range(256)) * 12_000  # ~3 MiB: several chunks
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    chunks: list[int] = []
    result = cos_client.put_object(bucket, "big.bin", source, progress=chunks.append)
    assert result.etag == quoted_md5(data)
    assert sum(chunks) == len(data)
    assert max(chunks) <= 1024 * 1024
    assert cos_client.get_object(bucket, "big.bin").content == data


def test_put_file_slice_sends_only_that_region(cos_client: CosClient, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"0123456789abcdef")
    cos_client.put_object(bucket, "slice", FileSlice(source, 4, 6))
    assert cos_client.get_object(bucket, "slice").content == b"456789"


def test_put_from_binary_file_object_and_from_iterable(cos_client: CosClient, bucket: str) -> None:
    cos_client.put_object(bucket, "from-file", io.BytesIO(b"file object body"))
    cos_client.put_object(bucket, "from-iter", iter([b"ab", b"", b"cd"]), content_length=4)
    assert cos_client.get_object(bucket, "from-file").content == b"file object body"
    assert cos_client.get_object(bucket, "from-iter").content == b"abcd"


def test_iterable_shorter_than_content_length_is_refused_not_sent_truncated(
    cos_client: CosClient, bucket: str
) -> None:
    with pytest.raises(CosBodyError, match="ended after 2 bytes"):
        cos_client.put_object(bucket, "short", iter([b"ab"]), content_length=5)
    # The connection pool is still usable afterwards.
    assert cos_client.put_object(bucket, "after", b"x").etag == quoted_md5(b"x")


def test_folder_marker_key_ending_in_slash_with_empty_body(cos_client: CosClient, bucket: str) -> None:
    result = cos_client.put_object(bucket, "photos/2024/", b"")
    assert result.etag == quoted_md5(b"")
    assert cos_client.head_object(bucket, "photos/2024/").content_length == 0


def test_folder_marker_with_a_body_is_refused_before_sending(cos_client: CosClient, bucket: str) -> None:
    with pytest.raises(CosValidationError, match="folder marker"):
        cos_client.put_object(bucket, "photos/", b"not empty")


def test_options_are_stored_and_returned_by_head(cos_client: CosClient, bucket: str) -> None:
    options = ObjectOptions(
        cache_control="max-age=7200",
        content_disposition='attachment; filename="report.pdf"',
        content_encoding="identity",
        content_type="application/pdf",
        expires="Wed, 21 Oct 2065 07:28:00 GMT",
        acl="private",
        grant_read='id="qcs::cam::uin/100000000001:uin/100000000011"',
        grant_read_acp='id="qcs::cam::uin/100000000001:uin/100000000001"',
        grant_write_acp='id="qcs::cam::uin/100000000001:uin/100000000001"',
        grant_full_control='id="qcs::cam::uin/100000000001:uin/100000000001"',
        storage_class="STANDARD_IA",
        metadata={"author": "me", "x-cos-meta-project": "cosdesk"},
    )
    cos_client.put_object(bucket, "report.pdf", b"%PDF-1.7", options=options)
    head = cos_client.head_object(bucket, "report.pdf")
    assert head.content_type == "application/pdf"
    assert head.metadata == {"author": "me", "project": "cosdesk"}
    assert head.headers.get("cache-control") == "max-age=7200"
    assert head.headers.get("content-disposition") == 'attachment; filename="report.pdf"'
    assert head.storage_class == "STANDARD_IA"


def test_content_md5_computed_by_the_client_is_accepted(cos_client: CosClient, bucket: str) -> None:
    result = cos_client.put_object(bucket, "md5", b"checked body", content_md5=True)
    assert result.etag == quoted_md5(b"checked body")


def test_wrong_content_md5_raises_bad_digest(cos_client: CosClient, bucket: str) -> None:
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    with pytest.raises(BadDigest) as caught:
        cos_client.put_object(bucket, "md5-wrong", b"checked body", content_md5=wrong)
    assert caught.value.status_code == 400
    assert caught.value.code == "BadDigest"
    assert is_retryable(caught.value)  # a body changed in flight: sent again


def test_expect_100_continue_upload_succeeds(cos_client: CosClient, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "expect.bin"
    source.write_bytes(b"e" * 200_000)
    result = cos_client.put_object(bucket, "expect.bin", source, expect_continue=True)
    assert result.etag == quoted_md5(b"e" * 200_000)


class PauseRequested(Exception):
    """What an engine raises from its progress callback to stop a transfer."""


def test_exception_raised_by_progress_propagates_unchanged_and_client_stays_usable(
    cos_client: CosClient, bucket: str, tmp_path: Path
) -> None:
    source = tmp_path / "pause.bin"
    source.write_bytes(b"p" * (5 * 1024 * 1024))
    pause = PauseRequested("pause please")
    calls: list[int] = []

    def progress(sent: int) -> None:
        calls.append(sent)
        if len(calls) == 2:
            raise pause

    with pytest.raises(PauseRequested) as caught:
        cos_client.put_object(bucket, "paused.bin", source, progress=progress)
    assert caught.value is pause
    assert len(calls) == 2
    # The abandoned upload left nothing behind and the next request works.
    assert [o.key for o in cos_client.iter_objects(bucket, prefix="paused")] == []
    assert cos_client.put_object(bucket, "paused.bin", source).etag == quoted_md5(b"p" * (5 * 1024 * 1024))


def test_traffic_limit_inside_range_is_accepted(sandbox: Any, credentials: Credentials, bucket: str) -> None:
    endpoint = Endpoint.custom(sandbox.endpoint)
    with CosClient(credentials, endpoint, timeout_s=3) as client:
        for limit in (819200, 838860800):
            options = ObjectOptions(traffic_limit=limit)
            assert client.put_object(bucket, "limited", b"small body", options=options).status_code == 200
