"""Accounts: the settings dialog, the keyring, testing a connection, and the first run."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from cosdesk import config
from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.engine.task import TaskState
from cosdesk.ui.accounts import SANDBOX_BUCKET, SANDBOX_KEYS

from .conftest import (
    TEST_BUCKET,
    TEST_REGION,
    WindowDriver,
    click_save,
    make_file,
    save_profile,
    when_a_message_box_opens,
)


def fill_account(
    dialog: Any, sandbox: Any, secret_id: str, secret_key: str, bucket: str = TEST_BUCKET
) -> None:
    dialog.name.setText("work")
    dialog.secret_id.setText(secret_id)
    dialog.secret_key.setText(secret_key)
    dialog.region.setCurrentText(TEST_REGION)
    dialog.bucket.setText(bucket)
    dialog.endpoint.setText(sandbox.endpoint)
    dialog.path_style.setChecked(True)
    dialog.use_https.setChecked(False)
    dialog.parallel_files.setValue(4)
    dialog.bandwidth.setValue(5)


def test_first_run_uploads_to_the_local_sandbox_right_away(open_window: Any, tmp_path: Path) -> None:
    driver: WindowDriver = open_window()
    window = driver.window
    driver.qtbot.waitUntil(lambda: window.destination() is not None, timeout=10_000)
    destination = window.destination()
    assert destination.is_sandbox and destination.bucket == SANDBOX_BUCKET
    assert window.destination_bar.account.currentText() == "Local sandbox"
    assert "Local sandbox" in window.windowTitle()
    assert window.stack.currentWidget() is window.empty_hint
    assert "local sandbox" in window.empty_hint.detail.text()
    assert Path(os.environ["COSDESK_DATA_DIR"], "sandbox").is_dir()
    # The server child process logs to a file of its own, never to the window's.
    log_dir = Path(os.environ["COSDESK_LOG_DIR"])
    assert "cosdesk " in (log_dir / "sandbox.log").read_text(encoding="utf-8")
    assert not (log_dir / "cosdesk.log").exists()

    make_file(tmp_path / "hello.txt", 12)
    driver.drop([tmp_path / "hello.txt"])
    driver.wait_all(TaskState.SUCCESS, 1)
    sandbox_url = window.session.sandbox.endpoint
    endpoint = Endpoint.custom(sandbox_url, path_style=True, region=destination.endpoint.region)
    with CosClient(SANDBOX_KEYS.get(), endpoint) as client:
        assert client.head_object(SANDBOX_BUCKET, "hello.txt").content_length == 12


def test_a_damaged_task_database_is_explained_and_nothing_starts(qtbot: Any, tmp_path: Path) -> None:
    import argparse
    import threading

    from cosdesk.ui.app import open_window

    damaged = tmp_path / "tasks.sqlite3"
    damaged.write_bytes(b"not a database " * 100)
    shown: list[str] = []

    def read_and_close(box: QMessageBox) -> None:
        shown.extend([box.windowTitle(), box.text(), box.informativeText()])
        box.accept()

    when_a_message_box_opens(read_and_close)
    assert open_window(argparse.Namespace(db=damaged, sandbox=False)) is None
    title, text, details = shown
    assert (title, text) == (
        QApplication.applicationDisplayName(),
        "cosdesk cannot open its list of uploads.",
    )
    assert details.startswith(f"Cannot open the task database {damaged}: file is not a database")
    assert "move it away" in details and "--db FILE" in details
    assert not any(t.name == "cosdesk-task-store" and t.is_alive() for t in threading.enumerate())


def test_settings_keep_the_secret_in_the_keyring_and_never_in_the_config_file(
    sandbox: Any, credentials: Credentials, open_window: Any, memory_keyring: Any
) -> None:
    driver: WindowDriver = open_window(start_sandbox=False)
    window = driver.window
    dialog = window.open_settings(add=True)
    fill_account(dialog, sandbox, credentials.secret_id, credentials.secret_key)
    click_save(driver.qtbot, dialog)

    text = (Path(os.environ["COSDESK_CONFIG_DIR"]) / "config.json").read_text()
    assert credentials.secret_key not in text and credentials.secret_id not in text
    stored = json.loads(text)
    assert stored["active_profile"] == "work"
    assert stored["transfers"]["parallel_files"] == 4
    assert stored["transfers"]["bandwidth_limit_bytes_per_s"] == 5 * 1024 * 1024
    # Copied into the profile, where ``cosdesk upload --profile`` reads them.
    assert stored["profiles"][0]["parallel_files"] == 4
    assert config.load_credentials("work") == credentials
    assert any(credentials.secret_key in value for value in memory_keyring.passwords.values())
    # The window now uploads with the new account.
    assert window.destination_bar.current_account() == "work"
    assert window.destination().bucket == TEST_BUCKET


def test_test_connection_runs_off_the_gui_thread_and_explains_failures(
    sandbox: Any, credentials: Credentials, open_window: Any
) -> None:
    driver: WindowDriver = open_window(start_sandbox=False)
    dialog = driver.window.open_settings(add=True)
    qtbot = driver.qtbot

    def result_after_test() -> str:
        dialog.test_result.clear()
        dialog.test_connection()
        qtbot.waitUntil(lambda: dialog.test_result.text()[:1] in ("✔", "✖"), timeout=15_000)
        return dialog.test_result.text()

    fill_account(dialog, sandbox, credentials.secret_id, credentials.secret_key)
    assert result_after_test().startswith("✔ Connected")
    fill_account(dialog, sandbox, credentials.secret_id, "wrong-secret")
    answer = result_after_test()
    assert "Wrong key" in answer and "SignatureDoesNotMatch" in answer
    fill_account(dialog, sandbox, credentials.secret_id, credentials.secret_key, bucket="nosuch-1250000000")
    assert "No such bucket" in result_after_test()
    fill_account(dialog, sandbox, credentials.secret_id, credentials.secret_key)
    dialog.endpoint.setText("http://127.0.0.1:9")  # nothing listens on the discard port
    assert "Network problem" in result_after_test()
    dialog.reject()


def test_a_locked_keyring_asks_and_never_writes_the_key_to_a_file(
    sandbox: Any, credentials: Credentials, open_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver: WindowDriver = open_window(start_sandbox=False)
    window = driver.window

    def locked(*_args: Any) -> None:
        raise keyring.errors.KeyringLocked("locked")

    monkeypatch.setattr(keyring.get_keyring(), "set_password", locked)
    dialog = window.open_settings(add=True)
    fill_account(dialog, sandbox, credentials.secret_id, credentials.secret_key)
    asked: list[str] = []

    def answer_session_only(box: QMessageBox) -> None:
        asked.append(box.text() + box.informativeText())
        next(b for b in box.buttons() if b.text() == "Use for this session only").click()

    when_a_message_box_opens(answer_session_only)  # once the keyring has said no
    click_save(driver.qtbot, dialog)

    assert asked and "locked" in asked[0] and "never writes keys to a file" in asked[0]
    text = (Path(os.environ["COSDESK_CONFIG_DIR"]) / "config.json").read_text()
    assert credentials.secret_key not in text
    assert window.session.secrets.get("work") == credentials
    # The session-only keys upload.
    make_file(Path(os.environ["COSDESK_DATA_DIR"]) / "in" / "x.txt", 10)
    window.add_paths([str(Path(os.environ["COSDESK_DATA_DIR"]) / "in" / "x.txt")])
    driver.wait_all(TaskState.SUCCESS, 1)


def test_window_state_and_filter_are_remembered(
    sandbox: Any, credentials: Credentials, open_window: Any
) -> None:
    save_profile(sandbox, credentials)
    first = open_window()
    first.window.filter_bar.set_current(first.window.filter_bar.current().__class__.FAILED)
    first.window.table.horizontalHeader().resizeSection(0, 333)
    first.window.shutdown()
    second = open_window()
    assert second.window.filter_bar.current().name == "FAILED"
    assert second.window.table.horizontalHeader().sectionSize(0) == 333
