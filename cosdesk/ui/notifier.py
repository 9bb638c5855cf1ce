"""Telling the user a batch ended: a desktop notification through the tray icon
when the platform has one, otherwise a status-bar message (offscreen, bare Xvfb)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStatusBar, QSystemTrayIcon

STATUS_MESSAGE_MS = 15_000


class Notifier(QObject):
    def __init__(self, tray: QSystemTrayIcon | None, status_bar: QStatusBar, parent: QObject | None = None):
        super().__init__(parent)
        self._tray = tray
        self._status_bar = status_bar
        self.last_message = ""  # what was shown last, however it was shown (tests read it)
        self.last_channel = ""  # "tray" or "status bar"

    def uses_tray(self) -> bool:
        return self._tray is not None and self._tray.isVisible() and QSystemTrayIcon.supportsMessages()

    def notify(self, title: str, message: str, *, failed: bool = False) -> None:
        self.last_message = self.tr("%1: %2").replace("%1", title).replace("%2", message)
        if self.uses_tray():
            assert self._tray is not None
            icon = QSystemTrayIcon.MessageIcon.Warning if failed else QSystemTrayIcon.MessageIcon.Information
            self._tray.showMessage(title, message, icon, 8000)
            self.last_channel = "tray"
        else:
            self._status_bar.showMessage(self.last_message, STATUS_MESSAGE_MS)
            self.last_channel = "status bar"
