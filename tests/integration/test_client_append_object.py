"""APPEND Object: positions, the next position, and the appendable type from HEAD."""

from __future__ import annotations

import pytest

from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64
from cosdesk.cos.errors import CosError, PositionNotEqualToLength


def test_append_creates_appendable_object_and_reports_next_position(
    cos_client: CosClient, bucket: str
) -> None:
    first = cos_client.append_object(bucket, "log.txt", 0, b"line 1\n")
    assert first.next_append_position == 7
    second = cos_client.append_object(bucket, "log.txt", first.next_append_position, b"line 2\n")
    assert second.next_append_position == 14
    head = cos_client.head_object(bucket, "log.txt")
    assert head.object_type == "appendable"
    assert head.appendable
    assert head.content_length == 14
    assert cos_client.get_object(bucket, "log.txt").content == b"line 1\nline 2\n"
    if second.crc64 is not None:
        assert second.crc64 == crc64(b"line 1\nline 2\n")


def test_append_at_wrong_position_raises_position_not_equal_to_length(
    cos_client: CosClient, bucket: str
) -> None:
    cos_client.append_object(bucket, "log.txt", 0, b"12345")
    with pytest.raises(PositionNotEqualToLength) as caught:
        cos_client.append_object(bucket, "log.txt", 3, b"more")
    assert caught.value.status_code == 409


def test_append_position_from_head_content_length(cos_client: CosClient, bucket: str) -> None:
    cos_client.append_object(bucket, "a.log", 0, b"abc")
    position = cos_client.head_object(bucket, "a.log").content_length
    assert cos_client.append_object(bucket, "a.log", position, b"def").next_append_position == 6


def test_append_to_a_normal_object_is_refused(cos_client: CosClient, bucket: str) -> None:
    cos_client.put_object(bucket, "normal.txt", b"abc")
    assert cos_client.head_object(bucket, "normal.txt").object_type == "normal"
    with pytest.raises(CosError) as caught:
        cos_client.append_object(bucket, "normal.txt", 3, b"def")
    assert caught.value.status_code == 409
