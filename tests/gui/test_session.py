"""The window's services built in one place (cosdesk/ui/session.py): each task
signs with its own account's keys, settings changes reach the router and the
queue, and shutting down leaves a running upload resumable and stops the sandbox
child. Real local servers, a real task database, Qt's event loop; no window."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from support.raw_http import RawHttpServer, forward
from support.task_rows import make_row

from cosdesk import config
from cosdesk.config import Profile, Settings
from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import TaskState
from cosdesk.sandbox.server import SandboxServer
from cosdesk.ui.accounts import SANDBOX_BUCKET, endpoint_for, sandbox_endpoint_spec
from cosdesk.ui.sandbox_runner import SandboxState
from cosdesk.ui.session import Session

REGION = "ap-guangzhou"
WORK = Credentials("AKIDworkACCOUNT", "work-account-secret")
HOME = Credentials("AKIDhomeACCOUNT", "home-account-secret")
WORK_BUCKET = "alpha-1250000001"
HOME_BUCKET = "beta-1250000002"


class TwoAccountsOfOneRegion:
    """COS as two accounts of one region see it: each account's bucket on a server
    that knows only that account's keys, both reached at COS's own endpoint for
    the region (``http://{bucket}.cos.{region}.myqcloud.com``) through a forward
    proxy that sends each request to its bucket's server."""

    def __init__(self, root: Path) -> None:
        self.servers = {
            bucket: SandboxServer(
                root=root / bucket,
                buckets=[bucket],
                credentials={keys.secret_id: keys.secret_key},
                region=REGION,
            ).start()
            for bucket, keys in ((WORK_BUCKET, WORK), (HOME_BUCKET, HOME))
        }
        self.proxy = RawHttpServer(self._relay)

    def _relay(self, request: bytes) -> bytes:
        # "PUT http://alpha-1250000001.cos.ap-guangzhou.myqcloud.com/key HTTP/1.1": on to
        # the bucket's server as "PUT /key HTTP/1.1", its signed Host header kept.
        method, target, rest = request.split(b" ", 2)
        host, _, path = target.removeprefix(b"http://").partition(b"/")
        bucket = host.decode().split(".", 1)[0]
        port = int(self.servers[bucket].endpoint.rsplit(":", 1)[1])
        return forward(b" ".join([method, b"/" + path, rest]), port)

    def object(self, bucket: str, keys: Credentials, key: str) -> bytes:
        endpoint = Endpoint.custom(self.servers[bucket].endpoint, path_style=True, region=REGION)
        with CosClient(keys, endpoint, trust_env=False) as client:
            return client.get_object(bucket, key).content

    def close(self) -> None:
        self.proxy.close()
        for server in self.servers.values():
            server.stop()


@pytest.fixture
def two_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TwoAccountsOfOneRegion]:
    cos = TwoAccountsOfOneRegion(tmp_path / "cos")
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", cos.proxy.endpoint)
    yield cos
    cos.close()


@pytest.fixture
def make_session(tmp_path: Path, qtbot: Any) -> Iterator[Any]:
    """Makes Sessions on the test's task database and shuts each down at the end."""
    sessions: list[Session] = []

    def opener(settings: Settings, **kwargs: Any) -> Session:
        session = Session(TaskStore(tmp_path / "tasks.sqlite3", background=True), settings, **kwargs)
        sessions.append(session)
        return session

    yield opener
    for session in sessions:
        session.shutdown()


def sandbox_children() -> list[psutil.Process]:
    """This process's ``cosdesk serve`` children still running."""
    children = psutil.Process().children()
    return [child for child in children if child.is_running() and "serve" in child.cmdline()]


def cos_account(name: str, bucket: str) -> Profile:
    """An account with no custom endpoint: its uploads go to COS's endpoint for the region."""
    return Profile(name, region=REGION, bucket=bucket, use_https=False)


def wait_ended(qtbot: Any, session: Session, task_ids: list[str], timeout_s: float = 20) -> None:
    """Until each task is done, canceled or failed."""
    ended = (TaskState.SUCCESS, TaskState.CANCELED, TaskState.ERROR)

    def all_ended() -> bool:
        return all(
            (snap := session.queue.task(task_id)) is not None and snap.state in ended for task_id in task_ids
        )

    qtbot.waitUntil(all_ended, timeout=int(timeout_s * 1000))


@pytest.mark.parametrize("active", ["work", "home"])
def test_two_accounts_of_one_region_each_upload_with_their_own_keys(
    two_accounts: TwoAccountsOfOneRegion, make_session: Any, qtbot: Any, tmp_path: Path, active: str
) -> None:
    work, home = cos_account("work", WORK_BUCKET), cos_account("home", HOME_BUCKET)
    assert endpoint_for(work).without_profile() == endpoint_for(home).without_profile()  # one endpoint
    config.store_credentials("work", WORK)
    config.store_credentials("home", HOME)
    session = make_session(Settings(profiles={"work": work, "home": home}, active_profile=active))
    (tmp_path / "report.txt").write_bytes(b"the work account's report")
    (tmp_path / "photo.txt").write_bytes(b"the home account's photo")

    work_task = session.queue.add_file(
        tmp_path / "report.txt", WORK_BUCKET, "report.txt", endpoint=endpoint_for(work)
    )
    home_task = session.queue.add_file(
        tmp_path / "photo.txt", HOME_BUCKET, "photo.txt", endpoint=endpoint_for(home)
    )
    wait_ended(qtbot, session, [work_task, home_task])

    # Each server knows one account's keys only: a task signed with the other's fails.
    outcome = {snap.key: snap.state for snap in map(session.queue.task, (work_task, home_task)) if snap}
    assert outcome == {"report.txt": TaskState.SUCCESS, "photo.txt": TaskState.SUCCESS}
    assert two_accounts.object(WORK_BUCKET, WORK, "report.txt") == b"the work account's report"
    assert two_accounts.object(HOME_BUCKET, HOME, "photo.txt") == b"the home account's photo"


def test_an_account_added_in_settings_signs_its_uploads_at_once(
    two_accounts: TwoAccountsOfOneRegion, make_session: Any, qtbot: Any, tmp_path: Path
) -> None:
    work = cos_account("work", WORK_BUCKET)
    config.store_credentials("work", WORK)
    session = make_session(Settings(profiles={"work": work}, active_profile="work"))
    home = cos_account("home", HOME_BUCKET)
    config.store_credentials("home", HOME)
    session.use_settings(Settings(profiles={"work": work, "home": home}, active_profile="work"))
    (tmp_path / "photo.txt").write_bytes(b"photo")

    task_id = session.queue.add_file(
        tmp_path / "photo.txt", HOME_BUCKET, "photo.txt", endpoint=endpoint_for(home)
    )
    wait_ended(qtbot, session, [task_id])

    snap = session.queue.task(task_id)
    assert snap is not None and (snap.state, snap.error) == (TaskState.SUCCESS, None)


def test_settings_give_the_queue_their_limits(make_session: Any) -> None:
    session = make_session(Settings())
    limits = config.Transfers(parallel_files=5, bandwidth_limit_bytes_per_s=2_000_000)
    session.use_settings(Settings(transfers=limits))
    assert session.queue.settings.file_parallel_limit == 5
    assert session.queue.limiter.limit_bytes_per_s == 2_000_000


def test_shutdown_keeps_a_running_upload_resumable_and_stops_the_sandbox_child(
    make_session: Any, qtbot: Any, tmp_path: Path
) -> None:
    session = make_session(Settings())
    started: list[str] = []
    session.sandbox.started.connect(started.append)
    assert session.start_sandbox()
    qtbot.waitUntil(lambda: bool(started), timeout=30_000)
    endpoint = started[0]
    session.sandbox_listening(endpoint)
    # Four 1 MiB parts at 1 MB/s: still running when the session shuts down.
    session.queue.set_bandwidth_limit(1_000_000)
    (tmp_path / "big.bin").write_bytes(os.urandom(4 * 1024 * 1024))
    spec = sandbox_endpoint_spec(endpoint)
    task_id = session.queue.add_file(tmp_path / "big.bin", SANDBOX_BUCKET, "big.bin", endpoint=spec)
    qtbot.waitUntil(
        lambda: (s := session.queue.task(task_id)) is not None and s.parts_done >= 1, timeout=20_000
    )
    assert session.sandbox_has_unfinished_tasks()
    assert len(sandbox_children()) == 1

    session.shutdown()

    assert session.sandbox.state is SandboxState.STOPPED
    assert sandbox_children() == []
    # The next start finds it unfinished, with its upload and the parts it sent.
    next_start = make_session(Settings())
    assert next_start.queue.restore(resume=False) == [task_id]
    restored = next_start.queue.task(task_id)
    assert restored is not None and not restored.state.is_final
    assert restored.upload_id is not None and restored.parts_done >= 1


def test_quitting_behind_a_backlog_of_writes_says_so_and_keeps_every_one(open_window: Any) -> None:
    driver = open_window(start_sandbox=False)
    window = driver.window
    store = window.session.store
    shown: list[str] = []
    window.statusBar().messageChanged.connect(shown.append)
    # The writer is busy (a slow disk), while changes queue up behind it.
    store.write_in_order(lambda db: time.sleep(1.5))
    rows = [make_row(f"t{number}", number, state=TaskState.PAUSED) for number in range(2000)]
    store.insert_tasks(rows)
    for row in rows:
        store.save_fields([row.spec.task_id], state=TaskState.ERROR)
    path = store.path

    window.shutdown()

    assert any(text.startswith("Saving the task list before quitting") for text in shown), shown
    reopened = TaskStore(path)
    assert [item.status.state for item in reopened.load_tasks()] == [TaskState.ERROR] * len(rows)
    reopened.close()
