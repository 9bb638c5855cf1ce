"""The engine's own loop and signals (engine/loop.py): what ``cosdesk upload``
runs on instead of Qt's."""

from __future__ import annotations

import threading
import time

import pytest

from cosdesk.engine.loop import PlainLoop, Signal


class Emitter:
    told = Signal()


def test_a_signal_calls_its_listeners_in_order_with_the_very_objects_emitted() -> None:
    emitter, other = Emitter(), Emitter()
    heard: list[tuple[str, object]] = []
    emitter.told.connect(lambda value: heard.append(("first", value)))
    emitter.told.connect(lambda value: heard.append(("second", value)))
    ids = ["a", "b"]
    emitter.told.emit(ids)
    assert heard == [("first", ids), ("second", ids)] and heard[0][1] is ids
    assert emitter.told.connected and not other.told.connected  # each object has its own


def test_a_listener_may_disconnect_itself_as_it_is_told_and_a_second_disconnect_raises() -> None:
    emitter = Emitter()
    heard: list[int] = []

    def once(value: int) -> None:
        heard.append(value)
        emitter.told.disconnect(once)

    emitter.told.connect(once)
    emitter.told.emit(1)
    emitter.told.emit(2)
    assert heard == [1]
    with pytest.raises(RuntimeError):
        emitter.told.disconnect(once)


def test_posted_calls_run_on_the_loops_thread_in_order_and_a_stop_from_a_thread_ends_it() -> None:
    loop = PlainLoop()
    ran: list[tuple[int, bool]] = []

    def post_from_a_worker() -> None:
        for number in range(3):
            loop.call_soon(lambda number=number: ran.append((number, loop.in_thread())))
        time.sleep(0.05)
        loop.stop()

    worker = threading.Thread(target=post_from_a_worker)
    worker.start()
    started = time.monotonic()
    loop.run()
    worker.join()
    assert ran == [(0, True), (1, True), (2, True)]
    assert time.monotonic() - started < 1.0  # woken by the stop, not by a timeout


def test_timers_fire_when_due_repeat_unless_single_shot_and_stop() -> None:
    loop = PlainLoop()
    ticks: list[float] = []
    started = time.monotonic()
    repeating = loop.timer(lambda: ticks.append(time.monotonic() - started), single_shot=False)
    repeating.start(0.02)
    ending = loop.timer(loop.stop, single_shot=True)
    ending.start(0.13)
    assert ending.is_active() and 0.1 < ending.remaining_s() <= 0.13
    loop.run()
    assert not ending.is_active() and ending.remaining_s() == 0
    assert 4 <= len(ticks) <= 7, ticks
    assert all(tick >= 0.02 * (number + 1) for number, tick in enumerate(ticks))
    repeating.stop()
    assert not repeating.is_active()


def test_a_restarted_timer_fires_once_at_its_new_time_and_a_stopped_one_never() -> None:
    loop = PlainLoop()
    fired: list[str] = []
    moved = loop.timer(lambda: fired.append("moved"), single_shot=True)
    moved.start(0.01)
    moved.start(0.05)  # the first entry is left behind
    stopped = loop.timer(lambda: fired.append("stopped"), single_shot=True)
    stopped.start(0.02)
    stopped.stop()
    loop.timer(loop.stop, single_shot=True).start(0.1)
    loop.run()
    assert fired == ["moved"]


def test_a_stop_before_the_loop_runs_ends_its_run_at_once() -> None:
    # The queue may be idle before the command's loop begins (nothing to do).
    loop = PlainLoop()
    loop.stop()
    started = time.monotonic()
    loop.run()
    assert time.monotonic() - started < 0.1


def test_a_listener_that_raises_is_reported_and_the_others_are_still_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As Qt does with a slot's exception: the listener after it (a command's quit
    # on "idle") must still hear, and the loop that emits must go on.
    reported: list[type[BaseException]] = []
    monkeypatch.setattr("sys.excepthook", lambda kind, value, traceback: reported.append(kind))
    emitter = Emitter()
    heard: list[str] = []

    def broken(_value: str) -> None:
        raise KeyError("a bug")

    emitter.told.connect(broken)
    emitter.told.connect(heard.append)
    emitter.told.emit("idle")
    assert heard == ["idle"] and reported == [KeyError]
