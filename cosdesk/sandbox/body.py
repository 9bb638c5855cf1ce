"""Reading a request body as the operations see it: throttled, with injected resets.

The framing (Content-Length or chunked) is the connection's business
(``http_connection.py``); this layer only paces the bytes, counts them and
resets the connection where the fault settings say so.
"""

from __future__ import annotations

import time
from typing import Protocol

from cosdesk.sandbox.errors import CosServerError

CHUNK_BYTES = 1 << 20


class InjectedReset(Exception):
    """The fault settings ask for this connection to be reset (TCP RST) now."""


class ClientGone(Exception):
    """The client closed the connection before sending the whole body."""


class RawBody(Protocol):
    """A body's bytes with the HTTP framing removed."""

    @property
    def finished(self) -> bool:
        """True once the last byte (and, for chunked, the last chunk) was read."""
        ...

    def readinto(self, view: memoryview) -> int:
        """Fill the start of ``view``; 0 means the end of the body.

        Raises ClientGone when the connection ends early, and 400 InvalidRequest
        (CosServerError) for broken framing."""
        ...


class Throttle:
    """Keeps a byte stream at or under ``rate_bytes_per_s`` (sleeping as needed)."""

    def __init__(self, rate_bytes_per_s: float) -> None:
        self.rate_bytes_per_s = float(rate_bytes_per_s)
        self._start = time.monotonic()
        self._bytes = 0

    def chunk_size(self, wanted: int) -> int:
        # Small steps, so the stream never runs ahead of the limit by more than ~50 ms.
        return min(wanted, max(4096, int(self.rate_bytes_per_s / 20)))

    def account(self, count: int) -> None:
        self._bytes += count
        ahead_s = self._bytes / self.rate_bytes_per_s - (time.monotonic() - self._start)
        if ahead_s > 0:
            time.sleep(ahead_s)


class BodyReader:
    """The request body as a stream of ``readinto`` calls (0 means the end)."""

    def __init__(
        self, raw: RawBody, *, throttle: Throttle | None = None, reset_after: int | None = None
    ) -> None:
        self._raw = raw
        self._throttle = throttle
        self._reset_after = reset_after
        self.consumed = 0

    @property
    def finished(self) -> bool:
        return self._raw.finished

    def readinto(self, view: memoryview) -> int:
        wanted = len(view)
        if self._throttle is not None:
            wanted = self._throttle.chunk_size(wanted)
        if self._reset_after is not None:
            if self.consumed >= self._reset_after and not self._raw.finished:
                raise InjectedReset()
            wanted = min(wanted, max(1, self._reset_after - self.consumed))
        count = self._raw.readinto(view[:wanted])
        self.consumed += count
        if self._throttle is not None and count:
            self._throttle.account(count)
        return count

    def read_all(self, limit: int) -> bytes:
        """The whole (small) body; 400 when it is longer than ``limit``."""
        out = bytearray()
        buffer = bytearray(min(CHUNK_BYTES, limit + 1))
        view = memoryview(buffer)
        while True:
            count = self.readinto(view)
            if count == 0:
                return bytes(out)
            out += view[:count]
            if len(out) > limit:
                raise CosServerError(
                    400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."
                )

    def drain(self) -> None:
        buffer = memoryview(bytearray(CHUNK_BYTES))
        while self.readinto(buffer):
            pass
