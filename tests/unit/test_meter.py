"""Speed over a sliding window, ETA, the global bandwidth limiter, formatting."""

from __future__ import annotations

import threading
import time

import pytest

from cosdesk.engine.integrity import MemorySource
from cosdesk.engine.limited_source import LimitedSource
from cosdesk.engine.meter import (
    BandwidthLimiter,
    SpeedMeter,
    eta_seconds,
    format_duration,
    format_size,
    format_speed,
)


def test_speed_is_bytes_over_the_window() -> None:
    meter = SpeedMeter(window_s=2.0)
    for second in range(10):
        meter.add(1000, now=100.0 + second * 0.5)
    # The last 2 s hold samples at 102.5..104.5 -> 5 samples of 1000 bytes.
    assert meter.speed(now=104.5) == pytest.approx(2500, rel=0.01)


def test_old_samples_leave_the_window() -> None:
    meter = SpeedMeter(window_s=1.0)
    meter.add(10_000, now=0.0)
    assert meter.speed(now=5.0) == 0.0


def test_bytes_taken_back_take_nothing_from_the_speed() -> None:
    """A request abandoned or sent again takes its bytes back from the progress;
    they went over the network all the same."""
    meter = SpeedMeter(window_s=3.0)
    meter.add(1000, now=0.0)
    meter.add(1000, now=0.5)
    meter.add(-5000, now=0.75)
    assert meter.speed(now=1.0) == 2000.0


def test_bytes_after_a_silence_are_not_averaged_with_it() -> None:
    """A resumed upload (or a new batch) reads its real speed at once, not its
    first bytes spread over a window of silence."""
    meter = SpeedMeter(window_s=3.0)
    meter.add(1000, now=0.0)
    meter.add(1000, now=60.0)
    meter.add(1000, now=60.5)
    assert meter.measured_s(now=60.5) == 0.5
    # 1000 bytes a half second: the first of the new stretch was sent before it.
    assert meter.speed(now=60.5) == 2000.0


@pytest.mark.parametrize("now", [0.3, 0.6, 0.8, 1.04, 1.3, 2.0, 2.9])
def test_the_first_seconds_read_the_rate_between_reports_not_above_it(now: float) -> None:
    """1 MiB every half second from 0.05 s (a 2 MiB/s limit, chunk by chunk): the
    first report's bytes went before it, over a time nobody saw. Counted over the
    time since it, the speed read 4.7 MiB/s at first and swung to 2.7."""
    meter = SpeedMeter(window_s=3.0)
    for report in range(10):
        at = 0.05 + report / 2
        if at <= now:
            meter.add(1024 * 1024, now=at)
    assert meter.speed(now=now) == (None if now < 0.55 else pytest.approx(2 * 1024 * 1024))


def test_the_speed_is_not_told_before_a_second_report_and_reads_zero_once_a_window_was_silent() -> None:
    """A first report says how much, not how fast: the window showed "0 B/s" for
    an upload whose bytes were going out."""
    meter = SpeedMeter(window_s=3.0)
    assert meter.speed(now=0.0) is None
    meter.add(16 * 1024, now=0.1)
    assert meter.speed(now=0.2) is None
    assert meter.speed(now=2.9) is None  # one report, and a silence shorter than the window
    assert meter.speed(now=3.2) == 0.0  # nothing for a whole window: nothing is moving
    meter.reset()
    assert meter.speed(now=3.3) is None


def test_a_stall_in_the_first_seconds_brings_the_speed_down() -> None:
    meter = SpeedMeter(window_s=3.0)
    for at in (0.0, 0.5, 1.0):
        meter.add(1000, now=at)
    assert meter.speed(now=1.2) == 2000.0
    # Silent for longer than everything measured: the time since counts.
    assert meter.speed(now=2.5) == 800.0


def test_measured_time_is_zero_before_any_bytes_and_after_a_silence() -> None:
    meter = SpeedMeter(window_s=3.0)
    assert meter.measured_s(now=5.0) == 0.0
    meter.add(1000, now=5.0)
    assert meter.measured_s(now=7.0) == 2.0
    assert meter.measured_s(now=20.0) == 0.0


def test_eta() -> None:
    assert eta_seconds(1000, 100.0) == 10.0
    assert eta_seconds(0, 0.0) == 0.0
    assert eta_seconds(1000, 0.0) is None


def test_limiter_holds_throughput_near_the_limit() -> None:
    limiter = BandwidthLimiter(2_000_000)
    started = time.monotonic()
    for _ in range(40):
        limiter.consume(100_000)  # 4 MB at 2 MB/s
    elapsed = time.monotonic() - started
    assert 1.4 <= elapsed <= 3.0


def test_limiter_is_shared_between_threads() -> None:
    limiter = BandwidthLimiter(4_000_000)

    def send() -> None:
        for _ in range(20):
            limiter.consume(100_000)

    started = time.monotonic()
    threads = [threading.Thread(target=send) for _ in range(4)]  # 8 MB in total
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1.5 <= time.monotonic() - started <= 3.5


def test_a_run_after_a_quiet_spell_starts_at_the_limit_not_with_a_burst() -> None:
    """Three pieces after half a second of nothing went out at once (the bucket had
    filled meanwhile), and the first speeds shown read 20-40% over the limit."""
    limiter = BandwidthLimiter(1024 * 1024)
    piece = limiter.piece_bytes()  # 16 KiB: 15.6 ms at the limit
    time.sleep(limiter.IDLE_S + 0.1)
    started = time.monotonic()
    for _ in range(3):
        limiter.acquire(piece)
    assert time.monotonic() - started >= 2.5 * piece / limiter.limit_bytes_per_s
    # While the run goes on, a payer that comes late finds what the bucket held.
    time.sleep(0.03)
    started = time.monotonic()
    limiter.acquire(piece)
    assert time.monotonic() - started < 0.01


def test_bodies_are_paid_for_in_pieces_of_a_quarter_of_the_bucket() -> None:
    assert BandwidthLimiter(0).piece_bytes() == 0
    assert BandwidthLimiter(2 * 1024 * 1024).piece_bytes() == 26214  # 12.5 ms at the limit
    assert BandwidthLimiter(64 * 1024).piece_bytes() == BandwidthLimiter.MIN_PIECE_BYTES


def test_a_limited_body_goes_out_in_pieces_each_paid_for_before_it_goes() -> None:
    """A 1 MiB chunk under 2 MiB/s: 41 pieces, the same bytes in the same order.
    Unlimited, the chunk goes whole."""
    payments: list[int] = []

    class Recording(BandwidthLimiter):
        def acquire(self, byte_count: int, *args: object, **kwargs: object) -> None:
            payments.append(byte_count)

    data = bytes(range(256)) * 4096  # 1 MiB
    limited = LimitedSource(MemorySource(data), Recording(2 * 1024 * 1024), lambda: None)
    pieces = list(limited.body(0, len(data)).chunks())
    assert b"".join(pieces) == data
    assert len(pieces) == 41 and max(map(len, pieces)) == 26214
    assert payments == [len(piece) for piece in pieces]

    payments.clear()
    unlimited = LimitedSource(MemorySource(data), Recording(0), lambda: None)
    assert list(unlimited.body(0, len(data)).chunks()) == [data] and payments == [len(data)]


def test_unlimited_never_waits_and_a_new_limit_applies_at_once() -> None:
    limiter = BandwidthLimiter(0)
    started = time.monotonic()
    for _ in range(1000):
        limiter.consume(10_000_000)
    assert time.monotonic() - started < 0.5
    limiter.set_limit(1000)
    limiter.consume(100_000)  # now in debt for ~100 s
    limiter.set_limit(0)
    started = time.monotonic()
    limiter.consume(100)
    assert time.monotonic() - started < 0.2


def test_a_stop_check_interrupts_a_limited_wait() -> None:
    limiter = BandwidthLimiter(1000)
    limiter.consume(1)
    limiter.consume(100_000)  # deep debt

    class Stop(Exception):
        pass

    deadline = time.monotonic() + 0.3

    def check() -> None:
        if time.monotonic() > deadline:
            raise Stop

    started = time.monotonic()
    with pytest.raises(Stop):
        limiter.consume(1000, check)
    assert time.monotonic() - started < 1.0


def test_formatting() -> None:
    assert format_size(512) == "512 B"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(3 * 1024**3) == "3.0 GiB"
    assert format_speed(2 * 1024**2) == "2.0 MiB/s"
    assert format_duration(None) == "--:--"
    assert format_duration(65) == "1:05"
    assert format_duration(3725) == "1:02:05"
