"""The local server against broken HTTP framing: every case is answered 400 with a
COS error document (never a dropped connection without an answer, never a
handler traceback), and the connection is closed after it because the next
request's start can no longer be known."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from support.raw_wire import AnswerReader, head_bytes, send_raw
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer

TEST_BUCKET = "examplebucket-1250000000"
TEST_REGION = "ap-guangzhou"


@pytest.fixture
def client(sandbox: SandboxServer, credentials: Credentials) -> Iterator[SignedClient]:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as signed:
        yield signed


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG, logger="cosdesk.sandbox")
    yield
    crashes = [
        r for r in caplog.records if r.name.startswith("cosdesk.sandbox") and r.levelno >= logging.ERROR
    ]
    assert not crashes, [r.getMessage() for r in crashes]


def _signed_put(client: SignedClient, key: str, headers: dict[str, str]) -> list[tuple[str, str]]:
    signed = client.signed_headers("PUT", key)
    return [*signed.items(), *headers.items()]


@pytest.mark.parametrize("length", ["abc", "-5", "5, 5", "0x10", "", "+5", "5 5", "99999999999999999999999"])
def test_an_invalid_content_length_is_400(sandbox: SandboxServer, client: SignedClient, length: str) -> None:
    head = head_bytes("PUT /bad HTTP/1.1", _signed_put(client, "bad", {"Content-Length": length}))
    answer = send_raw(sandbox.port, head + b"hello")
    assert answer.status == 400
    assert answer.error_code == "InvalidRequest"
    assert answer.closed
    assert client.get("bad").status_code == 404


@pytest.mark.parametrize("second", ["7", "5"])
def test_two_content_length_headers_are_400(
    sandbox: SandboxServer, client: SignedClient, second: str
) -> None:
    headers = [*_signed_put(client, "twice", {"Content-Length": "5"}), ("Content-Length", second)]
    answer = send_raw(sandbox.port, head_bytes("PUT /twice HTTP/1.1", headers) + b"hello")
    assert (answer.status, answer.error_code, answer.closed) == (400, "InvalidRequest", True)
    assert client.get("twice").status_code == 404


def test_content_length_beside_chunked_is_400(sandbox: SandboxServer, client: SignedClient) -> None:
    headers = _signed_put(client, "both", {"Content-Length": "5", "Transfer-Encoding": "chunked"})
    answer = send_raw(sandbox.port, head_bytes("PUT /both HTTP/1.1", headers) + b"5\r\nhello\r\n0\r\n\r\n")
    assert (answer.status, answer.error_code) == (400, "InvalidRequest")
    assert client.get("both").status_code == 404


@pytest.mark.parametrize(
    "size_line", [b"0x5", b"+5", b"0_5", b"-5", b" 5x", b"0" * 1100 + b"5", b"5" + b"0" * 20, b"zz"]
)
def test_a_malformed_chunk_size_is_400(
    sandbox: SandboxServer, client: SignedClient, size_line: bytes
) -> None:
    head = head_bytes("PUT /chunky HTTP/1.1", _signed_put(client, "chunky", {"Transfer-Encoding": "chunked"}))
    answer = send_raw(sandbox.port, head + size_line + b"\r\nhello\r\n0\r\n\r\n" + b"x" * 100)
    assert answer.status == 400
    assert answer.error_code == "InvalidRequest"
    assert answer.closed
    assert client.get("chunky").status_code == 404


def test_a_chunk_line_that_never_ends_is_400(sandbox: SandboxServer, client: SignedClient) -> None:
    head = head_bytes(
        "PUT /endless HTTP/1.1", _signed_put(client, "endless", {"Transfer-Encoding": "chunked"})
    )
    answer = send_raw(sandbox.port, head + b"5;" + b"e" * 200_000)
    assert (answer.status, answer.error_code, answer.closed) == (400, "InvalidRequest", True)


def test_a_well_formed_chunked_body_is_stored_and_the_connection_goes_on(
    sandbox: SandboxServer, client: SignedClient
) -> None:
    head = head_bytes("PUT /fine HTTP/1.1", _signed_put(client, "fine", {"Transfer-Encoding": "chunked"}))
    follow_up = head_bytes("GET /fine HTTP/1.1", list(client.signed_headers("GET", "fine").items()))
    answer = send_raw(
        sandbox.port, head + b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n" + follow_up
    )
    assert answer.status == 200 and not answer.closed
    assert client.get("fine").content == b"hello world"


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
        b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n",  # a TLS hello
    ],
)
def test_a_malformed_head_is_answered_400(sandbox: SandboxServer, raw: bytes) -> None:
    answer = send_raw(sandbox.port, raw)
    assert answer.status == 400
    assert answer.error_code in ("InvalidRequest", "RequestHeaderSectionTooLarge")
    assert answer.closed


def test_a_head_cut_short_by_the_client_gets_400_or_a_close(sandbox: SandboxServer) -> None:
    answer = send_raw(sandbox.port, b"PUT /half HTTP/1.1\r\nHost: x\r\nContent-Le")
    assert answer.status in (0, 400)
    assert answer.closed


def test_a_body_cut_short_stores_nothing(sandbox: SandboxServer, client: SignedClient) -> None:
    head = head_bytes("PUT /short HTTP/1.1", _signed_put(client, "short", {"Content-Length": "100"}))
    answer = send_raw(sandbox.port, head + b"x" * 40)
    assert answer.closed
    assert client.get("short").status_code == 404


def test_pipelined_requests_are_answered_in_order(sandbox: SandboxServer, client: SignedClient) -> None:
    client.put("one", b"first")
    client.put("two", b"second!")
    get_one = head_bytes("GET /one HTTP/1.1", list(client.signed_headers("GET", "one").items()))
    get_two = head_bytes("HEAD /two HTTP/1.1", list(client.signed_headers("HEAD", "two").items()))
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as sock:
        sock.sendall(get_one + get_two)
        answers = AnswerReader(sock)
        first, second = answers.answer(), answers.answer(to_head=True)
    assert (first.status, first.body) == (200, b"first")
    assert (second.status, second.headers["content-length"]) == (200, "7")


def test_an_http_1_0_request_is_answered_and_closed(sandbox: SandboxServer, client: SignedClient) -> None:
    client.put("old", b"x")
    answer = send_raw(
        sandbox.port, head_bytes("GET /old HTTP/1.0", list(client.signed_headers("GET", "old").items()))
    )
    assert (answer.status, answer.body, answer.closed) == (200, b"x", True)
