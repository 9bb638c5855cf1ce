"""The remote pane's model over a folder of 200,000 objects on the local server:
it opens after one page, pages as the real view scrolls, and filters by name
without reading the folder. (Every page to the end: tests/bench/test_remote_browse.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView
from support.big_bucket import (
    BIG_FOLDER,
    OUTSIDE_KEY,
    big_bucket,
    photo_key,
    remote_model,
)

from cosdesk.sandbox.server import SandboxServer
from cosdesk.ui.remote_model import PAGE_SIZE, RemoteColumn


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with big_bucket(tmp_path_factory.mktemp("big") / "cos") as running:
        yield running


def listings(qtbot: Any, ledger: Any, expected: int) -> int:
    """The listings the server answered, once it has noted ``expected`` (it notes
    a request after sending its answer, which the client may already have read)."""

    def count() -> int:
        return sum(1 for request in ledger.requests() if request.method == "GET")

    qtbot.waitUntil(lambda: count() >= expected, timeout=5_000)
    return count()


def test_a_folder_of_200000_objects_opens_after_one_page_and_pages_as_the_view_scrolls(
    qtbot: Any, server: SandboxServer
) -> None:
    ledger = server.record_requests()
    with remote_model(server) as (model, location):
        view = QTableView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.resize(500, 300)
        view.show()

        model.show(location)
        qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_loading(), timeout=10_000)
        # The first page's first entry is the folder's own marker, which is not a row.
        assert model.rowCount() == PAGE_SIZE - 1
        assert model.has_more() and listings(qtbot, ledger, 1) == 1
        first_names = [model.display_name(row) for row in range(3)]
        assert first_names == ["000000.jpg", "000001.jpg", "000002.jpg"]

        for pages in range(2, 6):
            view.scrollToBottom()
            qtbot.waitUntil(lambda pages=pages: model.rowCount() == pages * PAGE_SIZE - 1, timeout=10_000)
        keys = [model.entry(row).key for row in range(model.rowCount())]
        assert keys == [photo_key(number) for number in range(5 * PAGE_SIZE - 1)]
        assert listings(qtbot, ledger, 5) == 5
        # As the COS console names it; what COS said is the tooltip.
        assert model.index(0, RemoteColumn.STORAGE_CLASS).data() == "Standard-IA (infrequent access)"
        assert model.index(0, RemoteColumn.STORAGE_CLASS).data(Qt.ItemDataRole.ToolTipRole) == "STANDARD_IA"
        assert model.index(0, RemoteColumn.SIZE).data() == "0 B"


def test_the_name_filter_lists_only_names_that_start_with_it(qtbot: Any, server: SandboxServer) -> None:
    with remote_model(server) as (model, location):
        model.show(location, name_filter="0019")
        qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_loading(), timeout=10_000)
        keys = [model.entry(row).key for row in range(model.rowCount())]
        assert keys == [photo_key(number) for number in range(1900, 2000)]
        assert not model.has_more()


def test_the_bucket_root_shows_the_big_folder_as_one_row(qtbot: Any, server: SandboxServer) -> None:
    with remote_model(server) as (model, location):
        model.show(location.at(""))
        qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_loading(), timeout=10_000)
        rows = [model.entry(row) for row in range(model.rowCount())]
        assert [(entry.key, entry.is_folder) for entry in rows] == [
            (OUTSIDE_KEY.split("/")[0] + "/", True),
            (BIG_FOLDER, True),
        ]


def test_a_page_of_a_place_left_behind_is_dropped(qtbot: Any, server: SandboxServer) -> None:
    with remote_model(server) as (model, location):
        model.show(location)
        model.show(location.at(""))  # before the first page came back
        qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_loading(), timeout=10_000)
        qtbot.wait(200)
        assert model.rowCount() == 2
