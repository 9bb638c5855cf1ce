"""Widgets listening to the queue's signals (plain ones, ``engine/loop.py``).

A Qt signal lets go of a receiver that is deleted; the queue's signals hold
their listeners until told otherwise. :func:`listen` tells them: the slot is
disconnected when its widget is destroyed, so a closed dialog is never called
again, nor kept alive by the queue.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QObject

from cosdesk.engine.loop import Listeners


def listen(receiver: QObject, signal: Listeners, slot: Callable[..., object]) -> None:
    """Connect ``slot`` (of ``receiver``) to ``signal`` for as long as ``receiver`` lives."""
    signal.connect(slot)

    def let_go() -> None:
        with contextlib.suppress(RuntimeError):  # disconnected already
            signal.disconnect(slot)

    receiver.destroyed.connect(let_go)
