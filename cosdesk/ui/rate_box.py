"""A field for a bandwidth limit in MiB/s, to a hundredth (10 KiB/s).

Whole MiB/s were too coarse: a home uplink of 2 Mbit/s carries a quarter of
one, so its owner could not set a limit at all.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from cosdesk.engine.options import MiB
from cosdesk.ui.formatting import size_unit


class RateBox(QDoubleSpinBox):
    """Bytes per second shown in MiB/s ("8 MiB/s", "0.25 MiB/s"); 0 shows
    ``unlimited_text``."""

    def __init__(self, unlimited_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(2)
        self.setRange(0, 100_000)
        self.setSuffix(" " + size_unit("MiB") + "/s")
        self.setSpecialValueText(unlimited_text)
        self._loaded = (0, 0.0)  # the bytes per second given, and what they showed as

    def set_bytes_per_s(self, rate: int) -> None:
        self.setValue(rate / MiB)
        self._loaded = (rate, self.value())

    def bytes_per_s(self) -> int:
        """What the field says, in bytes per second: what it was given while it
        still shows that (a limit set elsewhere, 300 KiB/s, is not rounded)."""
        given, shown = self._loaded
        return given if self.value() == shown else round(self.value() * MiB)

    def textFromValue(self, value: float) -> str:
        text = f"{value:.{self.decimals()}f}".rstrip("0").rstrip(".")
        return text.replace(".", self.locale().decimalPoint())
