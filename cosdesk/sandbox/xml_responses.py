"""XML bodies shaped as COS returns them.

Bodies are built from nested ``(name, value)`` pairs where a value is text, a
number or a list of further pairs, so element order is exactly the order given
(clients such as the Python SDK's ``xml_to_dict`` don't care, but humans reading
captures do).

Every piece of text goes through :func:`escape_text`, the one place that decides
what may appear in an answer: XML 1.0 has no way at all to carry most C0 control
characters (not even as ``&#1;``), so such text is refused with
:class:`NotXmlText` rather than written as a document no parser accepts.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

Element = tuple[str, object]

XML_DECLARATION = "<?xml version='1.0' encoding='utf-8' ?>\n"

# What XML 1.0 forbids in a document: C0 controls except tab, LF and CR; lone
# surrogates; U+FFFE and U+FFFF.
_NOT_XML_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


class NotXmlText(ValueError):
    """Text holds a character that no XML 1.0 document can carry."""


def is_xml_text(text: str) -> bool:
    return _NOT_XML_CHARACTER.search(text) is None


def escape_text(text: str) -> str:
    """``text`` as element content. A CR is written as ``&#13;`` because parsers
    turn a literal CR into LF. Raises NotXmlText for characters XML cannot carry."""
    if not is_xml_text(text):
        raise NotXmlText(f"text holds {_NOT_XML_CHARACTER.search(text)!r}, which XML 1.0 cannot carry")
    return text.translate(_MARKUP)


def printable(text: str) -> str:
    """Diagnostic text (an error's message or resource) with every character XML
    cannot carry percent-encoded, so an error answer can always be written."""
    return _NOT_XML_CHARACTER.sub(lambda match: quote(match.group(0), safe=""), text)


def _render(elements: Sequence[Element], out: list[str]) -> None:
    for name, value in elements:
        if value is None or value == "":
            out.append(f"<{name}/>")
        elif isinstance(value, list):
            out.append(f"<{name}>")
            _render(value, out)
            out.append(f"</{name}>")
        else:
            out.append(f"<{name}>{escape_text(str(value))}</{name}>")


def document(root: str, children: Sequence[Element]) -> bytes:
    """The answer's bytes; raises NotXmlText when some text cannot be carried."""
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
    """An ``<Error>`` answer; never raises, whatever the resource (a raw request path) holds."""
    return document(
        "Error",
        [
            ("Code", code),
            ("Message", printable(message)),
            ("Resource", printable(resource)),
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


@dataclass(frozen=True)
class ListV2Page:
    continuation_token: str
    start_after: str


def list_v2_token(key: str) -> str:
    """An opaque continuation token: the last key listed, base64url-encoded."""
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii")


def key_of_list_v2_token(token: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        return None


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
    version2: ListV2Page | None = None,
) -> bytes:
    """A ListBucketResult; with ``version2`` in the shape S3's ListObjectsV2 has
    (continuation tokens and a key count instead of markers)."""
    enc = url_encode if encode else (lambda text: text)
    children: list[Element] = [("Name", bucket)]
    if encode:
        children.append(("EncodingType", "url"))
    children += [("Prefix", enc(prefix))]
    if version2 is None:
        children.append(("Marker", enc(marker)))
    children += [
        ("MaxKeys", max_keys),
        ("Delimiter", enc(delimiter)),
        ("IsTruncated", "true" if is_truncated else "false"),
    ]
    if version2 is not None:
        children.append(("KeyCount", len(contents) + len(common_prefixes)))
        if version2.continuation_token:
            children.append(("ContinuationToken", version2.continuation_token))
        if version2.start_after:
            children.append(("StartAfter", enc(version2.start_after)))
        if is_truncated and next_marker is not None:
            children.append(("NextContinuationToken", list_v2_token(next_marker)))
    elif is_truncated and next_marker is not None:
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


def gmt_time(epoch_s: float) -> str:
    """COS's bucket creation time format, e.g. ``2019-05-24T11:49:50Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


@dataclass(frozen=True)
class BucketEntry:
    name: str
    region: str
    created: float


def list_buckets_result(
    *,
    owner_app_id: str,
    buckets: Sequence[BucketEntry],
    marker: str,
    max_keys: int,
    is_truncated: bool,
) -> bytes:
    children: list[Element] = [
        ("Owner", _owner(owner_app_id)),
        (
            "Buckets",
            [
                (
                    "Bucket",
                    [
                        ("Name", bucket.name),
                        ("Location", bucket.region),
                        ("CreationDate", gmt_time(bucket.created)),
                        ("BucketType", "cos"),
                    ],
                )
                for bucket in buckets
            ],
        ),
        ("Marker", marker),
        ("MaxKeys", max_keys),
        ("IsTruncated", "true" if is_truncated else "false"),
    ]
    if is_truncated and buckets:
        children.append(("NextMarker", buckets[-1].name))
    return document("ListAllMyBucketsResult", children)


@dataclass(frozen=True)
class DeleteFailure:
    key: str
    code: str
    message: str


def delete_result(deleted: Sequence[str], failures: Sequence[DeleteFailure]) -> bytes:
    children: list[Element] = [("Deleted", [("Key", key)]) for key in deleted]
    children += [
        ("Error", [("Key", failure.key), ("Code", failure.code), ("Message", failure.message)])
        for failure in failures
    ]
    return document("DeleteResult", children)


def copy_object_result(etag: str, crc64: int, last_modified: float) -> bytes:
    return document(
        "CopyObjectResult",
        [("ETag", etag), ("CRC64", crc64), ("LastModified", iso_time(last_modified))],
    )


def copy_part_result(etag: str, last_modified: float) -> bytes:
    return document("CopyPartResult", [("ETag", etag), ("LastModified", iso_time(last_modified))])
