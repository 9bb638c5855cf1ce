"""Multipart upload: initiate, upload part, list parts, complete, abort, list uploads,
and every error Complete can give (including an error inside a 200 answer)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cosdesk.cos.body import FileSlice
from cosdesk.cos.client import CosClient, ObjectOptions
from cosdesk.cos.crc import crc64, crc64_combine
from cosdesk.cos.errors import (
    CosResponseError,
    EntityTooSmall,
    InternalError,
    InvalidPart,
    InvalidPartOrder,
    NoSuchUpload,
)
from cosdesk.engine.retry import is_retryable

MIB = 1024 * 1024


def make_file(tmp_path: Path, size: int, name: str = "source.bin") -> Path:
    path = tmp_path / name
    block = hashlib.sha256(name.encode()).digest() * 4096  # 128 KiB of varied bytes
    with path.open("wb") as out:
        written = 0
        while written < size:
            piece = block[: size - written]
            out.write(piece)
            written += len(piece)
    return path


def test_multipart_upload_of_three_parts_assembles_the_file(
    cos_client: CosClient, bucket: str, tmp_path: Path
) -> None:
    size = 2 * MIB + MIB // 2 + 123
    source = make_file(tmp_path, size)
    options = ObjectOptions(content_type="application/x-test", metadata={"kind": "multipart"})
    initiated = cos_client.initiate_multipart_upload(bucket, "big/file.bin", options=options)
    assert initiated.upload_id
    assert initiated.key == "big/file.bin"
    assert initiated.bucket == bucket

    part_size = MIB
    offsets = list(range(0, size, part_size))
    etags: list[tuple[int, str]] = []
    combined_crc = 0
    sent: list[int] = []
    for number, offset in enumerate(offsets, start=1):
        length = min(part_size, size - offset)
        part = cos_client.upload_part(
            bucket,
            "big/file.bin",
            initiated.upload_id,
            number,
            FileSlice(source, offset, length),
            content_md5=True,
            progress=sent.append,
        )
        data = source.read_bytes()[offset : offset + length]
        assert part.etag == '"' + hashlib.md5(data).hexdigest() + '"'
        if part.crc64 is not None:
            assert part.crc64 == crc64(data)
        combined_crc = crc64_combine(combined_crc, crc64(data), length)
        etags.append((number, part.etag))
    assert sum(sent) == size

    listed = cos_client.list_parts(bucket, "big/file.bin", initiated.upload_id)
    assert [(p.part_number, p.etag) for p in listed.parts] == etags
    assert [p.size for p in listed.parts] == [MIB, MIB, size - 2 * MIB]
    assert not listed.is_truncated

    done = cos_client.complete_multipart_upload(bucket, "big/file.bin", initiated.upload_id, etags)
    assert done.etag.strip('"').endswith("-3")
    assert done.key == "big/file.bin"
    assert done.bucket == bucket
    assert done.location
    if done.crc64 is not None:
        assert done.crc64 == combined_crc
    assert cos_client.get_object(bucket, "big/file.bin").content == source.read_bytes()
    head = cos_client.head_object(bucket, "big/file.bin")
    assert head.content_type == "application/x-test"
    assert head.metadata.get("kind") == "multipart"
    assert list(cos_client.iter_multipart_uploads(bucket, prefix="big/")) == []


def test_list_parts_pages_are_walked_by_iter_parts(cos_client: CosClient, bucket: str) -> None:
    upload_id = cos_client.initiate_multipart_upload(bucket, "paged").upload_id
    for number in range(1, 6):
        cos_client.upload_part(bucket, "paged", upload_id, number, bytes([number]) * 10)
    first = cos_client.list_parts(bucket, "paged", upload_id, max_parts=2)
    assert first.is_truncated
    assert [p.part_number for p in first.parts] == [1, 2]
    assert first.next_part_number_marker == 2
    second = cos_client.list_parts(bucket, "paged", upload_id, max_parts=2, part_number_marker=2)
    assert [p.part_number for p in second.parts] == [3, 4]
    walked = list(cos_client.iter_parts(bucket, "paged", upload_id, page_size=2))
    assert [p.part_number for p in walked] == [1, 2, 3, 4, 5]
    assert all(p.size == 10 for p in walked)


def test_complete_with_part_below_1mb_raises_entity_too_small(cos_client: CosClient, bucket: str) -> None:
    upload_id = cos_client.initiate_multipart_upload(bucket, "small-parts").upload_id
    first = cos_client.upload_part(bucket, "small-parts", upload_id, 1, b"a" * 1000)
    second = cos_client.upload_part(bucket, "small-parts", upload_id, 2, b"b" * 1000)
    with pytest.raises(EntityTooSmall) as caught:
        cos_client.complete_multipart_upload(
            bucket, "small-parts", upload_id, [(1, first.etag), (2, second.etag)]
        )
    assert caught.value.status_code == 400
    assert not is_retryable(caught.value)


def test_complete_with_a_single_small_part_succeeds(cos_client: CosClient, bucket: str) -> None:
    upload_id = cos_client.initiate_multipart_upload(bucket, "one-part").upload_id
    part = cos_client.upload_part(bucket, "one-part", upload_id, 1, b"tiny")
    done = cos_client.complete_multipart_upload(bucket, "one-part", upload_id, [(1, part.etag.strip('"'))])
    assert done.etag.strip('"').endswith("-1")
    assert cos_client.get_object(bucket, "one-part").content == b"tiny"


def test_complete_with_unknown_etag_raises_invalid_part(cos_client: CosClient, bucket: str) -> None:
    upload_id = cos_client.initiate_multipart_upload(bucket, "bad-etag").upload_id
    cos_client.upload_part(bucket, "bad-etag", upload_id, 1, b"a")
    with pytest.raises(InvalidPart):
        cos_client.complete_multipart_upload(
            bucket, "bad-etag", upload_id, [(1, '"0123456789abcdef0123456789abcdef"')]
        )


def test_complete_with_part_never_uploaded_raises_invalid_part(cos_client: CosClient, bucket: str) -> None:
    upload_id = cos_client.initiate_multipart_upload(bucket, "missing-part").upload_id
    part = cos_client.upload_part(bucket, "missing-part", upload_id, 1, b"a" * MIB)
    with pytest.raises(InvalidPart):
        cos_client.complete_multipart_upload(
            bucket, "missing-part", upload_id, [(1, part.etag), (2, part.etag)]
        )


def test_complete_with_descending_parts_raises_invalid_part_order(cos_client: CosClient, bucket: str) -> None:
    upload_id = cos_client.initiate_multipart_upload(bucket, "order").upload_id
    one = cos_client.upload_part(bucket, "order", upload_id, 1, b"a" * MIB)
    two = cos_client.upload_part(bucket, "order", upload_id, 2, b"b" * 10)
    with pytest.raises(InvalidPartOrder):
        cos_client.complete_multipart_upload(bucket, "order", upload_id, [(2, two.etag), (1, one.etag)])


def test_unknown_upload_id_raises_no_such_upload_everywhere(cos_client: CosClient, bucket: str) -> None:
    with pytest.raises(NoSuchUpload) as caught:
        cos_client.upload_part(bucket, "k", "no-such-upload-id", 1, b"x")
    assert caught.value.status_code == 404
    with pytest.raises(NoSuchUpload):
        cos_client.complete_multipart_upload(bucket, "k", "no-such-upload-id", [(1, '"abc"')])
    with pytest.raises(NoSuchUpload):
        cos_client.list_parts(bucket, "k", "no-such-upload-id")
    with pytest.raises(NoSuchUpload):
        cos_client.abort_multipart_upload(bucket, "k", "no-such-upload-id")


def test_abort_removes_the_upload_and_its_parts(cos_client: CosClient, bucket: str) -> None:
    upload_id = cos_client.initiate_multipart_upload(bucket, "aborted").upload_id
    cos_client.upload_part(bucket, "aborted", upload_id, 1, b"x" * 100)
    assert [u.upload_id for u in cos_client.iter_multipart_uploads(bucket, prefix="aborted")] == [upload_id]
    cos_client.abort_multipart_upload(bucket, "aborted", upload_id)
    assert list(cos_client.iter_multipart_uploads(bucket, prefix="aborted")) == []
    with pytest.raises(NoSuchUpload):
        cos_client.list_parts(bucket, "aborted", upload_id)


def test_list_multipart_uploads_pages_markers_and_odd_keys(cos_client: CosClient, bucket: str) -> None:
    keys = ["up/a%20b", "up/space here", "up/中文", "up/line\nbreak", "up/plus+sign", "up/dir/inner"]
    ids = {key: cos_client.initiate_multipart_upload(bucket, key).upload_id for key in keys}
    page = cos_client.list_multipart_uploads(bucket, prefix="up/", max_uploads=2)
    assert page.is_truncated
    assert len(page.uploads) == 2
    assert page.next_key_marker == page.uploads[-1].key
    assert page.max_uploads == 2
    assert page.prefix == "up/"
    walked = list(cos_client.iter_multipart_uploads(bucket, prefix="up/", page_size=2))
    assert sorted((u.key, u.upload_id) for u in walked) == sorted(ids.items())
    grouped = cos_client.list_multipart_uploads(bucket, prefix="up/", delimiter="/")
    assert grouped.common_prefixes == ("up/dir/",)
    assert "up/dir/inner" not in [u.key for u in grouped.uploads]


def test_error_inside_a_200_complete_answer_is_raised(
    cos_client: CosClient, bucket: str, sandbox: object
) -> None:
    upload_id = cos_client.initiate_multipart_upload(bucket, "assembly").upload_id
    part = cos_client.upload_part(bucket, "assembly", upload_id, 1, b"x")
    sandbox.faults.fail_next_complete_with_error_body()  # type: ignore[attr-defined]
    with pytest.raises(InternalError) as caught:
        cos_client.complete_multipart_upload(bucket, "assembly", upload_id, [(1, part.etag)])
    assert caught.value.status_code == 200
    assert is_retryable(caught.value)


COMPLETE_OK = (
    b'<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult>'
    b"<Location>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/k</Location>"
    b'<Bucket>examplebucket-1250000000</Bucket><Key>k</Key><ETag>"3858f62230ac3c915f300c664312c11f-2"</ETag>'
    b"</CompleteMultipartUploadResult>"
)


def streamed_200(*pieces: bytes | float) -> list[bytes | float]:
    """A 200 whose body arrives in pieces (COS sends spaces while it assembles)."""
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nConnection: close\r\n"
        b"x-cos-request-id: rid-1\r\n\r\n"
    )
    return [head, *pieces]


def test_complete_reads_whitespace_then_result_while_cos_assembles(
    scripted_server: Callable[..., Any], client_for: Callable[[str], CosClient], bucket: str
) -> None:
    server = scripted_server(lambda request: streamed_200(b" ", 0.05, b"  \n ", 0.05, COMPLETE_OK))
    done = client_for(server.endpoint).complete_multipart_upload(
        bucket, "k", "upload-1", [(1, "a"), (2, "b")]
    )
    assert done.etag == '"3858f62230ac3c915f300c664312c11f-2"'
    assert done.request_id == "rid-1"
    sent = server.requests[0]
    assert b"<PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag>" in sent or b'<ETag>"a"</ETag>' in sent


def test_complete_reads_whitespace_then_error_as_an_error(
    scripted_server: Callable[..., Any], client_for: Callable[[str], CosClient], bucket: str
) -> None:
    error = (
        b"<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found."
        b"</Message><RequestId>rid-2</RequestId></Error>"
    )
    server = scripted_server(lambda request: streamed_200(b"   ", 0.05, b"  ", error))
    with pytest.raises(InvalidPart) as caught:
        client_for(server.endpoint).complete_multipart_upload(bucket, "k", "upload-1", [(1, "a")])
    assert caught.value.status_code == 200
    assert caught.value.request_id == "rid-2"


def test_complete_answer_without_etag_is_an_error(
    scripted_server: Callable[..., Any],
    client_for: Callable[[str], CosClient],
    http_answer: Callable[..., bytes],
    bucket: str,
) -> None:
    no_etag = b"<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key></CompleteMultipartUploadResult>"
    server = scripted_server(lambda request: [http_answer("200 OK", no_etag)])
    with pytest.raises(CosResponseError, match="no <ETag>"):
        client_for(server.endpoint).complete_multipart_upload(bucket, "k", "upload-1", [(1, "a")])
