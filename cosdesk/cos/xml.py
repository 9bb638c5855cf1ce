"""Safe parsing of COS's XML answers and building of the XML we send.

Every answer is parsed with defusedxml: a document that declares entities or
a DTD (the "billion laughs" bomb among them) is refused at once instead of
expanding. Parse failures raise :class:`XmlError`, a ``ValueError`` with a clear
message; the client turns it into a ``CosResponseError`` carrying the status.

The XML libraries are imported by the first call that needs them: a simple
upload reads no XML, and they were about a tenth of ``cosdesk upload``'s
start-up (xml.sax alone brings in urllib.request, http.client and email).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote

from cosdesk.cos.options import MAX_PART_NUMBER, MIN_PART_NUMBER
from cosdesk.cos.results import (
    BucketSummary,
    DeleteFailure,
    ListBucketsResult,
    ListMultipartUploadsResult,
    ListObjectsResult,
    ListPartsResult,
    MultipartUpload,
    ObjectSummary,
    Owner,
    Part,
)

if TYPE_CHECKING:
    from xml.etree import ElementTree

# How much of a hostile or broken answer to quote in an error message.
_SNIPPET_CHARS = 120


class XmlError(ValueError):
    """A body is not well-formed XML, is unsafe XML, or lacks a required element."""


def parse(body: bytes) -> ElementTree.Element:
    """Parse an answer safely; namespaces are dropped from tag names.

    Leading whitespace is allowed (COS sends spaces before a Complete answer
    while it assembles the parts). Raises XmlError.
    """
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as SafeElementTree
    from defusedxml import DefusedXmlException

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
    except ParseError as broken:
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


def required_text(element: ElementTree.Element, name: str, answer: str) -> str:
    """Text of the direct child ``name``, which must be present and not blank;
    ``answer`` names the document in the error (``the List Parts answer``)."""
    value = text_of(element, name)
    if value is None or not value.strip():
        raise XmlError(f"{_where(element, answer)} {'has no' if value is None else 'has an empty'} <{name}>")
    return value


# Repeated entries of a listing; any other element is taken for the root.
_ENTRY_TAGS = frozenset({"Part", "Upload", "Contents", "Bucket"})


def _where(element: ElementTree.Element, answer: str) -> str:
    # Errors name the operation, not the root element: servers name roots differently.
    if element.tag in _ENTRY_TAGS:
        return f"a <{element.tag}> in the {answer} answer"
    return f"the {answer} answer"


def _count(element: ElementTree.Element, name: str, answer: str, default: int | None = None) -> int | None:
    """A non-negative integer child, ``default`` when absent or empty."""
    value = text_of(element, name)
    if value is None or value.strip() == "":
        return default
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise XmlError(f"{_where(element, answer)}: <{name}> is not a non-negative integer: {value[:40]!r}")
    return int(text)


def _required_count(element: ElementTree.Element, name: str, answer: str) -> int:
    value = _count(element, name, answer)
    if value is None:
        raise XmlError(f"{_where(element, answer)} has no <{name}>")
    return value


def _is_truncated(root: ElementTree.Element, answer: str) -> bool:
    # Absent means complete (rclone leaves it out of List Parts); anything but
    # true or false would leave a listing's end to a guess.
    value = (text_of(root, "IsTruncated") or "").strip().lower()
    if value not in ("", "true", "false"):
        raise XmlError(f"the {answer} answer has <IsTruncated> {value[:20]!r}, not true or false")
    return value == "true"


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


# The answers below are read by their fields, never by the root element's name:
# COS calls the Initiate answer <InitiateMultipartUploadResult>, rclone's S3
# server <InitiateMultipartUpload>, and Tencent's SDKs accept both. What must
# hold is the data: every field the caller relies on is present and well-formed.
# (An <Error> root never gets here: the client raises it first.)


def parse_error(root: ElementTree.Element) -> dict[str, str | None]:
    """The fields of an ``<Error>`` document."""
    return {
        "code": text_of(root, "Code"),
        "message": text_of(root, "Message"),
        "request_id": text_of(root, "RequestId"),
        "resource": text_of(root, "Resource"),
    }


def parse_initiate(root: ElementTree.Element) -> tuple[str, str, str]:
    """``(bucket, key, upload_id)`` of an Initiate Multipart Upload answer; bucket
    and key are '' when absent. Raises XmlError without a non-blank UploadId."""
    decode = _Decoder(_encoding_type(root))
    upload_id = required_text(root, "UploadId", "Initiate Multipart Upload").strip()
    return (
        text_of(root, "Bucket") or "",
        decode.required(text_of(root, "Key") or ""),
        upload_id,
    )


def parse_complete(root: ElementTree.Element) -> dict[str, str | None]:
    """The fields of a Complete Multipart Upload answer; raises XmlError without
    an ETag (the only proof that the object was assembled)."""
    decode = _Decoder(_encoding_type(root))
    etag = required_text(root, "ETag", "Complete Multipart Upload").strip()
    return {
        "location": text_of(root, "Location"),
        "bucket": text_of(root, "Bucket"),
        "key": decode(text_of(root, "Key")),
        "etag": etag,
    }


def parse_post_response(root: ElementTree.Element) -> dict[str, str | None]:
    """The fields of a POST Object ``<PostResponse>`` (``success_action_status=201``);
    all optional: the headers carry the same facts."""
    return {
        "location": text_of(root, "Location"),
        "bucket": text_of(root, "Bucket"),
        "key": text_of(root, "Key"),
        "etag": text_of(root, "ETag"),
    }


def parse_list_parts(root: ElementTree.Element) -> ListPartsResult:
    """A List Parts answer (without response info: the client adds it). Raises
    XmlError without an UploadId, or for a part without a number (1..10,000), an
    ETag or a size: resuming compares exactly those with the local parts."""
    answer = "List Parts"
    decode = _Decoder(_encoding_type(root))
    upload_id = required_text(root, "UploadId", answer).strip()
    parts = tuple(_part(entry, answer) for entry in root.findall("Part"))
    return ListPartsResult(
        bucket=text_of(root, "Bucket") or "",
        key=decode.required(text_of(root, "Key") or ""),
        upload_id=upload_id,
        encoding_type=_encoding_type(root),
        initiator=_owner(root.find("Initiator")),
        owner=_owner(root.find("Owner")),
        storage_class=text_of(root, "StorageClass"),
        part_number_marker=_count(root, "PartNumberMarker", answer, 0) or 0,
        # rclone sends 0 for "none"; 0 is never a part number.
        next_part_number_marker=_count(root, "NextPartNumberMarker", answer) or None,
        max_parts=_count(root, "MaxParts", answer, 0) or 0,
        is_truncated=_is_truncated(root, answer),
        parts=parts,
    )


def _part(entry: ElementTree.Element, answer: str) -> Part:
    part_number = _required_count(entry, "PartNumber", answer)
    if not MIN_PART_NUMBER <= part_number <= MAX_PART_NUMBER:
        raise XmlError(
            f"{_where(entry, answer)} has <PartNumber> {part_number}, "
            f"outside {MIN_PART_NUMBER}..{MAX_PART_NUMBER}"
        )
    return Part(
        part_number=part_number,
        etag=required_text(entry, "ETag", answer).strip(),
        size=_required_count(entry, "Size", answer),
        last_modified=parse_time(text_of(entry, "LastModified")),
    )


def parse_list_uploads(root: ElementTree.Element) -> ListMultipartUploadsResult:
    """A List Multipart Uploads answer (without response info: the client adds
    it). Raises XmlError without a Bucket, or for an upload without a Key or an
    UploadId."""
    answer = "List Multipart Uploads"
    required_text(root, "Bucket", answer)
    decode = _Decoder(_encoding_type(root))
    uploads = tuple(
        MultipartUpload(
            key=decode.required(required_text(entry, "Key", answer)),
            upload_id=required_text(entry, "UploadId", answer).strip(),
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
        is_truncated=_is_truncated(root, answer),
        common_prefixes=_common_prefixes(root, decode),
        key_marker=decode(text_of(root, "KeyMarker")) or None,
        upload_id_marker=text_of(root, "UploadIdMarker") or None,
        next_key_marker=decode(text_of(root, "NextKeyMarker")) or None,
        next_upload_id_marker=text_of(root, "NextUploadIdMarker") or None,
        max_uploads=_count(root, "MaxUploads", answer, 0) or 0,
        uploads=uploads,
    )


def parse_list_objects(root: ElementTree.Element) -> ListObjectsResult:
    """A List Objects answer (without response info: the client adds it). Raises
    XmlError without the bucket's Name, or for an object without a Key or a Size."""
    answer = "List Objects"
    decode = _Decoder(_encoding_type(root))
    bucket = required_text(root, "Name", answer)
    contents = tuple(
        ObjectSummary(
            key=decode.required(required_text(entry, "Key", answer)),
            last_modified=parse_time(text_of(entry, "LastModified")),
            etag=text_of(entry, "ETag") or "",
            size=_required_count(entry, "Size", answer),
            storage_class=text_of(entry, "StorageClass"),
            owner=_owner(entry.find("Owner")),
        )
        for entry in root.findall("Contents")
    )
    return ListObjectsResult(
        bucket=bucket,
        encoding_type=_encoding_type(root),
        prefix=decode(text_of(root, "Prefix")) or "",
        delimiter=decode(text_of(root, "Delimiter")) or None,
        is_truncated=_is_truncated(root, answer),
        common_prefixes=_common_prefixes(root, decode),
        marker=decode(text_of(root, "Marker")) or None,
        next_marker=decode(text_of(root, "NextMarker")) or None,
        max_keys=_count(root, "MaxKeys", answer, 0) or 0,
        contents=contents,
    )


def parse_list_buckets(root: ElementTree.Element) -> ListBucketsResult:
    """A GET Service answer (without response info: the client adds it). Raises
    XmlError for a bucket without a Name or a Location: the picker needs both."""
    answer = "GET Service"
    entries = root.find("Buckets")
    buckets = tuple(
        BucketSummary(
            name=required_text(entry, "Name", answer).strip(),
            region=required_text(entry, "Location", answer).strip(),
            created=parse_time(text_of(entry, "CreationDate")),
        )
        for entry in (entries.findall("Bucket") if entries is not None else ())
    )
    return ListBucketsResult(
        owner=_owner(root.find("Owner")),
        marker=text_of(root, "Marker") or None,
        next_marker=text_of(root, "NextMarker") or None,
        max_keys=_count(root, "MaxKeys", answer, 0) or 0,
        is_truncated=_is_truncated(root, answer),
        buckets=buckets,
    )


def quote_etag(etag: str) -> str:
    """An ETag in the double quotes COS expects in Complete Multipart Upload."""
    etag = etag.strip()
    return etag if etag.startswith('"') and etag.endswith('"') and len(etag) >= 2 else f'"{etag}"'


def delete_objects_body(keys: Sequence[str], quiet: bool) -> bytes:
    """The ``<Delete>`` document of DeleteObjects. Keys go in as element text,
    which is why keys may hold no character XML 1.0 cannot carry
    (ARCHITECTURE.md, "Object keys")."""
    from xml.sax.saxutils import escape

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<Delete>", f"<Quiet>{str(quiet).lower()}</Quiet>"]
    lines.extend(f"<Object><Key>{escape(key)}</Key></Object>" for key in keys)
    lines.append("</Delete>")
    return "".join(lines).encode("utf-8")


def parse_delete_result(root: ElementTree.Element) -> tuple[tuple[str, ...], tuple[DeleteFailure, ...]]:
    """The keys a DeleteObjects answer says were deleted, and those that failed."""
    answer = "DeleteObjects"
    # Not required_text: a key may be all spaces.
    deleted = tuple(_key_text(entry, answer) for entry in root.findall("Deleted"))
    failures = tuple(
        DeleteFailure(
            key=_key_text(entry, answer),
            code=text_of(entry, "Code") or "UnknownError",
            message=text_of(entry, "Message") or "",
        )
        for entry in root.findall("Error")
    )
    return deleted, failures


def _key_text(entry: ElementTree.Element, answer: str) -> str:
    key = text_of(entry, "Key")
    if not key:
        raise XmlError(f"{_where(entry, answer)} has no <Key>")
    return key


def complete_multipart_body(parts: Sequence[tuple[int, str]]) -> bytes:
    """The ``<CompleteMultipartUpload>`` document, parts in the order given."""
    from xml.sax.saxutils import escape

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<CompleteMultipartUpload>"]
    for part_number, etag in parts:
        lines.append(
            f"<Part><PartNumber>{int(part_number)}</PartNumber><ETag>{escape(quote_etag(etag))}</ETag></Part>"
        )
    lines.append("</CompleteMultipartUpload>")
    return "".join(lines).encode("utf-8")
