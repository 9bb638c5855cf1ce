"""HTTP plumbing of the local COS server, and ``SandboxServer``, its public face.

Stdlib ``ThreadingHTTPServer`` with HTTP/1.1 keep-alive: one thread per
connection gives per-connection control (resets, throttling, 100-continue),
and bodies are read in 1 MiB ``readinto`` calls while MD5, CRC-64 and file
writes release the GIL, which is fast enough (see tests/bench).
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import logging
import os
import random
import secrets
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from cosdesk.sandbox import request_auth, routing
from cosdesk.sandbox import xml_responses as xml
from cosdesk.sandbox.body import BodyReader, ClientGone, InjectedReset, Throttle
from cosdesk.sandbox.errors import CosServerError, internal_error, no_such_bucket
from cosdesk.sandbox.exchange import Response
from cosdesk.sandbox.faults import FaultSettings
from cosdesk.sandbox.operations import Operations, ServerInfo, http_date
from cosdesk.sandbox.storage import Storage

logger = logging.getLogger("cosdesk.sandbox")

DEFAULT_BUCKET = "examplebucket-1250000000"
DEFAULT_REGION = "ap-guangzhou"
# A fixed, documented local key pair so a user can point any COS SDK at the server.
DEFAULT_SECRET_ID = "cosdesk-local"
DEFAULT_SECRET_KEY = "cosdesk-local-secret"

# A refused body up to this size is read and dropped so the client, which is
# still sending it, gets to read the answer; a larger one closes the connection.
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024
IDLE_TIMEOUT_S = 300
_SENSITIVE_PARAMS = frozenset({"q-signature", "sign", "x-cos-security-token", "q-key-time", "q-sign-time"})
_request_counter = itertools.count()


def new_request_id() -> str:
    raw = f"{int(time.time()):x}_{secrets.token_hex(4)}_{next(_request_counter):x}"
    return base64.b64encode(raw.encode("ascii")).decode("ascii").rstrip("=")


def _wire_value(value: str) -> str:
    """A header value as http.server will encode it (Latin-1): UTF-8 text goes out as
    its bytes, and CR/LF from a stored form field can never split a header."""
    value = value.replace("\r", " ").replace("\n", " ")
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8").decode("latin-1")


def _redacted(raw_target: str) -> str:
    path, question, query = raw_target.partition("?")
    if not question:
        return path
    items = []
    for item in query.split("&"):
        name = item.partition("=")[0]
        items.append(f"{name}=<redacted>" if name.lower() in _SENSITIVE_PARAMS else item)
    return f"{path}?{'&'.join(items)}"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close joins the connection threads
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._to_reset: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def mark_for_reset(self, request: socket.socket) -> None:
        request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._connections_lock:
            self._to_reset.add(request)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
            reset = request in self._to_reset
            self._to_reset.discard(request)
        if reset:
            # No FIN first: closing with SO_LINGER 0 sends an RST.
            request.close()
        else:
            super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that vanishes between requests (killed, reset) is normal life for
        # a server, not a traceback on stderr; anything else is still reported.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            logger.debug("connection from %s ended abruptly", client_address)
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Wake every connection thread (idle keep-alive reads included) so they end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT_S
    server: _HTTPServer

    # --- http.server hooks ---

    def version_string(self) -> str:
        return "tencent-cos"

    def date_time_string(self, timestamp: float | None = None) -> str:
        return http_date(self.server.sandbox.clock() if timestamp is None else timestamp)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the access log is written by _serve, without query secrets

    def handle_expect_100(self) -> bool:
        # Decide after the checks: 100 Continue is sent when the body is opened.
        self._expects_continue = True
        return True

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = do_GET

    # --- one request ---

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        started = time.monotonic()
        expects_continue = self.__dict__.pop("_expects_continue", False)
        self._continue_pending = expects_continue
        self._reader: BodyReader | None = None
        self._status = 0
        request_id = new_request_id()
        faults = sandbox.faults.snapshot()
        parts = self.requestline.split()
        raw_target = parts[1] if len(parts) > 1 else "/"
        resource = ""
        try:
            self._content_length, self._chunked = self._body_framing()
            self._reset_point = faults.reset_point(sandbox.rng, self._content_length)
            if faults.latency_s > 0:
                time.sleep(faults.latency_s)
            if self._reset_point == 0 and not self._has_body():
                raise InjectedReset()
            self._faults = faults
            raw_path, raw_query = routing.split_request_target(raw_target)
            query = routing.parse_query(raw_query)
            target = routing.resolve(
                self.headers.get("Host", ""),
                raw_path,
                is_known_bucket=sandbox.is_known_bucket,
                default_bucket=sandbox.default_bucket,
                auto_create=sandbox.auto_create_buckets,
            )
            resource = (
                f"{target.bucket}.cos.{sandbox.region}.myqcloud.com/{xml.url_encode(target.key)}"
                if target.bucket
                else raw_path
            )
            if faults.should_fail(sandbox.rng):
                if faults.error_status == 503:
                    raise CosServerError(503, "SlowDown", "Please reduce your request rate.")
                raise internal_error()
            if target.bucket is None:
                raise no_such_bucket()
            is_form_upload = (
                self.command == "POST"
                and target.key == ""
                and self.headers.get("Content-Type", "").lower().startswith("multipart/form-data")
            )
            if not is_form_upload:
                request_auth.verify(
                    sandbox.auth_policy,
                    method=self.command,
                    signed_paths=target.signed_paths,
                    query=query,
                    headers=self.headers.items(),
                    now=sandbox.clock(),
                    raw_path=raw_path,
                    raw_query=raw_query,
                )
            sandbox.ensure_bucket(target.bucket)
            exchange = _Exchange(self, target.bucket, target.key, query, request_id)
            response = sandbox.operations.dispatch(exchange)
            self._send(response, request_id)
        except InjectedReset:
            self._status = -1
            self.close_connection = True
            self.server.mark_for_reset(self.connection)
        except CosServerError as error:
            self._send_error(error, resource, request_id)
        except (ClientGone, ConnectionError, TimeoutError):
            self.close_connection = True
            self._status = -2
        except Exception:
            logger.exception("internal error serving %s %s", self.command, _redacted(raw_target))
            self._send_error(internal_error(), resource, request_id)
        finally:
            logger.debug(
                "%s %s %s -> %s in %.1f ms (request id %s)",
                self.address_string(),
                self.command,
                _redacted(raw_target),
                self._status if self._status >= 0 else ("reset" if self._status == -1 else "client gone"),
                (time.monotonic() - started) * 1000,
                request_id,
            )

    def _body_framing(self) -> tuple[int | None, bool]:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return None, True
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return None, False
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise CosServerError(400, "InvalidRequest", "Content-Length is not valid.")
        return length, False

    def _has_body(self) -> bool:
        return self._chunked or bool(self._content_length)

    def open_body(self, rate_limit_bytes_per_s: float | None) -> BodyReader:
        if self._reader is not None:
            return self._reader
        if self._continue_pending:
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._continue_pending = False
        rates = [r for r in (rate_limit_bytes_per_s, self._faults.bandwidth_bytes_per_s) if r]
        self._reader = BodyReader(
            self.rfile,  # type: ignore[arg-type]
            content_length=self._content_length,
            chunked=self._chunked,
            throttle=Throttle(min(rates)) if rates else None,
            reset_after=self._reset_point,
        )
        return self._reader

    def _settle_body(self) -> None:
        """Before answering: make sure no unread body is left on a kept-alive connection."""
        if self._reader is not None:
            if not self._reader.finished:
                self.close_connection = True
            return
        if not self._has_body():
            return
        if self._continue_pending or self._chunked or (self._content_length or 0) > DRAIN_LIMIT_BYTES:
            # Refused before the client sent its body (or too big to read for nothing).
            self.close_connection = True
            return
        try:
            BodyReader(self.rfile, content_length=self._content_length, chunked=False).drain()  # type: ignore[arg-type]
        except (ClientGone, OSError):
            self.close_connection = True

    def _send_error(self, error: CosServerError, resource: str, request_id: str) -> None:
        body = b""
        if self.command != "HEAD":
            body = xml.error_document(error.code, error.message, resource, request_id, request_id)
        headers = list(error.headers.items())
        try:
            self._send(Response(error.status, headers, body=body), request_id)
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    def _send(self, response: Response, request_id: str) -> None:
        try:
            self._settle_body()
            self._status = response.status
            self.send_response(response.status)
            names = {name.lower() for name, _ in response.headers}
            for name, value in response.headers:
                self.send_header(name, _wire_value(value))
            self.send_header("x-cos-request-id", request_id)
            length = response.file_length if response.file is not None else len(response.body)
            if response.status not in (204, 304):
                self.send_header("Content-Length", str(length))
            if response.body and "content-type" not in names:
                self.send_header("Content-Type", "application/xml")
            self.send_header("Connection", "close" if self.close_connection else "keep-alive")
            self.end_headers()
            if self.command == "HEAD" or response.status in (204, 304):
                return
            if response.file is not None:
                self._send_file(response.file, response.file_offset, length, response.rate_limit_bytes_per_s)
            elif response.body:
                self.wfile.write(response.body)
        finally:
            if response.file is not None:
                response.file.close()

    def _send_file(self, file: BinaryIO, offset: int, length: int, rate_limit: float | None) -> None:
        rates = [r for r in (rate_limit, self._faults.bandwidth_bytes_per_s) if r]
        if not rates:
            if length:
                self.connection.sendfile(file, offset, length)
            return
        throttle = Throttle(min(rates))
        position, end = offset, offset + length
        while position < end:
            chunk = os.pread(file.fileno(), throttle.chunk_size(min(1 << 20, end - position)), position)
            if not chunk:
                raise ClientGone()  # the file is shorter than its record: never expected
            self.wfile.write(chunk)
            position += len(chunk)
            throttle.account(len(chunk))


class _Exchange:
    """The handler's request as :class:`cosdesk.sandbox.exchange.Exchange`."""

    def __init__(
        self, handler: _Handler, bucket: str, key: str, query: list[tuple[str, str]], request_id: str
    ):
        self._handler = handler
        self.method = handler.command
        self.bucket = bucket
        self.key = key
        self.request_id = request_id
        self.content_length = handler._content_length
        self.chunked = handler._chunked
        self._params: dict[str, str] = {}
        for name, value in query:
            self._params.setdefault(name, value)

    def param(self, name: str) -> str | None:
        return self._params.get(name)

    def has_param(self, name: str) -> bool:
        return name in self._params

    def header(self, name: str) -> str | None:
        return self._handler.headers.get(name)

    def header_items(self) -> list[tuple[str, str]]:
        return list(self._handler.headers.items())

    def open_body(self, rate_limit_bytes_per_s: float | None = None) -> BodyReader:
        return self._handler.open_body(rate_limit_bytes_per_s)


class SandboxServer:
    """A local COS-compatible server on a background thread.

    ``credentials`` maps SecretId to SecretKey; ``session_tokens`` maps a
    temporary key's token to its ``(SecretId, SecretKey)``. Objects and
    in-progress uploads live under ``root`` and survive a restart.
    """

    def __init__(
        self,
        root: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        buckets: Iterable[str] = (DEFAULT_BUCKET,),
        credentials: Mapping[str, str] | None = None,
        region: str = DEFAULT_REGION,
        auto_create_buckets: bool = False,
        session_tokens: Mapping[str, tuple[str, str]] | None = None,
        allow_anonymous: bool = False,
        max_skew_s: float = 900.0,
        discard_bodies: bool = False,
    ) -> None:
        self.root = Path(root)
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
            credentials=dict(
                credentials if credentials is not None else {DEFAULT_SECRET_ID: DEFAULT_SECRET_KEY}
            ),
            session_tokens=dict(session_tokens or {}),
            allow_anonymous=allow_anonymous,
            max_skew_s=max_skew_s,
        )
        self.faults = FaultSettings()
        self.rng = random.Random()
        self._known_buckets: set[str] = set()
        self._buckets_lock = threading.Lock()
        self._storage: Storage | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.operations: Operations

    # --- lifecycle ---

    def start(self) -> SandboxServer:
        """Open the store and start serving; returns once the socket listens."""
        if self._httpd is not None:
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
            self._httpd = _HTTPServer((self.host, self._requested_port), self)
        except OSError:
            self._storage.close()
            self._storage = None
            raise
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="cosdesk-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end every connection, join the threads, close the store."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.close_connections()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._storage is not None:
            self._storage.close()
            self._storage = None

    def __enter__(self) -> SandboxServer:
        if self._httpd is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # --- facts ---

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return int(self._httpd.server_address[1])

    @property
    def endpoint(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

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
