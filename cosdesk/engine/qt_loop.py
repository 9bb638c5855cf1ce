"""The engine's loop under Qt (``engine/loop.py``): the window's, and a test's with
a Qt event loop. Calls and timers run in the thread that made it (the GUI
thread), and the queue's worker threads are QThreadPool threads.
"""

from __future__ import annotations

import atexit
import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThread, QThreadPool, QTimer, Signal

from cosdesk.engine import thread_pool
from cosdesk.engine.loop import Callback, LoopTimer


class QtLoop(QObject):
    """A :class:`~cosdesk.engine.loop.Loop` on Qt's event loop."""

    # A call posted from any thread, run on this object's thread.
    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Queued even from its own thread: call_soon runs after what runs now.
        self._posted.connect(self._run_posted, Qt.ConnectionType.QueuedConnection)
        self._app: QCoreApplication | None = None

    @classmethod
    def for_command_line(cls) -> QtLoop:
        """A loop a command runs (:meth:`run`), with the application Qt's loop
        needs: the one there is, or one made here and kept as long as the loop."""
        app = QCoreApplication.instance() or QCoreApplication([sys.argv[0]])
        loop = cls()
        loop._app = app
        return loop

    def in_thread(self) -> bool:
        return QThread.currentThread() is self.thread()

    def call_soon(self, call: Callback) -> None:
        self._posted.emit(call)

    def timer(self, call: Callback, *, single_shot: bool) -> LoopTimer:
        return _QtTimer(self, call, single_shot)

    def start_thread(self, run: Callback, name: str) -> None:
        _carriers().start(_Carried(run))

    def run(self) -> None:
        """A command line's loop: the application's, until :meth:`stop`."""
        app = self._app or QCoreApplication.instance()
        assert app is not None, "a command's loop is made by for_command_line()"
        # Python runs signal handlers (Ctrl-C) only between bytecodes: a timer
        # makes sure the interpreter gets control regularly while Qt's loop waits.
        heartbeat = QTimer()
        heartbeat.timeout.connect(lambda: None)
        heartbeat.start(200)
        try:
            app.exec()
        finally:
            heartbeat.stop()

    def stop(self) -> None:
        QCoreApplication.quit()

    def _run_posted(self, call: Callback) -> None:
        call()


class _QtTimer:
    def __init__(self, parent: QObject, call: Callback, single_shot: bool) -> None:
        self._timer = QTimer(parent)
        self._timer.setSingleShot(single_shot)
        self._timer.timeout.connect(call)

    def start(self, interval_s: float) -> None:
        self._timer.start(max(0, round(interval_s * 1000)))

    def stop(self) -> None:
        self._timer.stop()

    def is_active(self) -> bool:
        return self._timer.isActive()

    def remaining_s(self) -> float:
        return max(0, self._timer.remainingTime()) / 1000


class _Carried(QRunnable):
    """A thread pool's whole job loop, on one Qt pool thread."""

    def __init__(self, run: Callable[[], object]) -> None:
        super().__init__()
        self._run = run

    def run(self) -> None:
        self._run()


_carrier_pool: QThreadPool | None = None
_carrier_lock = threading.Lock()


def _carriers() -> QThreadPool:
    """The Qt pool that carries every job loop, made once and never deleted: a Qt
    pool deleted (by Python's collector, with the queue that owned it) while a
    loop still ran its last lines crashed the process. It never limits anything
    (each ThreadPool keeps its own maxThreadCount); its threads stay for reuse."""
    global _carrier_pool
    with _carrier_lock:
        if _carrier_pool is None:
            _carrier_pool = QThreadPool()
            _carrier_pool.setObjectName("cosdesk-jobs")
            _carrier_pool.setMaxThreadCount(1024)
            atexit.register(_end_loops)
        return _carrier_pool


def _end_loops() -> None:
    """At exit, while threads can still run Python: idle loops end at once and the
    carrier waits a moment for them (a Qt thread left in a loop would run Python
    after the interpreter's teardown)."""
    thread_pool.close_all()
    if _carrier_pool is not None:
        _carrier_pool.waitForDone(2000)
