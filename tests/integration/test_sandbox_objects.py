"""Simple objects against the local server: PUT, APPEND, HEAD, GET, DELETE, over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import anycrc
import defusedxml.ElementTree as ET
import pytest
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION, TEST_SECRET_ID, TEST_SECRET_KEY

CRC64 = anycrc.Model("CRC64-XZ")


@pytest.fixture
def client(sandbox: SandboxServer, credentials: Credentials) -> Iterator[SignedClient]:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as signed:
        yield signed


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    return ET.fromstring(response.content).findtext("Code")


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_put_then_get_returns_bytes_etag_crc_and_cos_headers(client: SignedClient) -> None:
    body = os.urandom(300_000)
    put = client.put("docs/report.bin", body)
    assert put.status_code == 200
    assert put.headers["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put.headers["x-cos-hash-crc64ecma"] == str(CRC64.calc(body))
    assert put.headers["Server"] == "tencent-cos"
    assert put.headers["x-cos-request-id"]
    assert put.headers["Date"]
    got = client.get("docs/report.bin")
    assert got.status_code == 200
    assert got.content == body
    assert got.headers["Content-Length"] == str(len(body))
    assert got.headers["ETag"] == put.headers["ETag"]
    assert got.headers["x-cos-hash-crc64ecma"] == put.headers["x-cos-hash-crc64ecma"]
    assert got.headers["x-cos-object-type"] == "normal"
    assert got.headers["Last-Modified"].endswith("GMT")


def test_head_reports_size_and_stored_metadata(client: SignedClient) -> None:
    headers = {
        "Content-Type": "text/plain; charset=utf-8",
        "Cache-Control": "max-age=60",
        "Content-Disposition": 'attachment; filename="a.txt"',
        "Content-Encoding": "identity",
        "Expires": "Wed, 21 Oct 2037 07:28:00 GMT",
        "x-cos-meta-project": "cosdesk",
        "x-cos-storage-class": "STANDARD_IA",
        "x-cos-acl": "private",
        "x-cos-grant-read": 'id="100000000001"',
    }
    assert client.put("meta.txt", b"hello", headers=headers).status_code == 200
    head = client.request("HEAD", "meta.txt")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == "5"
    for name, value in headers.items():
        assert head.headers[name] == value, name


def test_an_acl_no_object_can_have_is_refused_and_nothing_is_stored(client: SignedClient) -> None:
    for acl in ("public-read-write", "everyone", "PRIVATE"):
        refused = client.put("acl.txt", b"hello", headers={"x-cos-acl": acl})
        assert refused.status_code == 400, acl
        assert error_code(refused) == "InvalidArgument", acl
        assert client.request("HEAD", "acl.txt").status_code == 404, acl
    started = client.request("POST", "acl-big.bin", params={"uploads": ""}, headers={"x-cos-acl": "open"})
    assert started.status_code == 400 and error_code(started) == "InvalidArgument"
    for acl in ("default", "private", "public-read"):
        assert client.put("acl.txt", b"hello", headers={"x-cos-acl": acl}).status_code == 200, acl


def test_range_get_answers_206_with_content_range(client: SignedClient) -> None:
    body = bytes(range(256)) * 40
    client.put("ranged", body)
    part = client.get("ranged", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == body[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
    suffix = client.get("ranged", headers={"Range": "bytes=-10"})
    assert suffix.status_code == 206 and suffix.content == body[-10:]
    open_ended = client.get("ranged", headers={"Range": "bytes=10000-"})
    assert open_ended.content == body[10000:]
    beyond = client.get("ranged", headers={"Range": f"bytes={len(body)}-"})
    assert beyond.status_code == 416 and error_code(beyond) == "InvalidRange"


def test_missing_object_is_404_no_such_key_with_error_xml(client: SignedClient) -> None:
    response = client.get("nothing-here")
    assert response.status_code == 404
    root = ET.fromstring(response.content)
    assert root.tag == "Error"
    assert root.findtext("Code") == "NoSuchKey"
    assert root.findtext("Message")
    assert root.findtext("Resource")
    assert root.findtext("RequestId") == response.headers["x-cos-request-id"]
    assert root.findtext("TraceId")
    assert client.request("HEAD", "nothing-here").status_code == 404


def test_delete_removes_object_and_is_idempotent(client: SignedClient) -> None:
    client.put("gone", b"x")
    assert client.request("DELETE", "gone").status_code == 204
    assert client.get("gone").status_code == 404
    assert client.request("DELETE", "gone").status_code == 204


def test_folder_marker_is_an_empty_object(client: SignedClient) -> None:
    response = client.put("folder/", b"")
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{hashlib.md5(b"").hexdigest()}"'
    assert client.request("HEAD", "folder/").headers["Content-Length"] == "0"


def test_content_md5_is_checked(client: SignedClient) -> None:
    body = b"checked body"
    assert client.put("md5-ok", body, headers={"Content-MD5": md5_b64(body)}).status_code == 200
    wrong = client.put("md5-bad", body, headers={"Content-MD5": md5_b64(b"other")})
    assert wrong.status_code == 400 and error_code(wrong) == "BadDigest"
    assert client.get("md5-bad").status_code == 404
    malformed = client.put("md5-bad", body, headers={"Content-MD5": "not base64!"})
    assert malformed.status_code == 400 and error_code(malformed) == "InvalidDigest"


def test_key_longer_than_850_bytes_is_refused(client: SignedClient) -> None:
    longest = "中" * 283  # 849 bytes of UTF-8
    assert client.put(longest, b"ok").status_code == 200
    assert client.get(longest).content == b"ok"
    too_long = client.put("中" * 284, b"no")
    assert too_long.status_code == 400 and error_code(too_long) == "KeyTooLong"


def test_user_metadata_over_2kb_is_refused(client: SignedClient) -> None:
    response = client.put("big-meta", b"x", headers={"x-cos-meta-blob": "v" * 2100})
    assert response.status_code == 400
    assert error_code(response) == "MetadataTooLarge"


@pytest.mark.parametrize("limit", ["819199", "838860801", "fast"])
def test_traffic_limit_outside_range_is_400(client: SignedClient, limit: str) -> None:
    response = client.put("limited", b"x", headers={"x-cos-traffic-limit": limit})
    assert response.status_code == 400 and error_code(response) == "InvalidArgument"


def test_traffic_limit_is_honoured(client: SignedClient) -> None:
    body = bytes(200_000)
    started = time.monotonic()
    # 819200 bit/s = 102400 bytes/s: 200 kB take about two seconds.
    response = client.put("slow", body, headers={"x-cos-traffic-limit": "819200"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed >= 1.7


def test_overwrite_is_atomic_for_readers(client: SignedClient, sandbox: SandboxServer) -> None:
    old, new = b"a" * 4_000_000, b"b" * 4_000_000
    client.put("atomic", old)
    opened = sandbox.storage.open_object(TEST_BUCKET, "atomic")
    assert opened is not None
    record, file = opened
    seen: list[bytes] = []
    stop = threading.Event()

    def read_repeatedly() -> None:
        with SignedClient(sandbox.endpoint, client.credentials, TEST_BUCKET, TEST_REGION) as reader:
            while not stop.is_set():
                seen.append(reader.get("atomic").content)

    thread = threading.Thread(target=read_repeatedly)
    thread.start()
    for _ in range(5):
        client.put("atomic", new)
        client.put("atomic", old)
    stop.set()
    thread.join()
    with file:
        assert file.read(record.size) == old  # a reader with an open object keeps the old bytes
    assert seen and all(body in (old, new) for body in seen)


def test_interrupted_upload_leaves_no_object(sandbox: SandboxServer, client: SignedClient) -> None:
    headers = client.signed_headers("PUT", "half", headers={"Content-Length": "1000000"})
    with socket.create_connection(("127.0.0.1", sandbox.port)) as raw:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        raw.sendall(f"PUT /half HTTP/1.1\r\n{head}\r\n".encode() + b"x" * 400_000)
    time.sleep(0.2)
    assert client.get("half").status_code == 404
    assert list((sandbox.root / "tmp").iterdir()) == []


def test_expect_100_continue_is_answered_before_the_body(
    sandbox: SandboxServer, client: SignedClient
) -> None:
    body = b"z" * 1000
    headers = client.signed_headers(
        "PUT", "continued", headers={"Content-Length": str(len(body)), "Expect": "100-continue"}
    )
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as raw:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        raw.sendall(f"PUT /continued HTTP/1.1\r\n{head}\r\n".encode())
        assert raw.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        raw.sendall(body)
        assert raw.recv(4096).startswith(b"HTTP/1.1 200")
    assert client.get("continued").content == body


def test_expect_100_refusal_answers_without_reading_and_closes(
    sandbox: SandboxServer, client: SignedClient
) -> None:
    headers = client.signed_headers(
        "PUT",
        "refused",
        headers={"Content-Length": "5000000", "Expect": "100-continue", "x-cos-traffic-limit": "1"},
    )
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as raw:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        raw.sendall(f"PUT /refused HTTP/1.1\r\n{head}\r\n".encode())
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"Connection: close" in answer
    assert b"<Code>InvalidArgument</Code>" in answer


def test_chunked_upload_is_accepted(client: SignedClient) -> None:
    parts = [b"first,", b"second,", b"third"]
    headers = client.signed_headers("PUT", "chunked")
    response = client.http.put("/chunked", headers=headers, content=iter(parts))
    assert response.status_code == 200
    assert client.get("chunked").content == b"".join(parts)


def test_append_creates_appendable_object_and_checks_position(client: SignedClient) -> None:
    first, second = b"hello ", b"world"
    one = client.request("POST", "log.txt", params={"append": "", "position": "0"}, content=first)
    assert one.status_code == 200
    assert one.headers["x-cos-next-append-position"] == "6"
    assert one.headers["x-cos-hash-crc64ecma"] == str(CRC64.calc(first))
    two = client.request("POST", "log.txt", params={"append": "", "position": "6"}, content=second)
    assert two.status_code == 200
    assert two.headers["x-cos-next-append-position"] == "11"
    assert two.headers["x-cos-hash-crc64ecma"] == str(CRC64.calc(first + second))
    head = client.request("HEAD", "log.txt")
    assert head.headers["x-cos-object-type"] == "appendable"
    assert head.headers["x-cos-next-append-position"] == "11"
    assert head.headers["x-cos-hash-crc64ecma"] == str(CRC64.calc(first + second))
    assert client.get("log.txt").content == first + second
    wrong = client.request("POST", "log.txt", params={"append": "", "position": "3"}, content=b"x")
    assert wrong.status_code == 409 and error_code(wrong) == "PositionNotEqualToLength"
    assert wrong.headers["x-cos-next-append-position"] == "11"


def test_append_to_a_normal_object_is_409_not_appendable(client: SignedClient) -> None:
    client.put("normal", b"abc")
    response = client.request("POST", "normal", params={"append": "", "position": "3"}, content=b"d")
    assert response.status_code == 409 and error_code(response) == "ObjectNotAppendable"


def test_append_with_bad_md5_changes_nothing(client: SignedClient) -> None:
    client.request("POST", "app", params={"append": "", "position": "0"}, content=b"abc")
    bad = client.request(
        "POST",
        "app",
        params={"append": "", "position": "3"},
        content=b"def",
        headers={"Content-MD5": md5_b64(b"x")},
    )
    assert bad.status_code == 400
    ok = client.request("POST", "app", params={"append": "", "position": "3"}, content=b"DEF")
    assert ok.status_code == 200
    assert client.get("app").content == b"abcDEF"


@pytest.mark.parametrize(
    "key",
    ["../outside", "../../etc/passwd", "/etc/passwd", "a/../../b", "tab\tkey", "back\\slash", "é" * 400],
)
def test_hostile_keys_stay_inside_the_root(client: SignedClient, sandbox: SandboxServer, key: str) -> None:
    before = set(sandbox.root.parent.iterdir())
    assert client.put(key, b"contained").status_code == 200
    assert client.get(key).content == b"contained"
    listing = client.get("", prefix=key[:3])
    assert ET.fromstring(listing.content).findtext("Contents/Key") == key
    assert set(sandbox.root.parent.iterdir()) == before
    for path in sandbox.root.rglob("*"):
        assert path.resolve().is_relative_to(sandbox.root.resolve())
        assert "outside" not in path.name and "passwd" not in path.name


def test_objects_and_uploads_survive_a_restart(tmp_path: Path, credentials: Credentials) -> None:
    settings = dict(
        root=tmp_path / "root",
        buckets=[TEST_BUCKET],
        credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
        region=TEST_REGION,
    )
    first = SandboxServer(**settings).start()  # type: ignore[arg-type]
    with first, SignedClient(first.endpoint, credentials, TEST_BUCKET, TEST_REGION) as client:
        client.put("kept", b"persistent", headers={"x-cos-meta-a": "1"})
        initiated = client.request("POST", "big", params={"uploads": ""})
        upload_id = ET.fromstring(initiated.content).findtext("UploadId")
        part = client.request(
            "PUT", "big", params={"partNumber": "1", "uploadId": upload_id}, content=b"p" * 10
        )
        assert part.status_code == 200
    second = SandboxServer(**settings).start()  # type: ignore[arg-type]
    with second, SignedClient(second.endpoint, credentials, TEST_BUCKET, TEST_REGION) as client:
        got = client.get("kept")
        assert got.content == b"persistent" and got.headers["x-cos-meta-a"] == "1"
        parts = client.request("GET", "big", params={"uploadId": upload_id})
        assert ET.fromstring(parts.content).find("Part/ETag").text == part.headers["ETag"]


def test_path_style_addresses_the_bucket_in_the_path(
    sandbox: SandboxServer, credentials: Credentials
) -> None:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION, style="path") as client:
        assert client.put("dir/file", b"path style").status_code == 200
        assert client.get("dir/file").content == b"path style"


def test_domain_mode_falls_back_to_the_only_bucket(sandbox: SandboxServer, credentials: Credentials) -> None:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION, style="domain") as client:
        assert client.put("x/y", b"default bucket").status_code == 200
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as client:
        assert client.get("x/y").content == b"default bucket"


def test_unknown_bucket_is_404_no_such_bucket(sandbox: SandboxServer, credentials: Credentials) -> None:
    with SignedClient(sandbox.endpoint, credentials, "otherbucket-1250000000", TEST_REGION) as client:
        response = client.put("k", b"v")
    assert response.status_code == 404 and error_code(response) == "NoSuchBucket"


def test_auto_create_buckets_creates_on_first_use(tmp_path: Path, credentials: Credentials) -> None:
    with SandboxServer(
        root=tmp_path / "r",
        buckets=[],
        credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
        auto_create_buckets=True,
    ) as server:
        for style in ("virtual-host", "path"):
            with SignedClient(
                server.endpoint, credentials, f"new{style[0]}-1250000001", TEST_REGION, style=style
            ) as c:  # type: ignore[arg-type]
                assert c.put("k", b"v").status_code == 200
                assert c.get("k").content == b"v"


def test_path_style_unknown_bucket_is_no_such_bucket_even_with_a_default(
    sandbox: SandboxServer, credentials: Credentials
) -> None:
    with SignedClient(
        sandbox.endpoint, credentials, "otherbucket-1250000000", TEST_REGION, style="path"
    ) as client:
        response = client.put("k", b"v")
    assert response.status_code == 404 and error_code(response) == "NoSuchBucket"
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION, style="domain") as client:
        assert client.put("backup-2024/k", b"v").status_code == 200  # a key, not a bucket
        assert client.get("backup-2024/k").content == b"v"


CONTROL_KEYS = ["nul\x00byte", "start\x01", "esc\x1bape", "can\x18", "vertical\x0btab"]


@pytest.mark.parametrize("key", CONTROL_KEYS)
def test_keys_with_control_characters_are_refused_as_invalid_object_name(
    client: SignedClient, sandbox: SandboxServer, key: str
) -> None:
    attempts = [
        client.put(key, b"x"),
        client.request("POST", key, params={"uploads": ""}),
        client.request("POST", key, params={"append": "", "position": "0"}, content=b"x"),
        client.request(
            "PUT", key, headers={"x-cos-copy-source": f"{TEST_BUCKET}.cos.{TEST_REGION}.myqcloud.com/k"}
        ),
    ]
    for answer in attempts:
        assert answer.status_code == 400
        assert error_code(answer) == "InvalidObjectName"  # a strict parser reads the answer
    assert list(sandbox.storage.iter_objects(TEST_BUCKET, after="", prefix="")) == []


def test_keys_with_line_breaks_are_stored_and_listed_in_xml_that_parses(
    client: SignedClient, sandbox: SandboxServer
) -> None:
    keys = ["breaks/line\nfeed", "breaks/carriage\rreturn", "breaks/tab\there"]
    for key in keys:
        assert client.put(key, b"x").status_code == 200
    listed = client.get("", prefix="breaks/")
    assert listed.status_code == 200
    assert sorted(item.text or "" for item in ET.fromstring(listed.content).iter("Key")) == sorted(keys)


def store_directly(sandbox: SandboxServer, key: str, data: bytes) -> None:
    """An object stored as a server before the key check would have stored it."""
    with sandbox.storage.incoming() as incoming:
        incoming.write(data)
        sandbox.storage.commit_object(TEST_BUCKET, key, incoming, storage_class="STANDARD", metadata=())


def test_stored_control_character_keys_are_listed_only_url_encoded(
    client: SignedClient, sandbox: SandboxServer
) -> None:
    key = "old/\x01key"
    store_directly(sandbox, key, b"from before")
    plain = client.get("", prefix="old/")
    assert plain.status_code == 400 and error_code(plain) == "InvalidArgument"
    assert "encoding-type=url" in (ET.fromstring(plain.content).findtext("Message") or "")
    encoded = client.get("", prefix="old/", **{"encoding-type": "url"})
    assert encoded.status_code == 200
    assert unquote(ET.fromstring(encoded.content).findtext("Contents/Key") or "") == key
    # The object itself is still readable and deletable.
    assert client.get(key).content == b"from before"
    assert client.request("DELETE", key).status_code == 204
    assert client.get(key).status_code == 404 and error_code(client.get(key)) == "NoSuchKey"


def test_stored_control_character_uploads_are_listed_only_url_encoded(
    client: SignedClient, sandbox: SandboxServer
) -> None:
    key = "old/\x02upload"
    upload = sandbox.storage.create_upload(TEST_BUCKET, key, storage_class="STANDARD", metadata=())
    plain = client.get("", uploads="")
    assert plain.status_code == 400 and error_code(plain) == "InvalidArgument"
    encoded = client.get("", uploads="", **{"encoding-type": "url"})
    assert unquote(ET.fromstring(encoded.content).findtext("Upload/Key") or "") == key
    parts_plain = client.get(key, uploadId=upload.upload_id)
    assert parts_plain.status_code == 400 and error_code(parts_plain) == "InvalidArgument"
    parts = client.get(key, uploadId=upload.upload_id, **{"encoding-type": "url"})
    assert parts.status_code == 200 and unquote(ET.fromstring(parts.content).findtext("Key") or "") == key
    body = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>"
    body += b"</CompleteMultipartUpload>"
    completed = client.request("POST", key, params={"uploadId": upload.upload_id}, content=body)
    assert completed.status_code == 400 and error_code(completed) == "InvalidObjectName"
    assert client.request("DELETE", key, params={"uploadId": upload.upload_id}).status_code == 204
