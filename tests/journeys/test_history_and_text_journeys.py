"""Journeys through the transfer history, the log, and the window's words: what a
person sees after a day of uploads (History, its search, its CSV, its Clear),
what cosdesk.log tells them afterwards, and how sizes, errors and titles read —
in English and in Chinese."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt, QTimer, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QTableView,
    QWidget,
)
from support.journey import (
    answer_next_message_box,
    click,
    current_dialog,
    find,
    menu_action,
    type_into,
    wait_until,
)
from support.log_capture import log_text
from support.window_driver import (
    TEST_BUCKET,
    TEST_REGION,
    MiB,
    WindowDriver,
    make_file,
    save_profile,
)

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import CosError
from cosdesk.ui.languages import install_translators, remove_translators

HISTORY_TABLE = "Transfer history"
SEARCH = "Search history"
TASK_TABLE = "task-table"

# A folder so deep that the object key of its file passes COS's 850-byte limit:
# the file is refused before anything is sent (a failure that needs no server trick).
DEEP_PARTS = ("a" * 200, "b" * 200, "c" * 200, "d" * 200, "e" * 200)


# --- what a person reads -------------------------------------------------------------


def table_rows(table: QTableView) -> list[dict[str, str]]:
    """A table as displayed: one {column header: cell text} per row."""
    model = table.model()
    headers = [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]
    return [
        {headers[c]: str(model.index(r, c).data() or "") for c in range(len(headers))}
        for r in range(model.rowCount())
    ]


def tooltip(table: QTableView, row: int, header: str) -> str:
    model = table.model()
    for column in range(model.columnCount()):
        if model.headerData(column, Qt.Orientation.Horizontal) == header:
            return str(model.index(row, column).data(Qt.ItemDataRole.ToolTipRole) or "")
    raise AssertionError(f"no column {header!r}")


def task_table(window: QMainWindow) -> QTableView:
    table = window.findChild(QTableView, TASK_TABLE)
    assert isinstance(table, QTableView)
    return table


def task_rows(window: QMainWindow) -> list[dict[str, str]]:
    return table_rows(task_table(window))


def wait_states_shown(window: QMainWindow, states: list[str], timeout_s: float) -> None:
    """Wait until the State column shows ``states`` (in any order)."""

    def shown() -> list[str]:
        return sorted(row["State"] for row in task_rows(window))

    try:
        wait_until(lambda: shown() == sorted(states), timeout_s, "states")
    except AssertionError:
        raise AssertionError(f"the State column shows {shown()}, not {sorted(states)}") from None


def row_named(table: QTableView, name: str) -> int:
    for row, cells in enumerate(table_rows(table)):
        if cells.get("Name") == name:
            return row
    raise AssertionError(f"no row {name!r} in {[r.get('Name') for r in table_rows(table)]}")


def click_row(table: QTableView, row: int) -> None:
    rect = table.visualRect(table.model().index(row, 0))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_history(window: QMainWindow) -> tuple[QDialog, QTableView]:
    menu_action(window, "View", "History").trigger()
    table = find(QTableView, HISTORY_TABLE, window)  # the history of this window
    dialog = table.window()
    assert isinstance(dialog, QDialog) and dialog.isVisible()
    return dialog, table


def count_shown(dialog: QWidget) -> str:
    return find(QLabel, "Number of transfers", dialog).text()


def wait_history(dialog: QWidget, table: QTableView, rows: int, count_text: str) -> None:
    def shown() -> tuple[int, str]:
        return table.model().rowCount(), count_shown(dialog)

    try:
        wait_until(lambda: shown() == (rows, count_text), 10, "history")
    except AssertionError:
        status = find(QLabel, "Export status", dialog).text()
        raise AssertionError(f"the history shows {shown()} ({status!r}), not {(rows, count_text)}") from None


def title_bar_text(widget: QWidget) -> str:
    """The title a window manager draws: Qt's X11 and Windows backends append
    " — <display name>" to a title that does not already end with that name."""
    title, name = widget.windowTitle(), QGuiApplication.applicationDisplayName()
    if name and not title.endswith(name):
        return f"{title} \u2014 {name}" if title else name
    return title or QGuiApplication.applicationName()


def server(sandbox: Any, credentials: Credentials) -> CosClient:
    return CosClient(credentials, Endpoint.custom(sandbox.endpoint, path_style=True, region=TEST_REGION))


@pytest.fixture
def named_app(qapp: QApplication) -> Iterator[QApplication]:
    """The application named and speaking English as ``cosdesk gui`` starts it (the
    titles depend on the name; "1 item" on the English catalog's plural forms)."""
    before, locale_before = qapp.applicationDisplayName(), QLocale()
    qapp.setApplicationDisplayName("cosdesk")
    install_translators(qapp, "en")
    yield qapp
    remove_translators(qapp)
    QLocale.setDefault(locale_before)
    qapp.setApplicationDisplayName(before)


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[None]:
    """The language a user chose in Settings, installed as ``cosdesk gui`` does at start."""
    before = QLocale()
    install_translators(qapp, "zh_CN")
    yield
    remove_translators(qapp)
    QLocale.setDefault(before)


# --- transfer history -----------------------------------------------------------------


def test_history_shows_a_days_uploads_finds_them_by_name_and_exports_them_as_csv(
    account_window: WindowDriver,
    sandbox: Any,
    credentials: Credentials,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    driver, window = account_window, account_window.window
    photos = [make_file(tmp_path / f"photo-{n}.jpg", 300_000 + 1000 * n) for n in range(1, 4)]
    later = make_file(tmp_path / "later.mov", 300_000)
    make_file(tmp_path.joinpath("deep", *DEEP_PARTS, "clip.txt"), 10)

    # A slow link (the server reads 200 KB/s per upload): three photos upload at once
    # (Files at once set to 3, not Automatic) for a second and a half, and the movie
    # added behind them waits its turn.
    window.queue.set_file_parallel_limit(3)
    sandbox.faults.bandwidth_bytes_per_s = 200_000
    driver.drop(photos)
    table = task_table(window)
    wait_states_shown(window, ["Uploading"] * 3, 10)
    driver.drop([later])
    wait_until(lambda: len(task_rows(window)) == 4, 5, "four rows")
    assert task_rows(window)[row_named(table, "later.mov")]["State"] == "Waiting"
    click_row(table, row_named(table, "later.mov"))
    click("Cancel", window)
    wait_until(lambda: task_rows(window)[row_named(table, "later.mov")]["State"] == "Canceled", 5, "cancel")
    sandbox.faults.bandwidth_bytes_per_s = None
    driver.drop([tmp_path / "deep"])
    wait_states_shown(window, ["Canceled", "Done", "Done", "Done", "Failed"], 20)

    dialog, history = open_history(window)
    assert title_bar_text(dialog).startswith("Transfer history")
    wait_history(dialog, history, 5, "Transfers: 5")
    rows = table_rows(history)
    assert [row["Result"] for row in rows].count("Done") == 3
    by_name = {row["Name"]: row for row in rows}
    assert by_name["later.mov"]["Result"] == "Canceled"
    assert by_name["later.mov"]["Duration"] == "—"  # it never started
    assert by_name["clip.txt"]["Result"] == "Failed"
    assert by_name["clip.txt"]["Error"] == "The object key is not valid for COS."
    failed_row = [row["Name"] for row in rows].index("clip.txt")
    assert "System message: InvalidKey: " in tooltip(history, failed_row, "Error")
    with server(sandbox, credentials) as cos:
        for photo in photos:
            row = by_name[photo.name]
            size = cos.head_object(TEST_BUCKET, photo.name).content_length
            assert size == photo.stat().st_size
            assert row["Size"] == f"{size / 1024:.1f} KiB"
            assert row["Destination"] == f"{TEST_BUCKET}/{photo.name}"
            # The link let 200 KB/s through: at least 1.5 s for 300 KB, and the
            # average speed shown is the size over the duration shown.
            seconds = float(row["Duration"].removesuffix(" s"))
            kib_per_s = float(row["Average speed"].removesuffix(" KiB/s"))
            assert 1.4 <= seconds < 10
            assert kib_per_s == pytest.approx(size / 1024 / seconds, rel=0.05)
            assert kib_per_s * 1024 < 200_000 * 1.1

    # Search: what a person types, in any case.
    type_into(SEARCH, "PHOTO-2", dialog)
    wait_history(dialog, history, 1, "Matching transfers: 1")
    assert table_rows(history)[0]["Name"] == "photo-2.jpg"
    type_into(SEARCH, "", dialog)
    wait_history(dialog, history, 5, "Transfers: 5")
    show = find(QComboBox, "Show results", dialog)
    show.setFocus()
    QTest.keyClicks(show, "Fa")  # a combo box selects the entry its typed letters begin
    assert show.currentText() == "Failed"
    wait_history(dialog, history, 1, "Matching transfers: 1")
    assert table_rows(history)[0]["Name"] == "clip.txt"
    QTest.keyClick(show, Qt.Key.Key_Home)
    assert show.currentText() == "All results"
    wait_history(dialog, history, 5, "Transfers: 5")

    # Export CSV…: the save dialog opens in the home folder and proposes a name;
    # the person types another.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    target = home / "my history"
    click("Export CSV…", dialog)
    save_as = current_dialog()
    assert isinstance(save_as, QFileDialog)
    proposed = next(
        field.text()
        for field in save_as.findChildren(QLineEdit)
        if field.text().startswith("cosdesk-history-")
    )
    assert proposed.endswith(".csv")
    type_into(proposed, "my history", save_as)
    click("Save", save_as)
    status = find(QLabel, "Export status", dialog)
    written = target.with_suffix(".csv")
    wait_until(lambda: status.text() == f"Saved {written} (transfers: 5).", 10, "the export")
    with open(written, encoding="utf-8-sig", newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert sorted(row["outcome"] for row in exported) == ["canceled", "done", "done", "done", "failed"]
    sizes = {Path(row["key"]).name: int(row["size_bytes"]) for row in exported if row["outcome"] == "done"}
    assert sizes == {photo.name: photo.stat().st_size for photo in photos}


def test_history_is_kept_across_a_restart_and_cleared_only_after_asking(
    sandbox: Any, credentials: Credentials, open_window: Any, named_app: Any, tmp_path: Path
) -> None:
    save_profile(sandbox, credentials)
    first = open_window()
    make_file(tmp_path / "notes.txt", 5000)
    first.drop([tmp_path / "notes.txt"])
    first.wait_states(lambda rows: len(rows) == 1 and rows[0].state.value == "success")
    first.window.close()
    wait_until(lambda: not first.window.isVisible(), 5, "the window to close")
    first.window.shutdown()

    again = open_window()
    dialog, history = open_history(again.window)
    wait_history(dialog, history, 1, "Transfers: 1")
    assert table_rows(history)[0]["Name"] == "notes.txt"
    assert table_rows(history)[0]["Size"] == "4.9 KiB"
    # A quick upload's time is never "0.0 s" beside its speed, and is shown whole.
    duration = table_rows(history)[0]["Duration"]
    assert duration == "under 0.1 s" or 0.1 <= float(duration.removesuffix(" s")) < 1, duration
    # Nor a speed over it: under a second, that is round trips, not the link.
    assert table_rows(history)[0]["Average speed"] == "—"
    speed_tip = tooltip(history, 0, "Average speed")
    sent = f"4.9 KiB sent in {duration} of uploading (pauses not counted)"
    assert speed_tip == f"{sent}\nToo quick to tell the link's speed."
    model = history.model()
    headers = [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]
    width = history.horizontalHeader().sectionSize(headers.index("Duration"))
    assert width >= history.fontMetrics().horizontalAdvance(duration) + 8

    # Clear history… asks first; "Cancel" keeps everything.
    seen: list[str] = []
    answer_next_message_box("Cancel", seen)
    click("Clear history…", dialog)
    wait_until(lambda: bool(seen), 5, "the question")
    wait_history(dialog, history, 1, "Transfers: 1")
    answer_next_message_box("Clear history", seen)
    click("Clear history…", dialog)
    wait_history(dialog, history, 0, "No transfers yet.")
    title, text, detail = seen[-1].split("\n", 2)
    assert title == "cosdesk"  # the title bar shows the app's name once, nothing cut
    assert text == "Clear the transfer history?"
    assert "files on the server and the upload list stay" in detail
    # The upload itself and the list stay.
    wait_until(lambda: [row["Name"] for row in task_rows(again.window)] == ["notes.txt"], 5, "the list")
    with server(sandbox, credentials) as cos:
        assert cos.head_object(TEST_BUCKET, "notes.txt").content_length == 5000


def test_uploads_from_the_command_line_reach_the_windows_history_and_the_log(
    sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    cosdesk = shutil.which("cosdesk", path=str(Path(sys.executable).parent))
    assert cosdesk is not None
    source = make_file(tmp_path / "from-cli.bin", 2 * MiB)
    env = {
        **os.environ,
        "COS_SECRET_ID": credentials.secret_id,
        "COS_SECRET_KEY": credentials.secret_key,
    }
    done = subprocess.run(
        [
            cosdesk,
            "upload",
            str(source),
            f"cos://{TEST_BUCKET}/cli/",
            "--endpoint",
            sandbox.endpoint,
            "--region",
            TEST_REGION,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr

    log_text = (Path(os.environ["COSDESK_LOG_DIR"]) / "cosdesk.log").read_text(encoding="utf-8")
    assert f"upload started: {TEST_BUCKET}/cli/from-cli.bin (2.0 MiB) from {source}" in log_text
    assert f"upload done: {TEST_BUCKET}/cli/from-cli.bin, 2.0 MiB in " in log_text
    assert credentials.secret_key not in log_text

    save_profile(sandbox, credentials)
    driver = open_window()
    dialog, history = open_history(driver.window)
    wait_history(dialog, history, 1, "Transfers: 1")
    (row,) = table_rows(history)
    assert (row["Name"], row["Result"], row["Size"]) == ("from-cli.bin", "Done", "2.0 MiB")
    assert row["Destination"] == f"{TEST_BUCKET}/cli/from-cli.bin"


def test_the_log_tells_each_transfers_start_end_and_failure_reason_without_secrets(
    sandbox: Any, credentials: Credentials, open_window: Any, log_file: Path, tmp_path: Path
) -> None:
    # An account whose SecretKey is mistyped: COS refuses every upload.
    save_profile(sandbox, Credentials(credentials.secret_id, "mistyped-secret-key-0000"))
    driver = open_window()
    make_file(tmp_path / "a.txt", 2000)
    driver.drop([tmp_path / "a.txt"])
    driver.wait_states(lambda rows: len(rows) == 1 and rows[0].state.value == "error")
    (row,) = task_rows(driver.window)
    assert row["State"] == "Failed"

    # The batch's end is a line of its own; the window's start, with nothing to do, is none.
    wait_until(lambda: "queue idle: " in log_text(log_file), what="the batch's line in the log")
    text = log_text(log_file)
    lines = [line for line in text.splitlines() if "cosdesk.transfers" in line]
    (idle,) = [line for line in lines if "queue idle: " in line]
    assert "queue idle: 0 done, 1 failed, 0 paused, 0 canceled; " in idle
    # A small file's routine start is not a line of its own: its outcome says where from.
    assert not any("upload started: " in line for line in lines), lines
    failure = next(line for line in lines if "upload failed: " in line)
    assert f"upload failed: {TEST_BUCKET}/a.txt: SignatureDoesNotMatch (403): " in failure
    assert failure.endswith(f"; from {tmp_path / 'a.txt'}")
    assert "[request id " in failure
    assert "mistyped-secret-key-0000" not in text
    assert "q-signature=" not in text.replace("q-signature=***", "")


# --- sizes, errors and titles, in English and Chinese --------------------------------


def test_a_file_reads_in_the_same_binary_units_in_english_and_in_chinese(
    account_window: WindowDriver, sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    driver = account_window
    make_file(tmp_path / "video.mp4", 3 * MiB // 2)  # 1,572,864 bytes: 1.5 MiB (1.57 MB)
    driver.drop([tmp_path / "video.mp4"])
    driver.wait_states(lambda rows: len(rows) == 1 and rows[0].state.value == "success")
    with server(sandbox, credentials) as cos:
        assert cos.head_object(TEST_BUCKET, "video.mp4").content_length == 1_572_864
    (row,) = task_rows(driver.window)
    assert row["Size"] == "1.5 MiB"
    assert find(QLabel, "1.5 MiB / 1.5 MiB", driver.window)  # the status bar's totals
    driver.window.shutdown()
    driver.window.close()

    # The next start in Chinese (as Settings → Language → 简体中文 and a restart give).
    locale_before = QLocale()
    install_translators(QCoreApplication.instance(), "zh_CN")  # type: ignore[arg-type]
    try:
        chinese = open_window()
        wait_until(lambda: len(task_rows(chinese.window)) == 1, 10, "the restored row")
        (row,) = task_rows(chinese.window)
        assert row["状态"] == "已完成"
        assert row["大小"] == "1.5 MiB"
        menu_action(
            chinese.window,
            QCoreApplication.translate("MenuBar", "&Edit"),
            chinese.window.settings_action.text(),
        ).trigger()
        settings = current_dialog()
        suffixes = {box.suffix().strip() for box in settings.findChildren(QWidget) if hasattr(box, "suffix")}
        assert "MiB" in suffixes and "MB" not in suffixes and "MiB/s" in suffixes
        settings.reject()
    finally:
        remove_translators(QCoreApplication.instance())  # type: ignore[arg-type]
        QLocale.setDefault(locale_before)


def test_a_failure_in_chinese_explains_itself_and_shows_the_system_message_labelled(
    sandbox: Any, credentials: Credentials, open_window: Any, chinese: None, tmp_path: Path
) -> None:
    mistyped = Credentials(credentials.secret_id, "mistyped-secret-key-0000")
    # What the server says to these keys, asked directly (COS answers in English).
    with server(sandbox, mistyped) as cos, pytest.raises(CosError) as refused:
        cos.put_object(TEST_BUCKET, "probe.txt", b"x")
    server_said = refused.value.message
    assert refused.value.code == "SignatureDoesNotMatch" and server_said.isascii()

    save_profile(sandbox, mistyped)
    driver = open_window()
    make_file(tmp_path / "季度报告.pdf", 1000)
    driver.drop([tmp_path / "季度报告.pdf"])
    driver.wait_states(lambda rows: len(rows) == 1 and rows[0].state.value == "error")

    def translate(text: str) -> str:
        return QCoreApplication.translate("formatting", text)

    explanation = translate("The SecretKey does not match the SecretId. Check the keys in Settings.")
    assert not explanation.isascii()  # the catalog has it in Chinese
    table = task_table(driver.window)
    error_header = table.model().headerData(7, Qt.Orientation.Horizontal)
    (row,) = table_rows(table)
    assert row[error_header] == explanation  # the cell: the explanation alone, no English in it

    # A narrow column cuts the cell: its tooltip has the whole story, the
    # explanation first, then the system message under its label.
    tip = tooltip(table, 0, error_header)
    labelled = translate("System message: %1").replace("%1", f"SignatureDoesNotMatch (403): {server_said}")
    explained, system = tip.split("\n\n")
    assert explained == explanation
    assert re.fullmatch(re.escape(labelled) + r" \[request id [\w=+/-]+\]", system), system

    # Details (double-click): the explanation, then the system message under its own label.
    click_row(table, 0)
    index = table.model().index(0, 0)
    QTest.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    system = find(QLabel, QCoreApplication.translate("TaskDetailsDialog", "System message"))
    details = system.window()
    wait_until(lambda: system.text() == server_said, 5, "the details to show the system message")
    labels = {label.accessibleName() or label.text(): label for label in details.findChildren(QLabel)}
    assert labels[
        QCoreApplication.translate("TaskDetailsDialog", "System message (as received, not translated):")
    ]
    assert explanation in labels and server_said not in explanation
    details.close()


def test_titles_name_the_app_once_and_a_message_box_title_is_never_cut(
    named_app: Any, account_window: WindowDriver, tmp_path: Path
) -> None:
    window = account_window.window
    shown = title_bar_text(window)
    assert shown.count("cosdesk") == 1 and shown.endswith(" \u2014 cosdesk")
    assert TEST_BUCKET in shown

    # Drop a file together with a link from a web page: the link cannot be added.
    photo = make_file(tmp_path / "photo.jpg", 100)
    account_window.drop([photo], urls=[QUrl("https://example.com/picture.png")])
    box = find(QMessageBox, "1 item could not be added:")
    assert title_bar_text(box) == "cosdesk"
    assert box.text() == "1 item could not be added:"
    assert "picture.png" in box.informativeText()
    # The whole title fits the box's width (a descriptive title did not).
    assert box.fontMetrics().horizontalAdvance(title_bar_text(box)) < box.width() // 2
    box.close()


def test_the_add_folder_dialog_in_chinese_says_nothing_in_english(open_window: Any, chinese: None) -> None:
    """Qt 6.11's file dialog labels gained accelerators ("&Look in:") that Qt's
    Chinese catalog does not have: they showed in English. Ours fills that gap."""
    window = open_window(start_sandbox=False).window
    labels_seen: list[str] = []

    def read_then_close(tries: int = 200) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QFileDialog):
            labels_seen.extend(label.text() for label in dialog.findChildren(QLabel) if label.isVisible())
            dialog.reject()
        elif tries:
            QTimer.singleShot(50, lambda: read_then_close(tries - 1))

    QTimer.singleShot(50, read_then_close)
    click("添加文件夹", window)  # the toolbar's "Add folder"

    assert labels_seen, "no file dialog opened"
    assert "查找范围(&L)：" in labels_seen and "文件类型(&T)：" in labels_seen
    assert not [text for text in labels_seen if re.search("[A-Za-z]{3}", text)]


def test_a_file_another_cosdesk_uploads_says_so_in_chinese_then_that_it_was_uploaded(
    sandbox: Any, credentials: Credentials, open_window: Any, chinese: None, tmp_path: Path
) -> None:
    """Notes are the engine's (stored in English for ``cosdesk tasks``); the window
    shows them in the person's language. Meanwhile the row's progress is the other
    process's: the parts it has stored."""
    save_profile(sandbox, credentials)
    sandbox.faults.bandwidth_bytes_per_s = 400_000  # 2.6 s a part, one at a time
    video = make_file(tmp_path / "会议录像.mp4", 4 * MiB)
    env = {**os.environ, "COS_SECRET_ID": credentials.secret_id, "COS_SECRET_KEY": credentials.secret_key}
    command = shutil.which("cosdesk", path=os.path.dirname(sys.executable)) or "cosdesk"
    one_part_at_a_time = ["--part-size", "1M", "--parallel-parts", "1"]
    uploading = subprocess.Popen(
        [
            command,
            "upload",
            str(video),
            f"cos://{TEST_BUCKET}/",
            "--endpoint",
            sandbox.endpoint,
            *one_part_at_a_time,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def listed_uploading() -> bool:
            listing = subprocess.run([command, "tasks", "list"], env=env, capture_output=True, text=True)
            return f"[uploading in another cosdesk process (pid {uploading.pid})]" in listing.stdout

        wait_until(listed_uploading, 15, "cosdesk upload to be sending the file")
        # The person opens the window on the same tasks meanwhile.
        window = open_window().window
        table = task_table(window)
        note_header = str(table.model().headerData(7, Qt.Orientation.Horizontal))
        held = f"另一个 cosdesk 进程（pid {uploading.pid}）正在上传此文件；等待其完成"
        wait_until(lambda: [row[note_header] for row in table_rows(table)] == [held], 10, "who uploads it")

        def progress_shown() -> str:
            (row,) = table_rows(table)
            return row["进度"] if row["状态"] == "等待中" else ""

        wait_until(lambda: progress_shown() not in ("", "0%"), 15, "the other process's progress")
        assert progress_shown() in ("25%", "50%", "75%")  # whole parts of four, stored by the other
        sandbox.faults.bandwidth_bytes_per_s = None
        _, err = uploading.communicate(timeout=60)
        assert uploading.returncode == 0, err
    finally:
        if uploading.poll() is None:
            uploading.kill()
    wait_until(
        lambda: (
            [(row["状态"], row[note_header]) for row in table_rows(table)]
            == [("已完成", "已由另一个 cosdesk 进程上传")]
        ),
        15,
        "the row to say the other process uploaded it",
    )


def test_what_a_dropped_folder_could_not_add_is_said_in_chinese(
    account_window: WindowDriver, chinese: None, tmp_path: Path
) -> None:
    folder = tmp_path / "相册"
    make_file(folder / "a.jpg", 100)
    os.mkfifo(folder / "管道")
    account_window.drop([folder])
    headline = QCoreApplication.translate("MainWindow", "%n item(s) could not be added:", None, 1)
    box = find(QMessageBox, headline)
    assert box.informativeText() == "• 管道：不是普通文件或文件夹；已跳过"
    box.close()


def sync_text(text: str) -> str:
    """The sync dialog's words in the language installed."""
    return QCoreApplication.translate("SyncDialog", text)


def open_sync_dialog(window: QMainWindow, folder: Path) -> QDialog:
    """File > Sync a folder…, with ``folder`` typed in (QTest types no Chinese)."""
    menu_action(window, QCoreApplication.translate("MenuBar", "&File"), window.sync_action.text()).trigger()
    dialog = current_dialog()
    type_into(sync_text("Folder to sync"), str(folder), dialog)
    return dialog


def test_what_a_sync_preview_could_not_read_is_said_in_chinese(
    chinese: None, account_window: WindowDriver, tmp_path: Path
) -> None:
    folder = tmp_path / "site"
    make_file(folder / "index.html", 100)
    os.mkfifo(folder / "管道")
    dialog = open_sync_dialog(account_window.window, folder)
    click(sync_text("Preview"), dialog)
    preview = find(QLabel, sync_text("Sync preview"), dialog)
    wait_until(lambda: "管道" in preview.text(), what="the preview")
    first = f"{folder / '管道'}：不是普通文件或文件夹；已跳过"
    assert preview.text().endswith(f"1 个无法读取（第一个：{first}）。")
    dialog.reject()


def test_a_sync_pattern_with_an_open_set_is_explained_in_chinese(
    chinese: None, account_window: WindowDriver, tmp_path: Path
) -> None:
    folder = tmp_path / "code"
    make_file(folder / "main.c", 100)
    dialog = open_sync_dialog(account_window.window, folder)
    excludes = find(QPlainTextEdit, sync_text("Exclude patterns"), dialog)
    excludes.setFocus()
    QTest.keyClicks(excludes, "*.[ch")
    click(sync_text("Preview"), dialog)
    preview = find(QLabel, sync_text("Sync preview"), dialog)
    wait_until(lambda: "*.[ch" in preview.text(), what="the pattern's problem")
    assert preview.text() == "无法识别规则：规则“*.[ch”中的“[”没有对应的“]”（要表示字符本身，请写作“\\[”）"
    dialog.reject()
