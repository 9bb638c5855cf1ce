"""Signature checks of the local server: what COS refuses, and what the SDKs send that it accepts."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import defusedxml.ElementTree as ET
import httpx
import pytest
from support.signed_client import SignedClient, quote_key

from cosdesk.cos import auth
from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY


@pytest.fixture
def client(sandbox: SandboxServer, credentials: Credentials) -> Iterator[SignedClient]:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as signed:
        yield signed


def code_of(response: httpx.Response) -> str | None:
    return ET.fromstring(response.content).findtext("Code")


def test_wrong_secret_key_is_signature_does_not_match(client: SignedClient) -> None:
    response = client.request("PUT", "k", content=b"v", credentials=Credentials(TEST_SECRET_ID, "wrong"))
    assert response.status_code == 403
    assert code_of(response) == "SignatureDoesNotMatch"


def test_unknown_secret_id_is_invalid_access_key_id(client: SignedClient) -> None:
    response = client.request("GET", "k", credentials=Credentials("AKIDunknown", TEST_SECRET_KEY))
    assert response.status_code == 403 and code_of(response) == "InvalidAccessKeyId"


def test_no_authorization_is_access_denied(client: SignedClient) -> None:
    response = client.request("GET", "k", sign=False)
    assert response.status_code == 403 and code_of(response) == "AccessDenied"


def test_expired_signature_is_access_denied_request_has_expired_with_date(client: SignedClient) -> None:
    now = int(time.time())
    response = client.request("GET", "k", key_time=f"{now - 7200};{now - 3600}")
    assert response.status_code == 403
    root = ET.fromstring(response.content)
    assert root.findtext("Code") == "AccessDenied"
    assert root.findtext("Message") == "Request has expired"
    assert abs(email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp() - now) < 5


def test_not_yet_valid_signature_is_refused(client: SignedClient) -> None:
    now = int(time.time())
    soon = client.request("GET", "k", key_time=f"{now + 300};{now + 900}")
    assert soon.status_code == 403 and code_of(soon) == "AccessDenied"
    far = client.request("GET", "k", key_time=f"{now + 7200};{now + 9000}")
    assert far.status_code == 403 and code_of(far) == "RequestTimeTooSkewed"


def test_far_off_date_header_is_request_time_too_skewed(client: SignedClient) -> None:
    skewed = email.utils.formatdate(time.time() - 3600, usegmt=True)
    response = client.request("GET", "k", headers={"Date": skewed})
    assert response.status_code == 403 and code_of(response) == "RequestTimeTooSkewed"


def test_server_clock_offset_makes_fresh_signatures_expire(
    client: SignedClient, sandbox: SandboxServer
) -> None:
    sandbox.faults.clock_offset_s = 7200
    response = client.request("GET", "k")
    assert response.status_code == 403 and code_of(response) == "AccessDenied"
    server_date = email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp()
    assert server_date - time.time() > 7000  # what a client uses to correct its clock


def test_only_listed_headers_are_verified(client: SignedClient) -> None:
    headers = client.signed_headers("PUT", "unsigned-extras", headers={"Content-Length": "2"})
    # Like the Node SDK: empty headers it does not sign, added after signing.
    headers.update({"Cache-Control": "", "Content-Type": "", "x-cos-meta-late": "unsigned"})
    response = client.http.put("/unsigned-extras", headers=headers, content=b"ok")
    assert response.status_code == 200


def test_a_tampered_signed_header_is_refused(client: SignedClient) -> None:
    headers = client.signed_headers("PUT", "tampered", headers={"Content-Length": "2", "x-cos-meta-a": "1"})
    headers["x-cos-meta-a"] = "2"
    response = client.http.put("/tampered", headers=headers, content=b"ok")
    assert response.status_code == 403 and code_of(response) == "SignatureDoesNotMatch"


def test_host_signed_with_or_without_port_is_accepted(
    sandbox: SandboxServer, credentials: Credentials
) -> None:
    host_with_port = sandbox.endpoint.split("://", 1)[1]
    for signed_host in (host_with_port, "127.0.0.1"):
        headers = {"Host": host_with_port, "Content-Length": "1"}
        headers["Authorization"] = auth.authorization(
            credentials, "PUT", "/domain-mode", {}, {"host": signed_host, "content-length": "1"}
        )
        response = httpx.put(f"{sandbox.endpoint}/domain-mode", headers=headers, content=b"x")
        assert response.status_code == 200, signed_host


def test_every_signed_query_parameter_is_checked(client: SignedClient) -> None:
    client.put("listed", b"x")
    params = {"prefix": "li st", "max-keys": "10", "uploads": ""}
    headers = client.signed_headers("GET", "", params)
    good = client.http.get("/?prefix=li+st&max-keys=10&uploads", headers=headers)
    assert good.status_code == 200
    bad = client.http.get("/?prefix=other&max-keys=10&uploads", headers=headers)
    assert bad.status_code == 403 and code_of(bad) == "SignatureDoesNotMatch"


def test_temporary_keys_need_their_session_token(tmp_path: Path) -> None:
    temporary = Credentials("AKIDtemporary", "temporary-key", session_token="token-123")
    with (
        SandboxServer(
            root=tmp_path / "r",
            buckets=[TEST_BUCKET],
            credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
            session_tokens={"token-123": ("AKIDtemporary", "temporary-key")},
        ) as server,
        SignedClient(server.endpoint, temporary, TEST_BUCKET, TEST_REGION) as client,
    ):
        assert client.put("temp", b"ok").status_code == 200
        wrong_token = Credentials("AKIDtemporary", "temporary-key", session_token="token-999")
        refused = client.request("GET", "temp", credentials=wrong_token)
        assert refused.status_code == 403 and code_of(refused) == "InvalidAccessKeyId"
        no_token = client.request("GET", "temp", credentials=Credentials("AKIDtemporary", "temporary-key"))
        assert no_token.status_code == 403 and code_of(no_token) == "InvalidAccessKeyId"


def test_anonymous_access_when_allowed(tmp_path: Path) -> None:
    with (
        SandboxServer(
            root=tmp_path / "r", buckets=[TEST_BUCKET], credentials={}, allow_anonymous=True
        ) as server,
        SignedClient(server.endpoint, Credentials("x", "y"), TEST_BUCKET, TEST_REGION) as client,
    ):
        assert client.request("PUT", "public", content=b"hi", sign=False).status_code == 200
        assert client.request("GET", "public", sign=False).content == b"hi"


def test_presigned_url_with_query_signature(client: SignedClient, credentials: Credentials) -> None:
    client.put("shared file.txt", b"presigned")
    key_time = auth.make_key_time()
    authorization = auth.authorization(
        credentials, "GET", "/shared file.txt", {}, {"host": client.host}, key_time=key_time
    )
    fields = dict(item.split("=", 1) for item in authorization.split("&"))
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in fields.items())
    url = f"/{quote_key('shared file.txt')}?{query}"
    response = client.http.get(url, headers={"Host": client.host})
    assert response.status_code == 200 and response.content == b"presigned"
    tampered = url.replace(fields["q-signature"], "0" * 40)
    assert client.http.get(tampered, headers={"Host": client.host}).status_code == 403


def test_unknown_signature_schemes_are_access_denied_not_a_crash(client: SignedClient) -> None:
    for authorization in (
        "AWS AKIDcosdeskTESTsecretid:c2lnbmF0dXJl",  # AWS Signature V2
        "AWS4-HMAC-SHA256 garbage",
        "Bearer token",
    ):
        response = client.request("GET", "k", sign=False, headers={"Authorization": authorization})
        assert response.status_code == 403 and code_of(response) == "AccessDenied", authorization


def test_a_cos_authorization_header_is_checked_as_cos_even_beside_x_amz_parameters(
    client: SignedClient,
) -> None:
    # The header names the scheme; a stray X-Amz-Signature in the query does not.
    client.put("mixed", b"m")
    headers = client.signed_headers("GET", "mixed", {"X-Amz-Signature": "00"})
    response = client.http.get("/mixed?X-Amz-Signature=00", headers=headers)
    assert response.status_code == 200 and response.content == b"m"
