"""The task database of a big upload (on demand: ``python -m pytest
tests/bench/test_database_size.py -s``).

The goal (issue 14): 1,000,000 files of 0-1 KiB in a folder tree, uploaded to the
local server, leave at most 500 bytes of task database a task, its history entry
included. ``cosdesk upload`` sends a tree of 100,000 such files (set
``COSDESK_BENCH_DB_FILES=1000000`` for the full million) to ``cosdesk serve
--discard-bodies``, each in a process of its own; then the database file and its
WAL, after a checkpoint, are divided by the number of tasks. Printed: the bytes
a task, where they went (table by table), how long the upload took, the
client's CPU time and its peak resident set.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.database_size import GOAL_BYTES_PER_TASK, database_bytes, make_tiny_tree, space_by_table
from support.server_process import server_process

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "benchbucket-1250000000"
SECRET_ID, SECRET_KEY = "bench-id", "bench-key"
FILES = int(os.environ.get("COSDESK_BENCH_DB_FILES", "100000"))


def upload(source: Path, endpoint: str, db: Path, work: Path) -> tuple[float, float, int]:
    """``cosdesk upload`` of ``source``: (wall seconds, CPU seconds, peak RSS bytes)
    of its process."""
    env = {
        **os.environ,
        "COS_SECRET_ID": SECRET_ID,
        "COS_SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": str(ROOT),
        "COSDESK_LOG_DIR": str(work / "log"),
    }
    command = [sys.executable, "-m", "cosdesk", "upload", str(source), f"cos://{BUCKET}/backup"]
    command += ["--endpoint", endpoint, "--db", str(db), "-q"]
    with open(work / "upload.out", "w") as out, open(work / "upload.err", "w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall_s = time.perf_counter() - started
    assert os.waitstatus_to_exitcode(status) == 0, (work / "upload.err").read_text()[-2000:]
    assert f"{FILES} uploaded, 0 failed" in (work / "upload.out").read_text()
    return wall_s, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


# Uploading takes about 3 ms a file here; a million files, most of an hour.
@pytest.mark.timeout(max(300, FILES // 100))
def test_a_task_takes_at_most_500_bytes_of_database(tmp_path: Path) -> None:
    started = time.perf_counter()
    make_tiny_tree(tmp_path / "photos", FILES)
    made_s = time.perf_counter() - started
    db = tmp_path / "tasks.sqlite3"
    with server_process(
        tmp_path / "server", BUCKET, SECRET_ID, SECRET_KEY, extra_args=["--discard-bodies"]
    ) as server:
        wall_s, cpu_s, peak_rss = upload(tmp_path / "photos", server.endpoint, db, tmp_path)

    connection = sqlite3.connect(db)
    try:
        tasks, entries = connection.execute(
            "SELECT (SELECT COUNT(*) FROM tasks WHERE state = 'success'), (SELECT COUNT(*) FROM history)"
        ).fetchone()
    finally:
        connection.close()
    size = database_bytes(db)
    per_task = size / FILES
    print(
        f"\n{FILES:,} files (made in {made_s:.0f} s) uploaded in {wall_s:.0f} s"
        f" ({FILES / wall_s:.0f} files/s); client {cpu_s:.0f} CPU-s, peak RSS {peak_rss / 2**20:.0f} MiB"
        f"\ntask database: {size:,} bytes, {per_task:.0f} bytes a task"
        f" (goal: at most {GOAL_BYTES_PER_TASK})\n{space_by_table(db, FILES)}"
    )
    assert (tasks, entries) == (FILES, FILES)
    assert per_task <= GOAL_BYTES_PER_TASK
