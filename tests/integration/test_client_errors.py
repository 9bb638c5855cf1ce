"""Refusals, network failures, garbage and hostile answers, clock skew, concurrency."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import (
    ClientStopped,
    CosError,
    CosException,
    CosNetworkError,
    CosResponseError,
    InvalidAccessKeyId,
    NetworkErrorKind,
    NoSuchBucket,
    SignatureDoesNotMatch,
)
from cosdesk.engine.retry import is_retryable

SECRET_ID = "AKIDcosdeskTESTsecretid"
SECRET_KEY = "cosdesk-TEST-secret-key-0123456789"


def client_with(sandbox: Any, credentials: Credentials) -> CosClient:
    return CosClient(credentials, Endpoint.custom(sandbox.endpoint), timeout_s=10)


def test_wrong_secret_key_raises_signature_does_not_match(sandbox: Any, bucket: str) -> None:
    with (
        client_with(sandbox, Credentials(SECRET_ID, "wrong-key")) as client,
        pytest.raises(SignatureDoesNotMatch) as caught,
    ):
        client.put_object(bucket, "denied.txt", b"x")
    error = caught.value
    assert error.status_code == 403
    assert error.code == "SignatureDoesNotMatch"
    assert error.request_id
    assert not is_retryable(error)
    assert "wrong-key" not in str(error) + repr(error)


def test_unknown_secret_id_raises_invalid_access_key_id(sandbox: Any, bucket: str) -> None:
    with (
        client_with(sandbox, Credentials("AKIDnobody", SECRET_KEY)) as client,
        pytest.raises(InvalidAccessKeyId),
    ):
        client.list_objects(bucket)


def test_unknown_bucket_raises_no_such_bucket(cos_client: CosClient) -> None:
    with pytest.raises(NoSuchBucket):
        cos_client.list_objects("otherbucket-1250000000")


def test_refused_connection_is_a_network_error_with_a_clear_message(credentials: Credentials) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now.
    with (
        CosClient(credentials, Endpoint.custom(f"http://127.0.0.1:{port}")) as client,
        pytest.raises(CosNetworkError) as caught,
    ):
        client.put_object("examplebucket-1250000000", "k", b"x")
    assert str(caught.value) == f"could not connect to 127.0.0.1:{port}: connection refused"
    assert caught.value.kind is NetworkErrorKind.CONNECTION_REFUSED
    assert is_retryable(caught.value)
    assert isinstance(caught.value, CosException)
    assert not isinstance(caught.value, CosError)


def test_unresolvable_host_is_a_dns_network_error(credentials: Credentials) -> None:
    endpoint = Endpoint.custom("http://no-such-host.invalid:8080")
    with (
        CosClient(credentials, endpoint, connect_timeout_s=5) as client,
        pytest.raises(CosNetworkError) as caught,
    ):
        client.list_objects("examplebucket-1250000000")
    assert caught.value.kind is NetworkErrorKind.DNS
    assert "could not resolve host no-such-host.invalid" in str(caught.value)


def test_read_timeout_is_a_timeout_network_error(
    scripted_server: Callable[..., Any], credentials: Credentials
) -> None:
    server = scripted_server(lambda request: [2.0])
    with (
        CosClient(credentials, Endpoint.custom(server.endpoint), timeout_s=0.3) as client,
        pytest.raises(CosNetworkError) as caught,
    ):
        client.head_object("examplebucket-1250000000", "slow")
    assert caught.value.kind is NetworkErrorKind.TIMEOUT
    assert "timed out waiting for 127.0.0.1" in str(caught.value)


def test_stopping_ends_a_request_waiting_on_a_silent_server_at_once_and_refuses_more(
    scripted_server: Callable[..., Any], credentials: Credentials
) -> None:
    """Quitting ends the requests in flight: one waiting for an answer that does
    not come used to wait for its read timeout, and its retries as long again."""
    server = scripted_server(lambda request: [30.0])
    with CosClient(credentials, Endpoint.custom(server.endpoint), timeout_s=30) as client:
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(client.put_object, "examplebucket-1250000000", "waits.txt", b"no answer")
            while not server.requests:  # the server has it: the client waits for the answer
                threading.Event().wait(0.01)
            client.stop_requests()
            with pytest.raises(ClientStopped, match=r"PUT to 127\.0\.0\.1:\d+ ended: cosdesk is stopping"):
                waiting.result(timeout=2)
        with pytest.raises(ClientStopped, match=r"HEAD to 127\.0\.0\.1:\d+ not sent: cosdesk is stopping"):
            client.head_object("examplebucket-1250000000", "k")
    assert len(server.requests) == 1
    assert not is_retryable(ClientStopped("stopping"))


def test_connection_closed_without_answer_is_a_reset_network_error(
    scripted_server: Callable[..., Any], client_for: Callable[[str], CosClient]
) -> None:
    server = scripted_server(lambda request: [])
    with pytest.raises(CosNetworkError) as caught:
        client_for(server.endpoint).head_object("examplebucket-1250000000", "k")
    assert caught.value.kind is NetworkErrorKind.CONNECTION_RESET


def test_connection_reset_mid_upload_is_a_network_error(
    cos_client: CosClient, sandbox: Any, bucket: str
) -> None:
    sandbox.faults.reset_after_bytes = 100_000
    try:
        with pytest.raises(CosNetworkError) as caught:
            cos_client.put_object(bucket, "reset.bin", b"r" * 3_000_000)
    finally:
        sandbox.faults.reset()
    assert is_retryable(caught.value)
    assert cos_client.put_object(bucket, "reset.bin", b"ok").status_code == 200


def test_server_errors_are_retryable(cos_client: CosClient, sandbox: Any, bucket: str) -> None:
    sandbox.faults.update(error_rate=1.0, error_status=503)
    try:
        with pytest.raises(CosError) as caught:
            cos_client.put_object(bucket, "busy", b"x")
    finally:
        sandbox.faults.reset()
    assert caught.value.status_code == 503
    assert is_retryable(caught.value)


def test_garbage_answer_is_a_clear_response_error(
    scripted_server: Callable[..., Any],
    client_for: Callable[[str], CosClient],
    http_answer: Callable[..., bytes],
) -> None:
    server = scripted_server(lambda request: [http_answer("200 OK", b"\x00\xffnot xml at all <<<")])
    with pytest.raises(CosResponseError, match="not XML") as caught:
        client_for(server.endpoint).list_objects("examplebucket-1250000000")
    assert caught.value.status_code == 200


def test_non_xml_error_page_from_a_proxy_keeps_its_status(
    scripted_server: Callable[..., Any],
    client_for: Callable[[str], CosClient],
    http_answer: Callable[..., bytes],
) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body>"
    server = scripted_server(lambda request: [http_answer("502 Bad Gateway", page)])
    with pytest.raises(CosError) as caught:
        client_for(server.endpoint).put_object("examplebucket-1250000000", "k", b"x")
    assert caught.value.status_code == 502
    assert is_retryable(caught.value)


def test_entity_bomb_from_a_hostile_server_is_refused_quickly(
    scripted_server: Callable[..., Any],
    client_for: Callable[[str], CosClient],
    http_answer: Callable[..., bytes],
) -> None:
    entities = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY e0 "lol">{entities}]>'
        "<ListBucketResult>&e9;</ListBucketResult>"
    )
    server = scripted_server(lambda request: [http_answer("200 OK", bomb.encode())])
    with pytest.raises(CosResponseError, match="unsafe XML"):
        client_for(server.endpoint).list_objects("examplebucket-1250000000")


def test_clock_skew_is_corrected_from_the_server_date_and_retried_once(
    cos_client: CosClient, sandbox: Any, bucket: str
) -> None:
    sandbox.faults.clock_offset_s = 7200.0
    try:
        result = cos_client.put_object(bucket, "skewed.txt", b"in time")
        assert result.status_code == 200
        assert abs(cos_client.clock_offset_s - 7200.0) < 30
        # Later requests are signed with the corrected clock at once.
        assert cos_client.get_object(bucket, "skewed.txt").content == b"in time"
    finally:
        sandbox.faults.reset()


def test_clock_skew_retry_rewinds_progress(cos_client: CosClient, sandbox: Any, bucket: str) -> None:
    sandbox.faults.clock_offset_s = -7200.0
    progress: list[int] = []
    try:
        cos_client.put_object(bucket, "skewed-progress.bin", b"s" * 3_000_000, progress=progress.append)
    finally:
        sandbox.faults.reset()
    assert sum(progress) == 3_000_000


def test_one_client_serves_sixteen_threads_at_once(cos_client: CosClient, bucket: str) -> None:
    def upload(number: int) -> str:
        return cos_client.put_object(bucket, f"threads/{number}", str(number) * 1000).etag

    with ThreadPoolExecutor(16) as pool:
        etags = list(pool.map(upload, range(64)))
    assert len(set(etags)) == 64
    assert len(list(cos_client.iter_objects(bucket, prefix="threads/"))) == 64


def test_debug_log_redacts_authorization_and_token(
    sandbox: Any, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    credentials = Credentials(SECRET_ID, SECRET_KEY, session_token="SESSION-TOKEN-VALUE")
    with (
        caplog.at_level(logging.DEBUG, logger="cosdesk.cos"),
        client_with(sandbox, credentials) as client,
        pytest.raises(CosError) as caught,
    ):
        client.put_object(bucket, "logged.txt", b"x")
    text = caplog.text + str(caught.value) + repr(caught.value) + repr(client) + repr(credentials)
    assert "PUT" in caplog.text
    assert "<redacted>" in caplog.text
    assert SECRET_KEY not in text
    assert "SESSION-TOKEN-VALUE" not in text
    assert "q-signature" not in text


def test_threads_share_the_learned_clock_offset(cos_client: CosClient, sandbox: Any, bucket: str) -> None:
    sandbox.faults.clock_offset_s = 3600.0
    errors: list[BaseException] = []

    def work() -> None:
        try:
            cos_client.put_object(bucket, f"clock/{threading.get_ident()}", b"x")
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sandbox.faults.reset()
    assert errors == []
