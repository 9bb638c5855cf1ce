"""POST Object (HTML form upload) against the local server, in both documented
styles: a signed policy, and a request signature (cos-wx-sdk-v5's postObject)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

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


# --- the second style: a request signature instead of a policy (cos-wx-sdk-v5) ---


def wx_post(
    sandbox: SandboxServer,
    key: str,
    data: bytes,
    *,
    credentials: Credentials,
    signed_headers: dict[str, str] | None = None,
    extra_fields: dict[str, str] | None = None,
    key_time: str | None = None,
    path: str = "/",
    host: str = HOST,
) -> httpx.Response:
    """A form upload built the way cos-wx-sdk-v5's postObject builds it: the request
    signature of ``post`` ``path`` over host and the x-cos-* headers, sent as the
    ``Signature`` field and the ``Authorization`` header, the headers sent too."""
    headers = dict(signed_headers or {})
    # Like the Node SDK, the wx SDK adds a temporary key's token after signing.
    to_sign = {"host": host, **headers}
    signature = auth.authorization(credentials, "post", path, {}, to_sign, key_time=key_time)
    fields = {"key": key, "success_action_status": "200", "Signature": signature, "Content-Type": ""}
    for name, value in headers.items():
        if name.startswith("x-cos-meta-") or name in ("x-cos-storage-class", "Content-Disposition"):
            fields[name] = value
    if "x-cos-acl" in headers:
        fields["acl"] = headers["x-cos-acl"]
    if credentials.session_token:
        fields["x-cos-security-token"] = credentials.session_token
        headers["x-cos-security-token"] = credentials.session_token
    fields.update(extra_fields or {})
    return httpx.post(
        f"{sandbox.endpoint}{path}",
        headers={"Host": host, "Authorization": signature, **headers},
        data=fields,
        files={"file": ("photo.png", data, "image/png")},
    )


def test_wx_style_form_with_request_signature_stores_the_file(
    sandbox: SandboxServer, client: SignedClient, credentials: Credentials
) -> None:
    data = b"wx form " * 40_000
    response = wx_post(
        sandbox,
        "wx/photo one.png",
        data,
        credentials=credentials,
        signed_headers={
            "x-cos-meta-album": "summer",
            "x-cos-storage-class": "STANDARD_IA",
            "x-cos-acl": "private",
            "Content-Disposition": "attachment",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = client.get("wx/photo one.png")
    assert got.content == data
    assert got.headers["x-cos-meta-album"] == "summer"
    assert got.headers["x-cos-storage-class"] == "STANDARD_IA"
    assert got.headers["x-cos-acl"] == "private"
    assert got.headers["Content-Disposition"] == "attachment"
    # The Content-Type field was empty: the file part's type is the object's.
    assert got.headers["Content-Type"] == "image/png"


def test_wx_style_form_with_a_wrong_key_is_signature_does_not_match(
    sandbox: SandboxServer, client: SignedClient
) -> None:
    response = wx_post(sandbox, "wx/bad", b"x", credentials=Credentials(TEST_SECRET_ID, "wrong"))
    assert response.status_code == 403
    assert ET.fromstring(response.content).findtext("Code") == "SignatureDoesNotMatch"
    assert client.get("wx/bad").status_code == 404


def test_wx_style_signature_in_the_form_alone_is_enough(
    sandbox: SandboxServer, client: SignedClient, credentials: Credentials
) -> None:
    # An HTML form cannot send headers: the signed values come from its fields.
    meta = {"x-cos-meta-via": "fields only"}
    signature = auth.authorization(credentials, "post", "/", {}, {"host": HOST, **meta})
    fields = {"key": "wx/fields", "Signature": signature, **meta}
    response = httpx.post(
        f"{sandbox.endpoint}/", headers={"Host": HOST}, data=fields, files={"file": ("f", b"abc")}
    )
    assert response.status_code == 204, response.text
    assert client.get("wx/fields").headers["x-cos-meta-via"] == "fields only"


def test_wx_style_field_changed_after_signing_is_refused(
    sandbox: SandboxServer, client: SignedClient, credentials: Credentials
) -> None:
    response = wx_post(
        sandbox,
        "wx/tampered",
        b"x",
        credentials=credentials,
        signed_headers={"x-cos-meta-owner": "alice"},
        extra_fields={"x-cos-meta-owner": "mallory"},
    )
    assert response.status_code == 403
    assert ET.fromstring(response.content).findtext("Code") == "SignatureDoesNotMatch"
    assert client.get("wx/tampered").status_code == 404


def test_wx_style_expired_signature_is_request_has_expired(
    sandbox: SandboxServer, credentials: Credentials
) -> None:
    now = int(time.time())
    response = wx_post(
        sandbox, "wx/late", b"x", credentials=credentials, key_time=f"{now - 7200};{now - 3600}"
    )
    assert response.status_code == 403
    root = ET.fromstring(response.content)
    assert (root.findtext("Code"), root.findtext("Message")) == ("AccessDenied", "Request has expired")


def test_wx_style_path_style_form_signs_the_bucket_path(
    sandbox: SandboxServer, client: SignedClient, credentials: Credentials
) -> None:
    # ForcePathStyle: POST /{bucket}/ with the host the client connects to.
    host = sandbox.endpoint.split("://", 1)[1]
    response = wx_post(
        sandbox, "wx/path-style", b"ps", credentials=credentials, path=f"/{TEST_BUCKET}/", host=host
    )
    assert response.status_code == 200, response.text
    assert client.get("wx/path-style").content == b"ps"


def test_wx_style_form_with_temporary_keys_needs_the_token(tmp_path: Path) -> None:
    temporary = Credentials("AKIDwxtemporary", "wx-temporary-key", session_token="wx-token")
    with SandboxServer(
        root=tmp_path / "r",
        buckets=[TEST_BUCKET],
        credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
        session_tokens={"wx-token": ("AKIDwxtemporary", "wx-temporary-key")},
    ) as server:
        assert wx_post(server, "wx/temp", b"t", credentials=temporary).status_code == 200
        forged = Credentials("AKIDwxtemporary", "wx-temporary-key", session_token="other-token")
        refused = wx_post(server, "wx/temp2", b"t", credentials=forged)
        assert refused.status_code == 403
        assert ET.fromstring(refused.content).findtext("Code") == "InvalidAccessKeyId"


def test_form_without_policy_or_signature_is_access_denied(sandbox: SandboxServer) -> None:
    response = httpx.post(
        f"{sandbox.endpoint}/", headers={"Host": HOST}, data={"key": "anon"}, files={"file": ("f", b"x")}
    )
    assert response.status_code == 403
    assert ET.fromstring(response.content).findtext("Code") == "AccessDenied"
