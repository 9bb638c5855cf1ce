"""Fault injection switches of the local server, each seen from a client."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import defusedxml.ElementTree as ET
import httpx
import pytest
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION


@pytest.fixture
def client(sandbox: SandboxServer, credentials: Credentials) -> Iterator[SignedClient]:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as signed:
        yield signed


def test_error_rate_answers_503_slow_down(client: SignedClient, sandbox: SandboxServer) -> None:
    sandbox.faults.error_rate = 1.0
    response = client.put("k", b"x" * 100_000)
    assert response.status_code == 503
    assert ET.fromstring(response.content).findtext("Code") == "SlowDown"
    # The refused body was drained: the same connection still works.
    sandbox.faults.reset()
    assert client.put("k", b"fine").status_code == 200


def test_error_status_500_is_internal_error(client: SignedClient, sandbox: SandboxServer) -> None:
    sandbox.faults.update(error_rate=1.0, error_status=500)
    response = client.get("k")
    assert response.status_code == 500
    assert ET.fromstring(response.content).findtext("Code") == "InternalError"


def test_partial_error_rate_fails_some_requests(client: SignedClient, sandbox: SandboxServer) -> None:
    sandbox.faults.error_rate = 0.5
    statuses = {client.get("missing").status_code for _ in range(60)}
    assert statuses == {404, 503}


def test_reset_after_bytes_resets_the_connection_and_stores_nothing(
    client: SignedClient, sandbox: SandboxServer
) -> None:
    sandbox.faults.reset_after_bytes = 100_000
    with pytest.raises((httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)):
        client.put("cut", b"x" * 2_000_000)
    assert client.put("small", b"y" * 1000).status_code == 200  # shorter bodies get through
    sandbox.faults.reset()
    assert client.get("cut").status_code == 404
    assert list((sandbox.root / "tmp").iterdir()) == []


def test_reset_is_a_tcp_rst(sandbox: SandboxServer, client: SignedClient) -> None:
    sandbox.faults.reset_after_bytes = 10
    headers = client.signed_headers("PUT", "rst", headers={"Content-Length": "1000"})
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as raw:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        raw.sendall(f"PUT /rst HTTP/1.1\r\n{head}\r\n".encode() + b"x" * 1000)
        with pytest.raises(ConnectionResetError):
            while raw.recv(4096):
                pass


def test_reset_rate_resets_a_share_of_uploads(client: SignedClient, sandbox: SandboxServer) -> None:
    sandbox.faults.reset_rate = 0.5
    outcomes = []
    for index in range(30):
        try:
            outcomes.append(client.put(f"maybe-{index}", b"z" * 50_000).status_code)
        except httpx.TransportError:
            outcomes.append("reset")
    assert "reset" in outcomes and 200 in outcomes


def test_latency_delays_each_request(client: SignedClient, sandbox: SandboxServer) -> None:
    sandbox.faults.latency_s = 0.3
    started = time.monotonic()
    client.get("k")
    assert time.monotonic() - started >= 0.3


def test_bandwidth_limits_uploads_and_downloads(client: SignedClient, sandbox: SandboxServer) -> None:
    client.put("payload", b"p" * 200_000)
    sandbox.faults.bandwidth_bytes_per_s = 400_000
    started = time.monotonic()
    assert len(client.get("payload").content) == 200_000
    assert client.put("payload2", b"q" * 200_000).status_code == 200
    assert time.monotonic() - started >= 0.9


def test_next_complete_answers_200_with_an_error_body(client: SignedClient, sandbox: SandboxServer) -> None:
    upload_id = ET.fromstring(client.request("POST", "k", params={"uploads": ""}).content).findtext(
        "UploadId"
    )
    etag = client.request(
        "PUT", "k", params={"partNumber": "1", "uploadId": upload_id}, content=b"x"
    ).headers["ETag"]
    body = (
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
        f"<ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    )
    sandbox.faults.fail_next_complete_with_error_body()
    failed = client.request("POST", "k", params={"uploadId": upload_id}, content=body.encode())
    assert failed.status_code == 200
    assert ET.fromstring(failed.content).tag == "Error"
    done = client.request("POST", "k", params={"uploadId": upload_id}, content=body.encode())
    assert ET.fromstring(done.content).tag == "CompleteMultipartUploadResult"


def test_faults_reject_unknown_settings(sandbox: SandboxServer) -> None:
    with pytest.raises(AttributeError):
        sandbox.faults.error_rat = 1.0  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        sandbox.faults.error_status = 404
    sandbox.faults.update(error_rate=0.2, latency_s=1.0)
    sandbox.faults.reset()
    assert sandbox.faults.error_rate == 0 and sandbox.faults.latency_s == 0
