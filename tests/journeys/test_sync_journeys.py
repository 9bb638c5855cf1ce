"""Journeys of a sync: in the window, File ▸ Sync a folder…, a preview that says
what will happen, then the rows and the bucket; on the command line, the
installed ``cosdesk sync`` run twice over a folder that changes between runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QTableView, QTabWidget
from support.journey import (
    answer_next_message_box,
    click,
    current_dialog,
    find,
    menu_action,
    type_into,
    wait_until,
)
from support.window_driver import TEST_BUCKET, TEST_REGION, WindowDriver

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.ui import sync_dialog

COSDESK = Path(sys.executable).with_name("cosdesk")


@pytest.fixture
def server(sandbox: Any, credentials: Credentials) -> Iterator[CosClient]:
    """What is really stored on the local server."""
    client = CosClient(credentials, Endpoint.custom(sandbox.endpoint, path_style=True, region=TEST_REGION))
    try:
        yield client
    finally:
        client.close()


def stored(server: CosClient) -> dict[str, bytes]:
    return {
        summary.key: server.get_object(TEST_BUCKET, summary.key).content or b""
        for summary in server.iter_objects(TEST_BUCKET)
    }


def write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def shown_keys(table: QTableView) -> list[str]:
    """The Key column of every row, as the table shows it."""
    model = table.model()
    key_column = next(
        column
        for column in range(model.columnCount())
        if model.headerData(column, Qt.Orientation.Horizontal) == "Key"
    )
    return sorted(str(model.index(row, key_column).data()) for row in range(model.rowCount()))


def test_sync_a_folder_with_a_preview_then_the_rows_then_the_bucket(
    account_window: WindowDriver, tmp_path: Path, server: CosClient
) -> None:
    driver = account_window
    folder = tmp_path / "site"
    write(folder / "index.html", "<h1>home</h1>")
    write(folder / "about.html", "<h1>about</h1>")
    write(folder / "css" / "main.css", "body {}")
    write(folder / "notes.log", "not for the web")
    write(folder / "drafts" / "next.html", "<h1>soon</h1>")
    write(folder / ".cosignore", "*.log\ndrafts/\n")
    server.put_object(TEST_BUCKET, "www/about.html", b"<h1>about</h1>")  # already there, same bytes
    server.put_object(TEST_BUCKET, "www/index.html", b"<h1>old home</h1>")  # differs
    server.put_object(TEST_BUCKET, "www/retired.html", b"gone locally")
    server.put_object(TEST_BUCKET, "elsewhere/keep.html", b"not under the prefix")

    menu_action(driver.window, "File", "Sync a folder…").trigger()
    dialog = current_dialog()
    assert find(QLabel, "Account to sync to", dialog).text() == driver.window.destination().label
    type_into("Folder to sync", str(folder), dialog)
    type_into("Prefix to sync to", "www", dialog)
    click("Delete remote files that are not in the folder", dialog)
    assert not find(QPushButton, "Sync", dialog).isEnabled()  # nothing to sync before a preview

    click("Preview", dialog)
    preview = find(QLabel, "Sync preview", dialog)
    wait_until(lambda: "to upload" in preview.text(), what="the preview")
    assert (
        preview.text()
        == "2 to upload, 1 to skip, 1 to delete. 1 file(s) and 1 folder(s) left out by the patterns."
    )
    tabs = dialog.findChild(QTabWidget)
    assert [tabs.tabText(index) for index in range(tabs.count())] == [
        "To upload (2)",
        "To skip (1)",
        "To delete (1)",
    ]
    assert "www/css/main.css" not in stored(server)  # a preview changes nothing

    seen: list[str] = []
    answer_next_message_box("Delete and sync", seen)
    click("Sync", dialog)

    assert "Delete 1 remote file(s)?" in seen[0] and f"cos://{TEST_BUCKET}/www/" in seen[0]
    table = find(QTableView, "Uploads")
    wait_until(lambda: shown_keys(table) == ["www/css/main.css", "www/index.html"], what="the two rows")
    driver.wait_states(lambda rows: len(rows) == 2 and all(row.state.value == "success" for row in rows))
    wait_until(lambda: "1 remote file(s) deleted." in preview.text(), what="the deletes")
    wait_until(lambda: preview.text().startswith("Synced: 2 uploaded, 0 failed."), what="the uploads' end")
    assert stored(server) == {
        "elsewhere/keep.html": b"not under the prefix",
        "www/about.html": b"<h1>about</h1>",
        "www/css/main.css": b"body {}",
        "www/index.html": b"<h1>home</h1>",
    }


def test_a_link_back_up_the_folder_is_said_apart_and_the_sync_still_deletes(
    account_window: WindowDriver, tmp_path: Path, server: CosClient
) -> None:
    """A link to a folder above, left alone by the walk, was counted as a file that
    "could not be read", and held back every delete of the sync."""
    driver = account_window
    folder = tmp_path / "site"
    write(folder / "index.html", "<h1>home</h1>")
    write(folder / "docs" / "guide.html", "<h1>guide</h1>")
    (folder / "docs" / "up").symlink_to(folder)  # back to the synced folder
    server.put_object(TEST_BUCKET, "www/retired.html", b"gone locally")

    menu_action(driver.window, "File", "Sync a folder…").trigger()
    dialog = current_dialog()
    type_into("Folder to sync", str(folder), dialog)
    type_into("Prefix to sync to", "www", dialog)
    click("Delete remote files that are not in the folder", dialog)
    click("Preview", dialog)
    preview = find(QLabel, "Sync preview", dialog)
    wait_until(lambda: "to upload" in preview.text(), what="the preview")
    assert preview.text() == (
        "2 to upload, 0 to skip, 1 to delete. 1 link(s) to folders left alone (first: "
        f"{folder / 'docs' / 'up'}: a link back to a folder already included; not followed)."
    )

    answer_next_message_box("Delete and sync", [])
    click("Sync", dialog)
    wait_until(lambda: preview.text().startswith("Synced: 2 uploaded, 0 failed."), what="the uploads' end")
    wait_until(lambda: "www/retired.html" not in stored(server), what="the delete")
    assert stored(server) == {"www/docs/guide.html": b"<h1>guide</h1>", "www/index.html": b"<h1>home</h1>"}


def test_a_preview_the_server_does_not_answer_says_how_long_it_has_waited(
    account_window: WindowDriver, sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "site"
    write(folder / "index.html", "<h1>home</h1>")
    monkeypatch.setattr(sync_dialog, "UNANSWERED_AFTER_S", 0.5)  # 15 s in use
    sandbox.faults.latency_s = 2.5  # a hung server, for 2.5 s

    menu_action(account_window.window, "File", "Sync a folder…").trigger()
    dialog = current_dialog()
    type_into("Folder to sync", str(folder), dialog)
    click("Preview", dialog)
    preview = find(QLabel, "Sync preview", dialog)
    comparing = f"Comparing the folder with cos://{TEST_BUCKET}/…"
    assert preview.text() == comparing
    silent = f"{comparing} — No answer from the server for 0:0"
    wait_until(lambda: preview.text().startswith(silent), timeout_s=4, what="the silence told")
    sandbox.faults.latency_s = 0.0
    planned = "1 to upload, 0 to skip, 0 to delete."
    wait_until(lambda: preview.text() == planned, timeout_s=10, what="the plan")


def test_the_command_line_syncs_twice_and_the_second_run_uploads_only_the_change(
    sandbox: Any, tmp_path: Path, server: CosClient
) -> None:
    folder = tmp_path / "photos"
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        write(folder / "2024" / name, f"photo {name}")
    env = {
        **os.environ,
        "COS_SECRET_ID": "AKIDcosdeskTESTsecretid",
        "COS_SECRET_KEY": "cosdesk-TEST-secret-key-0123456789",
        "COSDESK_DB": str(tmp_path / "data" / "tasks.sqlite3"),
    }
    command = [
        str(COSDESK),
        "sync",
        str(folder),
        f"cos://{TEST_BUCKET}/photos",
        "--endpoint",
        sandbox.endpoint,
    ]

    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    write(folder / "2024" / "b.jpg", "photo b.jpg, retouched")
    (folder / "2024" / "c.jpg").unlink()
    second = subprocess.run([*command, "--delete"], env=env, capture_output=True, text=True, timeout=120)

    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.splitlines()[-1].endswith(": 3 uploaded, 0 skipped, 0 deleted, 0 failed")
    assert second.stdout.splitlines()[-1].endswith(
        ": 1 uploaded, 1 skipped (1 unchanged since the last sync), 1 deleted, 0 failed"
    )
    assert stored(server) == {
        "photos/2024/a.jpg": b"photo a.jpg",
        "photos/2024/b.jpg": b"photo b.jpg, retouched",
    }


def test_a_sync_that_would_delete_more_than_max_delete_deletes_nothing(
    sandbox: Any, tmp_path: Path, server: CosClient
) -> None:
    """A person syncs with --delete from a folder that, by mistake, has lost most
    of its files (an unmounted drive, a wrong path): --max-delete keeps the bucket."""
    folder = tmp_path / "docs"
    for number in range(5):
        write(folder / f"{number}.txt", f"doc {number}")
    env = {
        **os.environ,
        "COS_SECRET_ID": "AKIDcosdeskTESTsecretid",
        "COS_SECRET_KEY": "cosdesk-TEST-secret-key-0123456789",
        "COSDESK_DB": str(tmp_path / "data" / "tasks.sqlite3"),
    }
    command = [str(COSDESK), "sync", str(folder), f"cos://{TEST_BUCKET}/docs", "--endpoint", sandbox.endpoint]
    assert subprocess.run(command, env=env, capture_output=True, text=True, timeout=120).returncode == 0
    for number in range(4):
        (folder / f"{number}.txt").unlink()
    write(folder / "new.txt", "a new doc")

    held = subprocess.run(
        [*command, "--delete", "--max-delete", "3"], env=env, capture_output=True, text=True, timeout=120
    )
    assert held.returncode == 1, held.stderr
    said = "cosdesk sync: 4 objects would be deleted, more than --max-delete 3: none will be"
    assert f"{said} (see them with --dry-run)" in held.stderr
    assert held.stdout.splitlines()[-1].endswith(
        ": 1 uploaded, 1 skipped (1 unchanged since the last sync), "
        "0 deleted (4 not: more than --max-delete), 0 failed"
    )
    assert sorted(stored(server)) == [f"docs/{name}.txt" for name in ("0", "1", "2", "3", "4", "new")]

    allowed = subprocess.run(
        [*command, "--delete", "--max-delete", "4"], env=env, capture_output=True, text=True, timeout=120
    )
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.splitlines()[-1].endswith(", 4 deleted, 0 failed")
    assert stored(server) == {"docs/4.txt": b"doc 4", "docs/new.txt": b"a new doc"}

    wrong = subprocess.run(
        [*command, "--max-delete", "2"], env=env, capture_output=True, text=True, timeout=60
    )
    assert wrong.returncode == 2
    assert "--max-delete needs --delete and a number of objects (0 or more)" in wrong.stderr
    assert "Traceback" not in wrong.stderr
