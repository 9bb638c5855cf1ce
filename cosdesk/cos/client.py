"""CosClient: one method per COS XML API operation of the upload page, plus
GET/DELETE Object, List Objects and presigned URLs.

One client owns its httpx transports (a keep-alive pool for ~16 concurrent
requests, see ``transports.py``) and may be used by many threads at once.

Bodies stream from disk in 1 MiB chunks (see ``body.py``). ``progress`` is
called with the byte count of each chunk after it was handed to the socket;
when a request is sent again (clock-skew correction), progress is first
rewound with a negative count. If ``progress`` raises, the request is
abandoned, its connection is closed (never reused) and that same exception
propagates out of the method unchanged: this is how the engine pauses
mid-part.
"""

from __future__ import annotations

import logging
import os
import secrets
import ssl
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, BinaryIO, Self, TypeVar

import httpx

from cosdesk import __version__
from cosdesk.cos import xml
from cosdesk.cos.auth import (
    DEFAULT_VALIDITY_S,
    Credentials,
    authorization,
    cos_quote,
    encode_policy,
    make_key_time,
    post_policy,
    post_policy_signature,
    should_sign_header,
)
from cosdesk.cos.body import BodyLike, BytesBody, ChecksummedBody, ConcatBody, RequestBody, make_body
from cosdesk.cos.connection_need import ConnectionNeed
from cosdesk.cos.crc import crc64, parse_crc64
from cosdesk.cos.credential_provider import CredentialProvider
from cosdesk.cos.endpoint import Endpoint, validate_bucket
from cosdesk.cos.errors import (
    AccessDenied,
    ClientStopped,
    ClockSkewed,
    CosError,
    CosNetworkError,
    CosResponseError,
    CosTimeoutError,
    CosValidationError,
    CrcMismatchError,
    ExpiredToken,
    InvalidAccessKeyId,
    NetworkErrorKind,
    OutsideCredentialScope,
)
from cosdesk.cos.open_sockets import OpenSockets
from cosdesk.cos.options import (
    META_PREFIX,
    ObjectOptions,
    validate_folder_body,
    validate_header,
    validate_key,
    validate_part_number,
    validate_traffic_limit,
)
from cosdesk.cos.results import (
    AppendObjectResult,
    BucketSummary,
    CompleteResult,
    DeleteObjectResult,
    DeleteObjectsResult,
    GetObjectResult,
    HeadObjectResult,
    InitiateResult,
    ListBucketsResult,
    ListMultipartUploadsResult,
    ListObjectsResult,
    ListPartsResult,
    MultipartUpload,
    ObjectSummary,
    Part,
    PostObjectResult,
    PutObjectResult,
    UploadPartResult,
)
from cosdesk.cos.transports import ProxyTransports, environment_proxies

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

__all__ = ["CosClient", "ObjectOptions", "ProgressCallback"]

logger = logging.getLogger("cosdesk.cos")

ProgressCallback = Callable[[int], object]
_T = TypeVar("_T")

# Query value None means a bare flag (``?uploads``); it is signed as ``uploads=``.
QueryPairs = Sequence[tuple[str, str | None]]

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_MAX_CONNECTIONS = 16
# COS lists at most 2,000 buckets a page.
MAX_LISTED_BUCKETS = 2000
# Answers we parse are small; a hostile or broken server must not make us buffer gigabytes.
MAX_XML_BODY_BYTES = 32 * 1024 * 1024
MAX_ERROR_BODY_BYTES = 256 * 1024
MAX_DELETE_KEYS = 1000  # per DeleteObjects request, on COS as on S3
# A body this small goes to httpx as one bytes object: a chunk iterator cost a
# small file's upload a tenth of its CPU, and the memory an iterator saves
# (ARCHITECTURE.md, "Streaming request bodies") is for big parts.
WHOLE_BODY_BYTES = 64 * 1024
_REDACTED = "<redacted>"
_USER_AGENT = f"cosdesk/{__version__}"
_SECRET_HEADERS = frozenset({"authorization", "x-cos-security-token"})


@dataclass(frozen=True)
class _Answer:
    """A finished HTTP exchange: status, lower-case headers, body (unless streamed)."""

    status_code: int
    headers: Mapping[str, str]
    body: bytes
    # CRC-64 of the request body actually sent (None without a body).
    sent_crc64: int | None = None

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-cos-request-id")

    def info(self) -> dict[str, object]:
        return {"status_code": self.status_code, "headers": self.headers, "request_id": self.request_id}


class _SentTracker:
    """Wraps a body's chunks: reports progress, computes the CRC of what was sent."""

    def __init__(self, body: RequestBody, progress: ProgressCallback | None) -> None:
        self.body = body
        self.progress = progress
        self.reported = 0
        self._crc = 0
        # A body that checksums itself (the engine's HashingBody) is not hashed twice.
        self._own_crc = isinstance(body, ChecksummedBody)

    @property
    def crc(self) -> int:
        """CRC-64 of the bytes of the body sent so far."""
        body = self.body
        return body.crc64 if isinstance(body, ChecksummedBody) else self._crc

    def chunks(self) -> Generator[bytes, None, None]:
        own_crc = self._own_crc
        for chunk, counted in self.body.counted_chunks():
            if not own_crc:
                self._crc = crc64(chunk, self._crc)
            yield chunk
            # Reached when httpx asks for the next chunk: this one has been written.
            if self.progress is not None and counted:
                self.reported += counted
                self.progress(counted)

    def whole(self) -> bytes:
        """The body in one piece (a small one, see WHOLE_BODY_BYTES), its CRC taken.
        Its bytes count as sent now, as a one-chunk body's did once httpx took the
        chunk: it goes out in one write, and a pause or cancel the progress
        callback raises still stops it before any of it leaves."""
        own_crc = self._own_crc
        chunks: list[bytes] = []
        counted_bytes = 0
        for chunk, counted in self.body.counted_chunks():
            if not own_crc:
                self._crc = crc64(chunk, self._crc)
            chunks.append(chunk)
            counted_bytes += counted
        if self.progress is not None and counted_bytes:
            self.reported += counted_bytes
            self.progress(counted_bytes)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def rewind(self) -> None:
        """Tell the progress callback the bytes it was told about are being sent again."""
        if self.progress is not None and self.reported:
            reported, self.reported = self.reported, 0
            self.progress(-reported)
        self._crc = 0


def _outside_scope(
    error: CosError, provider: CredentialProvider, bucket: str, key: str | None
) -> OutsideCredentialScope:
    """AccessDenied to temporary keys: the credential server's scope does not
    reach this destination (see "Temporary keys" in ARCHITECTURE.md)."""
    where = f"{bucket}/{key}" if key else bucket
    return OutsideCredentialScope(
        error.status_code,
        error.code,
        f"the credential server {provider.server} does not allow {where}: its temporary keys "
        f"reach only the buckets and prefixes it grants (COS: {error.message})",
        request_id=error.request_id,
        resource=error.resource,
        headers=error.headers,
    )


def _tls_verify_for(
    endpoint: Endpoint, verify: bool | str | ssl.SSLContext, proxies: Mapping[str, str]
) -> bool | str | ssl.SSLContext:
    """What httpx verifies TLS with. httpx loads the system's CA bundle when the
    client is made (~25 ms, a visible share of a short ``cosdesk upload``); a
    plain-HTTP endpoint reached without a proxy (``proxies``: the environment's,
    when trusted) never makes a TLS connection, so it gets an empty context
    instead. Were it ever used, it would still verify, and so refuse every
    certificate: it never accepts one."""
    if verify is not True or endpoint.scheme != "http" or proxies:
        return verify
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class CosClient:
    """A COS XML API client for one account and endpoint; thread-safe.

    ``credentials`` are fixed keys, or a ``CredentialProvider`` of temporary keys
    (shared with the account's other clients: see "Temporary keys" in
    ARCHITECTURE.md). With a provider, a request COS refuses as ExpiredToken or
    InvalidAccessKeyId is signed again once with renewed keys, and AccessDenied
    becomes ``OutsideCredentialScope``.

    ``verify`` is True (system CA store), a CA bundle path, an ``ssl.SSLContext``,
    or False to disable TLS verification (logged as a warning, never implied).
    ``transport`` replaces httpx's network transport (tests, proxies).
    """

    def __init__(
        self,
        credentials: Credentials | CredentialProvider,
        endpoint: Endpoint,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        verify: bool | str | ssl.SSLContext = True,
        *,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        trust_env: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.credential_source = credentials
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        if verify is False:
            logger.warning("TLS certificate verification is disabled for %s", endpoint.describe())
        proxies = environment_proxies() if trust_env else {}
        tls = _tls_verify_for(endpoint, verify, proxies)
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
        )

        def make_transport(proxy: str | None) -> httpx.BaseTransport:
            return httpx.HTTPTransport(verify=tls, trust_env=trust_env, limits=limits, proxy=proxy)

        self._transports = ProxyTransports(make_transport, fixed=transport, proxies=proxies)
        self._timeouts = httpx.Timeout(timeout_s, connect=connect_timeout_s).as_dict()
        self._sockets = OpenSockets()
        self._stopped = False
        # Read-only, so every request shares it.
        self._extensions = {"timeout": self._timeouts, "trace": self._sockets.trace}
        self._clock_lock = threading.Lock()
        self._clock_offset_s = 0.0
        self._clock_learned = False
        # When each request in flight had all its body sent (time.monotonic()), by
        # a key of its own: waiting_s. One dict operation per change, atomic.
        self._sent_at: dict[object, float] = {}
        # The buckets prepare() has made a pool for (a set add is atomic).
        self._prepared: set[str] = set()
        # Closes the pool's idle connections that recent requests did not need.
        self._connection_need = ConnectionNeed()

    # --- lifetime ---------------------------------------------------------------

    def prepare(self, bucket: str) -> None:
        """Make the connection pool for ``bucket`` now, without connecting. The first
        one costs about 35 ms of CPU (httpx imports its HTTP core then, and makes an
        SSL context): off the GUI thread and before the first upload's job, which
        would otherwise pay it. Again for a bucket: nothing (a big drop asks once
        per slice of files, and each time parsed the URL anew)."""
        if bucket in self._prepared:
            return
        self._transports.for_url(httpx.URL(self.endpoint.url_for(bucket, None)))
        self._prepared.add(bucket)

    def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._transports.close()

    def waiting_s(self, now: float) -> float | None:
        """How long the request in flight that has waited longest for its answer,
        its body all sent, has waited; None when none waits. (Sending a body is not
        waiting: a big part on a slow link takes a while.)"""
        oldest = min(self._sent_at.values(), default=None)  # one C call: no thread runs meanwhile
        return None if oldest is None else now - oldest

    def stop_requests(self) -> None:
        """End every request in flight now, from any thread, and refuse new ones:
        each raises ClientStopped. For quitting: a request waiting on a silent
        server held it for the read timeout, and its retries for as long again."""
        self._stopped = True
        self._sockets.shut_down()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        source = self.credential_source
        signer = source.server if isinstance(source, CredentialProvider) else source.secret_id
        return f"CosClient(credentials={signer!r}, endpoint={self.endpoint.describe()!r})"

    @property
    def credentials(self) -> Credentials:
        """The keys that sign the next request (a provider's may be fetched now:
        raises CredentialServerError when its server gives none)."""
        source = self.credential_source
        return source.credentials() if isinstance(source, CredentialProvider) else source

    @property
    def clock_offset_s(self) -> float:
        """Seconds to add to the local clock to get the server's: learned from a
        RequestTimeTooSkewed answer, else the credential server's startTime, else 0."""
        if self._clock_learned:
            return self._clock_offset_s
        source = self.credential_source
        return source.clock_offset_s if isinstance(source, CredentialProvider) else 0.0

    # --- simple upload ----------------------------------------------------------

    def put_object(
        self,
        bucket: str,
        key: str,
        body: BodyLike,
        *,
        options: ObjectOptions | None = None,
        content_length: int | None = None,
        content_md5: str | bool | None = None,
        expect_continue: bool = False,
        progress: ProgressCallback | None = None,
    ) -> PutObjectResult:
        """PUT Object: upload ``body`` as ``key`` (a key ending in '/' is a folder
        marker and needs an empty body).

        ``content_md5``: the base64 MD5 to send, or True to compute it from a
        replayable body (a second read). The server's CRC-64, when it sends one, is
        checked against what was sent. Raises CosValidationError before sending,
        CosError for a refusal (BadDigest, AccessDenied...), CosNetworkError.
        """
        validate_key(key)
        request_body = make_body(body, content_length)
        validate_folder_body(key, request_body.content_length)
        headers = self._object_headers(options)
        self._add_upload_headers(headers, request_body, content_md5, expect_continue)
        answer = self._send("PUT", bucket, key, headers=headers, body=request_body, progress=progress)
        crc = self._checked_crc(answer)
        return PutObjectResult(
            etag=self._required_etag(answer, "PUT Object"),
            crc64=crc,
            version_id=answer.headers.get("x-cos-version-id"),
            location=answer.headers.get("location") or self.endpoint.location_for(bucket, key),
            **answer.info(),  # type: ignore[arg-type]
        )

    def append_object(
        self,
        bucket: str,
        key: str,
        position: int,
        body: BodyLike,
        *,
        options: ObjectOptions | None = None,
        content_length: int | None = None,
        content_md5: str | bool | None = None,
        expect_continue: bool = False,
        progress: ProgressCallback | None = None,
    ) -> AppendObjectResult:
        """APPEND Object: add ``body`` at ``position`` (0 creates an appendable
        object; afterwards its current length). Raises PositionNotEqualToLength when
        ``position`` is not the object's length, ObjectNotAppendable for a normal
        object."""
        validate_key(key)
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise CosValidationError(f"append position must be an integer >= 0, not {position!r}")
        request_body = make_body(body, content_length)
        validate_folder_body(key, request_body.content_length)
        headers = self._object_headers(options)
        self._add_upload_headers(headers, request_body, content_md5, expect_continue)
        answer = self._send(
            "POST",
            bucket,
            key,
            query=[("append", None), ("position", str(position))],
            headers=headers,
            body=request_body,
            progress=progress,
        )
        next_position_text = answer.headers.get("x-cos-next-append-position")
        try:
            next_position = (
                int(next_position_text) if next_position_text else position + request_body.content_length
            )
        except ValueError:
            raise self._response_error(
                answer, f"bad x-cos-next-append-position {next_position_text!r}"
            ) from None
        return AppendObjectResult(
            next_append_position=next_position,
            etag=answer.headers.get("etag"),
            crc64=parse_crc64(answer.headers.get("x-cos-hash-crc64ecma")),
            location=self.endpoint.location_for(bucket, key),
            **answer.info(),  # type: ignore[arg-type]
        )

    def post_object(
        self,
        bucket: str,
        key: str,
        body: BodyLike,
        *,
        options: ObjectOptions | None = None,
        content_length: int | None = None,
        success_action_status: int | None = None,
        validity_s: int = DEFAULT_VALIDITY_S,
        progress: ProgressCallback | None = None,
    ) -> PostObjectResult:
        """POST Object: a form upload (multipart/form-data) signed by a policy that
        allows exactly this bucket and key. The file is streamed last; progress
        counts only the file's bytes."""
        validate_key(key)
        validate_bucket(bucket)
        file_body = make_body(body, content_length)
        validate_folder_body(key, file_body.content_length)
        option_fields = self._object_headers(options)
        content_type = option_fields.get("Content-Type", "application/octet-stream")

        now = self._now()
        key_time = make_key_time(now, validity_s)
        credentials = self.credentials
        fields: list[tuple[str, str]] = [("key", key)]
        fields.extend(option_fields.items())
        if success_action_status is not None:
            fields.append(("success_action_status", str(success_action_status)))
        if credentials.session_token:
            fields.append(("x-cos-security-token", credentials.session_token))
        # Pin every optional field in the policy too, so a leaked form cannot be altered.
        pinned = [{name: value} for name, value in fields[1:]]
        policy_json = post_policy(
            bucket,
            key,
            expiration_epoch_s=now + validity_s,
            key_time=key_time,
            secret_id=credentials.secret_id,
            extra_conditions=pinned,
        )
        fields.extend(
            [
                ("policy", encode_policy(policy_json)),
                ("q-sign-algorithm", "sha1"),
                ("q-ak", credentials.secret_id),
                ("q-key-time", key_time),
                ("q-signature", post_policy_signature(credentials.secret_key, key_time, policy_json)),
            ]
        )
        boundary = f"----cosdesk{secrets.token_hex(16)}"
        form = _form_body(boundary, fields, key, content_type, file_body)
        answer = self._send(
            "POST",
            bucket,
            None,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            body=form,
            progress=progress,
            sign=False,
        )
        parsed: dict[str, str | None] = {}
        if answer.body.strip():
            parsed = xml.parse_post_response(self._parse_xml(answer))
        return PostObjectResult(
            etag=answer.headers.get("etag") or parsed.get("etag"),
            crc64=parse_crc64(answer.headers.get("x-cos-hash-crc64ecma")),
            version_id=answer.headers.get("x-cos-version-id"),
            location=answer.headers.get("location")
            or parsed.get("location")
            or self.endpoint.location_for(bucket, key),
            bucket=parsed.get("bucket") or bucket,
            key=parsed.get("key") or key,
            **answer.info(),  # type: ignore[arg-type]
        )

    # --- the account's buckets ---------------------------------------------------

    def list_buckets(
        self, *, region: str | None = None, marker: str | None = None, max_keys: int = MAX_LISTED_BUCKETS
    ) -> ListBucketsResult:
        """GET Service, one page: the buckets the keys may see, each with its
        region (every region's, unless ``region`` is given). Keys that may not
        list buckets get AccessDenied. See "Listing buckets" in ARCHITECTURE.md."""
        query = _optional_query([("region", region), ("marker", marker or ""), ("max-keys", str(max_keys))])
        answer = self._send("GET", None, None, query=query)
        return replace(xml.parse_list_buckets(self._parse_xml(answer)), **answer.info())  # type: ignore[arg-type]

    def iter_buckets(self, *, region: str | None = None) -> Iterator[BucketSummary]:
        """Every bucket of the account, walking all pages of GET Service."""
        marker: str | None = None
        while True:
            page = self.list_buckets(region=region, marker=marker)
            yield from page.buckets
            if not page.is_truncated:
                return
            next_marker = page.next_marker or (page.buckets[-1].name if page.buckets else None)
            if not next_marker or next_marker == marker:
                raise CosResponseError(
                    page.status_code,
                    "InvalidResponse",
                    "GET Service is truncated but gives no next marker",
                    request_id=page.request_id,
                )
            marker = next_marker

    # --- reading and deleting objects ------------------------------------------

    def head_object(self, bucket: str, key: str, *, version_id: str | None = None) -> HeadObjectResult:
        """HEAD Object: length, ETag, CRC-64, type ("normal"/"appendable"),
        metadata. Raises NoSuchKey when the object does not exist."""
        validate_key(key)
        query = [("versionId", version_id)] if version_id else []
        answer = self._send("HEAD", bucket, key, query=query)
        headers = answer.headers
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise self._response_error(answer, "HEAD answer has a malformed Content-Length") from None
        return HeadObjectResult(
            content_length=length,
            etag=headers.get("etag"),
            crc64=parse_crc64(headers.get("x-cos-hash-crc64ecma")),
            object_type=(headers.get("x-cos-object-type") or "normal").lower(),
            last_modified=_http_date(headers.get("last-modified")),
            content_type=headers.get("content-type"),
            metadata=_metadata(headers),
            storage_class=headers.get("x-cos-storage-class"),
            version_id=headers.get("x-cos-version-id"),
            **answer.info(),  # type: ignore[arg-type]
        )

    def get_object(
        self,
        bucket: str,
        key: str,
        *,
        byte_range: tuple[int, int | None] | str | None = None,
        to_path: str | os.PathLike[str] | None = None,
        to_file: BinaryIO | None = None,
        version_id: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> GetObjectResult:
        """GET Object, whole or a ``byte_range`` (``(first, last)`` inclusive, last
        None for "to the end", or a ``bytes=...`` string). Streams into ``to_path``
        or ``to_file`` in chunks when given (``content`` is then None), else
        returns the bytes. A whole object's CRC-64 is checked against COS's."""
        validate_key(key)
        headers: dict[str, str] = {}
        if byte_range is not None:
            headers["Range"] = _range_header(byte_range)
        query = [("versionId", version_id)] if version_id else []
        if to_path is not None:
            target = Path(to_path)
            try:
                with target.open("wb") as sink:
                    answer = self._send(
                        "GET", bucket, key, query=query, headers=headers, sink=sink, progress=progress
                    )
            except BaseException:
                # No empty or half-written file where the caller expects the object.
                target.unlink(missing_ok=True)
                raise
        else:
            answer = self._send(
                "GET", bucket, key, query=query, headers=headers, sink=to_file, progress=progress
            )
        headers_in = answer.headers
        length_text = headers_in.get("content-length")
        return GetObjectResult(
            content=None if (to_path is not None or to_file is not None) else answer.body,
            content_length=int(length_text) if length_text and length_text.isdigit() else len(answer.body),
            etag=headers_in.get("etag"),
            crc64=parse_crc64(headers_in.get("x-cos-hash-crc64ecma")),
            content_range=headers_in.get("content-range"),
            content_type=headers_in.get("content-type"),
            last_modified=_http_date(headers_in.get("last-modified")),
            object_type=(headers_in.get("x-cos-object-type") or "normal").lower(),
            metadata=_metadata(headers_in),
            **answer.info(),  # type: ignore[arg-type]
        )

    def delete_object(self, bucket: str, key: str, *, version_id: str | None = None) -> DeleteObjectResult:
        """DELETE Object (deleting a missing key succeeds, as on COS)."""
        validate_key(key)
        query = [("versionId", version_id)] if version_id else []
        answer = self._send("DELETE", bucket, key, query=query, expected=(200, 204))
        return DeleteObjectResult(
            version_id=answer.headers.get("x-cos-version-id"),
            delete_marker=answer.headers.get("x-cos-delete-marker", "").lower() == "true",
            **answer.info(),  # type: ignore[arg-type]
        )

    def delete_objects(self, bucket: str, keys: Sequence[str], *, quiet: bool = True) -> DeleteObjectsResult:
        """DeleteObjects: up to 1,000 keys in one request. Every key comes back
        either deleted (a missing key counts as deleted) or in ``failures`` with
        the server's reason; ``quiet`` asks the server to name only the failures,
        which keeps a big answer small."""
        if not keys or len(keys) > MAX_DELETE_KEYS:
            raise CosValidationError(f"DeleteObjects takes 1 to {MAX_DELETE_KEYS} keys, not {len(keys)}")
        for key in keys:
            validate_key(key)
        document = BytesBody(xml.delete_objects_body(keys, quiet))
        # COS refuses DeleteObjects without Content-MD5.
        headers = {"Content-MD5": document.md5_base64(), "Content-Type": "application/xml"}
        answer = self._send("POST", bucket, None, query=[("delete", None)], headers=headers, body=document)
        deleted, failures = xml.parse_delete_result(self._parse_xml(answer))
        if quiet:
            failed = {failure.key for failure in failures}
            deleted = tuple(key for key in keys if key not in failed)
        return DeleteObjectsResult(deleted=deleted, failures=failures, **answer.info())  # type: ignore[arg-type]

    def list_objects(
        self,
        bucket: str,
        *,
        prefix: str | None = None,
        delimiter: str | None = None,
        marker: str | None = None,
        max_keys: int = 1000,
    ) -> ListObjectsResult:
        """GET Bucket (List Objects), one page. Keys are asked URL-encoded and
        decoded here, so any key survives."""
        query = _optional_query(
            [
                ("prefix", prefix),
                ("delimiter", delimiter),
                ("marker", marker),
                ("max-keys", str(max_keys)),
                ("encoding-type", "url"),
            ]
        )
        answer = self._send("GET", bucket, None, query=query)
        return replace(xml.parse_list_objects(self._parse_xml(answer)), **answer.info())  # type: ignore[arg-type]

    def iter_objects(
        self, bucket: str, prefix: str | None = None, *, delimiter: str | None = None, page_size: int = 1000
    ) -> Iterator[ObjectSummary]:
        """Every object under ``prefix``, walking all pages (common prefixes are
        not yielded; use list_objects for them)."""
        marker: str | None = None
        while True:
            page = self.list_objects(
                bucket, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=page_size
            )
            yield from page.contents
            if not page.is_truncated:
                return
            candidates = [c.key for c in page.contents] + list(page.common_prefixes)
            next_marker = page.next_marker or (max(candidates) if candidates else None)
            if not next_marker or next_marker == marker:
                raise CosResponseError(
                    page.status_code,
                    "InvalidResponse",
                    "List Objects is truncated but gives no next marker",
                    request_id=page.request_id,
                )
            marker = next_marker

    # --- multipart upload -------------------------------------------------------

    def initiate_multipart_upload(
        self, bucket: str, key: str, *, options: ObjectOptions | None = None
    ) -> InitiateResult:
        """Initiate Multipart Upload; the options become the final object's headers."""
        validate_key(key)
        answer = self._send(
            "POST",
            bucket,
            key,
            query=[("uploads", None)],
            headers=self._object_headers(options),
            body=BytesBody(b""),
        )
        bucket_name, key_name, upload_id = self._parsed(answer, xml.parse_initiate)
        return InitiateResult(
            bucket=bucket_name or bucket,
            key=key_name or key,
            upload_id=upload_id,
            **answer.info(),  # type: ignore[arg-type]
        )

    def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        body: BodyLike,
        *,
        content_length: int | None = None,
        content_md5: str | bool | None = None,
        traffic_limit: int | None = None,
        expect_continue: bool = False,
        progress: ProgressCallback | None = None,
    ) -> UploadPartResult:
        """Upload Part ``part_number`` (1..10000) of ``upload_id``; usually a
        FileSlice. Raises NoSuchUpload for an unknown upload, BadDigest when
        ``content_md5`` does not match."""
        validate_key(key)
        _require_upload_id(upload_id)
        validate_part_number(part_number)
        request_body = make_body(body, content_length)
        headers: dict[str, str] = {}
        if traffic_limit is not None:
            headers["x-cos-traffic-limit"] = str(validate_traffic_limit(traffic_limit))
        self._add_upload_headers(headers, request_body, content_md5, expect_continue)
        answer = self._send(
            "PUT",
            bucket,
            key,
            query=[("partNumber", str(part_number)), ("uploadId", upload_id)],
            headers=headers,
            body=request_body,
            progress=progress,
        )
        return UploadPartResult(
            etag=self._required_etag(answer, "Upload Part"),
            crc64=self._checked_crc(answer),
            **answer.info(),  # type: ignore[arg-type]
        )

    def list_parts(
        self, bucket: str, key: str, upload_id: str, *, max_parts: int = 1000, part_number_marker: int = 0
    ) -> ListPartsResult:
        """List Parts, one page (parts after ``part_number_marker``)."""
        validate_key(key)
        _require_upload_id(upload_id)
        query: list[tuple[str, str | None]] = [
            ("uploadId", upload_id),
            ("max-parts", str(max_parts)),
            ("encoding-type", "url"),
        ]
        if part_number_marker:
            query.append(("part-number-marker", str(part_number_marker)))
        answer = self._send("GET", bucket, key, query=query)
        return replace(xml.parse_list_parts(self._parse_xml(answer)), **answer.info())  # type: ignore[arg-type]

    def iter_parts(self, bucket: str, key: str, upload_id: str, *, page_size: int = 1000) -> Iterator[Part]:
        """Every uploaded part of ``upload_id``, walking all pages."""
        marker = 0
        while True:
            page = self.list_parts(bucket, key, upload_id, max_parts=page_size, part_number_marker=marker)
            yield from page.parts
            if not page.is_truncated:
                return
            next_marker = page.next_part_number_marker or (page.parts[-1].part_number if page.parts else None)
            if not next_marker or next_marker <= marker:
                raise CosResponseError(
                    page.status_code,
                    "InvalidResponse",
                    "List Parts is truncated but its marker does not advance",
                    request_id=page.request_id,
                )
            marker = next_marker

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> CompleteResult:
        """Complete Multipart Upload with ``(part_number, etag)`` pairs, sent in the
        order given. COS answers 200 at once and may send an ``<Error>`` inside that
        200 body: it is raised like any error. A 200 without an ETag raises
        CosResponseError. Raises EntityTooSmall, InvalidPart, InvalidPartOrder,
        NoSuchUpload."""
        validate_key(key)
        _require_upload_id(upload_id)
        if not parts:
            raise CosValidationError("Complete Multipart Upload needs at least one part")
        for part_number, _etag in parts:
            validate_part_number(part_number)
        document = BytesBody(xml.complete_multipart_body(parts))
        headers = {"Content-Type": "application/xml", "Content-MD5": document.md5_base64()}
        answer = self._send(
            "POST", bucket, key, query=[("uploadId", upload_id)], headers=headers, body=document
        )
        fields = self._parsed(answer, xml.parse_complete)
        return CompleteResult(
            location=fields["location"] or self.endpoint.location_for(bucket, key),
            bucket=fields["bucket"] or bucket,
            key=fields["key"] or key,
            etag=fields["etag"] or "",
            crc64=parse_crc64(answer.headers.get("x-cos-hash-crc64ecma")),
            version_id=answer.headers.get("x-cos-version-id"),
            **answer.info(),  # type: ignore[arg-type]
        )

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        """Abort Multipart Upload: the upload and its parts are deleted. Raises NoSuchUpload."""
        validate_key(key)
        _require_upload_id(upload_id)
        self._send("DELETE", bucket, key, query=[("uploadId", upload_id)], expected=(200, 204))

    def list_multipart_uploads(
        self,
        bucket: str,
        *,
        prefix: str | None = None,
        delimiter: str | None = None,
        key_marker: str | None = None,
        upload_id_marker: str | None = None,
        max_uploads: int = 1000,
    ) -> ListMultipartUploadsResult:
        """List Multipart Uploads in progress, one page."""
        query = _optional_query(
            [
                ("uploads", None),
                ("prefix", prefix),
                ("delimiter", delimiter),
                ("key-marker", key_marker),
                ("upload-id-marker", upload_id_marker),
                ("max-uploads", str(max_uploads)),
                ("encoding-type", "url"),
            ],
            flags=("uploads",),
        )
        answer = self._send("GET", bucket, None, query=query)
        return replace(xml.parse_list_uploads(self._parse_xml(answer)), **answer.info())  # type: ignore[arg-type]

    def iter_multipart_uploads(
        self, bucket: str, prefix: str | None = None, *, delimiter: str | None = None, page_size: int = 1000
    ) -> Iterator[MultipartUpload]:
        """Every multipart upload in progress under ``prefix``, walking all pages."""
        key_marker: str | None = None
        upload_id_marker: str | None = None
        while True:
            page = self.list_multipart_uploads(
                bucket,
                prefix=prefix,
                delimiter=delimiter,
                key_marker=key_marker,
                upload_id_marker=upload_id_marker,
                max_uploads=page_size,
            )
            yield from page.uploads
            if not page.is_truncated:
                return
            next_key = page.next_key_marker or (page.uploads[-1].key if page.uploads else None)
            next_upload = page.next_upload_id_marker or (page.uploads[-1].upload_id if page.uploads else None)
            if next_key is None or (next_key, next_upload) == (key_marker, upload_id_marker):
                raise CosResponseError(
                    page.status_code,
                    "InvalidResponse",
                    "List Multipart Uploads is truncated but its markers do not advance",
                    request_id=page.request_id,
                )
            key_marker, upload_id_marker = next_key, next_upload

    # --- presigned URLs ---------------------------------------------------------

    def presigned_url(
        self,
        method: str,
        bucket: str,
        key: str,
        expires_s: int = DEFAULT_VALIDITY_S,
        *,
        params: Mapping[str, str] | None = None,
    ) -> str:
        """A URL that performs ``method`` on ``key`` without further credentials
        for ``expires_s`` seconds: the Authorization fields travel as query
        parameters (``q-sign-algorithm=sha1&q-ak=...``). ``host`` and ``params`` are
        signed; a session token is appended as ``x-cos-security-token``. The URL is a
        secret: do not log it."""
        validate_key(key)
        validate_bucket(bucket)
        if expires_s <= 0:
            raise CosValidationError(f"expires_s must be positive, not {expires_s}")
        credentials = self.credentials
        extra = list((params or {}).items())
        key_time = make_key_time(self._now(), expires_s)
        auth = authorization(
            credentials,
            method,
            "/" + key,
            extra,
            [("host", self.endpoint.host_for(bucket))],
            key_time=key_time,
        )
        query_parts = []
        for item in auth.split("&"):
            name, _, value = item.partition("=")
            query_parts.append(f"{name}={cos_quote(value)}")
        query_parts.extend(f"{cos_quote(name)}={cos_quote(value)}" for name, value in extra)
        if credentials.session_token:
            query_parts.append(f"x-cos-security-token={cos_quote(credentials.session_token)}")
        return self.endpoint.url_for(bucket, key, "&".join(query_parts))

    # --- the one place requests are sent ---------------------------------------

    def _now(self) -> float:
        return time.time() + self.clock_offset_s

    def _send(
        self,
        method: str,
        bucket: str | None,
        key: str | None,
        *,
        query: QueryPairs = (),
        headers: Mapping[str, str] | None = None,
        body: RequestBody | None = None,
        progress: ProgressCallback | None = None,
        expected: tuple[int, ...] = (200, 201, 204, 206),
        sink: BinaryIO | None = None,
        sign: bool = True,
    ) -> _Answer:
        """Send a request, signing it again once with the server's clock on a
        ClockSkewed answer (RequestTimeTooSkewed, or AccessDenied "Request has
        expired") and once with renewed temporary keys on ExpiredToken or
        InvalidAccessKeyId, when the body can be sent again. Raises CosError,
        CosNetworkError, CredentialServerError, or whatever ``progress`` raised.
        ``bucket`` None is the service itself (GET Service)."""
        if bucket is not None:
            validate_bucket(bucket)
        tracker = _SentTracker(body, progress) if body is not None else None
        # Without a request body, progress counts the bytes received into the sink.
        download = progress if body is None else None
        provider = self.credential_source if isinstance(self.credential_source, CredentialProvider) else None
        clock_corrected = keys_renewed = False
        credentials: Credentials | None = None
        while True:
            # A small body is read before the request is signed: under a bandwidth
            # limit reading it waits its turn, and the keys must still be good when
            # the request reaches the server ("Temporary keys" in ARCHITECTURE.md).
            whole = (
                tracker.whole()
                if tracker is not None and tracker.body.content_length <= WHOLE_BODY_BYTES
                else None
            )
            if sign and credentials is None:
                credentials = self.credentials
            offset_used = self.clock_offset_s
            try:
                return self._send_once(
                    method,
                    bucket,
                    key,
                    query,
                    headers or {},
                    tracker,
                    whole,
                    expected,
                    sink,
                    credentials,
                    download,
                )
            except CosError as error:
                if not clock_corrected and self._learn_clock(error, offset_used):
                    clock_corrected = True
                elif (
                    provider is not None
                    and credentials is not None
                    and not keys_renewed
                    and isinstance(error, (ExpiredToken, InvalidAccessKeyId))
                ):
                    keys_renewed = True
                    logger.info("COS refused the temporary keys (%s); asking for new ones", error.code)
                    credentials = provider.renew(credentials)
                else:
                    if provider is not None and type(error) is AccessDenied:
                        raise _outside_scope(error, provider, bucket or "", key) from None
                    raise
                # Error answers never reach the sink, so only the body needs rewinding.
                if tracker is not None and not tracker.body.replayable:
                    logger.debug("signed again but the one-shot body cannot be sent again")
                    raise
                if tracker is not None:
                    tracker.rewind()

    def _learn_clock(self, error: CosError, offset_used: float) -> bool:
        """Store the server's clock offset if ``error`` says our signature time is
        off; True if a request signed with ``offset_used`` is worth sending again."""
        if not isinstance(error, ClockSkewed):
            return False
        server_time = _http_date(error.headers.get("date"))
        if server_time is None:
            return False
        offset = server_time.timestamp() - time.time()
        with self._clock_lock:
            self._clock_offset_s = offset
            self._clock_learned = True
        logger.info("server clock differs from ours by %.0f s; signing with the server's time", offset)
        # Retrying only helps if the clock now differs from the one the request was
        # signed with (another thread may have learnt the same offset meanwhile).
        return abs(offset - offset_used) > 1.0

    def _send_once(
        self,
        method: str,
        bucket: str | None,
        key: str | None,
        query: QueryPairs,
        extra_headers: Mapping[str, str],
        tracker: _SentTracker | None,
        whole: bytes | None,
        expected: tuple[int, ...],
        sink: BinaryIO | None,
        credentials: Credentials | None,
        download: ProgressCallback | None = None,
    ) -> _Answer:
        """One request. ``whole`` is a small body already read (see _send);
        a larger one streams from ``tracker``."""
        query_text = "&".join(
            cos_quote(name) if value is None else f"{cos_quote(name)}={cos_quote(value)}"
            for name, value in query
        )
        if bucket is None:
            url, host = self.endpoint.service_url(query_text), self.endpoint.service_host()
        else:
            url, host = self.endpoint.url_for(bucket, key, query_text), self.endpoint.host_for(bucket)
        headers: dict[str, str] = {"Host": host}
        headers.update(extra_headers)
        if tracker is not None:
            headers["Content-Length"] = str(tracker.body.content_length)
        if credentials is not None:
            if credentials.session_token:
                headers["x-cos-security-token"] = credentials.session_token
            for name, value in headers.items():
                validate_header(name, value)
            signed = [(name, value) for name, value in headers.items() if should_sign_header(name)]
            headers["Authorization"] = authorization(
                credentials,
                method,
                "/" + (key or ""),
                [(name, value or "") for name, value in query],
                signed,
                key_time=make_key_time(self._now()),
            )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s headers=%s",
                method,
                url.split("?", 1)[0] + ("?" + query_text if query else ""),
                _redacted(headers),
            )
        # Unsigned, as httpx.Client's default headers would be. Objects are stored bytes:
        # never let a transparent decoder rewrite them.
        headers.setdefault("User-Agent", _USER_AGENT)
        headers.setdefault("Accept-Encoding", "identity")
        if self._stopped:
            raise ClientStopped(f"{method} to {host} not sent: cosdesk is stopping")
        body_iter = tracker.chunks() if tracker is not None and whole is None else None
        started = time.monotonic()
        in_flight = object()
        if body_iter is None:  # no body, or a small one sent whole: its answer is awaited now
            self._sent_at[in_flight] = started
        else:
            body_iter = _then(body_iter, lambda: self._sent_at.__setitem__(in_flight, time.monotonic()))
        try:
            content = whole if whole is not None else body_iter
            request = httpx.Request(
                method, url, headers=headers, content=content, extensions=self._extensions
            )
            # Built whole above, so it goes straight to the pool (ARCHITECTURE.md,
            # "Sending a request through httpx").
            transport = self._transports.for_url(request.url)
            self._connection_need.started()
            try:
                response = transport.handle_request(request)
                try:
                    answer = self._receive(
                        method, key is not None, response, expected, sink, tracker, download
                    )
                finally:
                    response.close()
            finally:
                self._connection_need.ended(transport)
        except httpx.TransportError as error:
            if self._stopped:
                raise ClientStopped(f"{method} to {host} ended: cosdesk is stopping") from None
            if not _has_request(error):  # httpx.Client would have attached it
                error.request = request
            failure = _network_error(
                error, host, self.endpoint.scheme, self.timeout_s, self.connect_timeout_s
            )
            failure.nothing_sent = isinstance(error, _NO_CONNECTION)
            raise failure from error
        except httpx.InvalidURL as error:
            raise CosValidationError(f"cannot build a request URL: {error}") from None
        finally:
            self._sent_at.pop(in_flight, None)
            if body_iter is not None:
                body_iter.close()
        logger.debug(
            "%s %s -> %d in %.3f s, request id %s",
            method,
            url.split("?", 1)[0],
            answer.status_code,
            time.monotonic() - started,
            answer.request_id,
        )
        return answer

    def _receive(
        self,
        method: str,
        object_request: bool,
        response: httpx.Response,
        expected: tuple[int, ...],
        sink: BinaryIO | None,
        tracker: _SentTracker | None,
        download: ProgressCallback | None,
    ) -> _Answer:
        headers = MappingProxyType({name.lower(): value for name, value in response.headers.items()})
        sent_crc = tracker.crc if tracker is not None else None
        if response.status_code not in expected:
            body = _read_limited(response, MAX_ERROR_BODY_BYTES)
            raise _error_from_answer(response.status_code, headers, body, object_request)
        if method == "HEAD":
            # Reading the answer to its end (a HEAD answer has no body) keeps the
            # connection: closed half-read, it would be closed for good.
            _read_limited(response, MAX_ERROR_BODY_BYTES)
            return _Answer(response.status_code, headers, b"", sent_crc)
        if sink is not None:
            crc = 0
            for chunk in _raw_chunks(response):
                sink.write(chunk)
                crc = crc64(chunk, crc)
                if download is not None:
                    download(len(chunk))
            server_crc = parse_crc64(headers.get("x-cos-hash-crc64ecma"))
            if response.status_code == 200 and server_crc is not None and server_crc != crc:
                raise CrcMismatchError(
                    response.status_code,
                    "Crc64Mismatch",
                    f"downloaded bytes have CRC-64 {crc}, COS reports {server_crc}",
                    request_id=headers.get("x-cos-request-id"),
                    headers=headers,
                )
            return _Answer(response.status_code, headers, b"", sent_crc)
        body = _read_limited(response, MAX_XML_BODY_BYTES if method != "GET" else None)
        return _Answer(response.status_code, headers, body, sent_crc)

    # --- helpers ------------------------------------------------------------------

    def _object_headers(self, options: ObjectOptions | None) -> dict[str, str]:
        return options.to_headers() if options is not None else {}

    @staticmethod
    def _add_upload_headers(
        headers: dict[str, str], body: RequestBody, content_md5: str | bool | None, expect_continue: bool
    ) -> None:
        if content_md5 is True:
            headers["Content-MD5"] = body.md5_base64()
        elif isinstance(content_md5, str) and content_md5:
            headers["Content-MD5"] = content_md5
        if expect_continue:
            # httpx does not wait for "100 Continue": the header is sent, the body
            # follows at once, and a server that answers early with a final status
            # is read correctly (httpcore reads the answer after a write error).
            headers["Expect"] = "100-continue"

    def _parse_xml(self, answer: _Answer) -> Element:
        try:
            root = xml.parse(answer.body)
        except xml.XmlError as problem:
            raise self._response_error(answer, str(problem)) from None
        if root.tag == "Error":
            # An error inside a 2xx body (Complete Multipart Upload answers 200 first).
            fields = xml.parse_error(root)
            raise CosError.create(
                answer.status_code,
                fields["code"],
                fields["message"] or "",
                request_id=fields["request_id"] or answer.request_id,
                resource=fields["resource"],
                headers=answer.headers,
            )
        return root

    def _parsed(self, answer: _Answer, parser: Callable[[Element], _T]) -> _T:
        root = self._parse_xml(answer)
        try:
            return parser(root)
        except xml.XmlError as problem:
            raise self._response_error(answer, str(problem)) from None

    @staticmethod
    def _response_error(answer: _Answer, message: str) -> CosResponseError:
        return CosResponseError(
            answer.status_code,
            "InvalidResponse",
            message,
            request_id=answer.request_id,
            headers=answer.headers,
        )

    def _required_etag(self, answer: _Answer, operation: str) -> str:
        etag = answer.headers.get("etag")
        if not etag:
            raise self._response_error(answer, f"{operation} answered {answer.status_code} without an ETag")
        return etag

    def _checked_crc(self, answer: _Answer) -> int | None:
        """The server's CRC-64 of what it stored; raises CrcMismatchError if it
        differs from the CRC-64 of what was sent."""
        server_crc = parse_crc64(answer.headers.get("x-cos-hash-crc64ecma"))
        if server_crc is not None and answer.sent_crc64 is not None and server_crc != answer.sent_crc64:
            raise CrcMismatchError(
                answer.status_code,
                "Crc64Mismatch",
                f"COS stored CRC-64 {server_crc} but the bytes sent have CRC-64 {answer.sent_crc64}",
                request_id=answer.request_id,
                headers=answer.headers,
            )
        return server_crc


# --- module helpers ------------------------------------------------------------


def _require_upload_id(upload_id: str) -> None:
    if not upload_id or not isinstance(upload_id, str):
        raise CosValidationError("upload id is empty")


def _optional_query(
    pairs: Sequence[tuple[str, str | None]], flags: Sequence[str] = ()
) -> list[tuple[str, str | None]]:
    """Drop parameters whose value is None, except flags (sent bare)."""
    return [(name, value) for name, value in pairs if value is not None or name in flags]


def _range_header(byte_range: tuple[int, int | None] | str) -> str:
    if isinstance(byte_range, str):
        return byte_range if byte_range.startswith("bytes=") else f"bytes={byte_range}"
    first, last = byte_range
    if first < 0 or (last is not None and last < first):
        raise CosValidationError(f"invalid byte range {byte_range!r}")
    return f"bytes={first}-{'' if last is None else last}"


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    import email.utils  # rarely needed: not a cost of every start

    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _metadata(headers: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(
        {name[len(META_PREFIX) :]: value for name, value in headers.items() if name.startswith(META_PREFIX)}
    )


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: _REDACTED if name.lower() in _SECRET_HEADERS else value for name, value in headers.items()}


def _raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body as sent (no content decoding: stored objects stay as stored)."""
    if response.is_stream_consumed:
        # A response built in memory (a test transport) has its content already.
        yield response.content
        return
    yield from response.iter_raw()


def _read_limited(response: httpx.Response, limit: int | None) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in _raw_chunks(response):
        size += len(chunk)
        if limit is not None and size > limit:
            raise CosResponseError(
                response.status_code,
                "InvalidResponse",
                f"the server's answer exceeds {limit} bytes",
                request_id=response.headers.get("x-cos-request-id"),
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _error_from_answer(
    status_code: int, headers: Mapping[str, str], body: bytes, object_request: bool
) -> CosError:
    """The exception for a non-success answer: from its ``<Error>`` document, or
    from the status alone when there is none (HEAD, proxies)."""
    request_id = headers.get("x-cos-request-id")
    if body.strip():
        try:
            root = xml.parse(body)
        except xml.XmlError as problem:
            return CosResponseError(
                status_code,
                "InvalidResponse",
                f"HTTP {status_code} without a COS error document: {problem}",
                request_id=request_id,
                headers=headers,
            )
        if root.tag == "Error":
            fields = xml.parse_error(root)
            return CosError.create(
                status_code,
                fields["code"],
                fields["message"] or "",
                request_id=fields["request_id"] or request_id,
                resource=fields["resource"],
                headers=headers,
            )
    code = _CODE_BY_STATUS.get(status_code)
    if status_code == 404:
        code = "NoSuchKey" if object_request else "NoSuchBucket"
    message = headers.get("x-cos-error-message") or f"HTTP {status_code} (no error document)"
    return CosError.create(
        status_code, headers.get("x-cos-error-code") or code, message, request_id=request_id, headers=headers
    )


_CODE_BY_STATUS = {
    403: "AccessDenied",
    412: "PreconditionFailed",
    416: "InvalidRange",
    503: "ServiceUnavailable",
}


def _form_body(
    boundary: str, fields: Sequence[tuple[str, str]], key: str, content_type: str, file_body: RequestBody
) -> ConcatBody:
    """multipart/form-data: the fields, then the file (streamed), then the closing boundary."""
    lines: list[bytes] = []
    for name, value in fields:
        lines.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_form_quote(name)}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    filename = key.rstrip("/").rsplit("/", 1)[-1] or "file"
    lines.append(
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{_form_quote(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
    )
    head = BytesBody(b"".join(lines))
    tail = BytesBody(f"\r\n--{boundary}--\r\n".encode())
    return ConcatBody([(head, False), (file_body, True), (tail, False)])


def _form_quote(text: str) -> str:
    # As browsers do (WHATWG): quotes and line breaks percent-encoded in the header.
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


# httpx's errors of a request that never had a connection: none of its body left.
_NO_CONNECTION = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _network_error(
    error: httpx.TransportError, host_header: str, scheme: str, timeout_s: float, connect_timeout_s: float
) -> CosNetworkError:
    """A CosNetworkError saying plainly what failed, for an httpx transport error
    of a request sent to ``host_header``."""
    url = error.request.url if _has_request(error) else None
    host_name = url.host if url is not None else host_header.rsplit(":", 1)[0]
    port = (url.port if url is not None else None) or (443 if scheme == "https" else 80)
    host = f"{host_name}:{port}"
    causes = _causes(error)
    if isinstance(error, httpx.TimeoutException):
        if isinstance(error, httpx.ConnectTimeout):
            text = f"timed out connecting to {host} after {connect_timeout_s:g} s"
        elif isinstance(error, httpx.WriteTimeout):
            text = f"timed out sending to {host} (no progress for {timeout_s:g} s)"
        elif isinstance(error, httpx.PoolTimeout):
            text = f"timed out waiting for a free connection to {host}"
        else:
            text = f"timed out waiting for {host} to answer (nothing for {timeout_s:g} s)"
        return CosTimeoutError(text, kind=NetworkErrorKind.TIMEOUT, host=host)
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return CosNetworkError(
            f"could not connect to {host}: connection refused",
            kind=NetworkErrorKind.CONNECTION_REFUSED,
            host=host,
        )
    import socket  # local: only needed on this error path

    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return CosNetworkError(
                f"could not resolve host {host_name}: {cause.strerror or cause}",
                kind=NetworkErrorKind.DNS,
                host=host,
            )
        if isinstance(cause, ssl.SSLCertVerificationError):
            return CosNetworkError(
                f"TLS certificate of {host} failed verification: {cause.verify_message or cause.reason}",
                kind=NetworkErrorKind.TLS,
                host=host,
            )
        if isinstance(cause, ssl.SSLError):
            return CosNetworkError(
                f"TLS with {host} failed: {cause.reason or cause}", kind=NetworkErrorKind.TLS, host=host
            )
        if isinstance(cause, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
            return CosNetworkError(
                f"connection to {host} was reset", kind=NetworkErrorKind.CONNECTION_RESET, host=host
            )
    if isinstance(error, httpx.RemoteProtocolError):
        if "without sending" in str(error) or "peer closed" in str(error).lower():
            return CosNetworkError(
                f"{host} closed the connection before a complete answer",
                kind=NetworkErrorKind.CONNECTION_RESET,
                host=host,
            )
        return CosNetworkError(
            f"HTTP protocol error talking to {host}: {error}", kind=NetworkErrorKind.PROTOCOL, host=host
        )
    if isinstance(error, httpx.ConnectError):
        return CosNetworkError(
            f"could not connect to {host}: {error}", kind=NetworkErrorKind.OTHER, host=host
        )
    if isinstance(error, httpx.ReadError | httpx.WriteError):
        return CosNetworkError(
            f"connection to {host} failed: {error or type(error).__name__}",
            kind=NetworkErrorKind.CONNECTION_RESET,
            host=host,
        )
    return CosNetworkError(
        f"network error talking to {host}: {error or type(error).__name__}",
        kind=NetworkErrorKind.OTHER,
        host=host,
    )


def _then(chunks: Iterator[bytes], at_end: Callable[[], None]) -> Generator[bytes, None, None]:
    """``chunks``, then ``at_end()`` once the last has been taken (httpx asks for the
    next chunk after it has written one: the body is then all sent)."""
    yield from chunks
    at_end()


def _has_request(error: httpx.TransportError) -> bool:
    try:
        error.request  # noqa: B018 - raises RuntimeError when unset
    except RuntimeError:
        return False
    return True


def _causes(error: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from, nearest first."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
