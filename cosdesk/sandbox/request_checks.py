"""The checks every operation makes on a request before it touches storage, and
the limits they enforce (COS's: object and part sizes, key length, metadata).

Shared by ``operations`` and the ``*_operations`` modules; it knows nothing of
either, so they can import it without importing each other.
"""

from __future__ import annotations

import base64
import binascii

from cosdesk.cos import options
from cosdesk.sandbox import xml_responses as xml
from cosdesk.sandbox.errors import CosServerError, invalid_argument
from cosdesk.sandbox.exchange import Exchange
from cosdesk.sandbox.storage import Metadata

GB = 1024**3
MAX_OBJECT_BYTES = 5 * GB
MAX_PART_BYTES = 5 * GB
MAX_PART_NUMBER = 10_000
MAX_KEY_BYTES = 850
MAX_USER_METADATA_BYTES = 2048
MAX_LIST = 1000
TRAFFIC_LIMIT_RANGE_BITS = (819_200, 838_860_800)

STORAGE_CLASSES = frozenset(options.STORAGE_CLASSES)
# The canned ACLs an object may be given (x-cos-acl, or a form's acl field).
OBJECT_ACLS = frozenset(options.OBJECT_ACLS)
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


def method_not_allowed() -> CosServerError:
    return CosServerError(
        405, "MethodNotAllowed", "The specified method is not allowed against this resource."
    )


def check_key(key: str) -> None:
    """Refuse a key no object may have (checked whenever an object or upload is made).

    COS refuses the control characters CAN, EM, SUB and ESC in keys; the other
    C0 controls XML 1.0 cannot carry are refused too, with COS's
    InvalidObjectName, because no XML answer (a listing, Initiate's result)
    could hold them. TAB, LF and CR can be carried (CR as ``&#13;``), so keys
    with line breaks, which COS stores, are kept.
    """
    if not key:
        raise invalid_argument("The object key must not be empty.")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise CosServerError(400, "KeyTooLong", f"The object key is longer than {MAX_KEY_BYTES} bytes.")
    unsupported = next((c for c in key if not xml.is_xml_text(c)), None)
    if unsupported is not None:
        raise CosServerError(
            400,
            "InvalidObjectName",
            f"The object key holds U+{ord(unsupported):04X}, a control character that "
            "object keys may not contain.",
        )


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
        elif lowered == "x-cos-acl" and value != "" and value.strip() not in OBJECT_ACLS:
            allowed = ", ".join(sorted(OBJECT_ACLS))
            raise invalid_argument(f"The x-cos-acl value {value!r} is not an object ACL ({allowed}).")
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


def part_number_of(exchange: Exchange) -> int:
    text = exchange.param("partNumber")
    try:
        part_number = int(text or "")
    except ValueError:
        part_number = 0
    if not 1 <= part_number <= MAX_PART_NUMBER:
        raise invalid_argument(f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive.")
    return part_number


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
