"""Calls about buckets rather than one object: GET Service (list buckets) and
DeleteObjects (``POST /?delete``)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import anycrc
import defusedxml.ElementTree as SafeElementTree

from cosdesk.sandbox import xml_responses as xml
from cosdesk.sandbox.errors import CosServerError, invalid_argument, invalid_request, malformed_xml
from cosdesk.sandbox.exchange import Exchange, Response
from cosdesk.sandbox.operation_context import OperationContext
from cosdesk.sandbox.request_checks import check_key, check_md5, expected_md5, int_param

MAX_LISTED_BUCKETS = 2000
MAX_DELETE_KEYS = 1000
# 1,000 keys of 850 bytes, each escaped at worst six times over, and the markup.
MAX_DELETE_BODY_BYTES = 8 * 1024 * 1024
_CREATED_FILTERS: dict[str, Callable[[float, float], bool]] = {
    "lt": lambda created, limit: created < limit,
    "lte": lambda created, limit: created <= limit,
    "gt": lambda created, limit: created > limit,
    "gte": lambda created, limit: created >= limit,
}
_CRC32C = anycrc.Model("CRC32C")
_CRC64_NVME = anycrc.Model("CRC64-NVME")
# S3's own integrity headers, which S3 clients (boto3 since 1.36) send on
# DeleteObjects instead of Content-MD5: the digest of the body, big-endian, base64.
_S3_CHECKSUMS: dict[str, Callable[[bytes], bytes]] = {
    "x-amz-checksum-crc32": lambda body: zlib.crc32(body).to_bytes(4, "big"),
    "x-amz-checksum-crc32c": lambda body: int(_CRC32C.calc(body)).to_bytes(4, "big"),
    "x-amz-checksum-crc64nvme": lambda body: int(_CRC64_NVME.calc(body)).to_bytes(8, "big"),
    "x-amz-checksum-sha1": lambda body: hashlib.sha1(body).digest(),
    "x-amz-checksum-sha256": lambda body: hashlib.sha256(body).digest(),
}


# --- GET Service ------------------------------------------------------------------


def list_buckets(operations: OperationContext, exchange: Exchange) -> Response:
    """``ListAllMyBucketsResult``: this server's buckets, by name, with COS's
    filters (region, creation time; no bucket here has tags) and paging."""
    marker = exchange.param("marker") or ""
    max_keys = min(int_param(exchange, "max-keys", MAX_LISTED_BUCKETS, 1), MAX_LISTED_BUCKETS)
    region = operations.info.region
    wanted_region = exchange.param("region") or region
    created_filter = _created_filter(exchange)
    tagged_only = bool(exchange.param("tagkey"))
    listed = [
        xml.BucketEntry(name, region, created)
        for name, created in operations.storage.buckets_created()
        if name > marker and created_filter(created)
    ]
    if wanted_region != region or tagged_only:
        listed = []
    page = listed[:max_keys]
    owner = operations.info.app_id_of(page[0].name) if page else "0"
    body = xml.list_buckets_result(
        owner_app_id=owner,
        buckets=page,
        marker=marker,
        max_keys=max_keys,
        is_truncated=len(listed) > max_keys,
    )
    return Response(200, body=body)


def _created_filter(exchange: Exchange) -> Callable[[float], bool]:
    created_text, relation = exchange.param("create-time"), exchange.param("range")
    if not created_text or not relation:
        return lambda created: True
    compare = _CREATED_FILTERS.get(relation)
    try:
        limit = float(created_text)
    except ValueError:
        compare = None
    if compare is None:
        raise invalid_argument("create-time must be a Unix time and range one of lt, lte, gt, gte.")
    return lambda created: compare(created, limit)


# --- DeleteObjects ----------------------------------------------------------------


@dataclass(frozen=True)
class DeleteRequest:
    quiet: bool
    keys: list[str]


def delete_objects(operations: OperationContext, exchange: Exchange) -> Response:
    """Delete up to 1,000 keys. A key that does not exist counts as deleted (as a
    single DELETE is idempotent); the verbose answer names every key, the quiet
    one only those that failed."""
    md5 = expected_md5(exchange)
    s3_checksums = [name for name in _S3_CHECKSUMS if exchange.header(name) is not None]
    if md5 is None and not s3_checksums:
        raise invalid_request("Missing required header for this request: Content-MD5.")
    body = exchange.open_body().read_all(MAX_DELETE_BODY_BYTES)
    check_md5(md5, hashlib.md5(body).digest())
    for name in s3_checksums:
        _check_s3_checksum(name, exchange.header(name) or "", body)
    request = parse_delete_body(body)
    deleted: list[str] = []
    failures: list[xml.DeleteFailure] = []
    for key in request.keys:
        try:
            check_key(key)
        except CosServerError as refused:
            failures.append(xml.DeleteFailure(key, refused.code, refused.message))
            continue
        operations.storage.delete_object(exchange.bucket, key)
        deleted.append(key)
    return Response(200, body=xml.delete_result([] if request.quiet else deleted, failures))


def _check_s3_checksum(name: str, value: str, body: bytes) -> None:
    try:
        claimed = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        claimed = b""
    if claimed != _S3_CHECKSUMS[name](body):
        algorithm = name.rsplit("-", 1)[-1].upper()
        raise CosServerError(
            400, "BadDigest", f"The {algorithm} you specified did not match the calculated checksum."
        )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_delete_body(text: bytes) -> DeleteRequest:
    """The keys (exactly as written, spaces included) and Quiet flag of a
    ``<Delete>`` body; MalformedXML for anything else, or for no keys or more
    than 1,000 of them."""
    try:
        root = SafeElementTree.fromstring(text.strip())
    except Exception:
        raise malformed_xml() from None
    if _local(root.tag) != "Delete":
        raise malformed_xml()
    quiet = False
    keys: list[str] = []
    for element in root:
        name = _local(element.tag)
        if name == "Quiet":
            flag = (element.text or "").strip().lower()
            if flag not in ("true", "false"):
                raise malformed_xml()
            quiet = flag == "true"
        elif name == "Object":
            key_elements = [child for child in element if _local(child.tag) == "Key"]
            if len(key_elements) != 1:
                raise malformed_xml()
            keys.append(key_elements[0].text or "")
    if not keys or len(keys) > MAX_DELETE_KEYS:
        raise malformed_xml()
    return DeleteRequest(quiet, keys)
