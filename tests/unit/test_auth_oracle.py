"""Our signer against Tencent's own (cos-python-sdk-v5's CosS3Auth) on hundreds of
generated requests, at a fixed time: keys with unicode, spaces, '+', '%', '~',
'/', '?'; query parameters with and without values; assorted headers."""

from __future__ import annotations

import string
from types import SimpleNamespace
from unittest import mock
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosdesk.cos.auth import (
    Credentials,
    authorization,
    make_key_time,
    post_policy_signature,
    should_sign_header,
)
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint

qcloud_auth = pytest.importorskip("qcloud_cos.cos_auth")

FIXED_NOW = 1_700_000_000
EXPIRE_S = 3600
HOST = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
SECRET_ID = "AKIDcosdeskTESTsecretid"
SECRET_KEY = "cosdesk-TEST-secret-key-0123456789"

KEY_ALPHABET = string.ascii_letters + string.digits + " +%~/?&=#-_.!*'()[]@$,;:" + "中文日本語éß😀\u00a0"
PARAM_NAME_ALPHABET = string.ascii_lowercase + string.digits + "-_.~"
VALUE_ALPHABET = string.ascii_letters + string.digits + " +%~/?&=;:,-_.\"'"

keys = st.text(KEY_ALPHABET, min_size=1, max_size=60).filter(lambda key: not key.startswith("/"))
param_names = st.text(PARAM_NAME_ALPHABET, min_size=1, max_size=15)
params = st.dictionaries(
    param_names,
    st.one_of(st.just(""), st.text(VALUE_ALPHABET + "中文", max_size=20)),
    max_size=5,
)
meta_names = st.text(string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=12).map(
    lambda name: "x-cos-meta-" + name
)
header_values = st.text(VALUE_ALPHABET + "中文é", min_size=1, max_size=30)
content_types = st.sampled_from(
    [
        "text/plain; charset=utf-8",
        "multipart/form-data; boundary=a=b",
        "application/octet-stream",
        'text/html; q="a;b"',
    ]
)
fixed_headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": content_types,
        "Content-MD5": st.just("1B2M2Y8AsgTpgAmY7PhCfg=="),
        "Content-Length": st.integers(0, 10**12).map(str),
        "Cache-Control": st.just("max-age=7200, no-transform"),
        "Content-Disposition": st.just('attachment; filename="a b.txt"'),
        "Range": st.just("bytes=0-99"),
        "x-cos-acl": st.sampled_from(["private", "public-read", "default"]),
        "x-cos-storage-class": st.sampled_from(["STANDARD", "STANDARD_IA", "ARCHIVE"]),
        "x-cos-traffic-limit": st.integers(819200, 838860800).map(str),
        "x-cos-grant-read": st.just('id="qcs::cam::uin/100000000001:uin/100000000011"'),
        "User-Agent": st.just("cosdesk-test"),  # not signed by either side
        "Accept": st.just("*/*"),
        "Host": st.sampled_from([HOST, "127.0.0.1:8080"]),
    },
)


@st.composite
def request_headers(draw: st.DrawFn) -> dict[str, str]:
    headers = draw(fixed_headers)
    for name, value in draw(st.dictionaries(meta_names, header_values, max_size=4)).items():
        headers[name] = value
    return headers


def sdk_authorization(
    credentials: Credentials, method: str, key: str, query: dict[str, str], headers: dict[str, str]
) -> str:
    """What Tencent's SDK signs for the same request at FIXED_NOW."""
    conf = SimpleNamespace(
        _secret_id=credentials.secret_id,
        _secret_key=credentials.secret_key,
        _credential_inst=None,
        _anonymous=False,
        _sign_params=True,
        _sign_host=True,
    )
    request = SimpleNamespace(method=method, url=f"https://{HOST}/{quote(key)}", headers=dict(headers))
    signer = qcloud_auth.CosS3Auth(conf, key, dict(query), EXPIRE_S)
    with mock.patch("time.time", return_value=float(FIXED_NOW)):
        return str(signer(request).headers["Authorization"])


def our_authorization(
    credentials: Credentials, method: str, key: str, query: dict[str, str], headers: dict[str, str]
) -> str:
    signed = [(name, value) for name, value in headers.items() if should_sign_header(name)]
    if not any(name.lower() == "host" for name, _ in signed):
        # The SDK signs the URL's host name when no Host header is given.
        signed.append(("host", HOST))
    key_time = make_key_time(FIXED_NOW, EXPIRE_S)
    return authorization(credentials, method, "/" + key, query, signed, key_time=key_time)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
    key=keys,
    query=params,
    headers=request_headers(),
)
def test_authorization_equals_tencent_sdk_for_generated_requests(
    method: str, key: str, query: dict[str, str], headers: dict[str, str]
) -> None:
    credentials = Credentials(SECRET_ID, SECRET_KEY)
    assert our_authorization(credentials, method, key, query, headers) == sdk_authorization(
        credentials, method, key, query, headers
    )


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "PUT", "POST"]),
    key=keys,
    query=params,
    headers=request_headers(),
    token=st.text(string.ascii_letters + string.digits + "+/=_-", min_size=20, max_size=80),
)
def test_temporary_key_signs_security_token_like_tencent_sdk(
    method: str, key: str, query: dict[str, str], headers: dict[str, str], token: str
) -> None:
    credentials = Credentials("AKIDtemporary", "temporary-secret", session_token=token)
    headers = {**headers, "x-cos-security-token": token}
    ours = our_authorization(credentials, method, key, query, headers)
    assert ours == sdk_authorization(credentials, method, key, query, headers)
    assert "x-cos-security-token" in ours.split("q-header-list=")[1].split("&")[0].split(";")


def test_signature_ignores_header_name_case_like_tencent_sdk() -> None:
    credentials = Credentials(SECRET_ID, SECRET_KEY)
    headers = {"CONTENT-TYPE": "text/plain", "X-Cos-Meta-Author": "me"}
    assert our_authorization(credentials, "PUT", "a.txt", {}, headers) == sdk_authorization(
        credentials, "PUT", "a.txt", {}, headers
    )


def test_sign_window_starts_sixty_seconds_back_like_tencent_sdk() -> None:
    assert make_key_time(FIXED_NOW, EXPIRE_S) == f"{FIXED_NOW - 60};{FIXED_NOW + EXPIRE_S}"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=keys,
    method=st.sampled_from(["GET", "PUT", "DELETE", "HEAD"]),
    query=st.dictionaries(param_names, st.text(VALUE_ALPHABET, min_size=1, max_size=10), max_size=3),
)
def test_presigned_url_carries_the_same_signature_as_tencent_sdk(
    key: str, method: str, query: dict[str, str]
) -> None:
    from qcloud_cos import CosConfig, CosS3Client

    sdk = CosS3Client(CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY))
    ours = CosClient(Credentials(SECRET_ID, SECRET_KEY), Endpoint.cos("ap-guangzhou"))
    try:
        with mock.patch("time.time", return_value=float(FIXED_NOW)):
            theirs_url = sdk.get_presigned_url(
                Bucket="examplebucket-1250000000", Key=key, Method=method, Expired=300, Params=dict(query)
            )
            our_url = ours.presigned_url(method, "examplebucket-1250000000", key, 300, params=query)
    finally:
        ours.close()
    theirs_fields = dict(parse_qsl(urlsplit(theirs_url).query, keep_blank_values=True))
    our_fields = dict(parse_qsl(urlsplit(our_url).query, keep_blank_values=True))
    assert our_fields == theirs_fields
    assert urlsplit(our_url).netloc == urlsplit(theirs_url).netloc


def test_post_policy_signature_matches_hand_computed_vector() -> None:
    # Computed with openssl, independently of our code:
    #   SignKey = HMAC-SHA1(SK, KeyTime) = 1be4fa5e...; StringToSign = SHA1(policy) = d39eae54...
    policy = (
        '{"expiration":"2023-11-14T23:13:20.000Z","conditions":'
        '[{"bucket":"examplebucket-1250000000"},{"key":"photos/cat.jpg"}]}'
    )
    signature = post_policy_signature(SECRET_KEY, "1700000000;1700003600", policy)
    assert signature == "6b6e917327ecb6de244a794cfba345e07db72a0d"
