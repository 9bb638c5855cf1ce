"""The engine restarting on a big queue (on demand: ``python -m pytest
tests/bench/test_restore_scale.py -s``).

A task database of ``COSDESK_BENCH_FILES`` (default 100,000; the goal is stated for
1,000,000) tasks that were waiting when the last run ended, as the real store
writes them (``TaskStore.insert_tasks``, the rows' statuses included), with a
writer kept busy by a backlog of writes as a window adding files would. A fresh
process restores them as the window does (paused), and reports: how long the
restore takes (wall and CPU), how soon the first ``queue.task()`` of a task at
rest answers while the restore's writes are still queued, and the resident set
the tasks at rest cost. ``COSDESK_BENCH_WAITING_DB`` reuses a database built
before (a million rows take minutes to build; the run prints where it kept it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(3600)

ROOT = Path(__file__).resolve().parents[2]
FILES = int(os.environ.get("COSDESK_BENCH_FILES", "100000"))


def waiting_database(path: Path, count: int) -> Path:
    """A task database of ``count`` waiting tasks, written by the real store."""
    sys.path.insert(0, str(ROOT / "tests"))
    from support.task_rows import make_row

    from cosdesk.engine.store import TaskStore
    from cosdesk.engine.task import TaskState

    path.parent.mkdir(parents=True, exist_ok=True)
    built = Path(os.environ.get("COSDESK_BENCH_WAITING_DB") or path.with_name("built.sqlite3"))
    if built.exists():
        shutil.copyfile(built, path)  # the run changes its copy, never the one kept
        return path
    store = TaskStore(built)
    batch = []
    for number in range(count):
        key = f"bench/a{number % 100:02d}/b{(number // 100) % 100:02d}/file-{number:07d}.bin"
        # Half were waiting, half running (which a restore must write back as paused).
        state = TaskState.WAITING if number % 2 else TaskState.UPLOADING
        batch.append(make_row(uuid.uuid4().hex, number, key=key, source_path=f"/tmp/tree/{key}", state=state))
        if len(batch) >= 20_000:
            store.insert_tasks(batch)
            batch = []
    store.insert_tasks(batch)
    assert store.flush()
    store.close()
    print(f"\nbuilt {built} (COSDESK_BENCH_WAITING_DB={built} reuses it)")
    shutil.copyfile(built, path)
    return path


RESTORE = """
import sqlite3, sys, time
from PySide6.QtCore import QCoreApplication
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.store import TaskStore

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096

app = QCoreApplication([])
db = sys.argv[1]
some = sqlite3.connect(db).execute("SELECT task_id FROM tasks ORDER BY rowid DESC LIMIT 1").fetchone()[0]
store = TaskStore(db, background=True)
# A backlog ahead of the restore's writes, as a window storing new files has.
store.write_in_order(lambda db: time.sleep(2))
queue = UploadQueue(store, lambda endpoint: None)
before = rss()
started, cpu = time.perf_counter(), time.process_time()
unfinished = queue.restore(resume=False)
restore_s, restore_cpu = time.perf_counter() - started, time.process_time() - cpu
asked = time.perf_counter()
snapshot = queue.task(some)
first_task_s = time.perf_counter() - asked
kept = rss() - before
saved = time.perf_counter()
queue.shutdown()
store.close()
print(f"restored {len(unfinished)} unfinished tasks in {restore_s:.2f} s ({restore_cpu:.2f} s of CPU)")
print(f"first queue.task() of a task at rest: {first_task_s:.3f} s ({snapshot.state if snapshot else None})")
print(f"kept {kept / 2**20:.0f} MiB for them ({kept / len(unfinished):.0f} B per task)")
print(f"shutdown with the restore's writes queued: {time.perf_counter() - saved:.2f} s")
count = sqlite3.connect(db).execute("SELECT count(*) FROM tasks WHERE state = 'paused'").fetchone()[0]
print(f"paused in the database after shutdown: {count}")
"""


def test_restoring_many_waiting_tasks_answers_a_read_at_once_and_keeps_every_write(tmp_path: Path) -> None:
    db = waiting_database(tmp_path / "waiting" / "tasks.sqlite3", FILES)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", RESTORE, str(db)], env=env, capture_output=True, text=True, timeout=3000
    )
    assert result.returncode == 0, result.stderr[-3000:]
    print(f"\nrestarting the engine on {FILES:,} waiting tasks (load average {os.getloadavg()[0]:.1f}):")
    print(result.stdout)
    assert f"paused in the database after shutdown: {FILES}" in result.stdout
