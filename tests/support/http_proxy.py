"""An HTTP/1.1 proxy on 127.0.0.1 that changes what passes through it, the way a
misbehaving middlebox or a COS-compatible server that is not COS would.

It parses both directions with h11 (keep-alive, Content-Length and chunked
bodies, HEAD), forwards each request to the local server, and lets a test:

- drop or add response headers (``edit_response``), e.g. strip
  ``x-cos-hash-crc64ecma`` or claim server-side encryption;
- flip one byte of a request body in flight (``corrupt``), keeping its length,
  so the server stores damaged bytes without noticing;
- slow request bodies down (``bandwidth_bytes_per_s``, per connection).

The hooks are plain attributes, changeable while the proxy runs.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import h11

from support.loopback_listener import LoopbackListener, close_quietly

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Exchange:
    """One request as the proxy saw it."""

    method: str
    target: str

    @property
    def is_upload_part(self) -> bool:
        return self.method == "PUT" and "partNumber=" in self.target and "uploadId=" in self.target


def strip_headers(*names: str) -> Callable[[Exchange, Headers], Headers]:
    """An ``edit_response`` hook that drops these headers from every answer."""
    dropped = {name.lower().encode("ascii") for name in names}
    return lambda _exchange, headers: [(n, v) for n, v in headers if n.lower() not in dropped]


class HttpProxy(LoopbackListener):
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        super().__init__("http-proxy")
        self.target = (target_host, target_port)
        self.edit_response: Callable[[Exchange, Headers], Headers] | None = None
        self.corrupt: Callable[[Exchange], bool] | None = None
        self.bandwidth_bytes_per_s = 0
        self.exchanges: list[Exchange] = []
        self.answers: list[tuple[Exchange, int]] = []  # each request with its final status
        self.corrupted: list[Exchange] = []

    def on_connection(self, client: socket.socket) -> None:
        threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=30)
        except OSError:
            close_quietly(client)
            return
        self.track(client, upstream)
        to_client = h11.Connection(h11.SERVER)
        to_server = h11.Connection(h11.CLIENT)
        try:
            while self._relay_one(client, upstream, to_client, to_server):
                to_client.start_next_cycle()
                to_server.start_next_cycle()
        except (OSError, h11.ProtocolError):
            pass
        finally:
            with self._lock:
                self._sockets.difference_update((client, upstream))
            close_quietly(client)
            close_quietly(upstream)

    def _relay_one(
        self,
        client: socket.socket,
        upstream: socket.socket,
        to_client: h11.Connection,
        to_server: h11.Connection,
    ) -> bool:
        """Relay one request and its answer; False when the connection is over."""
        request = _next_event(to_client, client)
        if not isinstance(request, h11.Request):
            return False
        exchange = Exchange(request.method.decode("ascii"), request.target.decode("ascii"))
        with self._lock:
            self.exchanges.append(exchange)
        upstream.sendall(
            to_server.send(h11.Request(method=request.method, target=request.target, headers=request.headers))
        )
        damage = self.corrupt is not None and self.corrupt(exchange)
        sent = 0
        started = time.monotonic()
        while True:
            event = _next_event(to_client, client)
            if isinstance(event, h11.Data):
                data = event.data
                if damage and data:
                    data = bytes([data[0] ^ 0xFF]) + data[1:]
                    damage = False
                    with self._lock:
                        self.corrupted.append(exchange)
                upstream.sendall(to_server.send(h11.Data(data=data)))
                sent += len(data)
                if self.bandwidth_bytes_per_s:
                    ahead = sent / self.bandwidth_bytes_per_s - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
            elif isinstance(event, h11.EndOfMessage):
                upstream.sendall(to_server.send(event))
                break
            else:
                return False
        while True:
            answer = _next_event(to_server, upstream)
            if isinstance(answer, h11.InformationalResponse):
                client.sendall(to_client.send(answer))
                continue
            if not isinstance(answer, h11.Response):
                return False
            with self._lock:
                self.answers.append((exchange, answer.status_code))
            headers: Headers = list(answer.headers)
            if self.edit_response is not None:
                headers = self.edit_response(exchange, headers)
            client.sendall(
                to_client.send(
                    h11.Response(status_code=answer.status_code, headers=headers, reason=answer.reason)
                )
            )
            break
        while True:
            event = _next_event(to_server, upstream)
            if isinstance(event, h11.Data):
                client.sendall(to_client.send(h11.Data(data=event.data)))
            elif isinstance(event, h11.EndOfMessage):
                client.sendall(to_client.send(event))
                break
            else:
                return False
        return to_client.our_state is h11.DONE and to_server.our_state is h11.DONE


def _next_event(connection: h11.Connection, sock: socket.socket) -> object:
    """The next h11 event of ``connection``, reading ``sock`` as needed."""
    while True:
        event = connection.next_event()
        if event is not h11.NEED_DATA:
            return event
        connection.receive_data(sock.recv(256 * 1024))
