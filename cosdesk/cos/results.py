"""What each operation returns: small frozen dataclasses, safe to pass between threads.

Every result carries the response's ``status_code``, ``headers`` (lower-case
names) and ``request_id``, as the seed's callbacks do. ETags keep COS's double
quotes. ``crc64`` is COS's ``x-cos-hash-crc64ecma`` (CRC-64/XZ) as an integer,
or None when the server did not send one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True)
class CosResult:
    """Fields every answer has."""

    status_code: int = 0
    headers: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS, repr=False)
    request_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class PutObjectResult(CosResult):
    etag: str
    crc64: int | None = None
    version_id: str | None = None
    location: str = ""


@dataclass(frozen=True, kw_only=True)
class AppendObjectResult(CosResult):
    next_append_position: int
    etag: str | None = None
    crc64: int | None = None
    location: str = ""


@dataclass(frozen=True, kw_only=True)
class PostObjectResult(CosResult):
    etag: str | None = None
    crc64: int | None = None
    version_id: str | None = None
    location: str = ""
    bucket: str = ""
    key: str = ""


@dataclass(frozen=True, kw_only=True)
class HeadObjectResult(CosResult):
    content_length: int
    etag: str | None = None
    crc64: int | None = None
    # "normal" or "appendable" (COS omits the header for normal objects).
    object_type: str = "normal"
    last_modified: datetime | None = None
    content_type: str | None = None
    # User metadata, names without the ``x-cos-meta-`` prefix.
    metadata: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS)
    storage_class: str | None = None
    version_id: str | None = None

    @property
    def appendable(self) -> bool:
        return self.object_type == "appendable"


@dataclass(frozen=True, kw_only=True)
class GetObjectResult(CosResult):
    """``content`` holds the bytes unless the object was streamed to a file."""

    content: bytes | None
    content_length: int
    etag: str | None = None
    crc64: int | None = None
    content_range: str | None = None
    content_type: str | None = None
    last_modified: datetime | None = None
    object_type: str = "normal"
    metadata: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS)


@dataclass(frozen=True, kw_only=True)
class DeleteObjectResult(CosResult):
    version_id: str | None = None
    delete_marker: bool = False


@dataclass(frozen=True)
class DeleteFailure:
    """One key DeleteObjects could not delete, with the server's reason."""

    key: str
    code: str
    message: str


@dataclass(frozen=True, kw_only=True)
class DeleteObjectsResult(CosResult):
    """Every key asked for is in exactly one of the two: a key that did not
    exist counts as deleted, as COS says."""

    deleted: tuple[str, ...]
    failures: tuple[DeleteFailure, ...]


@dataclass(frozen=True, kw_only=True)
class InitiateResult(CosResult):
    bucket: str
    key: str
    upload_id: str


@dataclass(frozen=True, kw_only=True)
class UploadPartResult(CosResult):
    etag: str
    crc64: int | None = None


@dataclass(frozen=True, kw_only=True)
class CompleteResult(CosResult):
    location: str
    bucket: str
    key: str
    etag: str
    crc64: int | None = None
    version_id: str | None = None


@dataclass(frozen=True)
class Owner:
    id: str
    display_name: str


@dataclass(frozen=True)
class Part:
    part_number: int
    etag: str
    size: int
    last_modified: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ListPartsResult(CosResult):
    bucket: str
    key: str
    upload_id: str
    encoding_type: str | None
    initiator: Owner | None
    owner: Owner | None
    storage_class: str | None
    part_number_marker: int
    next_part_number_marker: int | None
    max_parts: int
    is_truncated: bool
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class MultipartUpload:
    key: str
    upload_id: str
    storage_class: str | None = None
    initiator: Owner | None = None
    owner: Owner | None = None
    initiated: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ListMultipartUploadsResult(CosResult):
    bucket: str
    encoding_type: str | None
    prefix: str
    delimiter: str | None
    key_marker: str | None
    upload_id_marker: str | None
    next_key_marker: str | None
    next_upload_id_marker: str | None
    max_uploads: int
    is_truncated: bool
    uploads: tuple[MultipartUpload, ...]
    common_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class ObjectSummary:
    key: str
    size: int
    etag: str
    last_modified: datetime | None = None
    storage_class: str | None = None
    owner: Owner | None = None


@dataclass(frozen=True, kw_only=True)
class ListObjectsResult(CosResult):
    bucket: str
    encoding_type: str | None
    prefix: str
    delimiter: str | None
    marker: str | None
    next_marker: str | None
    max_keys: int
    is_truncated: bool
    contents: tuple[ObjectSummary, ...]
    common_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class BucketSummary:
    """One bucket of GET Service: ``name`` is ``BucketName-APPID``; ``region`` is
    where it lives (its requests go to that region's endpoint)."""

    name: str
    region: str
    created: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ListBucketsResult(CosResult):
    owner: Owner | None
    marker: str | None
    next_marker: str | None
    max_keys: int
    is_truncated: bool
    buckets: tuple[BucketSummary, ...]
