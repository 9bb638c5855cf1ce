"""Which connections the client keeps, reused from request to request (counted
by a TCP proxy in front of the local server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.tcp_proxy import TcpProxy

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint

from .conftest import TEST_BUCKET, TEST_REGION


@pytest.fixture
def proxy(sandbox: Any) -> Iterator[TcpProxy]:
    with TcpProxy(sandbox.port) as running:
        yield running


def test_a_head_request_keeps_its_connection(proxy: TcpProxy, credentials: Credentials) -> None:
    endpoint = Endpoint.custom(proxy.endpoint, region=TEST_REGION)
    with CosClient(credentials, endpoint, timeout_s=20) as client:
        client.put_object(TEST_BUCKET, "conn/head", b"x")
        for _ in range(3):
            assert client.head_object(TEST_BUCKET, "conn/head").content_length == 1
    assert proxy.connections == 1
