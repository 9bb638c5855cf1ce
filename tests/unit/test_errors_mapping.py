"""COS error codes to exception classes, pickling, texts without secrets.
Answers come from httpx's MockTransport: our client code runs unchanged."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable

import httpx
import pytest

from cosdesk.cos import errors
from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import CosError, CosNetworkError, CosResponseError, NetworkErrorKind

BUCKET = "examplebucket-1250000000"
SECRET_KEY = "super-secret-key-value"
TOKEN = "session-token-value"

BRANCHED_CODES = [
    "NoSuchUpload",
    "NoSuchKey",
    "NoSuchBucket",
    "EntityTooSmall",
    "InvalidPart",
    "InvalidPartOrder",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "InvalidAccessKeyId",
    "RequestTimeTooSkewed",
    "SlowDown",
    "BadDigest",
    "PositionNotEqualToLength",
    "InvalidArgument",
    "RequestTimeout",
    "InternalError",
    "ObjectNotAppendable",
    "MalformedXML",
    "InvalidDigest",
    "EntityTooLarge",
]


def error_body(code: str, message: str = "it failed") -> bytes:
    return (
        f"<?xml version='1.0' encoding='utf-8'?><Error><Code>{code}</Code><Message>{message}</Message>"
        f"<Resource>/k</Resource><RequestId>req-{code}</RequestId><TraceId>t</TraceId></Error>"
    ).encode()


def client_answering(handler: Callable[[httpx.Request], httpx.Response]) -> CosClient:
    credentials = Credentials("AKIDtest", SECRET_KEY, session_token=TOKEN)
    return CosClient(credentials, Endpoint.custom("http://cos.test"), transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("code", BRANCHED_CODES)
def test_each_code_maps_to_its_own_subclass(code: str) -> None:
    with (
        client_answering(lambda request: httpx.Response(400, content=error_body(code))) as client,
        pytest.raises(CosError) as caught,
    ):
        client.put_object(BUCKET, "k", b"x")
    error = caught.value
    assert type(error).__name__ == code
    assert type(error) is getattr(errors, code)
    assert (error.status_code, error.code, error.message) == (400, code, "it failed")
    assert error.request_id == f"req-{code}"
    assert error.resource == "/k"
    assert str(error) == f"{code} (400): it failed [resource /k; request id req-{code}]"


def test_unknown_code_gives_plain_cos_error() -> None:
    with (
        client_answering(lambda request: httpx.Response(400, content=error_body("BrandNewCode"))) as client,
        pytest.raises(CosError) as caught,
    ):
        client.put_object(BUCKET, "k", b"x")
    assert type(caught.value) is CosError
    assert caught.value.code == "BrandNewCode"


def test_access_denied_request_has_expired_is_a_clock_skew_error() -> None:
    expired = CosError.create(403, "AccessDenied", "Request has expired")
    assert isinstance(expired, errors.RequestExpired)
    assert isinstance(expired, errors.AccessDenied) and isinstance(expired, errors.ClockSkewed)
    assert expired.code == "AccessDenied"


def test_other_access_denied_answers_are_not_clock_errors() -> None:
    denied = CosError.create(403, "AccessDenied", "Access Denied. Request has expired keys elsewhere")
    assert type(denied) is errors.AccessDenied


def test_request_time_too_skewed_is_a_clock_skew_error() -> None:
    assert isinstance(CosError.create(403, "RequestTimeTooSkewed", "m"), errors.ClockSkewed)


def test_request_expired_does_not_replace_access_denied_in_the_registry() -> None:
    assert CosError.registry["AccessDenied"] is errors.AccessDenied


def test_the_cos_layer_makes_no_retry_decision() -> None:
    # Whether to try again is decided by type in cosdesk.engine.retry, not here.
    assert not hasattr(errors, "RETRYABLE_CODES")
    assert not hasattr(CosError.create(500, "InternalError", "m"), "retryable")


def test_errors_survive_pickling_with_their_class_and_fields() -> None:
    error = CosError.create(404, "NoSuchUpload", "gone", request_id="r", resource="/k", headers={"a": "b"})
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is errors.NoSuchUpload
    assert (copy.status_code, copy.code, copy.message, copy.request_id, dict(copy.headers)) == (
        404,
        "NoSuchUpload",
        "gone",
        "r",
        {"a": "b"},
    )
    network = pickle.loads(pickle.dumps(CosNetworkError("m", kind=NetworkErrorKind.DNS, host="h:1")))
    assert network.kind is NetworkErrorKind.DNS


def test_error_carries_response_headers() -> None:
    answer = httpx.Response(404, content=error_body("NoSuchKey"), headers={"x-cos-request-id": "hdr-id"})
    with client_answering(lambda request: answer) as client, pytest.raises(errors.NoSuchKey) as caught:
        client.get_object(BUCKET, "k")
    assert caught.value.headers["x-cos-request-id"] == "hdr-id"


def test_head_404_without_body_is_no_such_key() -> None:
    with client_answering(lambda request: httpx.Response(404)) as client, pytest.raises(errors.NoSuchKey):
        client.head_object(BUCKET, "k")


def test_head_403_without_body_is_access_denied() -> None:
    with client_answering(lambda request: httpx.Response(403)) as client, pytest.raises(errors.AccessDenied):
        client.head_object(BUCKET, "k")


def test_error_inside_200_body_is_raised() -> None:
    answer = httpx.Response(200, content=b"  \n  " + error_body("InternalError", "assembly failed"))
    with client_answering(lambda request: answer) as client, pytest.raises(errors.InternalError) as caught:
        client.complete_multipart_upload(BUCKET, "k", "u", [(1, "e")])
    assert caught.value.status_code == 200


def test_put_without_etag_is_a_response_error() -> None:
    with (
        client_answering(lambda request: httpx.Response(200)) as client,
        pytest.raises(CosResponseError, match="without an ETag"),
    ):
        client.put_object(BUCKET, "k", b"x")


def test_crc64_that_differs_from_what_was_sent_is_an_error() -> None:
    headers = {"ETag": '"e"', "x-cos-hash-crc64ecma": "12345"}
    with (
        client_answering(lambda request: httpx.Response(200, headers=headers)) as client,
        pytest.raises(errors.CrcMismatchError, match="CRC-64"),
    ):
        client.put_object(BUCKET, "k", b"hello")


def test_secret_key_token_and_signature_never_appear_in_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(403, content=error_body("SignatureDoesNotMatch"))

    with caplog.at_level(logging.DEBUG, logger="cosdesk.cos"), client_answering(handler) as client:
        with pytest.raises(CosError) as caught:
            client.put_object(BUCKET, "k", b"x")
        client_repr = repr(client)
    signature = seen[0].headers["authorization"].rsplit("q-signature=", 1)[1]
    visible = caplog.text + str(caught.value) + repr(caught.value) + client_repr + repr(client.credentials)
    assert "Authorization" in caplog.text and "<redacted>" in caplog.text
    for secret in (SECRET_KEY, TOKEN, signature):
        assert secret not in visible
