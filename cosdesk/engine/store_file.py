"""The task database's file going missing while the program uses it.

Deleting the file (``rm tasks.sqlite3``, a cleaner, a synced folder) does not
stop SQLite: the connections keep the deleted file open and every write still
"succeeds", into a file nobody can open again. When the program ends, the
unfinished tasks are gone without a word.

The store notices the file is gone after its next commit and writes the whole
database back at its path from the connection that still has it open (SQLite's
backup API: a consistent copy, parts and all), then carries on there. Putting it
back is the sound choice: the database is the only record of what is left to
upload and of the multipart uploads to resume or abort on the server; whoever
deleted it while uploads were running can still clear the tasks (``cosdesk
tasks clear``) or delete the file once nothing runs. It is always reported.

A program opening the path after the deletion (the window, ``cosdesk tasks
list``) creates a new, empty database there; the store then fills that one, so
running the next command does not lose the tasks either.
"""

from __future__ import annotations

import contextlib
import enum
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FileIdentity = tuple[int, int]


@dataclass(frozen=True)
class DatabaseRecreated:
    """The database file was deleted while in use. ``error`` is None when it was
    written again at ``path`` with every task (``unfinished`` of them not done);
    otherwise it says why it could not be, and the tasks live only as long as
    this program."""

    path: Path
    unfinished: int
    error: str | None = None


def file_identity(path: Path) -> FileIdentity | None:
    """(device, inode) of the file at ``path``; None when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def count_unfinished(db: sqlite3.Connection) -> int:
    (count,) = db.execute("SELECT COUNT(*) FROM tasks WHERE state NOT IN ('success', 'canceled')").fetchone()
    return int(count)


def write_copy(db: sqlite3.Connection, path: Path) -> bool:
    """Write the database ``db`` has open to ``path``, which must not exist: into
    a file beside it, then linked into place, so nobody ever opens half a copy.
    Returns False if another program put a file at ``path`` first (a second
    cosdesk that noticed the deletion too). Raises OSError or sqlite3.Error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".restoring")
    for leftover in (partial, *_companions(partial)):
        leftover.unlink(missing_ok=True)
    target = sqlite3.connect(partial)
    try:
        db.backup(target)
        # A plain file until it is opened at its place (where the store turns on WAL
        # again): no WAL file may be left behind under the temporary name.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    try:
        os.link(partial, path)
    except FileExistsError:
        return False
    finally:
        partial.unlink(missing_ok=True)
    return True


class Placement(enum.Enum):
    """How the database got back to its path (see :func:`put_back`)."""

    WRITTEN = "written"  # a new file: the deleted file's WAL must go before it is opened
    FILLED = "filled"  # an empty database created meanwhile (a cosdesk started after the deletion)
    FOUND = "found"  # a database with tasks (another cosdesk put the same one back first)


def put_back(db: sqlite3.Connection, path: Path) -> Placement:
    """Put the database ``db`` has open back at ``path``: a new file when there is
    none, or into the database a program created there meanwhile if it holds no
    task yet (``cosdesk tasks list`` run after the deletion makes an empty one).
    A database that has tasks is left alone: another cosdesk that had this one
    open put it back first. Raises OSError or sqlite3.Error."""
    if not path.exists() and write_copy(db, path):
        return Placement.WRITTEN
    there = sqlite3.connect(path, timeout=30.0)
    try:
        has_tasks = (
            there.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tasks'").fetchone()
            is not None
            and there.execute("SELECT 1 FROM tasks LIMIT 1").fetchone() is not None
        )
        if has_tasks:
            return Placement.FOUND
        db.backup(there)
    finally:
        there.close()
    return Placement.FILLED


def remove_stale_companions(path: Path) -> None:
    """Delete the WAL and shared-memory files of a database that was deleted:
    SQLite finds them by name and would replay the old WAL into the new file.
    Call only with every connection to the deleted database closed, before the
    first connection to the new file opens."""
    for companion in _companions(path):
        # NotADirectory: a file where the folder should be, which opening reports.
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            companion.unlink()


@contextlib.contextmanager
def companions_kept(path: Path) -> Iterator[None]:
    """Keep the WAL and shared-memory files at ``path`` (those of a database
    another program has open there) through the block. Closing the last
    connection to a deleted database deletes these files *by name*, and the names
    are now the new database's."""
    kept: list[tuple[Path, Path]] = []
    for companion in _companions(path):
        aside = companion.with_name(companion.name + ".kept")
        aside.unlink(missing_ok=True)
        try:
            os.link(companion, aside)
        except FileNotFoundError:
            continue
        kept.append((companion, aside))
    try:
        yield
    finally:
        for companion, aside in kept:
            if companion.exists():
                aside.unlink(missing_ok=True)
            else:
                os.replace(aside, companion)


def _companions(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
