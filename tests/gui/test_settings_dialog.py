"""The Settings dialog while it saves: the keyring and config.json are written off
the GUI thread, failures keep the dialog open, and the window works after it."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import keyring.errors
import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QMessageBox

from cosdesk import config
from cosdesk.cos.auth import Credentials
from cosdesk.engine.task import TaskState

from .conftest import PROFILE, MiB, WindowDriver, make_file, slow_down, when_a_message_box_opens
from .test_window_settings import fill_account


def save_button(dialog: Any) -> Any:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Save)


def results_of(dialog: Any) -> list[int]:
    """The dialog's finished() results, recorded (it deletes itself on close)."""
    results: list[int] = []
    dialog.finished.connect(results.append)
    return results


ACCEPTED = QDialog.DialogCode.Accepted.value


def config_text() -> str:
    path = Path(os.environ["COSDESK_CONFIG_DIR"]) / "config.json"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


class TimerTicks:
    """Counts a 10 ms QTimer on the GUI thread: it only fires while the thread is free."""

    def __init__(self) -> None:
        self.count = 0
        self.longest_gap_ms = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        if self.count:
            self.longest_gap_ms = max(self.longest_gap_ms, self._clock.elapsed())
        self._clock.start()
        self.count += 1

    def start(self) -> None:
        self._clock.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()


def test_save_waits_for_a_slow_keyring_off_the_gui_thread(
    sandbox: Any, credentials: Credentials, open_window: Any, memory_keyring: Any, monkeypatch: Any
) -> None:
    driver: WindowDriver = open_window(start_sandbox=False)
    qtbot = driver.qtbot
    entered, release = threading.Event(), threading.Event()
    store = memory_keyring.set_password

    def blocking_set_password(service: str, username: str, password: str) -> None:
        entered.set()  # like a keyring waiting for its unlock prompt
        release.wait(10)
        store(service, username, password)

    monkeypatch.setattr(memory_keyring, "set_password", blocking_set_password)
    # Released from another thread: with Save on the GUI thread the test still ends.
    releaser = threading.Timer(1.5, release.set)
    releaser.start()
    try:
        dialog = driver.window.open_settings(add=True)
        fill_account(dialog, sandbox, credentials.secret_id, credentials.secret_key)
        results = results_of(dialog)
        ticks = TimerTicks()
        ticks.start()
        save_button(dialog).click()
        assert entered.wait(5)
        qtbot.waitUntil(release.is_set, timeout=5000)
        ticks.stop()
        # The window kept running while the keyring was blocked, and said it was saving.
        assert ticks.count >= 50, ticks.count
        assert ticks.longest_gap_ms < 500, ticks.longest_gap_ms
    finally:
        release.set()
        releaser.cancel()
    qtbot.waitUntil(lambda: results == [ACCEPTED], timeout=5000)
    assert config.load_credentials("work") == credentials
    text = config_text()
    assert '"work"' in text
    assert credentials.secret_key not in text and credentials.secret_id not in text
    assert driver.window.destination_bar.current_account() == "work"


def test_while_saving_the_dialog_shows_it_and_cannot_be_cancelled(
    sandbox: Any, credentials: Credentials, open_window: Any, memory_keyring: Any, monkeypatch: Any
) -> None:
    driver: WindowDriver = open_window(start_sandbox=False)
    release = threading.Event()
    store = memory_keyring.set_password

    def blocking_set_password(service: str, username: str, password: str) -> None:
        release.wait(10)
        store(service, username, password)

    monkeypatch.setattr(memory_keyring, "set_password", blocking_set_password)
    dialog = driver.window.open_settings(add=True)
    fill_account(dialog, sandbox, credentials.secret_id, credentials.secret_key)
    results = results_of(dialog)
    try:
        save_button(dialog).click()
        assert dialog.is_saving()
        assert save_button(dialog).text() == "Saving…" and not save_button(dialog).isEnabled()
        assert not dialog.form_panel.isEnabled() and not dialog.profile_list.isEnabled()
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
        dialog.reject()
        assert dialog.isVisible()
    finally:
        release.set()
    driver.qtbot.waitUntil(lambda: results == [ACCEPTED], timeout=5000)


def test_a_locked_keyring_can_be_retried_without_a_plaintext_fallback(
    sandbox: Any, credentials: Credentials, open_window: Any, memory_keyring: Any, monkeypatch: Any
) -> None:
    driver: WindowDriver = open_window(start_sandbox=False)
    store = memory_keyring.set_password
    attempts: list[str] = []

    def locked_once(service: str, username: str, password: str) -> None:
        attempts.append(username)
        if len(attempts) == 1:
            raise keyring.errors.KeyringLocked("locked")
        store(service, username, password)

    monkeypatch.setattr(memory_keyring, "set_password", locked_once)
    dialog = driver.window.open_settings(add=True)
    fill_account(dialog, sandbox, credentials.secret_id, credentials.secret_key)
    results = results_of(dialog)
    questions: list[list[str]] = []

    def try_again(box: QMessageBox) -> None:
        questions.append([button.text() for button in box.buttons()])
        next(b for b in box.buttons() if b.text() == "Try again").click()

    when_a_message_box_opens(try_again)
    save_button(dialog).click()
    driver.qtbot.waitUntil(lambda: results == [ACCEPTED], timeout=5000)
    assert sorted(questions[0]) == sorted(["Try again", "Use for this session only", "Cancel"])
    assert attempts == ["work", "work"]
    assert config.load_credentials("work") == credentials
    assert credentials.secret_key not in config_text()
    assert driver.window.session.secrets.get("work") is None


def test_an_unwritable_settings_file_keeps_the_dialog_open(
    sandbox: Any, credentials: Credentials, open_window: Any
) -> None:
    driver: WindowDriver = open_window(start_sandbox=False)
    dialog = driver.window.open_settings(add=True)
    fill_account(dialog, sandbox, credentials.secret_id, credentials.secret_key)
    results = results_of(dialog)
    # config.json cannot replace a folder of that name: os.replace raises an OSError.
    (Path(os.environ["COSDESK_CONFIG_DIR"]) / "config.json").mkdir(parents=True)
    shown: list[str] = []

    def close_the_error(box: QMessageBox) -> None:
        # The title is the app's name alone; the box's text says what happened.
        assert box.windowTitle() == QApplication.applicationDisplayName()
        shown.append(f"{box.text()}: {box.informativeText()}")
        box.accept()

    when_a_message_box_opens(close_the_error)
    save_button(dialog).click()
    driver.qtbot.waitUntil(lambda: bool(shown) and not dialog.is_saving(), timeout=5000)
    assert shown[0].startswith("Settings not saved: Cannot write the settings file")
    assert dialog.isVisible() and not results
    assert save_button(dialog).isEnabled() and save_button(dialog).text() == "Save"
    dialog.reject()


def test_the_account_list_follows_the_name_as_it_is_typed(open_window: Any) -> None:
    driver: WindowDriver = open_window(start_sandbox=False)
    dialog = driver.window.open_settings(add=True)
    results = results_of(dialog)
    dialog.add_profile()
    assert [dialog.profile_list.item(r).text() for r in range(2)] == ["Account 1", "Account 2"]
    dialog.name.selectAll()
    QTest.keyClicks(dialog.name, "Backups")
    assert dialog.profile_list.currentItem().text() == "Backups"
    assert not dialog.name_problem.isVisible()

    # A name another account has: said at once, and refused when leaving the account.
    dialog.name.selectAll()
    QTest.keyClicks(dialog.name, "Account 1")
    assert dialog.name_problem.isVisible()
    assert dialog.name_problem.text() == "An account with this name already exists."
    warnings: list[str] = []

    def close_warning(box: QMessageBox) -> None:
        warnings.append(box.text())
        box.accept()

    when_a_message_box_opens(close_warning)
    dialog.profile_list.setCurrentRow(0)
    assert warnings == ["An account with this name already exists."]
    assert dialog.profile_list.currentRow() == 1

    # An empty name: the same.
    dialog.name.selectAll()
    QTest.keyClick(dialog.name, Qt.Key.Key_Backspace)
    assert dialog.name_problem.text() == "Enter a name for the account."
    when_a_message_box_opens(close_warning)
    dialog.accept()
    assert warnings[-1] == "Enter a name for the account."
    assert not dialog.is_saving()

    QTest.keyClicks(dialog.name, "Archive")
    dialog.profile_list.setCurrentRow(0)
    names = [dialog.profile_list.item(r).text() for r in range(2)]
    assert names == ["Account 1", "Archive"]
    dialog.accept()
    driver.qtbot.waitUntil(lambda: results == [ACCEPTED], timeout=5000)
    assert sorted(config.load_settings().profiles) == ["Account 1", "Archive"]


@pytest.mark.parametrize("close", ["cancel", "save"])
def test_space_pauses_the_selected_row_after_settings_closes(
    account_window: WindowDriver, tmp_path: Path, close: str
) -> None:
    driver = account_window
    window = driver.window
    slow_down(driver, 1 * MiB)
    make_file(tmp_path / "one.bin", 8 * MiB)
    window.add_paths([str(tmp_path / "one.bin")])
    driver.wait_rows(1)
    window.activateWindow()
    window.table.setFocus()
    driver.select_keys("one.bin")

    try:
        dialog = window.open_settings()
        results = results_of(dialog)
        driver.qtbot.waitUntil(dialog.isVisible, timeout=3000)
        if close == "cancel":
            QTest.keyClick(dialog, Qt.Key.Key_Escape)
        else:
            dialog.bandwidth.setValue(1)  # saving applies the account's limit: keep it slow
            save_button(dialog).click()
        driver.qtbot.waitUntil(lambda: len(results) == 1, timeout=5000)

        assert QApplication.focusWidget() is window.table
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
        driver.wait_states(lambda rows: driver.by_key()["one.bin"].state is TaskState.PAUSED)
        QTest.keyClick(window.table, Qt.Key.Key_Space)
        driver.wait_states(lambda rows: driver.by_key()["one.bin"].state is not TaskState.PAUSED)
    finally:
        # No upload left running: closing the window would ask what to do with it.
        window.queue.pause(None)
        driver.wait_states(lambda rows: all(s.state.is_final or s.state.is_resumable for s in rows))


def test_a_presigned_url_waits_for_the_keyring_off_the_gui_thread(
    account_window: WindowDriver, tmp_path: Path, memory_keyring: Any, monkeypatch: Any
) -> None:
    driver = account_window
    window = driver.window
    make_file(tmp_path / "share.txt", 100)
    window.add_paths([str(tmp_path / "share.txt")])
    driver.wait_all(TaskState.SUCCESS, 1)
    driver.select_keys("share.txt")
    release = threading.Event()
    read = memory_keyring.get_password

    def blocking_get_password(service: str, username: str) -> str | None:
        release.wait(10)  # a locked keyring's unlock prompt
        return read(service, username)

    monkeypatch.setattr(memory_keyring, "get_password", blocking_get_password)
    releaser = threading.Timer(1.0, release.set)
    releaser.start()
    ticks = TimerTicks()
    try:
        ticks.start()
        window.rows.copy_presigned(3600)
        driver.qtbot.waitUntil(release.is_set, timeout=5000)
        ticks.stop()
        assert ticks.count >= 30 and ticks.longest_gap_ms < 500, (ticks.count, ticks.longest_gap_ms)
    finally:
        release.set()
        releaser.cancel()
    driver.qtbot.waitUntil(lambda: "q-signature=" in QGuiApplication.clipboard().text(), timeout=5000)


def rename_current_account(dialog: Any, new_name: str) -> None:
    dialog.name.selectAll()
    QTest.keyClicks(dialog.name, new_name)


def test_renaming_a_saved_account_moves_its_keys_and_uploads_go_on(
    account_window: WindowDriver, credentials: Credentials, tmp_path: Path
) -> None:
    driver = account_window
    dialog = driver.window.open_settings()
    assert dialog.profile_list.currentItem().text() == PROFILE
    assert not dialog.name.isReadOnly()
    rename_current_account(dialog, "work")
    assert dialog.profile_list.currentItem().text() == "work"
    results = results_of(dialog)
    save_button(dialog).click()
    driver.qtbot.waitUntil(lambda: results == [ACCEPTED], timeout=5000)

    settings = config.load_settings()
    assert list(settings.profiles) == ["work"] and settings.active_profile == "work"
    assert config.load_credentials("work") == credentials
    assert config.load_credentials(PROFILE) is None  # moved, not copied
    assert driver.window.destination_bar.current_account() == "work"
    # The window finds the keys under the new name.
    driver.window.add_paths([str(make_file(tmp_path / "after-rename.bin", 1000))])
    driver.wait_all(TaskState.SUCCESS, 1)


def test_keys_that_cannot_be_moved_keep_the_account_as_it_was(
    account_window: WindowDriver, credentials: Credentials, memory_keyring: Any, monkeypatch: Any
) -> None:
    driver = account_window

    def locked(service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("locked")

    dialog = driver.window.open_settings()
    rename_current_account(dialog, "work")
    results = results_of(dialog)
    shown: list[str] = []

    def close_the_error(box: QMessageBox) -> None:
        # The title is the app's name alone; the box's text says what happened.
        assert box.windowTitle() == QApplication.applicationDisplayName()
        shown.append(f"{box.text()}: {box.informativeText()}")
        box.accept()

    with monkeypatch.context() as patch:
        patch.setattr(memory_keyring, "get_password", locked)
        when_a_message_box_opens(close_the_error)
        save_button(dialog).click()
        driver.qtbot.waitUntil(lambda: bool(shown) and not dialog.is_saving(), timeout=5000)
    assert shown == [
        f"Account not renamed: The keys of “{PROFILE}” cannot be moved to its new name “work”: "
        "cannot read the keys: the system keyring is locked"
    ]
    assert dialog.isVisible() and not results
    assert list(config.load_settings().profiles) == [PROFILE]
    assert config.load_credentials(PROFILE) == credentials
    assert config.load_credentials("work") is None
    dialog.reject()
