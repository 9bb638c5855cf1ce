"""Which connections the client keeps, reused from request to request (counted
by a TCP proxy in front of the local server)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from support.tcp_proxy import TcpProxy

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.connection_need import WINDOW
from cosdesk.cos.endpoint import Endpoint

from .conftest import TEST_BUCKET, TEST_REGION


@pytest.fixture
def proxy(sandbox: Any) -> Iterator[TcpProxy]:
    with TcpProxy(sandbox.port) as running:
        yield running


@pytest.fixture
def client(proxy: TcpProxy, credentials: Credentials) -> Iterator[CosClient]:
    """A client through the proxy, and an object to HEAD."""
    endpoint = Endpoint.custom(proxy.endpoint, region=TEST_REGION)
    with CosClient(credentials, endpoint, timeout_s=20) as made:
        made.put_object(TEST_BUCKET, "conn/head", b"x")
        yield made


def test_a_head_request_keeps_its_connection(proxy: TcpProxy, client: CosClient) -> None:
    for _ in range(3):
        assert client.head_object(TEST_BUCKET, "conn/head").content_length == 1
    assert proxy.connections == 1


def heads_at_once(client: CosClient, lanes: int, each: int) -> None:
    """``lanes`` threads, each sending ``each`` HEADs one after another."""

    def lane() -> None:
        for _ in range(each):
            client.head_object(TEST_BUCKET, "conn/head")

    threads = [threading.Thread(target=lane) for _ in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def test_connections_that_fewer_requests_at_once_leave_idle_are_closed(
    proxy: TcpProxy, sandbox: Any, client: CosClient
) -> None:
    # Each idle connection costs the pool a poll() twice per request (cos/connection_need.py).
    sandbox.faults.latency_s = 0.2  # four at once, on four connections
    heads_at_once(client, lanes=4, each=1)
    assert proxy.connections == 4
    sandbox.faults.latency_s = 0
    heads_at_once(client, lanes=1, each=2 * WINDOW)  # a whole run of one at a time
    assert proxy.connections == 4
    sandbox.faults.latency_s = 0.2
    heads_at_once(client, lanes=4, each=1)
    # One connection was kept: the other three were closed and had to be made again.
    assert proxy.connections == 7


def test_connections_that_requests_keep_using_at_once_are_kept(
    proxy: TcpProxy, sandbox: Any, client: CosClient
) -> None:
    sandbox.faults.latency_s = 0.01  # the four lanes' requests overlap
    heads_at_once(client, lanes=4, each=WINDOW)  # four runs of WINDOW requests
    assert proxy.connections == 4
