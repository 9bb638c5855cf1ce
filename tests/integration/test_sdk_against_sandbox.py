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


def proxied_config(sandbox: SandboxServer) -> CosConfig:
    """The SDK addressing real COS host names (service.cos.myqcloud.com, a copy
    source's bucket host) with the sandbox as its HTTP proxy: the calls that build
    their own URLs (list_buckets, copy's HEAD of the source) reach it too."""
    return CosConfig(
        Region=TEST_REGION,
        Scheme="http",
        SecretId=TEST_SECRET_ID,
        SecretKey=TEST_SECRET_KEY,
        Proxies={"http": sandbox.endpoint},
    )


@pytest.fixture
def proxied_sdk(sandbox: SandboxServer) -> CosS3Client:
    return CosS3Client(proxied_config(sandbox), retry=0)


def copy_source(key: str) -> dict[str, str]:
    return {"Bucket": TEST_BUCKET, "Key": key, "Region": TEST_REGION}


def read(sdk: CosS3Client, key: str) -> bytes:
    return bytes(sdk.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].get_raw_stream().read())


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


def test_list_buckets(proxied_sdk: CosS3Client) -> None:
    listed = proxied_sdk.list_buckets()
    assert [(b["Name"], b["Location"]) for b in listed["Buckets"]["Bucket"]] == [(TEST_BUCKET, TEST_REGION)]
    assert listed["Buckets"]["Bucket"][0]["CreationDate"].endswith("Z")
    assert listed["Owner"]["ID"] == "qcs::cam::uin/1250000000:uin/1250000000"


def test_head_bucket(sdk: CosS3Client) -> None:
    assert sdk.head_bucket(Bucket=TEST_BUCKET)["x-cos-bucket-region"] == TEST_REGION
    with pytest.raises(CosServiceError) as raised:
        sdk.head_bucket(Bucket="nosuchbucket-1250000000")
    assert raised.value.get_status_code() == 404


@pytest.mark.parametrize("quiet", ["true", "false"])
def test_delete_objects(sdk: CosS3Client, quiet: str) -> None:
    keys = ["batch/a", "batch/b c", "batch/never"]
    for key in keys[:2]:
        sdk.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"x")
    result = sdk.delete_objects(
        Bucket=TEST_BUCKET, Delete={"Quiet": quiet, "Object": [{"Key": key} for key in keys]}
    )
    assert "Error" not in result
    if quiet == "true":
        assert "Deleted" not in result
    else:
        assert [deleted["Key"] for deleted in result["Deleted"]] == keys
    assert sdk.list_objects(Bucket=TEST_BUCKET, Prefix="batch/").get("Contents") is None


def test_copy_object_with_both_directives(sdk: CosS3Client) -> None:
    body = os.urandom(300_000)
    put = sdk.put_object(
        Bucket=TEST_BUCKET,
        Key="copy/source",
        Body=body,
        ContentType="image/png",
        Metadata={"x-cos-meta-a": "1"},
    )
    copied = sdk.copy_object(Bucket=TEST_BUCKET, Key="copy/kept", CopySource=copy_source("copy/source"))
    assert copied["ETag"] == put["ETag"] and copied["CRC64"] == str(CRC64.calc(body))
    kept = sdk.head_object(Bucket=TEST_BUCKET, Key="copy/kept")
    assert kept["Content-Type"] == "image/png" and kept["x-cos-meta-a"] == "1"
    sdk.copy_object(
        Bucket=TEST_BUCKET,
        Key="copy/replaced",
        CopySource=copy_source("copy/source"),
        CopyStatus="Replaced",
        ContentType="text/plain",
        Metadata={"x-cos-meta-b": "2"},
    )
    replaced = sdk.head_object(Bucket=TEST_BUCKET, Key="copy/replaced")
    assert replaced["Content-Type"] == "text/plain" and replaced["x-cos-meta-b"] == "2"
    assert "x-cos-meta-a" not in replaced
    assert read(sdk, "copy/kept") == body and read(sdk, "copy/replaced") == body
    with pytest.raises(CosServiceError) as raised:
        sdk.copy_object(Bucket=TEST_BUCKET, Key="copy/x", CopySource=copy_source("copy/missing"))
    assert (raised.value.get_status_code(), raised.value.get_error_code()) == (404, "NoSuchKey")


def test_upload_part_copy_of_byte_ranges(sdk: CosS3Client) -> None:
    data = os.urandom(2 * MB + 4321)
    sdk.put_object(Bucket=TEST_BUCKET, Key="copy/parts-source", Body=data)
    upload_id = sdk.create_multipart_upload(Bucket=TEST_BUCKET, Key="copy/parts")["UploadId"]
    ranges = [(0, MB - 1), (MB, 2 * MB - 1), (2 * MB, len(data) - 1)]
    parts = []
    for number, (first, last) in enumerate(ranges, start=1):
        answer = sdk.upload_part_copy(
            Bucket=TEST_BUCKET,
            Key="copy/parts",
            PartNumber=number,
            UploadId=upload_id,
            CopySource=copy_source("copy/parts-source"),
            CopySourceRange=f"bytes={first}-{last}",
        )
        assert answer["ETag"] == f'"{hashlib.md5(data[first : last + 1]).hexdigest()}"'
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    sdk.complete_multipart_upload(
        Bucket=TEST_BUCKET, Key="copy/parts", UploadId=upload_id, MultipartUpload={"Part": parts}
    )
    assert read(sdk, "copy/parts") == data


def test_high_level_copy_of_a_large_object_goes_by_part_copies(sandbox: SandboxServer) -> None:
    config = proxied_config(sandbox)
    # Objects this large (instead of 5 GB) count as large, and a change of storage
    # class keeps copy() from taking the single-request shortcut: it must part-copy.
    config.set_copy_part_threshold_size(MB)
    proxied_sdk = CosS3Client(config, retry=0)
    data = os.urandom(3 * MB + 17)
    proxied_sdk.put_object(Bucket=TEST_BUCKET, Key="copy/large", Body=data)
    result = proxied_sdk.copy(
        Bucket=TEST_BUCKET,
        Key="copy/large-copied",
        CopySource=copy_source("copy/large"),
        PartSize=1,
        MAXThread=3,
        StorageClass="STANDARD_IA",
    )
    assert result["ETag"].endswith('-4"')
    head = proxied_sdk.head_object(Bucket=TEST_BUCKET, Key="copy/large-copied")
    assert head["x-cos-storage-class"] == "STANDARD_IA"
    assert head["x-cos-hash-crc64ecma"] == str(CRC64.calc(data))
    assert read(proxied_sdk, "copy/large-copied") == data
