"""One function per COS operation: checks, storage calls and the answer.

Every check that can refuse a request runs before the body is opened, so a
client that sent ``Expect: 100-continue`` is refused without sending its body.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import defusedxml.ElementTree as SafeElementTree

from cosdesk.sandbox import xml_responses as xml
from cosdesk.sandbox.errors import (
    CosServerError,
    invalid_argument,
    malformed_xml,
    no_such_key,
    no_such_upload,
)
from cosdesk.sandbox.exchange import Exchange, Response
from cosdesk.sandbox.faults import FaultSettings
from cosdesk.sandbox.ingest import receive
from cosdesk.sandbox.request_auth import AuthPolicy
from cosdesk.sandbox.storage import (
    Metadata,
    NotAppendable,
    ObjectRecord,
    PositionMismatch,
    Storage,
    UploadGone,
    UploadRecord,
)

GB = 1024**3
MAX_OBJECT_BYTES = 5 * GB
MAX_PART_BYTES = 5 * GB
MIN_PART_BYTES = 1024 * 1024
MAX_PART_NUMBER = 10_000
MAX_KEY_BYTES = 850
MAX_USER_METADATA_BYTES = 2048
MAX_LIST = 1000
MAX_COMPLETE_BODY_BYTES = 16 * 1024 * 1024
TRAFFIC_LIMIT_RANGE_BITS = (819_200, 838_860_800)

STORAGE_CLASSES = frozenset(
    {
        "STANDARD",
        "STANDARD_IA",
        "ARCHIVE",
        "DEEP_ARCHIVE",
        "INTELLIGENT_TIERING",
        "MAZ_STANDARD",
        "MAZ_STANDARD_IA",
        "MAZ_INTELLIGENT_TIERING",
    }
)
# Headers stored with an object and given back on HEAD and GET, with their canonical spelling.
STORED_HEADERS = {
    name.lower(): name
    for name in (
        "Cache-Control",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Type",
        "Expires",
        "x-cos-acl",
        "x-cos-grant-read",
        "x-cos-grant-read-acp",
        "x-cos-grant-write-acp",
        "x-cos-grant-full-control",
        "x-cos-tagging",
    )
}
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


@dataclass(frozen=True)
class ServerInfo:
    region: str
    app_id_of: Callable[[str], str]


def http_date(epoch_s: float) -> str:
    return email.utils.formatdate(epoch_s, usegmt=True)


# --- request checks ------------------------------------------------------------


def check_key(key: str) -> None:
    if not key:
        raise invalid_argument("The object key must not be empty.")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise CosServerError(400, "KeyTooLong", f"The object key is longer than {MAX_KEY_BYTES} bytes.")


def metadata_from(items: list[tuple[str, str]]) -> tuple[Metadata, str]:
    """The headers (or form fields) stored with an object, and its storage class."""
    stored: list[tuple[str, str]] = []
    user_bytes = 0
    storage_class = "STANDARD"
    for name, value in items:
        lowered = name.lower()
        if lowered == "x-cos-storage-class":
            storage_class = value.strip().upper()
            if storage_class not in STORAGE_CLASSES:
                raise CosServerError(
                    400, "InvalidStorageClass", "The storage class you specified is not valid."
                )
        elif lowered.startswith("x-cos-meta-"):
            user_bytes += len(lowered.encode("utf-8")) + len(value.encode("utf-8"))
            stored.append((lowered, value))
        elif lowered in STORED_HEADERS and value != "":
            # Node sends empty Content-Type/Cache-Control headers it does not mean.
            stored.append((STORED_HEADERS[lowered], value))
    if user_bytes > MAX_USER_METADATA_BYTES:
        raise CosServerError(
            400,
            "MetadataTooLarge",
            f"Your metadata headers exceed the maximum allowed ({MAX_USER_METADATA_BYTES} bytes).",
        )
    return tuple(stored), storage_class


def traffic_limit(exchange: Exchange) -> float | None:
    """``x-cos-traffic-limit`` in bytes per second (the header is in bits per second)."""
    value = exchange.header("x-cos-traffic-limit")
    if value is None:
        return None
    low, high = TRAFFIC_LIMIT_RANGE_BITS
    try:
        bits = int(value)
    except ValueError:
        bits = -1
    if not low <= bits <= high:
        raise invalid_argument(f"x-cos-traffic-limit must be between {low} and {high} bit/s.")
    return bits / 8


def expected_md5(exchange: Exchange) -> bytes | None:
    value = exchange.header("Content-MD5")
    if value is None:
        return None
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise CosServerError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
    return digest


def check_md5(expected: bytes | None, actual: bytes) -> None:
    if expected is not None and expected != actual:
        raise CosServerError(
            400, "BadDigest", "The Content-MD5 you specified did not match what we received."
        )


def body_length_limit(exchange: Exchange, limit: int) -> None:
    if exchange.content_length is None and not exchange.chunked:
        raise CosServerError(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
    if exchange.content_length is not None and exchange.content_length > limit:
        raise CosServerError(
            400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size."
        )


def int_param(exchange: Exchange, name: str, default: int, low: int, high: int | None = None) -> int:
    text = exchange.param(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise invalid_argument(f"{name} must be an integer.") from None
    if value < low or (high is not None and value > high):
        raise invalid_argument(f"{name} is out of range.")
    return value


def encoding_is_url(exchange: Exchange) -> bool:
    encoding = exchange.param("encoding-type")
    if encoding in (None, ""):
        return False
    if encoding != "url":
        raise invalid_argument("encoding-type must be url.")
    return True


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


# --- listing --------------------------------------------------------------------

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    common_prefixes: list[str]
    is_truncated: bool
    last_key: str | None  # key of the last item or the last common prefix
    last_item: T | None


def paginate(
    entries: Iterator[T], key_of: Callable[[T], str], *, prefix: str, delimiter: str, marker: str, limit: int
) -> Page[T]:
    """One page of a listing: items and common prefixes count together against ``limit``."""
    page: Page[T] = Page([], [], False, None, None)
    try:
        entry = next(entries)
        while True:
            key = key_of(entry)
            common = None
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
            if common is not None:
                if common == marker:  # listed on the previous page
                    entry = entries.send(common)  # type: ignore[attr-defined]
                    continue
                if len(page.items) + len(page.common_prefixes) >= limit:
                    page.is_truncated = True
                    break
                page.common_prefixes.append(common)
                page.last_key, page.last_item = common, None
                entry = entries.send(common)  # type: ignore[attr-defined]
                continue
            if len(page.items) + len(page.common_prefixes) >= limit:
                page.is_truncated = True
                break
            page.items.append(entry)
            page.last_key, page.last_item = key, entry
            entry = next(entries)
    except StopIteration:
        pass
    finally:
        entries.close()  # type: ignore[attr-defined]
    return page


# --- the operations -------------------------------------------------------------


class Operations:
    def __init__(
        self,
        storage: Storage,
        faults: FaultSettings,
        info: ServerInfo,
        auth_policy: AuthPolicy,
        clock: Callable[[], float],
    ) -> None:
        self.storage = storage
        self.faults = faults
        self.info = info
        self.auth_policy = auth_policy
        # The server's notion of now (the real clock plus any injected offset).
        self.clock = clock

    def dispatch(self, exchange: Exchange) -> Response:
        method, key = exchange.method, exchange.key
        if key == "":
            if method in ("GET", "HEAD") and exchange.has_param("uploads"):
                return self.list_multipart_uploads(exchange)
            if method == "GET":
                return self.list_objects(exchange)
            if method == "HEAD":
                return Response(200, [("x-cos-bucket-region", self.info.region)])
            if method == "POST" and (exchange.header("Content-Type") or "").lower().startswith(
                "multipart/form-data"
            ):
                from cosdesk.sandbox.form_upload import post_object

                return post_object(self, exchange)
            if method == "PUT":
                raise CosServerError(
                    409, "BucketAlreadyOwnedByYou", "The bucket already exists and is yours."
                )
            raise CosServerError(
                405, "MethodNotAllowed", "The specified method is not allowed against this resource."
            )
        if exchange.has_param("x-cos-copy-source") or exchange.header("x-cos-copy-source"):
            raise CosServerError(
                501, "NotImplemented", "Copying objects is not implemented by the local server."
            )
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
        raise CosServerError(
            405, "MethodNotAllowed", "The specified method is not allowed against this resource."
        )

    def location(self, bucket: str, key: str) -> str:
        return f"{bucket}.cos.{self.info.region}.myqcloud.com/{xml.url_encode(key)}"

    # --- simple upload, append, read, delete ---

    def put_object(self, exchange: Exchange) -> Response:
        check_key(exchange.key)
        metadata, storage_class = metadata_from(exchange.header_items())
        limit = traffic_limit(exchange)
        md5 = expected_md5(exchange)
        body_length_limit(exchange, MAX_OBJECT_BYTES)
        reader = exchange.open_body(limit)
        with self.storage.incoming() as incoming:
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
            with self.storage.appending(
                exchange.bucket, exchange.key, position, storage_class=storage_class, metadata=metadata
            ) as (incoming, result):
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

    def _upload(self, exchange: Exchange) -> UploadRecord:
        upload_id = exchange.param("uploadId") or ""
        upload = self.storage.get_upload(upload_id)
        if upload is None or upload.bucket != exchange.bucket or upload.key != exchange.key:
            raise no_such_upload()
        return upload

    def upload_part(self, exchange: Exchange) -> Response:
        text = exchange.param("partNumber")
        try:
            part_number = int(text or "")
        except ValueError:
            part_number = 0
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise invalid_argument(
                f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive."
            )
        limit = traffic_limit(exchange)
        md5 = expected_md5(exchange)
        body_length_limit(exchange, MAX_PART_BYTES)
        upload = self._upload(exchange)
        reader = exchange.open_body(limit)
        with self.storage.incoming() as incoming:
            receive(reader, incoming, MAX_PART_BYTES, exchange.content_length)
            check_md5(md5, incoming.md5_digest())
            try:
                part = self.storage.commit_part(upload.upload_id, part_number, incoming)
            except UploadGone:
                raise no_such_upload() from None
        return Response(200, [("ETag", part.etag), ("x-cos-hash-crc64ecma", str(part.crc64))])

    def list_parts(self, exchange: Exchange) -> Response:
        upload = self._upload(exchange)
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
        upload = self._upload(exchange)
        md5 = expected_md5(exchange)
        reader = exchange.open_body()
        text = reader.read_all(MAX_COMPLETE_BODY_BYTES)
        check_md5(md5, hashlib.md5(text).digest())
        requested = parse_complete_body(text)
        stored = {part.part_number: part for part in self.storage.list_parts(upload.upload_id)}
        numbers = [number for number, _ in requested]
        if any(later <= earlier for earlier, later in itertools.pairwise(numbers)):
            raise CosServerError(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
        chosen = []
        for number, etag in requested:
            part = stored.get(number)
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
            record = self.storage.complete_upload(upload, chosen)
        except UploadGone:
            raise no_such_upload() from None
        body = xml.complete_result(
            self.location(upload.bucket, upload.key), upload.bucket, upload.key, record.etag
        )
        return Response(200, [("x-cos-hash-crc64ecma", str(record.crc64))], body=body)

    def abort_multipart_upload(self, exchange: Exchange) -> Response:
        upload = self._upload(exchange)
        if not self.storage.abort_upload(upload.upload_id):
            raise no_such_upload()
        return Response(204)

    # --- listings ---

    def list_objects(self, exchange: Exchange) -> Response:
        prefix = exchange.param("prefix") or ""
        delimiter = exchange.param("delimiter") or ""
        marker = exchange.param("marker") or ""
        max_keys = min(int_param(exchange, "max-keys", MAX_LIST, 0), MAX_LIST)
        encode = encoding_is_url(exchange)
        page = paginate(
            self.storage.iter_objects(exchange.bucket, after=marker, prefix=prefix),
            lambda record: record.key,
            prefix=prefix,
            delimiter=delimiter,
            marker=marker,
            limit=max_keys,
        )
        body = xml.list_bucket_result(
            bucket=exchange.bucket,
            app_id=self.info.app_id_of(exchange.bucket),
            prefix=prefix,
            marker=marker,
            max_keys=max_keys,
            delimiter=delimiter,
            encode=encode,
            is_truncated=page.is_truncated,
            next_marker=page.last_key,
            contents=[
                xml.ObjectEntry(r.key, r.last_modified, r.etag, r.size, r.storage_class) for r in page.items
            ],
            common_prefixes=page.common_prefixes,
        )
        return Response(200, body=body)

    def list_multipart_uploads(self, exchange: Exchange) -> Response:
        prefix = exchange.param("prefix") or ""
        delimiter = exchange.param("delimiter") or ""
        key_marker = exchange.param("key-marker") or ""
        upload_id_marker = exchange.param("upload-id-marker") or ""
        max_uploads = min(int_param(exchange, "max-uploads", MAX_LIST, 0), MAX_LIST)
        encode = encoding_is_url(exchange)
        after_seq = None
        if key_marker and upload_id_marker:
            marker_upload = self.storage.get_upload(upload_id_marker)
            if marker_upload is not None and marker_upload.key == key_marker:
                after_seq = marker_upload.seq
        page = paginate(
            self.storage.iter_uploads(
                exchange.bucket, after_key=key_marker, after_seq=after_seq, prefix=prefix
            ),
            lambda upload: upload.key,
            prefix=prefix,
            delimiter=delimiter,
            marker=key_marker,
            limit=max_uploads,
        )
        body = xml.list_uploads_result(
            bucket=exchange.bucket,
            app_id=self.info.app_id_of(exchange.bucket),
            encode=encode,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
            max_uploads=max_uploads,
            is_truncated=page.is_truncated,
            next_key_marker=page.last_key if page.is_truncated else None,
            next_upload_id_marker=(
                page.last_item.upload_id if page.is_truncated and page.last_item is not None else None
            ),
            uploads=[xml.UploadEntry(u.key, u.upload_id, u.storage_class, u.initiated) for u in page.items],
            common_prefixes=page.common_prefixes,
        )
        return Response(200, body=body)


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
