"""Python's cyclic garbage collector, paced from the Qt thread.

Left alone, the collector runs whenever an allocation count trips it, on whichever
thread allocated; a full (oldest-generation) collection walks every live object
while holding the GIL. With tens of thousands of tasks that is 100 ms and more in
which no thread runs, the GUI's included. Measured here: 18 full collections over
20 ms, the worst 146 ms, while 2,000 small files uploaded.

The pacer turns automatic collection off and collects the young generations on a
short timer, often enough that each pass stays small: the middle generation every
2 s took 17-43 ms while 10,000 rows loaded in the window, every 0.3 s at most 9 ms
(the same work, in smaller pieces). A pass's work grows with the objects made
since that are still alive: a million files added at 15,000 a second made the
middle generation every 0.3 s take up to 65 ms, so it is collected every 0.1 s
(the young one every 0.05 s). The oldest generation is collected only once
the queue has stayed idle for ``quiet_s`` (a lull between two files is not
idleness), or at most every ``full_every_s`` during a long run; neither while
the window is adding files (``also_quiet_when``): a drop's entries are a
million objects the collector walks while they live, 0.4-0.6 s of the GUI
thread in one collection with a million files being added.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Slot


class GcPacer(QObject):
    def __init__(
        self,
        parent: QObject | None = None,
        *,
        young_every_ms: int = 50,
        middle_every: int = 2,
        full_every_s: float = 600.0,
        quiet_s: float = 2.0,
        is_quiet: Callable[[], bool] = lambda: True,
    ) -> None:
        super().__init__(parent)
        self._is_quiet = is_quiet
        # What must also hold for any full collection (the window is not adding files).
        self._full_allowed: list[Callable[[], bool]] = []
        self._middle_every = middle_every
        self._full_every_s = full_every_s
        self._ticks = 0
        self._last_full = time.monotonic()
        self._was_enabled = gc.isenabled()
        gc.disable()
        # What lives now is the program itself (modules, classes, functions: about
        # 50,000 objects in the window) and lives as long: out of every later walk.
        # A full collection costs a few hundred nanoseconds an object, scattered as
        # they are through a big heap; with a million files queued, these were
        # 40% of the walk (ARCHITECTURE.md, "Tasks at rest"). Not collected first:
        # the imports leave few cycles, and a collection here, where the tests
        # open one window after another, made them wait for the last ones' ends.
        gc.freeze()
        self._timer = QTimer(self)
        self._timer.setInterval(young_every_ms)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._quiet_timer = QTimer(self)
        self._quiet_timer.setSingleShot(True)
        self._quiet_timer.setInterval(int(quiet_s * 1000))
        self._quiet_timer.timeout.connect(self._collect_if_still_quiet)

    @Slot()
    def _tick(self) -> None:
        self._ticks += 1
        if time.monotonic() - self._last_full > self._full_every_s and self._may_collect_all():
            self.collect_all()
        elif self._ticks % self._middle_every == 0:
            gc.collect(1)
        else:
            gc.collect(0)

    @Slot()
    def collect_when_quiet(self) -> None:
        """Connect the queue's ``idle`` signal here: a full collection follows if
        ``is_quiet()`` still holds ``quiet_s`` later."""
        self._quiet_timer.start()

    def also_quiet_when(self, check: Callable[[], bool]) -> None:
        """Count as quiet only when ``check()`` holds too, and hold the periodic
        full collection back until it does: the window adds files between the
        queue's idle moments, and a full collection among a big drop's objects
        stalled it for 0.2 s per 300,000 files."""
        self._full_allowed.append(check)

    def _may_collect_all(self) -> bool:
        return all(check() for check in self._full_allowed)

    @Slot()
    def _collect_if_still_quiet(self) -> None:
        if self._is_quiet() and self._may_collect_all():
            self.collect_all()

    def collect_all(self) -> None:
        """A full collection, now."""
        gc.collect()
        self._last_full = time.monotonic()

    def stop(self) -> None:
        """Stop pacing and give collection back to Python (as it was before)."""
        self._timer.stop()
        self._quiet_timer.stop()
        gc.unfreeze()
        if self._was_enabled:
            gc.enable()
