"""One client connection: request heads parsed by h11, bodies read, answers written.

h11 is a strict HTTP/1.1 parser: a malformed request line or header, an invalid
or conflicting Content-Length, a bad chunk size, an oversized head all end as
``h11.RemoteProtocolError``, which the server answers with 400. On top of it
we refuse what h11 tolerates and COS's front end (nginx) does not: a repeated
or comma-listed Content-Length, and Content-Length beside chunked encoding.

Only the heads and chunked bodies go through h11. A Content-Length body is read
straight from the socket in 1 MiB ``recv_into`` calls, which keeps one stream
above the ingest goal; each request then starts on a fresh parser fed with
whatever followed the body.

A connection is owned by one thread at a time: the hub's selector thread while
it waits for a head, a worker thread while a request is served.
"""

from __future__ import annotations

import http
import re
import socket
import struct
from dataclasses import dataclass
from typing import BinaryIO

import h11

from cosdesk.sandbox.body import ClientGone
from cosdesk.sandbox.errors import CosServerError

# A request head larger than this is refused (COS's front end allows about as much).
HEAD_LIMIT_BYTES = 64 * 1024
_RECEIVE_BYTES = 64 * 1024
_CONTENT_LENGTH_LINE = re.compile(rb"(?im)^content-length[ \t]*:([^\r\n]*)")


class ProtocolError(Exception):
    """The client broke HTTP/1.1; ``status`` and ``code`` say how to answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _protocol_error(error: h11.RemoteProtocolError) -> ProtocolError:
    if error.error_status_hint == 431 or "too long" in str(error).lower():
        return ProtocolError(400, "RequestHeaderSectionTooLarge", "Your request header section is too large.")
    return ProtocolError(400, "InvalidRequest", "The request is not valid HTTP/1.1.")


@dataclass(frozen=True)
class RequestHead:
    """A parsed request line and headers (header text as Latin-1, as it came)."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    content_length: int | None
    chunked: bool
    expects_continue: bool
    keep_alive: bool

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for header_name, value in self.headers:
            if header_name.lower() == lowered:
                return value
        return None

    @property
    def has_body(self) -> bool:
        return self.chunked or bool(self.content_length)


class HttpConnection:
    """A socket and the request parsing state that goes with it."""

    def __init__(self, sock: socket.socket, address: object) -> None:
        self.sock = sock
        self.address = address
        self.peer_closed = False
        self._new_parser(b"")

    def _new_parser(self, leftover: bytes) -> None:
        self._parser = h11.Connection(h11.SERVER, max_incomplete_event_size=HEAD_LIMIT_BYTES)
        # The bytes of the head being parsed, for the checks h11 does not make.
        self._head_bytes = bytearray(leftover)
        if leftover:
            self._parser.receive_data(leftover)

    @property
    def has_partial_head(self) -> bool:
        return bool(self._head_bytes)

    # --- heads ---

    def feed(self, data: bytes) -> None:
        """Hand received bytes to the parser (``b""`` means the peer closed)."""
        if not data:
            self.peer_closed = True
        # Bounded: h11 gives up once more than HEAD_LIMIT_BYTES wait unparsed.
        self._head_bytes += data
        self._parser.receive_data(data)

    def parsed_head(self) -> RequestHead | None:
        """The next request's head if it is complete, else None (more bytes needed,
        or the peer closed cleanly between requests: see ``peer_closed``).

        Raises ProtocolError for anything that is not a valid request head."""
        try:
            event = self._parser.next_event()
        except h11.RemoteProtocolError as error:
            raise _protocol_error(error) from None
        if isinstance(event, h11.Request):
            return self._head_of(event)
        if isinstance(event, h11.ConnectionClosed):
            self.peer_closed = True
        return None

    def receive_head(self, timeout_s: float) -> RequestHead | None:
        """Block until a whole head arrives; None if the peer closed or nothing
        complete came within ``timeout_s`` (the partial head is kept)."""
        self.sock.settimeout(timeout_s)
        while True:
            head = self.parsed_head()
            if head is not None or self.peer_closed:
                return head
            try:
                data = self.sock.recv(_RECEIVE_BYTES)
            except TimeoutError:
                return None
            except OSError:
                self.peer_closed = True
                return None
            self.feed(data)

    def _head_of(self, request: h11.Request) -> RequestHead:
        head_size = len(self._head_bytes) - len(self._parser.trailing_data[0])
        raw_head = bytes(self._head_bytes[:head_size])
        if head_size > HEAD_LIMIT_BYTES:
            # h11 holds its limit only while it waits for more: a big head that
            # arrived at once would pass it.
            raise ProtocolError(
                400, "RequestHeaderSectionTooLarge", "Your request header section is too large."
            )
        if request.http_version not in (b"1.0", b"1.1"):
            raise ProtocolError(400, "InvalidRequest", "The request is not valid HTTP/1.1.")
        lengths = _CONTENT_LENGTH_LINE.findall(raw_head)
        if len(lengths) > 1 or any(b"," in value for value in lengths):
            raise ProtocolError(400, "InvalidRequest", "The request has more than one Content-Length.")
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw_items()
        ]
        content_length: int | None = None
        chunked = False
        for name, value in request.headers:
            if name == b"content-length":
                content_length = int(value)
            elif name == b"transfer-encoding":
                chunked = True  # h11 accepts nothing but "chunked"
        if chunked and lengths:
            raise ProtocolError(
                400, "InvalidRequest", "The request has both Content-Length and chunked encoding."
            )
        keep_alive = request.http_version == b"1.1" and not any(
            name == b"connection" and b"close" in value.lower() for name, value in request.headers
        )
        return RequestHead(
            method=request.method.decode("ascii"),
            target=request.target.decode("latin-1"),
            headers=headers,
            content_length=content_length,
            chunked=chunked,
            expects_continue=self._parser.they_are_waiting_for_100_continue,
            keep_alive=keep_alive,
        )

    # --- bodies ---

    def body(self, head: RequestHead) -> LengthBody | ChunkedBody:
        """The raw body of ``head``'s request (an empty one when it has none)."""
        if head.chunked:
            return ChunkedBody(self)
        return LengthBody(self, head.content_length or 0)

    def start_next_request(self, leftover: bytes) -> None:
        self._new_parser(leftover)

    def send_continue(self) -> None:
        self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    # --- answers ---

    def send_head(self, status: int, headers: list[tuple[str, str]]) -> None:
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{name}: {_wire_value(value)}" for name, value in headers]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def send_body(self, data: bytes) -> None:
        if data:
            self.sock.sendall(data)

    def send_file(self, file: BinaryIO, offset: int, length: int) -> None:
        if length:
            self.sock.sendfile(file, offset, length)

    def close(self, reset: bool = False) -> None:
        """Close; ``reset`` sends a TCP RST instead of a FIN."""
        try:
            if reset:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class LengthBody:
    """A Content-Length body, read from what the parser already holds, then the socket."""

    def __init__(self, connection: HttpConnection, length: int) -> None:
        self._connection = connection
        self._pending = memoryview(connection._parser.trailing_data[0])
        self._remaining = length

    @property
    def finished(self) -> bool:
        return self._remaining == 0

    def readinto(self, view: memoryview) -> int:
        if self._remaining == 0:
            return 0
        wanted = min(len(view), self._remaining)
        if self._pending:
            count = min(wanted, len(self._pending))
            view[:count] = self._pending[:count]
            self._pending = self._pending[count:]
        else:
            # Fill the whole request (as a buffered reader would): the ingest
            # pipeline hashes and writes per chunk, and loopback hands over
            # 64 KiB at a time.
            count = 0
            sock = self._connection.sock
            while count < wanted:
                try:
                    received = sock.recv_into(view[count:wanted])
                except (TimeoutError, OSError):
                    raise ClientGone() from None
                if not received:
                    raise ClientGone()
                count += received
        self._remaining -= count
        return count

    def leftover(self) -> bytes:
        """What followed the body (the start of the next request)."""
        return bytes(self._pending)


class ChunkedBody:
    """A chunked body, decoded by h11."""

    def __init__(self, connection: HttpConnection) -> None:
        self._connection = connection
        self._data = memoryview(b"")
        self._finished = False

    @property
    def finished(self) -> bool:
        return self._finished

    def readinto(self, view: memoryview) -> int:
        while not self._data:
            if self._finished:
                return 0
            self._next_event()
        count = min(len(view), len(self._data))
        view[:count] = self._data[:count]
        self._data = self._data[count:]
        return count

    def _next_event(self) -> None:
        parser = self._connection._parser
        try:
            event = parser.next_event()
        except h11.RemoteProtocolError:
            raise CosServerError(400, "InvalidRequest", "Malformed chunked encoding.") from None
        if isinstance(event, h11.Data):
            self._data = memoryview(event.data)
        elif isinstance(event, h11.EndOfMessage):
            self._finished = True
        elif event is h11.NEED_DATA:
            if parser.their_state is h11.DONE or self._connection.peer_closed:
                raise ClientGone()
            try:
                data = self._connection.sock.recv(_RECEIVE_BYTES)
            except (TimeoutError, OSError):
                raise ClientGone() from None
            if not data:
                raise ClientGone()
            parser.receive_data(data)
        else:
            raise ClientGone()

    def leftover(self) -> bytes:
        return bytes(self._connection._parser.trailing_data[0])


def _wire_value(value: str) -> str:
    """A header value as it can go on the wire (Latin-1): UTF-8 text goes out as
    its bytes, and CR/LF from a stored form field can never split a header."""
    value = value.replace("\r", " ").replace("\n", " ")
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8").decode("latin-1")
