"""The sockets of a client's connections, so that a stop can end its requests at
once.

A request waiting for a silent server's answer (a network that went away without
a word) sits in a socket read until the read timeout, 30 s. A stop flag cannot
reach it there, so a Ctrl-C or a quit waited out that timeout. Shutting the
socket down wakes the read at once (``CosClient.stop_requests``).

httpcore tells of each new connection through its ``trace`` request extension
(a public hook; see ARCHITECTURE.md, "Stopping requests that wait").
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from typing import Any

_CONNECTED = "connection.connect_tcp.complete"


class OpenSockets:
    """Every socket a client connected, while it lives. Thread-safe."""

    def __init__(self) -> None:
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._shut = False

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: called at every step of every request,
        so it does nothing but for a new connection."""
        if event == _CONNECTED:
            sock = info["return_value"].get_extra_info("socket")
            if sock is None:
                return
            with self._lock:
                if not self._shut:
                    self._sockets.add(sock)
                    return
            # A request already on its way when the stop came connects after it:
            # its socket ends too, or it would wait out a silent server's timeout.
            _shut_down(sock)

    def shut_down(self) -> None:
        """End every request in flight: each read or write on a socket wakes with
        an error, and so does each on a socket connected from now on. Idle pooled
        connections go too."""
        with self._lock:
            self._shut = True
            sockets = list(self._sockets)
            self._sockets.clear()
        for sock in sockets:
            _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    # The plain socket's shutdown, also under TLS: SSLSocket's own drops its TLS
    # state, which a read in another thread is using.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
