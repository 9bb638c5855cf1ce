"""Tencent's own Python SDK (cos-python-sdk-v5) as a second, independent client of the local server.

If the official SDK works against the server without knowing the difference,
the server speaks COS as the SDKs see it.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import anycrc
import pytest
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY

MB = 1024 * 1024
CRC64 = anycrc.Model("CRC64-XZ")


@pytest.fixture(autouse=True)
def quiet_sdk() -> Iterator[None]:
    logger = logging.getLogger("qcloud_cos")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def make_client(
    sandbox: SandboxServer, *, secret_key: str = TEST_SECRET_KEY, domain: bool = False
) -> CosS3Client:
    if domain:
        config = CosConfig(
            Domain=f"127.0.0.1:{sandbox.port}",
            Scheme="http",
            Region=TEST_REGION,
            SecretId=TEST_SECRET_ID,
            SecretKey=secret_key,
        )
    else:
        config = CosConfig(
            IP="127.0.0.1",
            Port=sandbox.port,
            Scheme="http",
            Region=TEST_REGION,
            SecretId=TEST_SECRET_ID,
            SecretKey=secret_key,
        )
    return CosS3Client(config, retry=0)


@pytest.fixture
def sdk(sandbox: SandboxServer) -> CosS3Client:
    return make_client(sandbox)


def test_put_head_get_object(sdk: CosS3Client) -> None:
    body = os.urandom(100_000)
    put = sdk.put_object(
        Bucket=TEST_BUCKET,
        Key="sdk/put.bin",
        Body=body,
        EnableMD5=True,
        ContentType="image/png",
        Metadata={"x-cos-meta-owner": "sdk"},
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put["x-cos-hash-crc64ecma"] == str(CRC64.calc(body))
    assert put["x-cos-request-id"]
    head = sdk.head_object(Bucket=TEST_BUCKET, Key="sdk/put.bin")
    assert head["Content-Length"] == str(len(body))
    assert head["Content-Type"] == "image/png"
    assert head["x-cos-meta-owner"] == "sdk"
    assert head["ETag"] == put["ETag"]
    got = sdk.get_object(Bucket=TEST_BUCKET, Key="sdk/put.bin")
    assert got["Body"].get_raw_stream().read() == body
    ranged = sdk.get_object(Bucket=TEST_BUCKET, Key="sdk/put.bin", Range="bytes=10-19")
    assert ranged["Body"].get_raw_stream().read() == body[10:20]


def test_missing_object_head_raises_404(sdk: CosS3Client) -> None:
    with pytest.raises(CosServiceError) as raised:
        sdk.head_object(Bucket=TEST_BUCKET, Key="sdk/missing")
    assert raised.value.get_status_code() == 404


def test_append_object(sdk: CosS3Client) -> None:
    first = sdk.append_object(Bucket=TEST_BUCKET, Key="sdk/log", Position=0, Data=b"one,")
    assert first["x-cos-next-append-position"] == "4"
    second = sdk.append_object(Bucket=TEST_BUCKET, Key="sdk/log", Position=4, Data=b"two")
    assert second["x-cos-next-append-position"] == "7"
    assert sdk.head_object(Bucket=TEST_BUCKET, Key="sdk/log")["x-cos-object-type"] == "appendable"
    with pytest.raises(CosServiceError) as raised:
        sdk.append_object(Bucket=TEST_BUCKET, Key="sdk/log", Position=1, Data=b"x")
    assert raised.value.get_error_code() == "PositionNotEqualToLength"


def test_multipart_calls(sdk: CosS3Client) -> None:
    key = "sdk/multi part+1%.bin"
    created = sdk.create_multipart_upload(Bucket=TEST_BUCKET, Key=key)
    upload_id = created["UploadId"]
    assert created["Key"] == key and created["Bucket"] == TEST_BUCKET
    chunks = [os.urandom(MB), os.urandom(123)]
    etags = []
    for number, chunk in enumerate(chunks, start=1):
        part = sdk.upload_part(
            Bucket=TEST_BUCKET, Key=key, Body=chunk, PartNumber=number, UploadId=upload_id, EnableMD5=True
        )
        assert part["ETag"] == f'"{hashlib.md5(chunk).hexdigest()}"'
        etags.append(part["ETag"])
    listed = sdk.list_parts(Bucket=TEST_BUCKET, Key=key, UploadId=upload_id)
    assert listed["Key"] == key and listed["IsTruncated"] == "false"
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed["Part"]] == [
        ("1", etags[0], str(MB)),
        ("2", etags[1], "123"),
    ]
    uploads = sdk.list_multipart_uploads(Bucket=TEST_BUCKET, Prefix="sdk/multi part")
    assert [(u["Key"], u["UploadId"]) for u in uploads["Upload"]] == [(key, upload_id)]
    done = sdk.complete_multipart_upload(
        Bucket=TEST_BUCKET,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Part": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )
    assert done["ETag"].endswith('-2"') and done["Key"] == key
    assert done["x-cos-hash-crc64ecma"] == str(CRC64.calc(b"".join(chunks)))
    assert sdk.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].get_raw_stream().read() == b"".join(chunks)


def test_abort_multipart_upload(sdk: CosS3Client) -> None:
    upload_id = sdk.create_multipart_upload(Bucket=TEST_BUCKET, Key="sdk/aborted")["UploadId"]
    sdk.upload_part(Bucket=TEST_BUCKET, Key="sdk/aborted", Body=b"x", PartNumber=1, UploadId=upload_id)
    sdk.abort_multipart_upload(Bucket=TEST_BUCKET, Key="sdk/aborted", UploadId=upload_id)
    with pytest.raises(CosServiceError) as raised:
        sdk.list_parts(Bucket=TEST_BUCKET, Key="sdk/aborted", UploadId=upload_id)
    assert raised.value.get_error_code() == "NoSuchUpload"


def test_list_objects_with_prefix_delimiter_and_marker(sdk: CosS3Client) -> None:
    for key in ["list/a b/1", "list/a b/2", "list/c%d", "list/e"]:
        sdk.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"x")
    grouped = sdk.list_objects(Bucket=TEST_BUCKET, Prefix="list/", Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["list/a b/"]
    assert [c["Key"] for c in grouped["Contents"]] == ["list/c%d", "list/e"]
    assert grouped["IsTruncated"] == "false"
    first = sdk.list_objects(Bucket=TEST_BUCKET, Prefix="list/a b", MaxKeys=1)
    assert [c["Key"] for c in first["Contents"]] == ["list/a b/1"] and first["IsTruncated"] == "true"
    rest = sdk.list_objects(Bucket=TEST_BUCKET, Prefix="list/a b", Marker=first["NextMarker"])
    assert [c["Key"] for c in rest["Contents"]] == ["list/a b/2"]


def test_upload_file_20_mib_with_defaults(sdk: CosS3Client, tmp_path: Path) -> None:
    source = tmp_path / "twenty.bin"
    source.write_bytes(os.urandom(20 * MB))
    result = sdk.upload_file(Bucket=TEST_BUCKET, Key="sdk/twenty.bin", LocalFilePath=str(source))
    assert result["ETag"].endswith('-20"')
    got = sdk.get_object(Bucket=TEST_BUCKET, Key="sdk/twenty.bin")["Body"].get_raw_stream().read()
    assert hashlib.md5(got).digest() == hashlib.md5(source.read_bytes()).digest()


def test_upload_file_resumes_an_earlier_upload(sdk: CosS3Client, tmp_path: Path) -> None:
    source = tmp_path / "resume.bin"
    data = os.urandom(3 * MB)
    source.write_bytes(data)
    upload_id = sdk.create_multipart_upload(Bucket=TEST_BUCKET, Key="sdk/resume.bin")["UploadId"]
    sdk.upload_part(
        Bucket=TEST_BUCKET, Key="sdk/resume.bin", Body=data[:MB], PartNumber=1, UploadId=upload_id
    )
    sdk.upload_file(Bucket=TEST_BUCKET, Key="sdk/resume.bin", LocalFilePath=str(source))
    assert sdk.list_multipart_uploads(Bucket=TEST_BUCKET, Prefix="sdk/resume.bin").get("Upload") is None
    got = sdk.get_object(Bucket=TEST_BUCKET, Key="sdk/resume.bin")["Body"].get_raw_stream().read()
    assert got == data


def test_domain_mode_uses_the_default_bucket(sandbox: SandboxServer) -> None:
    sdk = make_client(sandbox, domain=True)
    sdk.put_object(Bucket=TEST_BUCKET, Key="sdk/domain", Body=b"domain mode")
    assert (
        sdk.get_object(Bucket=TEST_BUCKET, Key="sdk/domain")["Body"].get_raw_stream().read() == b"domain mode"
    )


def test_wrong_secret_key_raises_signature_does_not_match(sandbox: SandboxServer) -> None:
    sdk = make_client(sandbox, secret_key="not-the-key")
    with pytest.raises(CosServiceError) as raised:
        sdk.put_object(Bucket=TEST_BUCKET, Key="sdk/denied", Body=b"x")
    assert raised.value.get_status_code() == 403
    assert raised.value.get_error_code() == "SignatureDoesNotMatch"
