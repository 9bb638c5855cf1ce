"""Per-object request options (the seed's CacheControl, ACL, StorageClass,
x-cos-meta-*, ...) and the client-side checks COS would otherwise answer with a 400."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from cosdesk.cos.errors import CosValidationError, InvalidObjectKey, KeyProblem

MAX_KEY_BYTES = 850
MAX_METADATA_BYTES = 2048
MIN_TRAFFIC_LIMIT_BPS = 819_200
MAX_TRAFFIC_LIMIT_BPS = 838_860_800
MIN_PART_NUMBER = 1
MAX_PART_NUMBER = 10_000
META_PREFIX = "x-cos-meta-"
# The preset ACLs COS takes for an object ("default": the bucket's).
OBJECT_ACLS = ("private", "public-read", "default")
# The storage classes an upload may ask for (the MAZ ones in buckets kept in
# several zones); COS refuses any other with InvalidArgument.
STORAGE_CLASSES = (
    "STANDARD",
    "STANDARD_IA",
    "ARCHIVE",
    "DEEP_ARCHIVE",
    "INTELLIGENT_TIERING",
    "MAZ_STANDARD",
    "MAZ_STANDARD_IA",
    "MAZ_INTELLIGENT_TIERING",
)

# RFC 9110 token characters: what a header name may contain.
_TOKEN_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HEADER_VALUE_RE = re.compile(r"[\t -~]*")


def validate_key(key: str) -> str:
    """Return ``key`` if COS accepts it as an object key, else raise InvalidObjectKey.
    The one rule: the walk of a drop or a sync asks it too (engine/scan.check_key)."""
    if not isinstance(key, str) or not key:
        raise InvalidObjectKey(KeyProblem.EMPTY, "object key is empty")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        # os.fsdecode turns a file name's bytes that are not UTF-8 into lone surrogates.
        raise InvalidObjectKey(
            KeyProblem.NOT_UNICODE,
            "object key contains characters that are not valid Unicode (lone surrogates)",
        ) from None
    if size > MAX_KEY_BYTES:
        raise InvalidObjectKey(
            KeyProblem.TOO_LONG, f"object key is {size} bytes of UTF-8; COS allows at most {MAX_KEY_BYTES}"
        )
    return key


def validate_folder_body(key: str, content_length: int) -> None:
    """A key ending in '/' is a folder marker: its body must be empty."""
    if key.endswith("/") and content_length != 0:
        raise CosValidationError(
            f"key {key!r} ends in '/', which COS treats as a folder marker: its body must be empty, "
            f"not {content_length} bytes"
        )


def validate_traffic_limit(limit_bits_per_s: int) -> int:
    """Return the limit if COS accepts it (819200..838860800 bit/s), else raise CosValidationError."""
    if isinstance(limit_bits_per_s, bool) or not isinstance(limit_bits_per_s, int):
        raise CosValidationError(
            f"traffic limit must be an integer number of bit/s, not {limit_bits_per_s!r}"
        )
    if not MIN_TRAFFIC_LIMIT_BPS <= limit_bits_per_s <= MAX_TRAFFIC_LIMIT_BPS:
        raise CosValidationError(
            f"traffic limit {limit_bits_per_s} bit/s is outside COS's range "
            f"{MIN_TRAFFIC_LIMIT_BPS}..{MAX_TRAFFIC_LIMIT_BPS} bit/s (100 KB/s..100 MB/s)"
        )
    return limit_bits_per_s


def validate_part_number(part_number: int) -> int:
    """Return ``part_number`` if it is 1..10000, else raise CosValidationError."""
    if isinstance(part_number, bool) or not isinstance(part_number, int):
        raise CosValidationError(f"part number must be an integer, not {part_number!r}")
    if not MIN_PART_NUMBER <= part_number <= MAX_PART_NUMBER:
        raise CosValidationError(f"part number {part_number} is outside {MIN_PART_NUMBER}..{MAX_PART_NUMBER}")
    return part_number


def validate_header(name: str, value: str) -> None:
    """Header names must be tokens; values printable ASCII (no CR/LF: no header injection)."""
    if not _TOKEN_RE.match(name):
        raise CosValidationError(f"header name {name!r} contains characters not allowed in HTTP header names")
    if not _HEADER_VALUE_RE.fullmatch(value):
        raise CosValidationError(
            f"the value of header {name!r} must be printable ASCII (percent-encode other characters)"
        )


def metadata_size(metadata: Mapping[str, str]) -> int:
    """Bytes COS counts against its 2 KB metadata limit: UTF-8 names (without the
    ``x-cos-meta-`` prefix) plus values."""
    return sum(len(name.encode("utf-8")) + len(value.encode("utf-8")) for name, value in metadata.items())


def _strip_meta_prefix(name: str) -> str:
    return name[len(META_PREFIX) :] if name.lower().startswith(META_PREFIX) else name


@dataclass(frozen=True)
class ObjectOptions:
    """Headers stored with an object, as the seed's PUT/Append/POST/Initiate parameters.

    ``metadata`` names are given without the ``x-cos-meta-`` prefix (it is
    stripped if present); ``traffic_limit`` is in bit/s; ``headers`` adds any
    other header as is. :meth:`to_headers` validates and returns the headers.
    """

    cache_control: str | None = None
    content_disposition: str | None = None
    content_encoding: str | None = None
    content_type: str | None = None
    expires: str | datetime | None = None
    acl: str | None = None
    grant_read: str | None = None
    grant_read_acp: str | None = None
    grant_write_acp: str | None = None
    grant_full_control: str | None = None
    storage_class: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    traffic_limit: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Copies, read-only: an options object may be shared between threads.
        object.__setattr__(
            self, "metadata", MappingProxyType({_strip_meta_prefix(k): v for k, v in self.metadata.items()})
        )
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))

    __hash__ = None  # type: ignore[assignment]  # holds mappings

    def to_headers(self) -> dict[str, str]:
        """The request headers these options stand for; raises CosValidationError."""
        expires = self.expires
        if isinstance(expires, datetime):
            from email.utils import format_datetime  # rarely needed: not a cost of every start

            expires = format_datetime(expires, usegmt=True) if expires.tzinfo else format_datetime(expires)
        named: list[tuple[str, str | None]] = [
            ("Cache-Control", self.cache_control),
            ("Content-Disposition", self.content_disposition),
            ("Content-Encoding", self.content_encoding),
            ("Content-Type", self.content_type),
            ("Expires", expires),
            ("x-cos-acl", self.acl),
            ("x-cos-grant-read", self.grant_read),
            ("x-cos-grant-read-acp", self.grant_read_acp),
            ("x-cos-grant-write-acp", self.grant_write_acp),
            ("x-cos-grant-full-control", self.grant_full_control),
            ("x-cos-storage-class", self.storage_class),
        ]
        headers = {name: value for name, value in named if value is not None}
        if self.traffic_limit is not None:
            headers["x-cos-traffic-limit"] = str(validate_traffic_limit(self.traffic_limit))
        size = metadata_size(self.metadata)
        if size > MAX_METADATA_BYTES:
            raise CosValidationError(
                f"x-cos-meta-* metadata is {size} bytes; COS allows at most {MAX_METADATA_BYTES} in total"
            )
        for name, value in self.metadata.items():
            if not name:
                raise CosValidationError("a metadata name is empty")
            headers[META_PREFIX + name] = value
        headers.update(self.headers)
        for name, value in headers.items():
            validate_header(name, value)
        return headers
