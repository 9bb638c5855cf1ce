"""Automatic retries of tasks that failed on the network: when each is due, and
the timer that wakes the queue then. The queue decides which failures qualify
(``TaskError.transient``, from ``engine/retry.py``); this module only keeps time.

Lives in the queue's thread (its loop's timer does); every method is called with the
queue's lock held.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence

from cosdesk.engine.loop import Loop
from cosdesk.engine.notes import TaskNote
from cosdesk.engine.task import UploadTask
from cosdesk.engine.task_record import CREDENTIAL_SERVER_ERROR, NETWORK_ERROR


def _credential_server_failed(task: UploadTask) -> bool:
    return task.error is not None and task.error.code == CREDENTIAL_SERVER_ERROR


def _network_failed(task: UploadTask) -> bool:
    return task.error is not None and task.error.code == NETWORK_ERROR


class RetryScheduler:
    """Plans a task's next automatic start after ``delays_s`` (one per retry in a
    row, the last repeated) and calls ``on_due()`` when starts are due (which
    then asks :meth:`take_due` for them).

    A task waiting for its credential server, for at most ``credential_waits``
    retries in a row, *holds* the queue: the queue is not idle while it waits,
    so a command waits for the credential server to come back instead of ending
    with the file failed (ARCHITECTURE.md, "Temporary keys"). Past that, the
    credential server is taken to be down for good. A task that got no answer
    from the network, once the queue's requests had been answered, holds it the
    same way for at most ``network_waits`` retries."""

    def __init__(
        self,
        loop: Loop,
        delays_s: Sequence[float],
        on_due: Callable[[], None],
        *,
        credential_waits: int = 0,
        network_waits: int = 0,
    ) -> None:
        self._delays_s = tuple(delays_s)
        self._on_due = on_due
        self._credential_waits = credential_waits
        self._network_waits = network_waits
        self._due: list[tuple[float, str]] = []  # heap of (time.monotonic() due, task_id)
        self._holding: set[str] = set()  # ids of the tasks that hold the queue
        self._stopped = False
        self._timer = loop.timer(self._fire, single_shot=True)

    @property
    def holding(self) -> bool:
        """Whether a task waiting for its credential server or the network holds
        the queue."""
        return bool(self._holding)

    def plan(self, task: UploadTask, *, network_worked: bool = False) -> bool:
        """Start ``task`` (just failed on the network) again by itself, later;
        True if it holds the queue until then. ``network_worked``: the queue's
        requests have been answered before (a lost network, not a wrong address)."""
        if not self._delays_s or self._stopped:
            return False
        delay = self._delays_s[min(task.network_retries, len(self._delays_s) - 1)]
        task.network_retries += 1
        task.retry_delay_s = delay
        task.retry_at = time.time() + delay
        waiting = TaskNote.WAITING_FOR_NETWORK
        if _credential_server_failed(task):
            waiting = TaskNote.WAITING_FOR_CREDENTIALS
        task.note = waiting.text(delay=f"{delay:g}")
        heapq.heappush(self._due, (time.monotonic() + delay, task.task_id))
        if _credential_server_failed(task):
            held = task.network_retries <= self._credential_waits
        else:
            held = network_worked and _network_failed(task) and task.network_retries <= self._network_waits
        if held:
            self._holding.add(task.task_id)
        return held

    def ask_again(self, task_id: str, delay_s: float) -> None:
        """Wake the queue for ``task_id`` after ``delay_s`` (a task waiting for
        another process to let it go, engine/ownership.py); no retry is counted."""
        heapq.heappush(self._due, (time.monotonic() + delay_s, task_id))

    def forget(self, task: UploadTask) -> None:
        """No automatic start for ``task`` any more (its heap entry is skipped)."""
        self._holding.discard(task.task_id)
        if task.retry_at is not None:
            task.retry_at = task.retry_delay_s = None
            task.note = ""
        if task.awaiting_lease:
            task.awaiting_lease = False
            task.note = ""

    def arm(self) -> None:
        """Make the timer fire when the earliest retry is due (queue's thread)."""
        if not self._due or self._stopped:
            return
        wait_s = max(0.0, self._due[0][0] - time.monotonic()) + 0.001
        if not self._timer.is_active() or self._timer.remaining_s() > wait_s:
            self._timer.start(wait_s)

    def take_due(self, is_pending: Callable[[str], bool]) -> list[str]:
        """The ids of tasks whose retry is due now and still pending (``is_pending``)."""
        now = time.monotonic()
        due: list[str] = []
        while self._due and self._due[0][0] <= now:
            _, task_id = heapq.heappop(self._due)
            self._holding.discard(task_id)
            if is_pending(task_id):
                due.append(task_id)
        return due

    def stop(self) -> None:
        self._stopped = True
        self._holding.clear()
        self._timer.stop()

    def _fire(self) -> None:
        self._on_due()
