"""The app shell as a person meets it: one window however often cosdesk is launched,
a menu bar with the usual shortcuts, the keyboard and a screen reader reaching
every control, folders the desktop cannot open, new rows scrolled into view."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray, QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QAccessible, QContextMenuEvent, QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QToolButton,
    QWidget,
)
from support.journey import answer_next_message_box, click, find, wait_until
from support.tcp_proxy import TcpProxy
from support.window_driver import (
    TEST_BUCKET,
    MiB,
    WindowDriver,
    make_file,
    save_profile,
    slow_down,
)

from cosdesk import config
from cosdesk.cli import build_parser
from cosdesk.cos.auth import Credentials
from cosdesk.ui.task_model import Column

DISPLAY = Qt.ItemDataRole.DisplayRole


# --- what a person sees -------------------------------------------------------------


def shown_rows(window: Any) -> list[list[str]]:
    """The rows of the visible table as displayed, in the order on screen."""
    model = window.findChild(QTableView, "task-table").model()
    return [
        [str(model.index(row, column).data(DISPLAY) or "") for column in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


def shown_names(window: Any) -> list[str]:
    return [row[Column.NAME] for row in shown_rows(window)]


def on_server(sandbox: Any, key: str) -> bytes | None:
    opened = sandbox.storage.open_object(TEST_BUCKET, key)
    if opened is None:
        return None
    _record, body = opened
    with body:
        return body.read()


def table_of(window: Any) -> QTableView:
    table = find(QTableView, "Uploads", window)
    assert isinstance(table, QTableView)
    return table


def visible_message_boxes(window: QWidget) -> list[QMessageBox]:
    """The message boxes ``window`` shows now."""
    return [
        box
        for box in QApplication.topLevelWidgets()
        if isinstance(box, QMessageBox) and box.isVisible() and box.parentWidget() is window
    ]


def open_menu(window: Any, title: str) -> QMenu:
    """Click ``title`` in the window's menu bar; the menu that drops down."""
    bar = window.menuBar()
    entry = next(a for a in bar.actions() if a.text().replace("&", "") == title)
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(entry).center())
    menu = entry.menu()
    assert isinstance(menu, QMenu)
    wait_until(menu.isVisible, 5, f"the {title} menu to drop down")
    return menu


def choose(menu: QMenu, text: str) -> None:
    """Click the entry ``text`` of an open menu."""
    entries = [a for a in menu.actions() if a.text().replace("&", "") == text]
    assert entries, f"no {text!r} in {[a.text() for a in menu.actions()]}"
    assert entries[0].isEnabled(), f"{text!r} is greyed out"
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(entries[0]).center())


def answer_next_file_dialog(path: str, timeout_s: float = 10, opened_in: list[str] | None = None) -> None:
    """When a file dialog opens, type ``path`` into its "File name" (or a folder
    dialog's "Directory") field and press Return (again while it stays open: the
    first Return may only take the field's completion). The folder the dialog
    showed first goes into ``opened_in``. A dialog still open at the deadline is
    cancelled, so a test fails instead of waiting forever in its own event loop."""
    deadline = time.monotonic() + timeout_s
    typed: list[QFileDialog] = []  # the dialog answered

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog) or (typed and dialog is not typed[0]):
            if not typed and time.monotonic() < deadline:
                QTimer.singleShot(50, poll)
            return  # answered (the next dialog is another answer's), or it never came
        QTimer.singleShot(100, poll)  # first: whatever happens below, look again
        if time.monotonic() > deadline:
            dialog.reject()
            return
        labels = dialog.findChildren(QLabel)
        names = ("File name:", "Directory:")
        field = next((lb.buddy() for lb in labels if lb.text().replace("&", "") in names), None)
        if not isinstance(field, QLineEdit):
            return
        if not typed:
            if not field.hasFocus():
                # Typed into before the dialog had the focus, the path was cut to its
                # last name and the dialog stayed open (seen in a full run): first
                # the field gets the focus, as a person's click gives it.
                field.setFocus()
                return
            if opened_in is not None:
                opened_in.append(dialog.directory().absolutePath())
            field.clear()
            QTest.keyClicks(field, path)
            typed.append(dialog)
        popup = field.completer().popup() if field.completer() is not None else None
        if popup is not None and popup.isVisible():
            # The name's completions, listed over the dialog: Escape closes them,
            # as a person would (each Return took a completion and listed it again).
            QTest.keyClick(popup, Qt.Key.Key_Escape)
        QTest.keyClick(field, Qt.Key.Key_Return)

    QTimer.singleShot(50, poll)


def context_menu_on_row(window: Any, row: int) -> QMenu:
    table = table_of(window)
    position = table.visualRect(table.model().index(row, Column.NAME)).center()
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=position)
    # What the platform sends on a right click (QTest's own clicks do not make one).
    QApplication.sendEvent(
        table.viewport(),
        QContextMenuEvent(QContextMenuEvent.Reason.Mouse, position, table.viewport().mapToGlobal(position)),
    )
    found: list[QMenu] = []

    def popped_up() -> bool:
        found.extend(w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible())
        return bool(found)

    wait_until(popped_up, 5, "the context menu")
    return found[0]


def activate(window: QWidget) -> None:
    window.activateWindow()
    wait_until(window.isActiveWindow, 5, "the window to be active")


# --- the installed command ----------------------------------------------------------


def cosdesk_command() -> str:
    installed = Path(sys.executable).with_name("cosdesk")
    found = str(installed) if installed.exists() else shutil.which("cosdesk")
    assert found, "cosdesk is not installed in this environment: pip install -e ."
    return found


def launch(*words: str) -> subprocess.Popen[str]:
    """The installed ``cosdesk`` with the test's own folders (inherited from the
    environment) and never the developer's keyring."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.Popen(
        [cosdesk_command(), *words],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout_s: float = 20) -> tuple[int, str, str]:
    """Wait for ``process`` while this process's window keeps answering."""
    wait_until(lambda: process.poll() is not None, timeout_s, f"{process.args} to exit")
    out, err = process.communicate()
    return process.returncode, out, err


def log_mentions(text: str, timeout_s: float = 20) -> None:
    log_file = Path(os.environ["COSDESK_LOG_DIR"]) / "cosdesk.log"
    wait_until(
        lambda: log_file.exists() and text in log_file.read_text(encoding="utf-8", errors="replace"),
        timeout_s,
        f"{text!r} in cosdesk.log",
    )


@pytest.fixture
def start_gui(qtbot: Any) -> Iterator[Callable[..., Any]]:
    """``cosdesk gui`` started the way the command starts it (one window per task
    database, listening for later launches), inside this test's process."""
    from cosdesk.ui.app import RunningWindow, start_window

    running: list[RunningWindow] = []

    def start(*words: str) -> Any:
        args = build_parser("gui").parse_args(["gui", *words])
        started = start_window(args)
        assert isinstance(started, RunningWindow), f"cosdesk gui exited with {started}"
        qtbot.addWidget(started.window, before_close_func=lambda _w: started.close())
        running.append(started)
        return started.window

    yield start
    for started in running:
        started.close()


# --- one window, however often cosdesk is launched (item 6) ------------------------


def test_cosdesk_gui_with_files_while_the_window_runs_hands_them_to_it_and_exits(
    sandbox: Any, credentials: Credentials, start_gui: Any, tmp_path: Path
) -> None:
    save_profile(sandbox, credentials)
    db = tmp_path / "tasks.sqlite3"
    window = start_gui("--db", str(db))
    window.showMinimized()  # the user has it out of the way
    first = make_file(tmp_path / "given" / "first.txt", 1000)
    second = make_file(tmp_path / "given" / "second.txt", 2000)

    started = time.monotonic()
    status, out, err = finish(launch("gui", "--db", str(db), str(first), str(second)))

    assert status == 0, err
    assert "already running" in out and "handed it 2 items to upload." in out
    assert time.monotonic() - started < 15
    # The running window took them, came back from minimised, and uploads them.
    assert window.isVisible() and not window.isMinimized()
    wait_until(lambda: sorted(shown_names(window)) == ["first.txt", "second.txt"], 10, "both rows")
    wait_until(lambda: on_server(sandbox, "second.txt") == second.read_bytes(), 20, "second.txt uploaded")
    assert on_server(sandbox, "first.txt") == first.read_bytes()
    # No second window opened on the database: the command left nothing behind.
    assert QApplication.topLevelWidgets().count(window) == 1


def test_cosdesk_with_files_and_no_command_hands_them_to_the_window(
    sandbox: Any, credentials: Credentials, start_gui: Any, tmp_path: Path
) -> None:
    """The window is the default command; files named after ``cosdesk`` alone were
    refused as an unknown command."""
    save_profile(sandbox, credentials)
    window = start_gui()  # on the data folder's database, as the launch below
    photo = make_file(tmp_path / "holiday photo.jpg", 1500)

    status, out, err = finish(launch(str(photo)))

    assert status == 0, err
    assert "handed it 1 item to upload." in out
    wait_until(lambda: shown_names(window) == ["holiday photo.jpg"], 10, "the handed-over row")
    wait_until(lambda: on_server(sandbox, "holiday photo.jpg") == photo.read_bytes(), 20, "the upload")
    # A mistyped command is still an error that names the commands.
    status, out, err = finish(launch("uplaod", str(photo)))
    assert status == 2
    assert "invalid choice: 'uplaod' (choose from 'gui', 'serve', 'upload', 'sync', 'tasks')" in err


def test_a_window_that_crashed_does_not_keep_the_next_one_from_taking_launches(
    sandbox: Any, credentials: Credentials, start_gui: Any, tmp_path: Path
) -> None:
    from cosdesk.ui.single_instance import server_name

    save_profile(sandbox, credentials)
    db = tmp_path / "tasks.sqlite3"
    crashed = launch("gui", "--db", str(db))
    try:
        log_mentions(f"later launches hand their files to it through {server_name(db)}")
    finally:
        crashed.send_signal(signal.SIGKILL)
        crashed.communicate()
    assert os.path.exists(server_name(db)), "a crash leaves the socket behind"

    window = start_gui("--db", str(db))
    late = make_file(tmp_path / "late.txt", 500)
    status, out, err = finish(launch("gui", "--db", str(db), str(late)))

    assert status == 0, err
    assert "handed it 1 item to upload." in out
    wait_until(lambda: shown_names(window) == ["late.txt"], 10, "the handed-over row")
    wait_until(lambda: on_server(sandbox, "late.txt") == late.read_bytes(), 20, "late.txt uploaded")


def test_cosdesk_gui_on_another_task_database_opens_a_window_of_its_own(
    sandbox: Any, credentials: Credentials, start_gui: Any, tmp_path: Path
) -> None:
    from cosdesk.ui.single_instance import server_name

    save_profile(sandbox, credentials)
    window = start_gui("--db", str(tmp_path / "first.sqlite3"))
    other_db = tmp_path / "second.sqlite3"
    other = launch("gui", "--db", str(other_db), str(make_file(tmp_path / "other.txt", 10)))
    try:
        # It does not exit: it is the window of the second database.
        log_mentions(f"later launches hand their files to it through {server_name(other_db)}")
        assert other.poll() is None
    finally:
        other.terminate()
        other.communicate()
        # Killed, it leaves its socket behind as a crash does (the next start replaces it).
        with contextlib.suppress(FileNotFoundError):
            os.unlink(server_name(other_db))
    assert shown_names(window) == []


def test_files_handed_to_a_window_without_a_bucket_are_asked_about_above_the_window(
    sandbox: Any, credentials: Credentials, start_gui: Any, tmp_path: Path
) -> None:
    save_profile(sandbox, credentials, bucket="")
    db = tmp_path / "tasks.sqlite3"
    window = start_gui("--db", str(db))

    status, _out, err = finish(launch("gui", "--db", str(db), str(make_file(tmp_path / "a.txt", 10))))

    assert status == 0, err
    wait_until(lambda: visible_message_boxes(window), 5, "a message")
    box = visible_message_boxes(window)[0]
    assert "Where should these go?" in (box.windowTitle(), box.text())
    # Parented to the window: the window manager keeps it above the window.
    assert box.isWindow() and box.windowModality() != Qt.WindowModality.ApplicationModal
    assert shown_names(window) == []
    click("OK", box)
    assert visible_message_boxes(window) == []


def test_a_window_saved_on_a_larger_screen_opens_wholly_on_this_one(open_window: Any) -> None:
    from cosdesk.ui.main_window import window_settings

    elsewhere = QWidget()
    elsewhere.setGeometry(QRect(2600, 1900, 2400, 1600))  # a big monitor to the lower right
    saved: QByteArray = elsewhere.saveGeometry()
    store = window_settings()
    store.setValue("window/geometry", saved)
    store.sync()

    window = open_window(start_sandbox=False).window

    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert screen.contains(window.frameGeometry()), (window.frameGeometry(), screen)
    assert window.width() > 0.8 * screen.width()
    status_bar = window.statusBar()
    assert screen.contains(QRect(status_bar.mapToGlobal(QPoint(0, 0)), status_bar.size()))


def test_the_first_window_on_a_small_screen_fits_on_it(open_window: Any) -> None:
    window = open_window(start_sandbox=False).window  # nothing saved: the default size

    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert screen.width() < 1100, "the default width must not fit this screen for this test"
    assert screen.contains(window.frameGeometry()), (window.frameGeometry(), screen)


def test_a_first_start_shows_what_each_upload_is_doing_beside_the_bucket_without_scrolling(
    qtbot: Any, tmp_path: Path
) -> None:
    from cosdesk.ui.main_window import DEFAULT_SIZE, MainWindow
    from cosdesk.ui.session import open_session

    window = MainWindow(open_session())
    qtbot.addWidget(window, before_close_func=lambda shown: shown.shutdown())
    # A 1280 x 800 laptop screen gives the window its first-start size (this test's
    # screen is smaller, and the window was fitted to it).
    window.resize(*DEFAULT_SIZE)
    window.show()
    driver = WindowDriver(qtbot, window)
    wait_until(lambda: window.destination() is not None, 20, "the local sandbox")
    slow_down(driver, 2 * MiB)
    driver.drop([make_file(tmp_path / "holiday video.mp4", 24 * MiB)])

    table = table_of(window)
    model = table.model()

    def cell(column: Column) -> str:
        return str(model.index(0, column).data(DISPLAY) or "")

    wait_until(lambda: cell(Column.SPEED) and cell(Column.ETA), 20, "the upload under way")
    # The bucket's pane is beside the table, and the row's state, progress, speed and
    # time left are on screen, their headers too: no sideways scrolling to find them.
    assert find(QWidget, "Remote files", window).isVisible()
    viewport = table.viewport().rect()
    header = table.horizontalHeader()
    for column in (Column.NAME, Column.STATE, Column.PROGRESS, Column.SPEED, Column.ETA):
        title = model.headerData(column, Qt.Orientation.Horizontal, DISPLAY)
        assert viewport.contains(table.visualRect(model.index(0, column))), title
        right_edge = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert header.sectionViewportPosition(column) >= 0 and right_edge <= viewport.width(), title
    assert table.horizontalScrollBar().value() == 0
    assert cell(Column.NAME) == "holiday video.mp4" and cell(Column.STATE) == "Uploading"
    assert cell(Column.PROGRESS).endswith("%") and "/s" in cell(Column.SPEED)


# --- a folder the desktop cannot open (item 13) ------------------------------------


def test_open_containing_folder_without_a_file_manager_names_the_folder_to_copy(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    # The offscreen platform, like a desktop without xdg-open, has nothing that
    # opens folders: Qt's openUrl returns False and shows nothing by itself.
    window = account_window.window
    folder = tmp_path / "reports"
    account_window.drop([make_file(folder / "q3.pdf", 100)])
    wait_until(lambda: [r[Column.STATE] for r in shown_rows(window)] == ["Done"], 20, "the upload")

    choose(context_menu_on_row(window, 0), "Open containing folder")

    wait_until(lambda: visible_message_boxes(window), 5, "a message")
    box = visible_message_boxes(window)[0]
    assert box.text() == "Cannot open the folder"
    assert "No file manager" in box.informativeText()
    assert box.informativeText().splitlines()[-1] == str(folder)
    assert box.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    find(QPushButton, "Copy path", box).click()
    assert QGuiApplication.clipboard().text() == str(folder)


# --- new rows in view, rows for the keyboard (item 14) -----------------------------


def test_adding_files_while_scrolled_up_brings_the_new_row_into_view(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    window = account_window.window
    many = tmp_path / "many"
    for number in range(80):
        make_file(many / f"file-{number:02}.txt", 10)
    account_window.drop([many])
    wait_until(lambda: len(shown_rows(window)) == 80, 20, "80 rows")
    table = table_of(window)
    table.setFocus()
    press_keys(table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert table.verticalScrollBar().value() == 0
    assert table.verticalScrollBar().maximum() > 0, "the table must be scrolled for this test"

    account_window.drop([make_file(tmp_path / "new" / "zz-newest.txt", 10)])

    def newest_on_screen() -> bool:
        names = shown_names(window)
        if "zz-newest.txt" not in names:
            return False
        index = table.model().index(names.index("zz-newest.txt"), Column.NAME)
        return table.viewport().rect().contains(table.visualRect(index))

    wait_until(newest_on_screen, 10, "the new row on screen")


def press_keys(widget: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    QTest.keyClick(widget, key, modifiers)
    QApplication.processEvents()


def test_ctrl_end_and_ctrl_home_select_the_last_and_first_rows_whole(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    window = account_window.window
    account_window.drop([make_file(tmp_path / "rows" / f"{name}.txt", 10) for name in ("a", "b", "c")])
    wait_until(lambda: len(shown_rows(window)) == 3, 20, "3 rows")
    table = table_of(window)
    activate(window)
    table.setFocus()
    QTest.mouseClick(
        table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=table.visualRect(table.model().index(1, Column.NAME)).center(),
    )

    press_keys(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)

    selected = table.selectionModel().selectedRows()
    assert [index.row() for index in selected] == [2]
    assert len(table.selectionModel().selectedIndexes()) == table.model().columnCount()
    assert table.currentIndex().row() == 2 and table.currentIndex().column() == Column.NAME
    assert table.horizontalScrollBar().value() == 0  # not carried off to the Message column

    press_keys(table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert [index.row() for index in table.selectionModel().selectedRows()] == [0]

    press_keys(table, Qt.Key.Key_End, Qt.KeyboardModifier.ShiftModifier)
    assert sorted(index.row() for index in table.selectionModel().selectedRows()) == [0, 1, 2]

    # Tab leaves the table for the next control instead of walking its cells.
    QTest.keyClick(table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table


# --- the menu bar (item 16) ---------------------------------------------------------


def test_the_menu_bar_offers_the_window_commands_with_standard_shortcuts(
    account_window: WindowDriver,
) -> None:
    window = account_window.window

    def entries(title: str) -> dict[str, str]:
        menu = open_menu(window, title)
        found = {
            a.text().replace("&", ""): a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            for a in menu.actions()
            if not a.isSeparator()
        }
        menu.hide()
        return found

    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Uploads", "Help"]
    file_menu = entries("File")
    # "…" where a dialog asks which, as with "Sync a folder…"; the toolbar says it plainly.
    assert file_menu["Add files…"] == "Ctrl+O"
    assert file_menu["Add folder…"] == "Ctrl+Shift+O"
    assert "Sync a folder…" in file_menu
    assert find(QToolButton, "Add files", window).text() == "Add files"
    assert find(QToolButton, "Add folder", window).text() == "Add folder"
    assert file_menu["Quit"] == "Ctrl+Q"
    edit = entries("Edit")
    assert edit["Select all"] == "Ctrl+A"
    assert edit["Copy key"] == "Ctrl+C"
    assert edit["Filter by key"] == "Ctrl+F"
    assert "Settings" in edit
    view = entries("View")
    assert view["All uploads"] == "Ctrl+1" and view["Done"] == "Ctrl+5"
    assert view["Failed / Canceled"] == "Ctrl+4"  # named as its tab is: it shows canceled uploads too
    assert "Show details" in view
    uploads = entries("Uploads")
    expected = {"Start all", "Pause all", "Retry failed", "Clear finished", "Open containing folder"}
    assert expected <= set(uploads)
    assert uploads["Cancel selected"] == "Del"
    help_menu = entries("Help")
    assert help_menu["Documentation"] == "F1"
    assert {"Open log folder", "About cosdesk"} <= set(help_menu)

    # The View menu's filters are the filter tabs: Ctrl+3 shows the Paused tab.
    activate(window)
    press_keys(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    tabs = find(QWidget, "Show uploads by state", window)
    assert tabs.tabText(tabs.currentIndex()).startswith("Paused")  # type: ignore[attr-defined]
    assert open_menu(window, "View").actions()[2].isChecked()


def test_add_files_from_the_file_menu_uploads_the_chosen_file(
    account_window: WindowDriver, sandbox: Any, tmp_path: Path
) -> None:
    window = account_window.window
    chosen = make_file(tmp_path / "pick" / "chosen.bin", 3000)

    answer_next_file_dialog(str(chosen))
    choose(open_menu(window, "File"), "Add files…")

    wait_until(lambda: shown_names(window) == ["chosen.bin"], 10, "the chosen file's row")
    wait_until(lambda: on_server(sandbox, "chosen.bin") == chosen.read_bytes(), 20, "chosen.bin uploaded")


def test_the_add_dialogs_open_at_home_then_where_the_last_files_were_chosen(
    account_window: WindowDriver, open_window: Any, sandbox: Any, tmp_path: Path
) -> None:
    """They opened in the directory cosdesk was started from (Qt's default)."""
    window = account_window.window
    chosen = make_file(tmp_path / "holiday" / "beach.jpg", 3000)
    make_file(tmp_path / "holiday" / "more" / "sunset.jpg", 2000)
    opened_in: list[str] = []

    answer_next_file_dialog(str(chosen), opened_in=opened_in)
    choose(open_menu(window, "File"), "Add files…")
    wait_until(lambda: shown_names(window) == ["beach.jpg"], 10, "the chosen file's row")
    assert opened_in == [str(Path.home())]

    answer_next_file_dialog(str(tmp_path / "holiday" / "more"), opened_in=opened_in)
    click("Add folder", window)  # the toolbar's
    wait_until(lambda: sorted(shown_names(window)) == ["beach.jpg", "sunset.jpg"], 10, "the folder's row")
    assert opened_in[1] == str(tmp_path / "holiday")  # where beach.jpg was chosen

    # Remembered over a restart: the folder beside the one chosen last.
    window.close()
    again = open_window().window
    answer_next_file_dialog(str(chosen), opened_in=opened_in)
    click("Add files", again)
    wait_until(lambda: len(opened_in) == 3, 10, "the dialog")
    assert opened_in[2] == str(tmp_path / "holiday")


def uploading_at_1_mib_a_second(driver: WindowDriver, file: Path) -> None:
    """Drop ``file`` with uploads held to 1 MiB/s; return once its row says
    Uploading and the window is the active one (ready for keys)."""
    slow_down(driver, 1 * MiB)
    driver.drop([file])
    rows_say = lambda: [r[Column.STATE] for r in shown_rows(driver.window)]  # noqa: E731
    wait_until(lambda: rows_say() == ["Uploading"], 15, "uploading")
    activate(driver.window)


def test_ctrl_q_with_an_upload_running_asks_first_and_pause_and_quit_keeps_it_for_next_time(
    account_window: WindowDriver, open_window: Any, sandbox: Any, tmp_path: Path
) -> None:
    window = account_window.window
    big = make_file(tmp_path / "long.bin", 4 * MiB)
    uploading_at_1_mib_a_second(account_window, big)
    asked: list[str] = []

    answer_next_message_box("Pause and quit", asked)
    press_keys(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)

    assert asked and "Uploads are still running" in asked[0]
    wait_until(lambda: not window.isVisible(), 5, "the window to close")
    assert on_server(sandbox, "long.bin") is None
    # The next start continues it (the account resumes on start) to the end.
    again = open_window().window
    wait_until(lambda: [r[Column.STATE] for r in shown_rows(again)] == ["Done"], 30, "the resumed upload")
    assert on_server(sandbox, "long.bin") == big.read_bytes()


def seconds_to_quit(window: QWidget) -> float:
    """Press Ctrl+Q; how long until the window went."""
    asked_at = time.monotonic()
    press_keys(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    wait_until(lambda: not window.isVisible(), 10, "the window to close")
    return time.monotonic() - asked_at


def test_ctrl_q_when_the_network_went_silent_mid_upload_closes_at_once_and_keeps_the_upload(
    sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    """A file is sent, and its answer never comes: the network stopped carrying
    anything, and nothing says so. "Pause and quit" waited for the request's
    timeout before the window went; now it goes within seconds, and the next
    start finishes the file."""
    with TcpProxy(sandbox.port) as proxy:
        save_profile(sandbox, credentials, endpoint=proxy.endpoint)
        # Replace what is there (the person chose it once): no look in the bucket first.
        config.save_settings(dataclasses.replace(config.load_settings(), if_exists="overwrite"))
        driver = open_window()
        window = driver.window
        proxy.faults.silent = True
        notes = make_file(tmp_path / "notes.txt", 64 * 1024)
        driver.drop([notes])
        wait_until(lambda: [r[Column.STATE] for r in shown_rows(window)] == ["Uploading"], 10, "uploading")
        activate(window)
        asked: list[str] = []

        answer_next_message_box("Pause and quit", asked)
        took_s = seconds_to_quit(window)

        assert asked and "Uploads are still running" in asked[0]
        assert took_s < 8, f"quitting took {took_s:.1f} s"
        proxy.faults.silent = False
        again = open_window().window
        wait_until(lambda: [r[Column.STATE] for r in shown_rows(again)] == ["Done"], 30, "the resumed upload")
    assert on_server(sandbox, "notes.txt") == notes.read_bytes()


def test_ctrl_q_while_a_look_in_the_bucket_waits_on_a_silent_network_closes_at_once(
    sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    """A drop first looks for the files already in the bucket. With the network
    silent, that look waited; quitting then hid the window, and its process lived
    on for minutes, taking the files of every later launch."""
    with TcpProxy(sandbox.port) as proxy:
        save_profile(sandbox, credentials, endpoint=proxy.endpoint)
        driver = open_window()
        window = driver.window
        proxy.faults.silent = True
        driver.drop([make_file(tmp_path / "notes.txt", 1024)])
        wait_until(
            lambda: window.statusBar().currentMessage().startswith("Looking for files already in"),
            10,
            "the look in the bucket",
        )
        activate(window)
        took_s = seconds_to_quit(window)
        proxy.faults.silent = False
    assert took_s < 8, f"quitting took {took_s:.1f} s"
    # What the window said while it waited, painted before the wait began.
    assert window.statusBar().currentMessage() == "Quitting…"
    assert visible_message_boxes(window) == []


def test_uploads_that_end_while_ctrl_q_asks_close_the_question_and_the_window(
    account_window: WindowDriver, sandbox: Any, tmp_path: Path
) -> None:
    """The person presses Ctrl+Q while a file uploads and leaves the question up:
    when the upload ends there is nothing left to decide, and "Uploads are still
    running" would no longer be true. The question goes and the window closes,
    the file whole on the server."""
    window = account_window.window
    photo = make_file(tmp_path / "photo.raw", 2 * MiB)
    uploading_at_1_mib_a_second(account_window, photo)
    asked: list[str] = []
    asked_at: list[float] = []
    gave_up_at = time.monotonic() + 40

    def note_the_question() -> None:
        """Read the question, never answer it; stop looking once it went. After
        30 s it is answered "Don't quit", so the test fails rather than hangs."""
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            if not asked:
                asked.append(box.text())
                asked_at.append(time.monotonic())
            elif time.monotonic() - asked_at[0] > 30:
                next(b for b in box.buttons() if b.text() == "Don't quit").click()
                return
        elif asked or time.monotonic() > gave_up_at:
            return
        QTimer.singleShot(30, note_the_question)

    QTimer.singleShot(30, note_the_question)
    press_keys(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)  # returns once the question went

    assert asked == ["Uploads are still running. What should happen to them?"]
    assert time.monotonic() - asked_at[0] < 30, "the question stayed up after the upload ended"
    wait_until(lambda: not window.isVisible(), 5, "the window to close")
    assert on_server(sandbox, "photo.raw") == photo.read_bytes()
    assert visible_message_boxes(window) == []


def test_ctrl_q_with_nothing_running_closes_the_window_without_a_question(open_window: Any) -> None:
    window = open_window(start_sandbox=False).window
    activate(window)

    press_keys(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)

    wait_until(lambda: not window.isVisible(), 5, "the window to close")
    assert visible_message_boxes(window) == []


def test_help_menu_about_names_the_version_and_the_log_folder_is_given_to_copy(open_window: Any) -> None:
    from cosdesk import __version__

    window = open_window(start_sandbox=False).window
    seen: list[str] = []
    answer_next_message_box("OK", seen)
    choose(open_menu(window, "Help"), "About cosdesk")
    wait_until(lambda: bool(seen), 5, "the About box")
    assert f"cosdesk {__version__}" in seen[0]
    assert str(Path(os.environ["COSDESK_LOG_DIR"]) / "cosdesk.log") in seen[0]

    choose(open_menu(window, "Help"), "Open log folder")
    wait_until(lambda: visible_message_boxes(window), 5, "a message")
    box = visible_message_boxes(window)[0]
    assert box.text() == "Cannot open the folder"
    assert box.informativeText().splitlines()[-1] == os.environ["COSDESK_LOG_DIR"]


# --- the keyboard and screen readers (item 18) -------------------------------------


def accessible_name(widget: QWidget) -> str:
    """What a screen reader calls ``widget``: the name given to it, else what Qt
    derives (a button's text; on Linux a combo box's current text, its label
    coming as a relation)."""
    if widget.accessibleName():
        return widget.accessibleName()
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name) if interface is not None else ""


def test_tab_walks_every_control_in_reading_order_and_each_has_a_name(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    window = account_window.window
    account_window.drop([make_file(tmp_path / "one.txt", 10)])
    wait_until(lambda: len(shown_rows(window)) == 1, 20, "a row")
    activate(window)
    first = find(QWidget, "Add files", window)
    first.setFocus(Qt.FocusReason.TabFocusReason)

    walked: list[QWidget] = [first]
    for _ in range(40):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        assert focused is not None
        if focused is first:
            break
        walked.append(focused)
    else:
        pytest.fail(f"Tab never came back to the start: {[accessible_name(w) for w in walked]}")

    names = [accessible_name(widget) for widget in walked]
    assert all(names), list(zip([type(w).__name__ for w in walked], names, strict=True))
    for expected in ("Add files", "Account to upload to", "Bucket", "Prefix in the bucket", "Uploads"):
        assert expected in names, names
    # The uploads table ends the queue's side; the remote pane on its right follows.
    queue_side = names.index("Uploads") + 1
    assert names[queue_side:] == ["New folder", "Refresh", "Filter remote files by name", "Remote files"]

    # Reading order: each control is right of the one before on the same line, or
    # below it, on each side of the window.
    def place(widget: QWidget) -> QRect:
        return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())

    assert place(walked[queue_side]).left() >= place(walked[queue_side - 1]).right()
    for before, after in [
        *itertools.pairwise(walked[:queue_side]),
        *itertools.pairwise(walked[queue_side:]),
    ]:
        a, b = place(before), place(after)
        same_line = abs(a.center().y() - b.center().y()) < max(a.height(), b.height()) / 2
        assert (same_line and b.left() >= a.right()) or b.top() >= a.bottom() - 2, (
            f"{accessible_name(before)!r} at {a} is followed by {accessible_name(after)!r} at {b}"
        )

    # The status bar's figures have names too (a screen reader reads them out).
    for label in ("Files uploaded", "Bytes uploaded", "Overall progress"):
        assert find(QWidget, label, window) is not None
    assert table_of(window).selectionBehavior() == QAbstractItemView.SelectionBehavior.SelectRows
