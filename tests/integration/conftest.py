"""Fixtures for the client against real HTTP: a CosClient on the local server, and a
tiny scripted HTTP server for answers the real server never gives (garbage,
entity bombs, a 200 Complete with no ETag)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from support.raw_http import http_answer, read_request

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint

# As in tests/conftest.py (the sandbox fixture's bucket and region).
TEST_BUCKET = "examplebucket-1250000000"
TEST_REGION = "ap-guangzhou"


@pytest.fixture
def bucket() -> str:
    return TEST_BUCKET


@pytest.fixture
def cos_client(sandbox: object, credentials: Credentials) -> Iterator[CosClient]:
    """A client on the sandbox, path style (``http://127.0.0.1:PORT/{bucket}/{key}``)."""
    endpoint = Endpoint.custom(sandbox.endpoint, path_style=True, region=TEST_REGION)  # type: ignore[attr-defined]
    client = CosClient(credentials, endpoint, timeout_s=20)
    try:
        yield client
    finally:
        client.close()


# A scripted answer: chunks of raw bytes, each optionally preceded by a pause (seconds).
Script = Sequence[bytes | float]


@dataclass
class ScriptedServer:
    """Answers every request on 127.0.0.1 with ``respond(request_bytes)``'s script."""

    respond: Callable[[bytes], Script]
    requests: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            try:
                request = read_request(connection)
                if request is None:
                    return
                self.requests.append(request)
                for item in self.respond(request):
                    if isinstance(item, float):
                        time.sleep(item)
                    else:
                        connection.sendall(item)
            except OSError:
                return

    def close(self) -> None:
        self._socket.close()


@pytest.fixture(name="http_answer")
def http_answer_fixture() -> Callable[..., bytes]:
    """Builds a complete raw HTTP answer: ``http_answer("200 OK", body, headers)``."""
    return http_answer


@pytest.fixture
def scripted_server() -> Iterator[Callable[[Callable[[bytes], Script]], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(respond: Callable[[bytes], Script]) -> ScriptedServer:
        server = ScriptedServer(respond)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def client_for(credentials: Credentials) -> Iterator[Callable[[str], CosClient]]:
    """Clients (path style) for any endpoint URL, closed after the test."""
    clients: list[CosClient] = []

    def make(url: str) -> CosClient:
        client = CosClient(
            credentials, Endpoint.custom(url, path_style=True), timeout_s=10, connect_timeout_s=5
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
