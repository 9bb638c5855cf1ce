"""The event loop the queue lives in, and the signals it tells the world by.

The queue keeps its own thread (the "loop's thread"): its event tick, its retry
timer and every signal it emits run there. Which loop that is depends on who
runs the engine: the window's is Qt's (``engine/qt_loop.py``), while ``cosdesk
upload`` and ``cosdesk tasks resume`` run a :class:`PlainLoop` and never load
Qt, whose import was about 60 ms of every command's start (ARCHITECTURE.md,
"Start-up").

A :class:`Signal` calls its listeners at once, in the order they connected, on
the thread that emits it; the queue emits only on the loop's thread, so a
listener there needs no lock. What a listener raises goes to
``sys.excepthook`` and the others are still told, as with a Qt signal's slots.
A widget listens through ``ui/queue_listening.py``, which disconnects it when
it is destroyed, as a Qt signal would.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol, overload

from cosdesk.engine.thread_pool import python_thread

Callback = Callable[[], object]


class Listeners:
    """One object's listeners to one of its signals, called in turn by :meth:`emit`."""

    __slots__ = ("_listeners",)

    def __init__(self) -> None:
        self._listeners: list[Callable[..., object]] = []

    def connect(self, listener: Callable[..., object]) -> None:
        self._listeners.append(listener)

    def disconnect(self, listener: Callable[..., object]) -> None:
        """Raises RuntimeError when ``listener`` is not connected (as Qt does)."""
        try:
            self._listeners.remove(listener)
        except ValueError:
            raise RuntimeError("that listener is not connected") from None

    @property
    def connected(self) -> bool:
        """Whether anyone listens: what nobody hears need not be computed."""
        return bool(self._listeners)

    def emit(self, *args: Any) -> None:
        # A copy: a listener may disconnect itself (or another) as it is told.
        for listener in tuple(self._listeners):
            try:
                listener(*args)
            except Exception:
                # Told as Qt tells a slot's exception. One listener's bug must not
                # keep the others (a command's "idle", which ends it) from hearing,
                # nor end the loop that emits.
                sys.excepthook(*sys.exc_info())


class Signal:
    """Declared on a class, as Qt's signals are; each instance of the class has
    its own :class:`Listeners` (made at the first look, then found in the
    instance's ``__dict__`` without calling this again)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Signal: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> Listeners: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Signal | Listeners:
        if instance is None:
            return self
        listeners: Listeners = instance.__dict__.setdefault(self._name, Listeners())
        return listeners


class LoopTimer(Protocol):
    """A timer of a loop: its call runs on the loop's thread. Use it there only."""

    def start(self, interval_s: float) -> None:
        """(Re)start: the call runs in ``interval_s``, and every ``interval_s``
        after unless the timer is single-shot."""

    def stop(self) -> None: ...

    def is_active(self) -> bool: ...

    def remaining_s(self) -> float:
        """Time until it fires (0 when due or stopped)."""


class Loop(Protocol):
    """What the queue asks of the loop it lives in."""

    def in_thread(self) -> bool:
        """Whether the caller runs on the loop's thread."""

    def call_soon(self, call: Callback) -> None:
        """Run ``call`` on the loop's thread soon, after what runs there now.
        Thread-safe."""

    def timer(self, call: Callback, *, single_shot: bool) -> LoopTimer: ...

    def start_thread(self, run: Callback, name: str) -> None:
        """Run ``run`` on a new worker thread (a thread pool's job loop)."""


class CommandLoop(Loop, Protocol):
    """A loop a command line runs on its main thread."""

    def run(self) -> None:
        """Run until :meth:`stop`; a stop asked before it began may end it at once."""

    def stop(self) -> None:
        """Thread-safe, and safe in a signal handler."""


class PlainLoop:
    """A loop for a command line: the thread that makes it runs :meth:`run`, which
    waits for posted calls and due timers until :meth:`stop`. Its worker
    threads are Python's own. Thread-safe where :class:`Loop` says so."""

    def __init__(self) -> None:
        self._thread_id = threading.get_ident()
        self._lock = threading.Lock()
        self._woken = threading.Condition(self._lock)
        self._posted: deque[Callback] = deque()
        # Timers due, as (when, order, timer, generation): a timer restarted or
        # stopped since it was pushed has moved on, and its old entry is skipped.
        self._due: list[tuple[float, int, _PlainTimer, int]] = []
        self._order = itertools.count()
        self._stopping = False

    def in_thread(self) -> bool:
        return threading.get_ident() == self._thread_id

    def call_soon(self, call: Callback) -> None:
        with self._lock:
            self._posted.append(call)
            self._woken.notify()

    def timer(self, call: Callback, *, single_shot: bool) -> LoopTimer:
        return _PlainTimer(self, call, single_shot)

    def start_thread(self, run: Callback, name: str) -> None:
        python_thread(run, name)

    def stop(self) -> None:
        """End :meth:`run` after the call it runs now. Thread-safe, and safe in a
        signal handler (which runs on the loop's thread, maybe while it holds its
        lock: so the loop's thread only sets the flag, seen within a wait)."""
        self._stopping = True
        if not self.in_thread():
            with self._lock:
                self._woken.notify()

    def run(self, *, wake_every_s: float = 0.2) -> None:
        """Run posted calls and timers until :meth:`stop`. A wait lasts at most
        ``wake_every_s``: a stop from a signal handler is seen that soon. A stop
        asked before it began ends it at once."""
        try:
            while (call := self._next_call(wake_every_s)) is not None:
                call()
        finally:
            self._stopping = False

    def _next_call(self, wait_at_most_s: float) -> Callback | None:
        """The next posted call or due timer's call; None once stopping."""
        with self._lock:
            while not self._stopping:
                if self._posted:
                    return self._posted.popleft()
                now = time.monotonic()
                while self._due:
                    when, _order, timer, generation = self._due[0]
                    if generation != timer.generation:
                        heapq.heappop(self._due)  # restarted or stopped since
                    elif when <= now:
                        heapq.heappop(self._due)
                        return timer.fired(now)
                    else:
                        break
                wait_s = wait_at_most_s if not self._due else min(wait_at_most_s, self._due[0][0] - now)
                self._woken.wait(wait_s)
            return None

    def _schedule(self, timer: _PlainTimer, when: float) -> None:
        """(Lock held.)"""
        heapq.heappush(self._due, (when, next(self._order), timer, timer.generation))
        self._woken.notify()


class _PlainTimer:
    def __init__(self, loop: PlainLoop, call: Callback, single_shot: bool) -> None:
        self._loop = loop
        self._call = call
        self._single_shot = single_shot
        self._interval_s = 0.0
        self.generation = 0  # changed by every start and stop
        self._due_at: float | None = None

    def start(self, interval_s: float) -> None:
        with self._loop._lock:
            self.generation += 1
            self._interval_s = interval_s
            self._due_at = time.monotonic() + interval_s
            self._loop._schedule(self, self._due_at)

    def stop(self) -> None:
        with self._loop._lock:
            self.generation += 1
            self._due_at = None

    def is_active(self) -> bool:
        return self._due_at is not None

    def remaining_s(self) -> float:
        due_at = self._due_at
        return 0.0 if due_at is None else max(0.0, due_at - time.monotonic())

    def fired(self, now: float) -> Callback:
        """Its entry came due (loop's lock held): the call to run, after which a
        repeating timer is due again."""
        if self._single_shot:
            self.generation += 1
            self._due_at = None
        else:
            self._due_at = now + self._interval_s
            self._loop._schedule(self, self._due_at)
        return self._call
