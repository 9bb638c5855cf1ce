"""A tiny raw HTTP server for answers the local COS server never gives (garbage,
entity bombs, a refusal for one key): ``respond(request_bytes) -> answer_bytes``,
one request per connection."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable


class RawHttpServer:
    def __init__(self, respond: Callable[[bytes], bytes], *, tls: ssl.SSLContext | None = None) -> None:
        self.respond = respond
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.first_bytes: list[bytes] = []  # what each connection opened with, before TLS
        self.handshakes_failed = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.endpoint = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with contextlib.closing(connection):
            try:
                self.first_bytes.append(connection.recv(5, socket.MSG_PEEK))
                stream: socket.socket = connection
                if self.tls is not None:
                    try:
                        stream = self.tls.wrap_socket(connection, server_side=True)
                    except (ssl.SSLError, OSError):
                        self.handshakes_failed += 1
                        return
                request = read_request(stream)
                if request is None:
                    return
                self.requests.append(request)
                stream.sendall(self.respond(request))
            except OSError:
                return

    def close(self) -> None:
        self._socket.close()


def read_request(connection: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def http_answer(status: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def forward(request: bytes, port: int) -> bytes:
    """Send ``request`` unchanged (its signature stays valid) to 127.0.0.1:``port``,
    asking for the connection to close after it, and return the raw answer."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    lines.append(b"Connection: close")
    with socket.create_connection(("127.0.0.1", port)) as upstream:
        upstream.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        answer = b""
        while chunk := upstream.recv(65536):
            answer += chunk
    return answer
