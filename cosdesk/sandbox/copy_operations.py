"""PUT Object - Copy and Upload Part - Copy: a new object, or a part of a
multipart upload, made of bytes this server already holds.

The source is named by ``x-cos-copy-source``. COS's form is
``{bucket}.cos.{region}.myqcloud.com/{url-encoded key}``; S3 tools name it
``[/]{bucket}/{url-encoded key}``; either may end in ``?versionId=…``, which is
ignored (this server keeps one version of each object). The bytes are streamed
from the source's file, never held in memory.
"""

from __future__ import annotations

import email.utils
from typing import BinaryIO
from urllib.parse import unquote_to_bytes

from cosdesk.sandbox import xml_responses as xml
from cosdesk.sandbox.body import CHUNK_BYTES
from cosdesk.sandbox.errors import (
    CosServerError,
    invalid_argument,
    invalid_request,
    no_such_bucket,
    no_such_key,
    no_such_upload,
    precondition_failed,
)
from cosdesk.sandbox.exchange import Exchange, Response
from cosdesk.sandbox.operation_context import OperationContext
from cosdesk.sandbox.request_checks import MAX_PART_BYTES, check_key, metadata_from, part_number_of
from cosdesk.sandbox.routing import BUCKET_NAME
from cosdesk.sandbox.storage import IncomingBody, ObjectRecord, UploadGone

_SCHEMES = ("http://", "https://")


def invalid_copy_source(detail: str) -> CosServerError:
    return CosServerError(400, "InvalidCopySource", f"The x-cos-copy-source header is not valid: {detail}")


def parse_copy_source(value: str) -> tuple[str, str]:
    """``(bucket, key)`` named by an ``x-cos-copy-source`` value (see the module's
    docstring for the forms); 400 InvalidCopySource for anything else."""
    text = value.strip()
    for scheme in _SCHEMES:
        if text.lower().startswith(scheme):
            text = text[len(scheme) :]
    # A "?" is only ever the start of ?versionId=: in the key itself it is encoded.
    text = text.partition("?")[0].lstrip("/")
    head, slash, encoded_key = text.partition("/")
    if not slash or not encoded_key:
        raise invalid_copy_source("it names no key.")
    bucket = head.split(".", 1)[0]  # {bucket}.cos.{region}.myqcloud.com, or the bare name
    if not BUCKET_NAME.match(bucket):
        raise invalid_copy_source(f"{bucket!r} is not a bucket name.")
    try:
        key = unquote_to_bytes(encoded_key).decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_copy_source("the key is not URL-encoded UTF-8.") from None
    return bucket, key


def _replaces_metadata(exchange: Exchange) -> bool:
    directive = (exchange.header("x-cos-metadata-directive") or "Copy").strip().lower()
    if directive not in ("copy", "replaced"):
        raise invalid_argument("x-cos-metadata-directive must be Copy or Replaced.")
    return directive == "replaced"


def _http_time(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None  # an unreadable date is ignored, as for GET's conditions


def _etag_matches(condition: str, etag: str) -> bool:
    wanted = {item.strip().strip('"') for item in condition.split(",")}
    return "*" in wanted or etag.strip('"') in wanted


def check_copy_conditions(exchange: Exchange, source: ObjectRecord) -> None:
    """``x-cos-copy-source-If-*``: 412 PreconditionFailed unless they hold. As in
    S3, a matching If-Match outweighs If-Unmodified-Since, and a holding
    If-None-Match outweighs If-Modified-Since."""
    if_match = exchange.header("x-cos-copy-source-If-Match")
    if_none_match = exchange.header("x-cos-copy-source-If-None-Match")
    unmodified_since = _http_time(exchange.header("x-cos-copy-source-If-Unmodified-Since"))
    modified_since = _http_time(exchange.header("x-cos-copy-source-If-Modified-Since"))
    # HTTP dates have whole seconds.
    modified = int(source.last_modified)
    if if_match is not None and not _etag_matches(if_match, source.etag):
        raise precondition_failed()
    if if_none_match is not None and _etag_matches(if_none_match, source.etag):
        raise precondition_failed()
    if if_match is None and unmodified_since is not None and modified > unmodified_since:
        raise precondition_failed()
    if if_none_match is None and modified_since is not None and modified <= modified_since:
        raise precondition_failed()


def _open_source(operations: OperationContext, exchange: Exchange) -> tuple[ObjectRecord, BinaryIO]:
    if operations.storage.discard_bodies:
        raise CosServerError(501, "NotImplemented", "This server discards object bodies (--discard-bodies).")
    bucket, key = parse_copy_source(exchange.header("x-cos-copy-source") or "")
    if not operations.storage.bucket_exists(bucket):
        raise no_such_bucket()
    opened = operations.storage.open_object(bucket, key)
    if opened is None:
        raise no_such_key()
    return opened


# --- PUT Object - Copy ------------------------------------------------------------


def copy_object(operations: OperationContext, exchange: Exchange) -> Response:
    """A new object from another (or from itself, to change its metadata or
    storage class). ``x-cos-metadata-directive: Copy`` (the default) keeps the
    source's metadata and Content-Type, ``Replaced`` takes the request's."""
    check_key(exchange.key)
    replaced = _replaces_metadata(exchange)
    request_metadata, storage_class = metadata_from(exchange.header_items())
    class_given = exchange.header("x-cos-storage-class") is not None
    source, source_file = _open_source(operations, exchange)
    with source_file:
        check_copy_conditions(exchange, source)
        onto_itself = (source.bucket, source.key) == (exchange.bucket, exchange.key)
        if onto_itself and not replaced and (not class_given or storage_class == source.storage_class):
            raise invalid_request(
                "This copy request is illegal because it is trying to copy an object to itself "
                "without changing the object's metadata or storage class."
            )
        record = operations.storage.copy_object(
            source,
            source_file,
            exchange.bucket,
            exchange.key,
            storage_class=storage_class,
            metadata=request_metadata if replaced else source.metadata,
        )
    body = xml.copy_object_result(record.etag, record.crc64, record.last_modified)
    return Response(200, [("x-cos-hash-crc64ecma", str(record.crc64))], body=body)


# --- Upload Part - Copy -------------------------------------------------------------


def parse_copy_range(value: str | None, size: int) -> tuple[int, int]:
    """``(offset, length)`` of ``x-cos-copy-source-range: bytes=first-last`` in a
    source of ``size`` bytes; no header (or an empty one, which the Python SDK
    sends) means the whole source. 400 InvalidArgument for any other range."""
    if value is None or value.strip() == "":
        return 0, size
    unit, _, spec = value.strip().partition("=")
    first_text, dash, last_text = spec.strip().partition("-")
    if unit.strip().lower() == "bytes" and dash and first_text.isdigit() and last_text.isdigit():
        first, last = int(first_text), int(last_text)
        if first <= last < size:
            return first, last - first + 1
    raise invalid_argument(
        f"The x-cos-copy-source-range {value!r} is not valid for a source object of {size} bytes."
    )


def upload_part_copy(operations: OperationContext, exchange: Exchange) -> Response:
    """A part of a multipart upload made of a byte range of an object. Its ETag
    is the MD5 of those bytes, so it completes like any uploaded part."""
    part_number = part_number_of(exchange)
    upload = operations.upload_of(exchange)
    source, source_file = _open_source(operations, exchange)
    with source_file:
        check_copy_conditions(exchange, source)
        offset, length = parse_copy_range(exchange.header("x-cos-copy-source-range"), source.size)
        if length > MAX_PART_BYTES:
            raise CosServerError(
                400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."
            )
        with operations.storage.incoming() as incoming:
            _stream_range(source_file, offset, length, incoming)
            try:
                part = operations.storage.commit_part(upload.upload_id, part_number, incoming)
            except UploadGone:
                raise no_such_upload() from None
    body = xml.copy_part_result(part.etag, part.last_modified)
    return Response(200, [("x-cos-hash-crc64ecma", str(part.crc64))], body=body)


def _stream_range(source: BinaryIO, offset: int, length: int, incoming: IncomingBody) -> None:
    """Feed ``length`` bytes of ``source`` from ``offset`` through ``incoming``
    (which hashes and writes them), a chunk at a time."""
    source.seek(offset)
    buffer = memoryview(bytearray(min(CHUNK_BYTES, max(length, 1))))
    remaining = length
    while remaining > 0:
        count = source.readinto(buffer[: min(remaining, len(buffer))])  # type: ignore[attr-defined]
        if not count:
            raise OSError("a data file is shorter than its record")
        incoming.write(buffer[:count])
        remaining -= count
