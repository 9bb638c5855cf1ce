"""The one interpreter setting the window changes: how often threads trade the GIL."""

from __future__ import annotations

import sys

# How often (seconds) Python makes a thread that holds the GIL hand it over to one
# that waits. Every call into Qt hands the GIL over, and the GUI thread then waits
# up to this long (times the number of busy threads) to get it back: at the
# default 5 ms a slice of table updates took 100+ ms. In the 10,000-row bench
# (tests/bench/test_gui_stall.py) 1 ms gave slices of 25-69 ms, 0.2 ms of 15-35 ms.
# Measured cost on uploads (1,000 small files, a 1 GiB file): within run-to-run noise.
GUI_SWITCH_INTERVAL_S = 0.0002


def tune_interpreter_for_gui() -> None:
    """Shorten the switch interval to ``GUI_SWITCH_INTERVAL_S`` (never lengthen it)."""
    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL_S:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
