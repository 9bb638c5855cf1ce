"""The load scenario, shared by the default suite (2,000 files) and the bench (10,000)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psutil
from PySide6.QtCore import QElapsedTimer, QTimer

from cosdesk.engine.gc_pacer import GcPacer
from cosdesk.engine.queue import FileToAdd, UploadQueue
from cosdesk.engine.task import TaskState
from support.workloads import BUCKET

MiB = 1024 * 1024


def run_small_files(
    qtbot: Any, engine: UploadQueue, folder: Path, count: int, *, timeout_s: float
) -> dict[str, float]:
    """Queue ``count`` small files at once and run the Qt loop until all are done,
    with a 10 ms QTimer on the GUI thread recording the longest gap between ticks
    and the process's RSS."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(count):
        path = folder / f"{index:05d}.txt"
        path.write_bytes(f"small file {index}\n".encode() * (index % 40 + 1))
        files.append(path)
    process = psutil.Process()
    rss_before = process.memory_info().rss
    peak_rss = rss_before
    clock = QElapsedTimer()
    clock.start()
    last_tick = clock.elapsed()
    max_gap_ms = 0

    def tick() -> None:
        nonlocal last_tick, max_gap_ms, peak_rss
        now = clock.elapsed()
        max_gap_ms = max(max_gap_ms, now - last_tick)
        last_tick = now
        if now % 200 < 10:
            peak_rss = max(peak_rss, process.memory_info().rss)

    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(tick)
    heartbeat.start()
    # As the window does: collect garbage from the Qt thread, fully only when idle.
    pacer = GcPacer(is_quiet=engine.is_idle)
    engine.idle.connect(pacer.collect_when_quiet)
    started = time.monotonic()
    task_ids = engine.add_files([FileToAdd(str(path), f"load/{path.name}") for path in files], BUCKET)
    succeeded = 0

    def all_done() -> bool:
        nonlocal succeeded
        batch = engine.batch()
        succeeded = batch.succeeded
        return batch.succeeded + batch.failed == count and batch.waiting + batch.running == 0

    try:
        qtbot.waitUntil(all_done, timeout=int(timeout_s * 1000))
    finally:
        pacer.stop()
        engine.idle.disconnect(pacer.collect_when_quiet)
    elapsed = time.monotonic() - started
    heartbeat.stop()
    peak_rss = max(peak_rss, process.memory_info().rss)
    states = {engine.task(task_id).state for task_id in task_ids}  # type: ignore[union-attr]
    return {
        "files": count,
        "succeeded": succeeded,
        "all_success": float(states == {TaskState.SUCCESS}),
        "elapsed_s": elapsed,
        "max_gap_ms": max_gap_ms,
        "rss_before_mib": rss_before / MiB,
        "rss_growth_mib": (peak_rss - rss_before) / MiB,
    }
