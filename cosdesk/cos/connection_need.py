"""Closing the keep-alive connections a client's requests no longer need.

httpcore's pool looks at every idle connection it holds, with a ``poll()`` on
its socket (did the server close it?), when a request comes and again when its
answer is read. So a connection that stays idle costs two polls per request
for as long as it is kept (30 s). ``cosdesk upload`` opens with four small
files at once and then, on a fast link, goes on with one (engine/concurrency.py):
the three connections left idle made about 5,000 of the 11,000 polls of 1,000
small files (a poll and its checks cost about 3.5 us).

:class:`ConnectionNeed` counts how many requests a client had in flight at once
over each run of ``WINDOW`` requests; at the end of a run it closes the idle
connections beyond that. A link that keeps many requests in flight keeps its
connections. See ARCHITECTURE.md, "Idle connections".

httpcore has no public way to close one idle connection, and its keep-alive
limit counts busy connections too (1.0.9), so :func:`close_idle` does it under
the pool's own lock, as the pool closes an expired one. Where a later httpcore
lays its pool out differently it closes nothing.
"""

from __future__ import annotations

import logging
import threading

import httpx

logger = logging.getLogger(__name__)

# Requests per run. Long enough that lanes working in parallel all show in it
# (16 at once on a far link each send 4 in a run); short enough that, on a fast
# link, idle connections go within a few hundred requests.
WINDOW = 64


class ConnectionNeed:
    """How many of a client's requests run at once. Thread-safe."""

    def __init__(self, window: int = WINDOW) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._in_flight = 0
        self._most_in_flight = 0  # in the current run
        self._ended = 0  # requests ended in the current run

    def started(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._most_in_flight = max(self._most_in_flight, self._in_flight)

    def ended(self, transport: httpx.BaseTransport) -> None:
        """A request through ``transport`` ended (its answer read, or it failed)."""
        with self._lock:
            self._in_flight -= 1
            self._ended += 1
            if self._ended < self._window:
                return
            needed = self._most_in_flight
            self._ended, self._most_in_flight = 0, self._in_flight
        closed = close_idle(transport, keep=max(needed, 1))
        if closed:
            logger.debug("closed %d idle connection(s): %d request(s) at most ran at once", closed, needed)


def close_idle(transport: httpx.BaseTransport, keep: int) -> int:
    """Close idle connections of ``transport``'s pool until it holds ``keep``
    (busy ones are never closed); how many were closed."""
    pool = getattr(transport, "_pool", None)
    lock = getattr(pool, "_optional_thread_lock", None)
    connections = getattr(pool, "_connections", None)
    requests = getattr(pool, "_requests", None)
    if lock is None or not isinstance(connections, list) or not isinstance(requests, list):
        return 0
    closing = []
    with lock:
        if len(connections) <= keep:
            return 0
        # A connection given to a request that has not begun is idle still.
        promised = {id(getattr(request, "connection", None)) for request in requests}
        # The pool gives a request the first free connection in its list: the last
        # ones are those it needed least.
        for connection in reversed(list(connections)):
            if len(connections) <= keep:
                break
            if connection.is_idle() and id(connection) not in promised:
                connections.remove(connection)
                closing.append(connection)
    for connection in closing:  # outside the lock, as the pool closes its own
        connection.close()
    return len(closing)
