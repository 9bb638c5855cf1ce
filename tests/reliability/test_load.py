"""Load: thousands of queued small files complete against the local server with
bounded memory, and the GUI thread (the Qt loop driving the queue) never stalls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.load import run_small_files
from support.server_process import server_process

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint

FILES = 2_000  # tests/bench/test_soak.py runs 10,000
RSS_GROWTH_BOUND_MIB = 120
MAX_GAP_BOUND_MS = 100


def test_2000_small_files_complete_with_bounded_memory_and_a_responsive_gui_thread(
    qtbot: Any, make_engine: Any, credentials: Credentials, tmp_path: Path
) -> None:
    # The server in a process of its own, as the window runs its sandbox.
    bucket, region = "examplebucket-1250000000", "ap-guangzhou"
    with server_process(
        tmp_path / "cos-root", bucket, credentials.secret_id, credentials.secret_key, region
    ) as server:
        # Background workers, as the window runs them (cosdesk/engine/thread_priority.py).
        engine = make_engine(endpoint=server.endpoint, background_workers=True)
        figures = run_small_files(qtbot, engine.queue, tmp_path / "many", FILES, timeout_s=180)
        with CosClient(credentials, Endpoint.custom(server.endpoint, region=region)) as cos:
            stored = sum(1 for _ in cos.iter_objects(bucket, prefix="load/"))
    assert figures["all_success"] == 1.0
    assert stored == FILES
    print(
        f"\nload: {FILES} small files in {figures['elapsed_s']:.1f} s, {FILES}/{FILES} on the server, "
        f"RSS +{figures['rss_growth_mib']:.0f} MiB (bound {RSS_GROWTH_BOUND_MIB}) from "
        f"{figures['rss_before_mib']:.0f} MiB, GUI thread max gap {figures['max_gap_ms']:.0f} ms "
        f"(bound {MAX_GAP_BOUND_MS})"
    )
    assert figures["rss_growth_mib"] < RSS_GROWTH_BOUND_MIB
    assert figures["max_gap_ms"] < MAX_GAP_BOUND_MS
