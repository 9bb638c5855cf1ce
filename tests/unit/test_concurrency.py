"""The concurrency controller (engine/concurrency.py) on links described by a
function: goodput as a function of requests in flight, as a link would answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cosdesk.engine.concurrency import (
    MAX_REQUESTS,
    RARE_CUT_HOLD_WINDOWS,
    START_FILES,
    START_PARTS,
    WINDOW_S,
    ConcurrencyTuner,
    HillClimber,
)
from cosdesk.engine.options import AUTOMATIC

MB = 1_000_000
MiB = 1024 * 1024


def settle(climber: HillClimber, goodput_at: Callable[[int], float], windows: int = 60) -> list[int]:
    """Feed ``windows`` windows; the limits it went through."""
    limits = []
    for _ in range(windows):
        climber.window(goodput_at(climber.limit))
        limits.append(climber.limit)
    return limits


def link(per_request: float, ceiling: float) -> Callable[[int], float]:
    """Each request in flight moves ``per_request`` until the link's ``ceiling``."""
    return lambda in_flight: min(ceiling, in_flight * per_request)


def test_it_climbs_while_goodput_grows_and_stops_near_where_the_link_is_full() -> None:
    climber = HillClimber(start=2)
    limits = settle(climber, link(per_request=1.25 * MB, ceiling=12.5 * MB))  # 10 requests fill it
    # Within a few windows it is past the knee; it never sits far below it again.
    assert max(limits[:6]) >= 10
    assert min(limits[10:]) >= 8
    assert climber.limit <= MAX_REQUESTS


def test_requests_that_stop_paying_are_given_back() -> None:
    # One request fills this link (a home uplink with no per-connection ceiling).
    climber = HillClimber(start=12)
    limits = settle(climber, link(per_request=3 * MB, ceiling=2.5 * MB))
    assert climber.limit < 12
    assert sum(limits[-20:]) / 20 < 8


def test_a_link_that_gets_slower_per_request_is_followed_up() -> None:
    climber = HillClimber(start=4)
    settle(climber, link(per_request=5 * MB, ceiling=20 * MB))
    before = climber.limit
    settle(climber, link(per_request=1 * MB, ceiling=20 * MB), windows=200)  # latency went up
    assert climber.limit > before
    assert climber.limit >= 14


def test_fixed_limits_are_kept_whatever_the_goodput() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=3)
    for index in range(50):
        tuner.request_done(16_384, index * 0.1, index * 0.1 + 0.01, big_file=False)
    assert tuner.files_limit() == 3
    assert tuner.parts_limit(4, big_files_running=2, small_files_running=0) == 4
    assert tuner.status(4).describe().startswith("files 3, parts 4,")


def test_automatic_parts_are_shared_by_the_big_files_within_the_connections() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    assert tuner.parts_limit(AUTOMATIC, big_files_running=1, small_files_running=0) == START_PARTS
    assert tuner.parts_limit(AUTOMATIC, big_files_running=2, small_files_running=0) == START_PARTS // 2
    # Never fewer than one part, however many files share the connections.
    assert tuner.parts_limit(AUTOMATIC, big_files_running=3, small_files_running=MAX_REQUESTS) == 1
    status = tuner.status()
    assert status.files_automatic and status.parts_automatic


def test_automatic_parts_stay_few_under_a_low_bandwidth_limit() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    assert tuner.parts_limit(AUTOMATIC, 1, 0, bandwidth_limit_bytes_per_s=420 * 1024) == 2
    assert tuner.parts_limit(AUTOMATIC, 1, 0, bandwidth_limit_bytes_per_s=2 * MiB) == 8
    assert tuner.parts_limit(AUTOMATIC, 1, 0, bandwidth_limit_bytes_per_s=40 * MiB) == START_PARTS
    assert tuner.parts_limit(3, 1, 0, bandwidth_limit_bytes_per_s=420 * 1024) == 3  # fixed: as chosen
    assert tuner.status(bandwidth_limit_bytes_per_s=420 * 1024).parts == 2  # what -v and the details say


def run_parts(tuner: ConcurrencyTuner, seconds_per_part: Callable[[int], float], parts: int) -> list[int]:
    """Send ``parts`` parts of 2 MB, as many at once as the tuner allows, each taking
    ``seconds_per_part(in flight)``; a part starts when one ends. The limit at each start."""
    now = 0.0
    running: list[tuple[float, float]] = []  # (ends at, started at)
    limits = []
    for _ in range(parts):
        limit = tuner.parts_limit(AUTOMATIC, big_files_running=1, small_files_running=0)
        limits.append(limit)
        while len(running) >= limit:
            running.sort()
            ended_at, started_at = running.pop(0)
            now = max(now, ended_at)
            tuner.request_done(2 * MB, started_at, ended_at, big_file=True)
        running.append((now + seconds_per_part(limit), now))
    return limits


def test_parts_tune_to_the_per_connection_ceiling_and_leave_the_files_limit_alone() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    files_before = tuner.files_limit()
    # 1.25 MB/s per connection, 12.5 MB/s in all: 10 parts fill the link.
    limits = run_parts(tuner, lambda in_flight: 2 * MB / min(1.25 * MB, 12.5 * MB / in_flight), parts=200)
    # Past the knee within the first tens of parts, and mostly there after (a cut is tried now and then).
    assert max(limits[:40]) >= 10
    assert sorted(limits[100:])[50] >= 10
    assert tuner.files_limit() == files_before


def test_parts_that_share_a_full_uplink_stay_at_the_most() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    # No per-connection ceiling: one part fills the 2.5 MB/s link alone. A cut
    # would not show in goodput here, but on a real link each part's round trip of
    # idle time makes it cost a few percent (engine/concurrency.py).
    limits = run_parts(tuner, lambda in_flight: 2 * MB / (2.5 * MB / in_flight), parts=300)
    assert min(limits[20:]) == MAX_REQUESTS


def test_parts_that_do_worse_together_are_given_back() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)

    # A loaded client: each part in flight beyond two costs the others 4 % of the
    # 100 MB/s the machine can move.
    def seconds(in_flight: int) -> float:
        return 2 * MB / (100 * MB * (1 - 0.04 * max(0, in_flight - 2)) / in_flight)

    limits = run_parts(tuner, seconds, parts=600)
    # Cuts are tried late (each costs its windows where it does not pay), then kept.
    assert max(limits[-50:]) < START_PARTS


def test_the_rate_shown_is_what_was_reported_sent_over_the_last_window() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    tuner.record(0, now=0.0)
    for step in range(1, 11):
        tuner.record(MB // 10, now=step * WINDOW_S / 10)
    assert tuner.status().goodput_bytes_per_s == pytest.approx(MB / WINDOW_S, rel=0.01)


def open_with_small_files(tuner: ConcurrencyTuner, cpu_s: float, server_s: float) -> list[int]:
    """The first small files, sent at once, each spending ``cpu_s`` of its job's CPU
    and waiting ``server_s`` for the server, and for the GIL while the others run
    their CPU; the files limit after each."""
    waited_s = server_s + (START_FILES - 1) * cpu_s
    limits = []
    for index in range(START_FILES):
        ended_at = cpu_s + waited_s + index * 1e-4
        tuner.request_done(16_384, 0.0, ended_at, big_file=False, cpu_s=cpu_s, waited_s=waited_s)
        limits.append(tuner.files_limit())
    return limits


def test_small_files_jump_to_the_most_at_once_when_they_mostly_wait_for_a_round_trip() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    assert tuner.files_limit() == START_FILES
    # 30 ms of round trip against a millisecond of CPU: dozens would keep the client busy.
    limits = open_with_small_files(tuner, cpu_s=0.001, server_s=0.030)
    assert limits == [START_FILES] * (START_FILES - 1) + [MAX_REQUESTS]


def test_the_first_files_say_how_many_pay_on_a_slow_uplink() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    # The home link: 20 ms of round trip and the file's own time on a 2.5 MB/s
    # uplink, against 2 ms of CPU.
    limits = open_with_small_files(tuner, cpu_s=0.002, server_s=0.028)
    assert limits[-1] == 15


def test_small_files_stay_few_at_once_when_the_server_answers_as_fast_as_the_client_works() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    # Loopback: a file waits about its CPU for the server; 2 hide the server's time.
    limits = open_with_small_files(tuner, cpu_s=0.001, server_s=0.001)
    assert limits[-1] == 2


def small_file_windows(tuner: ConcurrencyTuner, windows: int, goodput: float) -> list[int]:
    """Feed ``windows`` windows of small files after the opening, moving ``goodput``
    whatever the limit (a client that is its own bottleneck: files at once share
    its CPU); the files limit after each window."""
    limits = []
    now = 1.0  # when the last window ended
    for _ in range(windows):
        limit = tuner.files_limit()
        per_file_s = limit * 16_384 / goodput  # Little's law gives ``goodput`` back
        for index in range(max(3, limit // 2) - 1):
            started_at = now + 1e-3 * (index + 1)
            tuner.request_done(16_384, started_at, started_at + per_file_s, big_file=False, cpu_s=1e-3)
        now += WINDOW_S + per_file_s  # this file ends the window
        tuner.request_done(16_384, now - per_file_s, now, big_file=False, cpu_s=1e-3)
        limits.append(tuner.files_limit())
    return limits


def test_a_client_that_is_its_own_bottleneck_waits_before_it_tries_more_files() -> None:
    # Loopback: the opening files hardly waited for the server, only for each other.
    bound = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    assert open_with_small_files(bound, cpu_s=0.001, server_s=0.0)[-1] == 1
    # Nearly its CPU (a median of 1.9 files): one at a time all the same, not 2.
    nearly = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    assert open_with_small_files(nearly, cpu_s=0.001, server_s=0.0009)[-1] == 1
    limits = small_file_windows(bound, RARE_CUT_HOLD_WINDOWS + 2, goodput=10 * MiB)
    assert limits[: RARE_CUT_HOLD_WINDOWS - 1] == [1] * (RARE_CUT_HOLD_WINDOWS - 1)
    assert max(limits) == 2  # tried later all the same
    # A link where a file waits a little longer than its CPU: more are tried at once.
    waiting = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    assert open_with_small_files(waiting, cpu_s=0.001, server_s=0.0012)[-1] == 2
    assert small_file_windows(waiting, 2, goodput=10 * MiB)[0] == 3


def test_files_that_sent_no_put_do_not_decide_where_the_files_limit_starts() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    for index in range(START_FILES * 2):  # skipped: the key existed, nothing was sent
        tuner.request_done(0, index * 0.01, index * 0.01 + 0.005, big_file=False, cpu_s=0.001)
    assert tuner.files_limit() == START_FILES
    assert open_with_small_files(tuner, cpu_s=0.001, server_s=0.030)[-1] == MAX_REQUESTS


def a_window_of_five_files(tuner: ConcurrencyTuner, server_s: float) -> None:
    """One window of 5 small files, each spending 1 ms of CPU and waiting for the
    other 4 files' CPU and ``server_s`` for the server."""
    cpu_s, waited_s = 0.001, 4 * 0.001 + server_s
    now = 1.0
    for _ in range(5):
        now += WINDOW_S / 4
        started_at = now - cpu_s - waited_s
        tuner.request_done(16_384, started_at, now, big_file=False, cpu_s=cpu_s, waited_s=waited_s)


def test_files_that_stop_waiting_for_the_server_go_back_to_one_at_a_time() -> None:
    tuner = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    # The opening files waited on a server busy opening their connections: 5 at once.
    assert open_with_small_files(tuner, cpu_s=0.001, server_s=0.0039)[-1] == 5
    # Then each waits half its CPU for the server: the client is its own bottleneck.
    a_window_of_five_files(tuner, server_s=0.0005)
    assert tuner.files_limit() == 1
    # Where the server keeps each file waiting longer than its CPU, 5 stay.
    waiting = ConcurrencyTuner(file_parallel_limit=AUTOMATIC)
    assert open_with_small_files(waiting, cpu_s=0.001, server_s=0.0039)[-1] == 5
    a_window_of_five_files(waiting, server_s=0.003)
    assert waiting.files_limit() >= 5
