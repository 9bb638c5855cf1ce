"""Running a blocking call (keyring, a file, the network) on a thread pool and
handing its outcome back to the GUI thread, so no widget waits on I/O."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class Relay(QObject):
    """Carries one call's outcome back: connect ``finished`` to a slot of the
    receiver (its parent, so the relay dies with it)."""

    # The call's return value, or the exception it raised.
    finished = Signal(object)


class _Call(QRunnable):
    def __init__(self, relay: Relay, function: Callable[[], object]) -> None:
        super().__init__()
        self._relay = relay
        self._function = function

    def run(self) -> None:
        try:
            outcome: object = self._function()
        except Exception as error:  # delivered to the receiver, which decides what to say
            log.debug("background call failed: %s", type(error).__name__)
            outcome = error
        # The receiver (and with it the relay) may be gone by now: nobody to tell.
        with contextlib.suppress(RuntimeError):
            self._relay.finished.emit(outcome)
            self._relay.deleteLater()


def run_in_background(
    pool: QThreadPool, receiver: QObject, function: Callable[[], object], slot: Callable[[object], None]
) -> None:
    """Call ``function`` on ``pool``; ``slot`` then gets its result (or exception) on
    ``receiver``'s thread. ``slot`` should be a ``@Slot(object)`` method of ``receiver``."""
    relay = Relay(receiver)
    relay.finished.connect(slot)
    pool.start(_Call(relay, function))
