"""Thread pools whose workers can run below normal priority, so that the window's
GUI thread gets the CPU and the GIL first (see ``engine/thread_priority.py``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool

from cosdesk.engine.thread_priority import RENICE_THREADS, lower_this_thread

log = logging.getLogger(__name__)


class _Lowered(QRunnable):
    """Runs ``inner`` after lowering the pool thread it landed on."""

    def __init__(self, inner: QRunnable) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._inner = inner

    def run(self) -> None:
        lower_this_thread()
        self._inner.run()


class WorkerPool(QThreadPool):
    """A QThreadPool; with ``background=True`` its threads run below normal
    priority (the window's engine; the command line wants every cycle)."""

    def __init__(self, parent: QObject | None = None, *, background: bool = False) -> None:
        super().__init__(parent)
        self._renice = background and RENICE_THREADS
        if background and not RENICE_THREADS:
            # Below normal on Windows, a lower pthread priority on macOS.
            self.setThreadPriority(QThread.Priority.LowPriority)

    def start(self, runnable: QRunnable, priority: int = 0) -> None:  # type: ignore[override]
        super().start(_Lowered(runnable) if self._renice else runnable, priority)


class BackgroundCall(QRunnable):
    """Runs a function on a pool thread, logging what it raises (a pool thread
    has no caller to hand an exception to, nor a result)."""

    def __init__(self, work: Callable[[], object]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._work = work

    def run(self) -> None:
        try:
            self._work()
        except Exception:
            log.exception("background work failed")
