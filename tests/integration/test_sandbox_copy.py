"""PUT Object - Copy and Upload Part - Copy against the local server, over real HTTP."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import anycrc
import defusedxml.ElementTree as ET
import httpx
import pytest
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY

MB = 1024 * 1024
CRC64 = anycrc.Model("CRC64-XZ")
OTHER_BUCKET = "otherbucket-1250000000"


@pytest.fixture
def client(sandbox: SandboxServer, credentials: Credentials) -> Iterator[SignedClient]:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as signed:
        yield signed


def code_of(response: httpx.Response) -> str | None:
    return ET.fromstring(response.content).findtext("Code")


def cos_source(key: str, bucket: str = TEST_BUCKET) -> str:
    return f"{bucket}.cos.{TEST_REGION}.myqcloud.com/{quote(key.encode(), safe='/-_.~')}"


def copy(client: SignedClient, key: str, source: str, **headers: str) -> httpx.Response:
    return client.request("PUT", key, headers={"x-cos-copy-source": source, **headers})


def test_copy_keeps_bytes_metadata_and_etag_and_answers_copy_object_result(client: SignedClient) -> None:
    data = os.urandom(2 * MB + 3)
    source_headers = {"Content-Type": "image/png", "x-cos-meta-owner": "alice", "Cache-Control": "no-cache"}
    put = client.put("src/photo 1%.png", data, headers=source_headers)
    copied = copy(client, "dst/photo.png", cos_source("src/photo 1%.png"), **{"x-cos-meta-owner": "ignored"})
    assert copied.status_code == 200, copied.content
    result = ET.fromstring(copied.content)
    assert result.tag == "CopyObjectResult"
    assert result.findtext("ETag") == put.headers["ETag"]
    assert result.findtext("CRC64") == str(CRC64.calc(data))
    assert (result.findtext("LastModified") or "").endswith("Z")
    assert copied.headers["x-cos-hash-crc64ecma"] == str(CRC64.calc(data))
    got = client.get("dst/photo.png")
    assert got.content == data
    for name, value in source_headers.items():
        assert got.headers[name] == value


def test_replaced_directive_takes_the_requests_metadata(client: SignedClient) -> None:
    client.put("src/doc", b"text", headers={"Content-Type": "text/plain", "x-cos-meta-old": "1"})
    copied = copy(
        client,
        "dst/doc",
        cos_source("src/doc"),
        **{"x-cos-metadata-directive": "Replaced", "Content-Type": "text/markdown", "x-cos-meta-new": "2"},
    )
    assert copied.status_code == 200, copied.content
    head = client.request("HEAD", "dst/doc")
    assert head.headers["Content-Type"] == "text/markdown"
    assert head.headers["x-cos-meta-new"] == "2" and "x-cos-meta-old" not in head.headers


def test_copying_an_object_onto_itself_unchanged_is_invalid_request(client: SignedClient) -> None:
    client.put("self", b"same", headers={"x-cos-meta-v": "1"})
    unchanged = copy(client, "self", cos_source("self"))
    assert unchanged.status_code == 400 and code_of(unchanged) == "InvalidRequest"
    new_metadata = copy(
        client, "self", cos_source("self"), **{"x-cos-metadata-directive": "Replaced", "x-cos-meta-v": "2"}
    )
    assert new_metadata.status_code == 200
    assert client.request("HEAD", "self").headers["x-cos-meta-v"] == "2"
    new_class = copy(client, "self", cos_source("self"), **{"x-cos-storage-class": "STANDARD_IA"})
    assert new_class.status_code == 200
    head = client.request("HEAD", "self")
    assert head.headers["x-cos-storage-class"] == "STANDARD_IA" and head.headers["x-cos-meta-v"] == "2"
    assert client.get("self").content == b"same"


@pytest.mark.parametrize(
    "source",
    [
        f"/{cos_source('src/a b+c')}",
        f"http://{cos_source('src/a b+c')}",
        f"{TEST_BUCKET}/{quote('src/a b+c')}",
        f"/{TEST_BUCKET}/{quote('src/a b+c')}",
        f"{cos_source('src/a b+c')}?versionId=MTg0NDUxNTc1NjIzMTQ1MDAwODg",
    ],
    ids=["leading-slash", "with-scheme", "path-style", "path-style-slash", "version-id"],
)
def test_copy_source_forms_cos_and_s3_tools_send(client: SignedClient, source: str) -> None:
    client.put("src/a b+c", b"forms")
    copied = copy(client, "dst/form", source)
    assert copied.status_code == 200, copied.content
    assert client.get("dst/form").content == b"forms"


def test_missing_source_is_no_such_key_and_bad_source_is_invalid_copy_source(client: SignedClient) -> None:
    missing = copy(client, "dst/x", cos_source("no/such/key"))
    assert missing.status_code == 404 and code_of(missing) == "NoSuchKey"
    unknown_bucket = copy(client, "dst/x", cos_source("k", bucket="nobucket-1250000000"))
    assert unknown_bucket.status_code == 404 and code_of(unknown_bucket) == "NoSuchBucket"
    for bad in ["", "no-key-here", f"{TEST_BUCKET}.cos.{TEST_REGION}.myqcloud.com/", "Not A Bucket/key"]:
        refused = copy(client, "dst/x", bad)
        assert refused.status_code == 400 and code_of(refused) == "InvalidCopySource", bad
    assert client.get("dst/x").status_code == 404


def test_unknown_metadata_directive_is_invalid_argument(client: SignedClient) -> None:
    client.put("src/d", b"d")
    refused = copy(client, "dst/d", cos_source("src/d"), **{"x-cos-metadata-directive": "Move"})
    assert refused.status_code == 400 and code_of(refused) == "InvalidArgument"


def test_copy_source_conditions(client: SignedClient) -> None:
    etag = client.put("src/cond", b"conditional").headers["ETag"]
    source = cos_source("src/cond")
    past, future = "Mon, 01 Jan 2001 00:00:00 GMT", "Fri, 01 Jan 2100 00:00:00 GMT"
    failing = [
        {"x-cos-copy-source-If-Match": '"0123"'},
        {"x-cos-copy-source-If-None-Match": etag},
        {"x-cos-copy-source-If-Unmodified-Since": past},
        {"x-cos-copy-source-If-Modified-Since": future},
    ]
    for headers in failing:
        answer = copy(client, "dst/cond", source, **headers)
        assert answer.status_code == 412 and code_of(answer) == "PreconditionFailed", headers
    holding = [
        {"x-cos-copy-source-If-Match": etag},
        {"x-cos-copy-source-If-None-Match": '"0123"'},
        {"x-cos-copy-source-If-Unmodified-Since": future},
        {"x-cos-copy-source-If-Modified-Since": past},
        # A matching If-Match outweighs a failing If-Unmodified-Since, as in S3.
        {"x-cos-copy-source-If-Match": etag, "x-cos-copy-source-If-Unmodified-Since": past},
    ]
    for headers in holding:
        assert copy(client, "dst/cond", source, **headers).status_code == 200, headers


def test_copy_from_another_bucket_of_the_server(tmp_path: Path, credentials: Credentials) -> None:
    with (
        SandboxServer(
            root=tmp_path / "two",
            buckets=[TEST_BUCKET, OTHER_BUCKET],
            credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
            region=TEST_REGION,
        ) as server,
        SignedClient(server.endpoint, credentials, OTHER_BUCKET, TEST_REGION) as other,
        SignedClient(server.endpoint, credentials, TEST_BUCKET, TEST_REGION) as main,
    ):
        other.put("shared/file", b"across buckets")
        assert copy(main, "copied", cos_source("shared/file", bucket=OTHER_BUCKET)).status_code == 200
        assert main.get("copied").content == b"across buckets"
        assert other.get("shared/file").content == b"across buckets"


def test_copying_a_multipart_object_keeps_its_etag(client: SignedClient) -> None:
    chunks = [os.urandom(MB), os.urandom(10)]
    upload_id = initiate(client, "src/multi")
    etags = [part(client, "src/multi", upload_id, n, c).headers["ETag"] for n, c in enumerate(chunks, 1)]
    done = complete(client, "src/multi", upload_id, etags)
    etag = ET.fromstring(done.content).findtext("ETag")
    copied = copy(client, "dst/multi", cos_source("src/multi"))
    assert ET.fromstring(copied.content).findtext("ETag") == etag
    assert client.request("HEAD", "dst/multi").headers["ETag"] == etag
    assert client.get("dst/multi").content == b"".join(chunks)


def test_copy_in_discard_mode_is_not_implemented(tmp_path: Path, credentials: Credentials) -> None:
    with (
        SandboxServer(
            root=tmp_path / "discard",
            credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
            region=TEST_REGION,
            buckets=[TEST_BUCKET],
            discard_bodies=True,
        ) as server,
        SignedClient(server.endpoint, credentials, TEST_BUCKET, TEST_REGION) as discarding,
    ):
        discarding.put("k", b"v")
        refused = copy(discarding, "k2", cos_source("k"))
        assert refused.status_code == 501 and code_of(refused) == "NotImplemented"


# --- Upload Part - Copy ---


def initiate(client: SignedClient, key: str) -> str:
    started = client.request("POST", key, params={"uploads": ""})
    return str(ET.fromstring(started.content).findtext("UploadId"))


def part(client: SignedClient, key: str, upload_id: str, number: int, data: bytes) -> httpx.Response:
    return client.request("PUT", key, params={"partNumber": str(number), "uploadId": upload_id}, content=data)


def part_copy(
    client: SignedClient, key: str, upload_id: str, number: int, source: str, byte_range: str | None
) -> httpx.Response:
    headers = {"x-cos-copy-source": source}
    if byte_range is not None:
        headers["x-cos-copy-source-range"] = byte_range
    return client.request(
        "PUT", key, params={"partNumber": str(number), "uploadId": upload_id}, headers=headers
    )


def complete(client: SignedClient, key: str, upload_id: str, etags: list[str]) -> httpx.Response:
    inner = "".join(
        f"<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
        for number, etag in enumerate(etags, start=1)
    )
    body = f"<CompleteMultipartUpload>{inner}</CompleteMultipartUpload>".encode()
    return client.request("POST", key, params={"uploadId": upload_id}, content=body)


def test_part_copies_of_byte_ranges_complete_into_the_copied_bytes(client: SignedClient) -> None:
    data = os.urandom(3 * MB + 100)
    client.put("src/big", data)
    upload_id = initiate(client, "dst/big")
    ranges = [(0, MB + 9), (MB + 10, 3 * MB - 1), (3 * MB, len(data) - 1)]
    etags = []
    for number, (first, last) in enumerate(ranges, start=1):
        byte_range = f"bytes={first}-{last}"
        answer = part_copy(client, "dst/big", upload_id, number, cos_source("src/big"), byte_range)
        assert answer.status_code == 200, answer.content
        result = ET.fromstring(answer.content)
        assert result.tag == "CopyPartResult"
        assert result.findtext("ETag") == f'"{hashlib.md5(data[first : last + 1]).hexdigest()}"'
        assert result.findtext("LastModified")
        etags.append(str(result.findtext("ETag")))
    listed = ET.fromstring(client.get("dst/big", uploadId=upload_id).content)
    assert [p.findtext("Size") for p in listed.findall("Part")] == [str(b - a + 1) for a, b in ranges]
    done = complete(client, "dst/big", upload_id, etags)
    assert done.status_code == 200 and ET.fromstring(done.content).tag == "CompleteMultipartUploadResult"
    assert client.get("dst/big").content == data


def test_part_copy_without_range_copies_the_whole_object(client: SignedClient) -> None:
    client.put("src/small", b"whole")
    upload_id = initiate(client, "dst/small")
    for byte_range in (None, ""):
        answer = part_copy(client, "dst/small", upload_id, 1, cos_source("src/small"), byte_range)
        assert ET.fromstring(answer.content).findtext("ETag") == f'"{hashlib.md5(b"whole").hexdigest()}"'


@pytest.mark.parametrize("byte_range", ["bytes=0-5", "bytes=3-2", "bytes=-2", "bytes=1-", "items=0-1", "0-1"])
def test_invalid_copy_range_is_invalid_argument(client: SignedClient, byte_range: str) -> None:
    client.put("src/five", b"12345")
    upload_id = initiate(client, "dst/five")
    answer = part_copy(client, "dst/five", upload_id, 1, cos_source("src/five"), byte_range)
    assert answer.status_code == 400 and code_of(answer) == "InvalidArgument"
    assert ET.fromstring(client.get("dst/five", uploadId=upload_id).content).find("Part") is None


def test_part_copy_into_an_unknown_upload_is_no_such_upload(client: SignedClient) -> None:
    client.put("src/p", b"p")
    answer = part_copy(client, "dst/p", "no-such-upload", 1, cos_source("src/p"), None)
    assert answer.status_code == 404 and code_of(answer) == "NoSuchUpload"
