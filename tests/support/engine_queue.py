"""An upload engine for tests: a queue on a real task database with its client
cache, and the waits a test needs on it (each runs the Qt event loop, as the
window does, until what it waits for holds or its timeout passes)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

from pytestqt.exceptions import TimeoutError as WaitTimedOut

from cosdesk.cos.auth import Credentials
from cosdesk.engine.clients import ClientCache
from cosdesk.engine.history import HistoryEntry, HistoryQuery, HistoryReader
from cosdesk.engine.options import EndpointSpec, QueueSettings
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import FileFinished, TaskSnapshot, TaskState

# A task in one of these states does nothing more by itself (an error may be
# retried later, but only by a timer or a person).
ENDED = frozenset({TaskState.SUCCESS, TaskState.ERROR, TaskState.CANCELED})

# What tests change in the queue's settings unless they say otherwise: retries come
# within half a second, not after the defaults' seconds.
QUICK_RETRIES: dict[str, Any] = {"retry_base_delay_s": 0.05, "retry_max_delay_s": 0.5}


class Engine:
    """``.queue`` on the database ``.store``, sending with the clients ``.clients``."""

    def __init__(
        self,
        qtbot: Any,
        database: Path,
        credentials: Credentials,
        endpoint: EndpointSpec,
        settings: QueueSettings,
        *,
        client_timeout_s: float = 20,
    ) -> None:
        self.qtbot = qtbot
        # As in the window: background workers come with a background store writer.
        self.store = TaskStore(database, background=settings.background_workers)
        self.clients = ClientCache(credentials, timeout_s=client_timeout_s)
        self.queue = UploadQueue(self.store, self.clients, settings, default_endpoint=endpoint)
        self.history = HistoryReader(database)
        self._closed = False

    # --- what the queue says now ----------------------------------------------------

    def snapshot(self, task_id: str) -> TaskSnapshot:
        snapshot = self.queue.task(task_id)
        assert snapshot is not None, f"task {task_id} is gone"
        return snapshot

    def state(self, task_id: str) -> TaskState:
        return self.snapshot(task_id).state

    def loaded(self, task_id: str) -> int:
        return self.snapshot(task_id).loaded

    def snapshots(self) -> dict[str, TaskSnapshot]:
        """Every task by id, tasks at rest included, read at once."""
        return {snapshot.task_id: snapshot for snapshot in self.queue.tasks()}

    def collect_finished(self) -> list[FileFinished]:
        """A list that gets every ``file_finished`` event from now on, in order. (Not
        collected unless asked: the load tests time the queue as the window runs it.)"""
        finished: list[FileFinished] = []
        self.queue.file_finished.connect(finished.append)
        return finished

    def entries(self) -> list[HistoryEntry]:
        """The history, newest first, once the store has written what it holds."""
        assert self.store.flush()
        return self.history.page(HistoryQuery())

    # --- waits ------------------------------------------------------------------------

    def wait_states(
        self, task_ids: Iterable[str], states: Collection[TaskState], timeout_s: float = 60
    ) -> list[TaskSnapshot]:
        """Wait until every task is in one of ``states``; their snapshots then."""
        wanted = list(task_ids)

        def reached() -> bool:
            # One read of the whole queue: a task at rest costs a database read each.
            found = self.snapshots()
            return all(task_id in found and found[task_id].state in states for task_id in wanted)

        self.qtbot.waitUntil(reached, timeout=int(timeout_s * 1000))
        return [self.snapshot(task_id) for task_id in wanted]

    def wait_settled(self, task_ids: Iterable[str], timeout_s: float = 60) -> list[TaskSnapshot]:
        """Wait until every task has ended and none waits for an automatic retry (a
        failure that heals by itself, due again in seconds, has not ended)."""
        wanted = list(task_ids)

        def settled() -> bool:
            found = self.snapshots()
            return all(
                task_id in found and found[task_id].state in ENDED and found[task_id].retry_at is None
                for task_id in wanted
            )

        self.qtbot.waitUntil(settled, timeout=int(timeout_s * 1000))
        return [self.snapshot(task_id) for task_id in wanted]

    def ended(self, task_id: str, timeout_s: float = 30) -> TaskSnapshot:
        """Wait until the task succeeded, failed or was canceled; its snapshot then."""
        (snapshot,) = self.wait_states([task_id], ENDED, timeout_s)
        return snapshot

    def wait_parts(self, task_id: str, parts: int, timeout_s: float = 30) -> TaskSnapshot:
        """Wait until the server holds at least ``parts`` parts of the task."""
        return self._wait_for(task_id, lambda snapshot: snapshot.parts_done >= parts, timeout_s)

    def wait_loaded(self, task_id: str, size: int, timeout_s: float = 20) -> TaskSnapshot:
        """Wait until the task has sent at least ``size`` bytes."""
        return self._wait_for(task_id, lambda snapshot: snapshot.loaded >= size, timeout_s)

    def wait_idle(self, timeout_s: float = 5) -> None:
        """Wait until no task is running."""
        self.qtbot.waitUntil(self.queue.is_idle, timeout=int(timeout_s * 1000))

    def wait_workers_stopped(self, timeout_s: float = 5) -> None:
        """Wait until no task is running and every part worker has returned."""

        def stopped() -> bool:
            return self.queue.is_idle() and self.queue.part_pool.activeThreadCount() == 0

        self.qtbot.waitUntil(stopped, timeout=int(timeout_s * 1000))

    def _wait_for(
        self, task_id: str, holds: Callable[[TaskSnapshot], bool], timeout_s: float
    ) -> TaskSnapshot:
        last: list[TaskSnapshot | None] = [None]

        def reached() -> bool:
            last[0] = snapshot = self.queue.task(task_id)
            return snapshot is not None and holds(snapshot)

        try:
            self.qtbot.waitUntil(reached, timeout=int(timeout_s * 1000))
        except WaitTimedOut as error:
            # What the task was doing says more than the timeout alone.
            seen = last[0]
            where = (
                "unknown"
                if seen is None
                else (
                    f"state {seen.state}, note {seen.note!r}, parts {seen.parts_done}, "
                    f"sent {seen.loaded}, error {seen.error}"
                )
            )
            raise WaitTimedOut(f"{error}; the task: {where}") from error
        return self.snapshot(task_id)

    def close(self) -> None:
        """Stop every worker and close the database and the clients (once)."""
        if self._closed:
            return
        self._closed = True
        self.queue.shutdown(wait=True)
        self.store.close()
        self.clients.close()
