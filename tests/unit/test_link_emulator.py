"""The link emulator (tests/support/link_emulator.py) against a small echo and sink
server: the round trip, the handshake, the per-connection ceiling and the shared
uplink it is set to are what a client measures, within 10 %."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from support.link_emulator import LinkEmulator, LinkSettings
from support.loopback_listener import LoopbackListener, close_quietly

MB = 1_000_000


class _EchoOrSink(LoopbackListener):
    """Reads a 1-byte command, then: ``e`` echoes one byte back; ``s`` reads the
    8-byte length that follows, swallows that many bytes and answers ``k``."""

    def __init__(self) -> None:
        super().__init__("echo-or-sink")

    def on_connection(self, client: socket.socket) -> None:
        self.track(client)
        threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            while command := client.recv(1):
                if command == b"e":
                    client.sendall(b"e")
                    continue
                remaining = int.from_bytes(_read_exactly(client, 8), "big")
                while remaining:
                    chunk = client.recv(min(remaining, 1 << 20))
                    if not chunk:
                        return
                    remaining -= len(chunk)
                client.sendall(b"k")
        except OSError:
            pass
        finally:
            close_quietly(client)


def _read_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed early")
        data += chunk
    return data


def _ping(sock: socket.socket) -> float:
    started = time.perf_counter()
    sock.sendall(b"e")
    assert _read_exactly(sock, 1) == b"e"
    return time.perf_counter() - started


def _send_and_wait(sock: socket.socket, byte_count: int) -> float:
    """Seconds from the first byte written to the sink's answer after the last."""
    started = time.perf_counter()
    sock.sendall(b"s" + byte_count.to_bytes(8, "big"))
    sock.sendall(bytes(byte_count))
    assert _read_exactly(sock, 1) == b"k"
    return time.perf_counter() - started


@pytest.fixture
def target() -> Iterator[_EchoOrSink]:
    with _EchoOrSink() as server:
        yield server


def test_a_new_connection_pays_one_round_trip_and_each_exchange_one_more(target: _EchoOrSink) -> None:
    link = LinkSettings("test", rtt_s=0.1)
    with LinkEmulator(target.port, link) as emulator:
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", emulator.port)) as sock:
            _ping(sock)
            first_s = time.perf_counter() - started
            later_s = min(_ping(sock) for _ in range(5))
    assert later_s == pytest.approx(link.rtt_s, rel=0.1)
    # The first exchange waits for the handshake too: two round trips in all. One
    # sample, so only its floor is exact: a busy machine adds to it (0.228 s for
    # 0.2 once in CI), never takes away, and a third round trip would show.
    assert 0.95 * 2 * link.rtt_s <= first_s < 2.9 * link.rtt_s


def test_one_connection_is_held_to_its_ceiling(target: _EchoOrSink) -> None:
    link = LinkSettings("test", rtt_s=0.04, per_connection_bytes_per_s=2 * MB)
    with (
        LinkEmulator(target.port, link) as emulator,
        socket.create_connection(("127.0.0.1", emulator.port)) as sock,
    ):
        _ping(sock)
        elapsed_s = _send_and_wait(sock, 2 * MB)
    # The last byte needs half a round trip to arrive and the answer half to come back.
    rate = 2 * MB / (elapsed_s - link.rtt_s)
    assert rate == pytest.approx(link.per_connection_bytes_per_s, rel=0.1)


def test_connections_together_are_held_to_the_uplink(target: _EchoOrSink) -> None:
    link = LinkSettings("test", rtt_s=0.04, per_connection_bytes_per_s=2 * MB, uplink_bytes_per_s=4 * MB)
    per_connection = MB
    with LinkEmulator(target.port, link) as emulator:
        sockets = [socket.create_connection(("127.0.0.1", emulator.port)) for _ in range(4)]
        for sock in sockets:
            _ping(sock)
        started = time.perf_counter()
        senders = [threading.Thread(target=_send_and_wait, args=(sock, per_connection)) for sock in sockets]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        elapsed_s = time.perf_counter() - started
        for sock in sockets:
            sock.close()
        assert emulator.peak_open_connections == 4
    rate = 4 * per_connection / (elapsed_s - link.rtt_s)
    assert rate == pytest.approx(link.uplink_bytes_per_s, rel=0.1)


def test_a_stall_holds_every_byte_and_a_drop_resets_the_connection(target: _EchoOrSink) -> None:
    link = LinkSettings("test", rtt_s=0.02)
    with (
        LinkEmulator(target.port, link) as emulator,
        socket.create_connection(("127.0.0.1", emulator.port)) as sock,
    ):
        _ping(sock)
        emulator.stall(0.5)
        assert _ping(sock) >= 0.5
        emulator.drop_all()
        sock.settimeout(5)
        with pytest.raises(OSError):
            _ping(sock)
            _ping(sock)
