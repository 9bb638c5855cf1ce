"""Two ``cosdesk`` processes on one task database (engine/ownership.py): each task is
sent by one of them. The other waits for it and adopts what it finished, so no part
or object reaches the server twice, no task ends in error, and each process's
summary says what it did itself.

Real processes (the installed command), a real database, the local server slowed
down so that the first process is in the middle of its multipart uploads when the
second one starts; the server's request ledger counts what arrived.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.workloads import BUCKET, ROOT, SECRET_ID, SECRET_KEY, KiB, MiB, write_random_file

from cosdesk.cos.client import CosClient
from cosdesk.sandbox.request_ledger import ReceivedRequest, RequestLedger

COSDESK = Path(sys.executable).with_name("cosdesk")
SUMMARY = re.compile(r"^(?P<uploaded>\d+) uploaded(?: \((?P<asides>[^)]*)\))?, (?P<failed>\d+) failed", re.M)
BY_OTHER = re.compile(r"(\d+) by another cosdesk process")
PREFIX = "shared/"

# Each scenario starts three or four cosdesk processes: about 5 s on a quiet 2-core machine.
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Summary:
    uploaded: int
    failed: int
    by_other_process: int

    @property
    def sent_here(self) -> int:
        return self.uploaded - self.by_other_process


def summary_of(stdout: str) -> Summary:
    match = SUMMARY.search(stdout)
    assert match is not None, stdout
    by_other = BY_OTHER.search(match.group("asides") or "")
    by_other_count = int(by_other[1]) if by_other else 0
    return Summary(int(match.group("uploaded")), int(match.group("failed")), by_other_count)


def start(database: Path, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "COS_SECRET_ID": SECRET_ID,
        "COS_SECRET_KEY": SECRET_KEY,
        "COSDESK_DB": str(database),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [str(COSDESK), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finished(process: subprocess.Popen[str], timeout_s: float = 60) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=timeout_s)
    assert "Traceback" not in stderr, stderr
    return process.returncode, stdout, stderr


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def stored_bodies(requests: Iterable[ReceivedRequest]) -> list[ReceivedRequest]:
    """Parts and objects the server took in full (a PUT answered 200)."""
    return [r for r in requests if r.status == 200 and (r.part is not None or r.is_object_put)]


def parts_by_key(requests: Iterable[ReceivedRequest]) -> dict[str, set[tuple[str, int]]]:
    found: dict[str, set[tuple[str, int]]] = {}
    for request in stored_bodies(requests):
        if request.part is not None:
            found.setdefault(request.key, set()).add(request.part)
    return found


def assert_nothing_stored_twice(requests: list[ReceivedRequest]) -> None:
    stored = stored_bodies(requests)
    twice = {part: n for part, n in Counter(r.part for r in stored if r.part).items() if n > 1}
    assert twice == {}, f"parts received twice: {twice}"
    put_twice = {key: n for key, n in Counter(r.key for r in stored if r.is_object_put).items() if n > 1}
    assert put_twice == {}, f"objects PUT twice: {put_twice}"


def a_folder(folder: Path, big: int, small: int) -> dict[str, Path]:
    """``big`` files of 6 MiB (six 1 MiB parts) and ``small`` of 64 KiB, by key."""
    files = [write_random_file(folder / f"big-{i}.bin", 6 * MiB) for i in range(big)]
    files += [write_random_file(folder / f"small-{i}.bin", 64 * KiB) for i in range(small)]
    return {f"{PREFIX}{path.name}": path for path in files}


def assert_objects_are_the_files(cos: CosClient, expected: dict[str, Path]) -> None:
    for key, path in expected.items():
        assert cos.get_object(BUCKET, key).content == path.read_bytes(), key
    assert list(cos.iter_multipart_uploads(BUCKET)) == []


def listing(database: Path) -> str:
    process = start(database, "tasks", "list")
    code, stdout, _ = finished(process)
    assert code == 0
    return stdout


def test_resume_started_during_an_upload_waits_for_it_and_sends_nothing_twice(
    sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    ledger: RequestLedger = sandbox.record_requests()
    expected = a_folder(tmp_path / "folder", big=2, small=4)
    database = tmp_path / "data" / "tasks.sqlite3"
    # 1 MiB/s per request: a 1 MiB part takes a second, each big file a few.
    sandbox.faults.bandwidth_bytes_per_s = MiB
    upload = start(
        database, "upload", f"{tmp_path / 'folder'}/", f"cos://{BUCKET}/{PREFIX}",
        "--endpoint", sandbox.endpoint, "--parallel-files", "2", "--parallel-parts", "3", "-q",
    )  # fmt: skip
    # Start the resume once the upload is in the middle of both multipart files.
    wait_for(
        lambda: (
            all(len(parts) >= 1 for parts in parts_by_key(ledger.requests()).values())
            and len(parts_by_key(ledger.requests())) == 2
        ),
        timeout_s=30,
        what="a part of each big file",
    )
    assert f"[uploading in another cosdesk process (pid {upload.pid})]" in listing(database)
    resume = start(database, "tasks", "resume", "-q")
    resume_code, resume_out, resume_err = finished(resume)
    upload_code, upload_out, upload_err = finished(upload)
    sandbox.faults.reset()

    assert_nothing_stored_twice(ledger.requests())
    assert upload_code == 0, upload_err
    assert resume_code == 0, resume_err
    assert "being uploaded by another cosdesk process (pid" in resume_out
    assert_objects_are_the_files(cos, expected)
    rows = listing(database)
    assert rows.count(" Done ") == len(expected) and "Failed" not in rows and "error" not in rows.lower()
    # Each summary is true: every file counted once as sent by one of the two.
    first, second = summary_of(upload_out), summary_of(resume_out)
    assert (first.uploaded, first.failed, second.failed) == (len(expected), 0, 0)
    assert second.by_other_process >= 1  # at least the file in flight when it started
    assert first.sent_here + second.sent_here == len(expected)
    print(
        f"\ntwo processes (upload, then resume mid-multipart): {len(expected)} files, "
        f"{len(stored_bodies(ledger.requests()))} parts and objects stored, 0 twice; upload sent "
        f"{first.sent_here}, resume sent {second.sent_here} and waited for {second.by_other_process}; "
        f"{len(expected)}/{len(expected)} byte-identical, 0 in error"
    )


def test_two_resumes_at_once_share_the_tasks_and_send_nothing_twice(
    sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    ledger: RequestLedger = sandbox.record_requests()
    expected = a_folder(tmp_path / "folder", big=2, small=6)
    database = tmp_path / "data" / "tasks.sqlite3"
    sandbox.faults.bandwidth_bytes_per_s = MiB
    upload = start(
        database, "upload", f"{tmp_path / 'folder'}/", f"cos://{BUCKET}/{PREFIX}",
        "--endpoint", sandbox.endpoint, "--parallel-files", "2", "-q",
    )  # fmt: skip
    wait_for(
        lambda: len(parts_by_key(ledger.requests())) == 2,
        timeout_s=30,
        what="a part of each big file",
    )
    upload.send_signal(signal.SIGKILL)  # interrupted mid-multipart, leases and all
    upload.communicate(timeout=10)
    killed_at = time.monotonic()
    on_server_before = set().union(*parts_by_key(ledger.requests()).values())

    first, second = start(database, "tasks", "resume", "-q"), start(database, "tasks", "resume", "-q")
    first_code, first_out, first_err = finished(first)
    second_code, second_out, second_err = finished(second)
    sandbox.faults.reset()

    # Parts the killed process had in flight may still arrive whole (the kernel had
    # them buffered): sending those again is the crash's cost, not a second sender's.
    after = [r for r in ledger.requests() if r.started_at > killed_at]
    assert_nothing_stored_twice(after)
    assert (first_code, second_code) == (0, 0), (first_err, second_err)
    resent = {r.part for r in stored_bodies(after) if r.part in on_server_before}
    assert resent == set(), f"parts the server already had were sent again: {resent}"
    assert_objects_are_the_files(cos, expected)
    rows = listing(database)
    assert rows.count(" Done ") == len(expected) and "error" not in rows.lower()
    # Both resumed the same interrupted tasks; each sent some, and adopted the rest.
    resumed = int(re.search(r"resuming (\d+) task", first_out)[1])  # type: ignore[index]
    assert f"resuming {resumed} task" in second_out
    one, other = summary_of(first_out), summary_of(second_out)
    assert (one.uploaded, other.uploaded, one.failed, other.failed) == (resumed, resumed, 0, 0)
    assert one.sent_here + other.sent_here == resumed
    print(
        f"\ntwo processes (two resumes at once after a SIGKILL mid-multipart): {resumed} tasks, "
        f"{len(stored_bodies(after))} parts and objects stored after the kill, 0 twice, 0 the server had; "
        f"one sent {one.sent_here}, the other {other.sent_here}; "
        f"{len(expected)}/{len(expected)} byte-identical, 0 in error"
    )
