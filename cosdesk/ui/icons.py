"""Icons from ``resources/icons`` (SVG, so they stay sharp at any device pixel ratio)."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from PySide6.QtGui import QIcon

from cosdesk.engine.task import TaskState

RESOURCES_ENV = "COSDESK_RESOURCES"


def resources_dir() -> Path:
    """The ``resources`` folder: next to the package in a checkout, inside the bundle
    when frozen (PyInstaller's ``_MEIPASS``), or where ``COSDESK_RESOURCES`` says."""
    if os.environ.get(RESOURCES_ENV):
        return Path(os.environ[RESOURCES_ENV])
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@functools.cache
def icon(name: str) -> QIcon:
    """``icon("pause")`` → resources/icons/pause.svg (an empty icon if it is missing,
    so a broken install degrades to text rather than crashing)."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def state_icon(state: TaskState) -> QIcon:
    return icon(f"state-{state.value}")
