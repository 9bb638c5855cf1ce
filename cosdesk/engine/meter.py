"""Turning byte counts into speed and ETA, and holding uploads to a bandwidth limit.

Workers only report bytes (possibly negative: a retried request rewinds what it
had reported, so totals never pass 100%); this module makes numbers of them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# Long enough to smooth out part boundaries and retries, short enough that a
# changed bandwidth limit shows within a few seconds.
DEFAULT_WINDOW_S = 3.0


class SpeedMeter:
    """Bytes per second over a sliding window. Thread-safe: part workers add,
    the event timer reads.

    Measuring starts with the first sample, and starts again when bytes come
    after a silence longer than the window (a pause, a batch that waited): the
    silence is not averaged into the new speed, which would read far too low."""

    def __init__(self, window_s: float = DEFAULT_WINDOW_S) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, int]] = deque()
        self._window_bytes = 0
        self._started_at: float | None = None
        self._lock = threading.Lock()

    def add(self, byte_count: int, now: float | None = None, *, sent: bool = True) -> None:
        """Count bytes sent. Bytes taken back (a request abandoned by a pause, or
        sent again after a failure) went over the network all the same, so they
        take nothing from the speed: taken from it, a pause's four parts in flight
        held a resumed upload at 0.03 MiB/s for two seconds. Bytes taken back
        with ``sent`` False never left, and the speed forgets them."""
        if byte_count < 0 and not sent:
            self._take_back(-byte_count)
        if byte_count <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            if self._started_at is None or not self._samples:
                self._started_at = now
            self._samples.append((now, byte_count))
            self._window_bytes += byte_count
            self._expire(now)

    def _take_back(self, byte_count: int) -> None:
        """Forget the newest ``byte_count`` bytes counted: they never left (a
        request that got no connection; its small body was counted as it was
        handed over). Kept, they showed a speed for an upload to a server that
        refused every connection."""
        with self._lock:
            while byte_count > 0 and self._samples:
                at, counted = self._samples.pop()
                taken = min(counted, byte_count)
                byte_count -= taken
                self._window_bytes -= taken
                if counted > taken:
                    self._samples.append((at, counted - taken))
            if not self._samples:
                self._started_at = None

    def _expire(self, now: float) -> None:
        horizon = now - self.window_s
        while self._samples and self._samples[0][0] < horizon:
            self._window_bytes -= self._samples.popleft()[1]

    def speed(self, now: float | None = None) -> float | None:
        """Bytes per second over the window (never negative); None while nothing
        tells it yet: before any sample, and while a first window holds only one.

        Before a full window has passed, the first sample's bytes are left out:
        they were sent before it, over a time nobody measured. The speed is then
        what the later samples brought over the time from the first to the last
        (to now, once the silence since the last is longer than that). Counting
        them over the time since the first sample read each start of an upload
        under a 2 MiB/s limit as 2.0-2.7 MiB/s for seconds, 4.7 at first; and a
        speed of 0 shown before the second sample, with bytes on their way, was
        not true either. A window that passes without a sample reads 0: nothing
        is moving."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            if self._started_at is None:
                return None
            measured_s = now - self._started_at
            if measured_s >= self.window_s or not self._samples:
                return max(0.0, self._window_bytes / self.window_s)
            first_at, first_bytes = self._samples[0]
            last_at = self._samples[-1][0]
            span = last_at - first_at
            if span <= 0:
                return None
            if now - last_at > span:
                span = now - first_at
            return max(0.0, (self._window_bytes - first_bytes) / span)

    def measured_s(self, now: float | None = None) -> float:
        """How long the current stretch of measuring has lasted (0 before any
        sample): a speed measured for a fraction of a second is a guess."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            if self._started_at is None or not self._samples:
                return 0.0
            return now - self._started_at

    def reset(self) -> None:
        with self._lock:
            self._samples.clear()
            self._window_bytes = 0
            self._started_at = None


def eta_seconds(remaining: int, per_second: float | None) -> float | None:
    """Seconds left for ``remaining`` units (bytes, files) at ``per_second`` of
    them; None while that rate is unknown (None or zero)."""
    if remaining <= 0:
        return 0.0
    if per_second is None or per_second <= 0:
        return None
    return remaining / per_second


class BandwidthLimiter:
    """A global cap on bytes sent per second, shared by every worker, changeable
    while uploads run (``limit_bytes_per_s = 0`` means unlimited).

    A token bucket: a worker takes ``n`` tokens for ``n`` bytes once the bucket
    holds them (or is full, for a chunk bigger than it can hold, which leaves it
    in debt). Waiting happens in short slices so a new limit takes effect at
    once and a paused task stops waiting within ~0.1 s.

    Bytes are paid for before they go out (:meth:`acquire`, called by the body
    that streams them; see ``engine/limited_source.py``). Paying only after
    sending (:meth:`consume`, from progress reports) let every request in flight
    send a chunk on credit: nine parts starting at once went nine chunks over the
    limit in the first second, and again whenever new requests started.
    """

    # What the bucket holds at most, in seconds of the limit: room for a payer
    # that wakes late while uploads run. (A quarter of a second put the first
    # second of a run 25% over the limit.)
    BURST_S = 0.05
    # A quiet spell this long (no payment, no payer waiting) ends a run: the next
    # one starts with an empty bucket, paced from its first byte. Filled while the
    # files were chosen, the bucket let three pieces out at once, and the first
    # speeds shown under 1 MiB/s read 1.2-1.4 MiB/s.
    IDLE_S = 0.5
    WAIT_SLICE_S = 0.1
    # Bodies are paid for in pieces no smaller than this (piece_bytes), so a low
    # limit does not cut them into slivers.
    MIN_PIECE_BYTES = 16 * 1024

    def __init__(self, limit_bytes_per_s: int = 0) -> None:
        self._limit = max(0, int(limit_bytes_per_s))
        self._tokens = 0.0
        self._updated_at = time.monotonic()
        self._lock = threading.Lock()
        # Per thread: bytes acquire() paid for that the progress report of the same
        # chunk (consume) must not charge again.
        self._prepaid = threading.local()

    @property
    def limit_bytes_per_s(self) -> int:
        return self._limit

    def piece_bytes(self) -> int:
        """The most one payment should be for (0: no limit): a quarter of what the
        bucket holds, at least ``MIN_PIECE_BYTES``. A payer that wakes late then
        finds its bytes there: paid in pieces of the whole bucket, uploads in a
        busy process ran at 1.5 MiB/s under a 2 MiB/s limit."""
        limit = self._limit
        return max(self.MIN_PIECE_BYTES, int(limit * self.BURST_S / 4)) if limit else 0

    def set_limit(self, limit_bytes_per_s: int) -> None:
        with self._lock:
            self._limit = max(0, int(limit_bytes_per_s))
            self._tokens = 0.0
            self._updated_at = time.monotonic()

    def _refill(self, now: float) -> None:
        if self._limit:
            quiet_s = now - self._updated_at
            held_at_most = 0.0 if quiet_s > self.IDLE_S else self._limit * self.BURST_S
            self._tokens = min(self._tokens + quiet_s * self._limit, held_at_most)
        self._updated_at = now

    def acquire(
        self,
        byte_count: int,
        check_stop: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Pay for ``byte_count`` bytes about to be sent, waiting while the bucket is
        in debt. The next :meth:`consume` on this thread does not charge them
        again (a chunk's progress is reported after it went out). ``check_stop``
        is called between waits and may raise to abandon the wait (pause, cancel)."""
        self._charge(byte_count, check_stop, sleep)
        # Set, not added: one chunk goes out between an acquire and its report, and
        # a request that failed mid-chunk must not leave credit for the next one.
        self._prepaid.byte_count = max(0, byte_count)

    def consume(
        self,
        byte_count: int,
        check_stop: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Pay for ``byte_count`` bytes just sent, except what this thread paid for
        with :meth:`acquire`, waiting while the bucket is in debt."""
        prepaid = getattr(self._prepaid, "byte_count", 0)
        if prepaid and byte_count > 0:
            covered = min(prepaid, byte_count)
            self._prepaid.byte_count = prepaid - covered
            byte_count -= covered
        self._charge(byte_count, check_stop, sleep)

    def _charge(
        self, byte_count: int, check_stop: Callable[[], None] | None, sleep: Callable[[float], None]
    ) -> None:
        if byte_count <= 0 or not self._limit:
            return
        while True:
            with self._lock:
                if not self._limit:
                    return
                now = time.monotonic()
                self._refill(now)
                # The bucket starts empty and must hold the bytes before they go: the
                # limit holds from the first byte. A chunk bigger than the bucket can
                # hold (a low limit) waits for a full bucket and leaves it in debt.
                needed = min(float(byte_count), self._limit * self.BURST_S)
                if self._tokens >= needed:
                    self._tokens -= byte_count
                    return
                wait_s = min(self.WAIT_SLICE_S, (needed - self._tokens) / self._limit)
            if check_stop is not None:
                check_stop()
            sleep(wait_s)


def format_size(byte_count: float) -> str:
    """``1.5 MiB``-style sizes: the one place that formats sizes for people."""
    value = float(byte_count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_speed(bytes_per_s: float) -> str:
    return f"{format_size(bytes_per_s)}/s"


# The shortest time an average speed is shown over. Below it, what a transfer took
# is mostly round trips and start-up, not throughput: 3 bytes in 30 ms read as
# "101 B/s", as if the link crawled (ARCHITECTURE.md, "How many at once").
SHORTEST_TIMED_S = 1.0


def shown_average_speed(byte_count: int, seconds: float) -> float | None:
    """``byte_count`` over ``seconds`` when that says how fast the link was: None
    for nothing sent, or a time under ``SHORTEST_TIMED_S``."""
    if byte_count <= 0 or seconds < SHORTEST_TIMED_S:
        return None
    return byte_count / seconds


def below_a_tenth(seconds: float) -> bool:
    """A time that tenths of a second would show as ``0.0``, though it is not
    nothing: said "under 0.1 s" in the window and the command line alike (beside
    its speed, "0.0 s" read as no time at all)."""
    return 0 < seconds < 0.05


def format_duration(seconds: float | None) -> str:
    """``1:02:03`` / ``2:03``; ``--:--`` when unknown."""
    if seconds is None:
        return "--:--"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
