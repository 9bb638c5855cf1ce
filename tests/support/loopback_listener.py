"""The part every test proxy shares: a listener on 127.0.0.1 that hands each
accepted connection to ``on_connection`` (in the accept thread) until stopped,
and closes the sockets it was told about when it stops."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Self


def close_quietly(sock: socket.socket) -> None:
    """Shut down, then close. Closing alone does not wake another thread blocked
    reading the socket, and the peer is not told until that read ends: a proxy
    whose server side broke would leave its client waiting for its timeout."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class LoopbackListener:
    def __init__(self, name: str) -> None:
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._sockets: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name=name, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        # shutdown() wakes the thread blocked in accept(); close() alone does not.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for sock in list(self._sockets):
                close_quietly(sock)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def track(self, *sockets: socket.socket) -> None:
        """Sockets to close when the listener stops."""
        with self._lock:
            self._sockets.update(sockets)

    def on_connection(self, client: socket.socket) -> None:
        raise NotImplementedError

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.on_connection(client)
