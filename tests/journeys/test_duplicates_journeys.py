"""Journeys with files added again (issue 13, item 12): dropping what is already
queued or already in the bucket asks once for the batch — overwrite, skip or
keep both, "Remember my choice" — and never gives a second row or a second
upload of the same key; ``cosdesk upload --if-exists`` makes the same choice
without the window."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget
from support.journey import click, current_dialog, wait_until
from support.window_driver import TEST_BUCKET, TEST_REGION, make_file

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import CosError
from cosdesk.engine import duplicates

# --- what a person reads -------------------------------------------------------------


def rows_seen(window: QMainWindow) -> list[dict[str, str]]:
    """The task table as displayed: one {column header: cell text} per row."""
    table = window.findChild(QWidget, "task-table")
    model = table.model()  # type: ignore[attr-defined]
    headers = [
        str(model.headerData(column, Qt.Orientation.Horizontal)) for column in range(model.columnCount())
    ]
    return [
        {headers[column]: str(model.index(row, column).data() or "") for column in range(len(headers))}
        for row in range(model.rowCount())
    ]


def keys_shown(window: QMainWindow) -> list[str]:
    return sorted(row["Key"] for row in rows_seen(window))


def wait_all_done(window: QMainWindow, count: int, timeout_s: float = 30) -> None:
    def done() -> bool:
        rows = rows_seen(window)
        return len(rows) == count and all(row["State"] == "Done" for row in rows)

    try:
        wait_until(done, timeout_s, f"{count} rows showing Done")
    except AssertionError:
        raise AssertionError(f"rows: {rows_seen(window)}") from None


def status_text(window: QMainWindow) -> str:
    return window.statusBar().currentMessage()


def wait_for_status(window: QMainWindow, words: str, timeout_s: float = 15) -> None:
    try:
        wait_until(lambda: words in status_text(window), timeout_s, f"the status bar to say {words!r}")
    except AssertionError:
        raise AssertionError(f"the status bar says {status_text(window)!r}, not {words!r}") from None


def the_question() -> QMessageBox:
    dialog = current_dialog(timeout_s=15)
    assert isinstance(dialog, QMessageBox), f"{dialog.windowTitle()!r} opened instead of the question"
    assert dialog.windowTitle() == "Files already there"
    return dialog


def no_question_opens(window: QMainWindow, seconds: float = 0.8) -> None:
    """Let the window run a while; no question may come up meanwhile."""
    try:
        wait_until(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox), seconds, "a question")
    except AssertionError:
        return
    raise AssertionError(f"a question opened: {QApplication.activeModalWidget().text()!r}")  # type: ignore[union-attr]


# --- the server, as another client sees it --------------------------------------------


@pytest.fixture
def server(sandbox: Any, credentials: Credentials) -> Iterator[CosClient]:
    client = CosClient(credentials, Endpoint.custom(sandbox.endpoint, path_style=True, region=TEST_REGION))
    yield client
    client.close()


def stored(server: CosClient, key: str) -> bytes:
    content = server.get_object(TEST_BUCKET, key).content
    assert content is not None
    return content


def stored_or_none(server: CosClient, key: str) -> bytes | None:
    try:
        return stored(server, key)
    except CosError:
        return None


def make_photos(folder: Path, names: list[str]) -> dict[str, bytes]:
    contents = {}
    for name in names:
        make_file(folder / name, 2000)
        contents[name] = (folder / name).read_bytes()
    return contents


def uploaded_photos(driver: Any, folder: Path, names: list[str]) -> dict[str, bytes]:
    """Photos made in ``folder``, dropped on the window and shown Done."""
    contents = make_photos(folder, names)
    driver.drop([folder])
    wait_all_done(driver.window, len(names))
    return contents


# --- the window -----------------------------------------------------------------------


def test_dropping_a_folder_again_asks_once_and_skip_adds_no_duplicate_rows(
    account_window: Any, server: CosClient, tmp_path: Path
) -> None:
    driver, window = account_window, account_window.window
    folder = tmp_path / "photos"
    first = uploaded_photos(driver, folder, ["a.jpg", "b.jpg", "c.jpg"])

    # The files change on disk; the person drops the folder again.
    make_photos(folder, ["a.jpg", "b.jpg", "c.jpg"])
    driver.drop([folder])
    question = the_question()
    assert question.text() == "3 of the 3 files you added are already there."
    explanation = question.informativeText()
    assert f"• 3 in {TEST_BUCKET}/photos/" in explanation
    assert "• 3 in the upload list" in explanation
    click("Skip", question)

    wait_for_status(window, "Nothing added: 3 file(s) already there, skipped.")
    no_question_opens(window)
    assert keys_shown(window) == ["photos/a.jpg", "photos/b.jpg", "photos/c.jpg"]
    for name, content in first.items():
        assert stored(server, f"photos/{name}") == content


def test_keep_both_uploads_the_files_again_under_new_names(
    account_window: Any, server: CosClient, tmp_path: Path
) -> None:
    driver, window = account_window, account_window.window
    folder = tmp_path / "photos"
    first = make_photos(folder, ["a.jpg", "b.jpg"])
    driver.drop([folder])
    wait_all_done(window, 2)

    second = make_photos(folder, ["a.jpg", "b.jpg"])
    make_file(folder / "new.jpg", 10)
    driver.drop([folder])
    question = the_question()
    assert question.text() == "2 of the 3 files you added are already there."
    click("Keep both", question)

    wait_all_done(window, 5)
    assert keys_shown(window) == [
        "photos/a (1).jpg",
        "photos/a.jpg",
        "photos/b (1).jpg",
        "photos/b.jpg",
        "photos/new.jpg",
    ]
    # The end of the batch says what was renamed.
    wait_for_status(window, "2 renamed to keep both")
    for name in ("a", "b"):
        assert stored(server, f"photos/{name}.jpg") == first[f"{name}.jpg"]
        assert stored(server, f"photos/{name} (1).jpg") == second[f"{name}.jpg"]


def test_upload_changed_sends_the_edited_files_and_leaves_the_same_ones(
    account_window: Any, server: CosClient, tmp_path: Path
) -> None:
    driver, window = account_window, account_window.window
    folder = tmp_path / "photos"
    first = uploaded_photos(driver, folder, ["a.jpg", "b.jpg", "c.jpg"])

    # The person edits b.jpg (same size, other bytes) and c.jpg (now larger), and
    # drops the folder again.
    make_file(folder / "b.jpg", 2000)
    make_file(folder / "c.jpg", 3000)
    driver.drop([folder])
    question = the_question()
    assert question.text() == "3 of the 3 files you added are already there."
    assert "Upload changed sends only those that differ" in question.informativeText()
    click("Upload changed", question)

    wait_all_done(window, 5)
    # How the batch ended, with what the choice left out.
    wait_for_status(window, "2 file(s) uploaded. 1 skipped (unchanged).")
    assert keys_shown(window) == [
        "photos/a.jpg",
        "photos/b.jpg",
        "photos/b.jpg",
        "photos/c.jpg",
        "photos/c.jpg",
    ]
    assert stored(server, "photos/a.jpg") == first["a.jpg"]
    assert stored(server, "photos/b.jpg") == (folder / "b.jpg").read_bytes()
    assert stored(server, "photos/c.jpg") == (folder / "c.jpg").read_bytes()

    # Nothing changed since: dropped again, the same choice adds nothing.
    driver.drop([folder])
    click("Upload changed", the_question())
    wait_for_status(window, "Nothing added: 3 file(s) already there and unchanged.")
    assert len(rows_seen(window)) == 5


def test_while_upload_changed_compares_the_status_bar_counts_the_files_and_says_the_time_left(
    account_window: Any, sandbox: Any, tmp_path: Path
) -> None:
    """Comparing each file with its object (a HEAD and a read of the file) took a
    minute and more for 100,000 files, and the status bar said only "Comparing…"."""
    driver, window = account_window, account_window.window
    folder = tmp_path / "photos"
    names = [f"{number:03d}.jpg" for number in range(160)]
    uploaded_photos(driver, folder, names)

    driver.drop([folder])
    question = the_question()
    # Each HEAD of the comparison is answered late: eight at a time, about 4 s in all.
    sandbox.faults.latency_s = 0.2
    seen: list[tuple[float, str]] = []  # when each text was first seen, and the text
    watch = QTimer()
    watch.timeout.connect(lambda: seen.append((time.monotonic(), status_text(window))))
    watch.start(20)
    click("Upload changed", question)
    try:
        wait_for_status(window, "Nothing added: 160 file(s) already there and unchanged.", timeout_s=60)
        seen.append((time.monotonic(), status_text(window)))  # the watch may not have ticked since
    finally:
        watch.stop()
        sandbox.faults.latency_s = 0.0

    comparing = re.compile(
        rf"Comparing your files with those in {re.escape(TEST_BUCKET)}… "
        r"(\d+) of (\d+) files(?:, (\d+):(\d\d) left)?"
    )
    texts = first_sightings(seen)
    shown = [(at, comparing.fullmatch(text)) for at, text in texts]
    counts = [(at, match) for at, match in shown if match is not None]
    assert counts, f"no count of the files compared was shown: {[text for _at, text in texts]}"
    compared = [int(match[1]) for _at, match in counts]
    assert all(int(match[2]) == len(names) for _at, match in counts), compared
    assert any(0 < number < len(names) for number in compared) and compared == sorted(compared)
    # The time left, where said, is how long the comparison still took then (it
    # ended when the status bar stopped counting), give or take its rounding to
    # whole seconds, the quarter second a line stays up, and eight files answered
    # at once making the count move in steps.
    ended_at = next(at for at, match in shown if at > counts[0][0] and match is None)
    estimates = [(at, int(match[3]) * 60 + int(match[4])) for at, match in counts if match[3] is not None]
    assert estimates, f"the time left was never said: {[match[0] for _at, match in counts]}"
    for at, seconds_left in estimates:
        assert abs(seconds_left - (ended_at - at)) <= 1.5, (seconds_left, round(ended_at - at, 2))
    assert len(rows_seen(window)) == len(names)


def first_sightings(seen: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """Each text of the status bar once, with when it was first seen, in order."""
    first: dict[str, float] = {}
    for at, text in seen:
        first.setdefault(text, at)
    return [(at, text) for text, at in first.items()]


def test_remember_my_choice_answers_the_next_drops_without_asking_even_after_a_restart(
    open_window: Any, sandbox: Any, credentials: Credentials, tmp_path: Path
) -> None:
    from support.window_driver import save_profile

    save_profile(sandbox, credentials)
    driver = open_window()
    window = driver.window
    note = make_file(tmp_path / "note.txt", 100)
    driver.drop([note])
    wait_all_done(window, 1)

    driver.drop([note])
    question = the_question()
    click("Remember my choice", question)
    click("Skip", question)
    wait_for_status(window, "Nothing added: 1 file(s) already there, skipped.")

    window.statusBar().clearMessage()
    driver.drop([note])
    no_question_opens(window)
    wait_for_status(window, "Nothing added: 1 file(s) already there, skipped.")
    assert keys_shown(window) == ["note.txt"]

    window.close()
    wait_until(lambda: not window.isVisible(), 10, "the window to close")
    again = open_window()
    wait_all_done(again.window, 1)  # the finished upload is listed again
    again.drop([note])
    no_question_opens(again.window)
    wait_for_status(again.window, "Nothing added: 1 file(s) already there, skipped.")
    assert keys_shown(again.window) == ["note.txt"]


def test_a_file_already_in_the_bucket_but_not_in_the_list_is_asked_about_and_overwritten(
    account_window: Any, server: CosClient, tmp_path: Path
) -> None:
    driver, window = account_window, account_window.window
    server.put_object(TEST_BUCKET, "notes.txt", b"put there by someone else")
    notes = make_file(tmp_path / "notes.txt", 300)
    other = make_file(tmp_path / "other.txt", 200)

    driver.drop([notes, other])
    question = the_question()
    assert question.text() == "1 of the 2 files you added are already there."
    assert f"• 1 in {TEST_BUCKET}/" in question.informativeText()
    assert "upload list" not in question.informativeText()
    assert "notes.txt" in question.detailedText()
    assert rows_seen(window) == []  # nothing is queued before the answer
    click("Overwrite", question)

    wait_all_done(window, 2)
    assert keys_shown(window) == ["notes.txt", "other.txt"]
    assert stored(server, "notes.txt") == notes.read_bytes()


def test_when_the_bucket_cannot_be_read_the_person_is_asked_and_skip_leaves_what_is_there(
    account_window: Any, sandbox: Any, server: CosClient, tmp_path: Path
) -> None:
    driver, window = account_window, account_window.window
    server.put_object(TEST_BUCKET, "notes.txt", b"put there by someone else")
    notes = make_file(tmp_path / "notes.txt", 300)
    other = make_file(tmp_path / "other.txt", 200)

    sandbox.faults.update(error_rate=1.0, error_status=500)  # the bucket cannot be listed
    driver.drop([notes, other])
    dialog = current_dialog(timeout_s=30)
    assert isinstance(dialog, QMessageBox)
    assert dialog.windowTitle() == "Files may already be there"
    assert dialog.text() == "Could not check whether the 2 files you added are already there."
    assert "The bucket could not be checked: COS had an internal error." in dialog.informativeText()
    assert "when their upload starts" in dialog.informativeText()
    assert dialog.detailedText().startswith("System message: InternalError (500)")
    assert rows_seen(window) == []  # nothing is queued before the answer

    sandbox.faults.reset()  # the server answers again by the time the uploads start
    click("Skip", dialog)
    wait_until(lambda: len(rows_seen(window)) == 2, 15, "two rows")
    wait_until(lambda: stored_or_none(server, "other.txt") == other.read_bytes(), 30, "other.txt uploaded")
    wait_until(lambda: all(row["State"] == "Done" for row in rows_seen(window)), 30, "both rows Done")
    # Skipped when its upload started and found the object there: what was there stays.
    assert stored(server, "notes.txt") == b"put there by someone else"


def test_while_the_bucket_does_not_answer_the_status_bar_says_for_how_long(
    account_window: Any, sandbox: Any, server: CosClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver, window = account_window, account_window.window
    monkeypatch.setattr(duplicates, "UNANSWERED_AFTER_S", 0.5)  # 15 s in use
    sandbox.faults.latency_s = 2.5  # the listing's answer comes 2.5 s late
    notes = make_file(tmp_path / "notes.txt", 300)
    driver.drop([notes])
    looking = f"Looking for files already in {TEST_BUCKET}…"
    wait_for_status(window, looking)
    wait_for_status(window, f"{looking} — No answer from the server for 0:0")

    sandbox.faults.latency_s = 0.0  # it answers: the file is added and uploaded
    wait_all_done(window, 1)
    assert "No answer" not in status_text(window)
    assert stored(server, "notes.txt") == notes.read_bytes()


def test_adding_a_file_again_while_it_uploads_never_starts_a_second_upload(
    account_window: Any, sandbox: Any, server: CosClient, tmp_path: Path
) -> None:
    driver, window = account_window, account_window.window
    sandbox.faults.bandwidth_bytes_per_s = 400_000  # the upload stays in flight a while
    video = make_file(tmp_path / "video.mp4", 1_200_000)
    driver.drop([video])
    wait_until(lambda: [row["State"] for row in rows_seen(window)] == ["Uploading"], 15, "the upload")

    driver.drop([video])
    question = the_question()
    assert question.text() == "“video.mp4” is already there."
    assert "• 1 in the upload list (1 not finished yet)" in question.informativeText()
    click("Overwrite", question)
    wait_for_status(window, "Nothing added: 1 file(s) already in the upload list.")
    assert len(rows_seen(window)) == 1

    sandbox.faults.bandwidth_bytes_per_s = None
    wait_all_done(window, 1)
    assert stored(server, "video.mp4") == video.read_bytes()


def test_cancel_in_the_question_adds_nothing(account_window: Any, tmp_path: Path) -> None:
    driver, window = account_window, account_window.window
    note = make_file(tmp_path / "note.txt", 100)
    driver.drop([note])
    wait_all_done(window, 1)
    make_file(tmp_path / "second.txt", 100)

    driver.drop([note, tmp_path / "second.txt"])
    click("Cancel", the_question())
    wait_for_status(window, "Nothing added.")
    assert keys_shown(window) == ["note.txt"]


# --- the command line -----------------------------------------------------------------


def cosdesk_command() -> str:
    found = Path(sys.executable).with_name("cosdesk")
    return str(found) if found.exists() else str(shutil.which("cosdesk"))


def run_upload(
    sandbox: Any, credentials: Credentials, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COS_SECRET_ID": credentials.secret_id,
        "COS_SECRET_KEY": credentials.secret_key,
        "COSDESK_DB": str(tmp_path / "cli-tasks.sqlite3"),
    }
    return subprocess.run(
        [cosdesk_command(), "upload", *args, "--endpoint", sandbox.endpoint],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def backed_up_photos(
    sandbox: Any, credentials: Credentials, tmp_path: Path, folder: Path
) -> dict[str, bytes]:
    """Two photos made in ``folder`` and uploaded to ``backup/`` by ``cosdesk upload``."""
    contents = make_photos(folder, ["a.jpg", "b.jpg"])
    done = run_upload(sandbox, credentials, tmp_path, str(folder), f"cos://{TEST_BUCKET}/backup")
    assert done.returncode == 0, done.stderr
    return contents


def test_cosdesk_upload_if_exists_skip_leaves_what_is_there_and_says_so(
    sandbox: Any, credentials: Credentials, server: CosClient, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    first = backed_up_photos(sandbox, credentials, tmp_path, folder)
    make_photos(folder, ["a.jpg", "b.jpg"])
    make_file(folder / "c.jpg", 10)

    again = run_upload(
        sandbox, credentials, tmp_path, str(folder), f"cos://{TEST_BUCKET}/backup", "--if-exists", "skip"
    )
    assert again.returncode == 0, again.stderr
    assert f"2 of 3 files already exist in cos://{TEST_BUCKET}/backup/photos/: skipped" in again.stdout
    assert "1 uploaded, 0 failed" in again.stdout
    assert again.stdout.rstrip().endswith("already there: 2 skipped")
    for name, content in first.items():
        assert stored(server, f"backup/photos/{name}") == content
    assert stored(server, "backup/photos/c.jpg") == (folder / "c.jpg").read_bytes()


def test_cosdesk_upload_if_exists_rename_keeps_both_and_names_the_new_keys(
    sandbox: Any, credentials: Credentials, server: CosClient, tmp_path: Path
) -> None:
    report = make_file(tmp_path / "report.pdf", 500)
    server.put_object(TEST_BUCKET, "docs/report.pdf", b"the old report")
    result = run_upload(
        sandbox, credentials, tmp_path, str(report), f"cos://{TEST_BUCKET}/docs", "--if-exists", "rename"
    )
    assert result.returncode == 0, result.stderr
    assert "renamed docs/report.pdf -> docs/report (1).pdf" in result.stdout
    assert "1 uploaded, 0 failed" in result.stdout
    assert result.stdout.rstrip().endswith("already there: 1 uploaded under a new name")
    assert stored(server, "docs/report.pdf") == b"the old report"
    assert stored(server, "docs/report (1).pdf") == report.read_bytes()


def test_cosdesk_upload_if_exists_changed_sends_only_the_files_that_differ(
    sandbox: Any, credentials: Credentials, server: CosClient, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    first = backed_up_photos(sandbox, credentials, tmp_path, folder)
    make_file(folder / "b.jpg", 2000)  # edited: the same size, other bytes
    make_file(folder / "c.jpg", 10)

    again = run_upload(
        sandbox, credentials, tmp_path, str(folder), f"cos://{TEST_BUCKET}/backup", "--if-exists", "changed"
    )
    assert again.returncode == 0, again.stderr
    found = f"2 of 3 files already exist in cos://{TEST_BUCKET}/backup/photos/"
    assert f"{found}: uploading those that differ" in again.stdout
    assert "2 uploaded, 0 failed" in again.stdout
    assert again.stdout.rstrip().endswith("already there: 1 unchanged and skipped")
    assert stored(server, "backup/photos/a.jpg") == first["a.jpg"]
    for name in ("b.jpg", "c.jpg"):
        assert stored(server, f"backup/photos/{name}") == (folder / name).read_bytes()
