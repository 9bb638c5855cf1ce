"""``cosdesk upload`` and ``cosdesk tasks`` as a user runs them: exit status, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BUCKET = "examplebucket-1250000000"
ROOT = Path(__file__).resolve().parents[2]


def cosdesk(
    *args: str, secret_key: str = "cosdesk-TEST-secret-key-0123456789"
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COS_SECRET_ID": "AKIDcosdeskTESTsecretid",
        "COS_SECRET_KEY": secret_key,
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "cosdesk", *args], env=env, capture_output=True, text=True, timeout=120
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
        listing.stdout.count("success") == 2
        and "cos://examplebucket-1250000000/up/docs/b.bin" in listing.stdout
    )
    cleared = cosdesk("tasks", "clear", "--db", db)
    assert "2 task(s) cleared" in cleared.stdout
    assert "no tasks" in cosdesk("tasks", "list", "--db", db).stdout


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
