"""The waiting line of tasks at rest gives places smallest first, as a heap
would, and keeps a long line out of the garbage collector's walk."""

from __future__ import annotations

import gc
import heapq

from hypothesis import given, settings
from hypothesis import strategies as st

from cosdesk.engine.waiting_line import WaitingLine

# A step: push a place (an int, up to beyond 64 bits), pop the first, or clear.
_steps = st.lists(
    st.one_of(
        st.tuples(st.just("push"), st.integers(min_value=-(2**70), max_value=2**70)),
        st.tuples(st.just("push"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("pop"), st.none()),
        st.tuples(st.just("clear"), st.none()),
    ),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(_steps)
def test_the_line_gives_places_in_the_order_a_heap_gives_them(steps: list[tuple[str, int | None]]) -> None:
    line, heap = WaitingLine(), []
    for action, place in steps:
        if action == "push":
            assert place is not None
            line.push(place)
            heapq.heappush(heap, place)
        elif action == "pop" and heap:
            assert line.pop() == heapq.heappop(heap)
        elif action == "clear":
            line.clear()
            heap.clear()
        assert len(line) == len(heap)
        assert line.first() == (heap[0] if heap else None)


def test_places_in_rising_order_run_through_a_long_line_and_its_room_is_given_back() -> None:
    line = WaitingLine()
    for place in range(100_000):
        line.push(place)
    line.push(5)  # a task moved up: before the rest
    assert line.pop() == 0
    assert [line.pop() for _ in range(6)] == [1, 2, 3, 4, 5, 5]
    taken = [line.pop() for _ in range(60_000)]
    assert taken == list(range(6, 60_006))
    assert line.first() == 60_006 and len(line) == 100_001 - 60_007
    assert len(line._run) < 100_000  # the front it has passed is given back


def test_a_long_line_adds_nothing_for_the_garbage_collector_to_walk() -> None:
    # A list of a million ints is walked at every full collection (5-23 ms of each
    # with a million files waiting); the line's places are not.
    line = WaitingLine()
    for place in range(1_000_000):
        line.push(place << 32 | place)
    walked = [obj for obj in gc.get_referents(line.__dict__) if gc.is_tracked(obj)]
    assert sum(len(obj) for obj in walked if isinstance(obj, list)) == 0
    assert len(line) == 1_000_000
