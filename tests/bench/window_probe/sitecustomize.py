"""Loaded into a ``cosdesk gui`` process started by tests/bench/test_window_scale.py
(this folder first on its PYTHONPATH): watches the real window from inside and
writes what it sees to ``COSDESK_PROBE_OUT``, one JSON object per line, twice a
second. Nothing here changes what the window does, except the steps asked for
by ``COSDESK_PROBE_STEPS`` and quitting once they are done.

What it measures:
- the GUI thread's longest stall: a 10 ms timer notes the longest gap between its
  ticks (as tests/gui/stall_probe.py does in-process); where the GUI thread stood
  meanwhile, and where the other threads stood each time one held the GIL over
  60 ms in one piece (a sampler thread's 10 ms sleep took that long);
- the process's resident set, and the task table's rows, settled or not;
- the bytes the table model's compact columns hold (its own share of the RSS);
- with ``COSDESK_PROBE_TRACEMALLOC=FILE``, where the Python heap is: the lines
  holding the most memory, written to FILE at each new peak of the RSS (a
  diagnosis, slow: tracing doubles the window's work).

``COSDESK_PROBE_STEPS`` (comma-separated):
- ``idle:S``: quit S seconds after the start, once the table has settled;
- ``added:N``: quit once the table shows N rows;
- ``uploaded:N``: quit once the table shows N rows, all done;
- ``usable:N``: once the table shows N rows, scroll to its end, sort by size,
  show only finished rows, search for a key, each timed until the table has
  settled with it; then quit.
"""

from __future__ import annotations

import collections
import json
import os
import sys
import threading
import time
import traceback

_OUT = os.environ.get("COSDESK_PROBE_OUT")
_TRACE_OUT = os.environ.get("COSDESK_PROBE_TRACEMALLOC")
_STARTED = time.monotonic()

if _TRACE_OUT:
    import tracemalloc

    tracemalloc.start(3)

if _OUT:
    from PySide6.QtWidgets import QApplication

    _exec = QApplication.exec

    def _exec_with_probe() -> int:
        probe = _Probe(_OUT, os.environ.get("COSDESK_PROBE_STEPS", ""))
        probe.start()
        return _exec()

    QApplication.exec = staticmethod(_exec_with_probe)  # type: ignore[method-assign,assignment]


class _Probe:
    TICK_MS = 10

    def __init__(self, path: str, steps: str) -> None:
        from PySide6.QtCore import Qt, QTimer

        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the process's life
        self._steps = [step.split(":") for step in steps.split(",") if step]
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._last_process_cpu = time.process_time()
        self._longest_ms = 0.0
        self._longest_cpu_ms = 0.0  # of the longest stall, the GUI thread's own CPU time
        self._longest_process_cpu_ms = 0.0  # and the whole process's
        self._longest_ended_at = 0.0  # seconds since the start
        self._longest_recent_ms = 0.0
        self._events: list[tuple[str, float]] = []
        self._step_started: float | None = None
        self._tick = QTimer()
        self._tick.setTimerType(Qt.TimerType.PreciseTimer)
        self._tick.setInterval(self.TICK_MS)
        self._tick.timeout.connect(self._on_tick)
        self._report = QTimer()
        self._report.setInterval(500)
        self._report.timeout.connect(self._on_report)
        self._watch = QTimer()
        self._watch.setInterval(20)
        self._watch.timeout.connect(self._on_watch)
        # Where the GUI thread was while it stalled (sampled from another thread).
        self._stalled_in: collections.Counter[str] = collections.Counter()
        # Where the other threads stood each time the sampler waited long for the GIL.
        self._after_gil_waits: collections.Counter[str] = collections.Counter()
        self._gui_thread = threading.get_ident()
        self._traced_rss = 0  # the RSS at the last heap report

    def start(self) -> None:
        self._event("event loop running")  # the window is built: the rest is its own work
        window = self._window()
        if window is not None:
            window.queue.restored.connect(lambda _unfinished: self._event("queue restored"))
        self._tick.start()
        self._report.start()
        self._watch.start()
        threading.Thread(target=self._sample_stalls, name="probe-sampler", daemon=True).start()

    def _sample_stalls(self) -> None:
        while True:
            asleep = time.perf_counter()
            time.sleep(0.01)
            if (time.perf_counter() - asleep) * 1000 > 60:
                self._note_gil_holders()
            if 60 < (time.perf_counter() - self._last) * 1000 < 60_000:
                frame = sys._current_frames().get(self._gui_thread)
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-6:]
                    where = " < ".join(
                        f"{os.path.basename(f.filename)}:{f.lineno}:{f.name}" for f in reversed(stack)
                    )
                    self._stalled_in[where] += 1

    def _note_gil_holders(self) -> None:
        """This thread waited over 60 ms to run again after a 10 ms sleep: another
        thread held the GIL (a long C call never lets it go). Where every other
        thread stands now: the one that held it has just let go there."""
        me = threading.get_ident()
        for ident, frame in sys._current_frames().items():
            if ident in (me, self._gui_thread):
                continue
            stack = traceback.extract_stack(frame)[-4:]
            where = " < ".join(f"{os.path.basename(f.filename)}:{f.lineno}:{f.name}" for f in reversed(stack))
            self._after_gil_waits[where] += 1

    def _on_watch(self) -> None:
        window = self._window()
        if window is not None:
            self._advance(window)

    def _on_tick(self) -> None:
        now, cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
        gap_ms = (now - self._last) * 1000 - self.TICK_MS
        if gap_ms > self._longest_ms:
            # How much of it the GUI thread spent working, and the process (the
            # rest they waited: for a CPU the machine's other processes held).
            self._longest_ms, self._longest_cpu_ms = gap_ms, (cpu - self._last_cpu) * 1000
            self._longest_process_cpu_ms = (process_cpu - self._last_process_cpu) * 1000
            self._longest_ended_at = round(time.monotonic() - _STARTED, 3)
        self._last, self._last_cpu, self._last_process_cpu = now, cpu, process_cpu
        self._longest_recent_ms = max(self._longest_recent_ms, gap_ms)

    def _window(self):  # type: ignore[no-untyped-def]
        from PySide6.QtWidgets import QApplication

        for widget in QApplication.topLevelWidgets():
            if widget.__class__.__name__ == "MainWindow":
                return widget
        return None

    def _on_report(self) -> None:
        window = self._window()
        line: dict[str, object] = {
            "t": round(time.monotonic() - _STARTED, 3),
            "rss": _rss(),
            "stall_ms": round(self._longest_ms, 1),
            "stall_cpu_ms": round(self._longest_cpu_ms, 1),
            "stall_process_cpu_ms": round(self._longest_process_cpu_ms, 1),
            "stall_ended_at": self._longest_ended_at,
            "recent_stall_ms": round(self._longest_recent_ms, 1),
            "load": os.getloadavg()[0],
        }
        self._longest_recent_ms = 0.0
        if window is not None:
            model, proxy = window.model, window.proxy
            counts = {str(state): number for state, number in model.counts().items()}
            line.update(
                rows=model.rowCount(),
                shown=proxy.rowCount(),
                settled=_settled(window),
                counts=counts,
                model_bytes=_model_bytes(model, proxy),
            )
        line["events"] = self._events
        if _TRACE_OUT and int(line["rss"]) > self._traced_rss * 1.15:  # type: ignore[call-overload]
            self._traced_rss = int(line["rss"])  # type: ignore[call-overload]
            self._trace_heap(line)
        line["stalled_in"] = self._stalled_in.most_common(6)
        line["after_gil_waits"] = self._after_gil_waits.most_common(8)
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()

    def _trace_heap(self, line: dict[str, object]) -> None:
        import tracemalloc

        top = tracemalloc.take_snapshot().statistics("traceback")[:25]
        with open(_TRACE_OUT, "a", encoding="utf-8") as out:  # type: ignore[arg-type]
            traced = tracemalloc.get_traced_memory()[0]
            out.write(f"--- t {line['t']} s, rows {line.get('rows')}, RSS {line['rss'] / 2**20:.1f} MiB,")
            out.write(f" traced {traced / 2**20:.1f} MiB\n")
            for stat in top:
                out.write(f"{stat.size / 2**20:8.1f} MiB {stat.count:9d}  ")
                frames = reversed(stat.traceback)
                out.write(" < ".join(f"{os.path.basename(f.filename)}:{f.lineno}" for f in frames))
                out.write("\n")

    def _advance(self, window) -> None:  # type: ignore[no-untyped-def]
        if not self._steps:
            return
        name, count = self._steps[0][0], int(self._steps[0][1])
        model = window.model
        if name == "idle":
            if time.monotonic() - _STARTED >= count and model.is_settled():
                self._quit(window)
        elif name == "added":
            if model.rowCount() >= count and _settled(window):
                self._event("added")
                self._next_step(window)
        elif name in ("paused", "resumed"):
            self._bulk_command(window, name)
        elif name == "uploaded":
            if model.counts().get(_success(), 0) >= count:
                self._event("uploaded")
                self._quit(window)
        elif name == "usable" and self._step_started is None and model.rowCount() >= count:
            self._event("rows shown")
            self._usable(window)

    def _next_step(self, window) -> None:  # type: ignore[no-untyped-def]
        self._steps.pop(0)
        self._step_started = None
        if not self._steps:
            self._quit(window)

    def _bulk_command(self, window, name: str) -> None:  # type: ignore[no-untyped-def]
        """Pause all, or Start all, as a click on the toolbar; the step ends when
        the table shows no row that the command has yet to change."""
        from cosdesk.engine.task import TaskState

        if self._step_started is None:
            self._step_started = time.monotonic()
            (window.pause_all if name == "paused" else window.start_all)()
            return
        counts = window.model.counts()
        left = (
            [TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING]
            if name == "paused"
            else [TaskState.PAUSED]
        )
        if not any(counts.get(state, 0) for state in left) and _settled(window):
            took = time.monotonic() - self._step_started
            self._event(f"{name} all in {took:.3f} s ({counts.get(TaskState.PAUSED, 0)} rows paused)")
            self._next_step(window)

    def _usable(self, window) -> None:  # type: ignore[no-untyped-def]
        """Scroll, sort, filter and search, each timed until the table settles."""
        from PySide6.QtCore import Qt

        from cosdesk.ui.task_model import Column, TaskFilter

        self._step_started = time.monotonic()
        table = window.table
        steps = [
            ("scrolled to the end", lambda: table.scrollToBottom()),
            ("sorted by size", lambda: table.sortByColumn(Column.SIZE, Qt.SortOrder.DescendingOrder)),
            ("filtered to Done", lambda: window.filter_bar.set_current(TaskFilter.DONE)),
            ("searched", lambda: window.filter_bar.search.setText("7")),
            ("sorted by name", lambda: table.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)),
        ]
        self._run_steps(window, steps)

    def _run_steps(self, window, steps) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtCore import QTimer

        if not steps:
            self._quit(window)
            return
        name, action = steps[0]
        began = time.monotonic()
        action()

        def wait() -> None:
            if _settled(window):
                # A row on screen shows its text: the view was painted from the model.
                window.table.viewport().repaint()
                shown = window.proxy.index(0, 1).data() if window.proxy.rowCount() else ""
                took, count = time.monotonic() - began, window.proxy.rowCount()
                self._event(f"{name} in {took:.3f} s ({count} rows, first {shown!r})")
                self._run_steps(window, steps[1:])
            else:
                QTimer.singleShot(5, wait)

        QTimer.singleShot(0, wait)

    def _event(self, text: str) -> None:
        self._events.append((text, round(time.monotonic() - _STARTED, 3)))

    def _quit(self, window) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        self._steps = []
        self._event("done")

        def leave() -> None:
            self._on_report()
            self._tick.stop()  # closing waits for the workers: no stall of the running window
            self._last = float("inf")
            window.shutdown()
            QApplication.exit(0)

        QTimer.singleShot(0, leave)


def _settled(window) -> bool:  # type: ignore[no-untyped-def]
    # (getattr: the same probe measures the table model this one replaced.)
    return window.model.is_settled() and getattr(window.proxy, "is_settled", lambda: True)()


def _success():  # type: ignore[no-untyped-def]
    from cosdesk.engine.task import TaskState

    return TaskState.SUCCESS


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _model_bytes(model, proxy) -> int:  # type: ignore[no-untyped-def]
    """What the table's compact columns and orders hold (their buffers)."""
    rows = getattr(model, "rows", None)
    if rows is None:  # the table model this one replaced
        return 0
    parts = [
        rows.ids,
        rows.states,
        rows.flags,
        rows.sizes,
        rows.sent,
        rows._key_bytes,
        rows._key_starts,
        rows._key_lengths,
        rows.index._table,
        model._live,
        model._message_ids,
        proxy._order,
    ]
    if model.match_column is not None:
        parts.append(model.match_column)
    if proxy._keys is not None:
        parts.append(proxy._keys)
    return sum(sys.getsizeof(part) for part in parts)
