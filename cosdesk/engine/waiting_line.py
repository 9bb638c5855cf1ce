"""The line of waiting tasks at rest: a priority queue of places (ints, smallest
first) kept where the cyclic garbage collector does not look.

The line held a million places in a heap, a Python list, and a list is walked
element by element at every full collection, although ints hold no references:
a million of them added 5 ms to each of the GC pacer's full collections, 23 ms
when they lay scattered through the heap, as they do in the window (a full
collection must never stall the window 100 ms). Places mostly come in rising order
(files are added at the end of the queue, restored in order), so they go into
a sorted run, an ``array`` the collector never looks into; a place below the
run's last (a task moved up, or put back in line) goes into a small heap beside
it. The first of the line is the smaller of the two heads. See ARCHITECTURE.md,
"Tasks at rest".
"""

from __future__ import annotations

import heapq
from array import array

# What a slot of the run holds (array "q"); a place outside goes to the heap.
_RUN_MIN, _RUN_MAX = -(2**63), 2**63 - 1
# The run gives back the room of the places taken off its front once they are
# this many and half of it.
_COMPACT_AFTER = 4096


class WaitingLine:
    """Places, smallest first; the same place may be in line twice. Not
    thread-safe (the queue's lock guards it)."""

    def __init__(self) -> None:
        self._run = array("q")  # rising; the entries before _head have left the line
        self._head = 0
        self._heap: list[int] = []

    def __len__(self) -> int:
        return len(self._run) - self._head + len(self._heap)

    def push(self, place: int) -> None:
        run = self._run
        if self._head == len(run) and run:  # every place of the run has left: start a new one
            self._clear_run()
        if (not run or place >= run[-1]) and _RUN_MIN <= place <= _RUN_MAX:
            run.append(place)
        else:
            heapq.heappush(self._heap, place)

    def first(self) -> int | None:
        """The smallest place in line, or None when the line is empty."""
        in_run = self._run[self._head] if self._head < len(self._run) else None
        if not self._heap:
            return in_run
        in_heap = self._heap[0]
        return in_heap if in_run is None or in_heap < in_run else in_run

    def pop(self) -> int:
        """Take the smallest place out of the line (IndexError when it is empty)."""
        run, heap = self._run, self._heap
        if heap and (self._head == len(run) or heap[0] < run[self._head]):
            return heapq.heappop(heap)
        place = run[self._head]  # IndexError when both are empty
        self._head += 1
        if self._head >= _COMPACT_AFTER and 2 * self._head >= len(run):
            del run[: self._head]
            self._head = 0
        return place

    def clear(self) -> None:
        self._clear_run()
        self._heap.clear()

    def _clear_run(self) -> None:
        del self._run[:]
        self._head = 0
