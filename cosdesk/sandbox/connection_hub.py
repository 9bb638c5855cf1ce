"""Accepting connections and sharing threads between them.

A thread per connection let a thousand slow or idle clients lock everyone out,
and at the descriptor limit ``accept`` failed in a busy loop. Here one selector
thread holds every connection that is waiting for a request head, at no thread
cost; only a connection with a whole head gets a worker thread, which keeps it
for as long as its client sends requests back to back (``LINGER_S``).

Limits, each answered the way COS's front end would rather than by hanging:
- at most ``max_connections`` open: a new one evicts the longest-waiting idle
  or half-sent connection (503 SlowDown if it had started a request), and when
  none can be evicted the new one is answered 503 SlowDown;
- at most ``max_workers`` requests served at once: past that, 503 SlowDown;
- a head must be complete within ``HEAD_TIMEOUT_S`` of its first byte, and an
  idle connection is closed after ``IDLE_TIMEOUT_S``;
- at the descriptor limit the listener rests instead of spinning.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import logging
import resource
import selectors
import socket
import threading
import time
from collections.abc import Callable

from cosdesk.sandbox.http_connection import HttpConnection, ProtocolError, RequestHead

logger = logging.getLogger("cosdesk.sandbox")

IDLE_TIMEOUT_S = 60.0
HEAD_TIMEOUT_S = 30.0
# How long a worker waits for the next request on its connection before handing
# it back to the selector: long enough for a client's next call, short enough
# that idle keep-alive connections do not hold threads.
LINGER_S = 1.0
# A request's body reads and answer writes give up after this long without progress.
IO_TIMEOUT_S = 60.0
DEFAULT_MAX_WORKERS = 256
DEFAULT_MAX_CONNECTIONS = 4096
_LISTENER_REST_S = 0.1
_TICK_S = 0.25

# serve(connection, head) answers one request; True keeps the connection open.
Serve = Callable[[HttpConnection, RequestHead], bool]
# reject(connection, status, code, message) writes a short error answer.
Reject = Callable[[HttpConnection, int, str, str], None]


def raise_descriptor_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit (as Go's
    runtime does); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    return soft


class _Parked:
    __slots__ = ("connection", "since")

    def __init__(self, connection: HttpConnection, since: float) -> None:
        self.connection = connection
        self.since = since  # when it was parked, or when its head began


class ConnectionHub:
    """Serves ``listener`` until :meth:`stop`; ``serve`` runs on worker threads."""

    def __init__(
        self,
        listener: socket.socket,
        serve: Serve,
        reject: Reject,
        *,
        max_workers: int = DEFAULT_MAX_WORKERS,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self._listener = listener
        self._serve = serve
        self._reject = reject
        self.max_workers = max_workers
        descriptors = raise_descriptor_limit()
        # Leave room for the files the workers open and for the process itself.
        reserved = min(descriptors // 4, 4 * max_workers + 64)
        self.max_connections = max(16, min(max_connections, descriptors - reserved))
        self._selector = selectors.DefaultSelector()
        self._waker_read, self._waker_write = socket.socketpair()
        self._waker_read.setblocking(False)
        self._lock = threading.Lock()
        self._returned: list[HttpConnection] = []
        self._parked: collections.OrderedDict[HttpConnection, _Parked] = collections.OrderedDict()
        self._active: set[HttpConnection] = set()
        self._workers: set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._listener_rests_until = 0.0
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> None:
        self._listener.setblocking(False)
        self._selector.register(self._listener, selectors.EVENT_READ, "listener")
        self._selector.register(self._waker_read, selectors.EVENT_READ, "waker")
        self._thread = threading.Thread(target=self._run, name="cosdesk-sandbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close every connection, wait for the workers."""
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            active = list(self._active)
            workers = list(self._workers)
        for connection in active:
            # Wakes a worker blocked in recv or send; it then ends its connection.
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
        for worker in workers:
            worker.join()
        self._selector.close()
        self._waker_read.close()
        self._waker_write.close()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._parked) + len(self._active) + len(self._returned)

    # --- the selector thread ---

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                now = time.monotonic()
                if self._listener_rests_until and now >= self._listener_rests_until:
                    self._listener_rests_until = 0.0
                    self._selector.register(self._listener, selectors.EVENT_READ, "listener")
                for key, _ in self._selector.select(_TICK_S):
                    if key.data == "listener":
                        self._accept()
                    elif key.data == "waker":
                        self._take_returned()
                    else:
                        self._on_readable(key.data)
                self._expire(time.monotonic())
        finally:
            for parked in list(self._parked.values()):
                parked.connection.close()
            self._parked.clear()
            with self._lock:
                returned, self._returned = self._returned, []
            for connection in returned:
                connection.close()

    def _accept(self) -> None:
        while True:
            try:
                sock, address = self._listener.accept()
            except BlockingIOError:
                return
            except OSError as error:
                if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    if not self._evict_one():
                        self._rest_listener()
                        return
                    continue
                if error.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EINTR):
                    continue
                raise
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = HttpConnection(sock, address)
            if self.open_connections >= self.max_connections and not self._evict_one():
                self._refuse(connection, "Too many connections: please reduce your request rate.")
                continue
            self._park(connection, time.monotonic())

    def _rest_listener(self) -> None:
        logger.warning("out of file descriptors: not accepting connections for %.1f s", _LISTENER_REST_S)
        self._selector.unregister(self._listener)
        self._listener_rests_until = time.monotonic() + _LISTENER_REST_S

    def _park(self, connection: HttpConnection, now: float) -> None:
        connection.sock.setblocking(False)
        self._parked[connection] = _Parked(connection, now)
        self._selector.register(connection.sock, selectors.EVENT_READ, connection)

    def _unpark(self, connection: HttpConnection) -> None:
        self._parked.pop(connection, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(connection.sock)

    def _on_readable(self, connection: HttpConnection) -> None:
        parked = self._parked.get(connection)
        if parked is None:
            return
        had_partial_head = connection.has_partial_head
        try:
            data = connection.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        connection.feed(data)
        if data and not had_partial_head:
            parked.since = time.monotonic()  # a head began: its own deadline starts now
            self._parked.move_to_end(connection)
        try:
            head = connection.parsed_head()
        except ProtocolError as error:
            self._unpark(connection)
            self._refuse(connection, error.message, error.status, error.code)
            return
        if head is None:
            if connection.peer_closed:
                self._unpark(connection)
                connection.close()
            return
        self._unpark(connection)
        self._hand_to_worker(connection, head)

    def _hand_to_worker(self, connection: HttpConnection, head: RequestHead) -> None:
        with self._lock:
            busy = len(self._workers) >= self.max_workers
            if not busy:
                self._active.add(connection)
                worker = threading.Thread(
                    target=self._work, args=(connection, head), name="cosdesk-sandbox-request", daemon=True
                )
                self._workers.add(worker)
        if busy:
            self._refuse(connection, "The server is busy: please reduce your request rate.")
            return
        worker.start()

    def _refuse(
        self, connection: HttpConnection, message: str, status: int = 503, code: str = "SlowDown"
    ) -> None:
        try:
            connection.sock.settimeout(1.0)
            self._reject(connection, status, code, message)
        except OSError:
            pass
        connection.close()

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest for a request; False if none."""
        if not self._parked:
            return False
        connection, _ = self._parked.popitem(last=False)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(connection.sock)
        if connection.has_partial_head:
            self._refuse(connection, "Too many connections: please reduce your request rate.")
        else:
            connection.close()  # idle between requests: a client retries on a fresh one
        return True

    def _expire(self, now: float) -> None:
        expired = []
        for connection, parked in self._parked.items():
            limit = HEAD_TIMEOUT_S if connection.has_partial_head else IDLE_TIMEOUT_S
            if now - parked.since > limit:
                expired.append(connection)
        for connection in expired:
            self._unpark(connection)
            if connection.has_partial_head:
                self._refuse(
                    connection,
                    "Your socket connection to the server was not read from or written to "
                    "within the timeout period.",
                    400,
                    "RequestTimeout",
                )
            else:
                connection.close()

    def _take_returned(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._waker_read.recv(4096):
                pass
        with self._lock:
            returned, self._returned = self._returned, []
        now = time.monotonic()
        for connection in returned:
            self._park(connection, now)
            self._on_readable(connection)  # bytes may have come while it moved

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._waker_write.send(b"\0")

    # --- worker threads ---

    def _work(self, connection: HttpConnection, head: RequestHead | None) -> None:
        keep = True
        try:
            while head is not None and not self._stopping.is_set():
                connection.sock.settimeout(IO_TIMEOUT_S)
                keep = self._serve(connection, head)
                if not keep or self._stopping.is_set():
                    break
                head = connection.receive_head(LINGER_S)
        except ProtocolError as error:
            keep = False
            with contextlib.suppress(OSError):
                self._reject(connection, error.status, error.code, error.message)
        except Exception:
            keep = False
            logger.exception("internal error on a connection")
        finally:
            with self._lock:
                self._active.discard(connection)
                self._workers.discard(threading.current_thread())
                give_back = keep and not connection.peer_closed and not self._stopping.is_set()
                if give_back:
                    self._returned.append(connection)
            if give_back:
                self._wake()
            else:
                connection.close()
