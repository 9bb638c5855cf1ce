"""Worker pools for the window run their threads below the GUI thread's priority;
the command line's run at full priority."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import pytest
from PySide6.QtCore import QRunnable

from cosdesk.engine.thread_priority import WORKER_NICE_INCREMENT
from cosdesk.engine.worker_pool import WorkerPool

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")


class _ReportNice(QRunnable):
    def __init__(self, seen: list[int]) -> None:
        super().__init__()
        self._seen = seen

    def run(self) -> None:
        self._seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))


def _nice_seen_by_jobs(pool: WorkerPool, jobs: int) -> list[int]:
    seen: list[int] = []
    for _ in range(jobs):
        pool.start(_ReportNice(seen))
    assert pool.waitForDone(5000)
    return seen


def test_a_background_pool_runs_its_jobs_below_the_process_priority(qtbot: Any) -> None:
    base = os.getpriority(os.PRIO_PROCESS, os.getpid())
    pool = WorkerPool(background=True)
    pool.setMaxThreadCount(2)
    seen = _nice_seen_by_jobs(pool, 6)
    assert seen == [min(base + WORKER_NICE_INCREMENT, 19)] * 6
    # The caller's thread (the GUI's, in the window) keeps its priority.
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base


def test_an_ordinary_pool_leaves_priorities_alone(qtbot: Any) -> None:
    base = os.getpriority(os.PRIO_PROCESS, os.getpid())
    assert _nice_seen_by_jobs(WorkerPool(), 4) == [base] * 4
