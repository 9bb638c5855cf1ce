"""A dark desktop theme: what is drawn in fixed colours must stay readable on it."""

from __future__ import annotations

from typing import Any


def test_plain_icons_stay_visible_on_a_dark_palette(qapp: Any) -> None:
    from PySide6.QtGui import QColor, QPalette

    from cosdesk.ui.icons import icon

    def lightest(name: str) -> int:
        image = icon(name).pixmap(24, 24).toImage()
        pixels = (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height()))
        return max((color.lightness() for color in pixels if color.alpha() > 200), default=0)

    before = qapp.palette()
    light_settings = lightest("settings")
    dark = QPalette(before)
    dark.setColor(QPalette.ColorRole.Window, QColor("#2b2b2b"))
    qapp.setPalette(dark)
    try:
        # The slate grey that reads on a light toolbar is lightened on a dark one.
        assert lightest("settings") > 170 > light_settings
        assert lightest("account") > 170
    finally:
        qapp.setPalette(before)
