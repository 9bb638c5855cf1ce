"""OpenSockets: a stop ends every connection of the client, including one that a
request already on its way connects after the stop."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import httpcore
import pytest

from cosdesk.cos.open_sockets import OpenSockets

CONNECTED = "connection.connect_tcp.complete"


@pytest.fixture
def silent_listener() -> Iterator[socket.socket]:
    """Accepts connections (the kernel does) and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener


def connect(listener: socket.socket, sockets: OpenSockets) -> httpcore.NetworkStream:
    stream = httpcore.SyncBackend().connect_tcp("127.0.0.1", listener.getsockname()[1])
    sockets.trace(CONNECTED, {"return_value": stream})
    return stream


def seconds_a_read_waits(stream: httpcore.NetworkStream) -> float:
    started = time.monotonic()
    with contextlib.suppress(httpcore.ReadError):  # a reset, or the end of the stream
        assert stream.read(1, timeout=5) == b""
    return time.monotonic() - started


def test_a_stop_wakes_a_read_on_a_connection_made_before_it(silent_listener: socket.socket) -> None:
    sockets = OpenSockets()
    stream = connect(silent_listener, sockets)
    sockets.shut_down()
    assert seconds_a_read_waits(stream) < 1
    stream.close()


def test_a_connection_made_after_the_stop_is_ended_at_once(silent_listener: socket.socket) -> None:
    # The request had passed the client's "stopping?" check when the stop came,
    # and connected after it: without this it waited out the read timeout.
    sockets = OpenSockets()
    sockets.shut_down()
    stream = connect(silent_listener, sockets)
    assert seconds_a_read_waits(stream) < 1
    stream.close()


def test_without_a_stop_a_read_waits_for_the_silent_server(silent_listener: socket.socket) -> None:
    sockets = OpenSockets()
    stream = connect(silent_listener, sockets)
    started = time.monotonic()
    with pytest.raises(httpcore.ReadTimeout):
        stream.read(1, timeout=0.3)
    assert time.monotonic() - started >= 0.3
    stream.close()
