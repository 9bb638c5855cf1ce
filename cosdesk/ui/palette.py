"""Colours derived from the current palette, readable on light and dark themes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget


def error_color(palette: QPalette) -> QColor:
    """A red readable on the palette's base: darker on light themes, lighter on dark."""
    base = palette.color(QPalette.ColorRole.Base)
    return QColor("#c62828") if base.lightness() > 128 else QColor("#ef6b6b")


def show_as_error(widget: QWidget) -> None:
    """Make ``widget``'s text the error red (a label saying what is wrong)."""
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, error_color(palette))
    widget.setPalette(palette)
