"""``cosdesk upload`` and ``cosdesk tasks`` as a user runs them: exit status, one-line errors."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BUCKET = "examplebucket-1250000000"
ROOT = Path(__file__).resolve().parents[2]


def cli_env(secret_key: str = "cosdesk-TEST-secret-key-0123456789") -> dict[str, str]:
    """The environment a command runs in: the test's keys, this checkout's cosdesk."""
    return {
        **os.environ,
        "COS_SECRET_ID": "AKIDcosdeskTESTsecretid",
        "COS_SECRET_KEY": secret_key,
        "PYTHONPATH": str(ROOT),
    }


def cosdesk(
    *args: str, secret_key: str = "cosdesk-TEST-secret-key-0123456789"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cosdesk", *args],
        env=cli_env(secret_key),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_upload_a_folder_then_list_and_clear(sandbox: Any, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (folder / "b.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    db = str(tmp_path / "t.sqlite3")
    result = cosdesk(
        "upload",
        str(folder),
        f"cos://{BUCKET}/up",
        "--endpoint",
        sandbox.endpoint,
        "--db",
        db,
        "--meta",
        "who=test",
        "--storage-class",
        "STANDARD_IA",
    )
    assert result.returncode == 0, result.stderr
    assert "2 uploaded, 0 failed" in result.stdout
    listing = cosdesk("tasks", "list", "--db", db)
    assert (
        listing.stdout.count(" Done ") == 2
        and "cos://examplebucket-1250000000/up/docs/b.bin" in listing.stdout
    )
    cleared = cosdesk("tasks", "clear", "--db", db)
    assert "2 tasks cleared" in cleared.stdout
    assert "no tasks" in cosdesk("tasks", "list", "--db", db).stdout


def test_options_may_come_between_the_files_the_destination_and_the_task_ids(
    sandbox: Any, tmp_path: Path
) -> None:
    # As cp and rclone take them: each of these said "unrecognized arguments" of
    # what followed the option.
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("a")
    second.write_text("b")
    db = str(tmp_path / "t.sqlite3")
    destination = f"cos://{BUCKET}/mixed/"
    result = cosdesk(
        "upload", str(first), "--db", db, str(second), "--endpoint", sandbox.endpoint, destination
    )
    assert result.returncode == 0 and "2 uploaded, 0 failed" in result.stdout, result.stderr
    # The list shows each task's id as the shortest prefix that tells it apart.
    rows = [row.split() for row in cosdesk("tasks", "list", "--db", db).stdout.splitlines()[1:3]]
    by_object = {row[-1]: row[0] for row in rows}
    result = cosdesk("tasks", "clear", "--db", db, by_object[f"{destination}b.txt"])
    assert result.returncode == 0 and "1 task cleared" in result.stdout, result.stderr
    listing = cosdesk("tasks", "list", "--db", db).stdout
    assert f"{destination}a.txt" in listing and f"{destination}b.txt" not in listing


def test_a_file_named_like_an_option_is_uploaded_after_a_double_dash(sandbox: Any, tmp_path: Path) -> None:
    (tmp_path / "-notes.txt").write_text("n")
    db = str(tmp_path / "t.sqlite3")
    command = [
        "upload",
        "--endpoint",
        sandbox.endpoint,
        "--db",
        db,
        "--",
        "-notes.txt",
        f"cos://{BUCKET}/dash/",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "cosdesk", *command],
        env=cli_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "1 uploaded, 0 failed" in result.stdout, result.stderr


def test_upload_ends_with_its_summary_printed_and_its_log_lines_written(sandbox: Any, tmp_path: Path) -> None:
    # The command ends its process without the interpreter's teardown (cli.exit_at_once).
    source = tmp_path / "x.txt"
    source.write_text("x")
    result = cosdesk(
        "upload",
        str(source),
        f"cos://{BUCKET}/",
        "--endpoint",
        sandbox.endpoint,
        "--db",
        str(tmp_path / "t.db"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n") and result.stdout.splitlines()[-1].startswith("1 uploaded, 0 failed;")
    log = (Path(os.environ["COSDESK_LOG_DIR"]) / "cosdesk.log").read_text()
    # A small file's routine start and end are no news: the batch's end says it.
    assert "upload started: " not in log and "upload done: " not in log
    (idle,) = [line for line in log.splitlines() if "queue idle: " in line]
    assert re.search(r"queue idle: 1 done, 0 failed, 0 paused, 0 canceled; 1 B of 1 B in \d+\.\d\d s$", idle)


def test_a_failed_file_is_one_line_and_a_nonzero_exit(sandbox: Any, tmp_path: Path) -> None:
    source = tmp_path / "x.txt"
    source.write_text("x")
    db = str(tmp_path / "t.sqlite3")
    result = cosdesk(
        "upload",
        str(source),
        f"cos://{BUCKET}/",
        "--endpoint",
        sandbox.endpoint,
        "--db",
        db,
        secret_key="wrong",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    failed_lines = [line for line in result.stderr.splitlines() if line.startswith("failed ")]
    assert len(failed_lines) == 1 and "SignatureDoesNotMatch (403)" in failed_lines[0]
    assert "0 uploaded, 1 failed" in result.stdout


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    result = cosdesk("upload", str(tmp_path / "missing"), f"cos://{BUCKET}/", "--db", str(tmp_path / "t.db"))
    assert result.returncode == 2 and "no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr
    result = cosdesk("upload", str(tmp_path), "not-a-destination", "--db", str(tmp_path / "t.db"))
    assert result.returncode == 2 and "cos://BUCKET/PREFIX" in result.stderr


def test_a_damaged_task_database_is_one_line_for_upload_and_tasks(tmp_path: Path) -> None:
    damaged = tmp_path / "tasks.sqlite3"
    damaged.write_bytes(b"not a database " * 100)
    (tmp_path / "a.txt").write_text("a")
    for args in (
        ("upload", str(tmp_path / "a.txt"), f"cos://{BUCKET}/", "--endpoint", "http://127.0.0.1:9"),
        ("tasks", "list"),
        ("tasks", "resume", "--endpoint", "http://127.0.0.1:9"),
    ):
        result = cosdesk(*args, "--db", str(damaged))
        assert result.returncode == 1, result.stderr
        command = args[0]
        assert (
            result.stderr
            == f"cosdesk {command}: cannot open the task database {damaged}: file is not a database\n"
        )


def test_tasks_pause_stops_a_running_upload_in_another_process(sandbox: Any, tmp_path: Path) -> None:
    big = tmp_path / "big.sparse"
    with open(big, "wb") as handle:
        handle.truncate(64 * 1024**3)  # 64 GiB of holes: long enough to pause in flight
    db = str(tmp_path / "t.sqlite3")
    env = cli_env()
    command = ["upload", str(big), f"cos://{BUCKET}/", "--endpoint", sandbox.endpoint, "--db", db]
    upload = subprocess.Popen(
        [sys.executable, "-m", "cosdesk", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        started = ("Checking", "Uploading")
        while not any(word in cosdesk("tasks", "list", "--db", db).stdout for word in started):
            assert time.monotonic() < deadline and upload.poll() is None, "the upload never started"
            time.sleep(0.2)
        paused = cosdesk("tasks", "pause", "--db", db)
        asked_at = time.monotonic()
        assert "1 task paused" in paused.stdout
        _, stderr = upload.communicate(timeout=30)
        stopped_after_s = time.monotonic() - asked_at
    finally:
        if upload.poll() is None:
            upload.kill()
    # It stopped by itself, well before 64 GiB could have gone, saying how to go on.
    assert stopped_after_s < 5, stopped_after_s
    assert upload.returncode == 1 and "cosdesk tasks resume" in stderr, stderr
    listing = cosdesk("tasks", "list", "--db", db).stdout
    assert " Paused " in listing and "big.sparse" in listing, listing


def test_tasks_cancel_of_one_batch_aborts_its_upload_and_leaves_the_other_batch(
    sandbox: Any, tmp_path: Path
) -> None:
    from cosdesk.cos.auth import Credentials
    from cosdesk.cos.client import CosClient
    from cosdesk.cos.endpoint import Endpoint

    db = str(tmp_path / "t.sqlite3")
    (tmp_path / "kept.txt").write_text("kept")
    assert cosdesk("upload", str(tmp_path / "kept.txt"), f"cos://{BUCKET}/k/", "--endpoint", sandbox.endpoint,
                   "--db", db, secret_key="wrong").returncode == 1  # fmt: skip
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(8 * 1024 * 1024))
    sandbox.faults.bandwidth_bytes_per_s = 1024 * 1024
    upload = subprocess.Popen(
        [sys.executable, "-m", "cosdesk", "upload", str(big), f"cos://{BUCKET}/b/", "--endpoint",
         sandbox.endpoint, "--db", db, "-q"],
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    client = CosClient(
        Credentials("AKIDcosdeskTESTsecretid", "cosdesk-TEST-secret-key-0123456789"),
        Endpoint.custom(sandbox.endpoint, path_style=True, region="ap-guangzhou"),
    )
    try:
        deadline = time.monotonic() + 30
        while not list(client.iter_multipart_uploads(BUCKET)):
            assert time.monotonic() < deadline and upload.poll() is None
            time.sleep(0.05)
        upload.send_signal(signal.SIGINT)
        upload.communicate(timeout=30)
        sandbox.faults.bandwidth_bytes_per_s = None

        canceled = cosdesk("tasks", "cancel", "--batch", "2", "--endpoint", sandbox.endpoint, "--db", db)

        assert canceled.returncode == 0, canceled.stderr
        assert canceled.stdout == "1 task canceled\n"
        assert list(client.iter_multipart_uploads(BUCKET)) == []
        states = [line.split()[4] for line in cosdesk("tasks", "list", "--db", db).stdout.splitlines()[1:-1]]
        assert states == ["Failed", "Canceled"]
    finally:
        if upload.poll() is None:
            upload.kill()
        client.close()


def test_parallel_limits_are_automatic_unless_a_number_is_given_and_v_shows_them(
    sandbox: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(20):
        (folder / f"{index}.txt").write_bytes(os.urandom(1000))
    db = str(tmp_path / "t.sqlite3")
    common = ["--endpoint", sandbox.endpoint, "--db", db, "-q"]
    automatic = cosdesk(
        "-v", "upload", str(folder), f"cos://{BUCKET}/auto", "--parallel-files", "auto", *common
    )
    assert automatic.returncode == 0, automatic.stderr
    assert "at once at the end: files " in automatic.stderr and "(auto)" in automatic.stderr
    fixed = cosdesk("-v", "upload", str(folder), f"cos://{BUCKET}/fixed", "--parallel-files", "2", *common)
    assert fixed.returncode == 0, fixed.stderr
    assert "at once at the end: files 2, parts " in fixed.stderr
    refused = cosdesk("upload", str(folder), f"cos://{BUCKET}/x", "--parallel-files", "0", *common)
    assert refused.returncode == 2 and "neither auto nor a whole number" in refused.stderr


def test_an_acl_cos_does_not_have_is_refused_before_anything_is_queued(tmp_path: Path) -> None:
    """--acl bogus was sent as it was (and the local server stored it)."""
    (tmp_path / "a.bin").write_bytes(b"a")
    db = tmp_path / "t.db"
    result = cosdesk("upload", str(tmp_path / "a.bin"), f"cos://{BUCKET}/", "--db", str(db), "--acl", "bogus")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "cosdesk upload: error: argument --acl: invalid choice: 'bogus'"
        " (choose from 'private', 'public-read', 'default')"
    )
    assert not db.exists()


def test_tasks_on_a_database_that_is_not_there_says_so_and_makes_none(tmp_path: Path) -> None:
    """A mistyped --db was answered "no tasks" (and an empty database was left there)."""
    missing = tmp_path / "typo.sqlite3"
    for action in ("list", "resume", "clear"):
        result = cosdesk("tasks", action, "--db", str(missing))
        assert (result.returncode, result.stderr.strip()) == (
            2,
            f"cosdesk tasks: no task database at {missing}",
        )
    assert not missing.exists()


def with_reader_gone(*args: str) -> tuple[int, str]:
    """Run ``cosdesk *args`` with its standard output read by no one (closed before
    it writes, as ``head`` is after its lines): its status and its stderr."""
    command = subprocess.Popen(
        [sys.executable, "-m", "cosdesk", *args],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert command.stdout is not None and command.stderr is not None
    command.stdout.close()
    errors = command.stderr.read()
    return command.wait(timeout=120), errors


def test_output_whose_reader_goes_away_ends_without_a_traceback(sandbox: Any, tmp_path: Path) -> None:
    """``cosdesk upload … | head -1`` printed a BrokenPipeError traceback for every
    file after the first, and ``cosdesk tasks list | head`` one traceback. An
    upload now goes on to its end, quietly, with its own status; a listing ends
    as a tool killed by SIGPIPE does: status 141. Nothing on stderr either way."""
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(300):  # lines enough to overflow Python's buffer of them
        (folder / f"{number:03d}.txt").write_text(str(number))
    db = str(tmp_path / "t.sqlite3")
    uploaded = with_reader_gone(
        "upload", str(folder), f"cos://{BUCKET}/", "--endpoint", sandbox.endpoint, "--db", db
    )
    assert uploaded == (0, "")
    assert "300 tasks in 1 batch: 300 Done" in cosdesk("tasks", "list", "--db", db).stdout
    assert with_reader_gone("tasks", "list", "--db", db) == (141, "")


def test_an_upload_and_its_resume_never_import_qt(sandbox: Any, tmp_path: Path) -> None:
    # Qt's import was about 60 ms of every command's start (ARCHITECTURE.md, "Start-up").
    source = tmp_path / "x.txt"
    source.write_text("x")
    db = str(tmp_path / "t.sqlite3")
    for args in (
        ("upload", str(source), f"cos://{BUCKET}/", "--endpoint", sandbox.endpoint, "--db", db),
        ("tasks", "resume", "--endpoint", sandbox.endpoint, "--db", db),
    ):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "cosdesk", *args],
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line]
        if args[0] == "upload":
            assert "cosdesk.engine.queue" in imported  # the engine ran
        assert not [name for name in imported if name.startswith(("PySide6", "shiboken6"))], args
