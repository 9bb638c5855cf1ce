"""The thread pool the queue runs its jobs on: each thread runs a loop of jobs
rather than one job.

Its threads come from the loop the queue lives in (``Loop.start_thread``,
``engine/loop.py``): Python's own under a command line, QThreadPool threads
under the window (``engine/qt_loop.py``). A QThreadPool thread is foreign to
Python: a QRunnable run on one gets a new Python thread state and gives it
back at its end (a memory mapping made and unmapped, the thread's ids asked
again, every ``threading.local`` lost). With three small files at once, one
runnable per job made that about a tenth of a file's CPU, most of it system
time. Here each thread runs one long loop that takes job after job, so it
keeps its Python state for its whole life
(see ARCHITECTURE.md, 'Qt pool threads and Python').

:class:`ThreadPool` has the methods of ``QThreadPool`` that the queue and its
tests use (``start``, ``setMaxThreadCount``, ``maxThreadCount``,
``activeThreadCount``, ``waitForDone``). Its jobs are anything with ``run()``.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Protocol

from cosdesk.engine.thread_priority import lower_this_thread

log = logging.getLogger(__name__)

# An idle thread ends after this long, as QThreadPool's do.
IDLE_TIMEOUT_S = 30.0


class Job(Protocol):
    def run(self) -> None: ...


class Call:
    """A function as a job (what it raises is logged by the pool)."""

    __slots__ = ("_work",)

    def __init__(self, work: Callable[[], object]) -> None:
        self._work = work

    def run(self) -> None:
        self._work()


StartThread = Callable[[Callable[[], object], str], None]


def python_thread(run: Callable[[], object], name: str) -> None:
    """A daemon thread of Python's own: nothing of it is left at the interpreter's
    exit but a job still running, which the queue's shutdown has ended before."""
    threading.Thread(target=run, name=name, daemon=True).start()


# Every pool that may have loops alive, so that they all end before the interpreter does.
_pools: weakref.WeakSet[ThreadPool] = weakref.WeakSet()


def close_all() -> None:
    """Let the idle loops of every pool end at once (at exit: a loop left waiting
    would outlive the interpreter's teardown)."""
    for pool in list(_pools):
        pool.close()


class ThreadPool:
    """Runs jobs in the order they were started on at most ``maxThreadCount()``
    threads at once (1 until set), each made by ``start_thread`` when a job finds
    no idle one. With ``background=True`` its threads run below normal priority
    (the window's engine; see ``engine/thread_priority.py``). Thread-safe."""

    def __init__(
        self, name: str, *, background: bool = False, start_thread: StartThread = python_thread
    ) -> None:
        self._name = name
        self._background = background
        self._start_thread = start_thread
        self._lock = threading.Lock()
        self._job_waiting = threading.Condition(self._lock)
        self._all_done = threading.Condition(self._lock)
        self._jobs: deque[Job] = deque()
        self._max_threads = 1
        self._threads = 0  # alive
        self._idle = 0  # waiting for a job, and not yet woken for one
        self._running = 0  # running a job
        self._closing = False  # idle loops end at once (their owner shuts down)

    def activeThreadCount(self) -> int:
        """How many jobs are running now."""
        return self._running

    def threads_alive(self) -> int:
        """How many job loops are alive now (running a job or idle)."""
        return self._threads

    def maxThreadCount(self) -> int:
        return self._max_threads

    def setMaxThreadCount(self, count: int) -> None:
        with self._lock:
            self._max_threads = max(1, count)
            for _ in range(min(len(self._jobs), self._max_threads - self._running)):
                self._hand_out()

    def start(self, job: Job) -> None:
        """Run ``job`` as soon as fewer than maxThreadCount() jobs run."""
        with self._lock:
            self._jobs.append(job)
            self._hand_out()

    def waitForDone(self, msecs: int = -1) -> bool:
        """Wait until no job runs or waits (``msecs`` < 0: for ever); False on timeout."""
        deadline = None if msecs < 0 else time.monotonic() + msecs / 1000
        with self._lock:
            while self._jobs or self._running:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._all_done.wait(remaining)
        return True

    def close(self) -> None:
        """Let the idle loops end now rather than after IDLE_TIMEOUT_S (a Qt pool
        waits for its threads when it is deleted); jobs still waiting or started
        later run as before."""
        with self._lock:
            self._closing = True
            self._idle = 0  # every idle loop is woken: none is left to wake
            self._job_waiting.notify_all()

    def _hand_out(self) -> None:
        """Find a thread for one waiting job (lock held): wake an idle one, or
        make one if the pool may have another."""
        if self._running >= self._max_threads:
            return  # a thread that ends its job takes the next
        if self._idle:
            self._idle -= 1
            self._job_waiting.notify()
        elif self._threads < self._max_threads:
            self._threads += 1
            _pools.add(self)
            self._start_thread(self._work, self._name)

    def _work(self) -> None:
        if self._background:
            lower_this_thread()  # once: the thread stays ours
        while True:
            with self._lock:
                job = self._next_job()
                if job is None:
                    self._threads -= 1
                    return
                self._running += 1
            try:
                job.run()
            except Exception:
                log.exception("a job of the %s pool failed", self._name)
            finally:
                with self._lock:
                    self._running -= 1
                    if not self._running and not self._jobs:
                        self._all_done.notify_all()

    def _next_job(self) -> Job | None:
        """The next job for this thread (lock held), waiting up to IDLE_TIMEOUT_S
        for one; None when the thread should end (idle that long, or one thread
        too many after maxThreadCount() went down)."""
        while not self._jobs or self._running >= self._max_threads:
            if self._threads - self._idle > self._max_threads or (self._closing and not self._jobs):
                return None
            self._idle += 1
            woken = self._job_waiting.wait(IDLE_TIMEOUT_S)
            if not woken:
                self._idle -= 1  # a wake-up takes the thread off the idle count itself
                if not self._jobs:
                    return None
        return self._jobs.popleft()
