"""Requests COS would refuse are refused by the client first, with a clear message,
before anything is sent (the client points at a port where nothing listens)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient, ObjectOptions
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import CosException, CosValidationError, InvalidObjectKey, KeyProblem

BUCKET = "examplebucket-1250000000"


@pytest.fixture
def client() -> Iterator[CosClient]:
    # Port 9 (discard) on loopback: any request that slipped through would fail as a network error.
    with CosClient(Credentials("AKIDtest", "secret"), Endpoint.custom("http://127.0.0.1:9")) as client:
        yield client


@pytest.mark.parametrize("limit", [0, 819_199, 838_860_801, 10**12])
def test_traffic_limit_outside_cos_range_is_refused(client: CosClient, limit: int) -> None:
    with pytest.raises(CosValidationError, match=r"819200\.\.838860800"):
        client.put_object(BUCKET, "k", b"x", options=ObjectOptions(traffic_limit=limit))
    with pytest.raises(CosValidationError, match=r"819200\.\.838860800"):
        client.upload_part(BUCKET, "k", "upload", 1, b"x", traffic_limit=limit)


def test_traffic_limit_bounds_are_allowed() -> None:
    assert ObjectOptions(traffic_limit=819_200).to_headers()["x-cos-traffic-limit"] == "819200"
    assert ObjectOptions(traffic_limit=838_860_800).to_headers()["x-cos-traffic-limit"] == "838860800"


def test_metadata_over_2_kb_in_total_is_refused(client: CosClient) -> None:
    metadata = {"first": "a" * 1000, "second": "b" * 1100}
    with pytest.raises(CosValidationError, match="2048"):
        client.put_object(BUCKET, "k", b"x", options=ObjectOptions(metadata=metadata))


def test_metadata_of_exactly_2_kb_is_allowed() -> None:
    headers = ObjectOptions(metadata={"ab": "c" * 2046}).to_headers()
    assert headers["x-cos-meta-ab"] == "c" * 2046


@pytest.mark.parametrize("part_number", [0, -1, 10_001, 99_999])
def test_part_number_outside_1_to_10000_is_refused(client: CosClient, part_number: int) -> None:
    with pytest.raises(CosValidationError, match=r"1\.\.10000"):
        client.upload_part(BUCKET, "k", "upload", part_number, b"x")
    with pytest.raises(CosValidationError, match=r"1\.\.10000"):
        client.complete_multipart_upload(BUCKET, "k", "upload", [(part_number, '"etag"')])


def test_empty_key_is_refused_by_every_operation(client: CosClient) -> None:
    for call in (
        lambda: client.put_object(BUCKET, "", b"x"),
        lambda: client.append_object(BUCKET, "", 0, b"x"),
        lambda: client.post_object(BUCKET, "", b"x"),
        lambda: client.head_object(BUCKET, ""),
        lambda: client.get_object(BUCKET, ""),
        lambda: client.delete_object(BUCKET, ""),
        lambda: client.initiate_multipart_upload(BUCKET, ""),
    ):
        with pytest.raises(CosValidationError, match="key is empty"):
            call()


def test_key_over_850_bytes_of_utf8_is_refused(client: CosClient) -> None:
    key = "中" * 284  # 852 bytes of UTF-8, only 284 characters
    with pytest.raises(InvalidObjectKey, match="852 bytes") as refused:
        client.put_object(BUCKET, key, b"x")
    assert refused.value.problem is KeyProblem.TOO_LONG
    with pytest.raises(InvalidObjectKey) as refused:
        client.put_object(BUCKET, "bad\udcff.txt", b"x")  # a file name's stray byte
    assert refused.value.problem is KeyProblem.NOT_UNICODE


def test_key_of_exactly_850_bytes_passes_validation() -> None:
    from cosdesk.cos.options import validate_key

    assert validate_key("a" * 850) == "a" * 850


def test_folder_key_with_a_body_is_refused(client: CosClient) -> None:
    with pytest.raises(CosValidationError, match="folder marker"):
        client.put_object(BUCKET, "folder/", b"content")
    with pytest.raises(CosValidationError, match="folder marker"):
        client.append_object(BUCKET, "folder/", 0, b"content")


def test_bad_bucket_names_are_refused(client: CosClient) -> None:
    for bucket in ("", "NoAppId", "Upper-1250000000", "bucket_1250000000", "-bad-1250000000"):
        with pytest.raises(CosValidationError, match="bucket"):
            client.put_object(bucket, "k", b"x")


def test_header_values_with_line_breaks_or_non_ascii_are_refused(client: CosClient) -> None:
    with pytest.raises(CosValidationError, match="printable ASCII"):
        client.put_object(BUCKET, "k", b"x", options=ObjectOptions(content_type="text/plain\r\nX-Evil: 1"))
    with pytest.raises(CosValidationError, match="printable ASCII"):
        client.put_object(BUCKET, "k", b"x", options=ObjectOptions(metadata={"name": "中文"}))


def test_iterable_body_needs_a_content_length(client: CosClient) -> None:
    with pytest.raises(CosValidationError, match="content_length"):
        client.put_object(BUCKET, "k", iter([b"abc"]))


def test_content_md5_cannot_be_computed_for_a_one_shot_stream(client: CosClient) -> None:
    with pytest.raises(CosValidationError, match="one-shot"):
        client.put_object(BUCKET, "k", iter([b"abc"]), content_length=3, content_md5=True)


def test_content_length_that_disagrees_with_bytes_is_refused(client: CosClient) -> None:
    with pytest.raises(CosValidationError, match="differs"):
        client.put_object(BUCKET, "k", b"abc", content_length=4)


def test_unseekable_stream_without_length_is_refused(client: CosClient) -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return b""

    with pytest.raises(CosValidationError, match="content_length"):
        client.put_object(BUCKET, "k", Pipe())


def test_complete_without_parts_is_refused(client: CosClient) -> None:
    with pytest.raises(CosValidationError, match="at least one part"):
        client.complete_multipart_upload(BUCKET, "k", "upload", [])


def test_validation_errors_are_catchable_as_the_common_base_and_as_value_error(client: CosClient) -> None:
    with pytest.raises(CosException):
        client.put_object(BUCKET, "", b"")
    with pytest.raises(ValueError):
        client.put_object(BUCKET, "", b"")
