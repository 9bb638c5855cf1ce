"""The progress column's bars: small pixmaps that the table's own (C++) delegate
draws next to the percentage.

A Python delegate painting a style progress bar in every visible cell made ~35
calls into Qt per cell and repaint. Each call hands the GIL to the engine's
threads and then waits to get it back, so repainting the table became the largest
share of the window's stalls while uploads ran (tests/bench/test_gui_stall.py:
60-101 ms with that delegate, 37-64 ms with none). Here a bar is drawn once per
whole percent and look, with the style and palette of that moment, and every row
at that percent shares it: painting the table runs no Python. When the palette
changes the window forgets them and gives every row a bar drawn anew.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionProgressBar

from cosdesk.engine.task import TaskState
from cosdesk.ui.palette import error_color

BAR_WIDTH = 64


class BarLook(enum.Enum):
    ACTIVE = "active"
    DIM = "dim"  # waiting, paused, canceled
    FAILED = "failed"


def look_for(state: TaskState) -> BarLook:
    if state is TaskState.ERROR:
        return BarLook.FAILED
    if state in (TaskState.PAUSED, TaskState.CANCELED, TaskState.WAITING):
        return BarLook.DIM
    return BarLook.ACTIVE


_cache: dict[tuple[int, BarLook], QPixmap] = {}


def forget_drawn_bars() -> None:
    """After a palette change: bars are drawn again, in the new colours, when next asked for."""
    _cache.clear()


def progress_bar(fraction: float, state: TaskState) -> QPixmap:
    """The bar for ``fraction`` (0..1) of a task in ``state``. GUI thread only
    (pixmaps belong to it). A dictionary lookup once drawn: the model asks for every
    row it stores, and each call into Qt costs a GIL round trip."""
    # Whole percents, rounded down: a bar shows full only when the task is done.
    key = (int(max(0.0, min(1.0, fraction)) * 100), look_for(state))
    pixmap = _cache.get(key)
    if pixmap is None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        height = max(8, QFontMetrics(app.font()).height() - 5)
        pixmap = _cache[key] = _draw(key[0], key[1], app.palette(), app.devicePixelRatio(), height)
    return pixmap


def _draw(percent: int, look: BarLook, palette: QPalette, ratio: float, height: int) -> QPixmap:
    pixmap = QPixmap(round(BAR_WIDTH * ratio), round(height * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    bar = QStyleOptionProgressBar()
    bar.rect = QRect(0, 0, BAR_WIDTH, height)
    bar.minimum = 0
    bar.maximum = 100
    bar.progress = percent
    bar.textVisible = False
    bar.state = QStyle.StateFlag.State_Horizontal | QStyle.StateFlag.State_Enabled
    bar.palette = QPalette(palette)
    if look is BarLook.DIM:
        bar.state = QStyle.StateFlag.State_Horizontal
        bar.palette.setCurrentColorGroup(QPalette.ColorGroup.Disabled)
    elif look is BarLook.FAILED:
        bar.palette.setColor(QPalette.ColorRole.Highlight, error_color(palette))
    painter = QPainter(pixmap)
    try:
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
    finally:
        painter.end()
    return pixmap
