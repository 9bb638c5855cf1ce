"""A task's bytes, held to the global bandwidth limit as they are handed to the
network: each chunk of a request body waits for the limiter before it goes out.

Reading for hashes (``Source.chunks``) sends nothing and is not limited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from cosdesk.cos.body import RequestBody
from cosdesk.engine.integrity import Source, SourceState
from cosdesk.engine.meter import BandwidthLimiter


class LimitedSource(Source):
    """``inner`` whose request bodies pay the limiter before each chunk.
    ``check_stop`` may raise to abandon a wait (the task was paused or canceled)."""

    def __init__(self, inner: Source, limiter: BandwidthLimiter, check_stop: Callable[[], None]) -> None:
        self.inner = inner
        self._limiter = limiter
        self._check_stop = check_stop

    def stat(self) -> SourceState:
        return self.inner.stat()

    def body(self, offset: int, length: int) -> RequestBody:
        return _LimitedBody(self.inner.body(offset, length), self._limiter, self._check_stop)

    def chunks(self, offset: int, length: int) -> Iterator[bytes]:
        return self.inner.chunks(offset, length)


class _LimitedBody(RequestBody):
    def __init__(self, inner: RequestBody, limiter: BandwidthLimiter, check_stop: Callable[[], None]) -> None:
        self._inner = inner
        self._limiter = limiter
        self._check_stop = check_stop

    @property
    def content_length(self) -> int:
        return self._inner.content_length

    @property
    def replayable(self) -> bool:
        return self._inner.replayable

    def chunks(self) -> Iterator[bytes]:
        for chunk in self._inner.chunks():
            # Under a limit a chunk goes out in pieces (BandwidthLimiter.piece_bytes).
            # Paid for whole, a 1 MiB chunk went out at once and the upload then
            # stood still for half a second at 2 MiB/s: its progress came in jumps,
            # and the speed read over a few seconds swung above the limit.
            piece = self._limiter.piece_bytes()
            if not piece or len(chunk) <= piece:
                self._limiter.acquire(len(chunk), self._check_stop)
                yield chunk
                continue
            for start in range(0, len(chunk), piece):
                part = chunk[start : start + piece]
                self._limiter.acquire(len(part), self._check_stop)
                yield part
