"""The bandwidth limit field: MiB/s to a hundredth, shown without trailing zeros,
and a limit set elsewhere kept to the byte unless the person changes it."""

from __future__ import annotations

from typing import Any

from cosdesk.engine.options import MiB
from cosdesk.ui.rate_box import RateBox


def test_a_limit_reads_in_mib_per_second_and_keeps_its_bytes_until_changed(qtbot: Any) -> None:
    box = RateBox("unlimited")
    qtbot.addWidget(box)
    box.set_bytes_per_s(300 * 1024)  # from config.json or an older version: not a hundredth
    assert box.text() == "0.29 MiB/s"
    assert box.bytes_per_s() == 300 * 1024
    box.setValue(8)
    assert (box.text(), box.bytes_per_s()) == ("8 MiB/s", 8 * MiB)
    box.setValue(0.25)
    assert box.bytes_per_s() == MiB // 4
    box.setValue(0)
    assert (box.text(), box.bytes_per_s()) == ("unlimited", 0)
