"""The server's storage where ``os.copy_file_range`` does not exist (Windows, macOS):
Complete and copies fall back to plain reads and writes, through the real server."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import defusedxml.ElementTree as ET
import pytest
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION

MB = 1024 * 1024


@pytest.fixture
def client(sandbox: SandboxServer, credentials: Credentials) -> Iterator[SignedClient]:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as signed:
        yield signed


@pytest.fixture
def no_copy_file_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    assert not hasattr(os, "copy_file_range")


@pytest.mark.usefixtures("no_copy_file_range")
def test_multipart_upload_completes_without_copy_file_range(client: SignedClient) -> None:
    # Parts of odd sizes, so the copy loop's steps never line up with them.
    chunks = [os.urandom(MB + 12_345), os.urandom(2 * MB + 1), os.urandom(777)]
    started = client.request("POST", "portable.bin", params={"uploads": ""})
    upload_id = str(ET.fromstring(started.content).findtext("UploadId"))
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        answer = client.request(
            "PUT", "portable.bin", params={"partNumber": str(number), "uploadId": upload_id}, content=chunk
        )
        assert answer.status_code == 200
        parts.append(f"<Part><PartNumber>{number}</PartNumber><ETag>{answer.headers['ETag']}</ETag></Part>")
    body = f"<CompleteMultipartUpload>{''.join(parts)}</CompleteMultipartUpload>".encode()
    done = client.request("POST", "portable.bin", params={"uploadId": upload_id}, content=body)
    assert done.status_code == 200, done.content
    assert ET.fromstring(done.content).findtext("ETag", "").endswith('-3"')
    got = client.get("portable.bin")
    assert hashlib.sha256(got.content).digest() == hashlib.sha256(b"".join(chunks)).digest()


@pytest.mark.usefixtures("no_copy_file_range")
def test_object_copy_works_without_copy_file_range(client: SignedClient) -> None:
    data = os.urandom(3 * MB + 5)
    assert client.put("portable/source", data).status_code == 200
    copied = client.request(
        "PUT",
        "portable/copy",
        headers={"x-cos-copy-source": f"{TEST_BUCKET}.cos.{TEST_REGION}.myqcloud.com/portable/source"},
    )
    assert copied.status_code == 200, copied.content
    assert client.get("portable/copy").content == data
