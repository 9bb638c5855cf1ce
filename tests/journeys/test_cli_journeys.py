"""The command line's journeys: the installed ``cosdesk`` run as a person runs it
in a terminal, against the local server, checking what it prints, its exit
status, and what reached the server.

Each journey is a day's errand: upload a few things, look at the queue, finish
what was left, limit the bandwidth, make a typo in the bucket, hit a folder
that cannot be read, a file with a strange name, a database deleted under a
running upload."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.tcp_proxy import TcpProxy
from support.window_driver import make_file
from support.workloads import BUCKET, REGION, SECRET_ID, SECRET_KEY, MiB

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import CosError

# The command the package installs, next to this Python (the venv's bin).
COSDESK = Path(sys.executable).with_name("cosdesk")
TASK_ROW = re.compile(r"^[0-9a-f]{12,32}  ")
SUMMARY = re.compile(
    r"^(?P<uploaded>\d+) uploaded, (?P<failed>\d+) failed.*; (?P<loaded>[\d.]+ \w+) of (?P<total>[\d.]+ \w+)"
    # A run shorter than a tenth of a second says "in under 0.1 s".
    r" in (?P<under>under )?(?P<elapsed>[\d.]+) s(?: \((?P<speed>[\d.]+) (?P<unit>\w+)/s on average\))?$"
)
UNITS = {"B": 1, "KiB": 1024, "MiB": MiB, "GiB": 1024 * MiB}


@pytest.fixture(autouse=True)
def installed_command() -> None:
    if not COSDESK.exists():
        pytest.fail(f"{COSDESK} is missing: pip install -e . installs the cosdesk command")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The task database every command of the test uses (as COSDESK_DB, so the
    commands the CLI suggests can be run as printed)."""
    path = tmp_path / "data" / "tasks.sqlite3"
    monkeypatch.setenv("COSDESK_DB", str(path))
    return path


@pytest.fixture
def server_files(sandbox: Any, credentials: Credentials) -> Iterator[CosClient]:
    """A client straight to the local server, to see what arrived there."""
    client = CosClient(credentials, Endpoint.custom(sandbox.endpoint, path_style=True, region=REGION))
    yield client
    client.close()


def command_env(secret_key: str = SECRET_KEY) -> dict[str, str]:
    return {**os.environ, "COS_SECRET_ID": SECRET_ID, "COS_SECRET_KEY": secret_key}


def cosdesk(
    *args: str, secret_key: str = SECRET_KEY, timeout_s: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COSDESK), *args],
        env=command_env(secret_key),
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def start_cosdesk(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(COSDESK), *args], env=command_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def upload(
    sandbox: Any, *sources: Path | str, prefix: str, secret_key: str = SECRET_KEY
) -> subprocess.CompletedProcess[str]:
    return cosdesk(
        "upload",
        *map(str, sources),
        f"cos://{BUCKET}/{prefix}",
        "--endpoint",
        sandbox.endpoint,
        secret_key=secret_key,
    )


def task_rows(listing: str) -> list[str]:
    return [line for line in listing.splitlines() if TASK_ROW.match(line)]


def size_of(text: str) -> float:
    number, unit = text.split()
    return float(number) * UNITS[unit]


def object_size(server_files: CosClient, key: str) -> int | None:
    try:
        return server_files.head_object(BUCKET, key).content_length
    except CosError:
        return None


def wait_for_first_file(process: subprocess.Popen[str]) -> None:
    """Read the upload's output until it says a file is uploaded."""
    assert process.stdout is not None
    line = process.stdout.readline()
    while line and not line.startswith("uploaded "):
        line = process.stdout.readline()
    assert line, f"the upload ended before its first file: {process.communicate()}"


def wait_for_progress(process: subprocess.Popen[str], at_least: float, timeout_s: float = 20) -> None:
    """Read the upload's progress lines (as a person watches them) until one shows
    at least ``at_least`` percent."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if not ready:
            continue
        line = process.stdout.readline()
        assert line, f"the upload ended first: {process.communicate()}"
        shown = re.match(r"^\s*(\d+\.\d)%", line)
        if shown and float(shown[1]) >= at_least:
            return
    raise AssertionError(f"no progress line reached {at_least}%")


# --- 19: looking at the queue, finishing what was left ----------------------------------


def test_tasks_list_shows_batches_oldest_first_with_the_windows_state_names_and_totals(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    first = tmp_path / "photos"
    make_file(first / "a.jpg", 1000)
    make_file(first / "b.raw", 3 * MiB // 2)
    assert upload(sandbox, first, prefix="trip").returncode == 0
    refused = tmp_path / "notes.txt"
    make_file(refused, 500)
    assert upload(sandbox, refused, prefix="docs", secret_key="wrong").returncode == 1
    later = tmp_path / "later.txt"
    make_file(later, 2000)
    assert upload(sandbox, later, prefix="docs").returncode == 0

    listing = cosdesk("tasks", "list")

    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    header = lines[0]
    assert header.split() == ["TASK", "BATCH", "ADDED", "STATE", "DONE", "SIZE", "OBJECT"]
    rows = task_rows(listing.stdout)
    assert len(lines) == len(rows) + 2  # the header, a row per task, the totals
    # Oldest first, each command its own batch, in the window's words.
    objects = [row.split()[8] for row in rows]
    assert objects == [
        f"cos://{BUCKET}/trip/photos/a.jpg",
        f"cos://{BUCKET}/trip/photos/b.raw",
        f"cos://{BUCKET}/docs/notes.txt",
        f"cos://{BUCKET}/docs/later.txt",
    ]
    assert [row.split()[1] for row in rows] == ["1", "1", "2", "3"]
    assert [row.split()[4] for row in rows] == ["Done", "Done", "Failed", "Done"]
    assert not re.search(r"\b(success|error|checking|waiting)\b", listing.stdout)
    assert "SignatureDoesNotMatch (403)" in rows[2]
    # Aligned: every column starts where its heading does.
    for heading in ("STATE", "OBJECT"):
        column = header.index(heading)
        assert all(row[column - 1] == " " and row[column] != " " for row in rows), heading
    # The totals are the server's truth: what arrived of what was asked.
    arrived = sum(
        object_size(server_files, key) or 0
        for key in ("trip/photos/a.jpg", "trip/photos/b.raw", "docs/later.txt")
    )
    assert arrived == 1000 + 3 * MiB // 2 + 2000
    assert object_size(server_files, "docs/notes.txt") is None
    totals = lines[-1]
    match = re.fullmatch(r"4 tasks in 3 batches: 3 Done, 1 Failed; (.+) of (.+) uploaded", totals)
    assert match, totals
    assert size_of(match.group(1)) == pytest.approx(arrived, rel=0.05)
    assert size_of(match.group(2)) == pytest.approx(arrived + 500, rel=0.05)

    failed_only = cosdesk("tasks", "list", "--state", "failed").stdout
    assert [row.split()[0] for row in task_rows(failed_only)] == [rows[2].split()[0]]
    assert failed_only.splitlines()[-1] == "1 task in 1 batch: 1 Failed; 0 B of 500 B uploaded"
    # The word a person tries first says the same (it listed every task).
    assert cosdesk("tasks", "list", "--failed").stdout == failed_only
    misplaced = cosdesk("tasks", "cancel", "--failed")
    assert misplaced.returncode == 2
    assert misplaced.stderr == (
        "cosdesk tasks: --failed goes with resume or list; to cancel failed tasks, use --state failed\n"
    )
    paused = cosdesk("tasks", "pause", "--failed")
    assert paused.stderr == "cosdesk tasks: --failed goes with resume or list\n"
    assert cosdesk("tasks", "list").stdout == listing.stdout  # nothing was canceled or paused
    first_batch = cosdesk("tasks", "list", "--batch", "1").stdout
    assert len(task_rows(first_batch)) == 2
    assert first_batch.splitlines()[-1].startswith("2 tasks in 1 batch: 2 Done; ")


def test_each_task_id_the_list_shows_names_that_task_alone(
    sandbox: Any, database: Path, tmp_path: Path
) -> None:
    """Ids made together share their first 12 digits (the millisecond they were
    made): the list showed those 12 for every file of a folder, and giving one
    back said it matched them all."""
    for name in ("a.txt", "b.txt", "c.txt"):
        make_file(tmp_path / "notes" / name, 100)
    assert upload(sandbox, tmp_path / "notes", prefix="ids").returncode == 0

    shown = [row.split() for row in task_rows(cosdesk("tasks", "list").stdout)]
    assert [cells[-1] for cells in shown] == [f"cos://{BUCKET}/ids/notes/{n}.txt" for n in "abc"]
    ids = [cells[0] for cells in shown]
    assert len(set(ids)) == 3, ids
    for task_id, cells in zip(ids, shown, strict=True):
        alone = cosdesk("tasks", "list", task_id)
        assert alone.returncode == 0, alone.stderr
        assert [row.split() for row in task_rows(alone.stdout)] == [cells]

    cleared = cosdesk("tasks", "clear", ids[1])
    assert cleared.returncode == 0, cleared.stderr
    assert cleared.stdout.strip() == "1 task cleared"
    left = [row.split()[-1] for row in task_rows(cosdesk("tasks", "list").stdout)]
    assert left == [f"cos://{BUCKET}/ids/notes/{n}.txt" for n in "ac"]


def test_a_printed_batch_number_still_names_its_files_after_older_batches_are_cleared(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    """Batches were numbered by counting them, so clearing batch 1 made the
    command printed for batch 2 resume batch 3's files instead."""
    assert upload(sandbox, make_file(tmp_path / "done.txt", 300), prefix="one").returncode == 0
    suggested = []
    for name in ("report.txt", "other.txt"):
        refused = upload(sandbox, make_file(tmp_path / name, 400), prefix="two", secret_key="wrong")
        assert refused.returncode == 1, refused.stderr
        command = re.search(r"once the cause above is fixed: `(.+)`", refused.stderr)
        assert command, refused.stderr
        suggested.append(command[1])
    assert suggested == ["cosdesk tasks resume --batch 2", "cosdesk tasks resume --batch 3"]

    cleared = cosdesk("tasks", "clear", "--batch", "1")
    assert cleared.returncode == 0, cleared.stderr
    listing = cosdesk("tasks", "list").stdout
    assert [(row.split()[1], row.split()[8]) for row in task_rows(listing)] == [
        ("2", f"cos://{BUCKET}/two/report.txt"),
        ("3", f"cos://{BUCKET}/two/other.txt"),
    ]

    retried = cosdesk(*shlex.split(suggested[0])[1:])
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.splitlines()[0] == "resuming 1 task (1 failed): 400 B to send"
    assert object_size(server_files, "two/report.txt") == 400
    assert object_size(server_files, "two/other.txt") is None
    gone = cosdesk("tasks", "list", "--batch", "1")
    assert gone.returncode == 2
    assert gone.stderr.strip() == (
        "cosdesk tasks: no batch 1 (the database has batches 2, 3; see cosdesk tasks list)"
    )


def test_a_failure_the_server_may_not_repeat_is_offered_a_plain_retry(sandbox: Any, tmp_path: Path) -> None:
    # The server is overloaded (503 to every request) and no automatic retry is
    # allowed: the file fails, but sending it again later may well work, so the
    # CLI offers the retry without asking to fix anything first.
    sandbox.faults.error_rate = 1.0
    busy = make_file(tmp_path / "busy.txt", 900)
    destination = f"cos://{BUCKET}/busy/"
    failed = cosdesk("upload", str(busy), destination, "--endpoint", sandbox.endpoint, "--retries", "0")
    assert failed.returncode == 1, failed.stderr
    assert re.search(r"failed .*busy\.txt: \S+ \(503\)", failed.stderr), failed.stderr
    assert "once the cause above is fixed" not in failed.stderr
    suggested = re.search(r"to retry the failed files: `(.+)`", failed.stderr)
    assert suggested and suggested[1] == "cosdesk tasks resume --batch 1", failed.stderr

    sandbox.faults.error_rate = 0.0
    retried = cosdesk(*shlex.split(suggested[1])[1:])
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.splitlines()[0] == "resuming 1 task (1 failed): 900 B to send"


def test_tasks_resume_says_what_it_runs_and_leaves_old_failures_alone(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    # Yesterday: a file refused for a wrong key. The CLI says how to retry it, once
    # the key is right: the same command now would fail the same way.
    old = make_file(tmp_path / "old.txt", 700)
    refused = upload(sandbox, old, prefix="old", secret_key="wrong")
    assert refused.returncode == 1
    suggested = re.search(r"to retry the failed files once the cause above is fixed: `(.+)`", refused.stderr)
    assert suggested and suggested[1] == "cosdesk tasks resume --batch 1", refused.stderr

    # Today: a big upload, interrupted with Ctrl-C halfway.
    sandbox.faults.bandwidth_bytes_per_s = 1 * MiB
    big = make_file(tmp_path / "big.bin", 4 * MiB)
    running = start_cosdesk("upload", str(big), f"cos://{BUCKET}/new/", "--endpoint", sandbox.endpoint)
    try:
        wait_for_progress(running, at_least=25)
        running.send_signal(signal.SIGINT)
        _, interrupted_err = running.communicate(timeout=30)
    finally:
        if running.poll() is None:
            running.kill()
    assert running.returncode == 130
    assert "interrupted: run `cosdesk tasks resume --batch 2` to finish" in interrupted_err
    sandbox.faults.bandwidth_bytes_per_s = None
    # The list says so: no cosdesk is at work on it (it said Uploading or Checking).
    waiting = cosdesk("tasks", "list", "--state", "interrupted").stdout
    assert [row.split()[4] for row in task_rows(waiting)] == ["Interrupted"]
    assert waiting.splitlines()[-1].startswith("1 task in 1 batch: 1 Interrupted; ")

    resumed = cosdesk("tasks", "resume")

    # It says what it runs before running it, and why the old failure is not in it.
    lines = resumed.stdout.splitlines()
    assert lines[0].startswith("resuming 1 task (1 interrupted): ") and lines[0].endswith(" to send")
    assert size_of(lines[0].split(": ")[1].removesuffix(" to send")) <= 4 * MiB
    assert lines[1] == "left alone: 1 failed (add --failed to retry them, or name their batch or ids)"
    assert resumed.returncode == 0, resumed.stderr
    assert object_size(server_files, "new/big.bin") == 4 * MiB
    assert object_size(server_files, "old/old.txt") is None
    listing = cosdesk("tasks", "list").stdout
    assert [row.split()[4] for row in task_rows(listing)] == ["Failed", "Done"]

    # The command the failed upload suggested, now with the right key.
    retried = cosdesk(*shlex.split(suggested[1])[1:])
    assert retried.stdout.splitlines()[0] == "resuming 1 task (1 failed): 700 B to send"
    assert retried.returncode == 0, retried.stderr
    summary = SUMMARY.match(retried.stdout.splitlines()[-1])
    assert summary and (summary["uploaded"], summary["loaded"], summary["total"]) == (
        "1",
        "700 B",
        "700 B",
    ), retried.stdout
    assert object_size(server_files, "old/old.txt") == 700


# --- 20: how long, how fast, and a bandwidth limit that holds -------------------------------


def test_upload_summary_says_how_long_it_took_and_how_fast_without_a_zero_speed_line(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    folder = tmp_path / "batch"
    sizes = {"one.bin": 3 * MiB, "two.bin": 2 * MiB, "three.txt": 40_000}
    for name, size in sizes.items():
        make_file(folder / name, size)
    # Each connection is held to 0.75 MiB/s: the run takes over a second, long enough
    # for an average speed to say how fast the link was.
    sandbox.faults.bandwidth_bytes_per_s = MiB * 3 // 4

    started = time.monotonic()
    result = upload(sandbox, folder, prefix="timed")
    wall_s = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    progress = [line for line in lines if re.match(r"^\s*\d+\.\d%", line)]
    summary = SUMMARY.match(lines[-1])
    assert progress and summary, result.stdout
    # The last progress line says where things stand, not "0 B/s  ETA --:--".
    assert progress[-1].split()[0] == "100.0%"
    assert "B/s" not in progress[-1] and "ETA" not in progress[-1], progress[-1]
    total = sum(sizes.values())
    assert sum(object_size(server_files, f"timed/batch/{name}") or 0 for name in sizes) == total
    # The time is the command's own, the speed is the bytes over that time.
    elapsed_s = float(summary["elapsed"])
    assert 1.0 <= elapsed_s <= wall_s + 0.05
    # Both figures are rounded to a tenth: the speed lies between what the ends of
    # the elapsed time's rounding give, within its own rounding.
    unit = UNITS[summary["unit"]]
    average = float(summary["speed"]) * unit
    assert total / (elapsed_s + 0.05) - 0.05 * unit <= average <= total / (elapsed_s - 0.05) + 0.05 * unit
    assert summary["uploaded"] == "3" and summary["failed"] == "0"

    # A quick run says how long it took, and no speed: over a fraction of a second
    # that is round trips, not the link ("101 B/s" for 3 bytes).
    sandbox.faults.bandwidth_bytes_per_s = None
    make_file(tmp_path / "note.txt", 3)
    quick = upload(sandbox, tmp_path / "note.txt", prefix="quick")
    assert quick.returncode == 0, quick.stderr
    summary = SUMMARY.match(quick.stdout.splitlines()[-1])
    assert summary and summary["uploaded"] == "1", quick.stdout
    assert float(summary["elapsed"]) < 1.0 and summary["speed"] is None, quick.stdout


def read_terminal(master_fd: int, process: subprocess.Popen[str], screen: list[bytes]) -> None:
    while True:
        ready, _, _ = select.select([master_fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(master_fd, 65536)
            except OSError:
                return
            if not data:
                return
            screen.append(data)
        elif process.poll() is not None:
            return


def test_an_upload_waits_out_a_lost_network_and_finishes(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    """The network goes away for five seconds in the middle of a folder: the
    command used to report the file it was sending failed after its three
    retries (about three seconds) and end with exit status 1."""
    folder = tmp_path / "album"
    sizes = {f"photo-{number}.jpg": 384 * 1024 for number in range(6)}
    for name, size in sizes.items():
        make_file(folder / name, size)
    with TcpProxy(sandbox.port) as proxy:
        command = ["upload", str(folder), f"cos://{BUCKET}/album/", "--endpoint", proxy.endpoint]
        # One file at a time, slowly: most are still to send when the network goes.
        process = start_cosdesk(*command, "--bandwidth-limit", "512K", "--parallel-files", "1")
        try:
            wait_for_first_file(process)
            proxy.cut()
            time.sleep(5)  # longer than the request's own retries
            proxy.restore()
            out, err = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, err
    summary = out.splitlines()[-1]
    assert SUMMARY.match(summary) and summary.startswith("6 uploaded, 0 failed"), out
    # Said as a wait, once for the file it hit, never as a failure.
    waits = [line for line in err.splitlines() if line.startswith("waiting ")]
    assert waits, err
    assert all("NetworkError" in line and line.endswith("; trying again by itself") for line in waits), err
    assert len(waits) == len(set(waits)), err
    assert "failed " not in err
    for name in sizes:
        assert server_files.get_object(BUCKET, f"album/album/{name}").content == (folder / name).read_bytes()


def test_ctrl_c_when_the_network_went_silent_stops_at_once_and_the_upload_resumes_later(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    """The network stops carrying anything in the middle of a file, and nothing
    says so. Ctrl-C said "interrupted" and then waited for the request's timeout,
    30 s, before the command ended."""
    folder = tmp_path / "scans"
    names = [f"page-{number}.tif" for number in range(6)]
    for name in names:
        make_file(folder / name, 64 * 1024)
    with TcpProxy(sandbox.port) as proxy:
        command = ["upload", str(folder), f"cos://{BUCKET}/scans/", "--endpoint", proxy.endpoint]
        running = start_cosdesk(*command, "--parallel-files", "1", "--bandwidth-limit", "128K")
        try:
            wait_for_first_file(running)
            proxy.faults.silent = True
            time.sleep(1.0)
            asked_at = time.monotonic()
            running.send_signal(signal.SIGINT)
            _, stderr = running.communicate(timeout=60)
            took_s = time.monotonic() - asked_at
        finally:
            if running.poll() is None:
                running.kill()
        proxy.faults.silent = False

        assert running.returncode == 130, stderr
        assert took_s < 8, f"Ctrl-C took {took_s:.1f} s"
        assert "interrupted: run `cosdesk tasks resume --batch 1` to finish" in stderr, stderr
        resumed = cosdesk("tasks", "resume", "--batch", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[-1].startswith("5 uploaded, 0 failed"), resumed.stdout
    for name in names:
        assert server_files.get_object(BUCKET, f"scans/scans/{name}").content == (folder / name).read_bytes()


def test_a_server_out_of_reach_stops_the_upload_after_three_files_not_after_each(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    """Nothing answers at the endpoint (a server that is down): each file used to
    fail after its own retries, about three seconds each; twenty files took 42 s."""
    folder = tmp_path / "reports"
    for number in range(10):
        make_file(folder / f"report-{number}.pdf", 1000)
    with TcpProxy(sandbox.port) as proxy:
        proxy.cut()
        started = time.monotonic()
        stopped = cosdesk("upload", str(folder), f"cos://{BUCKET}/reports/", "--endpoint", proxy.endpoint)
        took_s = time.monotonic() - started

        assert stopped.returncode == 1, stopped.stderr
        assert took_s < 20, took_s
        failed = [line for line in stopped.stderr.splitlines() if line.startswith("failed ")]
        assert all("NetworkError" in line for line in failed), stopped.stderr
        # The third failure stops it; files already under way with it (the automatic
        # files at once, up to a few) end failed too, and the words count them.
        assert 3 <= len(failed) <= 5, stopped.stderr
        left = 10 - len(failed)
        last = stopped.stderr.splitlines()[-1]
        said = re.fullmatch(
            rf"stopped: the first {len(failed)} files got no answer from the server \(NetworkError: .+\), so"
            rf" the other {left} files were left for later: run `(cosdesk tasks resume --batch 1)` once it"
            r" answers",
            last,
        )
        assert said, stopped.stderr
        summary = stopped.stdout.splitlines()[-1]
        assert summary.startswith(f"0 uploaded, {len(failed)} failed, {left} unfinished; "), stopped.stdout

        # The server answers again: the command it gave finishes all ten.
        proxy.restore()
        resumed = cosdesk(*shlex.split(said[1])[1:])
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[-1].startswith("10 uploaded, 0 failed; "), resumed.stdout
    for number in range(10):
        assert object_size(server_files, f"reports/reports/report-{number}.pdf") == 1000


def test_a_bandwidth_limit_holds_from_the_first_second_at_the_server(
    sandbox: Any, database: Path, tmp_path: Path
) -> None:
    limit = 40 * MiB
    folder = tmp_path / "big"
    for number in range(6):
        make_file(folder / f"part{number}.bin", 16 * MiB)
    samples: list[tuple[float, int]] = []
    done = threading.Event()
    with TcpProxy(sandbox.port) as proxy:

        def count_arrivals() -> None:
            while not done.is_set():
                samples.append((time.monotonic(), proxy.bytes_up))
                time.sleep(0.01)

        sampler = threading.Thread(target=count_arrivals, daemon=True)
        master_fd, terminal_fd = pty.openpty()  # the person's terminal: a refreshing line
        command = [
            str(COSDESK),
            "upload",
            str(folder),
            f"cos://{BUCKET}/limited/",
            "--endpoint",
            proxy.endpoint,
            "--bandwidth-limit",
            "40M",
        ]
        sampler.start()
        process = subprocess.Popen(
            command, env=command_env(), stdout=terminal_fd, stderr=subprocess.PIPE, text=True
        )
        os.close(terminal_fd)
        screen: list[bytes] = []
        try:
            read_terminal(master_fd, process, screen)
            process.wait(timeout=60)
        finally:
            done.set()
            sampler.join()
            os.close(master_fd)
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""

    # At the server: from the first byte on, no stretch of half a second or more
    # receives more than the limit allows, give or take one chunk (the one paid for
    # as the stretch began), the bucket's 50 ms burst, the sampling's 10 ms steps
    # at either end and the requests' headers.
    arrivals = [(moment, count) for moment, count in samples if count > 0]
    allowance = 1 * MiB + 0.05 * limit + 0.02 * limit + 64 * 1024
    worst = 0.0
    for index, (start, before) in enumerate(arrivals):
        for end, after in arrivals[index:]:
            if end - start >= 0.5:
                worst = max(worst, (after - before) - limit * (end - start))
    assert worst <= allowance, f"{worst / MiB:.1f} MiB over the limit"
    first_second = max(count for moment, count in arrivals if moment - arrivals[0][0] <= 1.0)
    assert first_second <= limit + allowance
    total_s = arrivals[-1][0] - arrivals[0][0]
    assert 96 * MiB / total_s >= 0.85 * limit  # and the limit is not a crawl

    # On the screen: every speed the refreshing line showed was within the limit.
    text = b"".join(screen).decode(errors="replace")
    readings = [float(value) for value in re.findall(r"(\d+\.\d) MiB/s", text.split("uploaded,")[0])]
    assert len(readings) >= 10, text[-500:]
    assert max(readings) <= 40 * 1.1, readings


# --- 21: a typo in the bucket ------------------------------------------------------------------


def test_a_bucket_without_appid_is_refused_before_anything_is_queued(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    source = make_file(tmp_path / "report.pdf", 5000)

    result = cosdesk("upload", str(source), "cos://examplebucket/reports/", "--endpoint", sandbox.endpoint)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(
        "cosdesk upload: bucket 'examplebucket' is not of the form BucketName-APPID"
    )
    assert cosdesk("tasks", "list").stdout == "no tasks\n"
    assert list(server_files.iter_objects(BUCKET)) == []


# --- 22: an unreadable folder, strange names, a database deleted under an upload ---------------


def test_an_unreadable_subfolder_is_reported_and_the_exit_status_says_so(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    prefix: list[str] = []
    if os.geteuid() == 0:  # root reads everything: drop the capabilities that allow it
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a folder unreadable")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    folder = tmp_path / "project"
    make_file(folder / "readme.txt", 300)
    make_file(folder / "private" / "diary.txt", 200)
    (folder / "private").chmod(0)
    try:
        result = subprocess.run(
            [
                *prefix,
                str(COSDESK),
                "upload",
                str(folder),
                f"cos://{BUCKET}/p/",
                "--endpoint",
                sandbox.endpoint,
            ],
            env=command_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        (folder / "private").chmod(0o755)

    assert result.returncode == 1
    assert f"skipped {folder / 'private'}: cannot list: Permission denied" in result.stderr
    assert "1 file or folder could not be read and was not uploaded" in result.stderr
    assert result.stdout.splitlines()[-1].startswith("1 uploaded, 0 failed, 1 unreadable; ")
    assert object_size(server_files, "p/project/readme.txt") == 300
    assert object_size(server_files, "p/project/private/diary.txt") is None


def test_file_names_with_line_breaks_and_escape_sequences_are_printed_escaped(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    folder = tmp_path / "odd"
    names = ["new\nline.txt", "carriage\rreturn.txt", "esc\x1b[2Jclear.txt", "back\\slash.txt", "plain.txt"]
    for name in names:
        make_file(folder / name, 100)

    result = upload(sandbox, folder, prefix="odd")
    listing = cosdesk("tasks", "list")

    printed = result.stdout + result.stderr + listing.stdout + listing.stderr
    # Nothing that moves the cursor, clears the screen or splits a line reaches the terminal.
    assert "\x1b" not in printed and "\r" not in printed
    assert not [line for line in printed.splitlines() if line.startswith(("line.txt", "return.txt"))]
    failed_lines = [line for line in result.stderr.splitlines() if line.startswith("failed ")]
    assert all(str(folder) in line for line in failed_lines), failed_lines
    for shown in ("new\\nline.txt", "carriage\\rreturn.txt", "esc\\x1b[2Jclear.txt"):
        assert shown in listing.stdout
    rows = task_rows(listing.stdout)
    assert len(rows) == len(names) and len(listing.stdout.splitlines()) == len(names) + 2
    # The names a key can hold reached the server; every one is accounted for.
    uploaded = int(SUMMARY.match(result.stdout.splitlines()[-1])["uploaded"])  # type: ignore[index]
    on_server = [name for name in names if object_size(server_files, f"odd/odd/{name}") is not None]
    assert uploaded == len(on_server) and "plain.txt" in on_server
    # A backslash is a character of a Linux file name: the key keeps it (ARCHITECTURE.md, "Object keys").
    assert "back\\slash.txt" in on_server and object_size(server_files, "odd/odd/back/slash.txt") is None
    assert result.returncode == (0 if uploaded == len(names) else 1)


def test_deleting_the_task_database_during_an_upload_keeps_its_unfinished_tasks(
    sandbox: Any, database: Path, tmp_path: Path, server_files: CosClient
) -> None:
    folder = tmp_path / "videos"
    for number in range(3):
        make_file(folder / f"clip{number}.mp4", 4 * MiB)
    sandbox.faults.bandwidth_bytes_per_s = 512 * 1024  # each 1 MiB part takes two seconds
    # Three parts of each at a time (automatic would send every part at once and end first).
    running = start_cosdesk(
        "upload", str(folder), f"cos://{BUCKET}/v/", "--endpoint", sandbox.endpoint, "--parallel-parts", "3"
    )
    try:
        wait_for_progress(running, at_least=10)
        database.unlink()  # a person cleaning up: rm tasks.sqlite3
        deadline = time.monotonic() + 20
        while not database.exists():  # put back when the next part is recorded
            assert running.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        running.send_signal(signal.SIGINT)
        _, stderr = running.communicate(timeout=30)
    finally:
        if running.poll() is None:
            running.kill()
    sandbox.faults.bandwidth_bytes_per_s = None

    assert running.returncode == 130
    warning = next(line for line in stderr.splitlines() if line.startswith("warning: the task database"))
    assert warning == (
        f"warning: the task database {database} was deleted while uploads ran; it was written again "
        "from the copy still open, with its 3 unfinished tasks"
    )
    listing = cosdesk("tasks", "list").stdout
    assert len(task_rows(listing)) == 3 and "Done" not in listing, listing
    resumed = cosdesk("tasks", "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("resuming 3 tasks (3 interrupted): ")
    for number in range(3):
        assert object_size(server_files, f"v/videos/clip{number}.mp4") == 4 * MiB
