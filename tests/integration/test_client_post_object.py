"""POST Object: a form upload signed by a policy, the file streamed last."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient, ObjectOptions
from cosdesk.cos.errors import SignatureDoesNotMatch


def test_post_object_uploads_bytes_with_form_fields(cos_client: CosClient, bucket: str) -> None:
    result = cos_client.post_object(bucket, "form/hello.txt", b"posted body")
    assert result.status_code in (200, 201, 204)
    assert result.etag == '"' + hashlib.md5(b"posted body").hexdigest() + '"'
    assert result.location
    assert cos_client.get_object(bucket, "form/hello.txt").content == b"posted body"


def test_post_object_streams_a_file_and_reports_only_file_bytes(
    cos_client: CosClient, bucket: str, tmp_path: Path
) -> None:
    data = b"f" * (2 * 1024 * 1024 + 17)
    source = tmp_path / "form.bin"
    source.write_bytes(data)
    progress: list[int] = []
    cos_client.post_object(bucket, "form/file.bin", source, progress=progress.append)
    assert sum(progress) == len(data)
    assert cos_client.get_object(bucket, "form/file.bin").content == data


def test_post_object_stores_options_and_unicode_key(cos_client: CosClient, bucket: str) -> None:
    options = ObjectOptions(content_type="text/plain", metadata={"origin": "form"})
    cos_client.post_object(bucket, "表单/a b+c.txt", b"x", options=options, success_action_status=201)
    head = cos_client.head_object(bucket, "表单/a b+c.txt")
    assert head.content_type == "text/plain"
    assert head.metadata.get("origin") == "form"


def test_post_object_with_wrong_key_is_refused(sandbox: object, bucket: str) -> None:
    from cosdesk.cos.endpoint import Endpoint

    wrong = Credentials("AKIDcosdeskTESTsecretid", "not-the-secret")
    endpoint = Endpoint.custom(sandbox.endpoint)  # type: ignore[attr-defined]
    with CosClient(wrong, endpoint) as client, pytest.raises(SignatureDoesNotMatch):
        client.post_object(bucket, "form/denied.txt", b"x")
