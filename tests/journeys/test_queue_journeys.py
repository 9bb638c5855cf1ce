"""Journeys through the upload list: what the status bar, the overall bar, the
time left, the rows and the filter tabs say while files are added, uploaded,
paused, resumed and canceled, checked against what is true at that moment (the
files queued, the bytes on the server)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QCoreApplication, QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QToolButton,
    QWidget,
)
from support.journey import (
    click,
    find,
    painted_as_now,
    tab,
    tab_count,
    type_into,
    visible_widgets,
    wait_until,
)
from support.task_rows import make_row
from support.window_driver import (
    TEST_BUCKET,
    TEST_REGION,
    MiB,
    WindowDriver,
    make_file,
    save_profile,
    slow_down,
)

from cosdesk import config
from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.cos.errors import CosError
from cosdesk.engine import task as task_module
from cosdesk.engine.options import UploadMethodChoice
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import TaskState
from cosdesk.ui import duplicate_intake, sandbox_runner, task_feed

W = TypeVar("W", bound=QWidget)

# Columns as the table's header names them.
NAME, KEY, SIZE, STATE, PROGRESS, SPEED, ETA, MESSAGE = range(8)


@pytest.fixture
def server(sandbox: Any, credentials: Credentials) -> Iterator[CosClient]:
    """A client of our own on the local server: what is really stored there."""
    client = CosClient(credentials, Endpoint.custom(sandbox.endpoint, path_style=True, region=TEST_REGION))
    try:
        yield client
    finally:
        client.close()


# --- what a person sees ---------------------------------------------------------------


def uploads_table() -> QTableView:
    return find(QTableView, "Uploads")


def _counted(source: str) -> re.Pattern[str]:
    # "3 file(s)" as the sources write counts, or "3 files" / "1 file" as the
    # English catalog does.
    return re.compile(re.escape(source).replace(r"\(s\)", r"(?:s|\(s\))?"))


def reads(text: str, source: str) -> bool:
    """Whether ``text`` on screen is the message ``source`` (counts either way)."""
    return _counted(source).fullmatch(text) is not None


def mentions(text: str, source: str) -> bool:
    return _counted(source).search(text) is not None


def row_index(table: QTableView, key: str) -> QModelIndex:
    model = table.model()
    for row in range(model.rowCount()):
        if model.index(row, KEY).data() == key:
            return model.index(row, NAME)
    raise AssertionError(f"no row shows the key {key!r}")


def row_texts(table: QTableView, key: str) -> list[str]:
    """The row of ``key`` as displayed, column by column."""
    index = row_index(table, key)
    return [str(index.siblingAtColumn(column).data() or "") for column in range(table.model().columnCount())]


def percent_shown(table: QTableView, key: str) -> int:
    return int(row_texts(table, key)[PROGRESS].rstrip("%"))


def click_row(table: QTableView, key: str) -> None:
    """Click the row of ``key`` (which, under a window manager, also makes its
    window the active one: done here by hand, offscreen)."""
    table.window().activateWindow()
    wait_until(lambda: QApplication.activeWindow() is table.window(), what="the window to be active")
    rect = table.visualRect(row_index(table, key))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    table.setFocus()


def context_menu(table: QTableView, key: str) -> QMenu:
    """Right-click the row of ``key``: the menu that opens."""
    position = table.visualRect(row_index(table, key)).center()
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, position, table.viewport().mapToGlobal(position)
    )
    QApplication.sendEvent(table.viewport(), event)

    def open_menus() -> list[QMenu]:
        shown = QApplication.topLevelWidgets()
        return [menu for menu in shown if isinstance(menu, QMenu) and menu.isVisible()]

    wait_until(open_menus, what="the context menu")
    return open_menus()[0]


def menu_entry(menu: QMenu, text: str) -> Any:
    for action in menu.actions():
        if action.text() == text:
            return action
    raise AssertionError(f"no entry {text!r} in {[a.text() for a in menu.actions()]}")


def choose(menu: QMenu, text: str) -> None:
    action = menu_entry(menu, text)
    assert action.isEnabled(), f"{text!r} is greyed out"
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def click_tab(label: str) -> None:
    tabs, number = tab(label)
    QTest.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(number).center())


def status_label(name: str) -> QLabel:
    return find(QLabel, name)


def status_widget(kind: type[W], name: str) -> W:
    """A status bar figure of the open window by its accessible name, shown or hidden."""
    for window in QApplication.topLevelWidgets():
        if not window.isVisible():
            continue  # a window of an earlier test, closed
        for widget in window.findChildren(kind):
            if widget.accessibleName() == name:
                return widget
    raise AssertionError(f"no {kind.__name__} named {name!r}")


def seconds_left() -> float | None:
    """The status bar's time left, in seconds (None when it is not shown)."""
    label = status_widget(QLabel, "Time left")
    if not label.isVisible() or not label.text():
        return None
    match = re.fullmatch(r"(?:(\d+):)?(\d+):(\d\d) left", label.text())
    assert match, label.text()
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def mib(text: str) -> float:
    """``3.5 MiB`` (or KiB, B) in MiB."""
    number, unit = text.split()
    return float(number) * {"B": 1 / MiB, "KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0}[unit]


class StatusMessages:
    """Every message the status bar showed, in order, each with what ``truth()``
    said at that moment (for instance, what the server holds)."""

    def __init__(self, driver: WindowDriver, truth: Callable[[], object] = lambda: None) -> None:
        self.seen: list[tuple[str, object]] = []
        self._driver = driver
        self._truth = truth
        driver.window.statusBar().messageChanged.connect(self._record)

    def _record(self, text: str) -> None:
        if text:
            self.seen.append((text, self._truth()))

    def texts(self) -> list[str]:
        return [text for text, _ in self.seen]

    def current(self) -> str:
        return self._driver.window.statusBar().currentMessage()


def drop(driver: WindowDriver, *paths: Path) -> None:
    driver.drop(list(paths))


# --- item 7: the status bar says what is happening now --------------------------------


def test_adding_files_says_so_while_it_happens_then_what_was_added_then_how_the_batch_ended(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    driver = account_window
    messages = StatusMessages(driver)
    slow_down(driver, 4 * MiB)
    files = [make_file(tmp_path / "photos" / f"{n}.jpg", 2 * MiB) for n in range(3)]

    drop(driver, tmp_path / "photos")
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 3, what="three rows")
    wait_until(lambda: any(mentions(text, "Added 3 file(s)") for text in messages.texts()), what="'Added'")
    added_at = next(n for n, text in enumerate(messages.texts()) if mentions(text, "Added 3 file(s)"))
    assert all("Adding" in text or "Looking" in text for text in messages.texts()[:added_at])
    # The bucket is looked at first; then, while the rows arrive, the files are being added.
    assert messages.texts()[0].startswith("Looking for files already in")
    assert messages.texts()[added_at - 1].startswith("Adding files to")
    assert TEST_BUCKET in messages.texts()[added_at]

    # While the files upload, nobody claims they are still being added.
    wait_until(lambda: any(row_texts(table, key)[STATE] == "Uploading" for key in ("photos/0.jpg",)))
    assert "Adding" not in messages.current() and "Looking" not in messages.current()

    wait_until(lambda: "Uploads finished" in messages.current(), timeout_s=15, what="the finished notice")
    assert reads(messages.current(), "Uploads finished: 3 file(s) uploaded.")
    # True: the three rows are done (the table catches up within a moment).
    wait_until(lambda: all(row_texts(table, f"photos/{f.name}")[STATE] == "Done" for f in files), timeout_s=2)
    assert not any("Adding" in text for text in messages.texts()[added_at:])


def test_a_failure_the_window_retries_by_itself_is_not_told_once_the_retry_runs(
    account_window: WindowDriver, sandbox: Any, tmp_path: Path
) -> None:
    # The end of a batch says that a lost network's failures will be retried. Once
    # the retry runs, that line beside a row uploading again is no longer true.
    driver = account_window
    messages = StatusMessages(driver)
    sandbox.faults.update(reset_after_bytes=1000)  # every body is cut short: a network failure
    make_file(tmp_path / "clip.mov", 300_000)
    drop(driver, tmp_path / "clip.mov")
    table = uploads_table()
    wait_until(lambda: "retried automatically" in messages.current(), timeout_s=30, what="the batch's end")
    assert messages.current() == (
        "Uploads finished with errors: 1 failed, 0 uploaded. It will be retried automatically. clip.mov: "
        "The connection to the server failed, or the server stopped answering. Check the network. "
        "Open the Failed tab for details."
    )
    # The table catches up within a moment: the row waits for its retry.
    wait_until(lambda: row_texts(table, "clip.mov")[STATE] == "Failed", timeout_s=2, what="the failed row")
    assert row_texts(table, "clip.mov")[MESSAGE].startswith("Waiting for the network — retrying in 0:0")
    # The network comes back, slowly: the automatic retry takes about 3 s.
    sandbox.faults.update(reset_after_bytes=None, bandwidth_bytes_per_s=100_000)
    wait_until(lambda: row_texts(table, "clip.mov")[STATE] == "Uploading", timeout_s=15, what="the retry")
    wait_until(lambda: "retried" not in messages.current(), timeout_s=1, what="the end's line to go")
    assert "failed" not in messages.current()
    wait_until(lambda: "Uploads finished" in messages.current(), timeout_s=15, what="the retry's end")
    assert reads(messages.current(), "Uploads finished: 1 file(s) uploaded.")
    wait_until(lambda: row_texts(table, "clip.mov")[STATE] == "Done", timeout_s=2, what="the row to end")


def test_a_batch_that_ends_with_failures_says_which_file_failed_and_why(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    # A folder so deep that a file's key passes COS's 850 bytes: the file fails
    # before anything is sent. The end of the batch names it, with the words
    # its row's Message column says, not only a count to go and look into.
    driver = account_window
    messages = StatusMessages(driver)
    deep = ("a" * 200, "b" * 200, "c" * 200, "d" * 200, "e" * 200)
    make_file(tmp_path / "one" / "fine.txt", 100)
    make_file(tmp_path.joinpath("one", *deep, "clip.txt"), 10)
    drop(driver, tmp_path / "one")
    table = uploads_table()
    wait_until(lambda: "Uploads finished" in messages.current(), timeout_s=15, what="the end of the batch")
    clip = f"one/{'/'.join(deep)}/clip.txt"
    # The table catches up with the queue within a moment.
    wait_until(lambda: row_texts(table, clip)[STATE] == "Failed", timeout_s=2, what="the row to fail")
    why = row_texts(table, clip)[MESSAGE]
    assert why == "The object key is not valid for COS."
    assert messages.current() == (
        "Uploads finished with errors: 1 failed, 1 uploaded. "
        f"clip.txt: {why} Open the Failed tab for details."
    )

    # Of several, the first to fail (they run at once: either may be): this
    # batch's own, not the last batch's clip.txt.
    make_file(tmp_path.joinpath("two", *deep, "left.txt"), 10)
    make_file(tmp_path.joinpath("two", *deep, "right.txt"), 10)
    drop(driver, tmp_path / "two")
    wait_until(lambda: "2 failed, 0 uploaded" in messages.current(), timeout_s=15, what="the second end")
    assert messages.current() in {
        "Uploads finished with errors: 2 failed, 0 uploaded. "
        f"The first, {name}: {why} Open the Failed tab for details."
        for name in ("left.txt", "right.txt")
    }

    # Retry failed: they fail again for the same reason, said the same way (the
    # request's own key check once said "The request is not valid…" here).
    click("Retry failed", driver.window)
    wait_until(lambda: "3 failed, 0 uploaded" in messages.current(), timeout_s=15, what="the retry's end")
    assert messages.current() in {
        "Uploads finished with errors: 3 failed, 0 uploaded. "
        f"The first, {name}: {why} Open the Failed tab for details."
        for name in ("clip.txt", "left.txt", "right.txt")
    }
    for key in (clip, *(f"two/{'/'.join(deep)}/{name}" for name in ("left.txt", "right.txt"))):
        wait_until(lambda key=key: row_texts(table, key)[STATE] == "Failed", timeout_s=2, what="a failed row")
        assert row_texts(table, key)[MESSAGE] == why


def test_while_a_dropped_folder_is_being_added_its_rows_wait_then_they_upload(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    # Adding and sending small files share one interpreter: cosdesk adds the
    # whole drop first (ARCHITECTURE.md, "A task's life"). While the status bar
    # says it is adding, the rows that have arrived all wait.
    count = 10_000
    (tmp_path / "many").mkdir()
    for n in range(count):
        (tmp_path / "many" / f"{n:05}.txt").write_bytes(b"x")
    messages = StatusMessages(account_window)
    # Found before the drop (the empty window shows a note in its place).
    (table,) = [
        view for view in account_window.window.findChildren(QTableView) if view.accessibleName() == "Uploads"
    ]
    model = table.model()
    states_while_adding: set[object] = set()
    rows_while_adding: list[int] = []

    def look() -> None:
        if messages.current().startswith("Adding files to") and model.rowCount():
            rows_while_adding.append(model.rowCount())
            states_while_adding.update(model.index(row, STATE).data() for row in range(model.rowCount()))

    watch = QTimer()
    watch.timeout.connect(look)
    watch.start(2)
    drop(account_window, tmp_path / "many")
    wait_until(
        lambda: any(mentions(text, f"Added {count} file(s)") for text in messages.texts()), what="'Added'"
    )
    watch.stop()
    assert rows_while_adding, "no row was seen while the files were being added"
    assert states_while_adding == {"Waiting"}
    wait_until(lambda: (tab_count("Done") or 0) > 0, timeout_s=30, what="uploads to begin")


def test_the_status_bar_counts_a_batch_only_once_there_is_one(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    # "0 / 0 files  0 B / 0 B" and an empty bar stood beside the finished rows of
    # the last session, as if they counted nothing.
    window = account_window.window

    def shown() -> list[str]:
        bar = window.statusBar()
        return [label.text() for label in bar.findChildren(QLabel) if label.isVisible() and label.text()]

    assert not any("files" in text or " B / " in text for text in shown())
    assert not any(bar.isVisible() for bar in window.statusBar().findChildren(QProgressBar))
    drop(account_window, make_file(tmp_path / "note.txt", 1000))
    wait_until(lambda: "1 / 1 files" in shown(), timeout_s=10, what="the batch's count")
    assert "1000 B / 1000 B" in shown()
    assert any(bar.isVisible() for bar in window.statusBar().findChildren(QProgressBar))


def test_small_files_sent_before_the_added_line_shows_leave_the_finished_notice_on_screen(
    account_window: WindowDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a loaded machine a drop of small files can be uploaded whole before the
    # line saying they were added reaches the window. That line then replaced the
    # notice of how they ended. Here the adding thread is held until the window
    # has told the end, as such a machine orders it.
    driver = account_window
    messages = StatusMessages(driver)
    end_told = threading.Event()
    driver.window.queue.idle.connect(end_told.set)  # after the window's own slot
    outcome = duplicate_intake._Queued

    def told_late(*args: Any) -> object:
        end_told.wait(10)  # on the adding thread, the files queued and free to go
        return outcome(*args)

    monkeypatch.setattr(duplicate_intake, "_Queued", told_late)
    drop(driver, make_file(tmp_path / "a.txt", 100), make_file(tmp_path / "b.txt", 200))
    wait_until(lambda: "Uploads finished" in messages.current(), timeout_s=10, what="the finished notice")
    wait_until(driver.window.intake.is_idle, timeout_s=5, what="the drop's intake to end")
    QTest.qWait(100)
    assert reads(messages.current(), "Uploads finished: 2 file(s) uploaded.")
    assert not any("Added" in text for text in messages.texts())


def test_a_link_back_up_a_dropped_folder_is_said_left_alone_not_that_something_could_not_be_added(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    # A folder holding docs/up -> .. was uploaded whole, yet a warning box said
    # "1 item could not be added": nothing of the drop is missing behind such a
    # link, the walk leaves it alone on purpose (the sync's preview says so too).
    driver = account_window
    messages = StatusMessages(driver)
    slow_down(driver, 1 * MiB)
    site = tmp_path / "site"
    make_file(site / "index.html", 300 * 1024)
    make_file(site / "docs" / "guide.html", 300 * 1024)
    (site / "docs" / "up").symlink_to("..")
    # As the window's language says it (the journeys run with or without the English catalog).
    link_sentence = QCoreApplication.translate(
        "WalkFindings", "%n link(s) to folders left alone (first: %1).", None, 1
    ).replace("%1", f"{site / 'docs' / 'up'}: a link back to a folder already included; not followed")

    drop(driver, site)
    wait_until(lambda: any(mentions(text, "Added 2 file(s)") for text in messages.texts()), what="'Added'")
    added = next(text for text in messages.texts() if mentions(text, "Added 2 file(s)"))
    assert TEST_BUCKET in added and added.endswith(". " + link_sentence), added
    wait_until(lambda: "Uploads finished" in messages.current(), timeout_s=15, what="the finished notice")
    assert reads(messages.current(), "Uploads finished: 2 file(s) uploaded. " + link_sentence)
    table = uploads_table()
    assert sorted(table.model().index(row, KEY).data() for row in range(table.model().rowCount())) == [
        "site/docs/guide.html",
        "site/index.html",
    ]
    # A folder holding nothing but such a link: nothing to add, and why.
    (tmp_path / "only-link").mkdir()
    (tmp_path / "only-link" / "up").symlink_to("..")
    drop(driver, tmp_path / "only-link")
    wait_until(lambda: messages.current().startswith("Nothing to add."), what="'Nothing to add.'")
    assert "1 link" in messages.current() and str(tmp_path / "only-link" / "up") in messages.current()
    QTest.qWait(600)  # longer than the window gathers problems before it shows them
    boxes = [box for box in QApplication.topLevelWidgets() if isinstance(box, QMessageBox)]
    assert not [box.text() for box in boxes if box.isVisible()]
    assert not any("could not be added" in text for text in messages.texts())


def test_clicking_the_name_header_sorts_names_as_a_file_manager_does(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    # photo10 after photo2, and Photo3 among the others whatever its case: the
    # order of the person's file manager, not of the bytes.
    for name in ("photo10.jpg", "photo2.jpg", "Photo3.jpg", "photo1.jpg"):
        make_file(tmp_path / "trip" / name, 100)
    drop(account_window, tmp_path / "trip")
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 4, what="four rows")
    header = table.horizontalHeader()
    name_section = next(
        section
        for section in range(header.count())
        if table.model().headerData(section, Qt.Orientation.Horizontal) == "Name"
    )

    def click_name() -> None:
        middle = QPoint(header.sectionViewportPosition(name_section) + 10, header.height() // 2)
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=middle)

    def names() -> list[str]:
        return [table.model().index(row, name_section).data() for row in range(4)]

    natural = ["photo1.jpg", "photo2.jpg", "Photo3.jpg", "photo10.jpg"]
    for _ in range(2):  # one order, then the other
        click_name()
        ascending = header.sortIndicatorOrder() is Qt.SortOrder.AscendingOrder
        wanted = natural if ascending else natural[::-1]
        wait_until(lambda wanted=wanted: names() == wanted, what=f"names in order {wanted}")


def test_a_dropped_folder_is_listed_and_uploaded_in_the_order_a_file_manager_shows_it(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    # Unsorted, the table shows the queue's order: the drop's, which is the
    # person's file manager's (file2 before file10, folders too), not the bytes'.
    for name in ("file10.txt", "file2.txt", "File3.txt", "file1.txt", "disc10/a.txt", "disc2/a.txt"):
        make_file(tmp_path / "set" / name, 100)
    drop(account_window, tmp_path / "set")
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 6, what="six rows")
    assert table.horizontalHeader().sortIndicatorSection() == -1  # nobody sorted
    keys = [table.model().index(row, KEY).data() for row in range(6)]
    assert keys == [
        "set/file1.txt",
        "set/file2.txt",
        "set/File3.txt",
        "set/file10.txt",
        "set/disc2/a.txt",
        "set/disc10/a.txt",
    ]
    wait_until(lambda: tab_count("Done") == 6, what="six uploads done")


def test_each_drop_on_the_window_is_one_batch_that_cosdesk_tasks_lists_by_its_number(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    driver = account_window
    make_file(tmp_path / "trip" / "a.jpg", 300)
    make_file(tmp_path / "trip" / "b.jpg", 200)
    drop(driver, tmp_path / "trip")
    driver.wait_states(lambda rows: len(rows) == 2 and all(row.state is TaskState.SUCCESS for row in rows))
    drop(driver, make_file(tmp_path / "note.txt", 100))
    driver.wait_states(lambda rows: len(rows) == 3 and all(row.state is TaskState.SUCCESS for row in rows))
    assert driver.window.session.store.flush()

    command = [str(Path(sys.executable).with_name("cosdesk")), "tasks", "list"]
    listing = subprocess.run(
        [*command, "--db", str(config.data_dir() / "tasks.sqlite3")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    batch_of = {line.split()[-1]: line.split()[1] for line in listing.stdout.splitlines()[1:-1]}
    assert batch_of == {
        f"cos://{TEST_BUCKET}/trip/a.jpg": "1",
        f"cos://{TEST_BUCKET}/trip/b.jpg": "1",
        f"cos://{TEST_BUCKET}/note.txt": "2",
    }
    assert listing.stdout.splitlines()[-1].startswith("3 tasks in 2 batches: 3 Done; ")


def test_files_uploaded_from_the_command_line_show_in_the_window_in_the_order_they_were_added(
    sandbox: Any, credentials: Credentials, open_window: Callable[..., WindowDriver], tmp_path: Path
) -> None:
    # Two `cosdesk upload` runs into the window's task database, then the window.
    save_profile(sandbox, credentials)
    first = [make_file(tmp_path / "first" / f"{name}.txt", 100) for name in ("a", "b", "c")]
    later = make_file(tmp_path / "later" / "report.txt", 100)
    command = [str(Path(sys.executable).with_name("cosdesk")), "upload"]
    env = {"COS_SECRET_ID": credentials.secret_id, "COS_SECRET_KEY": credentials.secret_key}
    for sources, prefix in ((first, "first/"), ([later], "later/")):
        uploaded = subprocess.run(
            [*command, *map(str, sources), f"cos://{TEST_BUCKET}/{prefix}", "--endpoint", sandbox.endpoint],
            env={**os.environ, **env, "COSDESK_DB": str(config.data_dir() / "tasks.sqlite3")},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert uploaded.returncode == 0, uploaded.stderr

    open_window()
    table = uploads_table()
    names = lambda: [str(table.model().index(row, NAME).data()) for row in range(table.model().rowCount())]  # noqa: E731
    wait_until(lambda: len(names()) == 4, timeout_s=15, what="the four rows")
    # Each run counted the places in the queue from 0: report.txt took a.txt's and
    # showed second, among the first run's files.
    assert names() == ["a.txt", "b.txt", "c.txt", "report.txt"]


# --- item 8: the overall bar and the time left describe the current batch -------------


def test_the_overall_bar_and_time_left_cover_only_the_new_batch_and_leave_out_paused_files(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    driver = account_window
    drop(driver, make_file(tmp_path / "earlier.bin", 12 * MiB))
    table = uploads_table()
    wait_until(lambda: row_texts(table, "earlier.bin")[STATE] == "Done", timeout_s=15)
    wait_until(lambda: status_label("Files uploaded").text() == "1 / 1 files")
    bar = find(QProgressBar, "Overall progress")  # shown once there is a batch

    # A new batch, long after the first: the finished file is not part of it.
    rate = 2 * MiB
    slow_down(driver, rate)
    drop(driver, make_file(tmp_path / "new.bin", 8 * MiB), make_file(tmp_path / "later.bin", 8 * MiB))
    wait_until(lambda: table.model().rowCount() == 3)
    wait_until(lambda: percent_shown(table, "new.bin") >= 5, timeout_s=10)
    click_row(table, "later.bin")
    QTest.keyClick(table, Qt.Key.Key_Space)  # pause it: it is no longer work left
    wait_until(lambda: row_texts(table, "later.bin")[STATE] == "Paused")
    wait_until(lambda: seconds_left() is not None, timeout_s=5, what="the time left")

    for _ in range(3):
        QTest.qWait(300)
        new, later = row_texts(table, "new.bin"), row_texts(table, "later.bin")
        sent = (
            mib(new[SIZE]) * percent_shown(table, "new.bin") / 100
            + mib(later[SIZE]) * percent_shown(table, "later.bin") / 100
        )
        loaded_text, total_text = status_label("Bytes uploaded").text().split(" / ")
        assert mib(total_text) == 16.0  # the new batch only: 12 MiB done earlier are not in it
        assert status_label("Files uploaded").text() == "0 / 2 files"
        # What the rows say: bytes are counted a chunk (up to 1 MiB) at a time, and the
        # rows may show the chunk a moment after the status bar.
        assert abs(mib(loaded_text) - sent) <= 1.1
        assert abs(bar.value() / 1000 - mib(loaded_text) / 16) <= 0.08
        # Time left: new.bin's rest at the limit; later.bin is paused and counts for nothing.
        left = seconds_left()
        assert left is not None
        truth = (8 - mib(new[SIZE]) * percent_shown(table, "new.bin") / 100) * MiB / rate
        assert truth * 0.6 - 1 <= left <= truth * 1.6 + 1, (left, truth)
        row_eta = new[ETA]
        if row_eta:  # the row and the status bar agree: the batch ends no sooner than new.bin
            minutes, seconds = row_eta.split(":")
            row_left = int(minutes) * 60 + int(seconds)
            assert left >= row_left - 1, (left, row_eta)
            # The row's own speed is of the seconds when it shared the limit with later.bin.
            assert truth * 0.6 - 1 <= row_left <= truth * 1.6 + 1, (row_eta, truth)

    # Everything paused: no speed, no time left to claim.
    click_row(table, "new.bin")
    QTest.keyClick(table, Qt.Key.Key_Space)
    wait_until(lambda: row_texts(table, "new.bin")[STATE] == "Paused")
    speed = status_widget(QLabel, "Upload speed")
    wait_until(lambda: seconds_left() is None and not speed.isVisible(), timeout_s=3)
    assert bar.value() < 1000


def test_a_starting_upload_shows_no_speed_until_one_is_measured_never_0_b_s(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    """Its first report says how much was sent, not how fast: at 64 KiB/s (a 16 KiB
    piece every quarter second) the row and the status bar read "0 B/s" for the
    first ticks while the bytes were going out."""
    driver = account_window
    slow_down(driver, 64 * 1024)
    drop(driver, make_file(tmp_path / "slow.bin", 1 * MiB))
    table = uploads_table()
    speed = status_widget(QLabel, "Upload speed")
    readings: list[tuple[str, str]] = []  # (row, status bar) while the row said Uploading
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        QTest.qWait(10)
        if table.model().rowCount() and (row := row_texts(table, "slow.bin"))[STATE] == "Uploading":
            readings.append((row[SPEED], speed.text() if speed.isVisible() else ""))
    assert readings, "the row never said Uploading"
    assert not [reading for reading in readings if "0 B/s" in reading], readings
    # Then it is told: about the limit, on the row and in the status bar.
    row_speed, bar_speed = readings[-1]
    assert 40 <= mib(row_speed.removesuffix("/s")) * 1024 <= 70, readings[-1]
    assert 40 <= mib(bar_speed.removesuffix("/s")) * 1024 <= 70, readings[-1]


def test_the_first_speeds_shown_under_a_limit_are_not_above_it(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    """The limiter's bucket filled while the file was chosen and let three pieces
    out at once: under 1 MiB/s the first readings were 1.2-1.4 MiB/s."""
    driver = account_window
    slow_down(driver, 1 * MiB)
    time.sleep(0.6)  # the person chooses a file
    drop(driver, make_file(tmp_path / "film.bin", 3 * MiB))
    table = uploads_table()
    speed = status_widget(QLabel, "Upload speed")
    readings: list[tuple[str, str]] = []
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        QTest.qWait(10)
        if table.model().rowCount() and (row := row_texts(table, "film.bin"))[SPEED] and speed.isVisible():
            readings.append((row[SPEED], speed.text()))
    assert len(readings) >= 10, readings
    shown = [mib(text.removesuffix("/s")) for reading in readings for text in reading]
    assert max(shown) <= 1.05, readings


def test_under_a_bandwidth_limit_the_speed_and_time_left_are_true_from_the_start_and_after_a_resume(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    """Under a 2 MiB/s limit the speed shown, in the status bar and on the row,
    follows the rate the bytes go at, from the first readings and right after a
    pause, and never passes the limit (it read 2.0-5.0 MiB/s in the first seconds,
    and 0.03 MiB/s after a short pause); the time left never promises an end
    sooner than the limit allows."""
    driver = account_window
    slow_down(driver, 2 * MiB)
    drop(driver, make_file(tmp_path / "video.bin", 24 * MiB))
    table = uploads_table()
    speed = status_widget(QLabel, "Upload speed")

    def readings_while_uploading(seconds: float) -> list[tuple[float, float, float, float | None, float]]:
        """(when, MiB sent, status bar MiB/s, row MiB/s, time left) every 0.25 s."""
        seen = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            QTest.qWait(250)
            row = row_texts(table, "video.bin")
            if row[STATE] != "Uploading" or not row[SPEED] or not speed.isVisible():
                continue
            sent = driver.window.queue.batch().loaded / MiB  # the bytes sent so far: the truth
            bar_speed, row_speed = (mib(text.removesuffix("/s")) for text in (speed.text(), row[SPEED]))
            seen.append((time.monotonic(), sent, bar_speed, row_speed, seconds_left()))
        return seen

    def check(readings: list[tuple[float, float, float, float | None, float]]) -> None:
        assert len(readings) >= 8, readings
        # The truth: how fast the bytes went, the slope through all the readings (the
        # figures on screen may be a tick older than a reading: two readings alone err).
        times, sent_mib = [r[0] for r in readings], [r[1] for r in readings]
        mean_t, mean_s = sum(times) / len(times), sum(sent_mib) / len(sent_mib)
        rate = sum((t - mean_t) * (m - mean_s) for t, m in zip(times, sent_mib, strict=True)) / sum(
            (t - mean_t) ** 2 for t in times
        )
        assert rate <= 2.1, readings
        for _when, sent, bar_speed, row_speed, left in readings[1:]:
            # Never above the limit (5 % for the limiter's 50 ms of bytes at once, and
            # rounding): the old figures read up to 5 MiB/s. Nor far below the rate
            # the bytes went at: after a pause they read 0.03 MiB/s. (A busy machine
            # slows the bytes themselves now and then: hence a factor of two.)
            for shown in (bar_speed, row_speed):
                assert rate / 2 <= shown <= 2.1, (rate, readings)
            if left is not None:
                # No sooner than the limit allows, no later than half the rate would take.
                assert (24 - sent) / 2.1 - 1 <= left <= (24 - sent) / (rate / 2) + 1, (left, rate, readings)

    wait_until(lambda: row_texts(table, "video.bin")[STATE] == "Uploading", timeout_s=10)
    check(readings_while_uploading(3.0))

    click_row(table, "video.bin")
    QTest.keyClick(table, Qt.Key.Key_Space)  # pause
    wait_until(lambda: row_texts(table, "video.bin")[STATE] == "Paused")
    QTest.qWait(1000)
    QTest.keyClick(table, Qt.Key.Key_Space)  # resume: the pause is not averaged into the speed
    wait_until(lambda: row_texts(table, "video.bin")[STATE] == "Uploading", timeout_s=10)
    check(readings_while_uploading(3.0))


def test_under_a_bandwidth_limit_files_share_and_the_time_left_is_the_bytes_left_at_the_limit(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    """Each row reads its file at its share of the limit. The status bar's time
    left read the biggest file's, 0:18 where the batch ended 9 s later: what a
    file that ends leaves goes to the others."""
    driver = account_window
    limit = 4 * MiB
    slow_down(driver, limit)
    sizes = {"photo.raw": 2 * MiB, "archive.zip": 6 * MiB, "video.mp4": 14 * MiB}
    for name, size in sizes.items():
        make_file(tmp_path / "trip" / name, size)
    drop(driver, tmp_path / "trip")
    table = uploads_table()
    keys = [f"trip/{name}" for name in sizes]
    wait_until(lambda: all(row_texts(table, key)[STATE] == "Uploading" for key in keys), timeout_s=10)
    readings: list[tuple[float, int, float]] = []  # (when, bytes left, the time left shown)
    while not driver.window.queue.is_idle():
        QTest.qWait(250)
        left = seconds_left()
        if left is not None and row_texts(table, keys[0])[STATE] == "Uploading":
            readings.append(
                (time.monotonic(), sum(sizes.values()) - driver.window.queue.batch().loaded, left)
            )
    ended = time.monotonic()
    assert len(readings) >= 3, readings
    for _when, bytes_left, left in readings:
        assert left >= bytes_left / limit - 1, readings  # never sooner than the limit allows
    # Seconds shown less the seconds it took, the middle one (the figure flickers
    # by a second with the limiter's pieces): the biggest file's time at its share
    # read 1.7-2.4 s too long here, the bytes left at the limit 0.6-1.3 s short (a
    # test's process sends a little slower once one file is left).
    errors = sorted(left - (ended - when) for when, _bytes_left, left in readings)
    assert errors[len(errors) // 2] <= 0.75, (ended, readings)


# --- item 9: "Uploads finished" only when the batch is ---------------------------------


def test_pausing_the_last_upload_says_paused_and_only_its_end_says_the_batch_finished(
    account_window: WindowDriver, server: CosClient, tmp_path: Path
) -> None:
    driver = account_window

    def video_on_server() -> int:
        try:
            return server.head_object(TEST_BUCKET, "video.bin").content_length
        except CosError:
            return 0

    messages = StatusMessages(driver, truth=video_on_server)
    slow_down(driver, 2 * MiB)
    drop(
        driver,
        make_file(tmp_path / "small-1.txt", 1000),
        make_file(tmp_path / "small-2.txt", 2000),
        make_file(tmp_path / "video.bin", 6 * MiB),
    )
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 3)
    wait_until(lambda: all(row_texts(table, f"small-{n}.txt")[STATE] == "Done" for n in (1, 2)), timeout_s=10)
    wait_until(lambda: percent_shown(table, "video.bin") >= 10, timeout_s=10)

    click_row(table, "video.bin")
    QTest.keyClick(table, Qt.Key.Key_Space)  # pause the file still uploading
    wait_until(lambda: "Uploads paused" in messages.current(), timeout_s=5, what="the paused notice")
    assert reads(messages.current(), "Uploads paused: 2 file(s) uploaded; 1 file(s) paused.")
    wait_until(lambda: row_texts(table, "video.bin")[STATE] == "Paused", timeout_s=2)
    assert not any("finished" in text for text in messages.texts())

    QTest.keyClick(table, Qt.Key.Key_Space)  # resume it
    wait_until(lambda: row_texts(table, "video.bin")[STATE] != "Paused")
    # Uploading again: the notice that said paused goes (it stayed up to 15 s).
    wait_until(lambda: "Uploads paused" not in messages.current(), timeout_s=2, what="the paused notice gone")
    slow_down(driver, 8 * MiB)
    wait_until(lambda: "Uploads finished" in messages.current(), timeout_s=15, what="the finished notice")
    # The notice counts the whole batch, and came only once the last file was done.
    assert reads(messages.current(), "Uploads finished: 3 file(s) uploaded.")
    assert [stored for text, stored in messages.seen if "finished" in text] == [6 * MiB]
    wait_until(lambda: row_texts(table, "video.bin")[STATE] == "Done", timeout_s=2)


def test_canceling_the_paused_file_replaces_the_paused_notice_with_how_the_batch_ended(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    driver = account_window
    messages = StatusMessages(driver, truth=lambda: 0)
    slow_down(driver, 2 * MiB)
    drop(driver, make_file(tmp_path / "note.txt", 1000), make_file(tmp_path / "video.bin", 6 * MiB))
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 2)
    wait_until(lambda: row_texts(table, "note.txt")[STATE] == "Done", timeout_s=10)
    wait_until(lambda: percent_shown(table, "video.bin") >= 10, timeout_s=10)

    click_row(table, "video.bin")
    QTest.keyClick(table, Qt.Key.Key_Space)
    wait_until(lambda: "Uploads paused" in messages.current(), timeout_s=5, what="the paused notice")

    answer_next_question("Cancel 1 upload(s)")
    QTest.keyClick(table, Qt.Key.Key_Delete)
    wait_until(lambda: row_texts(table, "video.bin")[STATE] == "Canceled", timeout_s=5)
    # Nothing is paused any more: the status bar must not keep saying so.
    wait_until(lambda: "Uploads finished" in messages.current(), timeout_s=5, what="the finished notice")
    assert reads(messages.current(), "Uploads finished: 1 file(s) uploaded.")


# --- item 10: progress never goes back without a reason ---------------------------------


class RowWatch:
    """Every (state, percent, note) the row of ``key`` showed, in order."""

    def __init__(self, table: QTableView, key: str) -> None:
        self.seen: list[tuple[str, int, str]] = []
        self._table, self._key = table, key
        table.model().dataChanged.connect(self._look)

    def _look(self, *_: object) -> None:
        texts = row_texts(self._table, self._key)
        shown = (texts[STATE], int(texts[PROGRESS].rstrip("%")), texts[MESSAGE])
        if not self.seen or self.seen[-1] != shown:
            self.seen.append(shown)

    def steps_back_without_a_reason(self) -> list[tuple[tuple[str, int, str], tuple[str, int, str]]]:
        reasons = re.compile(r"in flight was not confirmed|sent again after a failed request")
        return [
            (before, after)
            for before, after in zip(self.seen, self.seen[1:], strict=False)
            if after[1] < before[1] and not reasons.search(after[2])
        ]


def test_pausing_keeps_what_the_server_confirmed_and_says_why_progress_went_back(
    sandbox: Any, credentials: Credentials, open_window: Any, server: CosClient, tmp_path: Path
) -> None:
    # An account whose files up to 16 MiB go in one request: pausing one midway
    # throws away everything it sent (the "5 % -> 0 %").
    save_profile(sandbox, credentials, slice_size=16 * MiB)
    driver: WindowDriver = open_window()
    slow_down(driver, 2 * MiB)
    drop(driver, make_file(tmp_path / "archive.bin", 6 * MiB))
    table = uploads_table()
    watch = RowWatch(table, "archive.bin")
    wait_until(lambda: percent_shown(table, "archive.bin") >= 30, timeout_s=10)

    click_row(table, "archive.bin")
    before = percent_shown(table, "archive.bin")
    QTest.keyClick(table, Qt.Key.Key_Space)
    wait_until(lambda: row_texts(table, "archive.bin")[STATE] == "Paused")
    wait_until(lambda: "not confirmed" in row_texts(table, "archive.bin")[MESSAGE], timeout_s=3)

    # The row shows what the server confirmed (nothing of an unfinished single
    # request), and says how much was in flight.
    assert list(server.iter_objects(TEST_BUCKET, prefix="archive.bin")) == []
    assert percent_shown(table, "archive.bin") == 0
    note = row_texts(table, "archive.bin")[MESSAGE]
    dropped = re.fullmatch(r"(.+) in flight was not confirmed; resuming sends what is missing", note)
    assert dropped, note
    assert mib(dropped.group(1)) >= before * 6 / 100 - 0.1
    assert watch.steps_back_without_a_reason() == []

    QTest.keyClick(table, Qt.Key.Key_Space)  # resume: on from what the server holds
    slow_down(driver, 16 * MiB)
    wait_until(lambda: row_texts(table, "archive.bin")[STATE] == "Done", timeout_s=15)
    assert watch.steps_back_without_a_reason() == []
    last_paused = max(n for n, seen in enumerate(watch.seen) if seen[0] == "Paused")
    resumed = [percent for _, percent, _ in watch.seen[last_paused:]]
    assert resumed == sorted(resumed) and resumed[-1] == 100
    assert server.head_object(TEST_BUCKET, "archive.bin").content_length == 6 * MiB


# --- item 11: cancelling asks first; a canceled row can go again or go away ------------


def answer_next_question(button: str, seen: list[str] | None = None, timeout_s: float = 10.0) -> None:
    """When the next message box opens, record its texts in ``seen`` and press the
    button that reads ``button`` (a count in it either way, see ``reads``)."""
    deadline = time.monotonic() + timeout_s

    def poll() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            if seen is not None:
                seen.append(f"{box.text()}\n{box.informativeText()}")
            matching = [shown for shown in box.buttons() if reads(shown.text(), button)]
            assert matching, f"no button {button!r} among {[shown.text() for shown in box.buttons()]}"
            matching[0].click()
        elif time.monotonic() < deadline:
            QTimer.singleShot(30, poll)

    QTimer.singleShot(30, poll)


def toolbar_cancel() -> QToolButton:
    """The toolbar's Cancel button."""
    return find(QToolButton, "Cancel")


def test_deleting_a_half_sent_upload_asks_first_and_the_canceled_row_waits_under_failed_canceled(
    account_window: WindowDriver, server: CosClient, tmp_path: Path
) -> None:
    driver = account_window
    slow_down(driver, 2 * MiB)
    drop(driver, make_file(tmp_path / "film.bin", 10 * MiB))
    table = uploads_table()
    wait_until(lambda: percent_shown(table, "film.bin") >= 20, timeout_s=10)
    click_row(table, "film.bin")

    # Delete: a question naming the file and what was sent; "Keep uploading" keeps it.
    seen: list[str] = []
    answer_next_question("Keep uploading", seen)
    QTest.keyClick(table, Qt.Key.Key_Delete)
    wait_until(lambda: bool(seen), what="the question")
    text, detail = seen[0].split("\n", 1)
    assert text == "Cancel the upload of film.bin?"
    sent, total = re.fullmatch(r"(.+) of (.+) has been sent\. Cancelling .*", detail).groups()  # type: ignore[union-attr]
    assert mib(total) == 10.0 and 1.0 <= mib(sent) < 10.0
    QTest.qWait(300)
    assert row_texts(table, "film.bin")[STATE] == "Uploading"

    # Delete again, and cancel: the row is canceled, the parts sent are gone.
    answer_next_question("Cancel 1 upload(s)")
    QTest.keyClick(table, Qt.Key.Key_Delete)
    wait_until(lambda: row_texts(table, "film.bin")[STATE] == "Canceled", timeout_s=5)
    wait_until(lambda: not list(server.iter_multipart_uploads(TEST_BUCKET, prefix="film.bin")), timeout_s=5)

    # The toolbar's Cancel and the row's menu agree: nothing left to cancel.
    menu = context_menu(table, "film.bin")
    assert not menu_entry(menu, "Cancel").isEnabled()
    assert menu_entry(menu, "Upload again").isEnabled() and menu_entry(menu, "Remove from list").isEnabled()
    menu.close()
    assert not toolbar_cancel().isEnabled()

    # It waits under a tab of its own kind, not only under All.
    assert tab_count("Failed / Canceled") == 1
    click_tab("Failed / Canceled")
    wait_until(lambda: table.model().rowCount() == 1)
    assert row_texts(table, "film.bin")[STATE] == "Canceled"
    click_tab("Active")
    wait_until(lambda: table.model().rowCount() == 0)


def test_the_cancel_question_counts_the_uploads_left_and_goes_when_none_is(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    """The question is asked without stopping the uploads. "Cancel 30 upload(s)?"
    stayed on screen, unchanged, while they finished; now it counts those still
    unfinished, and closes once there is nothing left to cancel."""
    driver = account_window
    slow_down(driver, 1 * MiB)
    drop(driver, *(make_file(tmp_path / f"page-{n:02d}.bin", 120_000) for n in range(30)))
    table = uploads_table()
    wait_until(lambda: tab_count("All") == 30, what="the 30 rows")
    click_row(table, "page-00.bin")
    QTest.keyClick(table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(table, Qt.Key.Key_Delete)

    def question() -> QMessageBox | None:
        box = QApplication.activeModalWidget()
        return box if isinstance(box, QMessageBox) and box.isVisible() else None

    def asked_count() -> int:
        box = question()
        found = re.fullmatch(r"Cancel (\d+) upload\(s\)\?", box.text()) if box else None
        return int(found.group(1)) if found else -1

    wait_until(lambda: question() is not None, what="the question")
    first = asked_count()
    assert 0 < first <= 30
    # While it is open the files go on, and what it asks follows them.
    wait_until(
        lambda: 0 < asked_count() < first and asked_count() == tab_count("Active"),
        timeout_s=15,
        what="the question's count to follow the uploads left",
    )
    # Once every one is done there is nothing to cancel: the question goes.
    wait_until(lambda: question() is None, timeout_s=30, what="the question to go")
    assert tab_count("Done") == 30 and tab_count("Failed / Canceled") == 0


def test_a_canceled_upload_can_be_uploaded_again_from_the_start_then_removed_from_the_list(
    account_window: WindowDriver, server: CosClient, tmp_path: Path
) -> None:
    driver = account_window
    slow_down(driver, 2 * MiB)
    drop(driver, make_file(tmp_path / "draft.bin", 4 * MiB), make_file(tmp_path / "notes.txt", 100))
    table = uploads_table()
    wait_until(lambda: row_texts(table, "notes.txt")[STATE] == "Done", timeout_s=10)
    wait_until(lambda: percent_shown(table, "draft.bin") >= 20, timeout_s=10)
    click_row(table, "draft.bin")
    answer_next_question("Cancel 1 upload(s)")
    click(toolbar_cancel())
    wait_until(lambda: row_texts(table, "draft.bin")[STATE] == "Canceled", timeout_s=5)

    slow_down(driver, 0)
    choose(context_menu(table, "draft.bin"), "Upload again")
    wait_until(lambda: row_texts(table, "draft.bin")[STATE] == "Done", timeout_s=10)
    assert server.head_object(TEST_BUCKET, "draft.bin").content_length == 4 * MiB
    assert percent_shown(table, "draft.bin") == 100

    # Done rows leave the list one by one (Delete, or the menu); the objects stay.
    click_row(table, "draft.bin")
    # The toolbar follows the rows' states within a tenth of a second.
    wait_until(lambda: not toolbar_cancel().isEnabled(), timeout_s=1)
    QTest.keyClick(table, Qt.Key.Key_Delete)
    wait_until(lambda: table.model().rowCount() == 1)
    status = driver.window.statusBar()
    wait_until(lambda: reads(status.currentMessage(), "Cleared 1 finished upload(s) from the list"))
    choose(context_menu(table, "notes.txt"), "Remove from list")
    wait_until(lambda: driver.window.model.rowCount() == 0)
    assert reads(status.currentMessage(), "Cleared 1 finished upload(s) from the list")
    assert server.head_object(TEST_BUCKET, "notes.txt").content_length == 100


# --- item 14 (the tab counts): a tab counts what it would show --------------------------


TABS = ("All", "Active", "Paused", "Failed / Canceled", "Done")
# What a tab left without rows says in the table, without and with a search.
EMPTY_TAB_NOTES = {
    "Active": "Nothing is uploading or waiting to upload.",
    "Paused": "No upload is paused.",
    "Failed / Canceled": "No upload has failed or been canceled.",
    "Done": "No finished upload in the list.",
}
EMPTY_SEARCH_NOTES = {
    "All": "No upload's key holds “{}”.",
    "Active": "No active upload's key holds “{}”.",
    "Paused": "No paused upload's key holds “{}”.",
    "Failed / Canceled": "No failed or canceled upload's key holds “{}”.",
    "Done": "No finished upload's key holds “{}”.",
}


def test_with_a_key_filter_each_tab_counts_the_rows_it_shows_and_an_empty_one_says_why(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    driver = account_window
    slow_down(driver, 1 * MiB)
    sizes = {"photos/a.jpg": 1000, "photos/b.jpg": 2000, "photos/big.raw": 8 * MiB, "docs/c.txt": 3000}
    for name, size in sizes.items():
        make_file(tmp_path / "upload" / name, size)
    drop(driver, tmp_path / "upload" / "photos", tmp_path / "upload" / "docs")
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 4)
    small = ("photos/a.jpg", "photos/b.jpg", "docs/c.txt")
    wait_until(lambda: all(row_texts(table, key)[STATE] == "Done" for key in small), timeout_s=10)
    click_row(table, "photos/big.raw")
    QTest.keyClick(table, Qt.Key.Key_Space)
    wait_until(lambda: row_texts(table, "photos/big.raw")[STATE] == "Paused")

    for search, expected in (
        ("photos", {"All": 3, "Paused": 1, "Done": 2}),
        ("DOCS", {"All": 1, "Paused": 0, "Done": 1}),
        ("", {"All": 4, "Paused": 1, "Done": 3}),
        ("nothing-like-this", {}),
    ):
        type_into("Filter by key", search)
        for label in TABS:
            click_tab(label)
            assert tab_count(label) == table.model().rowCount(), (search, label)
            assert tab_count(label) == expected.get(label, 0), (search, label)
            notes = [w.text() for w in visible_widgets(table) if isinstance(w, QLabel)]
            if expected.get(label, 0):
                assert notes == [], (search, label)
            else:  # the search as typed ("DOCS", matched whatever its case)
                note = EMPTY_SEARCH_NOTES[label].format(search) if search else EMPTY_TAB_NOTES[label]
                assert notes == [note], (search, label)
                assert table.viewport().rect().contains(find(QLabel, note, root=table).geometry())


def test_a_request_that_fails_midway_is_sent_again_and_the_row_says_why_it_went_back(
    sandbox: Any, credentials: Credentials, open_window: Any, server: CosClient, tmp_path: Path
) -> None:
    save_profile(sandbox, credentials, slice_size=16 * MiB)  # 6 MiB in one request
    driver: WindowDriver = open_window()
    slow_down(driver, 4 * MiB)
    sandbox.faults.reset_after_bytes = 3 * MiB  # the network drops the connection midway
    drop(driver, make_file(tmp_path / "report.pdf", 6 * MiB))
    table = uploads_table()
    watch = RowWatch(table, "report.pdf")
    wait_until(lambda: "sent again" in row_texts(table, "report.pdf")[MESSAGE], timeout_s=10)
    sandbox.faults.reset()  # and comes back

    wait_until(lambda: row_texts(table, "report.pdf")[STATE] == "Done", timeout_s=15)
    assert any(after[1] < before[1] for before, after in zip(watch.seen, watch.seen[1:], strict=False))
    assert watch.steps_back_without_a_reason() == []
    assert server.head_object(TEST_BUCKET, "report.pdf").content_length == 6 * MiB


def test_cancelling_an_append_says_that_what_it_appended_stays_in_the_object(
    account_window: WindowDriver, server: CosClient, tmp_path: Path
) -> None:
    """An append cannot be taken back: the question must not say that cancelling
    deletes what it sent."""
    driver = account_window
    log_file = make_file(tmp_path / "app.log", 6 * MiB)
    # Queued as ``cosdesk upload --append`` queues it (the window has no append choice).
    destination = driver.window.destination()
    assert destination is not None
    options = destination.options.with_changes(method=UploadMethodChoice.APPEND)
    slow_down(driver, 2 * MiB)
    driver.window.queue.add_file(log_file, TEST_BUCKET, "app.log", options, destination.endpoint)
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 1 and percent_shown(table, "app.log") >= 20, timeout_s=10)
    click_row(table, "app.log")

    seen: list[str] = []
    answer_next_question("Cancel 1 upload(s)", seen)
    click(toolbar_cancel())
    wait_until(lambda: bool(seen), what="the question")
    text, detail = seen[0].split("\n", 1)
    assert text == "Cancel the upload of app.log?"
    sent = re.fullmatch(
        r"(.+) of 6\.0 MiB has been sent\. What was appended stays in the object if you cancel; "
        r"uploading again goes on after it\.",
        detail,
    )
    assert sent, detail
    wait_until(lambda: row_texts(table, "app.log")[STATE] == "Canceled", timeout_s=5)
    # What it appended is there, as the question said (the chunk in flight may not be).
    assert 0 < server.head_object(TEST_BUCKET, "app.log").content_length <= mib(sent.group(1)) * MiB


def test_a_server_that_does_not_answer_is_said_in_the_row_and_in_the_status_bar(
    account_window: WindowDriver, sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hung server keeps a request waiting until the read timeout: the row and
    the status bar say so, rather than "Checking 0%" and nothing else."""
    monkeypatch.setattr(task_module, "UNANSWERED_AFTER_S", 0.5)  # 15 s in use
    sandbox.faults.latency_s = 2.5  # every answer comes 2.5 s late
    drop(account_window, make_file(tmp_path / "notes.txt", 3000))
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 1, timeout_s=10)

    def said() -> bool:
        return row_texts(table, "notes.txt")[MESSAGE].startswith("No answer from the server for 0:0")

    wait_until(said, timeout_s=4, what="the row to say the server has not answered")
    assert row_texts(table, "notes.txt")[STATE] in ("Checking", "Uploading")
    time_left = status_widget(QLabel, "Time left")
    assert time_left.isVisible() and time_left.text().startswith("No answer from the server for 0:0")

    sandbox.faults.latency_s = 0.0
    wait_until(lambda: row_texts(table, "notes.txt")[STATE] == "Done", timeout_s=15)
    assert row_texts(table, "notes.txt")[MESSAGE] == ""
    assert not status_widget(QLabel, "Time left").text().startswith("No answer")


def test_an_upload_to_a_server_that_refuses_every_connection_shows_no_speed(
    sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    """A small file's bytes count as sent when they are handed over, before a
    connection. When none comes, they never left: the row read 20.6 KiB/s and
    the status bar 42.3 KiB/s for a server on a port nobody listens on."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    save_profile(sandbox, credentials, endpoint=f"http://127.0.0.1:{port}")
    driver = open_window()
    drop(driver, make_file(tmp_path / "notes.txt", 30_000))
    click("Overwrite")  # the bucket could not be checked for the file: send it anyway
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 1, timeout_s=10)
    speed = status_widget(QLabel, "Upload speed")
    seen: set[tuple[str, str]] = set()
    deadline = time.monotonic() + 2  # the first attempts and their retries
    while time.monotonic() < deadline:
        QTest.qWait(100)
        seen.add((row_texts(table, "notes.txt")[SPEED], speed.text() if speed.isVisible() else ""))
    assert seen == {("", "")}, seen
    assert row_texts(table, "notes.txt")[PROGRESS] == "0%"


def test_the_time_left_for_many_small_files_counts_each_files_round_trip_not_only_bytes(
    account_window: WindowDriver, sandbox: Any, tmp_path: Path
) -> None:
    """A big file fills the link while hundreds of small files wait: at the bytes'
    speed they would take no time, but each costs a round trip (here 30 ms)."""
    driver = account_window
    # Files at once set to 3 (Automatic sends these in about a second, before any
    # time left is worth showing).
    driver.window.queue.set_file_parallel_limit(3)
    sandbox.faults.latency_s = 0.03
    folder = tmp_path / "site"
    make_file(folder / "a-video.bin", 24 * MiB)
    for number in range(240):
        make_file(folder / f"page-{number:03d}.html", 2000)
    drop(driver, folder)
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 241, timeout_s=10)
    wait_until(lambda: (seconds_left() or 0) > 0 and tab_count("Done") >= 10, timeout_s=10, what="time left")
    shown, asked_at = seconds_left(), time.monotonic()
    wait_until(lambda: tab_count("Done") == 241, timeout_s=30, what="all done")
    took = time.monotonic() - asked_at
    assert shown is not None
    # Shown in whole seconds: true within a factor of two (bytes alone said 0:00).
    assert 0.5 * took - 0.5 <= shown <= 2 * took + 1, (shown, took)


@pytest.mark.usefixtures("tiny_live_limit")
def test_a_folder_bigger_than_what_the_queue_keeps_whole_shows_every_file_waiting_with_its_key_and_size(
    sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    """Past its live limit the queue puts new tasks at rest as they come, and the
    table shows them from their compact rows: each row still says its name, key,
    size and Waiting, and hovering one tells where it comes from and goes."""
    save_profile(sandbox, credentials)
    driver = open_window()
    slow_down(driver, 2048)  # the first files hold the link: the rest wait
    folder = tmp_path / "scans"
    sizes = {f"scan-{number:02d}.pdf": 100 + 10 * number for number in range(60)}
    for name, size in sizes.items():
        make_file(folder / name, size)

    drop(driver, folder)
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 60, what="sixty rows")
    wait_until(lambda: tab_count("All") == 60, what="the All tab's count")
    table.scrollToBottom()
    last = "scans/scan-59.pdf"
    name, key, size, state = row_texts(table, last)[:4]
    assert (name, key, size, state) == ("scan-59.pdf", last, "690 B", "Waiting")
    for file_name, file_size in sizes.items():
        assert row_texts(table, f"scans/{file_name}")[SIZE] == f"{file_size} B"
    # Hovering the row: where the file comes from and where it goes.
    index = row_index(table, last).siblingAtColumn(KEY)
    wait_until(lambda: index.data(Qt.ItemDataRole.ToolTipRole), what="the row's tooltip")
    tooltip = str(index.data(Qt.ItemDataRole.ToolTipRole))
    assert str(folder / "scan-59.pdf") in tooltip and f"{TEST_BUCKET}/{last}" in tooltip
    assert driver.window.queue.live_task_count < 60  # most of them were at rest all along


@pytest.mark.usefixtures("tiny_live_limit")
def test_pause_all_at_the_end_of_a_long_list_repaints_the_rows_on_screen_as_paused(
    sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    """A person adds a big folder, goes to the end of the list (Ctrl+End) and
    pauses everything: the rows in front of them turn Paused at once. They used
    to keep saying Waiting for as many milliseconds as the row number they were
    scrolled to (the table told its model which rows were on screen that late)."""
    save_profile(sandbox, credentials)
    driver = open_window()
    driver.window.resize(1800, 800)  # the State column in view
    slow_down(driver, 2048)  # the first files hold the link: the rest wait
    folder = tmp_path / "scans"
    for number in range(3000):
        make_file(folder / f"scan-{number:04d}.pdf", 100)
    drop(driver, folder)
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 3000, what="3000 rows")
    click_row(table, "scans/scan-0000.pdf")
    QTest.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    wait_until(lambda: table.rowAt(table.viewport().height() - 1) == 2999, what="the last row in view")
    last = "scans/scan-2999.pdf"
    wait_until(lambda: row_texts(table, last)[STATE] == "Waiting", what="the last file waiting")
    wait_until(lambda: painted_as_now(table.viewport()), timeout_s=1, what="the rows painted")

    click("Pause all")
    wait_until(
        lambda: tab_count("Paused") + tab_count("Done") == 3000 and tab_count("Active") == 0,
        what="all paused",
    )
    wait_until(lambda: driver.window.model.is_settled(), what="the table to take every change")
    on_screen = range(table.rowAt(0), table.rowAt(table.viewport().height() - 1) + 1)
    assert len(on_screen) > 10 and on_screen[-1] == 2999
    assert {table.model().index(row, STATE).data() for row in on_screen} == {"Paused"}
    # The screen says so too, within a moment, not only the model behind it.
    wait_until(lambda: painted_as_now(table.viewport()), timeout_s=1, what="the rows painted as paused")


def test_pause_all_while_a_big_folder_is_still_being_added_holds_the_whole_folder(
    sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    """A person drops a big folder and, as its first rows appear, clicks Pause
    all: every file of it waits paused, also those the window was still adding;
    the status bar says so, and the counter covers the whole folder; Start all
    then sends them. The rest of the folder used to go on uploading after the
    click."""
    save_profile(sandbox, credentials)
    driver = open_window()
    messages = StatusMessages(driver)
    slow_down(driver, 20_000)
    folder = tmp_path / "scans"
    total = 20_000
    for number in range(total):
        make_file(folder / f"scan-{number:05d}.pdf", 100)
    drop(driver, folder)
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() > 0, what="the first rows")
    click("Pause all")
    assert tab_count("All") < total  # still being added: what this journey is about

    wait_until(lambda: any(mentions(t, f"Added {total} file(s)") for t in messages.texts()), what="'Added'")
    added = next(text for text in messages.texts() if mentions(text, f"Added {total} file(s)"))
    assert added.endswith("; those not uploaded yet wait paused (Pause all)."), added
    wait_until(lambda: tab_count("All") == total, what="every file listed")
    wait_until(lambda: tab_count("Active") == 0, what="nothing active")
    done = tab_count("Done")
    assert tab_count("Paused") + done == total
    # The counter covers the whole drop, as one batch, the held files included.
    wait_until(lambda: status_label("Files uploaded").text() == f"{done} / {total} files", what="the counter")
    assert status_label("Bytes uploaded").text().endswith(" / 1.9 MiB")  # 20,000 x 100 B
    # Nothing goes out while paused: the count of uploaded files holds.
    QTest.qWait(1000)
    assert (tab_count("Done"), tab_count("Active")) == (done, 0)

    click("Start all")
    wait_until(lambda: tab_count("Done") > done, what="uploads going on after Start all")
    # The line that said they wait paused is no longer true: it goes.
    wait_until(lambda: "wait paused" not in messages.current(), timeout_s=2, what="the paused line gone")


# --- found by hand: a command clicked while the last session's uploads load -----------


def store_last_sessions_finished_uploads(count: int) -> None:
    """``count`` finished uploads in the task database the next window opens."""
    config.data_dir().mkdir(parents=True, exist_ok=True)
    store = TaskStore(config.data_dir() / "tasks.sqlite3")
    store.insert_tasks(
        make_row(f"done-{n:03}", n, key=f"old/{n:03}.txt", state=TaskState.SUCCESS) for n in range(count)
    )
    assert store.flush(timeout_s=30)
    store.close()


def test_while_the_last_sessions_uploads_are_read_the_window_says_so_not_that_the_list_is_empty(
    open_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the stored tasks were read (a second or two for a million), the window
    invited a drop on an empty list and its tabs said "All 0"."""
    store_last_sessions_finished_uploads(300)
    # A slow disk: the read of the stored tasks waits until this test has looked.
    looked = threading.Event()
    read = task_feed.read_columns
    monkeypatch.setattr(task_feed, "read_columns", lambda path: (looked.wait(20), read(path))[1])
    window = open_window().window

    def shown() -> list[str]:
        widgets = [*window.findChildren(QLabel), *window.findChildren(QPushButton)]
        return [widget.text() for widget in widgets if widget.isVisible()]

    try:
        QTest.qWait(300)  # painted, events handled
        assert "Reading the upload list…" in shown()
        assert "Drop files or folders here" not in shown() and "Add files…" not in shown(), shown()
        assert tab_count("All") is None and tab_count("Done") is None  # no count yet, not 0
    finally:
        looked.set()
    wait_until(lambda: tab_count("Done") == 300, what="the last session's 300 rows")
    assert tab_count("All") == 300 and uploads_table().isVisible()
    assert "Reading the upload list…" not in shown()


def test_clear_finished_clicked_while_the_last_sessions_uploads_load_says_so_then_clears_them(
    open_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table shows the last session's rows from the database at once; the queue
    restores them once the sandbox is up (and takes seconds for a million). "Clear
    finished" clicked before that cleared nothing, and said nothing."""
    store_last_sessions_finished_uploads(300)
    # A sandbox slow to start, as on a slow machine: the real one, two seconds late.
    started_late = ["sh", "-c", 'sleep 2; exec "$@"', "slow-start", *sandbox_runner.cosdesk_command()]
    monkeypatch.setattr(sandbox_runner, "cosdesk_command", lambda: started_late)
    driver = open_window(start_sandbox=True)
    messages = StatusMessages(driver)
    wait_until(lambda: tab_count("Done") == 300, what="the last session's 300 rows")

    click("Clear finished")
    assert reads(
        messages.current(),
        "Still loading the uploads of the last session: the command runs when they are loaded…",
    )
    wait_until(lambda: tab_count("All") == 0, timeout_s=20, what="the list cleared")
    wait_until(lambda: "Cleared" in messages.current(), what="how many were cleared")
    assert reads(messages.current(), "Cleared 300 finished upload(s) from the list")
    assert find(QLabel, "Drop files or folders here").isVisible()  # the empty list's invitation
    # The sandbox came up while the click waited: its greeting did not replace the
    # note (by hand, the note went and nothing said the command still waited).
    said = messages.texts()
    waiting = next(n for n, text in enumerate(said) if text.startswith("Still loading the uploads"))
    assert not [text for text in said[waiting + 1 :] if text.startswith("Local sandbox running")], said


def sandbox_child_pid() -> int:
    """The local sandbox's process: this process's child running ``cosdesk serve``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"serve" in command:
            return int(entry.name)
    raise AssertionError("no local sandbox process")


def test_a_local_sandbox_that_ends_by_itself_is_started_again_and_the_upload_goes_on(
    open_window: Any, tmp_path: Path
) -> None:
    """Killed (as by the system when memory runs out) or crashed, the sandbox came
    back only with the next start of the window, and nothing said it was gone."""
    driver = open_window(start_sandbox=True)
    messages = StatusMessages(driver)
    wait_until(lambda: messages.current().startswith("Local sandbox running at "), timeout_s=20)
    endpoint = messages.current().split(" at ", 1)[1].split(" ")[0]
    slow_down(driver, 4 * MiB)
    drop(driver, make_file(tmp_path / "film.bin", 12 * MiB))
    table = uploads_table()
    wait_until(lambda: table.model().rowCount() == 1 and percent_shown(table, "film.bin") >= 10, timeout_s=15)

    os.kill(sandbox_child_pid(), signal.SIGKILL)
    wait_until(lambda: any(t.startswith("The local sandbox stopped unexpectedly") for t in messages.texts()))
    assert "The local sandbox stopped unexpectedly (signal 9); starting it again…" in messages.texts()
    # Said as what it is while the upload goes on, not as the first start's
    # invitation to "drop a file to try it".
    wait_until(lambda: messages.texts()[-1].startswith("The local sandbox is running again"), timeout_s=20)
    assert messages.texts()[-1] == f"The local sandbox is running again at {endpoint}."  # the same port
    wait_until(lambda: row_texts(table, "film.bin")[STATE] == "Done", timeout_s=40)


def test_clear_finished_says_how_many_it_cleared_and_leaves_the_others(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    driver = account_window
    messages = StatusMessages(driver)
    for n in range(3):
        make_file(tmp_path / "done" / f"{n}.txt", 1000)
    drop(driver, tmp_path / "done")
    wait_until(lambda: "Uploads finished" in messages.current(), timeout_s=15, what="the batch's end")
    wait_until(lambda: tab_count("Done") == 3, what="three rows done")
    finished = messages.current()

    click("Clear finished")
    wait_until(lambda: tab_count("All") == 0, what="the done rows cleared")
    wait_until(lambda: "Cleared" in messages.current(), what="how many were cleared")
    # It stays to be read: the end of the batch it cleared does not take it away.
    QTest.qWait(1000)
    assert reads(messages.current(), "Cleared 3 finished upload(s) from the list")
    # Nothing in between told of the batch again, shrunk as the clear went (by
    # hand, 30,000 done files showed "Uploads finished: 22000 files uploaded"
    # while they were cleared; the slices of three files end within one tick).
    said = messages.texts()
    assert said[said.index("Clearing the finished uploads from the list…") + 1 :] == [messages.current()]
    assert finished in said

    # Cleared while another upload runs: only the finished rows go.
    for n in range(2):
        make_file(tmp_path / "more" / f"{n}.txt", 1000)
    drop(driver, tmp_path / "more")
    wait_until(lambda: tab_count("Done") == 2, timeout_s=15, what="two more uploads done")
    slow_down(driver, 64 * 1024)
    make_file(tmp_path / "later" / "big.bin", 4 * MiB)
    drop(driver, tmp_path / "later")
    wait_until(lambda: tab_count("Active") == 1, what="the big file uploading")
    click("Clear finished")
    assert messages.current() == "Clearing the finished uploads from the list…"
    wait_until(lambda: tab_count("All") == 1, what="the done rows cleared")
    wait_until(
        lambda: reads(messages.current(), "Cleared 2 finished upload(s) from the list"), what="2 cleared"
    )
    assert row_texts(uploads_table(), "later/big.bin")[STATE] == "Uploading"
