"""The window's commands to the queue (pause, resume, cancel, retry, clear, upload
again), run one after the other on a worker thread of their own.

On a million tasks one such command takes seconds of work, which the GUI thread
must not wait for. The queue does it a slice at a time under its lock
(``UploadQueue._selected_in_slices``), so the window's event tick still gets in
between, and the rows change as the slices go through. One thread keeps the
order the person gave: "Pause all" then "Start all" ends with everything
resumed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from PySide6.QtCore import QObject

from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.worker_pool import BackgroundCall, WorkerPool


class QueueCommands:
    def __init__(self, queue: UploadQueue, parent: QObject | None = None) -> None:
        self._queue = queue
        self._pool = WorkerPool(parent, background=True)
        self._pool.setMaxThreadCount(1)
        # Called on the caller's thread as each command is given (the window says
        # when commands wait for the last run's tasks: UploadQueue.restore_coming).
        self.on_given: Callable[[], None] | None = None

    def pause(self, task_ids: Iterable[str] | None = None) -> None:
        self._run(partial(self._queue.pause, _listed(task_ids)))

    def restart(self, task_ids: Iterable[str] | None = None) -> None:
        self._run(partial(self._queue.restart, _listed(task_ids)))

    def cancel(self, task_ids: Iterable[str] | None = None) -> None:
        self._run(partial(self._queue.cancel, _listed(task_ids)))

    def retry_failed(self) -> None:
        self._run(self._queue.retry_failed)

    def upload_again(self, task_ids: Iterable[str]) -> None:
        self._run(partial(self._queue.upload_again, list(task_ids)))

    def clear_finished(
        self, task_ids: Iterable[str] | None = None, on_cleared: Callable[[int], None] | None = None
    ) -> None:
        """``on_cleared``: told how many tasks went, on the worker thread, when done."""
        clear = partial(self._queue.clear_finished, _listed(task_ids))
        self._run(clear if on_cleared is None else partial(_clear_and_tell, clear, on_cleared))

    def wait(self, timeout_ms: int = -1) -> bool:
        """Wait until every command given so far is done (before the queue shuts
        down: a "Cancel all" given just before quitting must reach every task)."""
        return self._pool.waitForDone(timeout_ms)

    def _run(self, command: Callable[[], object]) -> None:
        if self.on_given is not None:
            self.on_given()
        self._pool.start(BackgroundCall(command))


def _clear_and_tell(clear: Callable[[], list[str]], on_cleared: Callable[[int], None]) -> None:
    removed: list[str] = []
    try:
        removed = clear()
    finally:  # told even when the clear failed: the window's note must not stay for ever
        on_cleared(len(removed))


def _listed(task_ids: Iterable[str] | None) -> list[str] | None:
    # Taken now, on the caller's thread: the caller may change its collection later.
    return None if task_ids is None else list(task_ids)
