"""A build writing 1,000 files at once into a watched folder (on demand:
python -m pytest tests/bench/test_watch_burst.py -s).

Prints how long after the last write every file was queued (the settle time,
2 s, plus the work of one look at each file) and uploaded, and asserts each file
was queued exactly once: the burst waits in one ordered list, not behind a
timer per file, and the event loop keeps turning meanwhile (its longest stall
is printed and held under 200 ms).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from support.engine_queue import Engine

from cosdesk.engine.folder_watch import DEFAULT_SETTLE_S
from cosdesk.engine.options import EndpointSpec
from cosdesk.engine.task import TaskState
from cosdesk.engine.watch_list import WatchedFolder, WatchTarget
from cosdesk.engine.watched_folders import WatchedFolders

FILES = 1000
BUCKET = "examplebucket-1250000000"


def test_a_burst_of_1000_files_is_queued_once_each_soon_after_it_settles(
    sandbox: Any, make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    engine = make_engine()
    folder = tmp_path / "build"
    folder.mkdir()
    watches = WatchedFolders(engine.queue, None)
    target = WatchTarget(BUCKET, "out/", EndpointSpec("ap-guangzhou", url=sandbox.endpoint, path_style=True))
    watch = watches.watch(WatchedFolder(str(folder), target))
    engine.qtbot.waitUntil(lambda: watch._system_watch is not None)
    queued: list[int] = []
    watch.files_queued.connect(queued.append)
    # The longest gap between turns of the event loop while the burst settles.
    turns = [time.monotonic()]
    longest = [0.0]

    def turn() -> None:
        now = time.monotonic()
        longest[0] = max(longest[0], now - turns[0])
        turns[0] = now

    heartbeat = QTimer()
    heartbeat.timeout.connect(turn)
    heartbeat.start(10)
    try:
        for number in range(FILES):
            (folder / f"obj{number:04}.o").write_bytes(b"x" * 1000)
        written_at = time.monotonic()
        turns[0] = written_at
        longest[0] = 0.0
        engine.qtbot.waitUntil(lambda: sum(queued) >= FILES, timeout=60_000)
        queued_after_s = time.monotonic() - written_at
        engine.qtbot.waitUntil(lambda: watch.record.uploaded >= FILES, timeout=300_000)
        uploaded_after_s = time.monotonic() - written_at
    finally:
        heartbeat.stop()
        watches.shutdown()
    keys = Counter(snapshot.key for snapshot in engine.snapshots().values())
    states = Counter(snapshot.state for snapshot in engine.snapshots().values())
    print(
        f"\n{FILES} files: all queued {queued_after_s:.2f} s after the last write "
        f"(settle time {DEFAULT_SETTLE_S} s), in {len(queued)} hand-over(s); uploaded after "
        f"{uploaded_after_s:.1f} s; longest event-loop stall {longest[0] * 1000:.0f} ms"
    )
    assert len(keys) == FILES and set(keys.values()) == {1}
    assert states == {TaskState.SUCCESS: FILES}
    assert queued_after_s < DEFAULT_SETTLE_S + 5
    assert longest[0] < 0.2
