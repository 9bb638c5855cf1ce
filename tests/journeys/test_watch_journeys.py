"""Journeys with watched folders: a person watches a folder from the File menu,
files they save there appear as rows and upload, and pausing the watch holds
what they save until they resume it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QTreeWidget
from support.journey import (
    click,
    current_dialog,
    find,
    menu_action,
    type_into,
    visible_widgets,
    wait_until,
)
from support.window_driver import TEST_BUCKET, WindowDriver

from cosdesk.engine.task import TaskState
from cosdesk.ui.palette import error_color

STATE, UPLOADED = 2, 3


def status_bar_says(window: Any, pattern: str) -> bool:
    return any(
        re.fullmatch(pattern, button.text())
        for button in visible_widgets(window.statusBar())
        if isinstance(button, QPushButton)
    )


def succeeded_keys(driver: WindowDriver) -> set[str]:
    return {snap.key for snap in driver.snapshots() if snap.state is TaskState.SUCCESS}


def test_watch_a_folder_see_its_files_upload_then_pause_and_resume_the_watch(
    account_window: WindowDriver, sandbox: Any, tmp_path: Path
) -> None:
    driver, window = account_window, account_window.window
    # A person's settle time is 2 s; the test's files are written at once.
    window.session.watches.settle_s = 0.4
    folder = tmp_path / "camera"
    folder.mkdir()

    menu_action(window, "File", "Watch a folder…").trigger()
    dialog = current_dialog()
    type_into("Folder", str(folder), dialog)
    assert find(QLineEdit, "Prefix", dialog).text() == "camera/"
    assert find(QLineEdit, "Bucket", dialog).text() == TEST_BUCKET
    click("Watch", dialog)

    listing = find(QTreeWidget, "Watched folders")
    wait_until(lambda: listing.topLevelItemCount() == 1, what="the folder in the list")
    row = listing.topLevelItem(0)
    assert row.text(0) == str(folder)
    assert row.text(1) == f"cos://{TEST_BUCKET}/camera/"
    wait_until(lambda: listing.topLevelItem(0).text(STATE) == "Watching", what="Watching")
    # The status bar says so ("1 watched folder"; "(s)" where no English catalog is loaded).
    assert status_bar_says(window, r"1 watched folder(\(s\))?")

    (folder / "photo1.jpg").write_bytes(b"the first photo")
    wait_until(lambda: "camera/photo1.jpg" in succeeded_keys(driver), 20, "photo1.jpg uploaded")
    wait_until(lambda: listing.topLevelItem(0).text(UPLOADED) == "1", what="1 uploaded in the list")

    click("Pause", listing.window())
    wait_until(lambda: listing.topLevelItem(0).text(STATE) == "Paused", what="Paused")
    (folder / "photo2.jpg").write_bytes(b"taken while paused")
    driver.qtbot.wait(1500)  # several settle times: a watch that still ran would have queued it
    assert {snap.key for snap in driver.snapshots()} == {"camera/photo1.jpg"}
    assert sandbox.storage.get_object(TEST_BUCKET, "camera/photo2.jpg") is None

    click("Resume", listing.window())
    wait_until(lambda: listing.topLevelItem(0).text(STATE) == "Watching", what="Watching again")
    wait_until(lambda: "camera/photo2.jpg" in succeeded_keys(driver), 20, "photo2.jpg uploaded")
    assert succeeded_keys(driver) == {"camera/photo1.jpg", "camera/photo2.jpg"}
    wait_until(lambda: listing.topLevelItem(0).text(UPLOADED) == "2", what="2 uploaded in the list")


def test_a_leave_out_pattern_with_an_open_set_is_named_and_the_watch_waits_for_a_fix(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    window = account_window.window
    folder = tmp_path / "code"
    folder.mkdir()
    menu_action(window, "File", "Watch a folder…").trigger()
    dialog = current_dialog()
    type_into("Folder", str(folder), dialog)
    type_into("Leave out", "*.[ch", dialog)  # meant *.[ch]: the set is never closed
    click("Watch", dialog)

    refusal = "A pattern cannot be read: Invalid git pattern: '*.[ch' has a '[' without its ']'"
    refusal += " (write '\\[' for the character)"
    (said,) = [w for w in visible_widgets(dialog) if isinstance(w, QLabel) and w.text() == refusal]
    # In the error red, as Settings says what is wrong (it was the highlight blue of a note).
    assert said.palette().color(QPalette.ColorRole.WindowText) == error_color(said.palette())
    assert dialog.isVisible()  # nothing is watched with a pattern that does not do what was meant

    type_into("Leave out", "*.[ch]", dialog)
    click("Watch", dialog)
    listing = find(QTreeWidget, "Watched folders")
    wait_until(lambda: listing.topLevelItemCount() == 1, what="the folder in the list")
    assert listing.topLevelItem(0).text(0) == str(folder)
