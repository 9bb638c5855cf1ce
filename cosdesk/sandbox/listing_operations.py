"""The listings of a bucket: its objects (GET Bucket) and its multipart uploads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from cosdesk.sandbox import xml_responses as xml
from cosdesk.sandbox.errors import CosServerError
from cosdesk.sandbox.exchange import Exchange, Response
from cosdesk.sandbox.operation_context import OperationContext
from cosdesk.sandbox.request_checks import MAX_LIST, encoding_is_url, int_param

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


def list_objects(operations: OperationContext, exchange: Exchange) -> Response:
    """GET Bucket (List Objects): one page of keys, with prefix, delimiter and marker."""
    prefix = exchange.param("prefix") or ""
    delimiter = exchange.param("delimiter") or ""
    marker = exchange.param("marker") or ""
    max_keys = min(int_param(exchange, "max-keys", MAX_LIST, 0), MAX_LIST)
    encode = encoding_is_url(exchange)
    version2 = None
    if exchange.param("list-type") == "2":
        # S3's ListObjectsV2, which boto3's paginators use: a token instead of a marker.
        token = exchange.param("continuation-token") or ""
        start_after = exchange.param("start-after") or ""
        version2 = xml.ListV2Page(token, start_after)
        marker = start_after
        if token:
            token_key = xml.key_of_list_v2_token(token)
            if token_key is None:
                raise CosServerError(400, "InvalidArgument", "The continuation token provided is incorrect.")
            marker = max(marker, token_key)
    page = paginate(
        operations.storage.iter_objects(exchange.bucket, after=marker, prefix=prefix),
        lambda record: record.key,
        prefix=prefix,
        delimiter=delimiter,
        marker=marker,
        limit=max_keys,
    )
    body = xml.list_bucket_result(
        bucket=exchange.bucket,
        app_id=operations.info.app_id_of(exchange.bucket),
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
        version2=version2,
    )
    return Response(200, body=body)


def list_multipart_uploads(operations: OperationContext, exchange: Exchange) -> Response:
    """List Multipart Uploads: one page of uploads in progress, by key then initiation."""
    prefix = exchange.param("prefix") or ""
    delimiter = exchange.param("delimiter") or ""
    key_marker = exchange.param("key-marker") or ""
    upload_id_marker = exchange.param("upload-id-marker") or ""
    max_uploads = min(int_param(exchange, "max-uploads", MAX_LIST, 0), MAX_LIST)
    encode = encoding_is_url(exchange)
    after_seq = None
    if key_marker and upload_id_marker:
        marker_upload = operations.storage.get_upload(upload_id_marker)
        if marker_upload is not None and marker_upload.key == key_marker:
            after_seq = marker_upload.seq
    page = paginate(
        operations.storage.iter_uploads(
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
        app_id=operations.info.app_id_of(exchange.bucket),
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
