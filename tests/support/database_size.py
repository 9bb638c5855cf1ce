"""What a task costs in the task database: a tree of tiny files to upload, the
bytes of the database on disk, and where they went (SQLite's ``dbstat``)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

# The goal (issue 14): a task, with its history entry, in at most this many bytes.
GOAL_BYTES_PER_TASK = 500

FILES_PER_FOLDER = 100
FOLDERS_PER_PARENT = 10


def make_tiny_tree(root: Path, count: int, seed: int = 14) -> list[Path]:
    """``count`` files of 0-1 KiB in a folder tree (100 files a folder, 10 folders
    under each parent: ``root/set-0000/batch-00/photo-000000.jpg``)."""
    rng = random.Random(seed)
    noise = rng.randbytes(2048)
    files = []
    for index in range(count):
        folder = index // FILES_PER_FOLDER
        path = (
            root
            / f"set-{folder // FOLDERS_PER_PARENT:04d}"
            / f"batch-{folder % FOLDERS_PER_PARENT:02d}"
            / f"photo-{index:06d}.jpg"
        )
        if index % FILES_PER_FOLDER == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        start = rng.randrange(1024)
        path.write_bytes(noise[start : start + rng.randrange(1025)])
        files.append(path)
    return files


def database_bytes(path: Path) -> int:
    """The bytes the database takes on disk, its WAL included, after a checkpoint
    (what a program that stopped leaves behind)."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def space_by_table(path: Path, tasks: int) -> str:
    """A table of where the bytes went: each table and index, bytes a task."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT name, SUM(pgsize), SUM(unused) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
    finally:
        connection.close()
    lines = [f"{'table or index':<32} {'bytes':>12} {'a task':>8} {'unused':>8}"]
    for name, size, unused in rows:
        lines.append(f"{name:<32} {size:>12,} {size / tasks:8.1f} {unused / tasks:8.1f}")
    return "\n".join(lines)
