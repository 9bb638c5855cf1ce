"""Crash: ``cosdesk upload`` killed with SIGKILL at random moments. Each time,
``cosdesk tasks resume`` finishes everything: the objects are exactly the files,
the database is never corrupt, and no task is lost or duplicated."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support.workloads import (
    BUCKET,
    ROOT,
    SECRET_ID,
    SECRET_KEY,
    MiB,
    cosdesk,
    object_matches_file,
    write_random_file,
)

from cosdesk.cos.client import CosClient
from cosdesk.engine.task_columns import SPEC

ROUNDS = 20


def mixed_batch(folder: Path, rng: random.Random) -> list[Path]:
    """A folder of 16 small files (0 B..200 KiB) and 2 multipart files (2-3 MiB)."""
    files = [
        write_random_file(folder / f"small-{i:02d}.bin", rng.randrange(0, 200_000), rng) for i in range(16)
    ]
    files += [
        write_random_file(folder / f"big-{i}.bin", rng.randrange(2 * MiB, 3 * MiB), rng) for i in range(2)
    ]
    return files


def database_facts(db: Path) -> tuple[str, dict[str, list[str]]]:
    """``PRAGMA integrity_check`` and the states of the tasks for each key."""
    connection = sqlite3.connect(db)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        by_key: dict[str, list[str]] = {}
        if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'tasks'").fetchone() is None:
            # Killed after the file was made and before its tables were: nothing queued.
            return integrity, by_key
        for key, state in connection.execute(f"SELECT {SPEC.read_of('key')}, state FROM tasks"):
            by_key.setdefault(key, []).append(state)
        return integrity, by_key
    finally:
        connection.close()


def _upload_command(folder: Path, prefix: str, endpoint: str, db: Path) -> list[str]:
    return [
        sys.executable, "-m", "cosdesk", "upload", str(folder) + "/",
        f"cos://{BUCKET}/{prefix}", "--endpoint", endpoint, "--db", str(db), "-q",
    ]  # fmt: skip


def _timed_whole_run(work: Path, endpoint: str, env: dict[str, str], rng: random.Random) -> float:
    """Seconds one batch's ``cosdesk upload`` takes from spawn to exit, unkilled."""
    files = mixed_batch(work / "batch", rng)
    started = time.monotonic()
    whole = subprocess.run(
        _upload_command(files[0].parent, "whole-run/", endpoint, work / "tasks.sqlite3"),
        env=env, capture_output=True, check=False,
    )  # fmt: skip
    assert whole.returncode == 0, whole.stderr
    return time.monotonic() - started


def test_sigkill_at_20_random_moments_then_resume_finishes_everything_exactly_once(
    sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    rng = random.Random(1234)
    db = tmp_path / "tasks.sqlite3"
    env = {**os.environ, "COS_SECRET_ID": SECRET_ID, "COS_SECRET_KEY": SECRET_KEY, "PYTHONPATH": str(ROOT)}
    # Slow enough that a run lasts a moment and a kill can land anywhere in it.
    sandbox.faults.update(latency_s=0.01, bandwidth_bytes_per_s=6_000_000)
    # Kills are drawn within the length of a whole run, timed here on this machine:
    # drawn from a fixed 0.1-2.5 s, 15 of 20 fell after a 0.5-s run had ended. The
    # quickest of three: within one slow run, 6 of 20 fell after quicker runs ended.
    run_s = min(_timed_whole_run(tmp_path / f"whole-run-{n}", sandbox.endpoint, env, rng) for n in range(3))
    expected: dict[str, Path] = {}
    kill_moments: list[float] = []
    killed_before_queueing = killed_while_running = 0
    started = time.monotonic()
    for round_number in range(ROUNDS):
        files = mixed_batch(tmp_path / f"batch-{round_number:02d}", rng)
        prefix = f"crash/{round_number:02d}/"
        command = _upload_command(files[0].parent, prefix, sandbox.endpoint, db)
        upload = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        kill_at = rng.uniform(0.1, 0.95 * run_s)
        kill_moments.append(kill_at)
        try:
            upload.wait(timeout=kill_at)
        except subprocess.TimeoutExpired:
            upload.send_signal(signal.SIGKILL)
            killed_while_running += 1
        upload.wait()
        assert b"Traceback" not in upload.stderr.read()  # type: ignore[union-attr]
        upload.stderr.close()  # type: ignore[union-attr]

        integrity, by_key = database_facts(db)
        assert integrity == "ok", f"round {round_number}: {integrity}"
        queued = [key for key in by_key if key.startswith(prefix)]
        # A folder's tasks are queued in one transaction: all of them or none.
        assert len(queued) in (0, len(files)), (round_number, len(queued))
        if not queued:
            killed_before_queueing += 1
            # Nothing was accepted: the user runs the command again.
            again = cosdesk(*command[3:])
            assert again.returncode == 0, again.stderr

        sandbox.faults.update(latency_s=0, bandwidth_bytes_per_s=None)
        resumed = cosdesk("tasks", "resume", "--db", str(db), "-q")
        sandbox.faults.update(latency_s=0.01, bandwidth_bytes_per_s=6_000_000)
        assert resumed.returncode == 0, (round_number, resumed.stdout, resumed.stderr)
        integrity, by_key = database_facts(db)
        assert integrity == "ok"
        for path in files:
            expected[prefix + path.name] = path
        # Every file has exactly one task, and it succeeded.
        assert sorted(by_key) == sorted(expected)
        assert {key: states for key, states in by_key.items() if states != ["success"]} == {}
    sandbox.faults.reset()
    assert killed_while_running >= ROUNDS * 3 // 4, (killed_while_running, run_s)
    wrong = [key for key, path in expected.items() if not object_matches_file(cos, key, path)]
    assert wrong == []
    sample = random.Random(5).sample(sorted(expected), 10)
    assert all(object_matches_file(cos, key, expected[key], full_compare=True) for key in sample)
    leftovers = list(cos.iter_multipart_uploads(BUCKET))
    assert leftovers == []
    print(
        f"\ncrash: {ROUNDS} SIGKILLs at {min(kill_moments):.2f}..{max(kill_moments):.2f} s into "
        f"`cosdesk upload` (a whole run took {run_s:.2f} s; {killed_while_running} landed while it ran, "
        f"{killed_before_queueing} before the batch was queued), {len(expected)} files, "
        f"{len(expected) - len(wrong)}/{len(expected)} byte-identical after `tasks resume`, "
        f"integrity_check ok {2 * ROUNDS}/{2 * ROUNDS}, 0 tasks lost or duplicated, "
        f"{len(leftovers)} multipart uploads left, {time.monotonic() - started:.1f} s"
    )
