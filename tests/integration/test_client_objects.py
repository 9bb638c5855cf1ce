"""HEAD, GET (whole, ranges, to a file), DELETE and List Objects."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64
from cosdesk.cos.errors import NoSuchKey

ODD_KEYS = [
    "odd/100%.txt",
    "odd/a%20b",
    "odd/space and+plus.txt",
    "odd/中文/文件.txt",
    "odd/new\nline",
    "odd/tilde~/q?uestion#hash",
    "odd/../dots/./x",
    "odd/emoji 😀",
]


def test_head_object_reports_length_etag_crc_and_metadata(cos_client: CosClient, bucket: str) -> None:
    put = cos_client.put_object(bucket, "head.txt", b"0123456789")
    head = cos_client.head_object(bucket, "head.txt")
    assert head.content_length == 10
    assert head.etag == put.etag
    assert head.crc64 == crc64(b"0123456789")
    assert head.object_type == "normal"
    assert head.last_modified is not None
    assert head.request_id


def test_head_of_missing_object_raises_no_such_key(cos_client: CosClient, bucket: str) -> None:
    with pytest.raises(NoSuchKey) as caught:
        cos_client.head_object(bucket, "does/not/exist")
    assert caught.value.status_code == 404


def test_get_missing_object_raises_no_such_key(cos_client: CosClient, bucket: str) -> None:
    with pytest.raises(NoSuchKey):
        cos_client.get_object(bucket, "does/not/exist")


def test_get_object_ranges(cos_client: CosClient, bucket: str) -> None:
    cos_client.put_object(bucket, "range.txt", b"0123456789")
    middle = cos_client.get_object(bucket, "range.txt", byte_range=(2, 5))
    assert middle.content == b"2345"
    assert middle.status_code == 206
    assert middle.content_range == "bytes 2-5/10"
    assert cos_client.get_object(bucket, "range.txt", byte_range=(7, None)).content == b"789"
    assert cos_client.get_object(bucket, "range.txt", byte_range="bytes=-2").content == b"89"


def test_get_object_streams_to_a_file(cos_client: CosClient, bucket: str, tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000
    cos_client.put_object(bucket, "download.bin", data)
    target = tmp_path / "out.bin"
    received: list[int] = []
    result = cos_client.get_object(bucket, "download.bin", to_path=target, progress=received.append)
    assert result.content is None
    assert result.content_length == len(data)
    assert target.read_bytes() == data
    assert sum(received) == len(data)


def test_failed_download_leaves_no_file_behind(cos_client: CosClient, bucket: str, tmp_path: Path) -> None:
    target = tmp_path / "missing.bin"
    with pytest.raises(NoSuchKey):
        cos_client.get_object(bucket, "not/there", to_path=target)
    assert not target.exists()


def test_delete_object_removes_it_and_deleting_again_succeeds(cos_client: CosClient, bucket: str) -> None:
    cos_client.put_object(bucket, "gone.txt", b"x")
    assert cos_client.delete_object(bucket, "gone.txt").status_code in (200, 204)
    with pytest.raises(NoSuchKey):
        cos_client.head_object(bucket, "gone.txt")
    assert cos_client.delete_object(bucket, "gone.txt").status_code in (200, 204)


def test_keys_with_percent_space_unicode_and_newlines_survive_a_round_trip(
    cos_client: CosClient, bucket: str
) -> None:
    for number, key in enumerate(ODD_KEYS):
        cos_client.put_object(bucket, key, str(number))
    for number, key in enumerate(ODD_KEYS):
        assert cos_client.get_object(bucket, key).content == str(number).encode()
    listed = [summary.key for summary in cos_client.iter_objects(bucket, prefix="odd/")]
    assert sorted(listed) == sorted(ODD_KEYS)


def test_list_objects_with_prefix_delimiter_marker_and_pages(cos_client: CosClient, bucket: str) -> None:
    for key in ["a/1", "a/2", "a/3", "a/sub/4", "b/5"]:
        cos_client.put_object(bucket, key, key)
    page = cos_client.list_objects(bucket, prefix="a/", delimiter="/")
    assert [c.key for c in page.contents] == ["a/1", "a/2", "a/3"]
    assert page.common_prefixes == ("a/sub/",)
    assert page.prefix == "a/"
    assert page.delimiter == "/"
    assert all(c.size == 3 for c in page.contents)
    first = cos_client.list_objects(bucket, prefix="a/", max_keys=2)
    assert first.is_truncated
    assert [c.key for c in first.contents] == ["a/1", "a/2"]
    rest = cos_client.list_objects(bucket, prefix="a/", marker="a/2")
    assert [c.key for c in rest.contents] == ["a/3", "a/sub/4"]
    assert [s.key for s in cos_client.iter_objects(bucket, page_size=2)] == [
        "a/1",
        "a/2",
        "a/3",
        "a/sub/4",
        "b/5",
    ]


def test_presigned_get_url_works_without_credentials(cos_client: CosClient, bucket: str) -> None:
    cos_client.put_object(bucket, "shared/a b.txt", b"shared")
    url = cos_client.presigned_url("GET", bucket, "shared/a b.txt", 60)
    assert "q-signature=" in url
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"shared"


def test_presigned_put_url_uploads(cos_client: CosClient, bucket: str) -> None:
    url = cos_client.presigned_url("PUT", bucket, "shared/up.txt", 60)
    assert httpx.put(url, content=b"via url").status_code == 200
    assert cos_client.get_object(bucket, "shared/up.txt").content == b"via url"
