"""Load: thousands of queued small files complete against the local server with
bounded memory, and the GUI thread (the Qt loop driving the queue) never stalls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.load import run_small_files

from cosdesk.cos.client import CosClient

FILES = 2_000  # tests/bench/test_soak.py runs 10,000
RSS_GROWTH_BOUND_MIB = 120
MAX_GAP_BOUND_MS = 100


def test_2000_small_files_complete_with_bounded_memory_and_a_responsive_gui_thread(
    qtbot: Any, make_engine: Any, sandbox: Any, tmp_path: Path, cos: CosClient
) -> None:
    engine = make_engine(sandbox.endpoint)
    figures = run_small_files(qtbot, engine, tmp_path / "many", FILES, timeout_s=180)
    assert figures["all_success"] == 1.0
    stored = sum(1 for _ in cos.iter_objects("examplebucket-1250000000", prefix="load/"))
    assert stored == FILES
    print(
        f"\nload: {FILES} small files in {figures['elapsed_s']:.1f} s, {FILES}/{FILES} on the server, "
        f"RSS +{figures['rss_growth_mib']:.0f} MiB (bound {RSS_GROWTH_BOUND_MIB}) from "
        f"{figures['rss_before_mib']:.0f} MiB, GUI thread max gap {figures['max_gap_ms']:.0f} ms "
        f"(bound {MAX_GAP_BOUND_MS})"
    )
    assert figures["rss_growth_mib"] < RSS_GROWTH_BOUND_MIB
    assert figures["max_gap_ms"] < MAX_GAP_BOUND_MS
