"""Icons from ``resources/icons`` (SVG, so they stay sharp at any device pixel ratio)."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from cosdesk.engine.task import TaskState

RESOURCES_ENV = "COSDESK_RESOURCES"
# The plain (uncoloured) icons are drawn in this slate grey, which nearly vanishes
# on a dark palette's toolbar; there they are drawn in a light grey instead.
NEUTRAL_STROKE = b"#5f6b7a"
NEUTRAL_STROKE_ON_DARK = b"#c3cad3"
# The icon name kept on actions and buttons given one by set_icon(), for retint().
_ICON_NAME = "cosdeskIcon"
# Rendered sizes for a recoloured icon (1x and 2x of the sizes the window uses).
_PIXMAP_SIZES = (16, 20, 24, 32, 40, 48, 64, 96)


def resources_dir() -> Path:
    """The ``resources`` folder: next to the package in a checkout, inside the bundle
    when frozen (PyInstaller's ``_MEIPASS``), or where ``COSDESK_RESOURCES`` says."""
    if os.environ.get(RESOURCES_ENV):
        return Path(os.environ[RESOURCES_ENV])
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def icon(name: str) -> QIcon:
    """``icon("pause")`` → resources/icons/pause.svg (an empty icon if it is missing,
    so a broken install degrades to text rather than crashing), its grey lightened
    when the application's palette is dark."""
    return _icon(name, _palette_is_dark())


def _palette_is_dark() -> bool:
    if QGuiApplication.instance() is None:
        return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


@functools.cache
def _icon(name: str, dark: bool) -> QIcon:
    path = resources_dir() / "icons" / f"{name}.svg"
    if not path.exists():
        return QIcon()
    if dark:
        svg = path.read_bytes()
        if NEUTRAL_STROKE in svg:
            return _rendered(svg.replace(NEUTRAL_STROKE, NEUTRAL_STROKE_ON_DARK))
    return QIcon(str(path))


def _rendered(svg: bytes) -> QIcon:
    renderer = QSvgRenderer(QByteArray(svg))
    result = QIcon()
    for size in _PIXMAP_SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    return result


@functools.cache
def state_icon(state: TaskState) -> QIcon:
    # Kept once made: the task table asks for one per row it stores, and checking
    # the palette each time cost four calls into Qt (each a GIL round trip).
    return icon(f"state-{state.value}")


def set_icon(target: QObject, name: str) -> None:
    """Give an action or a button the icon ``name``, and remember the name so that
    :func:`retint` draws it again when the palette changes."""
    target.setIcon(icon(name))  # type: ignore[attr-defined]
    target.setProperty(_ICON_NAME, name)


def retint(root: QObject) -> None:
    """After a palette change (light to dark or back): state icons are made again
    when next asked for, and every icon under ``root`` given by :func:`set_icon` is
    drawn for the new palette."""
    state_icon.cache_clear()
    for child in root.findChildren(QObject):
        name = child.property(_ICON_NAME)
        if isinstance(name, str) and name:
            child.setIcon(icon(name))  # type: ignore[attr-defined]
