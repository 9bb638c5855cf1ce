"""What the task database costs a user: a folder of tiny files uploaded with
``cosdesk upload`` leaves each task, with its history entry, well under the
goal's 500 bytes (tests/bench/test_database_size.py runs 100,000 files)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.database_size import GOAL_BYTES_PER_TASK, database_bytes, make_tiny_tree, space_by_table

BUCKET = "examplebucket-1250000000"
ROOT = Path(__file__).resolve().parents[2]
FILES = 2000
# Below the goal by enough that a regression shows here before a million files
# go over it: the fixed pages of an almost empty database weigh more on 2,000
# tasks than on a million.
LIMIT_BYTES_PER_TASK = 450


def test_a_tiny_file_uploaded_costs_well_under_500_bytes_of_task_database(
    sandbox: Any, tmp_path: Path
) -> None:
    make_tiny_tree(tmp_path / "photos", FILES)
    db = tmp_path / "tasks.sqlite3"
    env = {
        **os.environ,
        "COS_SECRET_ID": "AKIDcosdeskTESTsecretid",
        "COS_SECRET_KEY": "cosdesk-TEST-secret-key-0123456789",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "cosdesk", "upload", str(tmp_path / "photos"), f"cos://{BUCKET}/backup"]
    command += ["--endpoint", sandbox.endpoint, "--db", str(db), "-q"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{FILES} uploaded, 0 failed" in result.stdout

    connection = sqlite3.connect(db)
    try:
        counts = connection.execute(
            "SELECT (SELECT COUNT(*) FROM tasks WHERE state = 'success'), (SELECT COUNT(*) FROM history)"
        ).fetchone()
    finally:
        connection.close()
    assert counts == (FILES, FILES)  # every task is there, and its history entry
    per_task = database_bytes(db) / FILES
    assert per_task <= LIMIT_BYTES_PER_TASK < GOAL_BYTES_PER_TASK, (
        f"{per_task:.0f} bytes a task\n{space_by_table(db, FILES)}"
    )
