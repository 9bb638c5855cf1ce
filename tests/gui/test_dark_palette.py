"""A dark desktop theme: what is drawn in fixed colours must stay readable on it,
and a switch while the window is open redraws it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette

from cosdesk.engine.task import TaskState
from cosdesk.ui.icons import icon, state_icon
from cosdesk.ui.progress_bars import progress_bar
from cosdesk.ui.task_model import Column

from .conftest import WindowDriver, make_file

DARK_WINDOW = QColor("#2b2b2b")


def lightest(drawn: QIcon) -> int:
    image = drawn.pixmap(24, 24).toImage()
    pixels = (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height()))
    return max((color.lightness() for color in pixels if color.alpha() > 200), default=0)


def dark_version(palette: QPalette) -> QPalette:
    dark = QPalette(palette)
    dark.setColor(QPalette.ColorRole.Window, DARK_WINDOW)
    return dark


def test_plain_icons_stay_visible_on_a_dark_palette(qapp: Any) -> None:
    before = qapp.palette()
    light_settings = lightest(icon("settings"))
    qapp.setPalette(dark_version(before))
    try:
        # The slate grey that reads on a light toolbar is lightened on a dark one.
        assert lightest(icon("settings")) > 170 > light_settings
        assert lightest(icon("account")) > 170
    finally:
        qapp.setPalette(before)


def test_switching_to_dark_while_open_redraws_icons_and_bars(
    qapp: Any, account_window: WindowDriver, tmp_path: Path
) -> None:
    driver = account_window
    window, model = driver.window, driver.model
    window.add_paths([str(make_file(tmp_path / "a.bin", 1000))])
    driver.wait_all(TaskState.SUCCESS, 1)
    bar = model.index(0, Column.PROGRESS)
    state = model.index(0, Column.STATE)
    driver.qtbot.waitUntil(lambda: bar.data() == "100%", timeout=5000)
    light_bar = bar.data(Qt.ItemDataRole.DecorationRole).cacheKey()
    light_state = state.data(Qt.ItemDataRole.DecorationRole).cacheKey()
    assert lightest(window.settings_action.icon()) < 170

    before = qapp.palette()
    qapp.setPalette(dark_version(before))
    try:
        # The table's bar and icon are the ones drawn for the dark palette ...
        driver.qtbot.waitUntil(
            lambda: (
                bar.data(Qt.ItemDataRole.DecorationRole).cacheKey()
                == progress_bar(1.0, TaskState.SUCCESS).cacheKey()
                != light_bar
            ),
            timeout=5000,
        )
        new_state = state.data(Qt.ItemDataRole.DecorationRole).cacheKey()
        assert new_state == state_icon(TaskState.SUCCESS).cacheKey() != light_state
        # ... and the toolbar's and the destination bar's grey icons are lightened.
        assert lightest(window.settings_action.icon()) > 170
        assert lightest(window.destination_bar.manage.icon()) > 170
        assert lightest(window.destination_bar.account.itemIcon(0)) > 170
    finally:
        qapp.setPalette(before)
    driver.qtbot.waitUntil(lambda: lightest(window.settings_action.icon()) < 170, timeout=5000)
