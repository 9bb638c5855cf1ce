"""The local record of what a sync uploaded (see ARCHITECTURE.md, "Sync"): per
destination (place, bucket, key) the size, mtime, CRC-64 and ETag of the file
last synced there. With it a sync that finds a file unchanged since then, and
the object still as it left it in the listing, skips the file without a request
and without reading it.

A small SQLite file of its own beside the task database, not a table in it: the
record is a cache (losing it costs a re-check, never a wrong upload), written in
batches from whichever thread ends an upload, while the task database has one
writer thread and a schema the window reads at start.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cosdesk.engine.options import EndpointSpec

_SCHEMA = """
CREATE TABLE IF NOT EXISTS synced (
    place TEXT NOT NULL,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    crc64 TEXT,
    etag TEXT NOT NULL,
    PRIMARY KEY (place, bucket, key)
) WITHOUT ROWID
"""


@dataclass(frozen=True, slots=True)
class SyncedFile:
    """A file as it was when it was synced to ``key``: its size and mtime then,
    the CRC-64 of its bytes (None when nobody computed it) and the object's ETag."""

    key: str
    size: int
    mtime_ns: int
    crc64: int | None
    etag: str


def record_path_beside(task_database: Path) -> Path:
    """Where the record of the syncs run on ``task_database`` lives."""
    return task_database.with_name(task_database.stem + ".sync-record.sqlite3")


def place_of(endpoint: EndpointSpec) -> str:
    """The text that names where objects live, whoever signs the requests."""
    return endpoint.without_profile().to_json()


def normalized_etag(etag: str) -> str:
    """ETags compared without their quotes (listings and PUT answers differ)."""
    return etag.strip().strip('"')


class SyncRecord:
    """The record file, safe to share between threads (one connection, a lock)."""

    def __init__(self, path: Path | None) -> None:
        """Open (or create) the record at ``path``; None: an empty record in
        memory, for a dry run, which must not leave a file behind."""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        # Two processes may sync at once: they wait for each other's short writes.
        self._db = sqlite3.connect(
            path or ":memory:", timeout=30, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def entries_under(self, endpoint: EndpointSpec, bucket: str, prefix: str) -> dict[str, SyncedFile]:
        """Every entry whose key starts with ``prefix``, by key."""
        # A range on the primary key, not LIKE: "_" and "%" in keys are literal.
        upper = prefix + "\U0010ffff"
        with self._lock:
            rows = self._db.execute(
                "SELECT key, size, mtime_ns, crc64, etag FROM synced"
                " WHERE place = ? AND bucket = ? AND key >= ? AND key < ?",
                (place_of(endpoint), bucket, prefix, upper),
            ).fetchall()
        return {
            key: SyncedFile(key, size, mtime_ns, None if crc64 is None else int(crc64), etag)
            for key, size, mtime_ns, crc64, etag in rows
        }

    def remember(self, endpoint: EndpointSpec, bucket: str, entries: Iterable[SyncedFile]) -> None:
        place = place_of(endpoint)
        rows = [
            (place, bucket, e.key, e.size, e.mtime_ns, None if e.crc64 is None else str(e.crc64), e.etag)
            for e in entries
        ]
        if not rows:
            return
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO synced VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def forget(self, endpoint: EndpointSpec, bucket: str, keys: Iterable[str]) -> None:
        place = place_of(endpoint)
        rows = [(place, bucket, key) for key in keys]
        if not rows:
            return
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM synced WHERE place = ? AND bucket = ? AND key = ?", rows)

    def close(self) -> None:
        with self._lock:
            self._db.close()
