"""The queue's thread pools: jobs in order, at most so many at once, on threads
(Python's, or Qt pool threads under the window) that keep their Python state
from job to job."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

import pytest

from cosdesk.engine import thread_pool
from cosdesk.engine.qt_loop import QtLoop
from cosdesk.engine.thread_pool import StartThread, ThreadPool, python_thread
from cosdesk.engine.thread_priority import WORKER_NICE_INCREMENT


class Call:
    def __init__(self, function: Callable[[], None]) -> None:
        self._function = function

    def run(self) -> None:
        self._function()


@pytest.fixture(params=["python threads", "qt pool threads"])
def start_thread(request: pytest.FixtureRequest) -> StartThread:
    return python_thread if request.param == "python threads" else QtLoop().start_thread


def test_jobs_run_in_the_order_started(start_thread: StartThread) -> None:
    pool = ThreadPool("test-pool", start_thread=start_thread)
    started: list[int] = []
    for number in range(6):
        pool.start(Call(lambda number=number: started.append(number)))
    assert pool.waitForDone(5000)
    assert started == [0, 1, 2, 3, 4, 5]


def test_no_more_jobs_run_at_once_than_allowed(start_thread: StartThread) -> None:
    pool = ThreadPool("test-pool", start_thread=start_thread)
    pool.setMaxThreadCount(2)
    lock = threading.Lock()
    running = most_at_once = 0
    release = threading.Event()

    def job() -> None:
        nonlocal running, most_at_once
        with lock:
            running += 1
            most_at_once = max(most_at_once, running)
        release.wait(5)
        with lock:
            running -= 1

    for _ in range(6):
        pool.start(Call(job))
    assert not pool.waitForDone(100)  # two are holding on, the others wait
    assert pool.activeThreadCount() == 2
    release.set()
    assert pool.waitForDone(5000)
    assert most_at_once == 2 and pool.activeThreadCount() == 0


def test_raising_the_limit_starts_waiting_jobs_at_once(start_thread: StartThread) -> None:
    pool = ThreadPool("test-pool", start_thread=start_thread)
    release = threading.Event()
    both_running = threading.Barrier(2, timeout=5)

    def job() -> None:
        both_running.wait()
        release.wait(5)

    pool.start(Call(job))
    pool.start(Call(job))
    pool.setMaxThreadCount(2)
    release.set()
    assert pool.waitForDone(5000)


def test_a_thread_keeps_its_state_from_one_job_to_the_next(start_thread: StartThread) -> None:
    # Qt's pool threads got a new Python thread state, and lost their locals, per job.
    pool = ThreadPool("test-pool", start_thread=start_thread)
    local = threading.local()
    seen: list[int] = []

    def job() -> None:
        local.count = getattr(local, "count", 0) + 1
        seen.append(local.count)

    for _ in range(3):
        pool.start(Call(job))
    assert pool.waitForDone(5000)
    assert seen == [1, 2, 3]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
@pytest.mark.parametrize("background", [True, False])
def test_a_background_pool_runs_its_jobs_below_the_process_priority(
    background: bool, start_thread: StartThread
) -> None:
    base = os.getpriority(os.PRIO_PROCESS, os.getpid())
    pool = ThreadPool("test-pool", background=background, start_thread=start_thread)
    pool.setMaxThreadCount(2)
    seen: list[int] = []
    for _ in range(4):
        pool.start(Call(lambda: seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))))
    assert pool.waitForDone(5000)
    expected = min(base + WORKER_NICE_INCREMENT, 19) if background else base
    assert seen == [expected] * 4
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base


def test_an_idle_thread_ends_after_the_idle_timeout(
    monkeypatch: pytest.MonkeyPatch, start_thread: StartThread
) -> None:
    monkeypatch.setattr(thread_pool, "IDLE_TIMEOUT_S", 0.05)
    pool = ThreadPool("test-idle-pool", start_thread=start_thread)
    pool.setMaxThreadCount(2)
    for _ in range(4):
        pool.start(Call(lambda: None))
    assert pool.waitForDone(5000)
    wait_until_no_thread_is_alive(pool)
    pool.start(Call(lambda: None))  # a new thread takes the next job
    assert pool.waitForDone(5000)


def test_closing_ends_the_idle_threads_at_once_and_later_jobs_still_run(start_thread: StartThread) -> None:
    pool = ThreadPool("test-closing-pool", start_thread=start_thread)  # idle threads would live 30 s
    pool.setMaxThreadCount(3)
    for _ in range(6):
        pool.start(Call(lambda: time.sleep(0.01)))
    assert pool.waitForDone(5000)
    assert pool.threads_alive() > 0
    pool.close()
    wait_until_no_thread_is_alive(pool)
    ran = threading.Event()
    pool.start(Call(ran.set))
    assert ran.wait(5) and pool.waitForDone(5000)
    wait_until_no_thread_is_alive(pool)


def wait_until_no_thread_is_alive(pool: ThreadPool) -> None:
    deadline = time.monotonic() + 5
    while pool.threads_alive():
        assert time.monotonic() < deadline, f"{pool.threads_alive()} thread(s) still alive"
        time.sleep(0.01)
