"""A person who used an earlier cosdesk updates it: the task database it left
(schema version 3) opens in ``cosdesk tasks`` and in the window with the same
tasks and history, and what was left to upload goes up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView
from support.journey import find, menu_action, wait_until
from support.old_databases import write_old_database
from support.window_driver import WindowDriver, make_file, save_profile
from support.workloads import BUCKET, REGION, SECRET_ID, SECRET_KEY, MiB

from cosdesk import config
from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.engine.task import TaskState


def cosdesk(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COS_SECRET_ID": SECRET_ID, "COS_SECRET_KEY": SECRET_KEY}
    command = [str(Path(sys.executable).with_name("cosdesk")), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def on_server(sandbox: Any, key: str) -> bytes | None:
    endpoint = Endpoint.custom(sandbox.endpoint, path_style=True, region=REGION)
    with CosClient(Credentials(SECRET_ID, SECRET_KEY), endpoint) as client:
        if key not in {item.key for item in client.iter_objects(BUCKET)}:
            return None
        return client.get_object(BUCKET, key).content


def listed(db: Path) -> list[tuple[str, str, str]]:
    """(state, done, object and note) of each task ``cosdesk tasks list`` shows."""
    listing = cosdesk("tasks", "list", "--db", str(db))
    assert listing.returncode == 0, listing.stderr
    rows = [line.split(None, 8) for line in listing.stdout.splitlines()[1:-1]]
    return [(row[4], row[5], row[8]) for row in rows]


def batches_listed(db: Path) -> list[str]:
    listing = cosdesk("tasks", "list", "--db", str(db))
    assert listing.returncode == 0, listing.stderr
    return [line.split()[1] for line in listing.stdout.splitlines()[1:-1]]


def sources(folder: Path) -> bytes:
    """The files of the old database's tasks; returns the big one's bytes."""
    make_file(folder / "old" / "done.txt", 5)
    make_file(folder / "old" / "report.pdf", 700)
    return make_file(folder / "old" / "big.bin", 3 * MiB).read_bytes()


def test_tasks_list_and_resume_work_on_the_database_of_an_earlier_version(
    sandbox: Any, tmp_path: Path
) -> None:
    big = sources(tmp_path)
    db = tmp_path / "tasks.sqlite3"
    write_old_database(db, 3, sandbox.endpoint, tmp_path)

    assert listed(db) == [
        ("Done", "100.0%", f"cos://{BUCKET}/old/done.txt"),
        ("Paused", "33.3%", f"cos://{BUCKET}/old/big.bin  (paused by you)"),  # its part is kept
        (
            "Failed",
            "0.0%",
            f"cos://{BUCKET}/old/report (1).pdf  AccessDenied (403): Access Denied. [request id NjVhYmNk]",
        ),
        ("Waiting", "0.0%", f"cos://{BUCKET}/old/hello.txt"),
    ]

    # Stored before batches were recorded: put in the batch they were listed in
    # then (four tasks a second apart), now with a number of their own.
    assert batches_listed(db) == ["1", "1", "1", "1"]

    resumed = cosdesk("tasks", "resume", "--db", str(db))

    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("resuming 2 tasks (1 interrupted, 1 paused): ")
    assert on_server(sandbox, "old/big.bin") == big
    assert on_server(sandbox, "old/hello.txt") == b"hello"
    assert [state for state, _, _ in listed(db)] == ["Done", "Done", "Failed", "Done"]
    assert batches_listed(db) == ["1", "1", "1", "1"]


def test_the_window_shows_the_list_and_the_history_an_earlier_version_left(
    sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    big = sources(tmp_path)
    save_profile(sandbox, credentials)  # resumes what was interrupted when it starts
    config.data_dir().mkdir(parents=True, exist_ok=True)
    write_old_database(config.data_dir() / "tasks.sqlite3", 3, sandbox.endpoint, tmp_path)

    driver: WindowDriver = open_window()

    driver.wait_states(
        lambda rows: (
            {row.key: row.state for row in rows}
            == {
                "old/done.txt": TaskState.SUCCESS,
                "old/big.bin": TaskState.PAUSED,
                "old/report (1).pdf": TaskState.ERROR,
                "old/hello.txt": TaskState.SUCCESS,  # it was waiting: it went up at the start
            }
        )
    )
    assert on_server(sandbox, "old/hello.txt") == b"hello"
    paused = driver.by_key()["old/big.bin"]
    driver.window.queue.restart(paused.task_id)
    driver.wait_states(lambda rows: driver.by_key()["old/big.bin"].state is TaskState.SUCCESS)
    assert on_server(sandbox, "old/big.bin") == big

    menu_action(driver.window, "View", "History").trigger()
    history = find(QTableView, "Transfer history", driver.window)
    model = history.model()
    name = next(
        column
        for column in range(model.columnCount())
        if model.headerData(column, Qt.Orientation.Horizontal) == "Name"
    )

    def names() -> list[str]:
        return [str(model.index(row, name).data()) for row in range(model.rowCount())]

    # The two transfers of the old history, below the two of today.
    wait_until(lambda: names() == ["big.bin", "hello.txt", "report.pdf", "done.txt"], 10, "the history")
