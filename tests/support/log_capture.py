"""Reading cosdesk.log in a test (the ``log_file`` fixture in tests/conftest.py sets
it up as the program does), with every handler flushed first."""

from __future__ import annotations

import logging
from pathlib import Path


def log_text(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")
