"""Automatic concurrency: how many files, and how many parts of big files, a queue
sends at once when the person left it to cosdesk (a limit of ``AUTOMATIC``).

A link is filled by enough requests in flight: small files are bound by round
trips (one request each, mostly waiting for the answer), a big file by the
bandwidth of each connection (its parts). Neither number can be known in
advance, and it changes with the link. So each is found by hill climbing on
goodput:

- goodput at a limit is estimated by Little's law from the requests that ran
  wholly under it: the limit times the mean rate of one request (its bytes over
  its time). Counting bytes as they are reported would not do: they come a
  1 MiB chunk at a time, in bursts as socket buffers fill, far too coarse to
  compare two limits over a second. Requests begun before a change are left out,
  so new connections' handshakes count against the limit that opened them;
- a held limit is raised (doubled at first, by a quarter once a raise failed)
  and the raise kept when goodput grows by at least ``GAIN``; when it does not
  pay, the limit goes back and waits longer before the next try;
- in turn, a held limit is lowered by a quarter. For small files the cut is
  kept if goodput holds: requests that stopped paying are given back. For parts
  it is kept only if goodput grows (a loaded client that does better with fewer
  threads): a big file's parts that merely share a full uplink do not show
  their worth in goodput, yet each carries a part's round trip of idle time, so
  cutting them costs a few percent that a 5 % tolerance cannot see (a 128 MiB
  file on the far link of tests/bench/test_links.py: 83-84 % of the uplink
  with such cuts, 91-92 % without).

Where the files limit starts is measured too. A file in flight pays only while
the client would otherwise sit waiting for the server: with ``c`` the CPU a
file's job spends and ``w`` the time its PUT waits for the answer (less what it
waited for the other opening files' CPU), about ``1 + w / c`` files keep the
client busy (on loopback about 2, the server's time hidden behind the client's;
30 ms away, dozens). The first ``START_FILES`` small files, sent at once (few,
so they wait little for each other's CPU), give that ratio, and the limit jumps
to their median before hill climbing goes on. A jump, not a climb: a far link
loses a round trip, not a climb's seconds; and loopback does not pay for 16
files at once (a fifth more CPU than 2 or 3 — thread hand-offs, GIL
contention, wake-ups — for nothing faster). One round of 4, not two of 2: on
the home link (20 ms, 2.5 MB/s) the second round cost 2 % of 300 small files.
When the opening files waited less than their own CPU time for the server, the
limit starts at 1 and the first trial of more files comes late. Any later window
of small files that shows the same at more than one file takes the limit back
to 1: the opening is sometimes fooled by a server busy with their new
connections (5 files at once on loopback, in 1 run of 12 here).

Small files (one request each, timed from the file's start to its answer) tune
the files limit; the parts of big files tune the parts in flight over all big
files. Both stay within ``MAX_REQUESTS``, the client's connections per host
(``cos/client.py``): more would only wait for a connection. Each part streams
in 1 MiB chunks, so memory grows by about a chunk per request in flight, not by
a part.

Not Qt: the queue tells it of finished requests (``request_done``) and bytes
sent (``record``, for the rate shown) and asks it for the limits.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from cosdesk.engine.meter import format_speed
from cosdesk.engine.options import AUTOMATIC

log = logging.getLogger(__name__)

# The client's connection pool per host (cos/client.py DEFAULT_MAX_CONNECTIONS).
MAX_REQUESTS = 16
# Files start at a few, until the first files say how many pay (see the module's
# docstring).
START_FILES = 4
# Parts start at the most: a climb from fewer costs seconds of a ten-second
# upload on a link whose connections each carry a tenth of it (100 Mbit/s
# shared, 10 Mbit/s per connection), and only cuts that pay are kept.
START_PARTS = MAX_REQUESTS
# Under the person's own bandwidth limit, parts beyond one per this rate (and
# beyond 2, which keep the limit fed across a part's round trip) only spread the
# same rate thinner: each crawls (16 parts of 1 MiB under 420 KiB/s: about 45 s
# a part), and a pause or crash leaves more parts half sent.
MIN_PART_RATE = 256 * 1024
WINDOW_S = 0.5
# A raise is kept only when goodput grows at least this much (measurements on a
# busy machine wander by several percent); a cut when it falls less than half that
# (parts: when it grows by half that, see the module's docstring).
GAIN = 0.10
# Windows a limit is held before the next raise: grows after each raise that did
# not pay, so a link that is full is not probed all the time.
FIRST_HOLD_WINDOWS = 1
RARE_CUT_HOLD_WINDOWS = 8
MAX_HOLD_WINDOWS = 16


@dataclass(frozen=True)
class ConcurrencyStatus:
    """What the queue sends at once now, and the goodput it measured last.

    ``files`` / ``parts``: files in flight, parts in flight over all big files.
    ``*_automatic``: tuned here (else the fixed number the person chose)."""

    files: int
    parts: int
    files_automatic: bool
    parts_automatic: bool
    goodput_bytes_per_s: float

    def describe(self) -> str:
        """``files 16 (auto), parts 6 (auto), 12.3 MiB/s`` for the log and ``-v``."""

        def one(name: str, value: int, automatic: bool) -> str:
            return f"{name} {value}" + (" (auto)" if automatic else "")

        return (
            f"{one('files', self.files, self.files_automatic)}, "
            f"{one('parts', self.parts, self.parts_automatic)}, {format_speed(self.goodput_bytes_per_s)}"
        )


class HillClimber:
    """One limit in [``low``, ``high``], moved by the goodput of the windows measured
    at it. Not thread-safe: ``ConcurrencyTuner`` calls it under its lock."""

    def __init__(
        self, start: int, low: int = 1, high: int = MAX_REQUESTS, *, cuts_must_pay: bool = False
    ) -> None:
        self.low, self.high = low, high
        self._cut_keeps_at = 1 + GAIN / 2 if cuts_must_pay else 1 - GAIN / 2  # of the held goodput
        self.limit = max(low, min(high, start))
        self._held_rate: float | None = None  # goodput at the held limit
        self._trial_from: int | None = None  # the held limit while another is tried
        # A cut that must pay rarely does (only on a loaded client), and each trial
        # costs its windows' throughput where it does not: tried later.
        self._hold_windows = RARE_CUT_HOLD_WINDOWS if cuts_must_pay else FIRST_HOLD_WINDOWS
        self._windows_held = 0
        self._doubling = True
        self._next_trial_down = False

    def window(self, goodput: float) -> bool:
        """Feed the goodput of one window measured at ``limit``; True when the limit
        changed (the next window then settles)."""
        if self._trial_from is not None:
            return self._judge_trial(goodput)
        # The latest window: an average would drag the start's (connections opening) along.
        self._held_rate = goodput
        self._windows_held += 1
        if self._windows_held < self._hold_windows:
            return False
        self._windows_held = 0
        if self._next_trial_down and self.limit > self.low:
            self._next_trial_down = False
            return self._try(max(self.low, self.limit - max(1, self.limit // 4)))
        self._next_trial_down = True
        return self._try_raise()

    def _try_raise(self) -> bool:
        if self.limit >= self.high:
            return False
        # Doubling until a trial fails (the start), by a quarter after.
        step = self.limit if self._doubling else max(1, self.limit // 4)
        return self._try(min(self.high, self.limit + step))

    def jump(self, limit: int, *, hold_windows: int = FIRST_HOLD_WINDOWS) -> None:
        """Hold ``limit`` from now on (within the bounds), measured afresh, for
        ``hold_windows`` windows before the first trial. It was measured, not
        guessed: raises from it go by a quarter, not doubling."""
        self.limit = max(self.low, min(self.high, limit))
        self._trial_from = self._held_rate = None
        self._windows_held = 0
        self._hold_windows = hold_windows
        self._doubling = False

    def _try(self, trial: int) -> bool:
        self._trial_from, self.limit = self.limit, trial
        return True

    def _judge_trial(self, goodput: float) -> bool:
        held_from, held_rate = self._trial_from, self._held_rate or 0.0
        assert held_from is not None
        self._trial_from = None
        raised = self.limit > held_from
        pays = goodput >= held_rate * (1 + GAIN if raised else self._cut_keeps_at)
        if pays:
            self._held_rate = goodput
            if raised:
                self._try_raise()  # keep climbing at once while it pays
            return True
        self.limit = held_from
        self._doubling = False
        self._hold_windows = min(MAX_HOLD_WINDOWS, self._hold_windows * 2)
        return True


@dataclass
class _Samples:
    """Requests of one kind that ended since its limit last changed, and began after."""

    since: float = float("-inf")
    count: int = 0
    byte_count: int = 0
    busy_s: float = 0.0
    # Small files that sent a PUT: their jobs' CPU and their PUTs' waits, summed.
    cpu_s: float = 0.0
    waited_s: float = 0.0

    def add(
        self, byte_count: int, started_at: float, ended_at: float, cpu_s: float, waited_s: float | None
    ) -> None:
        if started_at > self.since:
            self.count += 1
            self.byte_count += byte_count
            self.busy_s += max(ended_at - started_at, 1e-3)
            if waited_s is not None:
                self.cpu_s += cpu_s
                self.waited_s += waited_s

    def client_bound_at(self, in_flight: int) -> bool:
        """Whether these files, ``in_flight`` at a time, waited less than their own
        CPU time for the server, once the wait for the others' CPU is taken out
        (the opening's measure, see _opening_file): one at a time would do."""
        if self.cpu_s <= 0:
            return False
        server_wait_s = self.waited_s - (in_flight - 1) * self.cpu_s
        return 1 + server_wait_s / self.cpu_s < 2

    def goodput_at(self, in_flight: int) -> float:
        """Little's law: ``in_flight`` requests each moving bytes at the mean rate seen."""
        return in_flight * self.byte_count / self.busy_s if self.busy_s else 0.0


class ConcurrencyTuner:
    """The files and parts limits of one queue, fixed or tuned. Thread-safe."""

    def __init__(self, file_parallel_limit: int) -> None:
        self._lock = threading.Lock()
        self._files = HillClimber(START_FILES)
        self._parts = HillClimber(START_PARTS, cuts_must_pay=True)
        self._fixed_files: int | None = None
        self.set_file_parallel_limit(file_parallel_limit)
        self._samples = {False: _Samples(), True: _Samples()}  # by big-file work
        # ``1 + waited / CPU`` of the first START_FILES small files; None once the
        # files limit jumped to what they said.
        self._opening_ratios: list[float] | None = []
        # What the person sees: bytes reported sent over the last window.
        self._window_started_at: float | None = None
        self._window_bytes = 0
        self._goodput = 0.0

    def set_file_parallel_limit(self, limit: int) -> None:
        """FileParallelLimit: a number, or ``AUTOMATIC``."""
        if limit < 0:
            raise ValueError("FileParallelLimit must be at least 1, or 0 for automatic")
        with self._lock:
            self._fixed_files = limit or None

    @property
    def max_files(self) -> int:
        """The most files that may ever run at once (the file pool's size)."""
        with self._lock:
            return self._fixed_files or self._files.high

    def files_limit(self) -> int:
        with self._lock:
            return self._fixed_files or self._files.limit

    def parts_limit(
        self,
        chunk_parallel_limit: int,
        big_files_running: int,
        small_files_running: int,
        bandwidth_limit_bytes_per_s: int = 0,
    ) -> int:
        """Parts in flight for one big file: its own ChunkParallelLimit, or its share
        of the tuned parts in flight, within the requests the small files leave and
        the parts the person's bandwidth limit can feed (``MIN_PART_RATE``)."""
        if chunk_parallel_limit != AUTOMATIC:
            return chunk_parallel_limit
        with self._lock:
            total = min(self._parts.limit, MAX_REQUESTS - small_files_running)
        return max(1, _within_bandwidth(total, bandwidth_limit_bytes_per_s) // max(1, big_files_running))

    def status(
        self, chunk_parallel_limit: int = AUTOMATIC, bandwidth_limit_bytes_per_s: int = 0
    ) -> ConcurrencyStatus:
        """The limits now (the parts of a task with this ChunkParallelLimit, under
        this bandwidth limit) and the goodput of the last window."""
        with self._lock:
            return self._status(chunk_parallel_limit, bandwidth_limit_bytes_per_s)

    def _status(self, chunk_parallel_limit: int, bandwidth_limit_bytes_per_s: int = 0) -> ConcurrencyStatus:
        return ConcurrencyStatus(
            files=self._fixed_files or self._files.limit,
            parts=chunk_parallel_limit or _within_bandwidth(self._parts.limit, bandwidth_limit_bytes_per_s),
            files_automatic=self._fixed_files is None,
            parts_automatic=chunk_parallel_limit == AUTOMATIC,
            goodput_bytes_per_s=self._goodput,
        )

    def record(self, byte_count: int, now: float) -> None:
        """Bytes a job reported sent (negative: taken back after a failed request):
        the rate shown, over windows of ``WINDOW_S``."""
        with self._lock:
            if self._window_started_at is None:
                self._window_started_at = now
            self._window_bytes += byte_count
            elapsed = now - self._window_started_at
            if elapsed >= WINDOW_S:
                self._goodput = max(0.0, self._window_bytes / elapsed)
                self._window_started_at, self._window_bytes = now, 0

    def request_done(
        self,
        byte_count: int,
        started_at: float,
        ended_at: float,
        *,
        big_file: bool,
        cpu_s: float = 0.0,
        waited_s: float | None = None,
    ) -> bool:
        """A request that sent ``byte_count`` bytes succeeded: a part of a big file, or
        a small file whole (its run, from checking to the answer; ``cpu_s``, the CPU
        time its job's thread spent, and ``waited_s``, how long its PUT waited for
        the server, None when it sent none). Requests that began before the last
        change of their limit are not counted: they ran under the old one. True when
        the files limit was raised (the queue may start more)."""
        with self._lock:
            if not big_file and self._fixed_files is not None:
                return False
            if not big_file and self._opening_ratios is not None:
                return waited_s is not None and self._opening_file(waited_s, cpu_s, ended_at)
            samples = self._samples[big_file]
            samples.add(byte_count, started_at, ended_at, cpu_s, waited_s)
            climber = self._parts if big_file else self._files
            # Enough requests to average over, and at least a window of time.
            if samples.count < max(3, climber.limit // 2) or ended_at - samples.since < WINDOW_S:
                return False
            measured_at = climber.limit
            goodput = samples.goodput_at(measured_at)
            files_before = self._files.limit
            if not big_file and measured_at > 1 and samples.client_bound_at(measured_at):
                # The opening's four files can wait on a server busy with their
                # connections and say 5 files pay where 1 does: a window of files
                # that hardly wait for the server takes the limit back to 1.
                self._files.jump(1, hold_windows=RARE_CUT_HOLD_WINDOWS)
                log.info(
                    "concurrency now %s; at %d files a file waited less for the server than its CPU time",
                    self._status(AUTOMATIC).describe(),
                    measured_at,
                )
            elif climber.window(goodput):
                log.info(
                    "concurrency now %s; %s estimated at %d %s",
                    self._status(AUTOMATIC).describe(),
                    format_speed(goodput),
                    measured_at,
                    "parts" if big_file else "files",
                )
            self._samples[big_file] = _Samples(since=ended_at)
            return self._fixed_files is None and self._files.limit > files_before

    def _opening_file(self, waited_s: float, cpu_s: float, ended_at: float) -> bool:
        """One of the first small files (lock held): after ``START_FILES``, the files
        limit jumps to the median of ``1 + waited / CPU`` (see the module's docstring)."""
        ratios = self._opening_ratios
        assert ratios is not None
        # Part of the wait was for the GIL, while the other opening files ran their
        # CPU: a client that is its own bottleneck waits (START_FILES - 1) CPU times.
        ratios.append(max(1.0, 1 + waited_s / max(cpu_s, 1e-4) - (START_FILES - 1)))
        if len(ratios) < START_FILES:
            return False
        self._opening_ratios = None
        files_before = self._files.limit
        median = sorted(ratios)[len(ratios) // 2]
        # Below 2, a file waited less than its own CPU time for the server: the
        # client is its own bottleneck (loopback), and a trial of more files only
        # costs CPU, GIL hand-offs above all. 1,000 files of 16 KiB to the local
        # server tried 2 files in one window of three and were no sooner done;
        # holding longer took their CPU from 1.26 to 1.13 s (medians of 10 runs).
        # The first trial then waits as long as a cut that rarely pays, from one file:
        # rounding a median of 1.5-1.9 up held 2 files at once for the whole of such
        # a run, a fifth more CPU than 1 for the same wall time (1,000 files of
        # 16 KiB to the local server: 1.39 s against 1.19 s, medians of 6 runs).
        client_bound = median < 2
        self._files.jump(
            1 if client_bound else round(median),
            hold_windows=RARE_CUT_HOLD_WINDOWS if client_bound else FIRST_HOLD_WINDOWS,
        )
        self._samples[False] = _Samples(since=ended_at)
        log.info(
            "concurrency now %s; a file waited %.1f times its CPU time for the server",
            self._status(AUTOMATIC).describe(),
            median - 1,
        )
        return self._files.limit > files_before


def _within_bandwidth(parts: int, bandwidth_limit_bytes_per_s: int) -> int:
    """``parts`` in flight, held to what the bandwidth limit feeds (``MIN_PART_RATE``)."""
    if not bandwidth_limit_bytes_per_s:
        return parts
    return min(parts, max(2, -(-bandwidth_limit_bytes_per_s // MIN_PART_RATE)))
