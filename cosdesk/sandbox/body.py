"""Reading a request body: Content-Length or chunked, throttled, with injected resets."""

from __future__ import annotations

import time
from typing import BinaryIO

from cosdesk.sandbox.errors import CosServerError

CHUNK_BYTES = 1 << 20
_MAX_CHUNK_LINE = 1024


class InjectedReset(Exception):
    """The fault settings ask for this connection to be reset (TCP RST) now."""


class ClientGone(Exception):
    """The client closed the connection before sending the whole body."""


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
        self,
        rfile: BinaryIO,
        *,
        content_length: int | None,
        chunked: bool,
        throttle: Throttle | None = None,
        reset_after: int | None = None,
    ) -> None:
        self._rfile = rfile
        self._remaining = content_length if not chunked else None
        self._chunked = chunked
        self._chunk_left = 0
        self._chunked_done = False
        self._throttle = throttle
        self._reset_after = reset_after
        self.consumed = 0

    @property
    def finished(self) -> bool:
        return self._chunked_done if self._chunked else not self._remaining

    def _available(self) -> int:
        """How many bytes may be read right now (0 at the end of the body)."""
        if not self._chunked:
            return self._remaining or 0
        if self._chunked_done:
            return 0
        if self._chunk_left == 0:
            line = self._rfile.readline(_MAX_CHUNK_LINE)
            if not line.endswith(b"\n"):
                raise ClientGone()
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise CosServerError(400, "InvalidRequest", "Malformed chunked encoding.") from None
            if size == 0:
                # Trailers until the blank line.
                while self._rfile.readline(_MAX_CHUNK_LINE) not in (b"\r\n", b"\n", b""):
                    pass
                self._chunked_done = True
                return 0
            self._chunk_left = size
        return self._chunk_left

    def readinto(self, view: memoryview) -> int:
        available = self._available()
        if available == 0:
            return 0
        wanted = min(len(view), available)
        if self._throttle is not None:
            wanted = self._throttle.chunk_size(wanted)
        if self._reset_after is not None:
            if self.consumed >= self._reset_after:
                raise InjectedReset()
            wanted = min(wanted, self._reset_after - self.consumed)
        count = self._rfile.readinto(view[:wanted])  # type: ignore[attr-defined]
        if not count:
            raise ClientGone()
        self.consumed += count
        if self._chunked:
            self._chunk_left -= count
            if self._chunk_left == 0 and self._rfile.readline(_MAX_CHUNK_LINE) not in (b"\r\n", b"\n"):
                raise CosServerError(400, "InvalidRequest", "Malformed chunked encoding.")
        else:
            assert self._remaining is not None
            self._remaining -= count
        if self._throttle is not None:
            self._throttle.account(count)
        return int(count)

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
