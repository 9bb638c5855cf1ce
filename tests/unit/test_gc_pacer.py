"""The GC pacer takes automatic collection off Python's hands and gives it back."""

from __future__ import annotations

import gc
from typing import Any

from cosdesk.engine.gc_pacer import GcPacer


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _old_cycles() -> None:
    """Leave 100 garbage cycles in the oldest generation (only a full collection frees them)."""
    garbage = [_Cycle() for _ in range(100)]
    gc.collect(1)
    del garbage
    assert _cycles_left() >= 100


def _cycles_left() -> int:
    return sum(1 for obj in gc.get_objects() if isinstance(obj, _Cycle))


def test_pacer_collects_young_garbage_on_its_timer_and_restores_automatic_gc(qtbot: Any) -> None:
    assert gc.isenabled()
    pacer = GcPacer(young_every_ms=10)
    try:
        assert not gc.isenabled()
        gc.collect()
        for _ in range(1000):
            _Cycle()  # unreachable cycles: only the collector frees them
        assert gc.get_count()[0] > 0
        qtbot.waitUntil(lambda: gc.get_count()[0] < 100, timeout=2000)
    finally:
        pacer.stop()
    assert gc.isenabled()


def test_a_full_collection_frees_old_cycles(qtbot: Any) -> None:
    pacer = GcPacer(young_every_ms=10_000)
    try:
        garbage = [_Cycle() for _ in range(100)]
        gc.collect(1)  # promote them to the oldest generation
        del garbage
        before = sum(1 for obj in gc.get_objects() if isinstance(obj, _Cycle))
        pacer.collect_all()
        after = sum(1 for obj in gc.get_objects() if isinstance(obj, _Cycle))
    finally:
        pacer.stop()
    assert before >= 100 and after == 0


def test_idle_triggers_a_full_collection_only_if_the_queue_stays_quiet(qtbot: Any) -> None:
    quiet = [False]
    pacer = GcPacer(young_every_ms=10_000, quiet_s=0.05, is_quiet=lambda: quiet[0])
    try:
        pacer.collect_when_quiet()  # a lull between two files: work resumed before quiet_s
        qtbot.wait(150)
        _old_cycles()
        quiet[0] = True
        pacer.collect_when_quiet()
        qtbot.waitUntil(lambda: _cycles_left() == 0, timeout=2000)
    finally:
        pacer.stop()


def test_a_second_check_holds_the_full_collection_back_while_it_says_busy(qtbot: Any) -> None:
    adding = [True]  # the window is still adding a drop, though the queue is idle
    pacer = GcPacer(young_every_ms=10_000, quiet_s=0.05, is_quiet=lambda: True)
    pacer.also_quiet_when(lambda: not adding[0])
    try:
        _old_cycles()
        pacer.collect_when_quiet()
        qtbot.wait(200)
        assert _cycles_left() >= 100
        adding[0] = False
        pacer.collect_when_quiet()
        qtbot.waitUntil(lambda: _cycles_left() == 0, timeout=2000)
    finally:
        pacer.stop()


def test_the_periodic_full_collection_waits_while_files_are_being_added(qtbot: Any) -> None:
    adding = [True]  # a second big drop, long into an upload
    pacer = GcPacer(young_every_ms=10, full_every_s=0.0, is_quiet=lambda: False)
    pacer.also_quiet_when(lambda: not adding[0])
    try:
        _old_cycles()
        qtbot.wait(200)  # about twenty ticks, each with its full collection due
        assert _cycles_left() >= 100
        adding[0] = False
        qtbot.waitUntil(lambda: _cycles_left() == 0, timeout=2000)
    finally:
        pacer.stop()


def test_what_lives_when_the_pacer_starts_stays_out_of_its_collections_until_it_stops(qtbot: Any) -> None:
    pacer = GcPacer(young_every_ms=10_000)
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 1000  # at least the modules, classes and functions loaded
        _old_cycles()
        pacer.collect_all()
        assert _cycles_left() == 0  # what came after is collected as before
        assert gc.get_freeze_count() == frozen
    finally:
        pacer.stop()
    assert gc.get_freeze_count() == 0
