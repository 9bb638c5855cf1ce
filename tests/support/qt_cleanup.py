"""Collecting a test's Qt garbage on the GUI thread, when the test ends.

A window's session and an engine hold parentless QObjects (the queue with its
timers, the window's thread pool) that reference cycles keep alive after they
are shut down. Python frees them at its next collection, on whichever thread
allocates then: in a later test that may be the local server's or a worker's.
Qt then deletes a queue and its timers off their thread, and the next event
loop crashes on a timer of a freed object (a segmentation fault in
QApplication::notify). Collecting here makes that happen now, on this thread.

What outlives that collection (modules, caches, the session's fixtures) is then
frozen out of every later one: a full collection walked the whole heap of the
run, ~0.3 s after each of several hundred tests late in the suite, and now walks
only what the test made. A frozen object that later becomes cyclic garbage is
never freed: a small leak, and never a QObject freed off its thread."""

from __future__ import annotations

import gc


def collect_on_gui_thread() -> None:
    gc.collect()
    gc.freeze()
