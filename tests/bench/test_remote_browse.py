"""Browsing a folder of 200,000 objects in the remote pane's model, every page to
the end (on demand: python -m pytest tests/bench/test_remote_browse.py -s).

The model sits under a real QTableView that is scrolled to its bottom whenever a
page has arrived, as a person holding End would; the local server lists from
its own process's threads (in this process: the figures include its share of
the GIL). Prints the time to the first page, to the last, each page's time
(median and worst) and how much the process's resident memory grew; asserts every key arrived
once, in order, and the first page within a second.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import psutil
from PySide6.QtWidgets import QTableView
from support.big_bucket import BIG_COUNT, big_bucket, photo_key, remote_model

FIRST_PAGE_GOAL_S = 1.0


def test_every_page_of_a_200000_object_folder(qtbot: Any, tmp_path: Path) -> None:
    with big_bucket(tmp_path / "cos") as server, remote_model(server) as (model, location):
        view = QTableView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.resize(600, 400)
        view.show()
        page_times: list[float] = []
        last_page = [time.perf_counter()]

        def on_page(_rows: int, _more: bool) -> None:
            now = time.perf_counter()
            page_times.append(now - last_page[0])
            last_page[0] = now
            view.scrollToBottom()  # the view asks for the next page (canFetchMore/fetchMore)

        model.page_loaded.connect(on_page)
        process = psutil.Process()
        rss_before = process.memory_info().rss
        started = time.perf_counter()
        last_page[0] = started
        model.show(location)
        qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=10_000)
        first_s = time.perf_counter() - started
        qtbot.waitUntil(lambda: not model.has_more() and not model.is_loading(), timeout=300_000)
        total_s = time.perf_counter() - started
        rss_grown = process.memory_info().rss - rss_before

        # Every photo, then the sub-folder; the folder's own marker is not a row.
        assert model.rowCount() == BIG_COUNT + 1
        assert model.entry(0).key == photo_key(0) and model.entry(BIG_COUNT - 1).key == photo_key(
            BIG_COUNT - 1
        )
        assert model.entry(BIG_COUNT).is_folder
        print(
            f"\n200,000 objects: first page {first_s * 1000:.0f} ms, all {len(page_times)} pages "
            f"{total_s:.1f} s; a page median {statistics.median(page_times) * 1000:.0f} ms, "
            f"worst {max(page_times) * 1000:.0f} ms; resident memory grew {rss_grown / 2**20:.1f} MiB"
        )
        assert first_s < FIRST_PAGE_GOAL_S
