"""When a changed file of a watched folder may be uploaded: once it has stopped
changing (see ARCHITECTURE.md, "Watched folders").

A file is *settled* when its size and modification time have stayed the same for
``settle_s``, and are still the same when read once more just before it is
handed on: a file still being written is never handed on half-way. A file that
changes again after it was handed on is handed on again; one whose size and time
are those already handed on (a change of permissions, say) is not.

The tracker holds no timer per file: the changed files wait in one dict ordered
by their last change, and :meth:`SettleTracker.settled` looks only at those old
enough. It is thread-safe: the file system watcher's thread reports changes, a
worker asks which files settled.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileVersion:
    """What "unchanged" compares: a file's size and modification time."""

    size: int
    mtime_ns: int


def version_of(path: str) -> FileVersion | None:
    """The regular file's version at ``path``; None when there is none (gone,
    unreadable, a folder or a special file)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return FileVersion(info.st_size, info.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class SettledFile:
    path: str
    version: FileVersion


class SettleTracker:
    """Changed files, handed on by :meth:`settled` once they stop changing.

    ``clock`` is monotonic seconds (a test may pass its own)."""

    def __init__(self, settle_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.settle_s = settle_s
        self._clock = clock
        self._lock = threading.Lock()
        # path -> (the version seen at its last change, when that was); insertion
        # order is the order of last changes, oldest first.
        self._pending: dict[str, tuple[FileVersion | None, float]] = {}
        self._handed: dict[str, FileVersion] = {}

    def changed(self, path: str) -> None:
        """``path`` was created, written or moved in: wait for it to settle."""
        version = version_of(path)
        with self._lock:
            self._pending.pop(path, None)  # to the end: the dict stays ordered by change
            self._pending[path] = (version, self._clock())

    def forget(self, path: str) -> None:
        """``path`` was deleted or moved away: nothing of it is handed on, and a
        file that appears there later is new."""
        with self._lock:
            self._pending.pop(path, None)
            self._handed.pop(path, None)

    def forget_all(self) -> None:
        """Drop every waiting change (the watch paused); what was handed on stays known."""
        with self._lock:
            self._pending.clear()

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._pending)

    def next_due_in_s(self) -> float | None:
        """Seconds until the oldest change has waited ``settle_s`` (0 when one
        has); None when nothing waits."""
        with self._lock:
            if not self._pending:
                return None
            _, since = next(iter(self._pending.values()))
        return max(0.0, since + self.settle_s - self._clock())

    def settled(self) -> list[SettledFile]:
        """The files that stopped changing, each read once more now: one whose
        size or time moved since its last change waits ``settle_s`` again, one
        that is gone is dropped. Reads the file system: call it off the GUI thread."""
        now = self._clock()
        with self._lock:
            due = []
            for path, entry in self._pending.items():
                if now - entry[1] < self.settle_s:
                    break
                due.append((path, entry))
        handed: list[SettledFile] = []
        for path, entry in due:
            current = version_of(path)
            seen = entry[0]
            with self._lock:
                if self._pending.get(path) != entry:
                    continue  # changed again meanwhile: its new entry waits
                if current is None:
                    del self._pending[path]
                elif current != seen:
                    del self._pending[path]
                    self._pending[path] = (current, now)
                else:
                    del self._pending[path]
                    if self._handed.get(path) == current:
                        continue
                    self._handed[path] = current
                    handed.append(SettledFile(path, current))
        return handed
