"""Logging as a test found it: ``setup_logging`` (``cosdesk.cli.main``, a window's
session) adds handlers to this process, which later tests would inherit."""

from __future__ import annotations

import logging

from cosdesk.logs import _CHATTY_LIBRARIES


class LoggingState:
    """The root logger's handlers and the chatty libraries' levels before a
    session, put back after it (setup_logging adds handlers to this process)."""

    def __init__(self, root: logging.Logger) -> None:
        self._root = root
        self._handlers = list(root.handlers)
        self._level = root.level
        self._library_levels = {name: logging.getLogger(name).level for name in _CHATTY_LIBRARIES}

    def restore(self) -> None:
        for handler in list(self._root.handlers):
            if handler not in self._handlers:
                self._root.removeHandler(handler)
                handler.close()
        self._root.setLevel(self._level)
        for name, level in self._library_levels.items():
            logging.getLogger(name).setLevel(level)
