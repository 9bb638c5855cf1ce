"""Streaming bodies: chunking, file slices, replay, one-shot streams, CRC helpers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cosdesk.cos.body import CHUNK_SIZE, BytesBody, FileSlice, StreamBody, make_body
from cosdesk.cos.crc import crc64, crc64_combine, crc64_file, parse_crc64
from cosdesk.cos.errors import CosBodyError


def test_file_slice_yields_its_region_in_chunks_and_replays(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = bytes(range(256)) * (CHUNK_SIZE // 128)  # 2 MiB
    path.write_bytes(data)
    part = FileSlice(path, 100, CHUNK_SIZE + 50)
    first = list(part.chunks())
    assert [len(c) for c in first] == [CHUNK_SIZE, 50]
    assert b"".join(first) == data[100 : 100 + CHUNK_SIZE + 50]
    assert b"".join(part.chunks()) == b"".join(first)
    assert part.replayable


def test_file_slice_of_a_file_that_shrank_raises(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 10)
    part = FileSlice(path, 5, 10)
    with pytest.raises(CosBodyError, match="shorter than expected"):
        list(part.chunks())


def test_path_body_is_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    body = make_body(path)
    assert isinstance(body, FileSlice)
    assert (body.offset, body.length) == (0, 3)


def test_seekable_file_object_replays_from_where_it_started() -> None:
    stream = io.BytesIO(b"skip|payload")
    stream.seek(5)
    body = make_body(stream)
    assert body.content_length == 7
    assert body.replayable
    assert b"".join(body.chunks()) == b"payload"
    assert b"".join(body.chunks()) == b"payload"


def test_one_shot_iterable_cannot_be_sent_twice() -> None:
    body = StreamBody(iter([b"ab", b"cd"]), 4)
    assert not body.replayable
    assert b"".join(body.chunks()) == b"abcd"
    with pytest.raises(CosBodyError, match="one-shot"):
        body.chunks()


def test_iterable_longer_than_declared_raises() -> None:
    with pytest.raises(CosBodyError, match="more than the declared"):
        list(StreamBody(iter([b"abcdef"]), 4).chunks())


def test_large_iterable_chunks_are_resliced() -> None:
    body = StreamBody(iter([b"z" * (CHUNK_SIZE * 2 + 1)]), CHUNK_SIZE * 2 + 1)
    assert [len(c) for c in body.chunks()] == [CHUNK_SIZE, CHUNK_SIZE, 1]


def test_md5_of_bytes_body() -> None:
    assert BytesBody(b"").md5_base64() == "1B2M2Y8AsgTpgAmY7PhCfg=="


def test_crc64_matches_cos_check_value_and_combines() -> None:
    assert crc64(b"123456789") == 0x995DC9BBDF1939FA  # the CRC-64/XZ check value
    a, b = b"hello ", b"world"
    assert crc64_combine(crc64(a), crc64(b), len(b)) == crc64(a + b)
    assert crc64(b, crc64(a)) == crc64(a + b)
    assert crc64_combine(crc64(a), 0, 0) == crc64(a)


def test_crc64_of_file_region(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    assert crc64_file(path) == crc64(b"0123456789")
    assert crc64_file(path, 2, 5) == crc64(b"23456")
    with pytest.raises(ValueError, match="ended"):
        crc64_file(path, 8, 5)


def test_parse_crc64_header() -> None:
    assert parse_crc64("11051210869376104954") == 11051210869376104954
    assert parse_crc64(None) is None
    assert parse_crc64("garbage") is None
