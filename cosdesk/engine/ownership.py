"""One process per task: leases in the task database.

Two programs may run on one task database (the window and ``cosdesk upload``,
two ``cosdesk tasks resume``). Both may hold the same unfinished task; only one
may send it. Before a FileJob sends anything, its queue takes the task's lease:
a row of ``task_leases`` naming the holder (one random id per queue), its pid
and host name, and a heartbeat time the holder renews every ``HEARTBEAT_S``.

A lease can be taken when it is free (never taken, or released), already ours,
or its holder is gone: its heartbeat is older than ``STALE_AFTER_S``, or it runs
on this host and its pid does not. Taking is one ``BEGIN IMMEDIATE``
transaction, so of two processes asking at once exactly one wins. A queue that
does not get a lease never fails the task: it waits and asks again (the queue's
business).

A released lease leaves no row, so whoever takes it next cannot tell who worked
the task last (``Claim.worked_elsewhere``) and reads the task back from the
database before touching it, since another process may have finished it or
moved it on; unless no one but this queue's store has committed to the
database since it was opened (SQLite's ``data_version``, ``TaskStore.others_committed``)
and no other queue shares that store. For that read to be true, a release is written by the task
store's writer, in order after the task's last state and parts
(:meth:`TaskLeases.release`); each take has its own id, so a late release (by
a holder that was taken over) never ends a lease taken since.

Every lease write runs in the task store's writer thread, inside its
transaction; a take waits for that commit on the FileJob's worker thread. So a
process has one writer (its takes never contend with its own writes for the
database's write lock), and nothing here runs on the queue's thread.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)

# One statement each (the store runs them inside its own transaction).
LEASE_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS task_leases (
    task_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,        -- the queue that holds it, or last held it
    take_id TEXT NOT NULL,       -- this take of it: a late release of an earlier one misses
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    heartbeat_at REAL NOT NULL,  -- wall clock (several processes compare it)
    released INTEGER NOT NULL DEFAULT 0
)""",
    # The leases held now: few, however many tasks the database keeps.
    "CREATE INDEX IF NOT EXISTS task_leases_held ON task_leases(holder) WHERE released = 0",
)

# How often a holder renews its leases, and how old a heartbeat may get before
# the lease is taken over (a holder on another host, or a pid reused on this one).
HEARTBEAT_S = 2.0
STALE_AFTER_S = 15.0
# A take that goes to the database takes up to this many leases of the tasks next
# in line with it, in its one transaction: a commit (and a wait for it) per small
# file was about a seventh of a 16 KiB upload's CPU. 32 saved a further 2% of a
# small upload's CPU, but a window adding a million files while it uploads took
# 70-74 s to store them against 63-65 s with 8.
TAKE_AHEAD = 8
# A lease taken ahead that no job has claimed within this long is released.
AHEAD_KEPT_S = 10.0

_Write = Callable[[sqlite3.Connection], object]
_T = TypeVar("_T")


@dataclass(frozen=True)
class LeaseHolder:
    """A live process holding a lease (not this queue)."""

    pid: int
    host: str

    def describe(self) -> str:
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"another cosdesk process (pid {self.pid}{where})"


@dataclass(frozen=True)
class Claim:
    """The answer to :meth:`TaskLeases.take`. ``holder`` set: someone else holds the
    task, nothing was taken. Otherwise the lease is ours, and ``worked_elsewhere``
    says another holder had it since this queue last did: the task must be read
    back from the database before it is worked."""

    holder: LeaseHolder | None = None
    worked_elsewhere: bool = False

    @property
    def taken(self) -> bool:
        return self.holder is None


class WriteQueue(Protocol):
    """The task store, as the leases use it (``TaskStore``)."""

    path: Path

    def write_in_order(self, write: _Write) -> None: ...
    def write_and_wait(self, write: Callable[[sqlite3.Connection], _T], timeout_s: float = ...) -> _T: ...
    def others_committed(self, db: sqlite3.Connection) -> bool: ...


# The holders made on each task store: a lease released by another holder on the
# same store (and so the same connection) leaves no trace that SQLite's
# data_version would show.
_HOLDERS_BY_STORE: weakref.WeakKeyDictionary[WriteQueue, set[str]] = weakref.WeakKeyDictionary()
_HOLDERS_LOCK = threading.Lock()


def process_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        process_query_limited_information, still_active, access_denied = 0x1000, 259, 5
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
        if not handle:
            return bool(kernel32.GetLastError() == access_denied)  # another user's process
        try:
            code = ctypes.c_ulong()
            return not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)) or code.value == still_active
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _live_holder(pid: int, host: str, heartbeat_at: float, now: float, stale_after_s: float) -> bool:
    if now - heartbeat_at > stale_after_s:
        return False
    return host != socket.gethostname() or process_alive(pid)


_SELECT_LEASE = "SELECT holder, pid, host, heartbeat_at, released FROM task_leases WHERE task_id = ?"
_LeaseRow = tuple[str, int, str, float, int]  # holder, pid, host, heartbeat_at, released


def _lease_row(db: sqlite3.Connection, task_id: str) -> _LeaseRow | None:
    rows = db.execute(_SELECT_LEASE, (task_id,)).fetchall()
    return rows[0] if rows else None


def _live_leases(path: Path, stale_after_s: float) -> dict[str, tuple[str, LeaseHolder]]:
    """Task id -> (holder id, holder) of every lease a live process holds."""
    connection = sqlite3.connect(path, timeout=30.0)
    try:
        connection.execute("PRAGMA busy_timeout=30000")
        for statement in LEASE_SCHEMA:  # a database no store opened yet
            connection.execute(statement)
        rows = connection.execute(
            "SELECT task_id, holder, pid, host, heartbeat_at FROM task_leases WHERE released = 0"
        ).fetchall()
    finally:
        connection.close()
    now = time.time()
    return {
        task_id: (holder, LeaseHolder(pid, host))
        for task_id, holder, pid, host, heartbeat_at in rows
        if _live_holder(pid, host, heartbeat_at, now, stale_after_s)
    }


def live_holders(path: Path, *, stale_after_s: float = STALE_AFTER_S) -> dict[str, LeaseHolder]:
    """Task id -> the live process holding it, for every held task of the database
    at ``path`` (``cosdesk tasks list``, which holds nothing itself)."""
    return {task_id: holder for task_id, (_, holder) in _live_leases(path, stale_after_s).items()}


def forget_leases(db: sqlite3.Connection, task_ids: list[tuple[str]]) -> None:
    """In the store's writer, with the tasks' rows: their leases go with them."""
    db.executemany("DELETE FROM task_leases WHERE task_id = ?", task_ids)


class TaskLeases:
    """The leases of one queue. :meth:`take` and :meth:`held_elsewhere` wait on the
    database (worker threads only); :meth:`release` only queues a write, never
    waits, and may be called with any lock held. :meth:`close` stops the
    heartbeat and releases everything still held.

    Every lease write goes through the task store's writer: one writer per
    process, so a take never waits on this process's own commits, and a release
    is committed after the task's last state and parts."""

    def __init__(
        self,
        store: WriteQueue,
        *,
        heartbeat_s: float = HEARTBEAT_S,
        stale_after_s: float = STALE_AFTER_S,
    ) -> None:
        self._store = store
        self.holder_id = uuid.uuid4().hex
        self._pid = os.getpid()
        self._host = socket.gethostname()
        self._heartbeat_s = heartbeat_s
        self._stale_after_s = stale_after_s
        self._lock = threading.Lock()  # guards _held and _heartbeat; never held while waiting
        # Held through a whole take, and while unclaimed leases taken ahead are released.
        self._take_lock = threading.Lock()
        self._held: dict[str, str] = {}  # task id -> take id
        # Leases taken ahead, no job has claimed yet: task id -> (claim, monotonic time taken)
        self._taken_ahead: dict[str, tuple[Claim, float]] = {}
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        with _HOLDERS_LOCK:
            self._holders_on_store = _HOLDERS_BY_STORE.setdefault(store, set())
            self._holders_on_store.add(self.holder_id)

    def take(self, task_id: str, ahead: Callable[[], Iterable[str]] | None = None) -> Claim:
        """Take the lease of ``task_id`` if it is free, ours, or its holder is gone.

        ``ahead`` names the tasks likely to run next (called without this object's
        lock, only when this take goes to the database): their leases are taken in
        the same transaction (up to TAKE_AHEAD), and their own takes then answer
        from memory. One not taken by a job within AHEAD_KEPT_S is released."""
        if self._stop.is_set():
            raise RuntimeError("the task leases are closed")
        with self._take_lock:
            return self._take(task_id, ahead)

    def _take(self, task_id: str, ahead: Callable[[], Iterable[str]] | None) -> Claim:
        # One take at a time (the take lock held): a task taken ahead by one must be
        # found in _taken_ahead by the next, with what its claim said, not taken
        # again and told that this queue worked it last.
        with self._lock:
            early = self._taken_ahead.pop(task_id, None)
        if early is not None:
            return early[0]
        wanted = [task_id, *(ahead() if ahead is not None else ())]
        with self._lock:
            wanted = list(dict.fromkeys(t for t in wanted if t == task_id or t not in self._held))
        takes = {wanted_id: uuid.uuid4().hex for wanted_id in wanted[: 1 + TAKE_AHEAD]}
        claims = self._store.write_and_wait(partial(self._take_all_in, takes=takes))
        taken_at = time.monotonic()
        with self._lock:
            for taken_id, claim in claims.items():
                if not claim.taken:
                    continue
                self._held[taken_id] = takes[taken_id]
                if taken_id != task_id:
                    self._taken_ahead[taken_id] = (claim, taken_at)
            if self._held and self._heartbeat is None:
                self._heartbeat = threading.Thread(target=self._beat, name="cosdesk-leases", daemon=True)
                self._heartbeat.start()
        return claims[task_id]

    def _take_all_in(self, db: sqlite3.Connection, *, takes: dict[str, str]) -> dict[str, Claim]:
        # In the store's writer: every take of one call in one transaction, which
        # also answers for all of them whether a task without a lease row may have
        # been changed by someone else.
        with _HOLDERS_LOCK:
            shared = len(self._holders_on_store) > 1  # queues sharing this store
        worked_elsewhere = shared or self._store.others_committed(db)
        return {
            task_id: self._take_in(db, task_id=task_id, take_id=take_id, unknown_last=worked_elsewhere)
            for task_id, take_id in takes.items()
        }

    def _take_in(self, db: sqlite3.Connection, *, task_id: str, take_id: str, unknown_last: bool) -> Claim:
        # In the store's writer, inside its BEGIN IMMEDIATE transaction: of two
        # processes taking at once, the second sees the first's lease.
        row = _lease_row(db, task_id)
        holder = self._other_live_holder(row)
        if holder is not None:
            return Claim(holder=holder)
        db.execute(
            """INSERT INTO task_leases(task_id, holder, take_id, pid, host, heartbeat_at, released)
               VALUES (?, ?, ?, ?, ?, ?, 0)
               ON CONFLICT(task_id) DO UPDATE SET holder = excluded.holder,
                   take_id = excluded.take_id, pid = excluded.pid, host = excluded.host,
                   heartbeat_at = excluded.heartbeat_at, released = 0""",
            (task_id, self.holder_id, take_id, self._pid, self._host, time.time()),
        )
        if row is not None and not row[4] and row[0] != self.holder_id:
            log.warning("took over task %s from pid %s on %s, which is gone", task_id, row[1], row[2])
        # A released lease leaves no row (a row per task ever run cost the database
        # more than the task's own row): without one, nobody can say who worked the
        # task last, so it is read back as the database has it, unless nobody but
        # this store has committed to the database since it was opened (a reading
        # back per file was a tenth of a small upload's CPU).
        if row is None:
            return Claim(worked_elsewhere=unknown_last)
        return Claim(worked_elsewhere=row[0] != self.holder_id)

    def _other_live_holder(self, row: _LeaseRow | None) -> LeaseHolder | None:
        """Who holds the lease of ``row``, when that is a live process other than this queue."""
        if row is None or row[4] or row[0] == self.holder_id:
            return None
        _holder, pid, host, heartbeat_at, _released = row
        if not _live_holder(pid, host, heartbeat_at, time.time(), self._stale_after_s):
            return None
        return LeaseHolder(pid, host)

    def release(self, task_ids: Iterable[str]) -> None:
        """Release these tasks' leases (those this queue holds; others are skipped).
        The write goes through the task store's writer, after what it has queued:
        the next holder reads the task as this one left it."""
        with self._lock:
            takes = [(take_id, task_id) for task_id in task_ids if (take_id := self._held.pop(task_id, None))]
            for _take_id, task_id in takes:
                self._taken_ahead.pop(task_id, None)
        if not takes:
            return
        try:
            self._store.write_in_order(
                lambda db: db.executemany("DELETE FROM task_leases WHERE take_id = ? AND task_id = ?", takes)
            )
        except RuntimeError as problem:  # the store is closed: the program is going away
            log.warning(
                "task leases not released (others take them over once this process ends): %s", problem
            )

    def held_elsewhere(self, task_ids: Iterable[str]) -> dict[str, LeaseHolder]:
        """Which of these tasks a live process other than this queue holds."""
        wanted = set(task_ids)
        return {
            task_id: holder
            for task_id, (holder_id, holder) in _live_leases(self._store.path, self._stale_after_s).items()
            if task_id in wanted and holder_id != self.holder_id
        }

    def _beat(self) -> None:
        """The heartbeat thread: every HEARTBEAT_S, one UPDATE (in the store's writer)
        renews every lease this queue holds."""
        while not self._stop.wait(self._heartbeat_s):
            kept_since = time.monotonic() - AHEAD_KEPT_S
            with self._take_lock:
                with self._lock:
                    unclaimed = [task_id for task_id, (_, at) in self._taken_ahead.items() if at < kept_since]
                self.release(unclaimed)
            with self._lock:
                held = dict(self._held)
            if not held:
                continue
            try:
                self._store.write_in_order(partial(self._renew, held=held))
            except RuntimeError:  # the store is closed
                return

    def _renew(self, db: sqlite3.Connection, *, held: dict[str, str]) -> None:
        # In the store's writer.
        db.execute(
            "UPDATE task_leases SET heartbeat_at = ? WHERE holder = ? AND released = 0",
            (time.time(), self.holder_id),
        )
        ours = {
            take_id
            for (take_id,) in db.execute(
                "SELECT take_id FROM task_leases WHERE holder = ? AND released = 0", (self.holder_id,)
            )
        }
        lost = [task_id for task_id, take_id in held.items() if take_id not in ours]
        if not lost:
            return
        # Taken over: this process was silent for longer than STALE_AFTER_S (a
        # suspended machine, a stopped process). The job goes on; NoSuchUpload or
        # the finished object settles what the two send at once.
        with self._lock:
            for task_id in lost:
                if self._held.get(task_id) == held[task_id]:  # not released meanwhile
                    del self._held[task_id]
                    log.warning(
                        "another cosdesk process took over task %s while this one was silent", task_id
                    )

    def close(self) -> None:
        """Stop the heartbeat and release what is still held (through the store's
        writer: flush the store after this). Idempotent."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
        with self._lock:
            held = list(self._held)
        self.release(held)
