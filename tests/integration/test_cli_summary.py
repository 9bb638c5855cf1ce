"""What a command's summary counts (cli_progress.py), over a real queue and a real
network fault: every file once, as uploaded, failed or unfinished."""

from __future__ import annotations

import io
import logging
import re
import shlex
import socket
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from support.logging_state import LoggingState
from support.task_rows import store_waiting_files
from support.tcp_proxy import TcpProxy
from support.window_driver import PROFILE, save_profile

from cosdesk import cli, upload_cli
from cosdesk.cli_progress import ProgressDisplay
from cosdesk.engine import options
from cosdesk.engine import task as task_module
from cosdesk.engine.options import EndpointSpec
from cosdesk.engine.queue import FileToAdd
from cosdesk.engine.task import TaskState

BUCKET = "examplebucket-1250000000"


@pytest.fixture
def logging_put_back() -> Iterator[None]:
    """``cli.main`` sets up cosdesk's logging for the process; later tests must not
    inherit it (its redaction rewrote another test's captured records)."""
    before = LoggingState(logging.getLogger())
    yield
    before.restore()


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


def test_a_log_of_the_command_says_when_the_server_stops_answering(
    make_engine: Any, silent_server: socket.socket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain output (a log, a pipe) gets a line per 10% step. A file sent whole
    waiting on a silent server is at 100% of its bytes: the log said nothing
    more for minutes, where a terminal's line says "no answer"."""
    monkeypatch.setattr(task_module, "UNANSWERED_AFTER_S", 0.3)
    engine = make_engine(endpoint=f"http://127.0.0.1:{silent_server.getsockname()[1]}", client_timeout_s=30)
    out = io.StringIO()  # not a terminal: plain lines
    display = ProgressDisplay(engine.queue, out, quiet=False)
    source = tmp_path / "minutes.txt"
    source.write_bytes(b"the board met at nine\n" * 40)
    engine.queue.add_files([FileToAdd(str(source), "minutes.txt")], BUCKET)
    engine.qtbot.waitUntil(lambda: "no answer from the server for" in out.getvalue(), timeout=5000)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("100.0%  880 B / 880 B")  # the bytes went out at once
    assert re.fullmatch(r"100\.0%  880 B / 880 B  no answer from the server for 0:0\d  files 0/1", lines[-1])
    engine.clients(engine.queue.default_endpoint).stop_requests()
    engine.queue.shutdown(wait=True)
    del display  # its slots heard the queue until here


def test_a_request_ended_by_quitting_leaves_its_file_unfinished_not_failed(
    make_engine: Any, silent_server: socket.socket, tmp_path: Path
) -> None:
    """The window ends the requests that wait on a silent network as it quits, its
    look in the bucket's first, while an upload's job still runs (its queue
    stops next). That file is unfinished, to resume; it did not fail."""
    engine = make_engine(endpoint=f"http://127.0.0.1:{silent_server.getsockname()[1]}", client_timeout_s=30)
    source = tmp_path / "minutes.txt"
    source.write_bytes(b"the board met at nine\n" * 40)
    (task_id,) = engine.queue.add_files([FileToAdd(str(source), "minutes.txt")], BUCKET)
    engine.wait_states([task_id], {TaskState.UPLOADING})

    engine.clients(engine.queue.default_endpoint).stop_requests()
    assert engine.queue.file_pool.waitForDone(5000)  # the job has ended
    assert engine.state(task_id) is not TaskState.ERROR
    engine.queue.shutdown(wait=True)

    assert engine.state(task_id) is not TaskState.ERROR
    (stored,) = engine.store.load_some([task_id])
    assert stored.status.state in {TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING}, stored.status
    assert stored.status.error is None


def test_a_resume_counts_the_files_it_sends_as_its_own_from_the_first(
    sandbox: Any, credentials: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cosdesk tasks resume`` of a big batch: the tasks it restores rest in the
    database (a queue keeps 20,000 whole; here 10), and reading them back to count
    them took long enough for the first files to be sent meanwhile: those were
    counted as uploaded, and again as finished by another cosdesk process."""
    count = 3000
    endpoint = EndpointSpec("ap-guangzhou", url=sandbox.endpoint, path_style=True)
    db = tmp_path / "tasks.sqlite3"
    ids = store_waiting_files(db, tmp_path / "scans", count, endpoint, BUCKET)
    monkeypatch.setattr(
        options, "QueueSettings", partial(options.QueueSettings, live_task_limit=10, wake_batch=4)
    )
    out = io.StringIO()

    status = upload_cli.run_engine(
        upload_cli.Account(credentials, None, verify=True),
        db,
        parallel_files=3,
        bandwidth_limit=0,
        quiet=True,
        start=lambda queue: queue.restart(ids),
        restore=True,
        restore_ids=ids,
        out=out,
    )
    summary = out.getvalue().splitlines()[-1]
    assert status == 0, out.getvalue()
    assert summary.startswith(f"{count} uploaded, 0 failed; "), summary


def test_the_resume_command_a_run_prints_carries_the_profile_whose_keys_it_used(
    sandbox: Any,
    credentials: Any,
    memory_keyring: Any,
    logging_put_back: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`cosdesk upload --profile NAME` printed `cosdesk tasks resume --batch 1`,
    which said "no credentials": the keys were the profile's."""
    save_profile(sandbox, credentials)
    source = tmp_path / "report.txt"
    source.write_text("the quarterly report\n")
    db = str(tmp_path / "tasks.sqlite3")
    # A bucket that is not there: the file fails, and the run says how to retry it.
    destination = "cos://missing-1250000000/docs/"
    assert cli.main(["upload", str(source), destination, "--profile", PROFILE, "--db", db, "-q"]) == 1
    said = capsys.readouterr().err
    printed = re.search(r"`(cosdesk tasks resume [^`]+)`", said)
    assert printed, said
    assert f"--profile '{PROFILE}'" in printed[1]

    assert cli.main([*shlex.split(printed[1])[1:], "-q"]) == 1
    again = capsys.readouterr().err
    assert "no credentials" not in again
    assert "NoSuchBucket" in again
