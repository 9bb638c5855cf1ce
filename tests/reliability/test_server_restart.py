"""Server restart mid-batch: while the server is down every unfinished upload stops
in a clear state (error, "connection refused", an automatic retry pending); when it
is back on the same port with the same storage, they all finish by themselves,
keeping the parts they already had."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from support.workloads import (
    BUCKET,
    SECRET_ID,
    SECRET_KEY,
    MiB,
    object_matches_file,
    write_random_file,
)

from cosdesk.cos.client import CosClient
from cosdesk.engine.options import UploadOptions
from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.task import TaskState
from cosdesk.sandbox.server import SandboxServer


def test_uploads_stop_clearly_while_the_server_is_down_and_finish_when_it_is_back(
    qtbot: Any, make_engine: Any, sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    rng = random.Random(99)
    files = [
        write_random_file(tmp_path / "src" / f"s{i:02d}.bin", rng.randrange(1, 100_000), rng)
        for i in range(40)
    ]
    files += [write_random_file(tmp_path / "src" / f"big{i}.bin", 6 * MiB, rng) for i in range(3)]
    rng.shuffle(files)
    sandbox.faults.bandwidth_bytes_per_s = 3_000_000
    # The automatic retries come sooner than the defaults (2, 5, 15, 30, 60 s) to keep the test short.
    engine = make_engine(network_retry_delays_s=(1.0, 2.0, 3.0))
    started = time.monotonic()
    task_ids = engine.queue.add_files(
        # One part of a file at a time: parts sent side by side end together, so a
        # file with a part kept was about to end, and might end before the stop.
        [FileToAdd(str(p), f"restart/{p.name}") for p in files],
        BUCKET,
        UploadOptions(chunk_parallel_limit=1),
    )

    def some_done_and_a_part_kept() -> bool:
        # ... by a file with half of it still to send: over a second at this bandwidth.
        snapshots = [engine.snapshot(task_id) for task_id in task_ids]
        return sum(s.state is TaskState.SUCCESS for s in snapshots) >= 5 and any(
            s.parts_done >= 1 and s.loaded <= 3 * MiB for s in snapshots if s.state is not TaskState.SUCCESS
        )

    qtbot.waitUntil(some_done_and_a_part_kept, timeout=60_000)
    port, root = sandbox.port, sandbox.root
    sandbox.stop()
    down_at = time.monotonic()
    done_before = sum(engine.snapshot(t).state is TaskState.SUCCESS for t in task_ids)

    # Every unfinished task stops, saying why, waits to be retried, and none claims success.
    def all_waiting_for_the_network() -> bool:
        unfinished = [engine.snapshot(t) for t in task_ids]
        unfinished = [s for s in unfinished if s.state is not TaskState.SUCCESS]
        return bool(unfinished) and all(
            s.state is TaskState.ERROR and s.retry_delay_s is not None for s in unfinished
        )

    qtbot.waitUntil(all_waiting_for_the_network, timeout=60_000)
    stopped = [engine.snapshot(t) for t in task_ids if engine.snapshot(t).state is not TaskState.SUCCESS]
    assert all(s.error is not None and s.error.code == "NetworkError" for s in stopped)
    assert all(
        "connection refused" in str(s.error) and f"127.0.0.1:{port}" in str(s.error) for s in stopped
    ), str(stopped[0].error)
    assert all("waiting for the network" in s.note for s in stopped)
    kept_parts = sum(s.parts_done for s in stopped)
    assert kept_parts >= 1

    back = SandboxServer(
        root=root, port=port, buckets=[BUCKET], credentials={SECRET_ID: SECRET_KEY}, region=sandbox.region
    )
    back.start()
    try:
        down_for = time.monotonic() - down_at
        engine.wait_states(task_ids, {TaskState.SUCCESS}, timeout_s=120)
        assert [engine.snapshot(t).state for t in task_ids] == [TaskState.SUCCESS] * len(task_ids)
        assert all(object_matches_file(cos, f"restart/{p.name}", p) for p in files)
        assert list(cos.iter_multipart_uploads(BUCKET)) == []
    finally:
        back.stop()
    print(
        f"\nserver restart: {len(files)} uploads, server stopped after {done_before} finished, "
        f"{len(stopped)} stopped in error 'connection refused' keeping {kept_parts} parts, "
        f"down {down_for:.1f} s, back on port {port}, finished by themselves: "
        f"{len(files)}/{len(files)} byte-identical, "
        f"0 multipart uploads left, {time.monotonic() - started:.1f} s"
    )
