"""boto3, signing with AWS Signature V4, against the local server: the S3 tools a
user may point at the sandbox, path style and virtual-host style."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import defusedxml.ElementTree as ET
import httpx
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY

MIB = 1024 * 1024
# Virtual-host style needs a name to put the bucket in front of; requests go
# through the sandbox as a proxy, so they arrive in absolute form with
# "Host: {bucket}.s3.sandbox.test".
VIRTUAL_HOST_ENDPOINT = "http://s3.sandbox.test"


@pytest.fixture(autouse=True)
def no_aws_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 with its defaults: no settings, keys or proxies from this machine."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def s3_client(
    sandbox: SandboxServer,
    style: str = "path",
    *,
    secret_id: str = TEST_SECRET_ID,
    secret_key: str = TEST_SECRET_KEY,
    session_token: str | None = None,
) -> BaseClient:
    options: dict[str, object] = {
        "s3": {"addressing_style": style},
        "retries": {"total_max_attempts": 1},
    }
    endpoint = sandbox.endpoint
    if style == "virtual":
        options["proxies"] = {"http": sandbox.endpoint}
        endpoint = VIRTUAL_HOST_ENDPOINT
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=TEST_REGION,
        aws_access_key_id=secret_id,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        config=Config(**options),  # type: ignore[arg-type]
    )


@pytest.fixture(params=["path", "virtual"])
def s3(request: pytest.FixtureRequest, sandbox: SandboxServer) -> Iterator[BaseClient]:
    client = s3_client(sandbox, request.param)
    try:
        yield client
    finally:
        client.close()


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def test_put_get_head_list_and_delete(s3: BaseClient) -> None:
    body = b"sigv4 body " * 1000
    put = s3.put_object(Bucket=TEST_BUCKET, Key="docs/a b+c.txt", Body=body, ContentType="text/plain")
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=TEST_BUCKET, Key="docs/a b+c.txt")
    assert got["Body"].read() == body and got["ContentType"] == "text/plain"
    head = s3.head_object(Bucket=TEST_BUCKET, Key="docs/a b+c.txt")
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]

    s3.put_object(Bucket=TEST_BUCKET, Key="docs/sub/d.txt", Body=b"d")
    v1 = s3.list_objects(Bucket=TEST_BUCKET, Prefix="docs/", Delimiter="/")
    assert [item["Key"] for item in v1["Contents"]] == ["docs/a b+c.txt"]
    assert [item["Prefix"] for item in v1["CommonPrefixes"]] == ["docs/sub/"]
    v2 = s3.list_objects_v2(Bucket=TEST_BUCKET, Prefix="docs/")
    assert [item["Key"] for item in v2["Contents"]] == ["docs/a b+c.txt", "docs/sub/d.txt"]

    s3.delete_object(Bucket=TEST_BUCKET, Key="docs/a b+c.txt")
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=TEST_BUCKET, Key="docs/a b+c.txt")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_buckets_and_head_bucket(s3: BaseClient) -> None:
    listed = s3.list_buckets()
    assert [bucket["Name"] for bucket in listed["Buckets"]] == [TEST_BUCKET]
    assert s3.head_bucket(Bucket=TEST_BUCKET)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as raised:
        s3.head_bucket(Bucket="nosuchbucket-1250000000")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_objects_v2_pages_with_continuation_tokens(s3: BaseClient) -> None:
    keys = [f"paged/{index:03d}" for index in range(25)]
    for key in keys:
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"x")
    pages = list(
        s3.get_paginator("list_objects_v2").paginate(
            Bucket=TEST_BUCKET, Prefix="paged/", PaginationConfig={"PageSize": 10}
        )
    )
    assert [page["KeyCount"] for page in pages] == [10, 10, 5]
    assert [item["Key"] for page in pages for item in page["Contents"]] == keys
    after = s3.list_objects_v2(Bucket=TEST_BUCKET, Prefix="paged/", StartAfter="paged/020")
    assert [item["Key"] for item in after["Contents"]] == keys[21:]


def test_user_metadata_and_request_id_reach_boto3_under_s3_names(s3: BaseClient) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="meta", Body=b"m", Metadata={"album": "summer"})
    head = s3.head_object(Bucket=TEST_BUCKET, Key="meta")
    assert head["Metadata"] == {"album": "summer"}
    answer = head["ResponseMetadata"]
    assert answer["RequestId"] == answer["HTTPHeaders"]["x-cos-request-id"]


def test_multipart_upload_by_hand(s3: BaseClient) -> None:
    parts_data = [os.urandom(MIB), os.urandom(MIB), b"tail"]
    upload_id = s3.create_multipart_upload(Bucket=TEST_BUCKET, Key="big/manual.bin")["UploadId"]
    parts = []
    for number, data in enumerate(parts_data, start=1):
        answer = s3.upload_part(
            Bucket=TEST_BUCKET, Key="big/manual.bin", UploadId=upload_id, PartNumber=number, Body=data
        )
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    listed = s3.list_parts(Bucket=TEST_BUCKET, Key="big/manual.bin", UploadId=upload_id)
    assert [part["PartNumber"] for part in listed["Parts"]] == [1, 2, 3]
    done = s3.complete_multipart_upload(
        Bucket=TEST_BUCKET, Key="big/manual.bin", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert done["ETag"].endswith('-3"')
    assert s3.get_object(Bucket=TEST_BUCKET, Key="big/manual.bin")["Body"].read() == b"".join(parts_data)


def test_upload_file_goes_multipart_above_the_threshold(s3: BaseClient, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    # s3transfer never makes parts smaller than 5 MiB.
    source.write_bytes(os.urandom(5 * MIB + 12345))
    config = TransferConfig(multipart_threshold=MIB, multipart_chunksize=5 * MIB, max_concurrency=3)
    s3.upload_file(str(source), TEST_BUCKET, "big/transfer.bin", Config=config)
    assert s3.head_object(Bucket=TEST_BUCKET, Key="big/transfer.bin")["ETag"].endswith('-2"')
    copy = tmp_path / "copy.bin"
    s3.download_file(TEST_BUCKET, "big/transfer.bin", str(copy), Config=config)
    assert copy.read_bytes() == source.read_bytes()


def test_presigned_put_and_get_urls_work_with_a_plain_http_client(s3: BaseClient) -> None:
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": TEST_BUCKET, "Key": "shared/photo 1.jpg"}, ExpiresIn=300
    )
    assert "X-Amz-Signature=" in put_url
    proxy = s3.meta.config.proxies and s3.meta.config.proxies["http"]
    with httpx.Client(proxy=proxy or None) as http:
        assert http.put(put_url, content=b"jpeg bytes").status_code == 200
        get_url = s3.generate_presigned_url(
            "get_object", Params={"Bucket": TEST_BUCKET, "Key": "shared/photo 1.jpg"}, ExpiresIn=300
        )
        assert http.get(get_url).content == b"jpeg bytes"
        forged = http.get(get_url.replace("photo%201.jpg", "photo%202.jpg"))
    assert forged.status_code == 403
    assert ET.fromstring(forged.content).findtext("Code") == "SignatureDoesNotMatch"


def test_wrong_secret_key_is_signature_does_not_match(sandbox: SandboxServer) -> None:
    for style in ("path", "virtual"):
        client = s3_client(sandbox, style, secret_key="not-the-key")
        with pytest.raises(ClientError) as refused:
            client.put_object(Bucket=TEST_BUCKET, Key="k", Body=b"v")
        assert error_code(refused) == "SignatureDoesNotMatch"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_access_key_is_invalid_access_key_id(sandbox: SandboxServer) -> None:
    with pytest.raises(ClientError) as refused:
        s3_client(sandbox, secret_id="AKIDnobody").list_objects(Bucket=TEST_BUCKET)
    assert error_code(refused) == "InvalidAccessKeyId"


def test_server_clock_far_ahead_is_request_time_too_skewed(sandbox: SandboxServer) -> None:
    sandbox.faults.clock_offset_s = 3600
    with pytest.raises(ClientError) as refused:
        s3_client(sandbox).list_objects(Bucket=TEST_BUCKET)
    assert error_code(refused) == "RequestTimeTooSkewed"


def test_expired_presigned_url_is_request_has_expired(sandbox: SandboxServer) -> None:
    url = s3_client(sandbox).generate_presigned_url(
        "get_object", Params={"Bucket": TEST_BUCKET, "Key": "k"}, ExpiresIn=60
    )
    sandbox.faults.clock_offset_s = 120
    response = httpx.get(url)
    assert response.status_code == 403
    root = ET.fromstring(response.content)
    assert (root.findtext("Code"), root.findtext("Message")) == ("AccessDenied", "Request has expired")


def test_temporary_keys_sign_with_their_session_token(tmp_path: Path) -> None:
    with SandboxServer(
        root=tmp_path / "r",
        buckets=[TEST_BUCKET],
        credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
        region=TEST_REGION,
        session_tokens={"sts-token": ("AKIDsts", "sts-key")},
    ) as server:
        temporary = s3_client(server, secret_id="AKIDsts", secret_key="sts-key", session_token="sts-token")
        temporary.put_object(Bucket=TEST_BUCKET, Key="temp", Body=b"t")
        url = temporary.generate_presigned_url("get_object", Params={"Bucket": TEST_BUCKET, "Key": "temp"})
        assert "X-Amz-Security-Token=sts-token" in url
        assert httpx.get(url).content == b"t"
        forged = s3_client(server, secret_id="AKIDsts", secret_key="sts-key", session_token="other")
        with pytest.raises(ClientError) as refused:
            forged.get_object(Bucket=TEST_BUCKET, Key="temp")
        assert error_code(refused) == "InvalidAccessKeyId"


def test_aws_chunked_body_is_refused_with_a_cos_error(sandbox: SandboxServer) -> None:
    # botocore frames bodies as aws-chunked only over HTTPS; other tools may not wait for that.
    from botocore.auth import S3SigV4Auth
    from botocore.credentials import Credentials as BotocoreCredentials

    url = f"{sandbox.endpoint}/{TEST_BUCKET}/chunked"
    headers = {
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": "3",
    }
    request = AWSRequest(method="PUT", url=url, headers=headers)
    S3SigV4Auth(BotocoreCredentials(TEST_SECRET_ID, TEST_SECRET_KEY), "s3", TEST_REGION).add_auth(request)
    body = b"3\r\nabc\r\n0\r\n\r\n"
    response = httpx.put(url, headers=dict(request.headers), content=body)
    assert response.status_code == 501
    assert ET.fromstring(response.content).findtext("Code") == "NotImplemented"


# --- operations added alongside (copy, batch delete) -----------------------------------


def test_copy_object(s3: BaseClient) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="src/a b.txt", Body=b"original", Metadata={"k": "v"})
    copied = s3.copy_object(
        Bucket=TEST_BUCKET, Key="dst/copy.txt", CopySource={"Bucket": TEST_BUCKET, "Key": "src/a b.txt"}
    )
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"original").hexdigest()}"'
    assert s3.get_object(Bucket=TEST_BUCKET, Key="dst/copy.txt")["Body"].read() == b"original"
    replaced = s3.copy_object(
        Bucket=TEST_BUCKET,
        Key="dst/replaced.txt",
        CopySource={"Bucket": TEST_BUCKET, "Key": "src/a b.txt"},
        MetadataDirective="REPLACE",
        Metadata={"new": "meta"},
    )
    assert replaced["CopyObjectResult"]["ETag"]
    assert s3.head_object(Bucket=TEST_BUCKET, Key="dst/replaced.txt")["Metadata"] == {"new": "meta"}


def test_delete_objects_verbose_and_quiet(s3: BaseClient) -> None:
    for key in ("batch/1", "batch/2", "batch/3"):
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"x")
    verbose = s3.delete_objects(
        Bucket=TEST_BUCKET, Delete={"Objects": [{"Key": "batch/1"}, {"Key": "batch/2"}]}
    )
    assert sorted(item["Key"] for item in verbose["Deleted"]) == ["batch/1", "batch/2"]
    quiet = s3.delete_objects(Bucket=TEST_BUCKET, Delete={"Objects": [{"Key": "batch/3"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert "Contents" not in s3.list_objects(Bucket=TEST_BUCKET, Prefix="batch/")
