"""The client honours the proxy variables of the environment, as httpx.Client did
before CosClient sent through httpx's transports itself: a real forwarding proxy
on 127.0.0.1 in front of the local server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.raw_http import RawHttpServer, forward

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint

from .conftest import TEST_BUCKET, TEST_REGION


@pytest.fixture
def proxy(sandbox: object) -> Iterator[RawHttpServer]:
    """An HTTP forward proxy: takes ``PUT http://host:port/path HTTP/1.1`` and sends
    ``PUT /path HTTP/1.1`` on to the local server."""
    port = int(sandbox.endpoint.rsplit(":", 1)[1])  # type: ignore[attr-defined]

    def relay(request: bytes) -> bytes:
        method, target, rest = request.split(b" ", 2)
        origin_form = b"/" + target.split(b"/", 3)[3] if target.startswith(b"http://") else target
        return forward(b" ".join([method, origin_form, rest]), port)

    server = RawHttpServer(relay)
    yield server
    server.close()


def put_through_env(sandbox: object, credentials: Credentials) -> None:
    endpoint = Endpoint.custom(sandbox.endpoint, path_style=True, region=TEST_REGION)  # type: ignore[attr-defined]
    with CosClient(credentials, endpoint, timeout_s=20) as client:
        client.put_object(TEST_BUCKET, "via/proxy.txt", b"through the proxy")
        assert client.get_object(TEST_BUCKET, "via/proxy.txt").content == b"through the proxy"


def test_http_proxy_from_the_environment_carries_the_requests(
    sandbox: object, credentials: Credentials, proxy: RawHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", proxy.endpoint)
    put_through_env(sandbox, credentials)
    lines = [request.split(b"\r\n", 1)[0] for request in proxy.requests]
    origin = sandbox.endpoint.encode()  # type: ignore[attr-defined]
    assert lines == [
        b"PUT " + origin + b"/" + TEST_BUCKET.encode() + b"/via/proxy.txt HTTP/1.1",
        b"GET " + origin + b"/" + TEST_BUCKET.encode() + b"/via/proxy.txt HTTP/1.1",
    ]


def test_no_proxy_sends_straight_to_the_server(
    sandbox: object, credentials: Credentials, proxy: RawHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ALL_PROXY", "all_proxy", "HTTP_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", proxy.endpoint)
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    put_through_env(sandbox, credentials)
    assert proxy.requests == []
