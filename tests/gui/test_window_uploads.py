"""The window against the local server: drop, watch, control, fail, recover."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from cosdesk import config
from cosdesk.cos.auth import Credentials
from cosdesk.engine.task import TaskState
from cosdesk.engine.thread_priority import WORKER_NICE_INCREMENT
from cosdesk.ui.progress_bars import BAR_WIDTH, progress_bar
from cosdesk.ui.task_model import Column, TaskFilter

from .conftest import (
    TEST_BUCKET,
    MiB,
    WindowDriver,
    make_file,
    save_profile,
    slow_down,
)


def test_drop_of_files_and_a_folder_adds_tasks_under_the_prefix(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    driver = account_window
    window = driver.window
    window.destination_bar.set_location(TEST_BUCKET, "inbox")
    single = make_file(tmp_path / "drop" / "report.pdf", 2000)
    folder = tmp_path / "drop" / "photos"
    make_file(folder / "2024" / "a.jpg", 3000)
    make_file(folder / "b.jpg", 4000)
    os.mkfifo(folder / "pipe")  # cannot be uploaded: must be reported, not skipped silently

    overlay_shown, overlay_text = driver.drop([single, folder], urls=[QUrl("https://example.com/x.png")])

    assert overlay_shown
    assert f"{TEST_BUCKET}/inbox/" in overlay_text
    assert not window.drop_overlay.isVisible()
    driver.wait_rows(3)
    driver.wait_all(TaskState.SUCCESS, 3)
    assert sorted(driver.by_key()) == ["inbox/photos/2024/a.jpg", "inbox/photos/b.jpg", "inbox/report.pdf"]
    reported = {os.path.basename(path): message for path, message in window.scan_problems}
    assert "pipe" in reported
    assert "x.png" in reported and "not a local file" in reported["x.png"]
    driver.qtbot.waitUntil(lambda: window.problem_box is not None, timeout=3000)
    assert "2 item(s) could not be added" in window.problem_box.text()


def test_progress_and_speed_show_and_reach_100_percent(account_window: WindowDriver, tmp_path: Path) -> None:
    driver = account_window
    window = driver.window
    slow_down(driver, 3 * MiB)
    make_file(tmp_path / "big.bin", 6 * MiB)
    window.add_paths([str(tmp_path / "big.bin")])

    def in_flight(rows: list[Any]) -> bool:
        return (
            bool(rows)
            and rows[0].state is TaskState.UPLOADING
            and 0.05 < rows[0].percent < 0.9
            and (rows[0].speed or 0) > 0  # None: not measured yet
        )

    driver.wait_states(in_flight, timeout_s=15)
    row = driver.model.row_of(driver.snapshots()[0].task_id)
    speed_text = driver.model.index(row, Column.SPEED).data()
    assert speed_text.endswith("/s")
    assert driver.model.index(row, Column.PROGRESS).data().endswith("%")
    # The bar is a pixmap in the model, drawn by the view's own delegate: painting
    # the table runs no Python (see cosdesk/ui/progress_bars.py).
    bar_in_flight = driver.model.index(row, Column.PROGRESS).data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(bar_in_flight, QPixmap) and bar_in_flight.width() >= BAR_WIDTH
    assert window.table.itemDelegateForColumn(Column.PROGRESS) is None
    assert window.speed_label.isVisible() and window.speed_label.text().endswith("/s")
    assert 0 < window.overall.value() < 1000

    slow_down(driver, 0)
    driver.wait_all(TaskState.SUCCESS, 1)
    assert driver.model.index(row, Column.PROGRESS).data() == "100%"
    full = driver.model.index(row, Column.PROGRESS).data(Qt.ItemDataRole.DecorationRole)
    assert full.cacheKey() == progress_bar(1.0, TaskState.SUCCESS).cacheKey() != bar_in_flight.cacheKey()
    driver.qtbot.waitUntil(lambda: window.overall.value() == 1000, timeout=3000)
    assert window.files_label.text() == "1 / 1 files"
    # Offscreen there is no tray: the batch's end is told in the status bar.
    driver.qtbot.waitUntil(lambda: window.notifier.last_channel == "status bar", timeout=5000)
    assert "uploaded" in window.statusBar().currentMessage()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_uploads_run_on_threads_below_the_gui_threads_priority(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    """The window's engine shares the GIL with the GUI thread: its workers run at
    a lower priority so the GUI thread gets the CPU (and the GIL) first."""
    driver = account_window
    slow_down(driver, 2 * MiB)
    make_file(tmp_path / "big.bin", 6 * MiB)
    driver.window.add_paths([str(tmp_path / "big.bin")])
    driver.wait_states(lambda rows: bool(rows) and rows[0].state is TaskState.UPLOADING, timeout_s=15)

    gui_nice = os.getpriority(os.PRIO_PROCESS, os.getpid())  # the GUI thread's id is the pid
    threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    thread_nice = {tid: os.getpriority(os.PRIO_PROCESS, tid) for tid in threads}
    lowered = [tid for tid, nice in thread_nice.items() if nice == min(gui_nice + WORKER_NICE_INCREMENT, 19)]
    assert thread_nice[os.getpid()] == gui_nice
    assert len(lowered) >= 2  # the file's job and its part jobs
    store_writers = [t.native_id for t in threading.enumerate() if t.name == "cosdesk-task-store"]
    assert any(writer in lowered for writer in store_writers)  # the window's task database

    slow_down(driver, 0)
    driver.wait_all(TaskState.SUCCESS, 1)


def test_a_row_removed_while_its_late_snapshot_waits_does_not_come_back(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    """The feed may have read a task's snapshot just before "Clear finished" removes
    the task; applying that snapshot afterwards must not add the row again."""
    driver = account_window
    queue = driver.window.queue
    driver.window.add_paths([str(make_file(tmp_path / "a.bin", 1000))])
    driver.wait_all(TaskState.SUCCESS, 1)
    driver.qtbot.waitUntil(driver.model.is_settled, timeout=5000)
    late = driver.snapshots()[0]

    queue.list_updated.emit([late.task_id])  # the feed reads the task on its worker ...
    time.sleep(0.3)  # ... and has read it: handing it over waits for the event loop
    assert queue.clear_finished([late.task_id]) == [late.task_id]
    queue.tasks_removed.emit([late.task_id])  # told at once, before the read is handed over
    driver.qtbot.waitUntil(driver.model.is_settled, timeout=5000)
    driver.qtbot.wait(300)  # and the queue's own word of the removal
    assert driver.model.rowCount() == 0
    assert driver.window.proxy.rowCount() == 0


def test_pause_resume_and_cancel_from_shortcuts_context_menu_and_toolbar(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    driver = account_window
    window = driver.window
    slow_down(driver, 1 * MiB)
    for name in ("one.bin", "two.bin"):
        make_file(tmp_path / name, 8 * MiB)
    window.add_paths([str(tmp_path / "one.bin"), str(tmp_path / "two.bin")])
    driver.wait_rows(2)
    window.activateWindow()
    window.table.setFocus()

    # Space pauses the selected row and resumes it again.
    driver.select_keys("one.bin")
    QTest.keyClick(window.table, Qt.Key.Key_Space)
    driver.wait_states(lambda rows: driver.by_key()["one.bin"].state is TaskState.PAUSED)
    QTest.keyClick(window.table, Qt.Key.Key_Space)
    driver.wait_states(lambda rows: driver.by_key()["one.bin"].state is not TaskState.PAUSED)

    # The context menu's Pause and Resume.
    driver.select_keys("two.bin")
    menu = window.rows.build_context_menu()
    actions = {action.text(): action for action in menu.actions()}
    assert actions["Pause"].isEnabled()
    actions["Pause"].trigger()
    driver.wait_states(lambda rows: driver.by_key()["two.bin"].state is TaskState.PAUSED)
    menu = window.rows.build_context_menu()
    actions = {action.text(): action for action in menu.actions()}
    assert actions["Resume"].isEnabled() and not actions["Pause"].isEnabled()
    actions["Resume"].trigger()
    driver.wait_states(lambda rows: driver.by_key()["two.bin"].state is not TaskState.PAUSED)

    # The toolbar's Pause all / Start all.
    window.pause_all_action.trigger()
    driver.wait_all(TaskState.PAUSED, 2)
    assert window.filter_bar.tabs.tabText(int(TaskFilter.PAUSED)).endswith("2")
    assert window.start_all_action.isEnabled()
    window.start_all_action.trigger()
    driver.wait_states(lambda rows: all(s.state is not TaskState.PAUSED for s in rows))

    # Delete cancels the selection; the toolbar's Cancel the rest. A cancel that
    # throws sent bytes away is confirmed first (the question opens without blocking).
    def confirm_cancel_if_asked() -> None:
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            box = QApplication.activeModalWidget()
            if isinstance(box, QMessageBox) and box.isVisible():
                next(b for b in box.buttons() if b.text().startswith("Cancel 1 upload")).click()
                return
            QApplication.processEvents()
            time.sleep(0.01)

    driver.select_keys("one.bin")
    QTest.keyClick(window.table, Qt.Key.Key_Delete)
    confirm_cancel_if_asked()
    driver.wait_states(lambda rows: driver.by_key()["one.bin"].state is TaskState.CANCELED)
    driver.select_keys("two.bin")
    window.rows.toolbar_cancel_action.trigger()
    confirm_cancel_if_asked()
    driver.wait_all(TaskState.CANCELED, 2)
    window.clear_action.trigger()
    driver.qtbot.waitUntil(lambda: driver.model.rowCount() == 0, timeout=5000)
    assert window.stack.currentWidget() is window.empty_hint


def test_a_wrong_key_shows_the_error_in_words_with_code_and_request_id_then_retry_succeeds(
    sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    save_profile(sandbox, Credentials(credentials.secret_id, "not-the-key"))
    driver = open_window()
    window = driver.window
    make_file(tmp_path / "doc.txt", 1000)
    window.add_paths([str(tmp_path / "doc.txt")])
    driver.wait_all(TaskState.ERROR, 1)

    snap = driver.snapshots()[0]
    row = driver.model.row_of(snap.task_id)
    message = driver.model.index(row, Column.MESSAGE).data()
    assert "SecretKey does not match" in message
    assert snap.error is not None and snap.error.code == "SignatureDoesNotMatch" and snap.error.request_id
    assert window.retry_action.isEnabled()
    window.filter_bar.set_current(TaskFilter.FAILED)
    assert window.proxy.rowCount() == 1

    details = window.rows.show_details(snap.task_id)
    # The dialog reads the task off the GUI thread, then shows it.
    driver.qtbot.waitUntil(lambda: details.error_box.isVisibleTo(details))
    assert "SignatureDoesNotMatch" in details.error_support.text()
    assert snap.error.request_id in details.error_support.text()
    details.copy_error.click()
    assert snap.error.request_id in QGuiApplication.clipboard().text()
    details.close()

    config.store_credentials("test account", credentials)
    window.session.router.forget_clients()
    window.retry_action.trigger()
    window.filter_bar.set_current(TaskFilter.DONE)
    driver.wait_all(TaskState.SUCCESS, 1)
    assert window.proxy.rowCount() == 1


def test_a_file_that_vanished_before_its_upload_is_reported_on_its_row(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    driver = account_window
    window = driver.window
    slow_down(driver, 1 * MiB)
    make_file(tmp_path / "first.bin", 6 * MiB)
    window.add_paths([str(tmp_path / "first.bin")])
    driver.wait_rows(1)
    window.queue.set_file_parallel_limit(1)
    gone = make_file(tmp_path / "gone.txt", 5000)
    window.add_paths([str(gone)])
    driver.wait_rows(2)
    gone.unlink()  # waits behind first.bin, then finds its file missing
    window.queue.pause([driver.by_key()["first.bin"].task_id])
    driver.wait_states(lambda rows: driver.by_key()["gone.txt"].state is TaskState.ERROR)
    snap = driver.by_key()["gone.txt"]
    row = driver.model.row_of(snap.task_id)
    assert driver.model.index(row, Column.MESSAGE).data()
    assert driver.model.index(row, Column.STATE).data() == "Failed"


def test_finished_rows_copy_object_and_presigned_urls(account_window: WindowDriver, tmp_path: Path) -> None:
    driver = account_window
    window = driver.window
    make_file(tmp_path / "share.txt", 100)
    window.add_paths([str(tmp_path / "share.txt")])
    driver.wait_all(TaskState.SUCCESS, 1)
    driver.select_keys("share.txt")
    window.rows.copy_urls()
    assert QGuiApplication.clipboard().text().endswith("/share.txt")
    window.rows.copy_presigned(3600)  # signed on a worker: the keys come from the keyring
    driver.qtbot.waitUntil(lambda: "q-signature=" in QGuiApplication.clipboard().text(), timeout=5000)
    url = QGuiApplication.clipboard().text()
    assert "q-signature=" in url and "share.txt" in url
    import httpx

    assert httpx.get(url).status_code == 200


def test_closing_with_running_uploads_asks_and_pause_resumes_next_start(
    account_window: WindowDriver, open_window: Any, tmp_path: Path
) -> None:
    driver = account_window
    window = driver.window
    slow_down(driver, 1 * MiB)
    make_file(tmp_path / "long.bin", 5 * MiB)
    window.add_paths([str(tmp_path / "long.bin")])
    driver.wait_states(lambda rows: bool(rows) and rows[0].state is TaskState.UPLOADING)

    def choose_pause_and_quit() -> None:
        box = window.close_box
        pause = next(button for button in box.buttons() if button.text() == "Pause and quit")
        pause.click()

    QTimer.singleShot(300, choose_pause_and_quit)
    window.close()
    assert window._shut_down
    stored = json.loads((Path(os.environ["COSDESK_CONFIG_DIR"]) / "config.json").read_text())
    assert stored["active_profile"] == "test account"
    assert (Path(os.environ["COSDESK_CONFIG_DIR"]) / "window.ini").exists()

    again = open_window()
    again.wait_rows(1)
    again.wait_all(TaskState.SUCCESS, 1, timeout_s=30)
    assert again.snapshots()[0].key == "long.bin"


@pytest.mark.parametrize("column", [Column.NAME, Column.SIZE])
def test_sorting_by_a_column_orders_rows(
    account_window: WindowDriver, tmp_path: Path, column: Column
) -> None:
    driver = account_window
    window = driver.window
    for name, size in (("b.txt", 30), ("a.txt", 200), ("c.txt", 10)):
        make_file(tmp_path / name, size)
    window.add_paths([str(tmp_path / name) for name in ("b.txt", "a.txt", "c.txt")])
    driver.wait_all(TaskState.SUCCESS, 3)
    window.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    shown = [window.proxy.index(row, Column.NAME).data() for row in range(3)]
    assert shown == (["a.txt", "b.txt", "c.txt"] if column == Column.NAME else ["c.txt", "b.txt", "a.txt"])


def test_files_given_on_the_command_line_are_queued_under_the_destination(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    from cosdesk.ui.app import local_paths

    driver = account_window
    plain = make_file(tmp_path / "given" / "plain.txt", 100)
    spaced = make_file(tmp_path / "given" / "with space.txt", 200)
    # What a file manager passes through the desktop file's %U: a path and a file:// URL.
    words = [str(plain), QUrl.fromLocalFile(str(spaced)).toString(), "https://example.com/not-local"]
    driver.window.add_paths_when_ready(local_paths(words))
    driver.wait_all(TaskState.SUCCESS, 2)
    assert sorted(driver.by_key()) == ["plain.txt", "with space.txt"]


def test_a_task_without_keys_fails_with_a_plain_no_credentials_error(
    sandbox: Any, open_window: Any, tmp_path: Path
) -> None:
    save_profile(sandbox, None)  # an account whose keys were never entered
    driver = open_window()
    driver.window.add_paths([str(make_file(tmp_path / "a.txt", 10))])
    driver.wait_all(TaskState.ERROR, 1)
    snap = driver.snapshots()[0]
    assert snap.error is not None and snap.error.code == "NoCredentials"
    row = driver.model.row_of(snap.task_id)
    assert "no keys for this account" in driver.model.index(row, Column.MESSAGE).data()
