"""Keeping a window wholly on a screen this computer has now.

A geometry saved on a larger or a second monitor, or the default size on a small
screen, would put part of the window (its status bar, its title bar) out of reach:
with no window manager to drag it back, the user cannot get at it at all.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# Room left around the window for what the window manager adds (a title bar above,
# thin borders), which is not part of a window's geometry before it is first shown.
DECORATION = QMargins(4, 32, 4, 4)


def fit_on_screen(window: QWidget) -> None:
    """Shrink and move ``window`` (its geometry, before or after it is shown) so it
    lies on the available area of the screen it is mostly on, or of the primary
    screen when it is on none. A maximised or full-screen window is left alone."""
    if window.windowState() & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
        return
    current = window.geometry()
    screen = QGuiApplication.screenAt(current.center()) or QGuiApplication.primaryScreen()
    if screen is None:
        return
    area = screen.availableGeometry().marginsRemoved(DECORATION)
    fitted = fitted_rect(current, area, window.minimumWidth(), window.minimumHeight())
    if window.testAttribute(Qt.WidgetAttribute.WA_Moved):
        if fitted != current:
            window.setGeometry(fitted)
    elif fitted.size() != current.size():
        # Never placed (no saved geometry): the window manager chooses where.
        window.resize(fitted.size())


def fitted_rect(rect: QRect, area: QRect, min_width: int = 0, min_height: int = 0) -> QRect:
    """``rect`` made no larger than ``area`` (but not below the minimum size) and
    moved the least distance that puts it inside ``area`` (its top-left corner
    first when it cannot fit)."""
    width = max(min(rect.width(), area.width()), min_width)
    height = max(min(rect.height(), area.height()), min_height)
    left = min(max(rect.left(), area.left()), area.left() + area.width() - width)
    top = min(max(rect.top(), area.top()), area.top() + area.height() - height)
    return QRect(max(left, area.left()), max(top, area.top()), width, height)
