"""XML bodies shaped as COS returns them.

Bodies are built from nested ``(name, value)`` pairs where a value is text, a
number or a list of further pairs, so element order is exactly the order given
(clients such as the Python SDK's ``xml_to_dict`` don't care, but humans reading
captures do).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote
from xml.sax.saxutils import escape

Element = tuple[str, object]

XML_DECLARATION = "<?xml version='1.0' encoding='utf-8' ?>\n"


def _render(elements: Sequence[Element], out: list[str]) -> None:
    for name, value in elements:
        if value is None or value == "":
            out.append(f"<{name}/>")
        elif isinstance(value, list):
            out.append(f"<{name}>")
            _render(value, out)
            out.append(f"</{name}>")
        else:
            out.append(f"<{name}>{escape(str(value))}</{name}>")


def document(root: str, children: Sequence[Element]) -> bytes:
    out = [XML_DECLARATION]
    _render([(root, list(children))], out)
    return "".join(out).encode("utf-8")


def iso_time(epoch_s: float) -> str:
    """COS's listing time format, e.g. ``2024-02-04T09:20:25.000Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_s)) + f".{int(epoch_s * 1000) % 1000:03d}Z"


def url_encode(text: str) -> str:
    """``encoding-type=url``: what clients then ``unquote`` (``/`` kept readable)."""
    return quote(text.encode("utf-8"), safe="/-_.~")


def _owner(app_id: str) -> list[Element]:
    return [("ID", f"qcs::cam::uin/{app_id}:uin/{app_id}"), ("DisplayName", app_id)]


def error_document(code: str, message: str, resource: str, request_id: str, trace_id: str) -> bytes:
    return document(
        "Error",
        [
            ("Code", code),
            ("Message", message),
            ("Resource", resource),
            ("RequestId", request_id),
            ("TraceId", trace_id),
        ],
    )


@dataclass(frozen=True)
class ObjectEntry:
    key: str
    last_modified: float
    etag: str
    size: int
    storage_class: str


def list_bucket_result(
    *,
    bucket: str,
    app_id: str,
    prefix: str,
    marker: str,
    max_keys: int,
    delimiter: str,
    encode: bool,
    is_truncated: bool,
    next_marker: str | None,
    contents: Sequence[ObjectEntry],
    common_prefixes: Sequence[str],
) -> bytes:
    enc = url_encode if encode else (lambda text: text)
    children: list[Element] = [("Name", bucket)]
    if encode:
        children.append(("EncodingType", "url"))
    children += [
        ("Prefix", enc(prefix)),
        ("Marker", enc(marker)),
        ("MaxKeys", max_keys),
        ("Delimiter", enc(delimiter)),
        ("IsTruncated", "true" if is_truncated else "false"),
    ]
    if is_truncated and next_marker is not None:
        children.append(("NextMarker", enc(next_marker)))
    children += [("CommonPrefixes", [("Prefix", enc(common))]) for common in common_prefixes]
    for entry in contents:
        children.append(
            (
                "Contents",
                [
                    ("Key", enc(entry.key)),
                    ("LastModified", iso_time(entry.last_modified)),
                    ("ETag", entry.etag),
                    ("Size", entry.size),
                    ("Owner", [("ID", app_id), ("DisplayName", app_id)]),
                    ("StorageClass", entry.storage_class),
                ],
            )
        )
    return document("ListBucketResult", children)


def initiate_result(bucket: str, key: str, upload_id: str) -> bytes:
    return document(
        "InitiateMultipartUploadResult", [("Bucket", bucket), ("Key", key), ("UploadId", upload_id)]
    )


@dataclass(frozen=True)
class PartEntry:
    part_number: int
    last_modified: float
    etag: str
    size: int


def list_parts_result(
    *,
    bucket: str,
    app_id: str,
    key: str,
    upload_id: str,
    storage_class: str,
    encode: bool,
    part_number_marker: int,
    next_part_number_marker: int | None,
    max_parts: int,
    is_truncated: bool,
    parts: Sequence[PartEntry],
) -> bytes:
    children: list[Element] = [("Bucket", bucket)]
    if encode:
        children.append(("EncodingType", "url"))
    children += [
        ("Key", url_encode(key) if encode else key),
        ("UploadId", upload_id),
        ("Initiator", _owner(app_id)),
        ("Owner", _owner(app_id)),
        ("PartNumberMarker", part_number_marker),
    ]
    for part in parts:
        children.append(
            (
                "Part",
                [
                    ("PartNumber", part.part_number),
                    ("LastModified", iso_time(part.last_modified)),
                    ("ETag", part.etag),
                    ("Size", part.size),
                ],
            )
        )
    if next_part_number_marker is not None:
        children.append(("NextPartNumberMarker", next_part_number_marker))
    children += [
        ("StorageClass", storage_class),
        ("MaxParts", max_parts),
        ("IsTruncated", "true" if is_truncated else "false"),
    ]
    return document("ListPartsResult", children)


@dataclass(frozen=True)
class UploadEntry:
    key: str
    upload_id: str
    storage_class: str
    initiated: float


def list_uploads_result(
    *,
    bucket: str,
    app_id: str,
    encode: bool,
    prefix: str,
    delimiter: str,
    key_marker: str,
    upload_id_marker: str,
    max_uploads: int,
    is_truncated: bool,
    next_key_marker: str | None,
    next_upload_id_marker: str | None,
    uploads: Sequence[UploadEntry],
    common_prefixes: Sequence[str],
) -> bytes:
    enc = url_encode if encode else (lambda text: text)
    children: list[Element] = [("Bucket", bucket)]
    if encode:
        children.append(("EncodingType", "url"))
    children += [
        ("KeyMarker", enc(key_marker)),
        ("UploadIdMarker", upload_id_marker),
        ("NextKeyMarker", enc(next_key_marker or "")),
        ("NextUploadIdMarker", next_upload_id_marker or ""),
        ("MaxUploads", max_uploads),
        ("IsTruncated", "true" if is_truncated else "false"),
        ("Prefix", enc(prefix)),
        ("Delimiter", enc(delimiter)),
    ]
    for upload in uploads:
        children.append(
            (
                "Upload",
                [
                    ("Key", enc(upload.key)),
                    ("UploadId", upload.upload_id),
                    ("StorageClass", upload.storage_class),
                    ("Initiator", _owner(app_id)),
                    ("Owner", _owner(app_id)),
                    ("Initiated", iso_time(upload.initiated)),
                ],
            )
        )
    children += [("CommonPrefixes", [("Prefix", enc(common))]) for common in common_prefixes]
    return document("ListMultipartUploadsResult", children)


def complete_result(location: str, bucket: str, key: str, etag: str) -> bytes:
    return document(
        "CompleteMultipartUploadResult",
        [("Location", location), ("Bucket", bucket), ("Key", key), ("ETag", etag)],
    )


def post_response(location: str, bucket: str, key: str, etag: str) -> bytes:
    return document(
        "PostResponse", [("Location", location), ("Bucket", bucket), ("Key", key), ("ETag", etag)]
    )
