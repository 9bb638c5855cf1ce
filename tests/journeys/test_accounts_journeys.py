"""Journeys through accounts, Settings and the destination: what a person does with
the Settings dialog and the "Upload to" list, and what they then see — in the
window, in the dialog, and on the server."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import keyring.errors
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QSpinBox,
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
from support.window_driver import TEST_BUCKET, MiB, make_file, save_profile, slow_down

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.engine.concurrency import START_FILES
from cosdesk.ui.accounts import SANDBOX_BUCKET, SANDBOX_KEYS

LOCAL = "http://127.0.0.1:"
# The destination strip's fields, by the names a screen reader says.
UPLOAD_TO = "Account to upload to"
PREFIX = "Prefix in the bucket"
# "1 upload", or "1 upload(s)" while the English plurals catalog lacks a new string.
ONE_UPLOAD = r"\b1 upload(?:\(s\))?"


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


def sandbox_endpoint_shown(window: QMainWindow) -> str:
    """The local sandbox's address as the destination strip shows it, once it runs."""
    where = find(QLabel, "Endpoint", window)
    wait_until(lambda: where.text().startswith(LOCAL), 15, "the sandbox's address")
    return where.text()


def accounts_listed(window: QMainWindow) -> list[str]:
    combo = find(QComboBox, UPLOAD_TO, window)
    return [combo.itemText(index) for index in range(combo.count())]


def open_settings(window: QMainWindow) -> QDialog:
    """Edit → Settings (the toolbar's button may sit in its overflow menu)."""
    menu_action(window, "Edit", "Settings").trigger()
    dialog = current_dialog()
    assert dialog.windowTitle() == "Settings"
    return dialog


def save_and_wait(dialog: QDialog) -> None:
    click("Save", dialog)
    wait_until(lambda: not dialog.isVisible(), 10, "the Settings dialog to close")


def fill_account(dialog: QDialog, name: str, endpoint: str, keys: Credentials | None) -> None:
    type_into("Name", name, dialog)
    if keys is not None:
        type_into("SecretId", keys.secret_id, dialog)
        type_into("SecretKey", keys.secret_key, dialog)
    type_into("Bucket", TEST_BUCKET, dialog)
    type_into("Custom endpoint", endpoint, dialog)


def object_size(endpoint_url: str, keys: Credentials, bucket: str, key: str) -> int:
    with CosClient(keys, Endpoint.custom(endpoint_url)) as client:
        return client.head_object(bucket, key).content_length


def wait_for_row_state(window: QMainWindow, name: str, state: str, timeout_s: float = 30) -> None:
    def reached() -> bool:
        return any(row["Name"] == name and row["State"] == state for row in rows_seen(window))

    try:
        wait_until(reached, timeout_s, f"{name} to show {state}")
    except AssertionError:
        raise AssertionError(f"{name} never showed {state}; rows: {rows_seen(window)}") from None


def close_and_pause(window: QMainWindow) -> list[str]:
    """Close the window while uploads run and answer "Pause and quit"."""
    asked: list[str] = []
    answer_next_message_box("Pause and quit", asked)
    window.close()
    wait_until(lambda: not window.isVisible(), 10, "the window to close")
    return asked


# --- item 1 ---------------------------------------------------------------------------


def test_setting_a_bandwidth_limit_keeps_the_sandbox_destination_and_its_prefix(
    open_window: Any, tmp_path: Path
) -> None:
    driver = open_window()
    window = driver.window
    endpoint = sandbox_endpoint_shown(window)
    # Typed, then straight to the menu: editing never "finished" (no focus change).
    type_into(PREFIX, "photos/2024", window)

    dialog = open_settings(window)
    assert find(QListWidget, "Accounts", dialog).count() == 0  # no account appears by itself
    bandwidth = find(QDoubleSpinBox, "Bandwidth limit", dialog)
    bandwidth.setFocus()
    bandwidth.selectAll()
    # A quarter of a MiB/s: a 2 Mbit/s home uplink's owner sets a limit below one.
    QTest.keyClicks(bandwidth, "0.25")
    save_and_wait(dialog)

    assert find(QComboBox, UPLOAD_TO, window).currentText() == "Local sandbox"
    assert find(QLineEdit, PREFIX, window).text() == "photos/2024/"  # as keys use it
    assert find(QLineEdit, "Bucket", window).text() == SANDBOX_BUCKET
    assert "no destination" not in window.windowTitle()
    assert f"{SANDBOX_BUCKET}/photos/2024/" in window.windowTitle()
    assert "Local sandbox" in window.windowTitle()

    # Still no account, and the limit is kept.
    dialog = open_settings(window)
    assert find(QListWidget, "Accounts", dialog).count() == 0
    assert find(QDoubleSpinBox, "Bandwidth limit", dialog).text() == "0.25 MiB/s"
    click("Cancel", dialog)

    # The uploads run under the limit now (no restart), and a drop goes to the
    # sandbox under the prefix.
    assert window.queue.bandwidth_limit_bytes_per_s == MiB // 4
    make_file(tmp_path / "photo.jpg", 300_000)
    driver.drop([tmp_path / "photo.jpg"])
    wait_for_row_state(window, "photo.jpg", "Done")
    assert object_size(endpoint, SANDBOX_KEYS.get(), SANDBOX_BUCKET, "photos/2024/photo.jpg") == 300_000


def test_a_prefix_typed_with_stray_slashes_shows_as_the_keys_will_use_it(
    open_window: Any, tmp_path: Path
) -> None:
    # The keys never start with "/" nor hold "//": once the person leaves the
    # field (Enter), it says where the files go, not what was typed.
    driver = open_window()
    window = driver.window
    endpoint = sandbox_endpoint_shown(window)
    field = type_into(PREFIX, "/reports//2026", window)
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert field.text() == "reports/2026/"
    assert f"{SANDBOX_BUCKET}/reports/2026/" in window.windowTitle()
    make_file(tmp_path / "q4.pdf", 1000)
    driver.drop([tmp_path / "q4.pdf"])
    wait_for_row_state(window, "q4.pdf", "Done")
    assert object_size(endpoint, SANDBOX_KEYS.get(), SANDBOX_BUCKET, "reports/2026/q4.pdf") == 1000
    # Cleared, it is the bucket's root again.
    type_into(PREFIX, "", window)
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert field.text() == ""
    assert field.placeholderText().startswith("folder/in/bucket")


# --- item 2 ---------------------------------------------------------------------------


def test_the_local_sandbox_stays_listed_beside_an_account_and_keeps_its_port(
    open_window: Any, sandbox: Any, credentials: Credentials, tmp_path: Path
) -> None:
    first = open_window().window
    endpoint = sandbox_endpoint_shown(first)
    click("Add a COS account", first)
    dialog = current_dialog()
    fill_account(dialog, "work", sandbox.endpoint, credentials)
    save_and_wait(dialog)
    assert accounts_listed(first) == ["work", "Local sandbox"]
    assert find(QComboBox, UPLOAD_TO, first).currentText() == "work"  # the account just added
    first.close()
    wait_until(lambda: not first.isVisible(), 10, "the first window to close")

    second_driver = open_window()
    second = second_driver.window
    assert accounts_listed(second) == ["work", "Local sandbox"]
    assert find(QComboBox, UPLOAD_TO, second).currentText() == "work"
    # The person picks the sandbox in the list: it starts, on the port it had.
    combo = find(QComboBox, UPLOAD_TO, second)
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == "Local sandbox"
    assert sandbox_endpoint_shown(second) == endpoint
    assert "Local sandbox" in second.windowTitle()

    make_file(tmp_path / "note.txt", 100)
    second_driver.drop([tmp_path / "note.txt"])
    wait_for_row_state(second, "note.txt", "Done")
    assert object_size(endpoint, SANDBOX_KEYS.get(), SANDBOX_BUCKET, "note.txt") == 100


def test_a_taken_sandbox_port_moves_the_sandbox_and_paused_uploads_follow_it(
    open_window: Any, tmp_path: Path
) -> None:
    driver = open_window()
    first = driver.window
    endpoint = sandbox_endpoint_shown(first)
    slow_down(driver, 1 * MiB)
    size = 4 * MiB
    make_file(tmp_path / "video.bin", size)
    driver.drop([tmp_path / "video.bin"])
    wait_for_row_state(first, "video.bin", "Uploading")
    asked = close_and_pause(first)
    assert asked and "Uploads are still running" in asked[0]

    port = int(endpoint.rsplit(":", 1)[1])
    with socket.create_server(("127.0.0.1", port)):  # another program took the port meanwhile
        second = open_window().window
        moved = sandbox_endpoint_shown(second)
        assert moved != endpoint
        wait_for_row_state(second, "video.bin", "Done")
    assert object_size(moved, SANDBOX_KEYS.get(), SANDBOX_BUCKET, "video.bin") == size


# --- item 3 ---------------------------------------------------------------------------


def test_an_account_on_a_local_http_endpoint_uploads_without_ticking_path_style(
    open_window: Any, sandbox: Any, credentials: Credentials, tmp_path: Path
) -> None:
    driver = open_window(start_sandbox=False)
    window = driver.window
    dialog = open_settings(window)
    click("Add account", dialog)
    use_https = find(QCheckBox, "Use HTTPS", dialog)
    path_style = find(QCheckBox, "Bucket in the path (path-style)", dialog)
    assert use_https.isChecked() and not path_style.isChecked()

    type_into("Custom endpoint", "https://cos.example.internal", dialog)
    assert use_https.isChecked() and not use_https.isEnabled()
    assert not path_style.isChecked() and path_style.isEnabled()

    fill_account(dialog, "local", sandbox.endpoint, credentials)
    assert not use_https.isChecked() and not use_https.isEnabled()
    assert path_style.isChecked() and not path_style.isEnabled()
    find(QLabel, "An IP address or localhost takes the bucket in the path.", dialog)
    save_and_wait(dialog)

    make_file(tmp_path / "report.pdf", 5000)
    driver.drop([tmp_path / "report.pdf"])
    wait_for_row_state(window, "report.pdf", "Done")
    assert object_size(sandbox.endpoint, credentials, TEST_BUCKET, "report.pdf") == 5000


def test_an_account_saved_with_https_and_virtual_host_for_an_ip_endpoint_still_uploads(
    open_window: Any, sandbox: Any, credentials: Credentials, tmp_path: Path
) -> None:
    # As an earlier version saved it: the boxes contradict the endpoint.
    save_profile(sandbox, credentials, path_style=False, use_https=True)
    driver = open_window(start_sandbox=False)
    window = driver.window
    make_file(tmp_path / "a.txt", 10)
    driver.drop([tmp_path / "a.txt"])
    wait_for_row_state(window, "a.txt", "Done")
    assert object_size(sandbox.endpoint, credentials, TEST_BUCKET, "a.txt") == 10

    dialog = open_settings(window)
    assert not find(QCheckBox, "Use HTTPS", dialog).isChecked()
    assert find(QCheckBox, "Bucket in the path (path-style)", dialog).isChecked()
    click("Cancel", dialog)


# --- item 4 ---------------------------------------------------------------------------


def test_the_key_fields_say_keys_are_kept_only_where_they_are(
    open_window: Any, sandbox: Any, credentials: Credentials, memory_keyring: Any, monkeypatch: Any
) -> None:
    window = open_window(start_sandbox=False).window

    def placeholders_of(account: str) -> tuple[str, str]:
        dialog = open_settings(window)
        accounts = find(QListWidget, "Accounts", dialog)
        accounts.setCurrentItem(accounts.findItems(account, Qt.MatchFlag.MatchExactly)[0])
        secret_id, secret_key = find(QLineEdit, "SecretId", dialog), find(QLineEdit, "SecretKey", dialog)
        QTest.qWait(300)  # where the keys are is read off the GUI thread
        seen = (secret_id.placeholderText(), secret_key.placeholderText())
        click("Cancel", dialog)
        return seen

    dialog = open_settings(window)
    click("Add account", dialog)
    # A new account has nothing stored: nothing to "keep".
    assert find(QLineEdit, "SecretId", dialog).placeholderText() == "AKID…"
    assert find(QLineEdit, "SecretKey", dialog).placeholderText() == ""
    fill_account(dialog, "stored", sandbox.endpoint, credentials)
    click("Add account", dialog)
    fill_account(dialog, "no keys", sandbox.endpoint, None)
    save_and_wait(dialog)

    kept = "stored in the keyring — leave empty to keep"
    assert placeholders_of("stored") == (kept, kept)
    assert placeholders_of("no keys") == ("AKID…", "")

    def locked(*_args: Any) -> None:
        raise keyring.errors.KeyringLocked("locked")

    monkeypatch.setattr(memory_keyring, "set_password", locked)
    dialog = open_settings(window)
    click("Add account", dialog)
    fill_account(dialog, "session", sandbox.endpoint, credentials)
    answer_next_message_box("Use for this session only")
    save_and_wait(dialog)
    session = "kept for this session only — leave empty to keep"
    assert placeholders_of("session") == (session, session)


# --- item 5 ---------------------------------------------------------------------------


def test_uploads_of_a_session_only_account_wait_for_its_keys_after_a_restart(
    open_window: Any,
    sandbox: Any,
    credentials: Credentials,
    memory_keyring: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    def locked(*_args: Any) -> None:
        raise keyring.errors.KeyringLocked("locked")

    monkeypatch.setattr(memory_keyring, "set_password", locked)
    driver = open_window()
    first = driver.window
    sandbox_endpoint_shown(first)
    click("Add a COS account", first)
    dialog = current_dialog()
    fill_account(dialog, "work", sandbox.endpoint, credentials)
    answer_next_message_box("Use for this session only")
    save_and_wait(dialog)
    assert find(QComboBox, UPLOAD_TO, first).currentText() == "work"

    slow_down(driver, 1 * MiB)
    size = 4 * MiB
    make_file(tmp_path / "movie.bin", size)
    driver.drop([tmp_path / "movie.bin"])
    wait_for_row_state(first, "movie.bin", "Uploading")
    close_and_pause(first)

    second = open_window().window
    assert find(QComboBox, UPLOAD_TO, second).currentText() == "work"
    assert find(QLineEdit, "Bucket", second).text() == TEST_BUCKET
    wait_for_row_state(second, "movie.bin", "Paused")
    banner = find(QFrame, "Keys needed", second)
    texts = " ".join(label.text() for label in banner.findChildren(QLabel))
    assert re.search(f"{ONE_UPLOAD} to account “work” needs? its keys", texts), texts
    row = next(row for row in rows_seen(second) if row["Name"] == "movie.bin")
    assert row["State"] == "Paused" and "needs the keys of account “work”" in row["Message"]

    type_into("SecretId", credentials.secret_id, banner)
    type_into("SecretKey", credentials.secret_key, banner)
    click("Resume uploads", banner)
    wait_until(lambda: not banner.isVisible(), 10, "the banner to go")
    wait_until(
        lambda: re.search(f"Resuming {ONE_UPLOAD} to “work”", second.statusBar().currentMessage()),
        5,
        "the status line",
    )
    # The keyring is still locked: said, and the keys serve this session.
    assert "kept for this session only" in second.statusBar().currentMessage()
    wait_for_row_state(second, "movie.bin", "Done")
    assert object_size(sandbox.endpoint, credentials, TEST_BUCKET, "movie.bin") == size


# --- automatic concurrency (issue 15) -------------------------------------------------


def test_files_and_parts_at_once_are_automatic_by_default_and_a_number_fixes_them(
    open_window: Any, tmp_path: Path
) -> None:
    driver = open_window()
    window = driver.window
    sandbox_endpoint_shown(window)

    dialog = open_settings(window)
    files_at_once = find(QSpinBox, "Files at once", dialog)
    assert files_at_once.text() == "Automatic"
    files_at_once.setFocus()
    files_at_once.selectAll()
    QTest.keyClicks(files_at_once, "4")
    save_and_wait(dialog)
    status = window.queue.concurrency_status()
    assert (status.files, status.files_automatic) == (4, False)

    # Back to Automatic: one step below 1, as the field shows it.
    dialog = open_settings(window)
    files_at_once = find(QSpinBox, "Files at once", dialog)
    assert files_at_once.text() == "4"
    files_at_once.setFocus()
    for _ in range(4):
        QTest.keyClick(files_at_once, Qt.Key.Key_Down)
    assert files_at_once.text() == "Automatic"
    save_and_wait(dialog)
    assert window.queue.concurrency_status().files_automatic

    # A file in flight says, in its details, how many go at once and how fast.
    slow_down(driver, 256 * 1024)
    make_file(tmp_path / "video.mp4", 8 * MiB)
    driver.drop([tmp_path / "video.mp4"])
    driver.wait_states(lambda rows: len(rows) == 1 and rows[0].state.value == "uploading")
    table = window.findChild(QTableView, "task-table")
    row = table.visualRect(table.model().index(0, 0)).center()
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=row)
    QTest.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=row)
    at_once = find(QLabel, "At once").buddy()
    assert isinstance(at_once, QLabel)
    wait_until(lambda: "Parts of this file: " in at_once.text(), 10, "the parts at once")
    lines = at_once.text().splitlines()
    # No small file has said yet how many pay: the files limit is where it starts.
    assert lines[0] == f"Files: {START_FILES} (automatic)"
    # 256 KiB/s feeds 2 parts, not the 16 a link without a limit gets (MIN_PART_RATE).
    assert lines[1] == "Parts of this file: 2 (automatic)"
    assert lines[2].startswith("Measured: ")
    at_once.window().close()
    slow_down(driver, 0)
    wait_for_row_state(window, "video.mp4", "Done")


def test_the_accounts_if_the_object_exists_is_said_to_be_the_command_lines_and_the_window_still_asks(
    sandbox: Any, credentials: Credentials, open_window: Any, tmp_path: Path
) -> None:
    # Settings held two choices for a file already in the bucket: the account's
    # "If the object exists" and All uploads' "When added files are already
    # there". Set the first to Skip and the window asked all the same: that
    # choice is cosdesk upload --profile's, and now says so.
    save_profile(sandbox, credentials, conflict_policy="skip")
    driver = open_window()
    window = driver.window
    dialog = open_settings(window)
    account_choice = find(QComboBox, "If the object exists (cosdesk upload)", dialog)
    assert account_choice.currentText() == "Skip"
    assert "cosdesk upload --profile" in account_choice.toolTip()
    assert "“When added files are already there” under All uploads decides" in " ".join(
        account_choice.toolTip().split()
    )
    window_choice = find(QComboBox, "When added files are already there", dialog)
    assert window_choice.currentText() == "Ask every time"
    click("Cancel", dialog)

    with CosClient(credentials, Endpoint.custom(sandbox.endpoint, path_style=True)) as client:
        client.put_object(TEST_BUCKET, "notes.txt", b"put there before")
    asked: list[str] = []
    answer_next_message_box("Overwrite", asked)
    notes = make_file(tmp_path / "notes.txt", 300)
    driver.drop([notes])
    wait_until(lambda: bool(asked), 15, "the question about the file already there")
    assert asked[0].startswith("Files already there\n"), asked
    wait_for_row_state(window, "notes.txt", "Done")
    with CosClient(credentials, Endpoint.custom(sandbox.endpoint, path_style=True)) as client:
        assert client.get_object(TEST_BUCKET, "notes.txt").content == notes.read_bytes()
