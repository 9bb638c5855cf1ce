"""Multipart uploads and listings against the local server: limits, error codes, pagination."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import anycrc
import defusedxml.ElementTree as ET
import httpx
import pytest
from support.signed_client import SignedClient

from cosdesk.cos.auth import Credentials
from cosdesk.sandbox.server import SandboxServer
from tests.conftest import TEST_BUCKET, TEST_REGION

MB = 1024 * 1024
CRC64 = anycrc.Model("CRC64-XZ")


@pytest.fixture
def client(sandbox: SandboxServer, credentials: Credentials) -> Iterator[SignedClient]:
    with SignedClient(sandbox.endpoint, credentials, TEST_BUCKET, TEST_REGION) as signed:
        yield signed


def code_of(response: httpx.Response) -> str | None:
    return ET.fromstring(response.content).findtext("Code")


def initiate(client: SignedClient, key: str, **headers: str) -> str:
    response = client.request("POST", key, params={"uploads": ""}, headers=headers)
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == "InitiateMultipartUploadResult"
    assert root.findtext("Bucket") == TEST_BUCKET and root.findtext("Key") == key
    return str(root.findtext("UploadId"))


def upload_part(client: SignedClient, key: str, upload_id: str, number: int, data: bytes) -> httpx.Response:
    return client.request("PUT", key, params={"partNumber": str(number), "uploadId": upload_id}, content=data)


def complete_body(parts: list[tuple[int, str]]) -> bytes:
    inner = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in parts)
    declaration = '<?xml version="1.0" encoding="UTF-8"?>'
    return f"{declaration}<CompleteMultipartUpload>{inner}</CompleteMultipartUpload>".encode()


def complete(client: SignedClient, key: str, upload_id: str, parts: list[tuple[int, str]]) -> httpx.Response:
    return client.request("POST", key, params={"uploadId": upload_id}, content=complete_body(parts))


def test_multipart_upload_assembles_object_with_multipart_etag_and_crc(client: SignedClient) -> None:
    chunks = [os.urandom(MB), os.urandom(MB), os.urandom(1000)]
    upload_id = initiate(client, "big.bin", **{"Content-Type": "video/mp4", "x-cos-meta-origin": "test"})
    etags = []
    for number, chunk in enumerate(chunks, start=1):
        response = upload_part(client, "big.bin", upload_id, number, chunk)
        assert response.status_code == 200
        assert response.headers["ETag"] == f'"{hashlib.md5(chunk).hexdigest()}"'
        assert response.headers["x-cos-hash-crc64ecma"] == str(CRC64.calc(chunk))
        etags.append(response.headers["ETag"])
    done = complete(client, "big.bin", upload_id, list(enumerate(etags, start=1)))
    assert done.status_code == 200
    root = ET.fromstring(done.content)
    assert root.tag == "CompleteMultipartUploadResult"
    expected_etag = '"{}-3"'.format(
        hashlib.md5(b"".join(hashlib.md5(c).digest() for c in chunks)).hexdigest()
    )
    assert root.findtext("ETag") == expected_etag
    assert root.findtext("Bucket") == TEST_BUCKET and root.findtext("Key") == "big.bin"
    assert root.findtext("Location").endswith("/big.bin")
    whole = b"".join(chunks)
    assert done.headers["x-cos-hash-crc64ecma"] == str(CRC64.calc(whole))
    got = client.get("big.bin")
    assert got.content == whole
    assert got.headers["ETag"] == expected_etag
    assert got.headers["Content-Type"] == "video/mp4" and got.headers["x-cos-meta-origin"] == "test"
    assert client.request("GET", "big.bin", params={"uploadId": upload_id}).status_code == 404


def test_both_uploads_spellings_initiate(client: SignedClient) -> None:
    headers = client.signed_headers("POST", "bare", {"uploads": ""})
    response = client.http.post("/bare?uploads", headers=headers)
    assert response.status_code == 200 and ET.fromstring(response.content).findtext("UploadId")


def test_small_non_last_part_is_entity_too_small(client: SignedClient) -> None:
    upload_id = initiate(client, "small")
    first = upload_part(client, "small", upload_id, 1, b"a" * 1000).headers["ETag"]
    second = upload_part(client, "small", upload_id, 2, b"b" * 1000).headers["ETag"]
    response = complete(client, "small", upload_id, [(1, first), (2, second)])
    assert response.status_code == 400 and code_of(response) == "EntityTooSmall"
    assert (
        complete(client, "small", upload_id, [(2, second)]).status_code == 200
    )  # a single last part may be small


def test_unknown_or_changed_part_is_invalid_part(client: SignedClient) -> None:
    upload_id = initiate(client, "k")
    etag = upload_part(client, "k", upload_id, 1, b"x" * MB).headers["ETag"]
    missing = complete(client, "k", upload_id, [(1, etag), (2, etag)])
    assert missing.status_code == 400 and code_of(missing) == "InvalidPart"
    wrong_etag = complete(client, "k", upload_id, [(1, '"00000000000000000000000000000000"')])
    assert wrong_etag.status_code == 400 and code_of(wrong_etag) == "InvalidPart"


def test_parts_out_of_order_is_invalid_part_order(client: SignedClient) -> None:
    upload_id = initiate(client, "k")
    one = upload_part(client, "k", upload_id, 1, b"x" * MB).headers["ETag"]
    two = upload_part(client, "k", upload_id, 2, b"y").headers["ETag"]
    response = complete(client, "k", upload_id, [(2, two), (1, one)])
    assert response.status_code == 400 and code_of(response) == "InvalidPartOrder"


def test_unknown_upload_is_no_such_upload(client: SignedClient) -> None:
    for response in (
        upload_part(client, "k", "nope", 1, b"x"),
        complete(client, "k", "nope", [(1, '"x"')]),
        client.request("GET", "k", params={"uploadId": "nope"}),
        client.request("DELETE", "k", params={"uploadId": "nope"}),
    ):
        assert response.status_code == 404 and code_of(response) == "NoSuchUpload"


@pytest.mark.parametrize("number", ["0", "10001", "-1", "one"])
def test_part_number_outside_range_is_invalid_argument(client: SignedClient, number: str) -> None:
    upload_id = initiate(client, "k")
    response = client.request("PUT", "k", params={"partNumber": number, "uploadId": upload_id}, content=b"x")
    assert response.status_code == 400 and code_of(response) == "InvalidArgument"


def test_malformed_complete_body_is_malformed_xml(client: SignedClient) -> None:
    upload_id = initiate(client, "k")
    response = client.request("POST", "k", params={"uploadId": upload_id}, content=b"<not-xml")
    assert response.status_code == 400 and code_of(response) == "MalformedXML"


def test_abort_discards_parts(client: SignedClient, sandbox: SandboxServer) -> None:
    upload_id = initiate(client, "aborted")
    upload_part(client, "aborted", upload_id, 1, b"x" * 5000)
    assert client.request("DELETE", "aborted", params={"uploadId": upload_id}).status_code == 204
    assert client.request("GET", "aborted", params={"uploadId": upload_id}).status_code == 404
    data_files = [p for p in (sandbox.root / "data").rglob("*") if p.is_file()]
    assert data_files == []


def test_reuploading_a_part_replaces_it(client: SignedClient) -> None:
    upload_id = initiate(client, "k")
    upload_part(client, "k", upload_id, 1, b"old")
    new_etag = upload_part(client, "k", upload_id, 1, b"new!").headers["ETag"]
    parts = ET.fromstring(client.request("GET", "k", params={"uploadId": upload_id}).content).findall("Part")
    assert [(p.findtext("PartNumber"), p.findtext("ETag"), p.findtext("Size")) for p in parts] == [
        ("1", new_etag, "4")
    ]


def test_list_parts_paginates(client: SignedClient) -> None:
    upload_id = initiate(client, "paged parts")
    for number in range(1, 8):
        upload_part(client, "paged parts", upload_id, number, bytes([number]) * number)
    seen, marker = [], "0"
    while True:
        response = client.request(
            "GET",
            "paged parts",
            params={
                "uploadId": upload_id,
                "max-parts": "3",
                "part-number-marker": marker,
                "encoding-type": "url",
            },
        )
        root = ET.fromstring(response.content)
        assert root.tag == "ListPartsResult"
        assert root.findtext("Key") == "paged%20parts" and root.findtext("UploadId") == upload_id
        assert root.findtext("MaxParts") == "3" and root.findtext("PartNumberMarker") == marker
        seen += [int(p.findtext("PartNumber")) for p in root.findall("Part")]
        if root.findtext("IsTruncated") == "false":
            break
        marker = str(root.findtext("NextPartNumberMarker"))
    assert seen == list(range(1, 8))


def test_list_multipart_uploads_paginates_with_markers_and_delimiter(client: SignedClient) -> None:
    ids = {}
    for key in ["a/1", "a/2", "b", "b", "c d", "c%e"]:
        ids.setdefault(key, []).append(initiate(client, key))
    listed, key_marker, id_marker = [], "", ""
    while True:
        response = client.request(
            "GET",
            "",
            params={
                "uploads": "",
                "max-uploads": "2",
                "key-marker": key_marker,
                "upload-id-marker": id_marker,
                "encoding-type": "url",
            },
        )
        root = ET.fromstring(response.content)
        assert root.tag == "ListMultipartUploadsResult"
        listed += [(u.findtext("Key"), u.findtext("UploadId")) for u in root.findall("Upload")]
        if root.findtext("IsTruncated") == "false":
            break
        key_marker, id_marker = str(root.findtext("NextKeyMarker")), str(root.findtext("NextUploadIdMarker"))
        from urllib.parse import unquote

        key_marker = unquote(key_marker)
    expected = [(k.replace(" ", "%20").replace("%e", "%25e"), i) for k in ids for i in ids[k]]
    assert listed == expected
    grouped = ET.fromstring(
        client.request("GET", "", params={"uploads": "", "delimiter": "/", "prefix": ""}).content
    )
    assert [p.findtext("Prefix") for p in grouped.findall("CommonPrefixes")] == ["a/"]
    assert [u.findtext("Key") for u in grouped.findall("Upload")] == ["b", "b", "c d", "c%e"]
    spaced = ET.fromstring(client.request("GET", "", params={"uploads": "", "prefix": "c d"}).content)
    assert [u.findtext("Key") for u in spaced.findall("Upload")] == ["c d"]


def test_list_objects_paginates_with_prefix_delimiter_and_url_encoding(client: SignedClient) -> None:
    keys = [
        "photos/2024/a.jpg",
        "photos/2024/b.jpg",
        "photos/2025/c.jpg",
        "photos/top.jpg",
        "readme",
        "with space",
        "100%",
    ]
    for key in keys:
        client.put(key, key.encode())
    everything, marker = [], ""
    while True:
        root = ET.fromstring(client.get("", **{"max-keys": "2", "marker": marker}).content)
        assert root.tag == "ListBucketResult" and root.findtext("Name") == TEST_BUCKET
        everything += [c.findtext("Key") for c in root.findall("Contents")]
        if root.findtext("IsTruncated") == "false":
            break
        marker = str(root.findtext("NextMarker"))
    assert everything == sorted(keys)
    contents = ET.fromstring(client.get("", prefix="readme").content).find("Contents")
    assert (
        contents.findtext("Size") == "6"
        and contents.findtext("ETag") == f'"{hashlib.md5(b"readme").hexdigest()}"'
    )
    assert contents.findtext("StorageClass") == "STANDARD" and contents.findtext("LastModified").endswith("Z")
    grouped = ET.fromstring(client.get("", prefix="photos/", delimiter="/").content)
    assert [p.findtext("Prefix") for p in grouped.findall("CommonPrefixes")] == [
        "photos/2024/",
        "photos/2025/",
    ]
    assert [c.findtext("Key") for c in grouped.findall("Contents")] == ["photos/top.jpg"]
    paged, marker = [], ""
    while True:
        root = ET.fromstring(
            client.get("", prefix="photos/", delimiter="/", marker=marker, **{"max-keys": "1"}).content
        )
        paged += [p.findtext("Prefix") for p in root.findall("CommonPrefixes")]
        paged += [c.findtext("Key") for c in root.findall("Contents")]
        if root.findtext("IsTruncated") == "false":
            break
        marker = str(root.findtext("NextMarker"))
    assert paged == ["photos/2024/", "photos/2025/", "photos/top.jpg"]
    encoded = ET.fromstring(client.get("", **{"encoding-type": "url"}).content)
    assert encoded.findtext("EncodingType") == "url"
    assert {"with%20space", "100%25"} <= {c.findtext("Key") for c in encoded.findall("Contents")}
    plus = client.http.get(
        "/?prefix=with+space", headers=client.signed_headers("GET", "", {"prefix": "with space"})
    )
    assert [c.findtext("Key") for c in ET.fromstring(plus.content).findall("Contents")] == ["with space"]
    bad = client.get("", **{"max-keys": "many"})
    assert bad.status_code == 400 and code_of(bad) == "InvalidArgument"
