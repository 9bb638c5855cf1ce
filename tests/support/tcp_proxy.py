"""A TCP proxy on 127.0.0.1 that counts bytes and injects network faults.

It sits between a client and the local server so tests can measure what was
really sent (e.g. how much a resumed upload re-sends) and break connections the
way a bad network does: resets after a random number of bytes, stalls, slow links.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass

from support.loopback_listener import LoopbackListener, close_quietly


@dataclass
class ProxyFaults:
    """What to do to each new connection; change it at any time."""

    reset_rate: float = 0.0  # chance that a connection is reset somewhere in its upload
    reset_within_bytes: int = 8 << 20  # the reset comes after a random count below this
    stall_rate: float = 0.0  # chance that a connection pauses once
    stall_s: float = 0.0
    bandwidth_bytes_per_s: int = 0  # 0: unlimited; applies to the client->server direction
    down: bool = False  # every connection is reset as it comes (see TcpProxy.cut)
    # Nothing goes through, either way, and no one says so (a Wi-Fi link that went
    # away): open connections hold what they get, new ones are taken and left.
    silent: bool = False


class TcpProxy(LoopbackListener):
    def __init__(self, target_port: int, target_host: str = "127.0.0.1", *, seed: int = 0) -> None:
        super().__init__("tcp-proxy")
        self.target = (target_host, target_port)
        self.faults = ProxyFaults()
        self.bytes_up = 0  # client -> server, summed over all connections
        self.connections = 0
        self.resets = 0
        self._random = random.Random(seed)

    def cut(self) -> None:
        """The network goes away: open connections are reset, new ones reset as they
        come, until :meth:`restore`."""
        self.faults.down = True
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                _reset(sock)

    def restore(self) -> None:
        self.faults.down = False

    def on_connection(self, client: socket.socket) -> None:
        if self.faults.down:
            _reset(client)
            return
        self._hold_while_silent()
        try:
            upstream = socket.create_connection(self.target, timeout=10)
        except OSError:
            _reset(client)
            return
        upstream.settimeout(None)
        self.track(client, upstream)
        with self._lock:
            self.connections += 1
            reset_after = (
                self._random.randrange(1, max(2, self.faults.reset_within_bytes))
                if self._random.random() < self.faults.reset_rate
                else None
            )
            stall_at = (
                self._random.randrange(0, max(1, self.faults.reset_within_bytes))
                if self._random.random() < self.faults.stall_rate
                else None
            )
        threading.Thread(
            target=self._pump_up, args=(client, upstream, reset_after, stall_at), daemon=True
        ).start()
        threading.Thread(target=self._pump_down, args=(upstream, client), daemon=True).start()

    def _pump_up(
        self, client: socket.socket, upstream: socket.socket, reset_after: int | None, stall_at: int | None
    ) -> None:
        sent = 0
        started = time.monotonic()
        try:
            while True:
                chunk = client.recv(256 * 1024)
                self._hold_while_silent()
                if not chunk:
                    upstream.shutdown(socket.SHUT_WR)
                    return
                if reset_after is not None and sent + len(chunk) >= reset_after:
                    chunk = chunk[: reset_after - sent]
                    upstream.sendall(chunk)
                    self._count(len(chunk))
                    with self._lock:
                        self.resets += 1
                    _reset(client)
                    _reset(upstream)
                    return
                if stall_at is not None and sent >= stall_at:
                    time.sleep(self.faults.stall_s)
                    stall_at = None
                upstream.sendall(chunk)
                sent += len(chunk)
                self._count(len(chunk))
                limit = self.faults.bandwidth_bytes_per_s
                if limit:
                    ahead = sent / limit - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
        except OSError:
            close_quietly(client)
            close_quietly(upstream)

    def _pump_down(self, upstream: socket.socket, client: socket.socket) -> None:
        try:
            while True:
                chunk = upstream.recv(256 * 1024)
                self._hold_while_silent()
                if not chunk:
                    client.shutdown(socket.SHUT_WR)
                    return
                client.sendall(chunk)
        except OSError:
            # The server reset the connection: so does the proxy, to its client.
            _reset(client)
            close_quietly(upstream)

    def _hold_while_silent(self) -> None:
        while self.faults.silent:
            time.sleep(0.05)

    def _count(self, byte_count: int) -> None:
        with self._lock:
            self.bytes_up += byte_count


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0) — what a dropped connection looks like to the peer.
    Shutting down the reading side first wakes the other pump if it is blocked
    reading this socket; until it lets go, the close (and so the RST) waits."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    with contextlib.suppress(OSError):
        sock.close()
