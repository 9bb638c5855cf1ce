"""Journeys through the remote side of the window: picking a bucket from the
account's list, browsing its folders in the remote pane, dropping files onto a
folder there, and deleting with a confirmation that names the count, checked
against what the local server really holds."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QToolButton,
)
from support.journey import (
    answer_next_message_box,
    click,
    current_dialog,
    find,
    tab_count,
    type_into,
    wait_until,
)
from support.window_driver import TEST_BUCKET, TEST_REGION, WindowDriver, make_file, save_profile

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.sandbox.server import SandboxServer
from cosdesk.ui import remote_pane
from tests.conftest import TEST_SECRET_ID, TEST_SECRET_KEY

PHOTOS_BUCKET = "photos-1250000000"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """The local server with two buckets of one account (this module's own)."""
    with SandboxServer(
        root=tmp_path / "cos-root",
        buckets=[TEST_BUCKET, PHOTOS_BUCKET],
        credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
        region=TEST_REGION,
    ) as server:
        yield server


@pytest.fixture
def server(sandbox: SandboxServer, credentials: Credentials) -> Iterator[CosClient]:
    """A client of our own: what the server really holds."""
    with CosClient(credentials, Endpoint.custom(sandbox.endpoint, region=TEST_REGION)) as client:
        yield client


def keys_in(server: CosClient, bucket: str = TEST_BUCKET) -> list[str]:
    return sorted(summary.key for summary in server.iter_objects(bucket))


# --- what a person sees and does ------------------------------------------------------


def remote_table() -> QTableView:
    return find(QTableView, "Remote files")


def remote_names() -> list[str]:
    """The Name column of the remote pane, top to bottom, as shown."""
    table = remote_table()
    model = table.model()
    return [str(model.index(row, 0).data()) for row in range(model.rowCount())]


def wait_remote_names(expected: list[str], timeout_s: float = 15) -> None:
    try:
        wait_until(lambda: remote_names() == expected, timeout_s, f"the remote pane to show {expected}")
    except AssertionError:
        raise AssertionError(f"the remote pane shows {remote_names()}, not {expected}") from None


def row_center(name: str) -> QPoint:
    table = remote_table()
    row = remote_names().index(name)
    return table.visualRect(table.model().index(row, 0)).center()


def double_click(name: str) -> None:
    # QTest's double-click is the second click only: the first comes before it.
    table, position = remote_table(), row_center(name)
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=position)
    QTest.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=position)


def click_row(name: str, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    table = remote_table()
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, row_center(name))


def drop_on_remote(paths: list[Path], at: QPoint) -> None:
    """Drag files from a file manager onto the remote pane at ``at`` and let go."""
    viewport = remote_table().viewport()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(os.fspath(path)) for path in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, QDragEnterEvent(at, *args))
    QApplication.sendEvent(viewport, QDragMoveEvent(at, *args))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(at), *args))


def status_text(window: Any) -> str:
    return str(window.statusBar().currentMessage())


def remote_status() -> str:
    return find(QLabel, "Remote folder status").text()


# --- the journeys -----------------------------------------------------------------------


def test_pick_a_bucket_from_the_accounts_list_and_see_its_files(
    sandbox: SandboxServer, credentials: Credentials, open_window: Any, server: CosClient
) -> None:
    server.put_object(PHOTOS_BUCKET, "beach.jpg", b"sand")
    save_profile(sandbox, credentials)
    driver: WindowDriver = open_window()
    window = driver.window

    picker = find(QComboBox, "Bucket", window)
    wait_until(lambda: picker.count() == 2, 10, "the account's buckets in the list")
    picker.showPopup()
    popup = picker.view()
    wait_until(popup.isVisible, 5, "the bucket list to open")
    listed = [
        (popup.model().index(row, 0).data(), popup.model().index(row, 1).data())
        for row in range(popup.model().rowCount())
    ]
    # Each bucket with its region, as GET Service said.
    assert listed == [(TEST_BUCKET, TEST_REGION), (PHOTOS_BUCKET, TEST_REGION)]
    target = popup.visualRect(popup.model().index(1, 0)).center()
    QTest.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton, pos=target)

    assert find(QLineEdit, "Bucket", window).text() == PHOTOS_BUCKET
    assert window.windowTitle().startswith(PHOTOS_BUCKET)
    wait_remote_names(["beach.jpg"])
    assert find(QToolButton, PHOTOS_BUCKET, window) is not None  # the path above the files

    # A drop on the window now goes to the picked bucket.
    driver.drop([make_file(window.session.store.path.parent / "wave.jpg", 100)])
    wait_until(lambda: "wave.jpg" in keys_in(server, PHOTOS_BUCKET), 30, "wave.jpg in the picked bucket")


def test_browse_into_a_folder_and_back(account_window: WindowDriver, server: CosClient) -> None:
    for key in ("trip/day1/a.jpg", "trip/b.jpg", "trip/", "root.txt"):
        server.put_object(TEST_BUCKET, key, b"" if key.endswith("/") else b"data")
    window = account_window.window
    find(QToolButton, "Refresh", window).click()
    wait_remote_names(["root.txt", "trip/"])
    assert find(QToolButton, "Up", window).isEnabled() is False

    double_click("trip/")
    # Inside: its sub-folder and file; its own marker object is not a file of its own.
    wait_remote_names(["b.jpg", "day1/"])
    assert find(QToolButton, "trip", window) is not None
    double_click("day1/")
    wait_remote_names(["a.jpg"])

    find(QToolButton, "Up", window).click()
    wait_remote_names(["b.jpg", "day1/"])
    find(QToolButton, TEST_BUCKET, window).click()  # the bucket's name in the path
    wait_remote_names(["root.txt", "trip/"])

    # The filter lists only names that start with what is typed.
    QTest.keyClicks(find(QLineEdit, "Filter remote files by name", window), "ro")
    wait_remote_names(["root.txt"])


def test_a_new_folder_name_cos_cannot_take_is_said_at_once_and_what_was_typed_stays(
    account_window: WindowDriver, server: CosClient
) -> None:
    window = account_window.window
    find(QToolButton, "New folder", window).click()
    dialog = current_dialog()
    question = f"Make a folder in {TEST_BUCKET}/ named:"
    label, name = dialog.findChild(QLabel), find(QLineEdit, "Folder name", dialog)
    ok = find(QPushButton, "OK", dialog)
    assert label.text() == question and not ok.isEnabled()  # nothing typed yet

    # A name longer than a key may be: the reason shows as it is typed, and
    # Enter does not send it (it was sent, refused, and the dialog gone).
    name.setFocus()
    QTest.keyClicks(name, "z" * 860)
    assert label.text() == f"{question}\nthe object key is longer than 850 bytes of UTF-8"
    assert not ok.isEnabled()
    QTest.keyClick(name, Qt.Key.Key_Return)
    assert dialog.isVisible() and name.text() == "z" * 860

    type_into("Folder name", "summer/2024", dialog)
    assert label.text() == question and ok.isEnabled()
    click("OK", dialog)
    wait_remote_names(["summer/"])
    assert keys_in(server) == ["summer/2024/"]


def test_a_folder_the_server_does_not_list_says_how_long_it_has_waited(
    account_window: WindowDriver, sandbox: SandboxServer, server: CosClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.put_object(TEST_BUCKET, "trip/a.jpg", b"data")
    window = account_window.window
    find(QToolButton, "Refresh", window).click()
    wait_remote_names(["trip/"])
    monkeypatch.setattr(remote_pane, "UNANSWERED_AFTER_S", 0.5)  # 15 s in use
    sandbox.faults.latency_s = 2.5  # a hung server, for 2.5 s

    double_click("trip/")
    listing = f"Listing {TEST_BUCKET}/trip/…"
    wait_until(lambda: remote_status() == listing, timeout_s=2, what="the listing note")
    silent = f"{listing} — No answer from the server for 0:0"
    wait_until(lambda: remote_status().startswith(silent), timeout_s=4, what="the silence told")
    sandbox.faults.latency_s = 0.0
    wait_remote_names(["a.jpg"])
    assert remote_status().startswith("1 item")  # the silence is no longer told


def test_drop_files_onto_a_remote_folder_uploads_them_there(
    account_window: WindowDriver, server: CosClient, tmp_path: Path
) -> None:
    server.put_object(TEST_BUCKET, "trip/day1/", b"")
    server.put_object(TEST_BUCKET, "trip/b.jpg", b"data")
    window = account_window.window
    find(QToolButton, "Refresh", window).click()
    wait_remote_names(["trip/"])
    double_click("trip/")
    wait_remote_names(["b.jpg", "day1/"])

    # Onto the folder's row: into that folder.
    drop_on_remote([make_file(tmp_path / "onto-folder.jpg", 1000)], row_center("day1/"))
    wait_until(lambda: "trip/day1/onto-folder.jpg" in keys_in(server), 30, "the file in trip/day1/")
    # Onto the pane itself: into the folder shown, and it appears there once uploaded.
    table = remote_table()
    below_rows = QPoint(table.viewport().width() // 2, table.viewport().height() - 5)
    drop_on_remote([make_file(tmp_path / "here.jpg", 2000)], below_rows)
    wait_remote_names(["b.jpg", "day1/", "here.jpg"], timeout_s=30)
    assert "trip/here.jpg" in keys_in(server)
    # Both went through the queue like any drop.
    account_window.wait_states(
        lambda rows: {row.key for row in rows} == {"trip/day1/onto-folder.jpg", "trip/here.jpg"}
    )


def test_files_that_keep_landing_in_the_folder_shown_appear_while_the_upload_goes_on(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    """A person drops a folder of thousands of small files onto the bucket shown.
    The pane lists the folder again once uploads pause; a steady stream of small
    files never paused, so it said "No files here" while thousands landed. Now
    it lists them again within seconds, while the rest still upload."""
    window = account_window.window
    find(QToolButton, "Refresh", window).click()
    wait_until(lambda: remote_status() == "No files here. Drop files to upload them to this folder.")
    folder = tmp_path / "scans"
    folder.mkdir()
    for number in range(6000):
        (folder / f"scan-{number:04d}.txt").write_bytes(b"%")
    table = remote_table()
    drop_on_remote([folder], QPoint(table.viewport().width() // 2, table.viewport().height() // 2))

    wait_until(lambda: remote_names() == ["scans/"], 15, "the folder listed in the pane")
    assert tab_count("Active") > 0  # listed while the files still upload, not after
    click("Pause all", window)
    wait_until(lambda: tab_count("Active") == 0, 30, "every upload paused")


def test_delete_asks_with_the_count_and_deletes_exactly_the_selection(
    account_window: WindowDriver, server: CosClient
) -> None:
    kept = ["trip-old/x.jpg", "tripod.txt", "keep.txt"]
    doomed = ["trip/", "trip/a.jpg", "trip/day1/b.jpg", "root.txt"]
    for key in kept + doomed:
        server.put_object(TEST_BUCKET, key, b"" if key.endswith("/") else b"data")
    window = account_window.window
    find(QToolButton, "Refresh", window).click()
    wait_remote_names(["keep.txt", "root.txt", "trip-old/", "trip/", "tripod.txt"])

    click_row("root.txt")
    click_row("trip/", Qt.KeyboardModifier.ControlModifier)
    # First the person changes their mind.
    asked: list[str] = []
    answer_next_message_box("Keep them", asked)
    QTest.keyClick(remote_table(), Qt.Key.Key_Delete)
    wait_until(lambda: bool(asked), 10, "the question")
    # The folder counts for everything in it: its marker and two files, plus root.txt.
    # "4 objects" from the English catalog, "4 object(s)" without one.
    assert re.search(r"Delete 4 object(s|\(s\))\?", asked[0]), asked[0]
    assert "root.txt" in asked[0] and "trip/" in asked[0]
    assert keys_in(server) == sorted(kept + doomed)

    asked.clear()
    answer_next_message_box("Delete", asked)
    QTest.keyClick(remote_table(), Qt.Key.Key_Delete)
    wait_until(lambda: bool(asked), 10, "the question")
    wait_until(
        lambda: re.search(r"Deleted 4 object(s|\(s\))\.", status_text(window)) is not None,
        15,
        "the count of deleted objects",
    )
    wait_remote_names(["keep.txt", "trip-old/", "tripod.txt"])
    assert keys_in(server) == sorted(kept)


def test_keys_that_may_not_list_buckets_get_a_quiet_note_and_typing_still_works(
    tmp_path: Path, open_window: Any
) -> None:
    # Temporary keys confined to one prefix, as a credential server hands them out.
    with SandboxServer(
        root=tmp_path / "sts-root",
        buckets=[TEST_BUCKET],
        credentials={},
        region=TEST_REGION,
        sts_duration_s=1800,
        sts_prefix="team/",
    ) as confined:
        assert confined.credential_url is not None
        save_profile(confined, None, bucket="", prefix="team/", credential_url=confined.credential_url)
        driver: WindowDriver = open_window(start_sandbox=False)
        window = driver.window
        note = find(QLabel, "type its name", window, timeout_s=10)
        assert "may not list" in note.toolTip()
        assert find(QComboBox, "Bucket", window).count() == 0
        assert not [box for box in QApplication.topLevelWidgets() if box.isVisible() and box is not window]

        field = find(QLineEdit, "Bucket", window)
        field.setFocus()
        QTest.keyClicks(field, TEST_BUCKET)
        QTest.keyClick(field, Qt.Key.Key_Return)
        # Its own prefix lists (the keys reach it) in the remote pane.
        find(QToolButton, TEST_BUCKET, window)
        wait_until(lambda: "No files here" in remote_status(), 15, "the empty folder")


def test_an_upload_into_the_folder_being_browsed_keeps_the_place_and_the_selection(
    account_window: WindowDriver, server: CosClient, tmp_path: Path
) -> None:
    """Deep in a folder of 2,400 objects (three pages of listing), a person selects
    a file and drops a new one beside it. When the upload ends, the pane lists
    the folder again: the new file shows next to the selected one, and the rows
    on screen and the selection are those the person left. The refresh used to
    jump back to the top, with the first page only and nothing selected."""
    with ThreadPoolExecutor(8) as putting:
        keys = [f"scans/scan-{n:05d}.pdf" for n in range(2400)]
        list(putting.map(lambda key: server.put_object(TEST_BUCKET, key, b"%"), keys))
    window = account_window.window
    find(QToolButton, "Refresh", window).click()
    wait_remote_names(["scans/"])
    double_click("scans/")
    wait_until(lambda: len(remote_names()) >= 1000, what="the folder's first page")
    table = remote_table()
    click_row("scan-00000.pdf")
    for _ in range(2):  # Ctrl+End: the last row listed, and the next page comes in
        rows_before = table.model().rowCount()
        QTest.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        wait_until(lambda: table.model().rowCount() > rows_before, what="the next page")  # noqa: B023
    QTest.keyClick(table, Qt.Key.Key_PageUp)
    middle = table.rowAt(table.viewport().height() // 2)
    chosen = remote_names()[middle]
    click_row(chosen)
    top_before = remote_names()[table.rowAt(0)]
    assert chosen > "scan-01000.pdf" and top_before > "scan-01000.pdf"  # past the first page

    new_name = chosen.replace(".pdf", "-b.pdf")
    drop_on_remote([make_file(tmp_path / new_name, 3000)], row_center(chosen))
    wait_until(lambda: new_name in remote_names(), 30, "the new file listed beside the chosen one")
    names = remote_names()
    assert abs(names.index(new_name) - names.index(chosen)) == 1  # side by side
    assert names[table.rowAt(0)] == top_before
    selected = [names[index.row()] for index in table.selectionModel().selectedRows()]
    assert selected == [chosen]
    assert names[table.currentIndex().row()] == chosen


def test_home_and_end_go_to_the_first_and_last_file_listed(
    account_window: WindowDriver, server: CosClient
) -> None:
    """As in a file manager (and the upload list): not to the first or last column."""
    names = [f"page-{n:02d}.png" for n in range(30)]
    for name in names:
        server.put_object(TEST_BUCKET, f"book/{name}", b"png")
    window = account_window.window
    find(QToolButton, "Refresh", window).click()
    wait_remote_names(["book/"])
    double_click("book/")
    wait_remote_names(names)
    table = remote_table()
    click_row("page-05.png")
    QTest.keyClick(table, Qt.Key.Key_End)
    assert remote_names()[table.currentIndex().row()] == "page-29.png"
    assert table.rowAt(table.viewport().height() - 1) in (-1, 29)  # the last row in view
    assert [remote_names()[index.row()] for index in table.selectionModel().selectedRows()] == ["page-29.png"]
    QTest.keyClick(table, Qt.Key.Key_Home)
    assert remote_names()[table.currentIndex().row()] == "page-00.png"
    assert table.rowAt(0) == 0
