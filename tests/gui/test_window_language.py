"""Languages: the window in Simplified Chinese, the language setting, and numbers
written the way the locale writes them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QDialogButtonBox

from cosdesk import config
from cosdesk.engine import meter
from cosdesk.engine.task import TaskState
from cosdesk.ui.batch_status import BatchStatus
from cosdesk.ui.formatting import format_percent, format_size, format_speed, state_label
from cosdesk.ui.languages import install_translators, installed_language, remove_translators
from cosdesk.ui.task_model import Column

from .conftest import WindowDriver, click_save, make_file, save_profile

MiB = 1024 * 1024


@pytest.fixture
def language(qapp: Any) -> Iterator[Any]:
    """Switch the application's language as app.run() does at start; back after."""
    before = QLocale()

    def switch(code: str) -> QLocale:
        return install_translators(qapp, code)

    yield switch
    remove_translators(qapp)
    QLocale.setDefault(before)


def test_the_window_speaks_chinese_when_the_language_is_zh_cn(
    language: Any, open_window: Any, tmp_path: Path
) -> None:
    assert language("zh_CN").name() == "zh_CN"
    assert installed_language() == "zh_CN"
    driver: WindowDriver = open_window()
    window = driver.window

    assert window.add_files_action.text() == "添加文件…"  # the menu: a dialog asks which
    assert window.add_files_action.iconText() == "添加文件"  # the toolbar
    assert window.pause_all_action.text() == "全部暂停"
    assert window.settings_action.text() == "设置"
    header = window.model.headerData
    assert header(Column.KEY, Qt.Orientation.Horizontal) == "对象键"
    assert header(Column.STATE, Qt.Orientation.Horizontal) == "状态"
    assert window.empty_hint.headline.text() == "正在读取上传列表…"  # the stored tasks, first
    invitation = "将文件或文件夹拖放到此处"
    driver.qtbot.waitUntil(lambda: window.empty_hint.headline.text() == invitation, timeout=10_000)
    assert window.filter_bar.tabs.tabText(0) == "全部  0"
    driver.qtbot.waitUntil(lambda: window.destination() is not None, timeout=10_000)
    assert window.destination_bar.account.currentText() == "本地沙盒"
    assert "本地沙盒" in window.empty_hint.detail.text()

    make_file(tmp_path / "你好.txt", 12)
    driver.drop([tmp_path / "你好.txt"])
    driver.wait_all(TaskState.SUCCESS, 1)
    row = window.model.row_of(driver.snapshots()[0].task_id)
    assert window.model.index(row, Column.STATE).data() == "已完成"
    assert window.model.index(row, Column.SIZE).data() == "12 B"
    assert window.files_label.text() == "1 / 1 个文件"


def test_qt_standard_buttons_and_the_settings_dialog_are_chinese_too(language: Any, open_window: Any) -> None:
    language("zh_CN")
    driver: WindowDriver = open_window(start_sandbox=False)
    dialog = driver.window.open_settings(add=True)
    buttons = dialog.buttons
    assert buttons.button(QDialogButtonBox.StandardButton.Save).text() == "保存"
    assert buttons.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"
    assert dialog.name.text() == "账号 1"
    assert dialog.storage_class.currentText() == "标准存储"
    assert dialog.storage_class.currentData() == "STANDARD"
    assert dialog.language.itemText(0) == "跟随系统"
    assert dialog.slice_size.suffix() == " MiB"  # binary units keep their names in Chinese
    dialog.reject()


def test_the_language_chosen_in_settings_is_saved_for_the_next_start(open_window: Any) -> None:
    driver: WindowDriver = open_window(start_sandbox=False)
    dialog = driver.window.open_settings(add=True)
    assert dialog.language.currentData() == ""  # follows the system until chosen
    assert "next time cosdesk starts" in dialog.language_note.text()
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    assert dialog.language.currentText() == "简体中文"
    click_save(driver.qtbot, dialog)

    stored = json.loads((Path(os.environ["COSDESK_CONFIG_DIR"]) / "config.json").read_text())
    assert stored["language"] == "zh_CN"
    assert config.load_settings().language == "zh_CN"
    from cosdesk.ui.app import configured_language

    assert configured_language() == "zh_CN"


def test_english_and_an_unknown_language_install_no_catalog(language: Any) -> None:
    language("en")
    assert installed_language() == ""
    language("fr_FR")  # no cosdesk_fr.qm: the window stays English, Qt's dialogs too
    assert installed_language() == ""
    assert state_label(TaskState.UPLOADING) == "Uploading"


def test_sizes_and_speeds_keep_their_binary_unit_names_and_use_the_locales_digits(language: Any) -> None:
    language("zh_CN")
    # The same number reads the same in every language: binary units by their IEC names.
    assert format_size(1.5 * MiB) == "1.5 MiB"
    assert format_speed(12.5 * MiB) == "12.5 MiB/s"
    assert state_label(TaskState.PAUSED) == "已暂停"
    QLocale.setDefault(QLocale("de_DE"))  # the digits are the locale's
    assert format_size(1.5 * MiB) == "1,5 MiB"
    assert format_percent(0.425, 1) == "42,5%"


def test_without_a_locale_the_window_formats_exactly_like_the_engine(language: Any) -> None:
    language("en")
    QLocale.setDefault(QLocale.c())
    for byte_count in (0, 1, 1023, 1024, 1536, 10**6, 1023.96 * 1024, 3 * 10**9, 5 * 2**40, 10**16):
        assert format_size(byte_count) == meter.format_size(byte_count)
        assert format_speed(byte_count) == meter.format_speed(byte_count)


@pytest.mark.parametrize("code", ["en", "", "fr_FR"])
def test_english_counts_read_as_singular_and_plural(
    language: Any, open_window: Any, sandbox: Any, credentials: Any, tmp_path: Path, code: str
) -> None:
    language(code)
    save_profile(sandbox, credentials)
    driver: WindowDriver = open_window()
    window = driver.window
    assert BatchStatus().tr("%n file(s) uploaded.", None, 1) == "1 file uploaded."
    assert BatchStatus().tr("%n file(s) uploaded.", None, 3) == "3 files uploaded."
    assert window.rows._validity_text(24 * 3600) == "1 day"
    assert window.rows._validity_text(7 * 24 * 3600) == "7 days"
    assert window.rows._validity_text(3600) == "1 hour"

    # What a user sees: two dropped things that cannot be uploaded.
    driver.drop([tmp_path / "missing-a.txt"])
    driver.qtbot.waitUntil(lambda: window.problem_box is not None, timeout=5000)
    assert window.problem_box.text() == "1 item could not be added:"
    window.problem_box.close()
    window.problem_box = None
    driver.drop([tmp_path / "missing-b.txt", tmp_path / "missing-c.txt"])
    driver.qtbot.waitUntil(lambda: window.problem_box is not None, timeout=5000)
    assert window.problem_box.text() == "2 items could not be added:"


def test_chinese_counts_have_no_plural_marks(language: Any, open_window: Any) -> None:
    language("zh_CN")
    window = open_window(start_sandbox=False).window
    assert BatchStatus().tr("%n file(s) uploaded.", None, 1) == "已上传 1 个文件。"
    assert "(s)" not in window.rows._validity_text(3600)
