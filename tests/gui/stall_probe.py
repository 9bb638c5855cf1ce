"""Measuring how long the GUI thread stops answering: a 10 ms QTimer records the
longest gap between its ticks (a stall of the event loop shows as a long gap)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Slot

from cosdesk.engine.task import TaskState

TICK_MS = 10


class StallProbe(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.longest_gap_s = 0.0
        # Of the longest gap, the GUI thread's own CPU time: the rest it waited
        # (for the GIL, or for a CPU other processes held).
        self.longest_gap_cpu_s = 0.0
        # Of the longest gap, the CPU time of the whole process (its other threads:
        # little means the machine's other processes had the CPUs).
        self.longest_gap_process_cpu_s = 0.0
        self.ticks = 0
        self._last: float | None = None
        self._last_cpu = self._last_process_cpu = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._last_cpu, self._last_process_cpu = time.thread_time(), time.process_time()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @Slot()
    def _tick(self) -> None:
        now, cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
        if self._last is not None and now - self._last > self.longest_gap_s:
            self.longest_gap_s, self.longest_gap_cpu_s = now - self._last, cpu - self._last_cpu
            self.longest_gap_process_cpu_s = process_cpu - self._last_process_cpu
        self._last, self._last_cpu, self._last_process_cpu = now, cpu, process_cpu
        self.ticks += 1

    @property
    def longest_stall_ms(self) -> float:
        """The longest gap beyond the timer's own interval."""
        return max(0.0, self.longest_gap_s * 1000 - TICK_MS)


def run_ten_thousand_rows(driver: Any, tmp_path: Path, big_file_mib: int = 40) -> dict[str, float]:
    """Three big files upload at full speed while a folder of 10,000 small files is
    dropped behind them; returns the longest GUI stall while the rows load and run."""
    window = driver.window
    many = tmp_path / "many"
    many.mkdir()
    for number in range(10_000):
        (many / f"file-{number:05d}.txt").write_bytes(b"x" * 16)
    chunk = b"\0" * (1024 * 1024)
    bigs = []
    for number in range(3):
        path = tmp_path / f"big-{number}.bin"
        with open(path, "wb") as handle:
            for _ in range(big_file_mib):
                handle.write(chunk)
        bigs.append(str(path))

    probe = StallProbe()
    probe.start()
    started = time.perf_counter()
    window.add_paths(bigs)
    driver.qtbot.waitUntil(
        lambda: any(s.state is TaskState.UPLOADING for s in driver.snapshots()), timeout=20_000
    )
    window.add_paths([str(many)])
    driver.qtbot.waitUntil(
        lambda: window.model.rowCount() >= 10_003 and window.model.is_settled(), timeout=60_000
    )
    loaded_s = time.perf_counter() - started
    # Scroll through the table while the big files are still going.
    bar = window.table.verticalScrollBar()
    for step in range(20):
        bar.setValue(bar.maximum() * step // 19)
        driver.qtbot.wait(20)
    driver.qtbot.waitUntil(
        lambda: sum(1 for row in range(3) if window.model.snapshot_at(row).state is TaskState.SUCCESS) == 3,
        timeout=60_000,
    )
    driver.qtbot.wait(500)  # and a few ticks while the small ones start
    probe.stop()
    window.pause_all_action.trigger()
    return {
        "longest_stall_ms": probe.longest_stall_ms,
        "longest_stall_cpu_ms": probe.longest_gap_cpu_s * 1000,
        "longest_stall_process_cpu_ms": probe.longest_gap_process_cpu_s * 1000,
        "rows_loaded_s": loaded_s,
        "ticks": probe.ticks,
    }
