"""The local server's discard mode (``cosdesk serve --discard-bodies``): every answer
is what COS would say, but no body byte reaches the disk."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.crc import crc64 as crc64_bytes
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import CosError
from cosdesk.sandbox.server import SandboxServer

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
MiB = 1024 * 1024


@pytest.fixture
def discarding(tmp_path: Path, credentials: Credentials) -> Iterator[tuple[SandboxServer, CosClient]]:
    server = SandboxServer(
        root=tmp_path / "root",
        buckets=[BUCKET],
        credentials={credentials.secret_id: credentials.secret_key},
        region=REGION,
        discard_bodies=True,
    )
    server.start()
    client = CosClient(credentials, Endpoint.custom(server.endpoint, path_style=True, region=REGION))
    try:
        yield server, client
    finally:
        client.close()
        server.stop()


def stored_bytes(root: Path) -> int:
    """Bytes of body files under the server's root (the index database aside)."""
    return sum(
        path.stat().st_size
        for folder in ("data", "tmp")
        for path in (root / folder).rglob("*")
        if path.is_file()
    )


def test_answers_as_cos_does_but_keeps_no_body_bytes(
    discarding: tuple[SandboxServer, CosClient],
) -> None:
    server, cos = discarding
    small = os.urandom(100_000)
    put = cos.put_object(BUCKET, "a/small.bin", small)
    assert put.etag == f'"{hashlib.md5(small).hexdigest()}"'
    assert put.crc64 == crc64_bytes(small)

    parts = [os.urandom(MiB + 7), os.urandom(3000)]
    upload_id = cos.initiate_multipart_upload(BUCKET, "a/big.bin").upload_id
    etags = [
        cos.upload_part(BUCKET, "a/big.bin", upload_id, number, body).etag
        for number, body in enumerate(parts, start=1)
    ]
    assert [part.size for part in cos.iter_parts(BUCKET, "a/big.bin", upload_id)] == [MiB + 7, 3000]
    completed = cos.complete_multipart_upload(BUCKET, "a/big.bin", upload_id, list(enumerate(etags, start=1)))
    md5_of_md5s = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert completed.etag == f'"{md5_of_md5s}-2"'

    appended = cos.append_object(BUCKET, "a/log", 0, b"hello ")
    cos.append_object(BUCKET, "a/log", appended.next_append_position, b"world")

    head = cos.head_object(BUCKET, "a/big.bin")
    assert head.content_length == MiB + 7 + 3000
    assert head.crc64 == crc64_bytes(b"".join(parts))
    log_head = cos.head_object(BUCKET, "a/log")
    assert log_head.appendable and log_head.content_length == 11
    assert log_head.crc64 == crc64_bytes(b"hello world")
    listed = {item.key: item.size for item in cos.iter_objects(BUCKET, prefix="a/")}
    assert listed == {"a/big.bin": MiB + 3007, "a/log": 11, "a/small.bin": 100_000}

    assert stored_bytes(server.root) == 0
    with pytest.raises(CosError) as refused:
        cos.get_object(BUCKET, "a/small.bin")
    assert refused.value.status_code == 501
