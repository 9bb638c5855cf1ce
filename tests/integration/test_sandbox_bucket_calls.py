"""GET Service (list buckets), HEAD Bucket and DeleteObjects against the local server."""

from __future__ import annotations

import base64
import calendar
import hashlib
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import defusedxml.ElementTree as ET
import httpx
import pytest
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox import routing
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY

SERVICE_HOST = "service.cos.myqcloud.com"
BUCKETS = ["alpha-1250000000", "beta-1250000000", "gamma-1250000001"]


@pytest.fixture
def client(sandbox: SandboxServer, credentials: Credentials) -> Iterator[SignedClient]:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as signed:
        yield signed


@pytest.fixture
def three_buckets(tmp_path: Path) -> Iterator[SandboxServer]:
    with SandboxServer(
        root=tmp_path / "three",
        buckets=BUCKETS,
        credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
        region=TEST_REGION,
    ) as server:
        yield server


def code_of(response: httpx.Response) -> str | None:
    return ET.fromstring(response.content).findtext("Code")


def bucket_names(response: httpx.Response) -> list[str]:
    root = ET.fromstring(response.content)
    assert root.tag == "ListAllMyBucketsResult"
    return [str(bucket.findtext("Name")) for bucket in root.findall("Buckets/Bucket")]


# --- GET Service ---


def test_get_service_on_the_service_host_lists_buckets(client: SignedClient) -> None:
    before = time.time()
    answer = client.request("GET", "", headers={"Host": SERVICE_HOST})
    assert answer.status_code == 200, answer.content
    root = ET.fromstring(answer.content)
    assert root.findtext("Owner/ID") == "qcs::cam::uin/1250000000:uin/1250000000"
    assert root.findtext("Owner/DisplayName") == "1250000000"
    bucket = root.find("Buckets/Bucket")
    assert bucket is not None
    assert bucket.findtext("Name") == TEST_BUCKET
    assert bucket.findtext("Location") == TEST_REGION
    created = calendar.timegm(time.strptime(bucket.findtext("CreationDate") or "", "%Y-%m-%dT%H:%M:%SZ"))
    assert abs(created - before) < 60


def test_get_service_path_style_lists_every_bucket(
    three_buckets: SandboxServer, credentials: Credentials
) -> None:
    with SignedClient(three_buckets.endpoint, credentials, BUCKETS[0], TEST_REGION, style="domain") as client:
        assert bucket_names(client.get("")) == BUCKETS
        first = client.get("", **{"max-keys": "2"})
        assert bucket_names(first) == BUCKETS[:2]
        root = ET.fromstring(first.content)
        assert root.findtext("IsTruncated") == "true" and root.findtext("NextMarker") == BUCKETS[1]
        assert bucket_names(client.get("", marker=BUCKETS[1])) == BUCKETS[2:]
        assert bucket_names(client.get("", region="ap-beijing")) == []
        assert bucket_names(client.get("", region=TEST_REGION)) == BUCKETS
        assert bucket_names(client.get("", **{"create-time": "1", "range": "lt"})) == []
        assert bucket_names(client.get("", **{"create-time": "1", "range": "gte"})) == BUCKETS


def test_service_host_names_no_bucket_for_anything_else(client: SignedClient) -> None:
    for method, key in [("PUT", ""), ("HEAD", ""), ("GET", "some/key"), ("DELETE", "k")]:
        answer = client.request(method, key, headers={"Host": SERVICE_HOST})
        assert answer.status_code == 404, (method, key)
        if method != "HEAD":
            assert code_of(answer) == "NoSuchBucket"


def test_a_bare_get_slash_is_get_service_even_beside_a_default_bucket() -> None:
    def resolve(method: str, query: list[tuple[str, str]]) -> str | None:
        return routing.resolve(
            "127.0.0.1:8080",
            "/",
            is_known_bucket=lambda name: name == TEST_BUCKET,
            default_bucket=TEST_BUCKET,
            auto_create=False,
            method=method,
            query=query,
        ).bucket

    # What cos-python-sdk-v5's list_buckets and boto3's list_buckets send.
    assert resolve("GET", [("marker", ""), ("max-keys", "2000")]) == ""
    assert resolve("GET", []) == ""
    # A Domain-mode listing of the default bucket, its uploads, a form upload, HEAD Bucket.
    assert resolve("GET", [("prefix", ""), ("max-keys", "1000"), ("encoding-type", "url")]) == TEST_BUCKET
    assert resolve("GET", [("uploads", "")]) == TEST_BUCKET
    assert resolve("POST", []) == TEST_BUCKET
    assert resolve("HEAD", []) == TEST_BUCKET


# --- HEAD Bucket ---


def test_head_bucket_answers_its_region(client: SignedClient, sandbox: SandboxServer) -> None:
    answer = client.request("HEAD", "")
    assert answer.status_code == 200
    assert answer.headers["x-cos-bucket-region"] == TEST_REGION
    assert answer.headers["x-cos-request-id"]


def test_head_unknown_bucket_is_404(sandbox: SandboxServer, credentials: Credentials) -> None:
    for style in ("virtual-host", "path"):
        with SignedClient(
            sandbox.endpoint,
            credentials,
            "nosuchbucket-1250000000",
            TEST_REGION,
            style=style,  # type: ignore[arg-type]
        ) as other:
            answer = other.request("HEAD", "")
        assert answer.status_code == 404 and answer.content == b"", style


# --- DeleteObjects ---


def delete_body(keys: list[str], *, quiet: bool | None = None) -> bytes:
    flag = "" if quiet is None else f"<Quiet>{'true' if quiet else 'false'}</Quiet>"
    objects = "".join(f"<Object><Key>{escape(key)}</Key></Object>" for key in keys)
    return f'<?xml version="1.0" encoding="UTF-8"?><Delete>{flag}{objects}</Delete>'.encode()


def md5_header(body: bytes) -> dict[str, str]:
    return {"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()}


def delete_objects(
    client: SignedClient, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    """DeleteObjects with ``body``, sent with its Content-MD5 unless ``headers`` are given."""
    headers = md5_header(body) if headers is None else headers
    return client.request("POST", "", params={"delete": ""}, content=body, headers=headers)


def test_verbose_delete_names_every_key(client: SignedClient) -> None:
    keys = ["a", "dir/b & c", " spaced key ", "never-existed"]
    for key in keys[:3]:
        assert client.put(key, b"x").status_code == 200
    answer = delete_objects(client, delete_body(keys, quiet=False))
    assert answer.status_code == 200, answer.content
    root = ET.fromstring(answer.content)
    assert root.tag == "DeleteResult"
    assert [element.text for element in root.findall("Deleted/Key")] == keys
    assert root.find("Error") is None
    for key in keys:
        assert client.get(key).status_code == 404


def test_quiet_delete_reports_only_errors(client: SignedClient) -> None:
    client.put("q1", b"x")
    too_long = "k" * 851
    answer = delete_objects(client, delete_body(["q1", too_long], quiet=True))
    assert answer.status_code == 200, answer.content
    root = ET.fromstring(answer.content)
    assert root.find("Deleted") is None
    errors = [(e.findtext("Key"), e.findtext("Code")) for e in root.findall("Error")]
    assert errors == [(too_long, "KeyTooLong")]
    assert client.get("q1").status_code == 404


def test_delete_without_quiet_is_verbose(client: SignedClient) -> None:
    answer = delete_objects(client, delete_body(["x"]))
    assert [e.text for e in ET.fromstring(answer.content).findall("Deleted/Key")] == ["x"]


def test_delete_needs_a_matching_content_md5(client: SignedClient) -> None:
    client.put("kept", b"x")
    body = delete_body(["kept"])
    missing = delete_objects(client, body, headers={})
    assert missing.status_code == 400 and code_of(missing) == "InvalidRequest"
    wrong = delete_objects(client, body, headers=md5_header(b"something else"))
    assert wrong.status_code == 400 and code_of(wrong) == "BadDigest"
    assert client.get("kept").status_code == 200


def test_delete_takes_s3_checksums_instead_of_content_md5(client: SignedClient) -> None:
    client.put("s3", b"x")
    body = delete_body(["s3"])
    crc32 = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    wrong = delete_objects(client, body, headers={"x-amz-checksum-crc32": "AAAAAA=="})
    assert wrong.status_code == 400 and code_of(wrong) == "BadDigest"
    assert client.get("s3").status_code == 200
    assert delete_objects(client, body, headers={"x-amz-checksum-crc32": crc32}).status_code == 200
    assert client.get("s3").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<Delete></Delete>",
        b"<Remove><Object><Key>a</Key></Object></Remove>",
        b"<Delete><Object></Object></Delete>",
        b"<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>",
    ],
)
def test_malformed_delete_body_is_malformed_xml(client: SignedClient, body: bytes) -> None:
    answer = delete_objects(client, body)
    assert answer.status_code == 400 and code_of(answer) == "MalformedXML"


def test_more_than_1000_keys_is_malformed_xml(client: SignedClient) -> None:
    client.put("k-0", b"x")
    answer = delete_objects(client, delete_body([f"k-{i}" for i in range(1001)]))
    assert answer.status_code == 400 and code_of(answer) == "MalformedXML"
    assert client.get("k-0").status_code == 200
    assert delete_objects(client, delete_body([f"k-{i}" for i in range(1000)], quiet=True)).status_code == 200
    assert client.get("k-0").status_code == 404
