"""The long versions of the reliability scenarios (on demand:
``.venv/bin/python -m pytest tests/bench/test_soak.py -s``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.load import run_small_files
from support.server_process import server_process
from support.workloads import BUCKET, REGION

from cosdesk.cos.auth import Credentials

RSS_GROWTH_BOUND_MIB = 250
MAX_GAP_BOUND_MS = 100


def test_10000_small_files_with_bounded_memory_and_a_responsive_gui_thread(
    qtbot: Any, make_engine: Any, credentials: Credentials, tmp_path: Path
) -> None:
    # The server in a process of its own, as the window runs its sandbox.
    with server_process(
        tmp_path / "cos-root", BUCKET, credentials.secret_id, credentials.secret_key, REGION
    ) as server:
        # Workers and store writer in the background, as the window runs them.
        engine = make_engine(endpoint=server.endpoint, client_timeout_s=30, background_workers=True)
        figures = run_small_files(qtbot, engine.queue, tmp_path / "many", 10_000, timeout_s=900)
    print(
        f"\nsoak: 10000 small files in {figures['elapsed_s']:.1f} s, "
        f"RSS +{figures['rss_growth_mib']:.0f} MiB (bound {RSS_GROWTH_BOUND_MIB}), "
        f"GUI thread max gap {figures['max_gap_ms']:.0f} ms (bound {MAX_GAP_BOUND_MS})"
    )
    assert figures["all_success"] == 1.0
    assert figures["rss_growth_mib"] < RSS_GROWTH_BOUND_MIB
    assert figures["max_gap_ms"] < MAX_GAP_BOUND_MS
