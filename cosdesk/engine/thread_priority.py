"""Engine threads that give way to the GUI thread.

The engine's workers and the window share one interpreter, so the GUI thread must
win the GIL back after each of its calls into Qt. Among a dozen busy upload
threads it often waited its turn behind all of them: the 10,000-row bench
(tests/bench/test_gui_stall.py) stalled 44-115 ms. With the workers one step
down the CPU scheduler's order the GUI thread is picked first whenever it is
ready: 22-60 ms, and uploads were as fast as before (the workers only lose CPU
that something at normal priority wants).

Linux schedules ordinary threads by their nice value, which ``QThread.setPriority``
does not touch there: each worker thread renices itself. Elsewhere Qt's thread
priority does the job (``engine/worker_pool.py``).
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

# Nice 10 gives a normal thread about ten times the weight. Nice 5 left stalls
# of up to 45 ms; 19 did no better than 10.
WORKER_NICE_INCREMENT = 10

RENICE_THREADS = sys.platform.startswith("linux")


def lower_this_thread() -> None:
    """Put the calling thread WORKER_NICE_INCREMENT below the main thread (Linux
    only; a no-op elsewhere).

    Cheap enough to call at every job: Qt's pool threads are foreign to Python,
    which forgets their thread state (and any ``threading.local``) between two
    jobs. Unprivileged, a thread cannot raise itself back, so only threads that
    run nothing but engine work come here.
    """
    if not RENICE_THREADS:
        return
    try:
        # On Linux PRIO_PROCESS with a thread id addresses that thread alone; the
        # main thread's id is the process id.
        target = min(os.getpriority(os.PRIO_PROCESS, os.getpid()) + WORKER_NICE_INCREMENT, 19)
        this_thread = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, this_thread) < target:
            os.setpriority(os.PRIO_PROCESS, this_thread, target)
    except OSError as error:
        log.debug("could not lower a worker thread's priority: %s", error)
