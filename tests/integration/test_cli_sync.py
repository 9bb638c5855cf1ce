"""``cosdesk sync`` as a user runs it against the local server: what it prints,
its exit status, and what the bucket holds afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cosdesk.cos.client import CosClient

BUCKET = "examplebucket-1250000000"
ROOT = Path(__file__).resolve().parents[2]


def cosdesk(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COS_SECRET_ID": "AKIDcosdeskTESTsecretid",
        "COS_SECRET_KEY": "cosdesk-TEST-secret-key-0123456789",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "cosdesk", *args], env=env, capture_output=True, text=True, timeout=120
    )


def sync(sandbox: Any, tmp_path: Path, folder: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return cosdesk(
        "sync", str(folder), f"cos://{BUCKET}/site", "--endpoint", sandbox.endpoint, "--db",
        str(tmp_path / "tasks.sqlite3"), "-q", *flags,
    )  # fmt: skip


def keys(client: CosClient) -> list[str]:
    return sorted(summary.key for summary in client.iter_objects(BUCKET))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "img").mkdir(parents=True)
    (site / "index.html").write_text("<h1>hi</h1>")
    (site / "img" / "logo.png").write_bytes(b"\x89PNG" + bytes(100))
    return site


def test_sync_uploads_the_folder_then_a_rerun_skips_every_file_and_says_why(
    sandbox: Any, tmp_path: Path, folder: Path, cos_client: CosClient
) -> None:
    first = sync(sandbox, tmp_path, folder)
    second = sync(sandbox, tmp_path, folder)
    (folder / "index.html").write_text("<h1>hello</h1>")
    third = sync(sandbox, tmp_path, folder)

    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == (
        f"sync cos://{BUCKET}/site/: 2 uploaded, 0 skipped, 0 deleted, 0 failed"
    )
    assert second.stdout.splitlines()[-1] == (
        f"sync cos://{BUCKET}/site/: 0 uploaded, 2 skipped (2 unchanged since the last sync), 0 deleted, "
        "0 failed"
    )
    assert third.stdout.splitlines()[-1] == (
        f"sync cos://{BUCKET}/site/: 1 uploaded, 1 skipped (1 unchanged since the last sync), 0 deleted, "
        "0 failed"
    )
    assert cos_client.get_object(BUCKET, "site/index.html").content == b"<h1>hello</h1>"


def test_dry_run_prints_the_plan_and_changes_nothing(
    sandbox: Any, tmp_path: Path, folder: Path, cos_client: CosClient
) -> None:
    cos_client.put_object(BUCKET, "site/old.html", b"old")

    result = sync(sandbox, tmp_path, folder, "--dry-run", "--delete")
    again = sync(sandbox, tmp_path, folder, "--dry-run", "--delete")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "would upload site/img/logo.png (missing remotely)",
        "would upload site/index.html (missing remotely)",
        "would delete site/old.html",
        "dry run, nothing changed: 2 to upload (2 missing remotely), 0 to skip, 1 to delete",
    ]
    assert again.stdout == result.stdout
    assert keys(cos_client) == ["site/old.html"]
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith("tasks.")]  # no file made


def test_delete_removes_objects_with_no_local_file_only_under_the_prefix(
    sandbox: Any, tmp_path: Path, folder: Path, cos_client: CosClient
) -> None:
    for key in ("site/old.html", "site/img/old.png", "site-old/a.html", "elsewhere/b.html"):
        cos_client.put_object(BUCKET, key, b"x")

    kept = sync(sandbox, tmp_path, folder)
    deleted = sync(sandbox, tmp_path, folder, "--delete")

    assert kept.stdout.splitlines()[-1].endswith("2 uploaded, 0 skipped, 0 deleted, 0 failed")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.splitlines()[-1].endswith(
        "0 uploaded, 2 skipped (2 unchanged since the last sync), 2 deleted, 0 failed"
    )
    assert keys(cos_client) == ["elsewhere/b.html", "site-old/a.html", "site/img/logo.png", "site/index.html"]


def test_a_link_back_up_the_folder_is_said_but_neither_fails_the_sync_nor_holds_back_deletes(
    sandbox: Any, tmp_path: Path, folder: Path, cos_client: CosClient
) -> None:
    (folder / "img" / "up").symlink_to(folder)
    cos_client.put_object(BUCKET, "site/old.html", b"x")

    result = sync(sandbox, tmp_path, folder, "--delete")

    link = folder / "img" / "up"
    assert f"skipped {link}: a link back to a folder already included; not followed" in result.stderr
    assert "could not be read" not in result.stderr and "nothing is deleted" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("2 uploaded, 0 skipped, 1 deleted, 0 failed")
    assert keys(cos_client) == ["site/img/logo.png", "site/index.html"]


def test_patterns_from_cosignore_and_flags_are_counted_in_the_summary(
    sandbox: Any, tmp_path: Path, folder: Path, cos_client: CosClient
) -> None:
    (folder / ".cosignore").write_text("img/\n")
    (folder / "draft.md").write_text("draft")

    result = sync(sandbox, tmp_path, folder, "--exclude", "*.md")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith(
        "1 uploaded, 0 skipped, 0 deleted, 0 failed; excluded by patterns: 1 file and 1 folder"
    )
    assert keys(cos_client) == ["site/index.html"]


@pytest.mark.parametrize(
    ("source", "destination", "flags", "message"),
    [
        ("missing", f"cos://{BUCKET}/site", (), "cosdesk sync: no such folder: "),
        ("file", f"cos://{BUCKET}/site", (), "cosdesk sync: not a folder: "),
        (
            "folder",
            f"s3://{BUCKET}/site",
            (),
            "cosdesk sync: the destination must look like cos://BUCKET/PREFIX",
        ),
        ("folder", "cos://Bad_Bucket/site", (), "cosdesk sync: "),
        (
            "folder",
            f"cos://{BUCKET}/site",
            ("--exclude", "!"),
            "cosdesk sync: bad pattern: Invalid git pattern",
        ),
        (
            "folder",
            f"cos://{BUCKET}/site",
            ("--exclude", "["),
            "cosdesk sync: bad pattern: Invalid git pattern: '[' has a '[' without its ']'",
        ),
    ],
    ids=["missing folder", "a file", "not cos://", "bad bucket", "bad pattern", "open set"],
)
def test_bad_input_is_one_clear_line_and_status_2(
    sandbox: Any,
    tmp_path: Path,
    folder: Path,
    source: str,
    destination: str,
    flags: tuple[str, ...],
    message: str,
) -> None:
    paths = {"missing": tmp_path / "nowhere", "file": folder / "index.html", "folder": folder}
    result = cosdesk(
        "sync", str(paths[source]), destination, "--endpoint", sandbox.endpoint, "--db",
        str(tmp_path / "t.sqlite3"), *flags,
    )  # fmt: skip

    assert result.returncode == 2
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stdout == ""


def test_a_listing_refused_is_one_line_and_a_failure(sandbox: Any, tmp_path: Path, folder: Path) -> None:
    result = cosdesk(
        "sync", str(folder), "cos://otherbucket-1250000000/site", "--endpoint", sandbox.endpoint, "--db",
        str(tmp_path / "t.sqlite3"),
    )  # fmt: skip

    assert result.returncode == 1
    assert result.stderr.startswith(
        "cosdesk sync: cannot list cos://otherbucket-1250000000/site/: NoSuchBucket"
    )
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
