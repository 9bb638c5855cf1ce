"""A user-space network link between a client and the local server: a TCP proxy on
127.0.0.1 that behaves like the links people upload over.

- Latency: every byte reaches the other side half a round trip after it was
  read, both ways; a new connection waits one round trip (the TCP handshake)
  before its first byte passes.
- A per-connection ceiling (what a TCP window allows over the round trip) and a
  shared uplink that all connections' client-to-server bytes split, each a
  token bucket kept as a virtual clock ("the link is busy until t").
- Bounded buffers: a connection holds at most one window of bytes in the air,
  so a client that writes faster than the link is held back by its own socket,
  as on a real network, and its progress stays close to what arrived.
- Faults: ``drop_all`` resets every open connection, ``stall`` holds every byte
  for a while.

One asyncio loop in one thread moves every byte, waking per chunk (64 KiB at
most), so the proxy costs little CPU beside the client and the server it sits
between. netem would do this in the kernel but needs privileges these machines
do not grant.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Self

CHUNK_BYTES = 64 * 1024
# Bytes a connection keeps in the air at most when it has no per-connection
# ceiling: enough for any link here, small enough to hold a fast writer back.
UNCAPPED_WINDOW_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class LinkSettings:
    """One emulated link. Rates are in bytes per second; 0 means no limit."""

    name: str
    rtt_s: float
    per_connection_bytes_per_s: int = 0
    uplink_bytes_per_s: int = 0

    @classmethod
    def from_mbit(
        cls, name: str, rtt_ms: float, per_connection_mbit: float, uplink_mbit: float
    ) -> LinkSettings:
        return cls(name, rtt_ms / 1000, int(per_connection_mbit * 1e6 / 8), int(uplink_mbit * 1e6 / 8))


class _Pacer:
    """A rate as a virtual clock: ``reserve`` returns when a chunk of that many bytes
    may pass and books the link until it has. Debt never builds up while idle."""

    def __init__(self, bytes_per_s: int) -> None:
        self.bytes_per_s = bytes_per_s
        self._busy_until = 0.0

    def reserve(self, byte_count: int, now: float) -> float:
        if not self.bytes_per_s:
            return now
        start = max(now, self._busy_until)
        self._busy_until = start + byte_count / self.bytes_per_s
        return self._busy_until


class LinkEmulator:
    """Listens on 127.0.0.1 and forwards every connection to ``target_port`` through
    the emulated ``link``. Use as a context manager; ``endpoint`` is its URL."""

    def __init__(self, target_port: int, link: LinkSettings, target_host: str = "127.0.0.1") -> None:
        self.link = link
        self._target = (target_host, target_port)
        self._uplink = _Pacer(link.uplink_bytes_per_s)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"link-{link.name}", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._stalled_until = 0.0
        self._counts_lock = threading.Lock()
        self.bytes_up = 0  # client -> server bytes delivered, over all connections
        self.connections = 0  # accepted so far
        self.first_connection_at: float | None = None  # time.monotonic() of the first accept
        self.open_connections = 0
        self.peak_open_connections = 0

    # --- control (any thread) ------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._accepted, "127.0.0.1", 0, backlog=512), self._loop
        ).result(timeout=5)
        return self

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            connections = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def drop_all(self) -> None:
        """Reset every open connection (both sides see a reset)."""

        def drop() -> None:
            for writer in list(self._writers):
                with contextlib.suppress(OSError):
                    writer.transport.get_extra_info("socket").setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                writer.transport.abort()

        self._loop.call_soon_threadsafe(drop)

    def stall(self, seconds: float) -> None:
        """Hold every byte, in both directions, for ``seconds`` from now."""
        until = time.monotonic() + seconds
        self._loop.call_soon_threadsafe(lambda: setattr(self, "_stalled_until", until))

    # --- the loop ------------------------------------------------------------------

    async def _accepted(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(client_writer)
        with self._counts_lock:
            if self.first_connection_at is None:
                self.first_connection_at = time.monotonic()
            self.connections += 1
            self.open_connections += 1
            self.peak_open_connections = max(self.peak_open_connections, self.open_connections)
        server_writer: asyncio.StreamWriter | None = None
        try:
            # The handshake: nothing passes before one round trip.
            await asyncio.sleep(self.link.rtt_s)
            server_reader, server_writer = await asyncio.open_connection(*self._target)
            self._writers.add(server_writer)
            connection_cap = self.link.per_connection_bytes_per_s
            pumps = [
                asyncio.ensure_future(
                    self._pump(
                        client_reader, server_writer, _Pacer(connection_cap), self._uplink, upward=True
                    )
                ),
                asyncio.ensure_future(
                    self._pump(server_reader, client_writer, _Pacer(connection_cap), None, upward=False)
                ),
            ]
            # A half-close passes through; a reset on either side ends both directions.
            _done, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
            for pump in pending:
                pump.cancel()
            for pump in pumps:
                with contextlib.suppress(OSError, asyncio.CancelledError):
                    await pump
        except (OSError, asyncio.CancelledError):
            pass  # a reset, or the emulator stopping: the connection ends either way
        finally:
            for writer in (client_writer, server_writer):
                if writer is not None:
                    self._writers.discard(writer)
                    writer.transport.abort()
            with self._counts_lock:
                self.open_connections -= 1

    def _window_bytes(self) -> int:
        cap = self.link.per_connection_bytes_per_s
        if not cap:
            return UNCAPPED_WINDOW_BYTES
        return max(CHUNK_BYTES, int(cap * self.link.rtt_s))

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        connection: _Pacer,
        uplink: _Pacer | None,
        *,
        upward: bool,
    ) -> None:
        """Read from one side, deliver to the other half a round trip after each
        chunk has passed the rate limits, with at most a window of bytes held."""
        in_air: deque[tuple[float, bytes]] = deque()
        in_air_bytes = 0
        space = asyncio.Event()
        space.set()
        arrived = asyncio.Event()
        window = self._window_bytes()
        finished = False

        async def deliver() -> None:
            nonlocal in_air_bytes
            while True:
                while not in_air:
                    if finished:
                        with contextlib.suppress(OSError):
                            writer.write_eof()
                        return
                    arrived.clear()
                    await arrived.wait()
                due, chunk = in_air[0]
                delay = max(due, self._stalled_until) - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                    continue  # a stall may have begun meanwhile
                in_air.popleft()
                writer.write(chunk)
                await writer.drain()
                in_air_bytes -= len(chunk)
                if upward:
                    with self._counts_lock:
                        self.bytes_up += len(chunk)
                space.set()

        delivery = asyncio.ensure_future(deliver())
        try:
            while True:
                while in_air_bytes >= window:
                    space.clear()
                    await space.wait()
                chunk = await reader.read(CHUNK_BYTES)
                if not chunk:
                    break
                now = time.monotonic()
                passed = connection.reserve(len(chunk), now)
                if uplink is not None:
                    passed = max(passed, uplink.reserve(len(chunk), now))
                in_air.append((passed + self.link.rtt_s / 2, chunk))
                in_air_bytes += len(chunk)
                arrived.set()
        except BaseException:
            delivery.cancel()
            raise
        # The other side closed its half: what is in the air still arrives, then the end.
        finished = True
        arrived.set()
        await delivery
