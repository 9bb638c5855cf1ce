"""The server's SigV4 check against botocore's signer (an independent implementation),
the specification's own examples, and the x-amz → x-cos header translation."""

from __future__ import annotations

import copy
import datetime
import time
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest
from botocore import auth as botocore_auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials
from hypothesis import given, settings
from hypothesis import strategies as st

from cosdesk.sandbox import routing, s3_compat, sigv4
from cosdesk.sandbox.errors import CosServerError
from cosdesk.sandbox.request_auth import AuthPolicy, verify

SECRET_ID = "AKIDsigv4unittest"
SECRET_KEY = "sigv4-unit-secret/key+0123"
REGION = "ap-guangzhou"
HOST = "examplebucket-1250000000.s3.sandbox.test:8080"
POLICY = AuthPolicy(credentials={SECRET_ID: SECRET_KEY}, session_tokens={"tok-1": ("AKIDtemp", "temp-key")})


class Signed:
    """A request as it leaves botocore: method, raw path and query, headers."""

    def __init__(self, request: AWSRequest) -> None:
        prepared = request.prepare()
        parts = urlsplit(prepared.url)
        self.method = prepared.method
        self.raw_path = parts.path
        self.raw_query = parts.query
        self.headers = [(name, str(value)) for name, value in prepared.headers.items()]
        # The HTTP library adds Host from the URL; botocore signed that.
        self.headers.append(("Host", parts.netloc))


@pytest.fixture
def signing_time() -> Iterator[list[datetime.datetime]]:
    """The clock botocore signs with (the real one unless a test sets it)."""
    moments: list[datetime.datetime] = []
    original = botocore_auth.get_current_datetime

    def fake_now() -> datetime.datetime:
        return moments[0] if moments else original()

    botocore_auth.get_current_datetime = fake_now
    try:
        yield moments
    finally:
        botocore_auth.get_current_datetime = original


def sign(
    method: str,
    path: str,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    secret_id: str = SECRET_ID,
    secret_key: str = SECRET_KEY,
    token: str | None = None,
    presign_expires_s: int | None = None,
) -> Signed:
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, headers=dict(headers or {}), data=body)
    credentials = BotocoreCredentials(secret_id, secret_key, token)
    signer: botocore_auth.SigV4Auth
    if presign_expires_s is None:
        signer = botocore_auth.S3SigV4Auth(credentials, "s3", REGION)
    else:
        signer = botocore_auth.S3SigV4QueryAuth(credentials, "s3", REGION, expires=presign_expires_s)
    signer.add_auth(request)
    return Signed(request)


def check(signed: Signed, *, policy: AuthPolicy = POLICY, now: float | None = None) -> str | None:
    return verify(
        policy,
        method=signed.method,
        signed_paths=("/",),  # COS's notion of the path; SigV4 reads the raw path instead
        query=routing.parse_query(signed.raw_query),
        headers=signed.headers,
        now=time.time() if now is None else now,
        raw_path=signed.raw_path,
        raw_query=signed.raw_query,
    )


def code_of(signed: Signed, **kwargs: object) -> str:
    with pytest.raises(CosServerError) as refused:
        check(signed, **kwargs)  # type: ignore[arg-type]
    return refused.value.code


# Keys and values with everything that makes encoding hard: spaces, "+", "%",
# reserved characters, non-ASCII, "/" runs and dots.
tricky_text = st.text(
    alphabet=st.sampled_from([*"aZ09-_.~ +%/!*'()&=?#@:;,$[]\"<>^`{}|\\", "中", "é", "😀"]),
    min_size=1,
    max_size=20,
)


def as_path(key: str) -> str:
    """The path an S3 client sends for a key (botocore quotes keys this way)."""
    return "/" + quote(key.encode("utf-8"), safe="/~")


@settings(max_examples=150, deadline=None)
@given(
    key=tricky_text,
    params=st.lists(st.tuples(tricky_text, st.text(max_size=10)), max_size=4),
    meta=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
)
def test_header_signatures_made_by_botocore_verify(
    key: str, params: list[tuple[str, str]], meta: str, method: str
) -> None:
    query = "&".join(f"{quote(n, safe='-_.~')}={quote(v, safe='-_.~')}" for n, v in params)
    headers = {"x-amz-meta-note": f"  {meta}  with   spaces ", "Content-Type": "text/plain"}
    signed = sign(method, as_path(key), query, headers, body=b"payload")
    assert check(signed) == SECRET_ID
    assert code_of(sign(method, as_path(key), query, headers, secret_key="wrong")) == "SignatureDoesNotMatch"


@settings(max_examples=80, deadline=None)
@given(key=tricky_text, params=st.lists(st.tuples(tricky_text, st.text(max_size=10)), max_size=3))
def test_presigned_urls_made_by_botocore_verify(key: str, params: list[tuple[str, str]]) -> None:
    query = "&".join(f"{quote(n, safe='-_.~')}={quote(v, safe='-_.~')}" for n, v in params)
    signed = sign("PUT", as_path(key), query, presign_expires_s=600)
    assert check(signed) == SECRET_ID
    wrong = sign("PUT", as_path(key), query, secret_key="wrong", presign_expires_s=600)
    assert code_of(wrong) == "SignatureDoesNotMatch"


def test_bare_query_names_and_repeated_names_are_signed_as_the_spec_says() -> None:
    signed = sign("POST", "/k", "uploads")
    assert signed.raw_query == "uploads"
    assert check(signed) == SECRET_ID
    assert sigv4.canonical_query("b=2&a=1&a=0&uploads") == "a=0&a=1&b=2&uploads="


def test_changing_anything_signed_breaks_the_signature() -> None:
    signed = sign("PUT", "/photos/a.jpg", "partNumber=1", {"x-amz-meta-who": "me"}, body=b"x")
    assert check(signed) == SECRET_ID
    changes: list[dict[str, object]] = [
        {"raw_path": "/photos/b.jpg"},
        {"raw_query": "partNumber=2"},
        {"method": "DELETE"},
        {"headers": [(n, "you" if n == "x-amz-meta-who" else v) for n, v in signed.headers]},
    ]
    for change in changes:
        tampered = copy.copy(signed)
        vars(tampered).update(change)
        assert code_of(tampered) == "SignatureDoesNotMatch", change


def test_the_specification_example_get_object_verifies() -> None:
    # AWS's published example: GET /test.txt from examplebucket, 24 May 2013.
    policy = AuthPolicy(credentials={"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
    headers = [
        ("Host", "examplebucket.s3.amazonaws.com"),
        ("Range", "bytes=0-9"),
        ("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("x-amz-date", "20130524T000000Z"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        ),
    ]
    moment = datetime.datetime(2013, 5, 24, tzinfo=datetime.UTC).timestamp()
    result = verify(
        policy,
        method="GET",
        signed_paths=("/test.txt",),
        query=[],
        headers=headers,
        now=moment + 60,
        raw_path="/test.txt",
        raw_query="",
    )
    assert result == "AKIAIOSFODNN7EXAMPLE"


def test_the_specification_example_presigned_url_verifies() -> None:
    policy = AuthPolicy(credentials={"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
    raw_query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )
    moment = datetime.datetime(2013, 5, 24, tzinfo=datetime.UTC).timestamp()
    arguments = {
        "method": "GET",
        "signed_paths": ("/test.txt",),
        "query": routing.parse_query(raw_query),
        "headers": [("Host", "examplebucket.s3.amazonaws.com")],
        "raw_path": "/test.txt",
        "raw_query": raw_query,
    }
    assert verify(policy, now=moment + 3600, **arguments) == "AKIAIOSFODNN7EXAMPLE"  # type: ignore[arg-type]
    with pytest.raises(CosServerError) as late:
        verify(policy, now=moment + 86400 + 1, **arguments)  # type: ignore[arg-type]
    assert (late.value.code, late.value.message) == ("AccessDenied", "Request has expired")


def test_a_path_signed_in_canonical_form_but_sent_otherwise_verifies() -> None:
    # Signed as "/a%21b%2Bc", sent with "!" left as it is and lower-case hex.
    signed = sign("GET", "/a%21b%2Bc")
    signed.raw_path = "/a!b%2bc"
    assert check(signed) == SECRET_ID


def test_header_signature_outside_the_skew_is_request_time_too_skewed(
    signing_time: list[datetime.datetime],
) -> None:
    signing_time.append(datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=20))
    assert code_of(sign("GET", "/k")) == "RequestTimeTooSkewed"
    signing_time[0] = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=20)
    assert code_of(sign("GET", "/k")) == "RequestTimeTooSkewed"
    signing_time[0] = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    assert check(sign("GET", "/k")) == SECRET_ID


def test_expired_presigned_url_is_access_denied_request_has_expired(
    signing_time: list[datetime.datetime],
) -> None:
    signing_time.append(datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2))
    signed = sign("GET", "/k", presign_expires_s=3600)
    with pytest.raises(CosServerError) as refused:
        check(signed)
    assert (refused.value.code, refused.value.message) == ("AccessDenied", "Request has expired")
    # Within its lifetime it works, hours after it was made.
    assert check(sign("GET", "/k", presign_expires_s=3 * 3600)) == SECRET_ID


def test_presigned_url_longer_than_a_week_is_refused() -> None:
    signed = sign("GET", "/k", presign_expires_s=3600)
    signed.raw_query = signed.raw_query.replace("X-Amz-Expires=3600", "X-Amz-Expires=604801")
    assert code_of(signed) == "AuthorizationQueryParametersError"


def test_temporary_keys_need_their_security_token() -> None:
    good = sign("GET", "/k", secret_id="AKIDtemp", secret_key="temp-key", token="tok-1")
    assert check(good) == "AKIDtemp"
    presigned = sign(
        "GET", "/k", secret_id="AKIDtemp", secret_key="temp-key", token="tok-1", presign_expires_s=60
    )
    assert "X-Amz-Security-Token=tok-1" in presigned.raw_query
    assert check(presigned) == "AKIDtemp"
    assert code_of(sign("GET", "/k", secret_id="AKIDtemp", secret_key="temp-key")) == "InvalidAccessKeyId"
    wrong_token = sign("GET", "/k", secret_id="AKIDtemp", secret_key="temp-key", token="tok-2")
    assert code_of(wrong_token) == "InvalidAccessKeyId"


def test_unknown_access_key_is_invalid_access_key_id() -> None:
    assert code_of(sign("GET", "/k", secret_id="AKIDnobody")) == "InvalidAccessKeyId"


def test_any_region_is_accepted_but_only_the_s3_service() -> None:
    request = AWSRequest(method="GET", url=f"http://{HOST}/k")
    botocore_auth.S3SigV4Auth(BotocoreCredentials(SECRET_ID, SECRET_KEY), "s3", "eu-west-9").add_auth(request)
    assert check(Signed(request)) == SECRET_ID
    request = AWSRequest(method="GET", url=f"http://{HOST}/k")
    botocore_auth.S3SigV4Auth(BotocoreCredentials(SECRET_ID, SECRET_KEY), "ec2", REGION).add_auth(request)
    assert code_of(Signed(request)) == "AccessDenied"


def test_header_form_without_content_sha256_is_a_clear_error() -> None:
    signed = sign("GET", "/k")
    signed.headers = [(n, v) for n, v in signed.headers if n.lower() != "x-amz-content-sha256"]
    with pytest.raises(CosServerError) as refused:
        check(signed)
    assert refused.value.status == 400 and "x-amz-content-sha256" in refused.value.message


def test_unsigned_payload_is_accepted() -> None:
    signed = sign("PUT", "/k", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, body=b"abc")
    assert check(signed) == SECRET_ID


def test_aws_chunked_bodies_are_refused_with_a_cos_error_after_the_signature_check() -> None:
    streaming = {
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked",
    }
    with pytest.raises(CosServerError) as refused:
        check(sign("PUT", "/k", headers=streaming))
    assert (refused.value.status, refused.value.code) == (501, "NotImplemented")
    assert code_of(sign("PUT", "/k", headers=streaming, secret_key="wrong")) == "SignatureDoesNotMatch"


def test_malformed_authorization_is_access_denied_not_a_crash() -> None:
    for value in (
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/r/s3, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/r/s3/aws4_request, SignedHeaders=date, Signature=00",
        "AWS4-HMAC-SHA256 Credential=/20240101/r/s3/aws4_request, SignedHeaders=host, Signature=00",
    ):
        signed = sign("GET", "/k")
        signed.headers = [(n, v) for n, v in signed.headers if n.lower() != "authorization"]
        signed.headers.append(("Authorization", value))
        assert code_of(signed) == "AccessDenied"


def test_credential_day_must_be_the_day_of_x_amz_date() -> None:
    signed = sign("GET", "/k")
    day = next(v for n, v in signed.headers if n.lower() == "x-amz-date")[:8]
    signed.headers = [
        (n, v.replace(f"/{day}/", "/20000101/") if n.lower() == "authorization" else v)
        for n, v in signed.headers
    ]
    assert code_of(signed) == "AccessDenied"


# --- x-amz headers in COS's terms ---------------------------------------------------


def test_x_amz_headers_are_also_given_under_their_x_cos_names() -> None:
    translated = s3_compat.cos_request_headers(
        [
            ("x-amz-meta-Colour", "blue"),
            ("x-amz-storage-class", "STANDARD_IA"),
            ("x-amz-metadata-directive", "REPLACE"),
            ("x-amz-copy-source", "/srcbucket-1250000000/dir/a%20b.txt?versionId=3"),
            ("x-amz-copy-source-range", "bytes=0-9"),
            ("x-amz-date", "20240101T000000Z"),
            ("x-amz-checksum-crc32", "AAAAAA=="),
            ("Content-Type", "text/plain"),
        ],
        REGION,
    )
    added = translated[8:]
    assert added == [
        ("x-cos-meta-colour", "blue"),
        ("x-cos-storage-class", "STANDARD_IA"),
        ("x-cos-metadata-directive", "Replaced"),
        ("x-cos-copy-source", f"srcbucket-1250000000.cos.{REGION}.myqcloud.com/dir/a%20b.txt?versionId=3"),
        ("x-cos-copy-source-range", "bytes=0-9"),
    ]


def test_an_x_cos_header_sent_by_the_client_wins_over_its_x_amz_twin() -> None:
    translated = s3_compat.cos_request_headers([("x-cos-meta-a", "cos"), ("x-amz-meta-a", "amz")], REGION)
    assert translated == [("x-cos-meta-a", "cos"), ("x-amz-meta-a", "amz")]


def test_answers_to_s3_clients_carry_x_amz_twins_of_x_cos_headers() -> None:
    headers = s3_compat.s3_response_headers(
        [("ETag", '"e"'), ("x-cos-meta-a", "1"), ("x-cos-request-id", "rid")]
    )
    assert headers[3:] == [("x-amz-meta-a", "1"), ("x-amz-request-id", "rid")]
