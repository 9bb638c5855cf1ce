"""Qt loaded through ``load_qt_core`` leaves later imports unread: each case runs
in a fresh interpreter, since the hook is installed once per process."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Imports Qt one way, then a module no earlier import has loaded, and says
# whether its source was read into linecache; then checks that a signal still
# reaches its slot.
SCRIPT = """
import linecache, sys
{load}
from cosdesk.engine.sync_patterns import SyncPatterns
print("read" if sys.modules[SyncPatterns.__module__].__file__ in linecache.cache else "not read")

from PySide6.QtCore import QObject, Signal

class Sender(QObject):
    said = Signal(int)

heard = []
sender = Sender()
sender.said.connect(heard.append)
sender.said.emit(7)
print(heard)
"""


def run_script(load: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(load=load)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")[:2]


@pytest.mark.parametrize(
    ("load", "expected"),
    [
        ("import PySide6.QtCore", ["read", "[7]"]),
        ("from cosdesk.engine.qt_loading import load_qt_core; load_qt_core()", ["not read", "[7]"]),
    ],
    ids=["plain-import-reads-the-source", "load-qt-core-does-not"],
)
def test_modules_imported_after_qt_core_are_read_only_without_it(load: str, expected: list[str]) -> None:
    assert run_script(load) == expected
