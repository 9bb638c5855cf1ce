"""What a command's summary counts (cli_progress.py), over a real queue and a real
network fault: every file once, as uploaded, failed or unfinished."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.tcp_proxy import TcpProxy

from cosdesk.cli_progress import ProgressDisplay
from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.task import TaskState

BUCKET = "examplebucket-1250000000"


@pytest.fixture
def silent_server() -> Iterator[socket.socket]:
    """Takes connections and never answers: a request sent there waits."""
    server = socket.create_server(("127.0.0.1", 0), backlog=16)
    try:
        yield server
    finally:
        server.close()


def test_a_failed_file_whose_automatic_retry_has_begun_is_counted_once(
    make_engine: Any, silent_server: socket.socket, tmp_path: Path
) -> None:
    with TcpProxy(silent_server.getsockname()[1]) as proxy:
        proxy.cut()  # first the network is gone: the file fails at once
        engine = make_engine(
            endpoint=proxy.endpoint, client_timeout_s=3, network_retry_delays_s=(0.3,), file_parallel_limit=1
        )
        out = io.StringIO()
        display = ProgressDisplay(engine.queue, out, quiet=True)
        source = tmp_path / "report.pdf"
        source.write_bytes(b"%PDF" * 250)
        (task_id,) = engine.queue.add_files([FileToAdd(str(source), "report.pdf")], BUCKET)
        engine.wait_states([task_id], {TaskState.ERROR})
        # Back, but nothing answers: the automatic retry starts and waits there,
        # as the rest of a big run did while the summary was counted.
        proxy.restore()
        engine.wait_states([task_id], {TaskState.CHECKING, TaskState.UPLOADING}, timeout_s=10)

        # As `cosdesk upload` ends (upload_cli.run_engine): the queue stops, then counts.
        engine.queue.shutdown(wait=True)
        engine.queue.deliver_events()
        display.count_totals()
        display.finish(False, 1.0, "cosdesk tasks resume --batch 1")
    summary = out.getvalue().splitlines()[-1]
    # The old count said "0 uploaded, 1 failed, 1 unfinished": two files of one.
    assert summary.startswith("0 uploaded, 1 failed; 0 B of 1000 B in "), summary
