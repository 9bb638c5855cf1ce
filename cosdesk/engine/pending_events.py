"""What changed since the queue's last event tick: the queue and its workers
note changes here (under the queue's lock), and the event timer drains them
into a few coalesced signals, however many bytes moved in between."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cosdesk.engine.task import CompactRow, FileFinished, HashProgress


@dataclass(frozen=True)
class DrainedEvents:
    """One tick's worth of changes, in the order the queue emits them."""

    added: list[str] = field(default_factory=list)  # task ids, in queue order
    # The rows of those added new, as they were made (see UploadQueue.tasks_added).
    added_rows: dict[str, CompactRow] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # ids of tasks still in the queue
    hashes: list[HashProgress] = field(default_factory=list)
    finished: list[FileFinished] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    restored: list[list[str]] = field(default_factory=list)  # per restore: unfinished ids
    applied: list[tuple[str, int]] = field(default_factory=list)  # (action, task count)

    def __bool__(self) -> bool:
        buffers = (self.added, self.removed, self.changed, self.hashes, self.finished)
        return any(buffers) or any((self.problems, self.restored, self.applied))


class PendingEvents:
    """The buffers between two ticks. Not thread-safe: the queue's lock guards it."""

    def __init__(self) -> None:
        self._empty()

    def _empty(self) -> None:
        self._added: list[str] = []
        self._added_rows: dict[str, CompactRow] = {}
        self._removed: list[str] = []
        self._changed: set[str] = set()
        self._hashes: dict[str, HashProgress] = {}  # the latest per task
        self._finished: list[FileFinished] = []
        self._problems: list[tuple[str, str]] = []
        self._restored: list[list[str]] = []
        self._applied: list[tuple[str, int]] = []

    def added(self, task_id: str, row: CompactRow | None = None) -> None:
        """A task joined the queue; ``row``: all the table has to show of it, when
        a new task has nothing else (see CompactRow)."""
        self._added.append(task_id)
        if row is not None:
            self._added_rows[task_id] = row

    def removed(self, task_ids: Iterable[str]) -> None:
        for task_id in task_ids:
            self._changed.discard(task_id)
            self._removed.append(task_id)

    def changed(self, task_id: str) -> None:
        self._changed.add(task_id)

    def hashed(self, progress: HashProgress) -> None:
        self._hashes[progress.task_id] = progress

    def finished(self, event: FileFinished) -> None:
        self._finished.append(event)

    def scan_problem(self, path: str, reason: str) -> None:
        self._problems.append((path, reason))

    def restore_done(self, unfinished: list[str]) -> None:
        self._restored.append(unfinished)

    def request_applied(self, action: str, count: int) -> None:
        self._applied.append((action, count))

    def drain(self, present: Callable[[str], bool]) -> DrainedEvents:
        """Everything noted since the last drain (``changed`` only for tasks that
        are ``present``), and empty buffers."""
        drained = DrainedEvents(
            added=self._added,
            added_rows=self._added_rows,
            removed=self._removed,
            changed=[task_id for task_id in self._changed if present(task_id)],
            hashes=list(self._hashes.values()),
            finished=self._finished,
            problems=self._problems,
            restored=self._restored,
            applied=self._applied,
        )
        self._empty()
        return drained
