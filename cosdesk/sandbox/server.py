"""The local COS server: ``SandboxServer``, its public face, and how one request is served.

Connections are accepted and shared out by ``connection_hub.py``; heads and
bodies are parsed by ``http_connection.py`` (h11). This module turns a parsed
request into a bucket, key and signature check, dispatches it to the
operations, and writes the answer.
"""

from __future__ import annotations

import base64
import itertools
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from cosdesk.sandbox import request_auth, routing, s3_compat, sigv4
from cosdesk.sandbox import xml_responses as xml
from cosdesk.sandbox.body import BodyReader, ClientGone, InjectedReset, Throttle
from cosdesk.sandbox.connection_hub import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_WORKERS, ConnectionHub
from cosdesk.sandbox.errors import CosServerError, internal_error, no_such_bucket
from cosdesk.sandbox.exchange import Response
from cosdesk.sandbox.faults import FaultSettings
from cosdesk.sandbox.http_connection import HttpConnection, RequestHead
from cosdesk.sandbox.operation_context import ServerInfo
from cosdesk.sandbox.operations import Operations, http_date
from cosdesk.sandbox.public import DEFAULT_BUCKET, DEFAULT_REGION
from cosdesk.sandbox.request_ledger import ReceivedRequest, RequestLedger
from cosdesk.sandbox.storage import Storage
from cosdesk.sandbox.sts import CredentialServer, TemporaryKeyIssuer

logger = logging.getLogger("cosdesk.sandbox")

# A refused body up to this size is read and dropped so the client, which is
# still sending it, gets to read the answer; a larger one closes the connection.
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024
_SENSITIVE_PARAMS = frozenset({"q-signature", "sign", "x-cos-security-token", "q-key-time", "q-sign-time"})
_request_counter = itertools.count()


def new_request_id() -> str:
    raw = f"{int(time.time()):x}_{secrets.token_hex(4)}_{next(_request_counter):x}"
    return base64.b64encode(raw.encode("ascii")).decode("ascii").rstrip("=")


def _redacted(raw_target: str) -> str:
    path, question, query = raw_target.partition("?")
    if not question:
        return path
    items = []
    for item in query.split("&"):
        name = item.partition("=")[0]
        items.append(f"{name}=<redacted>" if name.lower() in _SENSITIVE_PARAMS else item)
    return f"{path}?{'&'.join(items)}"


class _Request:
    """One request being served: what :class:`cosdesk.sandbox.exchange.Exchange` promises
    the operations, and the answer's way back to the connection."""

    def __init__(self, sandbox: SandboxServer, connection: HttpConnection, head: RequestHead) -> None:
        self.sandbox = sandbox
        self.connection = connection
        self.head = head
        self.method = head.method
        self.bucket = ""
        self.key = ""
        self.request_id = new_request_id()
        self.content_length = head.content_length
        self.chunked = head.chunked
        self.keep_alive = head.keep_alive
        self.status = 0  # -1: reset on purpose, -2: the client went away
        self.faults = sandbox.faults.snapshot()
        self._params: dict[str, str] = {}
        # The headers the operations see: as sent, plus x-cos names of x-amz ones for S3 clients.
        self._headers = list(head.headers)
        self.speaks_s3 = False
        self._raw_body = connection.body(head)
        self._reader: BodyReader | None = None
        self._continue_pending = head.expects_continue
        self._reset_point = self.faults.reset_point(sandbox.rng, head.content_length)

    # --- Exchange ---

    def param(self, name: str) -> str | None:
        return self._params.get(name)

    def has_param(self, name: str) -> bool:
        return name in self._params

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for header, value in self._headers if header.lower() == lowered), None)

    def header_items(self) -> list[tuple[str, str]]:
        return list(self._headers)

    def open_body(self, rate_limit_bytes_per_s: float | None = None) -> BodyReader:
        if self._reader is not None:
            return self._reader
        if self._continue_pending:
            self.connection.send_continue()
            self._continue_pending = False
        rates = [r for r in (rate_limit_bytes_per_s, self.faults.bandwidth_bytes_per_s) if r]
        self._reader = BodyReader(
            self._raw_body, throttle=Throttle(min(rates)) if rates else None, reset_after=self._reset_point
        )
        return self._reader

    # --- serving ---

    def serve(self) -> None:
        sandbox, head = self.sandbox, self.head
        resource = ""
        try:
            if self.faults.latency_s > 0:
                time.sleep(self.faults.latency_s)
            if self._reset_point == 0 and not head.has_body:
                raise InjectedReset()
            raw_path, raw_query = routing.split_request_target(head.target)
            query = routing.parse_query(raw_query)
            for name, value in query:
                self._params.setdefault(name, value)
            target = routing.resolve(
                head.header("Host") or "",
                raw_path,
                is_known_bucket=sandbox.is_known_bucket,
                default_bucket=sandbox.default_bucket,
                auto_create=sandbox.auto_create_buckets,
                method=self.method,
                query=query,
            )
            resource = (
                f"{target.bucket}.cos.{sandbox.region}.myqcloud.com/{xml.url_encode(target.key)}"
                if target.bucket
                else raw_path
            )
            if target.bucket is None and not (self.method == "GET" and target.key == ""):
                raise no_such_bucket()
            if self.faults.should_fail(sandbox.rng):
                if self.faults.error_status == 503:
                    raise CosServerError(503, "SlowDown", "Please reduce your request rate.")
                raise internal_error()
            is_form_upload = (
                self.method == "POST"
                and target.key == ""
                and (head.header("Content-Type") or "").lower().startswith("multipart/form-data")
            )
            self.speaks_s3 = sigv4.is_sigv4(head.header("Authorization"), query)
            if not is_form_upload:
                request_auth.verify(
                    sandbox.auth_policy,
                    method=self.method,
                    signed_paths=target.signed_paths,
                    query=query,
                    headers=head.headers,
                    now=sandbox.clock(),
                    raw_path=raw_path,
                    raw_query=raw_query,
                )
                sandbox.auth_policy.check_temporary(
                    request_auth.security_token(head.headers, query), sandbox.clock(), target.key, query
                )
            if self.speaks_s3:
                # After the signature check, which needs the headers as sent.
                self._headers = s3_compat.cos_request_headers(head.headers, sandbox.region)
            self.bucket, self.key = target.bucket or "", target.key
            if self.bucket:
                sandbox.ensure_bucket(self.bucket)
            self._send(sandbox.operations.dispatch(self))
        except InjectedReset:
            self.status = -1
            self.keep_alive = False
        except CosServerError as error:
            self._send_error(error, resource)
        except (ClientGone, ConnectionError, TimeoutError):
            self.status = -2
            self.keep_alive = False
        except Exception:
            logger.exception("internal error serving %s %s", self.method, _redacted(head.target))
            self._send_error(internal_error(), resource)

    def finish(self) -> bool:
        """After the answer: True when the connection can carry the next request."""
        if self.status < 0 or not self.keep_alive:
            return False
        self.connection.start_next_request(self._raw_body.leftover())
        return True

    def _settle_body(self) -> None:
        """Before answering: make sure no unread body is left on a kept-alive connection."""
        if self._raw_body.finished:
            return
        if self._reader is not None or self._continue_pending or self.chunked:
            # Half read, or refused before the client sent it: it cannot be skipped.
            self.keep_alive = False
            return
        if (self.content_length or 0) > DRAIN_LIMIT_BYTES:
            self.keep_alive = False
            return
        try:
            BodyReader(self._raw_body).drain()
        except (ClientGone, CosServerError, OSError):
            self.keep_alive = False

    def _send_error(self, error: CosServerError, resource: str) -> None:
        body = b""
        if self.method != "HEAD":
            body = xml.error_document(error.code, error.message, resource, self.request_id, self.request_id)
        try:
            self._send(Response(error.status, list(error.headers.items()), body=body))
        except (ClientGone, ConnectionError, TimeoutError, OSError):
            self.status = -2
            self.keep_alive = False

    def _send(self, response: Response) -> None:
        try:
            self._settle_body()
            self.status = response.status
            headers = [("Server", "tencent-cos"), ("Date", http_date(self.sandbox.clock()))]
            headers += response.headers
            headers.append(("x-cos-request-id", self.request_id))
            length = response.file_length if response.file is not None else len(response.body)
            if response.status not in (204, 304):
                headers.append(("Content-Length", str(length)))
            names = {name.lower() for name, _ in response.headers}
            if response.body and "content-type" not in names:
                headers.append(("Content-Type", "application/xml"))
            headers.append(("Connection", "keep-alive" if self.keep_alive else "close"))
            if self.speaks_s3:
                headers = s3_compat.s3_response_headers(headers)
            self.connection.send_head(response.status, headers)
            if self.method == "HEAD" or response.status in (204, 304):
                return
            if response.file is not None:
                self._send_file(response.file, response.file_offset, length, response.rate_limit_bytes_per_s)
            else:
                self.connection.send_body(response.body)
        finally:
            if response.file is not None:
                response.file.close()

    def _send_file(self, file: BinaryIO, offset: int, length: int, rate_limit: float | None) -> None:
        rates = [r for r in (rate_limit, self.faults.bandwidth_bytes_per_s) if r]
        if not rates:
            self.connection.send_file(file, offset, length)
            return
        throttle = Throttle(min(rates))
        position, end = offset, offset + length
        while position < end:
            chunk = os.pread(file.fileno(), throttle.chunk_size(min(1 << 20, end - position)), position)
            if not chunk:
                raise ClientGone()  # the file is shorter than its record: never expected
            self.connection.send_body(chunk)
            position += len(chunk)
            throttle.account(len(chunk))


class SandboxServer:
    """A local COS-compatible server on a background thread.

    ``credentials`` maps SecretId to SecretKey (no pair is built in: anyone on
    this computer could use it); ``session_tokens`` maps a
    temporary key's token to its ``(SecretId, SecretKey)``. Objects and
    in-progress uploads live under ``root`` and survive a restart.

    With ``sts_duration_s``, it also plays a credential server (``credential_url``,
    see ``sts.py``): the keys it issues live that long and, with ``sts_prefix``,
    reach only keys under that prefix.
    """

    def __init__(
        self,
        root: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        buckets: Iterable[str] = (DEFAULT_BUCKET,),
        *,
        credentials: Mapping[str, str],
        region: str = DEFAULT_REGION,
        auto_create_buckets: bool = False,
        session_tokens: Mapping[str, tuple[str, str]] | None = None,
        allow_anonymous: bool = False,
        max_skew_s: float = 900.0,
        discard_bodies: bool = False,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_workers: int = DEFAULT_MAX_WORKERS,
        sts_duration_s: float | None = None,
        sts_prefix: str = "",
        sts_required_header: tuple[str, str] | None = None,
    ) -> None:
        self.root = Path(root)
        self.max_connections = max_connections
        self.max_workers = max_workers
        # A benchmarking aid: answer everything as usual but keep no body bytes (see Storage).
        self.discard_bodies = discard_bodies
        self.host = host
        self._requested_port = port
        self.buckets = list(buckets)
        for bucket in self.buckets:
            if not routing.BUCKET_NAME.match(bucket):
                raise ValueError(f"bucket {bucket!r} is not of the form name-appid")
        self.region = region
        self.auto_create_buckets = auto_create_buckets
        self.auth_policy = request_auth.AuthPolicy(
            credentials=dict(credentials),
            session_tokens=dict(session_tokens or {}),
            allow_anonymous=allow_anonymous,
            max_skew_s=max_skew_s,
        )
        self.credential_server: CredentialServer | None = None
        if sts_duration_s is not None:
            issuer = TemporaryKeyIssuer(duration_s=sts_duration_s, prefix=sts_prefix, clock=self.clock)
            self.auth_policy.temporary = issuer
            self.credential_server = CredentialServer(issuer, host, required_header=sts_required_header)
        self.faults = FaultSettings()
        self.rng = random.Random()
        self._ledger: RequestLedger | None = None
        self._known_buckets: set[str] = set()
        self._buckets_lock = threading.Lock()
        self._storage: Storage | None = None
        self._listener: socket.socket | None = None
        self._hub: ConnectionHub | None = None
        self.operations: Operations

    # --- lifecycle ---

    def start(self) -> SandboxServer:
        """Open the store and start serving; returns once the socket listens."""
        if self._hub is not None:
            raise RuntimeError("the server is already running")
        self.root.mkdir(parents=True, exist_ok=True)
        self._storage = Storage(self.root, discard_bodies=self.discard_bodies)
        for bucket in self.buckets:
            self._storage.create_bucket(bucket)
        self._known_buckets = set(self._storage.bucket_names())
        self.operations = Operations(
            self._storage,
            self.faults,
            ServerInfo(region=self.region, app_id_of=lambda bucket: bucket.rsplit("-", 1)[-1]),
            self.auth_policy,
            self.clock,
        )
        try:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            self._listener = socket.create_server(
                (self.host, self._requested_port), family=family, backlog=1024, reuse_port=False
            )
        except OSError:
            self._storage.close()
            self._storage = None
            raise
        self._hub = ConnectionHub(
            self._listener,
            self._serve,
            self._reject,
            max_workers=self.max_workers,
            max_connections=self.max_connections,
        )
        self._hub.start()
        if self.credential_server is not None:
            self.credential_server.start()
        return self

    def stop(self) -> None:
        """Stop serving, end every connection, join the threads, close the store."""
        hub, self._hub = self._hub, None
        if hub is not None:
            hub.stop()
        if self.credential_server is not None:
            self.credential_server.stop()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._storage is not None:
            self._storage.close()
            self._storage = None

    def _serve(self, connection: HttpConnection, head: RequestHead) -> bool:
        started = time.monotonic()
        request = _Request(self, connection, head)
        request.serve()
        keep_alive = request.finish()
        status = request.status
        ledger = self._ledger
        if ledger is not None:
            query = dict(request._params)
            ledger.add(
                ReceivedRequest(
                    head.method, request.bucket, request.key, query, status, head.content_length, started
                )
            )
        logger.debug(
            "%s %s %s -> %s in %.1f ms (request id %s)",
            connection.address,
            head.method,
            _redacted(head.target),
            status if status >= 0 else ("reset" if status == -1 else "client gone"),
            (time.monotonic() - started) * 1000,
            request.request_id,
        )
        if status == -1:
            connection.close(reset=True)
            return False
        return keep_alive

    def _reject(self, connection: HttpConnection, status: int, code: str, message: str) -> None:
        """A short error answer for a request that is not served (busy, malformed)."""
        request_id = new_request_id()
        body = xml.error_document(code, message, "", request_id, request_id)
        connection.send_head(
            status,
            [
                ("Server", "tencent-cos"),
                ("Date", http_date(self.clock())),
                ("Content-Type", "application/xml"),
                ("Content-Length", str(len(body))),
                ("x-cos-request-id", request_id),
                ("Connection", "close"),
            ],
        )
        connection.send_body(body)
        logger.debug("%s refused: %s %s", connection.address, status, code)

    def __enter__(self) -> SandboxServer:
        if self._hub is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def record_requests(self) -> RequestLedger:
        """From now on, keep every answered request in the returned ledger (tests
        count what reached the server with it)."""
        self._ledger = RequestLedger()
        return self._ledger

    # --- facts ---

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("the server is not running")
        return int(self._listener.getsockname()[1])

    @property
    def endpoint(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    @property
    def credential_url(self) -> str | None:
        """Where temporary keys are handed out (None without ``sts_duration_s``)."""
        return self.credential_server.url if self.credential_server is not None else None

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            raise RuntimeError("the server is not running")
        return self._storage

    @property
    def default_bucket(self) -> str | None:
        """The bucket of requests that name none (the SDKs' Domain mode): only when
        exactly one bucket was configured."""
        return self.buckets[0] if len(self.buckets) == 1 else None

    def clock(self) -> float:
        return time.time() + float(self.faults.clock_offset_s)

    def is_known_bucket(self, name: str) -> bool:
        with self._buckets_lock:
            return name in self._known_buckets

    def ensure_bucket(self, name: str) -> None:
        """Raise 404 NoSuchBucket unless the bucket exists (or may be created now)."""
        if self.is_known_bucket(name):
            return
        if not (self.auto_create_buckets and routing.BUCKET_NAME.match(name)):
            raise no_such_bucket()
        self.storage.create_bucket(name)
        with self._buckets_lock:
            self._known_buckets.add(name)
