"""``cosdesk sync SRC cos://BUCKET/PREFIX --watch`` as a user runs it: the sync,
then new files uploaded as they appear, until Ctrl-C ends it with a summary."""

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


def uploads_begun(ledger: Any) -> list[str]:
    return [r.key for r in ledger.requests() if r.status == 200 and r.is_object_put]


def test_sync_watch_uploads_new_files_until_ctrl_c_and_ends_with_a_summary(
    sandbox: Any, tmp_path: Path
) -> None:
    ledger = sandbox.record_requests()
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "old.html").write_text("synced first")
    an_hour_ago = time.time() - 3600
    os.utime(folder / "old.html", (an_hour_ago, an_hour_ago))
    (folder / ".cosignore").write_text("*.tmp\n")
    env = {
        **os.environ,
        "COS_SECRET_ID": "AKIDcosdeskTESTsecretid",
        "COS_SECRET_KEY": "cosdesk-TEST-secret-key-0123456789",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "cosdesk", "sync", str(folder), f"cos://{BUCKET}/mirror", "--watch"]
    command += ["--endpoint", sandbox.endpoint, "--db", str(tmp_path / "t.sqlite3"), "--quiet"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        said = [process.stdout.readline() for _ in range(3)]
        assert "sync cos://examplebucket-1250000000/mirror/: 1 uploaded" in said[1], said
        assert said[2].startswith("watching"), said
        (folder / "new.html").write_text("written while watched")
        (folder / "draft.tmp").write_text("left out by .cosignore")
        deadline = time.monotonic() + 20
        while "mirror/new.html" not in uploads_begun(ledger) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "mirror/new.html" in uploads_begun(ledger)
        time.sleep(0.5)  # the upload's task ends after the server's answer
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    # What the watch did, after the sync's own lines.
    assert out.startswith("1 uploaded, 0 failed"), out
    # The time is the watch's, mostly waiting for files: no average speed over it
    # (it read "21 B of 21 B in 3.2 s (7 B/s on average)").
    summary = out.splitlines()[0]
    assert re.fullmatch(r"1 uploaded, 0 failed; 21 B of 21 B while watching for \d+\.\d s", summary), out
    assert out.rstrip().endswith(f"stopped watching {folder}"), out
    assert sorted(uploads_begun(ledger)) == ["mirror/new.html", "mirror/old.html"]
