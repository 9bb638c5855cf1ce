"""One function per COS operation: checks, storage calls and the answer.

Every check that can refuse a request runs before the body is opened, so a
client that sent ``Expect: 100-continue`` is refused without sending its body.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import itertools
import logging
import sqlite3
from collections.abc import Iterator

import defusedxml.ElementTree as SafeElementTree

from cosdesk.sandbox import xml_responses as xml
from cosdesk.sandbox.body import BodyReader, ClientGone
from cosdesk.sandbox.bucket_operations import delete_objects, list_buckets
from cosdesk.sandbox.copy_operations import copy_object, upload_part_copy
from cosdesk.sandbox.errors import (
    CosServerError,
    insufficient_storage,
    invalid_argument,
    malformed_xml,
    no_such_bucket,
    no_such_key,
    no_such_upload,
)
from cosdesk.sandbox.exchange import Exchange, Response
from cosdesk.sandbox.form_upload import post_object
from cosdesk.sandbox.ingest import receive
from cosdesk.sandbox.listing_operations import list_multipart_uploads, list_objects
from cosdesk.sandbox.operation_context import OperationContext
from cosdesk.sandbox.request_checks import (
    MAX_LIST,
    MAX_OBJECT_BYTES,
    MAX_PART_BYTES,
    body_length_limit,
    check_key,
    check_md5,
    encoding_is_url,
    expected_md5,
    int_param,
    metadata_from,
    method_not_allowed,
    part_number_of,
    traffic_limit,
)
from cosdesk.sandbox.storage import (
    NotAppendable,
    ObjectRecord,
    PartRecord,
    PositionMismatch,
    UploadGone,
    is_out_of_space,
)

logger = logging.getLogger("cosdesk.sandbox")

MIN_PART_BYTES = 1024 * 1024
MAX_COMPLETE_BODY_BYTES = 16 * 1024 * 1024
# After a refusal mid-body (a full disk), the rest of a body up to this size is
# read and dropped so the client, still sending, gets to read the answer.
DRAIN_AFTER_REFUSAL_BYTES = 64 * 1024 * 1024

RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


def http_date(epoch_s: float) -> str:
    return email.utils.formatdate(epoch_s, usegmt=True)


@contextlib.contextmanager
def answer_when_full(reader: BodyReader, exchange: Exchange) -> Iterator[None]:
    """Around receiving a body: when the disk fills, read and drop the rest of a
    moderate body, so the client (still sending) reads the 507 on a connection
    that stays usable; :meth:`Operations.dispatch` makes the answer."""
    try:
        yield
    except (OSError, sqlite3.Error) as error:
        remaining = (exchange.content_length or 0) - reader.consumed
        if is_out_of_space(error) and 0 <= remaining <= DRAIN_AFTER_REFUSAL_BYTES:
            with contextlib.suppress(ClientGone, CosServerError, OSError):
                reader.drain()
        raise


def object_headers(record: ObjectRecord) -> list[tuple[str, str]]:
    headers = [
        ("ETag", record.etag),
        ("Last-Modified", http_date(record.last_modified)),
        ("x-cos-hash-crc64ecma", str(record.crc64)),
        ("x-cos-object-type", record.object_type),
        ("Accept-Ranges", "bytes"),
    ]
    if record.storage_class != "STANDARD":
        headers.append(("x-cos-storage-class", record.storage_class))
    if record.object_type == "appendable":
        headers.append(("x-cos-next-append-position", str(record.size)))
    stored = dict(record.metadata)
    stored.setdefault("Content-Type", "application/octet-stream")
    headers += list(stored.items())
    return headers


# --- the operations -------------------------------------------------------------


class Operations(OperationContext):
    """Routes a request to its operation: the object calls are methods here, the
    bucket, listing, copy and form calls live in their own modules."""

    def dispatch(self, exchange: Exchange) -> Response:
        """The answer to ``exchange``; raises CosServerError for an error answer."""
        try:
            return self._route(exchange)
        except xml.NotXmlText:
            # A key stored before keys were checked (see check_key), or a prefix or
            # marker the request sent: refused rather than written as broken XML.
            raise invalid_argument(
                "The answer would hold a control character that XML cannot carry (in a key, "
                "prefix or marker); ask with encoding-type=url."
            ) from None
        except (OSError, sqlite3.Error) as error:
            if not is_out_of_space(error):
                raise
            # Worth a line in the log, not a traceback: the client is told what happened.
            logger.warning(
                "out of disk space under %s: a %s answered 507 InsufficientStorage",
                self.storage.root,
                exchange.method,
            )
            raise insufficient_storage() from None

    def _route(self, exchange: Exchange) -> Response:
        method, key = exchange.method, exchange.key
        if exchange.bucket == "":
            # The request names no bucket: only GET Service is about no bucket.
            if method == "GET" and key == "":
                return list_buckets(self, exchange)
            raise no_such_bucket()
        if key == "":
            return self._route_bucket(exchange)
        if method == "PUT" and exchange.header("x-cos-copy-source") is not None:
            if exchange.has_param("partNumber") or exchange.has_param("uploadId"):
                return upload_part_copy(self, exchange)
            return copy_object(self, exchange)
        if method == "PUT":
            if exchange.has_param("partNumber") or exchange.has_param("uploadId"):
                return self.upload_part(exchange)
            return self.put_object(exchange)
        if method == "POST":
            if exchange.has_param("append"):
                return self.append_object(exchange)
            if exchange.has_param("uploads"):
                return self.initiate_multipart_upload(exchange)
            if exchange.has_param("uploadId"):
                return self.complete_multipart_upload(exchange)
        if method in ("GET", "HEAD"):
            if exchange.has_param("uploadId"):
                return self.list_parts(exchange)
            return self.get_object(exchange)
        if method == "DELETE":
            if exchange.has_param("uploadId"):
                return self.abort_multipart_upload(exchange)
            self.storage.delete_object(exchange.bucket, key)
            return Response(204)
        raise method_not_allowed()

    def _route_bucket(self, exchange: Exchange) -> Response:
        method = exchange.method
        if method in ("GET", "HEAD") and exchange.has_param("uploads"):
            return list_multipart_uploads(self, exchange)
        if method == "GET":
            return list_objects(self, exchange)
        if method == "HEAD":
            # HEAD Bucket: the server's buckets all live in its one region.
            return Response(200, [("x-cos-bucket-region", self.info.region)])
        if method == "POST" and exchange.has_param("delete"):
            return delete_objects(self, exchange)
        if method == "POST" and (exchange.header("Content-Type") or "").lower().startswith(
            "multipart/form-data"
        ):
            return post_object(self, exchange)
        if method == "PUT":
            raise CosServerError(409, "BucketAlreadyOwnedByYou", "The bucket already exists and is yours.")
        raise method_not_allowed()

    # --- simple upload, append, read, delete ---

    def put_object(self, exchange: Exchange) -> Response:
        check_key(exchange.key)
        metadata, storage_class = metadata_from(exchange.header_items())
        limit = traffic_limit(exchange)
        md5 = expected_md5(exchange)
        body_length_limit(exchange, MAX_OBJECT_BYTES)
        reader = exchange.open_body(limit)
        with answer_when_full(reader, exchange), self.storage.incoming() as incoming:
            receive(reader, incoming, MAX_OBJECT_BYTES, exchange.content_length)
            check_md5(md5, incoming.md5_digest())
            record = self.storage.commit_object(
                exchange.bucket, exchange.key, incoming, storage_class=storage_class, metadata=metadata
            )
        return Response(200, [("ETag", record.etag), ("x-cos-hash-crc64ecma", str(record.crc64))])

    def append_object(self, exchange: Exchange) -> Response:
        check_key(exchange.key)
        position = int_param(exchange, "position", -1, 0)
        if position < 0:
            raise invalid_argument("position is required for an append.")
        metadata, storage_class = metadata_from(exchange.header_items())
        limit = traffic_limit(exchange)
        md5 = expected_md5(exchange)
        body_length_limit(exchange, MAX_OBJECT_BYTES)
        current = self.storage.get_object(exchange.bucket, exchange.key)
        self._check_append(current, position)
        reader = exchange.open_body(limit)
        try:
            with (
                answer_when_full(reader, exchange),
                self.storage.appending(
                    exchange.bucket, exchange.key, position, storage_class=storage_class, metadata=metadata
                ) as (incoming, result),
            ):
                receive(reader, incoming, MAX_OBJECT_BYTES - position, exchange.content_length)
                check_md5(md5, incoming.md5_digest())
        except NotAppendable:
            raise self._not_appendable() from None
        except PositionMismatch as mismatch:
            raise self._position_mismatch(mismatch.current_length) from None
        record = result[0]
        return Response(
            200,
            [
                ("ETag", f'"{incoming.md5_hex()}"'),
                ("x-cos-next-append-position", str(record.size)),
                ("x-cos-hash-crc64ecma", str(record.crc64)),
            ],
        )

    @staticmethod
    def _not_appendable() -> CosServerError:
        return CosServerError(409, "ObjectNotAppendable", "This object is not appendable.")

    @staticmethod
    def _position_mismatch(length: int) -> CosServerError:
        return CosServerError(
            409,
            "PositionNotEqualToLength",
            "The position is not equal to the length of the object.",
            headers={"x-cos-next-append-position": str(length)},
        )

    def _check_append(self, current: ObjectRecord | None, position: int) -> None:
        if current is not None and current.object_type != "appendable":
            raise self._not_appendable()
        length = 0 if current is None else current.size
        if position != length:
            raise self._position_mismatch(length)

    def get_object(self, exchange: Exchange) -> Response:
        limit = traffic_limit(exchange)
        opened = self.storage.open_object(exchange.bucket, exchange.key)
        if opened is None:
            raise no_such_key()
        record, file = opened
        if self.storage.discard_bodies and exchange.method == "GET":
            file.close()
            raise CosServerError(
                501, "NotImplemented", "This server discards object bodies (--discard-bodies)."
            )
        try:
            headers = object_headers(record)
            precondition = self._preconditions(exchange, record)
            if precondition is not None:
                file.close()
                return Response(precondition, [h for h in headers if h[0] in ("ETag", "Last-Modified")])
            for param, header in RESPONSE_OVERRIDES.items():
                value = exchange.param(param)
                if value is not None and exchange.method == "GET":
                    headers = [h for h in headers if h[0].lower() != header.lower()] + [(header, value)]
            status, offset, length = 200, 0, record.size
            requested = exchange.header("Range")
            if requested is not None:
                byte_range = parse_range(requested, record.size)
                if byte_range is not None:
                    offset, end = byte_range
                    length = end - offset + 1
                    status = 206
                    headers.append(("Content-Range", f"bytes {offset}-{end}/{record.size}"))
        except BaseException:
            file.close()
            raise
        return Response(
            status, headers, file=file, file_offset=offset, file_length=length, rate_limit_bytes_per_s=limit
        )

    @staticmethod
    def _preconditions(exchange: Exchange, record: ObjectRecord) -> int | None:
        if_match = exchange.header("If-Match")
        if if_match is not None and if_match.strip() not in (record.etag, "*", record.etag.strip('"')):
            raise CosServerError(412, "PreconditionFailed", "At least one of the preconditions did not hold.")
        if_none_match = exchange.header("If-None-Match")
        if if_none_match is not None and if_none_match.strip() in (record.etag, "*", record.etag.strip('"')):
            return 304
        return None

    # --- multipart ---

    def initiate_multipart_upload(self, exchange: Exchange) -> Response:
        check_key(exchange.key)
        metadata, storage_class = metadata_from(exchange.header_items())
        upload = self.storage.create_upload(
            exchange.bucket, exchange.key, storage_class=storage_class, metadata=metadata
        )
        return Response(200, body=xml.initiate_result(exchange.bucket, exchange.key, upload.upload_id))

    def upload_part(self, exchange: Exchange) -> Response:
        part_number = part_number_of(exchange)
        limit = traffic_limit(exchange)
        md5 = expected_md5(exchange)
        body_length_limit(exchange, MAX_PART_BYTES)
        upload = self.upload_of(exchange)
        reader = exchange.open_body(limit)
        with answer_when_full(reader, exchange), self.storage.incoming() as incoming:
            receive(reader, incoming, MAX_PART_BYTES, exchange.content_length)
            check_md5(md5, incoming.md5_digest())
            try:
                part = self.storage.commit_part(upload.upload_id, part_number, incoming)
            except UploadGone:
                raise no_such_upload() from None
        return Response(200, [("ETag", part.etag), ("x-cos-hash-crc64ecma", str(part.crc64))])

    def list_parts(self, exchange: Exchange) -> Response:
        upload = self.upload_of(exchange)
        max_parts = int_param(exchange, "max-parts", MAX_LIST, 0, None)
        max_parts = min(max_parts, MAX_LIST)
        marker = int_param(exchange, "part-number-marker", 0, 0)
        encode = encoding_is_url(exchange)
        parts = self.storage.list_parts(upload.upload_id, after=marker, limit=max_parts + 1)
        truncated = len(parts) > max_parts
        parts = parts[:max_parts]
        body = xml.list_parts_result(
            bucket=exchange.bucket,
            app_id=self.info.app_id_of(exchange.bucket),
            key=upload.key,
            upload_id=upload.upload_id,
            storage_class=upload.storage_class,
            encode=encode,
            part_number_marker=marker,
            next_part_number_marker=parts[-1].part_number if parts else None,
            max_parts=max_parts,
            is_truncated=truncated,
            parts=[xml.PartEntry(p.part_number, p.last_modified, p.etag, p.size) for p in parts],
        )
        return Response(200, body=body)

    def complete_multipart_upload(self, exchange: Exchange) -> Response:
        upload = self.upload_of(exchange)
        check_key(upload.key)  # an upload begun before keys were checked
        md5 = expected_md5(exchange)
        reader = exchange.open_body()
        text = reader.read_all(MAX_COMPLETE_BODY_BYTES)
        check_md5(md5, hashlib.md5(text).digest())
        requested = parse_complete_body(text)
        try:
            choose_parts(requested, self.storage.list_parts(upload.upload_id))
        except CosServerError:
            if self.storage.get_upload(upload.upload_id) is None:
                raise no_such_upload() from None  # aborted or completed meanwhile
            raise
        if self.faults.take_complete_error():
            # COS answers 200 at once and can still fail while assembling.
            body = xml.error_document(
                "InternalError",
                "We encountered an internal error. Please try again.",
                self.location(exchange.bucket, exchange.key),
                exchange.request_id,
                exchange.request_id,
            )
            return Response(200, body=body)
        try:
            # The parts are chosen again under the store's lock: one may have been
            # replaced since. A Complete that loses a race with another Complete (or
            # an Abort) is told NoSuchUpload, as COS tells a repeated Complete:
            # Tencent's own SDKs, on NoSuchUpload after retrying a Complete, look
            # for the object rather than expect COS to answer 200 again.
            record = self.storage.complete_upload(
                upload.upload_id, lambda stored: choose_parts(requested, stored)
            )
        except UploadGone:
            raise no_such_upload() from None
        body = xml.complete_result(
            self.location(upload.bucket, upload.key), upload.bucket, upload.key, record.etag
        )
        return Response(200, [("x-cos-hash-crc64ecma", str(record.crc64))], body=body)

    def abort_multipart_upload(self, exchange: Exchange) -> Response:
        upload = self.upload_of(exchange)
        if not self.storage.abort_upload(upload.upload_id):
            raise no_such_upload()
        return Response(204)


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(first, last)`` of a single ``bytes=`` range; None to send everything;
    raises 416 InvalidRange when nothing of the object is asked for."""
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first_text == "":
            suffix = int(last_text)
            if suffix <= 0 or size == 0:
                raise _invalid_range(size)
            return max(0, size - suffix), size - 1
        first = int(first_text)
        last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first >= size or last < first:
        raise _invalid_range(size)
    return first, min(last, size - 1)


def _invalid_range(size: int) -> CosServerError:
    return CosServerError(
        416,
        "InvalidRange",
        "The requested range is not satisfiable.",
        headers={"Content-Range": f"bytes */{size}"},
    )


def choose_parts(requested: list[tuple[int, str]], stored: list[PartRecord]) -> list[PartRecord]:
    """The stored parts a Complete names, in its order; raises COS's error when the
    list is out of order, names a part that is missing or has another ETag, or
    has a part below the minimum size before the last."""
    numbers = [number for number, _ in requested]
    if any(later <= earlier for earlier, later in itertools.pairwise(numbers)):
        raise CosServerError(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
    by_number = {part.part_number: part for part in stored}
    chosen = []
    for number, etag in requested:
        part = by_number.get(number)
        if part is None or etag.strip().strip('"').lower() != part.md5_hex:
            raise CosServerError(
                400,
                "InvalidPart",
                "One or more of the specified parts could not be found or its entity tag did not match.",
            )
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_BYTES:
            raise CosServerError(
                400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed."
            )
    return chosen


def parse_complete_body(text: bytes) -> list[tuple[int, str]]:
    """``[(part number, ETag)]`` of a ``<CompleteMultipartUpload>`` body."""
    try:
        root = SafeElementTree.fromstring(text.strip())
    except Exception:
        raise malformed_xml() from None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    if local(root.tag) != "CompleteMultipartUpload":
        raise malformed_xml()
    parts = []
    for element in root:
        if local(element.tag) != "Part":
            continue
        fields = {local(child.tag): (child.text or "").strip() for child in element}
        try:
            parts.append((int(fields["PartNumber"]), fields["ETag"]))
        except (KeyError, ValueError):
            raise malformed_xml() from None
    if not parts:
        raise malformed_xml()
    return parts
