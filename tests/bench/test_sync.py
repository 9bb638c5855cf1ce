"""``cosdesk sync`` of a folder of many small files, three times (on demand:
python -m pytest tests/bench/test_sync.py -s; ``-k 10000`` for the quick size).

1. the first sync uploads every file;
2. a second, with nothing changed, sends only List Objects (counted on the
   server's request ledger) and takes at most 10 s;
3. a third, after 10 files changed (5 of them keeping their size), uploads
   exactly those 10.

Each step is timed against ``rclone sync`` of the same folder to another prefix
of the same server (S3 signatures, ``--checksum --fast-list``: its cheapest way
to find nothing changed, one listing and the files' MD5s; its default, size and
modification time, HEADs every object), and the ratios are printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from integration.test_sync_plan import settled

from cosdesk.engine.sync_listing import LISTING_RANGES

BUCKET = "examplebucket-1250000000"
SECRET_ID = "AKIDcosdeskTESTsecretid"
SECRET_KEY = "cosdesk-TEST-secret-key-0123456789"
ROOT = Path(__file__).resolve().parents[2]
FILES_PER_FOLDER = 1000
NOTHING_CHANGED_LIMIT_S = 10.0
# As many at once as cosdesk's automatic limit allows (engine/concurrency.py).
RCLONE_FLAGS = ("--checksum", "--fast-list", "--transfers", "16", "--checkers", "16")


def _rclone() -> str | None:
    beside_python = Path(sys.executable).with_name("rclone")
    return str(beside_python) if beside_python.exists() else shutil.which("rclone")


def make_folder(root: Path, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        folder = root / f"d{index // FILES_PER_FOLDER:03d}"
        if index % FILES_PER_FOLDER == 0:
            folder.mkdir(parents=True)
        path = folder / f"f{index:06d}.txt"
        path.write_bytes(f"file {index:06d} ".encode() * 4)
        paths.append(path)
    return paths


def cosdesk_sync(folder: Path, prefix: str, endpoint: str, db: Path) -> tuple[float, str]:
    env = {**os.environ, "COS_SECRET_ID": SECRET_ID, "COS_SECRET_KEY": SECRET_KEY, "PYTHONPATH": str(ROOT)}
    command = Path(sys.executable).with_name("cosdesk")
    started = time.monotonic()
    result = subprocess.run(
        [
            str(command),
            "sync",
            str(folder),
            f"cos://{BUCKET}/{prefix}",
            "--endpoint",
            endpoint,
            "--db",
            str(db),
            "-q",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    return elapsed, result.stdout.strip().splitlines()[-1]


def rclone_sync(rclone: str, folder: Path, prefix: str, endpoint: str) -> float:
    env = {
        **os.environ,
        "RCLONE_CONFIG_SANDBOX_TYPE": "s3",
        "RCLONE_CONFIG_SANDBOX_PROVIDER": "Other",
        "RCLONE_CONFIG_SANDBOX_ENDPOINT": endpoint,
        "RCLONE_CONFIG_SANDBOX_REGION": "ap-guangzhou",
        "RCLONE_CONFIG_SANDBOX_ACCESS_KEY_ID": SECRET_ID,
        "RCLONE_CONFIG_SANDBOX_SECRET_ACCESS_KEY": SECRET_KEY,
        "RCLONE_CONFIG_SANDBOX_FORCE_PATH_STYLE": "true",
        "RCLONE_CONFIG_SANDBOX_LIST_VERSION": "1",
        "RCLONE_CONFIG_SANDBOX_NO_CHECK_BUCKET": "true",
        "RCLONE_CONFIG": os.devnull,
    }
    started = time.monotonic()
    result = subprocess.run(
        [rclone, "sync", str(folder), f"sandbox:{BUCKET}/{prefix}", *RCLONE_FLAGS],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return time.monotonic() - started


@pytest.mark.timeout(3600)  # 100,000 files, uploaded twice over (cosdesk and rclone)
@pytest.mark.parametrize("file_count", [10_000, 100_000])
def test_sync_uploads_all_then_nothing_then_only_the_changed(
    sandbox: Any, tmp_path: Path, file_count: int
) -> None:
    folder = tmp_path / "folder"
    paths = make_folder(folder, file_count)
    db = tmp_path / "data" / "tasks.sqlite3"
    rclone = _rclone()
    ratios: list[str] = []

    def compare(step: str, ours_s: float) -> None:
        if rclone is None:
            ratios.append(f"{step}: cosdesk {ours_s:.1f} s (no rclone)")
            return
        theirs_s = rclone_sync(rclone, folder, "rclone", sandbox.endpoint)
        ratios.append(
            f"{step}: cosdesk {ours_s:.1f} s, rclone {theirs_s:.1f} s, rclone/cosdesk {theirs_s / ours_s:.2f}"
        )

    first_s, first_summary = cosdesk_sync(folder, "ours", sandbox.endpoint, db)
    assert f"{file_count} uploaded" in first_summary, first_summary
    compare("first sync", first_s)

    ledger = sandbox.record_requests()
    before = len(settled(ledger))  # the last step's last answers may land in it late
    second_s, second_summary = cosdesk_sync(folder, "ours", sandbox.endpoint, db)
    ours = settled(ledger)[before:]  # rclone runs after the step, not during it
    assert {(request.method, request.key) for request in ours} == {("GET", "")}, ours[:5]
    # One listing: a page per 1,000 keys, and the ranges listed at once may each end past their end.
    assert len(ours) <= -(-file_count // 1000) + LISTING_RANGES
    assert f"0 uploaded, {file_count} skipped ({file_count} unchanged since the last sync)" in second_summary
    compare("nothing changed", second_s)
    assert second_s <= NOTHING_CHANGED_LIMIT_S

    changed = paths[:: file_count // 10][:10]
    for index, path in enumerate(changed):
        content = path.read_bytes()
        # Half keep their size (found by CRC-64 after a HEAD), half grow.
        path.write_bytes(content.upper() if index % 2 else content + b"more")
    ledger = sandbox.record_requests()
    before = len(settled(ledger))
    third_s, third_summary = cosdesk_sync(folder, "ours", sandbox.endpoint, db)
    puts = sorted(request.key for request in settled(ledger)[before:] if request.is_object_put)
    expected = sorted(f"ours/{path.relative_to(folder).as_posix()}" for path in changed)
    assert puts == expected
    assert "10 uploaded" in third_summary, third_summary
    compare("10 changed", third_s)

    print(f"\ncosdesk sync of {file_count} files:")
    for line in ratios:
        print("  " + line)
    print(f"  summaries: {first_summary!r}; {second_summary!r}; {third_summary!r}")
