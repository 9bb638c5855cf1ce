"""``cosdesk tasks`` and ``cosdesk upload`` on a database of many tasks (on demand:
``python -m pytest tests/bench/test_tasks_cli_scale.py -s``).

A task database of ``COSDESK_BENCH_FILES`` finished tasks (default 100,000; the
goal is stated for 1,000,000), or a copy of ``COSDESK_BENCH_RESTART_DB`` (one of
that many built before, as for test_window_scale.py's restart). One more
``cosdesk upload`` then fails there with a wrong key, so the database holds one
failed task in a batch of its own. Each command runs as a child process of the
installed ``cosdesk``, measured whole (wall time; peak RSS through
``bench_clients.py measure``, whose own RSS is about 10 MiB):

- the failing upload, whose summary prints the command that resumes its batch;
- ``tasks list --state failed`` (the question "which failed?");
- ``tasks list`` piped into ``head``: how soon its first page shows;
- ``tasks list`` whole, to a file;
- ``tasks resume --batch N``, as the upload printed it, with the key put right.

Goals: the failing upload, the failed list, the first page and the resume each
within 3 s, and no command above 200 MiB, however many tasks the database holds.
When the commands read every task first, a million took them 23 s, 25 s, 30 s,
30-33 s and 37 s, at 1.3-1.9 GB; when SQLite sorted whole rows, the first page
took 5-7 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.finished_tasks import finished_database
from support.server_process import server_process

from cosdesk.engine.store import TaskStore
from cosdesk.task_batches import batches_in_order

pytestmark = pytest.mark.timeout(3600)

FILES = int(os.environ.get("COSDESK_BENCH_FILES", "100000"))
BUCKET = "listbench-1250000000"
SECRET_ID, SECRET_KEY = "list-bench-id", "list-bench-key"
MEASURE = [sys.executable, str(Path(__file__).with_name("bench_clients.py")), "measure"]
COSDESK = str(Path(sys.executable).with_name("cosdesk"))
MiB = 1024 * 1024
MOST_RSS = 200 * MiB
MOST_SECONDS = 3.0


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with server_process(tmp_path_factory.mktemp("server"), BUCKET, SECRET_ID, SECRET_KEY) as server:
        yield server.endpoint


def database(path: Path) -> Path:
    built_before = os.environ.get("COSDESK_BENCH_RESTART_DB")
    if not built_before:
        return finished_database(path, FILES)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built_before, path)
    # A database of an earlier version has tasks without a batch: the first command
    # numbers them, once (task_batches.py). Done here, so that no measure has it.
    started = time.perf_counter()
    store = TaskStore(path)
    try:
        batches_in_order(store)
    finally:
        store.close()
    print(f"\n(its tasks were put in batches first, in {time.perf_counter() - started:.1f} s)")
    return path


def measured(
    command: list[str],
    work: Path,
    name: str,
    *,
    exit_code: int = 0,
    shell_tail: str = "",
    secret_key: str = "a wrong key",
) -> tuple[float, int, str]:
    """Wall seconds, peak RSS and output of one ``cosdesk`` command, which must
    exit with ``exit_code`` (its output piped through ``shell_tail`` when given,
    e.g. ``| head -5``)."""
    report = work / f"{name}.json"
    output = work / f"{name}.out"
    measured_command = [*MEASURE, str(report), *command]
    env = {**os.environ, "COS_SECRET_ID": SECRET_ID, "COS_SECRET_KEY": secret_key}
    started = time.perf_counter()
    if shell_tail:
        line = " ".join(f"'{part}'" for part in measured_command) + f" {shell_tail} > '{output}'"
        subprocess.run(["sh", "-c", line], env=env, check=True)
    else:
        with output.open("wb") as sink:
            subprocess.run(measured_command, env=env, stdout=sink, stderr=subprocess.STDOUT, check=True)
    wall_s = time.perf_counter() - started
    figures = json.loads(report.read_text())
    assert figures["exit_code"] == exit_code, (command, output.read_text(errors="replace")[-2000:])
    return wall_s, int(figures["peak_rss_bytes"]), output.read_text(errors="replace")


def test_commands_on_a_big_database_read_only_what_they_show(endpoint: str, tmp_path: Path) -> None:
    db = database(tmp_path / "db" / "tasks.sqlite3")
    source = tmp_path / "report.txt"
    source.write_text("the quarterly report\n")
    on_db = ["--db", str(db)]

    upload = [COSDESK, "upload", str(source), f"cos://{BUCKET}/bench/", "--endpoint", endpoint, *on_db]
    upload_s, upload_rss, upload_out = measured(upload, tmp_path, "upload", exit_code=1)
    resume_line = next(line for line in upload_out.splitlines() if "cosdesk tasks resume --batch" in line)
    batch = resume_line.split("--batch ")[1].split()[0]
    failed = [COSDESK, "tasks", "list", "--state", "failed", *on_db]
    failed_s, failed_rss, failed_out = measured(failed, tmp_path, "failed")
    assert "report.txt" in failed_out and "1 task in 1 batch: 1 Failed" in failed_out
    # Ended by head: the command's next write finds no reader (exit 141, as a shell's pipeline).
    page = [COSDESK, "tasks", "list", *on_db]
    page_s, page_rss, page_out = measured(page, tmp_path, "page", exit_code=141, shell_tail="| head -5")
    assert len(page_out.splitlines()) == 5
    whole_s, whole_rss, whole_out = measured([COSDESK, "tasks", "list", *on_db], tmp_path, "whole")
    assert f"{FILES + 1} tasks in 2 batches" in whole_out.splitlines()[-1]
    # The key put right: the printed command finishes the failed file.
    resume = [COSDESK, "tasks", "resume", "--batch", batch, "--endpoint", endpoint, *on_db]
    resume_s, resume_rss, resume_out = measured(resume, tmp_path, "resume", secret_key=SECRET_KEY)
    assert "1 uploaded, 0 failed" in resume_out

    print(f"\n{FILES:,} finished tasks and one failed upload (its batch {batch}) in one task database:")
    for what, wall_s, rss in (
        ("cosdesk upload, failing, with its summary", upload_s, upload_rss),
        ("tasks list --state failed", failed_s, failed_rss),
        ("tasks list | head -5", page_s, page_rss),
        ("tasks list, whole, to a file", whole_s, whole_rss),
        (f"tasks resume --batch {batch}", resume_s, resume_rss),
    ):
        print(f"  {what:<44} {wall_s:6.2f} s  peak RSS {rss / MiB:6.1f} MiB")
    assert max(upload_s, failed_s, page_s, resume_s) <= MOST_SECONDS
    assert max(upload_rss, failed_rss, page_rss, whole_rss, resume_rss) <= MOST_RSS
