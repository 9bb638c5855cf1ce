"""Safe parsing of COS's XML answers and building of the XML we send.

Every answer is parsed with defusedxml: a document that declares entities or
a DTD (the "billion laughs" bomb among them) is refused at once instead of
expanding. Parse failures raise :class:`XmlError`, a ``ValueError`` with a clear
message; the client turns it into a ``CosResponseError`` carrying the status.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import unquote
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

from cosdesk.cos.results import (
    ListMultipartUploadsResult,
    ListObjectsResult,
    ListPartsResult,
    MultipartUpload,
    ObjectSummary,
    Owner,
    Part,
)

# How much of a hostile or broken answer to quote in an error message.
_SNIPPET_CHARS = 120


class XmlError(ValueError):
    """A body is not well-formed XML, is unsafe XML, or lacks a required element."""


def parse(body: bytes) -> ElementTree.Element:
    """Parse an answer safely; namespaces are dropped from tag names.

    Leading whitespace is allowed (COS sends spaces before a Complete answer
    while it assembles the parts). Raises XmlError.
    """
    text = body.lstrip()
    if not text:
        raise XmlError("the server sent an empty body where an XML document was expected")
    try:
        root: ElementTree.Element = SafeElementTree.fromstring(text, forbid_dtd=True)
    except DefusedXmlException as refused:
        raise XmlError(
            f"refused unsafe XML from the server ({type(refused).__name__}: DTDs and entity "
            "declarations are not accepted)"
        ) from None
    except ElementTree.ParseError as broken:
        raise XmlError(f"the server's answer is not XML ({broken}): {_snippet(text)}") from None
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]
    return root


def _snippet(body: bytes) -> str:
    text = body[: _SNIPPET_CHARS * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    return repr(text[:_SNIPPET_CHARS] + ("…" if len(text) > _SNIPPET_CHARS else ""))


def text_of(element: ElementTree.Element, name: str) -> str | None:
    """Text of the direct child ``name`` ('' if it is empty), or None if absent."""
    child = element.find(name)
    if child is None:
        return None
    return child.text or ""


def required_text(element: ElementTree.Element, name: str) -> str:
    value = text_of(element, name)
    if value is None:
        raise XmlError(f"<{element.tag}> lacks <{name}>")
    return value


def _int(element: ElementTree.Element, name: str, default: int | None = None) -> int | None:
    value = text_of(element, name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise XmlError(f"<{name}> is not an integer: {value[:40]!r}") from None


def _required_int(element: ElementTree.Element, name: str) -> int:
    value = _int(element, name)
    if value is None:
        raise XmlError(f"<{element.tag}> lacks <{name}>")
    return value


def _bool(element: ElementTree.Element, name: str) -> bool:
    return (text_of(element, name) or "").strip().lower() == "true"


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as COS writes it (``2024-01-02T03:04:05.000Z``), or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


class _Decoder:
    """Decodes the fields COS URL-encodes when asked ``encoding-type=url``."""

    def __init__(self, encoding_type: str | None) -> None:
        self.url = (encoding_type or "").lower() == "url"

    def __call__(self, value: str | None) -> str | None:
        if value is None or not self.url:
            return value
        # COS encodes space as %20, never '+': plain unquote, as Tencent's SDK does.
        return unquote(value)

    def required(self, value: str) -> str:
        return unquote(value) if self.url else value


def _owner(element: ElementTree.Element | None) -> Owner | None:
    if element is None:
        return None
    return Owner(id=text_of(element, "ID") or "", display_name=text_of(element, "DisplayName") or "")


def _common_prefixes(root: ElementTree.Element, decode: _Decoder) -> tuple[str, ...]:
    return tuple(decode.required(text_of(entry, "Prefix") or "") for entry in root.findall("CommonPrefixes"))


def _encoding_type(root: ElementTree.Element) -> str | None:
    # COS spells it EncodingType in most answers, Encoding-Type in some.
    for name in ("EncodingType", "Encoding-Type", "Encoding-type"):
        value = text_of(root, name)
        if value:
            return value
    return None


def _expect_root(root: ElementTree.Element, tag: str) -> None:
    if root.tag != tag:
        raise XmlError(f"expected <{tag}>, got <{root.tag}>")


def parse_error(root: ElementTree.Element) -> dict[str, str | None]:
    """The fields of an ``<Error>`` document."""
    return {
        "code": text_of(root, "Code"),
        "message": text_of(root, "Message"),
        "request_id": text_of(root, "RequestId"),
        "resource": text_of(root, "Resource"),
    }


def parse_initiate(root: ElementTree.Element) -> tuple[str, str, str]:
    """``(bucket, key, upload_id)`` of an InitiateMultipartUploadResult."""
    _expect_root(root, "InitiateMultipartUploadResult")
    decode = _Decoder(text_of(root, "EncodingType"))
    upload_id = required_text(root, "UploadId").strip()
    if not upload_id:
        raise XmlError("<InitiateMultipartUploadResult> has an empty <UploadId>")
    return (
        text_of(root, "Bucket") or "",
        decode.required(text_of(root, "Key") or ""),
        upload_id,
    )


def parse_complete(root: ElementTree.Element) -> dict[str, str | None]:
    """The fields of a CompleteMultipartUploadResult; raises XmlError without an ETag."""
    _expect_root(root, "CompleteMultipartUploadResult")
    decode = _Decoder(text_of(root, "EncodingType"))
    etag = text_of(root, "ETag")
    if not etag:
        raise XmlError("the Complete Multipart Upload answer has no <ETag>")
    return {
        "location": text_of(root, "Location"),
        "bucket": text_of(root, "Bucket"),
        "key": decode(text_of(root, "Key")),
        "etag": etag,
    }


def parse_post_response(root: ElementTree.Element) -> dict[str, str | None]:
    """The fields of a POST Object ``<PostResponse>`` (``success_action_status=201``)."""
    return {
        "location": text_of(root, "Location"),
        "bucket": text_of(root, "Bucket"),
        "key": text_of(root, "Key"),
        "etag": text_of(root, "ETag"),
    }


def parse_list_parts(root: ElementTree.Element) -> ListPartsResult:
    """A ListPartsResult (without response info: the client adds it)."""
    _expect_root(root, "ListPartsResult")
    decode = _Decoder(_encoding_type(root))
    parts = tuple(
        Part(
            part_number=_required_int(entry, "PartNumber"),
            etag=required_text(entry, "ETag"),
            size=_required_int(entry, "Size"),
            last_modified=parse_time(text_of(entry, "LastModified")),
        )
        for entry in root.findall("Part")
    )
    return ListPartsResult(
        bucket=text_of(root, "Bucket") or "",
        key=decode.required(text_of(root, "Key") or ""),
        upload_id=text_of(root, "UploadId") or "",
        encoding_type=_encoding_type(root),
        initiator=_owner(root.find("Initiator")),
        owner=_owner(root.find("Owner")),
        storage_class=text_of(root, "StorageClass"),
        part_number_marker=_int(root, "PartNumberMarker", 0) or 0,
        next_part_number_marker=_int(root, "NextPartNumberMarker"),
        max_parts=_int(root, "MaxParts", 0) or 0,
        is_truncated=_bool(root, "IsTruncated"),
        parts=parts,
    )


def parse_list_uploads(root: ElementTree.Element) -> ListMultipartUploadsResult:
    """A ListMultipartUploadsResult (without response info: the client adds it)."""
    _expect_root(root, "ListMultipartUploadsResult")
    decode = _Decoder(_encoding_type(root))
    uploads = tuple(
        MultipartUpload(
            key=decode.required(required_text(entry, "Key")),
            upload_id=required_text(entry, "UploadId"),
            storage_class=text_of(entry, "StorageClass"),
            initiator=_owner(entry.find("Initiator")),
            owner=_owner(entry.find("Owner")),
            initiated=parse_time(text_of(entry, "Initiated")),
        )
        for entry in root.findall("Upload")
    )
    return ListMultipartUploadsResult(
        bucket=text_of(root, "Bucket") or "",
        encoding_type=_encoding_type(root),
        prefix=decode(text_of(root, "Prefix")) or "",
        delimiter=decode(text_of(root, "Delimiter")) or None,
        is_truncated=_bool(root, "IsTruncated"),
        common_prefixes=_common_prefixes(root, decode),
        key_marker=decode(text_of(root, "KeyMarker")) or None,
        upload_id_marker=text_of(root, "UploadIdMarker") or None,
        next_key_marker=decode(text_of(root, "NextKeyMarker")) or None,
        next_upload_id_marker=text_of(root, "NextUploadIdMarker") or None,
        max_uploads=_int(root, "MaxUploads", 0) or 0,
        uploads=uploads,
    )


def parse_list_objects(root: ElementTree.Element) -> ListObjectsResult:
    """A ListBucketResult (without response info: the client adds it)."""
    _expect_root(root, "ListBucketResult")
    decode = _Decoder(_encoding_type(root))
    contents = tuple(
        ObjectSummary(
            key=decode.required(required_text(entry, "Key")),
            last_modified=parse_time(text_of(entry, "LastModified")),
            etag=text_of(entry, "ETag") or "",
            size=_int(entry, "Size", 0) or 0,
            storage_class=text_of(entry, "StorageClass"),
            owner=_owner(entry.find("Owner")),
        )
        for entry in root.findall("Contents")
    )
    return ListObjectsResult(
        bucket=text_of(root, "Name") or "",
        encoding_type=_encoding_type(root),
        prefix=decode(text_of(root, "Prefix")) or "",
        delimiter=decode(text_of(root, "Delimiter")) or None,
        is_truncated=_bool(root, "IsTruncated"),
        common_prefixes=_common_prefixes(root, decode),
        marker=decode(text_of(root, "Marker")) or None,
        next_marker=decode(text_of(root, "NextMarker")) or None,
        max_keys=_int(root, "MaxKeys", 0) or 0,
        contents=contents,
    )


def quote_etag(etag: str) -> str:
    """An ETag in the double quotes COS expects in Complete Multipart Upload."""
    etag = etag.strip()
    return etag if etag.startswith('"') and etag.endswith('"') and len(etag) >= 2 else f'"{etag}"'


def complete_multipart_body(parts: Sequence[tuple[int, str]]) -> bytes:
    """The ``<CompleteMultipartUpload>`` document, parts in the order given."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<CompleteMultipartUpload>"]
    for part_number, etag in parts:
        lines.append(
            f"<Part><PartNumber>{int(part_number)}</PartNumber><ETag>{escape(quote_etag(etag))}</ETag></Part>"
        )
    lines.append("</CompleteMultipartUpload>")
    return "".join(lines).encode("utf-8")
