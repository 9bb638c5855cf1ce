"""Message boxes that read whole on any desktop.

Qt's X11 and Windows backends append " — <application display name>" to every
window title that does not already end with it, and a message box is narrow: a
descriptive title ("Some items were not added — cosdesk") is cut by the window
manager. So a box's title is the application's name alone (nothing is appended
to it), and what the box is about goes in its text, in bold at the top, where it
wraps instead of being cut.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

APP_NAME = "cosdesk"


def app_title() -> str:
    """The title of a message box: the name the platform appends to titles anyway."""
    return QGuiApplication.applicationDisplayName() or APP_NAME


def window_title(subject: str) -> str:
    """A window's title that names the app once: ``"subject — cosdesk"``. Ending
    with the display name keeps Qt from appending it a second time."""
    name = app_title()
    return f"{subject} — {name}" if subject else name


def message_box(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    headline: str,
    details: str = "",
    buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
) -> QMessageBox:
    """A box titled with the app's name, ``headline`` as its text and ``details``
    below it. Not shown: the caller opens it (``open()``, ``show()`` or ``exec()``)."""
    box = QMessageBox(icon, app_title(), headline, buttons, parent)
    if details:
        box.setInformativeText(details)
    return box


def use_app_title(box: QMessageBox) -> QMessageBox:
    """Give an existing box the app's name as its title (its text says the rest)."""
    box.setWindowTitle(app_title())
    return box
