"""POST Object (HTML form upload) against the local server, with signed policies."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator

import defusedxml.ElementTree as ET
import httpx
import pytest
from support.signed_client import SignedClient

from cosdesk.cos import auth
from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY

HOST = f"{TEST_BUCKET}.cos.{TEST_REGION}.myqcloud.com"


@pytest.fixture
def client(sandbox: SandboxServer, credentials: Credentials) -> Iterator[SignedClient]:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as signed:
        yield signed


def form_fields(
    key: str, *, expires_in_s: float = 600, secret_key: str = TEST_SECRET_KEY, extra=()
) -> dict[str, str]:  # type: ignore[no-untyped-def]
    key_time = auth.make_key_time()
    policy = auth.post_policy(
        TEST_BUCKET,
        key,
        expiration_epoch_s=time.time() + expires_in_s,
        key_time=key_time,
        secret_id=TEST_SECRET_ID,
        extra_conditions=extra,
    )
    return {
        "key": key,
        "policy": auth.encode_policy(policy),
        "q-sign-algorithm": "sha1",
        "q-ak": TEST_SECRET_ID,
        "q-key-time": key_time,  # as COS forms send it: no q-sign-time field
        "q-signature": auth.post_policy_signature(secret_key, key_time, policy),
    }


def post(sandbox: SandboxServer, fields: dict[str, str], data: bytes) -> httpx.Response:
    return httpx.post(
        f"{sandbox.endpoint}/", headers={"Host": HOST}, data=fields, files={"file": ("upload.bin", data)}
    )


def test_form_upload_stores_the_file(sandbox: SandboxServer, client: SignedClient) -> None:
    data = b"form data " * 50_000
    fields = form_fields("forms/a.bin") | {"Content-Type": "image/png", "x-cos-meta-via": "form"}
    response = post(sandbox, fields, data)
    assert response.status_code == 204
    assert response.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = client.get("forms/a.bin")
    assert got.content == data
    assert got.headers["Content-Type"] == "image/png" and got.headers["x-cos-meta-via"] == "form"


def test_success_action_status_201_returns_post_response(sandbox: SandboxServer) -> None:
    response = post(sandbox, form_fields("k201") | {"success_action_status": "201"}, b"x")
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert (
        root.tag == "PostResponse"
        and root.findtext("Key") == "k201"
        and root.findtext("Bucket") == TEST_BUCKET
    )


def test_bad_policy_signature_is_refused(sandbox: SandboxServer, client: SignedClient) -> None:
    response = post(sandbox, form_fields("bad", secret_key="wrong"), b"x")
    assert response.status_code == 403
    assert ET.fromstring(response.content).findtext("Code") == "SignatureDoesNotMatch"
    assert client.get("bad").status_code == 404


def test_expired_policy_is_refused(sandbox: SandboxServer) -> None:
    response = post(sandbox, form_fields("late", expires_in_s=-60), b"x")
    assert response.status_code == 403 and b"Policy expired" in response.content


def test_key_outside_the_policy_is_refused(sandbox: SandboxServer) -> None:
    fields = form_fields("allowed") | {"key": "other"}
    response = post(sandbox, fields, b"x")
    assert response.status_code == 403 and b"Policy Condition failed" in response.content


def test_starts_with_and_size_conditions(sandbox: SandboxServer) -> None:
    extra = [["starts-with", "$Content-Type", "image/"], ["content-length-range", 1, 10]]
    fields = form_fields("cond", extra=extra) | {"Content-Type": "image/jpeg"}
    assert post(sandbox, fields, b"12345").status_code == 204
    assert post(sandbox, fields | {"Content-Type": "text/plain"}, b"12345").status_code == 403
    assert post(sandbox, fields, b"x" * 11).status_code == 400
