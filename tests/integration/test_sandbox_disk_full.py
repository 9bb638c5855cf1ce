"""A full disk under the local server, for real: its root on a 2 MiB tmpfs.

The client is told the server is out of space (507 InsufficientStorage), the
server logs one line without a traceback, and it works again once space is free.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import defusedxml.ElementTree as ET
import httpx
import pytest
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY

MB = 1024 * 1024
DISK_BYTES = 2 * MB


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
        check=True,
        capture_output=True,
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True, capture_output=True)


@pytest.fixture
def client_on_small_disk(small_disk: Path, credentials: Credentials) -> Iterator[SignedClient]:
    with (
        SandboxServer(
            root=small_disk / "cos-root",
            buckets=[TEST_BUCKET],
            credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
            region=TEST_REGION,
        ) as server,
        SignedClient(server.endpoint, credentials, TEST_BUCKET, TEST_REGION) as client,
    ):
        yield client


def assert_out_of_space(answer: httpx.Response) -> None:
    assert answer.status_code == 507, answer.content
    error = ET.fromstring(answer.content)
    assert error.findtext("Code") == "InsufficientStorage"
    assert "disk space" in (error.findtext("Message") or "")


def assert_no_traceback(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert any("out of disk space" in r.getMessage() for r in caplog.records)
    assert "Traceback" not in capsys.readouterr().err


def test_put_larger_than_the_disk_is_insufficient_storage(
    client_on_small_disk: SignedClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    client = client_on_small_disk
    caplog.set_level(logging.WARNING, logger="cosdesk.sandbox")
    refused = client.put("too-big", os.urandom(3 * MB))
    assert_out_of_space(refused)
    # The rest of the body was read, so the connection stays open for the next request.
    assert refused.headers.get("Connection", "keep-alive").lower() != "close"
    # Pipelined receiving (bodies of 4 MiB and more) fails the same way.
    assert_out_of_space(client.put("much-too-big", os.urandom(5 * MB)))
    assert client.get("too-big").status_code == 404
    # The refused bodies are gone: the server stores again.
    assert client.put("fits", b"small").status_code == 200
    assert client.get("fits").content == b"small"
    assert_no_traceback(caplog, capsys)


def test_part_and_complete_larger_than_the_disk_are_insufficient_storage(
    client_on_small_disk: SignedClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    client = client_on_small_disk
    caplog.set_level(logging.WARNING, logger="cosdesk.sandbox")
    started = client.request("POST", "multi", params={"uploads": ""})
    upload_id = str(ET.fromstring(started.content).findtext("UploadId"))

    def upload_part(number: int, data: bytes) -> httpx.Response:
        params = {"partNumber": str(number), "uploadId": upload_id}
        return client.request("PUT", "multi", params=params, content=data)

    assert_out_of_space(upload_part(1, os.urandom(3 * MB)))
    # Two parts that fit (1.5 MiB), but not a second copy of them, which Complete assembles.
    parts = [os.urandom(MB), os.urandom(MB // 2)]
    etags = [upload_part(number, data).headers["ETag"] for number, data in enumerate(parts, start=1)]
    inner = "".join(
        f"<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
        for number, etag in enumerate(etags, start=1)
    )
    body = f"<CompleteMultipartUpload>{inner}</CompleteMultipartUpload>".encode()
    assert_out_of_space(client.request("POST", "multi", params={"uploadId": upload_id}, content=body))
    # The upload is untouched: its parts are listed, and it can still be aborted.
    listed = ET.fromstring(client.get("multi", uploadId=upload_id).content)
    assert [p.findtext("ETag") for p in listed.findall("Part")] == etags
    assert client.request("DELETE", "multi", params={"uploadId": upload_id}).status_code == 204
    assert client.put("after", os.urandom(MB)).status_code == 200
    assert_no_traceback(caplog, capsys)
