"""Pause and cancel requests from other processes (``cosdesk tasks pause``),
read from the task database on a thread of its own — never on the queue's
thread — and handed to the queue."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from cosdesk.engine.store import RequestAction, TaskStore

log = logging.getLogger(__name__)


class RequestWatcher:
    """Every ``interval_s``, calls ``apply(action, task_id)`` for each request posted
    since the watcher started (``task_id`` None: all tasks)."""

    def __init__(
        self, store: TaskStore, interval_s: float, apply: Callable[[RequestAction, str | None], None]
    ) -> None:
        self._store = store
        self._interval_s = interval_s
        self._apply = apply
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="cosdesk-requests", daemon=True)
        self._thread.start()

    def stop(self, wait: bool, timeout_s: float) -> None:
        self._stop.set()
        if wait:
            self._thread.join(timeout_s)

    def _watch(self) -> None:
        try:
            seen = self._store.last_request_id()
            while not self._stop.wait(self._interval_s):
                for request in self._store.requests_after(seen):
                    seen = request.request_id
                    self._apply(request.action, request.task_id)
        except Exception:
            if not self._stop.is_set():  # the store closed under a queue not shut down
                log.exception("watching for pause / cancel requests stopped")
