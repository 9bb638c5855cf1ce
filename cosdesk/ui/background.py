"""Running a blocking call (keyring, a file, the network) on a thread pool and
handing its outcome back to the GUI thread, so no widget waits on I/O.

A worker never touches the receiver, nor any object the receiver owns: the
receiver (a dialog, say) may be deleted on the GUI thread at the very moment the
worker finishes, and emitting on a half-deleted object crashes the process. The
worker emits on one dispatcher that lives as long as the application; on the GUI
thread the dispatcher then asks whether the receiver still exists before calling
its slot."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Delivery:
    receiver: QObject
    slot: Callable[[object], None]
    outcome: object


class _Dispatcher(QObject):
    """Lives on the GUI thread for the application's whole life; its queued
    signal carries each outcome across threads."""

    delivered = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.delivered.connect(self._deliver)

    @Slot(object)
    def _deliver(self, delivery: _Delivery) -> None:
        # The receiver was deleted while its call ran: nobody left to tell.
        if shiboken6.isValid(delivery.receiver):
            delivery.slot(delivery.outcome)


_dispatcher: _Dispatcher | None = None
_dispatcher_lock = threading.Lock()


def _the_dispatcher() -> _Dispatcher:
    global _dispatcher
    with _dispatcher_lock:
        if _dispatcher is None:
            _dispatcher = _Dispatcher()
            # Owned by the GUI thread whichever thread asked first.
            application = QCoreApplication.instance()
            if application is not None:
                _dispatcher.moveToThread(application.thread())
        return _dispatcher


class _Call(QRunnable):
    def __init__(
        self,
        dispatcher: _Dispatcher,
        receiver: QObject,
        function: Callable[[], object],
        slot: Callable[[object], None],
    ) -> None:
        super().__init__()
        self._dispatcher = dispatcher
        self._receiver = receiver
        self._function = function
        self._slot = slot

    def run(self) -> None:
        try:
            outcome: object = self._function()
        except Exception as error:  # delivered to the receiver, which decides what to say
            log.debug("background call failed: %s", type(error).__name__)
            outcome = error
        delivery = _Delivery(self._receiver, self._slot, outcome)
        # Only the delivery holds the receiver now, and it is let go on the GUI
        # thread: a widget's last reference must not die on a worker.
        del self._receiver, self._slot
        self._dispatcher.delivered.emit(delivery)


def run_in_background(
    pool: QThreadPool, receiver: QObject, function: Callable[[], object], slot: Callable[[object], None]
) -> None:
    """Call ``function`` on ``pool``; ``slot`` then gets its result (or exception) on
    the GUI thread, unless ``receiver`` has been deleted by then."""
    pool.start(_Call(_the_dispatcher(), receiver, function, slot))
