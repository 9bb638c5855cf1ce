"""Watched folders against the local server: files written into a watched folder
are uploaded once they settle, complete and once; the folder's patterns decide
which; the list of watched folders survives a restart and catches up with what
changed meanwhile."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.engine_queue import Engine

from cosdesk.engine.folder_watch import WatchState
from cosdesk.engine.options import EndpointSpec
from cosdesk.engine.sync_record import SyncRecord
from cosdesk.engine.task import TaskState
from cosdesk.engine.watch_catch_up import SyncCatchUp
from cosdesk.engine.watch_list import FILE_NAME, WatchedFolder, WatchTarget, load_watch_list
from cosdesk.engine.watched_folders import WatchedFolders

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()


@pytest.fixture
def watches(engine: Engine, tmp_path: Path) -> Iterator[Callable[..., WatchedFolders]]:
    """``watches(settle_s=..., compare=...)``: watched folders on the engine's
    queue, kept in the test's config folder, their uploads recorded in one sync
    record (as the window's are), catching up by comparing with the bucket when
    ``compare`` (else by modification time); each is shut down after the test."""
    made: list[WatchedFolders] = []
    record = SyncRecord(tmp_path / "sync-record.sqlite3")

    def make(settle_s: float = 0.3, compare: bool = False) -> WatchedFolders:
        planner = SyncCatchUp(engine.queue, record) if compare else None
        folders = WatchedFolders(
            engine.queue,
            tmp_path / "config" / FILE_NAME,
            settle_s=settle_s,
            plan_catch_up=planner,
            synced=record,
        )
        made.append(folders)
        return folders

    yield make
    for folders in made:
        folders.shutdown()
    record.close()


def target(sandbox: Any, prefix: str = "watched/") -> WatchTarget:
    return WatchTarget(BUCKET, prefix, EndpointSpec(REGION, url=sandbox.endpoint, path_style=True))


def object_bytes(sandbox: Any, key: str) -> bytes | None:
    record = sandbox.storage.get_object(BUCKET, key)
    if record is None:
        return None
    return Path(sandbox.storage.data_path(record.data_id)).read_bytes()


def keys_put(ledger: Any) -> list[str]:
    """The key of each upload begun: a PUT Object, or a multipart upload initiated."""
    return [
        request.key
        for request in ledger.requests()
        if request.status == 200
        and (request.is_object_put or (request.method == "POST" and "uploads" in request.params))
    ]


def wait_uploaded(engine: Engine, keys: set[str], timeout_s: float = 20) -> None:
    """Wait until a successful task exists for each of ``keys``."""

    def done() -> bool:
        succeeded = {s.key for s in engine.snapshots().values() if s.state is TaskState.SUCCESS}
        return keys <= succeeded

    engine.qtbot.waitUntil(done, timeout=int(timeout_s * 1000))


def test_a_file_written_slowly_over_3_s_is_uploaded_once_and_complete(
    sandbox: Any, engine: Engine, watches: Callable[..., WatchedFolders], tmp_path: Path
) -> None:
    ledger = sandbox.record_requests()
    folder = tmp_path / "drop"
    folder.mkdir()
    watched = watches(settle_s=1.0)
    watch = watched.watch(WatchedFolder(str(folder), target(sandbox)))
    chunks = [bytes([number]) * 65536 for number in range(12)]
    written = threading.Event()

    def write_slowly() -> None:
        # 12 writes a quarter of a second apart: 3 s (three settle times), each gap well under one.
        with (folder / "video.bin").open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                handle.flush()
                time.sleep(0.25)
        written.set()

    writer = threading.Thread(target=write_slowly)
    writer.start()
    try:
        engine.qtbot.waitUntil(written.is_set, timeout=10_000)
        assert keys_put(ledger) == [], "uploaded while it was still being written"
        wait_uploaded(engine, {"watched/video.bin"})
    finally:
        writer.join()
    engine.qtbot.wait(1500)  # a second upload would come within a settle time
    assert keys_put(ledger) == ["watched/video.bin"]
    assert object_bytes(sandbox, "watched/video.bin") == b"".join(chunks)
    engine.qtbot.waitUntil(lambda: watch.record.uploaded == 1)
    assert len(engine.snapshots()) == 1


def test_a_file_changed_after_its_upload_is_uploaded_again(
    sandbox: Any, engine: Engine, watches: Callable[..., WatchedFolders], tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    watch = watches().watch(WatchedFolder(str(folder), target(sandbox)))
    engine.qtbot.waitUntil(lambda: watch.state is WatchState.WATCHING and watch._system_watch is not None)
    (folder / "notes.txt").write_text("first")
    wait_uploaded(engine, {"watched/notes.txt"})
    (folder / "notes.txt").write_text("second, longer")
    engine.qtbot.waitUntil(lambda: watch.record.uploaded == 2, timeout=20_000)
    assert object_bytes(sandbox, "watched/notes.txt") == b"second, longer"


def test_the_folders_patterns_decide_and_deletes_upload_nothing(
    sandbox: Any, engine: Engine, watches: Callable[..., WatchedFolders], tmp_path: Path
) -> None:
    ledger = sandbox.record_requests()
    folder = tmp_path / "project"
    (folder / "build").mkdir(parents=True)
    (folder / ".cosignore").write_text("*.part\n*.log\n")
    watch = watches().watch(
        WatchedFolder(str(folder), target(sandbox, "site/"), excludes=("build/",), includes=())
    )
    engine.qtbot.waitUntil(lambda: watch._system_watch is not None)
    (folder / "index.html").write_text("<h1>hi</h1>")
    (folder / "debug.log").write_text("noise")
    (folder / "build" / "out.o").write_bytes(b"\0" * 10)
    (folder / "scratch.txt").write_text("gone soon")
    (folder / "scratch.txt").unlink()
    # Saved as a temporary name, then renamed: the new name is what is uploaded.
    (folder / "report.pdf.part").write_bytes(b"%PDF-1.7")
    os.rename(folder / "report.pdf.part", folder / "report.pdf")
    wait_uploaded(engine, {"site/index.html", "site/report.pdf"})
    engine.qtbot.wait(800)  # anything else would settle meanwhile
    assert sorted(keys_put(ledger)) == ["site/index.html", "site/report.pdf"]
    engine.qtbot.waitUntil(lambda: watch.record.uploaded == 2)


def test_watched_folders_survive_a_restart_and_catch_up_with_what_changed_meanwhile(
    sandbox: Any, engine: Engine, watches: Callable[..., WatchedFolders], tmp_path: Path
) -> None:
    ledger = sandbox.record_requests()
    watched_folder, paused_folder = tmp_path / "photos", tmp_path / "paused"
    watched_folder.mkdir()
    paused_folder.mkdir()
    first = watches()
    watch = first.watch(WatchedFolder(str(watched_folder), target(sandbox, "photos/")))
    paused = first.watch(WatchedFolder(str(paused_folder), target(sandbox, "paused/")))
    first.pause(paused.record.watch_id)
    engine.qtbot.waitUntil(lambda: watch._system_watch is not None)
    (watched_folder / "before.jpg").write_bytes(b"jpeg 1")
    wait_uploaded(engine, {"photos/before.jpg"})
    # The count follows the queue's finish event, which may come after the row's state.
    engine.qtbot.waitUntil(lambda: watch.record.uploaded == 1 and watch.record.seen_until > 0)
    first.shutdown()

    kept = {record.folder: record for record in load_watch_list(tmp_path / "config" / FILE_NAME)}
    assert kept[str(watched_folder)].uploaded == 1
    assert kept[str(watched_folder)].target.prefix == "photos/"
    assert kept[str(paused_folder)].paused
    # While nothing runs: a new file, and one in the paused folder. Their times
    # are set past the margin a restart allows for coarse file system clocks.
    later = time.time() + 5
    (watched_folder / "while-closed.jpg").write_bytes(b"jpeg 2")
    os.utime(watched_folder / "while-closed.jpg", (later, later))
    (paused_folder / "ignored.txt").write_text("not while paused")

    second = watches()
    second.load()
    again = {w.record.folder: w for w in second.watches()}
    assert again[str(paused_folder)].state is WatchState.PAUSED
    wait_uploaded(engine, {"photos/while-closed.jpg"})
    engine.qtbot.wait(800)
    assert sorted(keys_put(ledger)) == ["photos/before.jpg", "photos/while-closed.jpg"]
    engine.qtbot.waitUntil(lambda: again[str(watched_folder)].record.uploaded == 2)


def test_a_missing_folder_says_so_and_is_watched_once_it_is_there(
    sandbox: Any, engine: Engine, watches: Callable[..., WatchedFolders], tmp_path: Path
) -> None:
    folder = tmp_path / "usb-stick"
    watch = watches().watch(WatchedFolder(str(folder), target(sandbox, "stick/")))
    engine.qtbot.waitUntil(lambda: watch.state is WatchState.MISSING)
    folder.mkdir()
    (folder / "a.txt").write_text("plugged in")
    engine.qtbot.waitUntil(lambda: watch.state is WatchState.WATCHING, timeout=5000)
    wait_uploaded(engine, {"stick/a.txt"})


def test_a_restart_compares_with_the_bucket_and_uploads_what_is_missing_whatever_its_time(
    sandbox: Any, engine: Engine, watches: Callable[..., WatchedFolders], tmp_path: Path
) -> None:
    """A file copied in with its old modification time kept (cp -p, an unzip)
    while cosdesk did not run: only a comparison with the bucket finds it."""
    ledger = sandbox.record_requests()
    folder = tmp_path / "photos"
    folder.mkdir()
    first = watches(compare=True)
    watch = first.watch(WatchedFolder(str(folder), target(sandbox, "photos/")))
    engine.qtbot.waitUntil(lambda: watch._system_watch is not None)
    (folder / "before.jpg").write_bytes(b"jpeg 1")
    wait_uploaded(engine, {"photos/before.jpg"})
    first.shutdown()
    (folder / "copied.jpg").write_bytes(b"jpeg from a camera card")
    a_year_ago = time.time() - 365 * 24 * 3600
    os.utime(folder / "copied.jpg", (a_year_ago, a_year_ago))

    second = watches(compare=True)
    second.load()
    wait_uploaded(engine, {"photos/copied.jpg"})
    engine.qtbot.wait(800)
    assert sorted(keys_put(ledger)) == ["photos/before.jpg", "photos/copied.jpg"]
    assert object_bytes(sandbox, "photos/copied.jpg") == b"jpeg from a camera card"


def test_a_restart_does_not_queue_again_a_file_whose_upload_is_still_in_the_queue(
    sandbox: Any, engine: Engine, watches: Callable[..., WatchedFolders], tmp_path: Path
) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    engine.queue.set_bandwidth_limit(100_000)  # 30 s: still running at the restart
    first = watches(compare=True)
    watch = first.watch(WatchedFolder(str(folder), target(sandbox, "videos/")))
    engine.qtbot.waitUntil(lambda: watch._system_watch is not None)
    (folder / "long.mp4").write_bytes(b"v" * 3 * 1024 * 1024)
    engine.qtbot.waitUntil(lambda: len(engine.snapshots()) == 1, timeout=10_000)
    first.shutdown()

    second = watches(compare=True)
    second.load()
    engine.qtbot.waitUntil(lambda: second.watches()[0]._system_watch is not None)
    engine.qtbot.wait(1000)  # the catch-up's files would have settled and been queued
    (task,) = engine.snapshots().values()
    assert task.key == "videos/long.mp4"
    assert not task.state.is_final, "the test needs the upload still running"


def test_files_a_watch_uploaded_are_in_the_sync_record_so_a_restart_skips_them_unread(
    sandbox: Any, engine: Engine, watches: Callable[..., WatchedFolders], tmp_path: Path
) -> None:
    """The uploads of a watch are recorded as a sync's are (size and time as
    handed on, CRC-64 and ETag of the object): the restart's comparison with the
    bucket skips them on the listing alone. Unrecorded, each cost a HEAD and a
    read of the whole file at every start."""
    folder = tmp_path / "photos"
    folder.mkdir()
    first = watches(compare=True)
    watch = first.watch(WatchedFolder(str(folder), target(sandbox, "photos/")))
    engine.qtbot.waitUntil(lambda: watch._system_watch is not None)
    for number in range(3):
        (folder / f"{number}.jpg").write_bytes(os.urandom(5000 + number))
    wait_uploaded(engine, {f"photos/{number}.jpg" for number in range(3)})
    # The watch has heard of each upload's end (its count): recorded when shut down.
    engine.qtbot.waitUntil(lambda: watch.record.uploaded == 3)
    first.shutdown()
    record = SyncRecord(tmp_path / "sync-record.sqlite3")
    try:
        kept = record.entries_under(target(sandbox).endpoint, BUCKET, "photos/")
    finally:
        record.close()
    assert sorted(kept) == [f"photos/{number}.jpg" for number in range(3)]
    for key, entry in kept.items():
        info = (folder / key.removeprefix("photos/")).stat()
        stored = sandbox.storage.get_object(BUCKET, key)
        assert (entry.size, entry.mtime_ns) == (info.st_size, info.st_mtime_ns)
        assert entry.crc64 is not None and str(entry.crc64) == str(stored.crc64)

    ledger = sandbox.record_requests()
    second = watches(compare=True)
    second.load()
    listed = lambda: any(r.method == "GET" and r.key == "" for r in ledger.requests())  # noqa: E731
    engine.qtbot.waitUntil(listed)
    engine.qtbot.wait(800)  # time for any HEAD or upload the comparison would send
    assert [(r.method, r.key) for r in ledger.requests() if r.key] == []


def test_an_upload_that_ends_as_the_window_quits_is_in_the_sync_record(
    sandbox: Any,
    engine: Engine,
    watches: Callable[..., WatchedFolders],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Quitting stops the watches, then the queue: a small file whose answer comes
    while the queue stops is uploaded, and the watch hears of it only from the
    events the stopped queue delivers. It used to have closed its record by then,
    so the next start paid a HEAD and a read for that file."""
    folder = tmp_path / "photos"
    folder.mkdir()
    answer_held, answer_goes = threading.Event(), threading.Event()
    commit_object = sandbox.storage.commit_object

    def commit_when_let(bucket: str, key: str, *args: Any, **kwargs: Any) -> Any:
        if key == "photos/late.jpg":
            answer_held.set()
            answer_goes.wait(10)
        return commit_object(bucket, key, *args, **kwargs)

    monkeypatch.setattr(sandbox.storage, "commit_object", commit_when_let)
    folders = watches(compare=True)
    watch = folders.watch(WatchedFolder(str(folder), target(sandbox, "photos/")))
    engine.qtbot.waitUntil(lambda: watch._system_watch is not None)
    (folder / "late.jpg").write_bytes(os.urandom(5000))
    engine.qtbot.waitUntil(answer_held.is_set, timeout=10_000)  # sent; its answer waits

    # Quitting, as the window's session does, the answer coming meanwhile.
    threading.Timer(0.3, answer_goes.set).start()
    folders.shutdown_with_queue()

    (late,) = engine.snapshots().values()
    assert late.state is TaskState.SUCCESS, "the test needs the upload to end as the queue stopped"
    record = SyncRecord(tmp_path / "sync-record.sqlite3")
    try:
        kept = record.entries_under(target(sandbox).endpoint, BUCKET, "photos/")
    finally:
        record.close()
    assert list(kept) == ["photos/late.jpg"]
    assert kept["photos/late.jpg"].size == 5000
