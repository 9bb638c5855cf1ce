"""Fixtures shared by every test tree: the local COS server on a free port, test
credentials, and upload engines (here rather than in one tree's conftest, so the
integration, reliability and bench tests make their engines the same way)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from support.engine_queue import Engine

# Qt must never need a display in tests; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TEST_BUCKET = "examplebucket-1250000000"
TEST_REGION = "ap-guangzhou"
TEST_SECRET_ID = "AKIDcosdeskTESTsecretid"
TEST_SECRET_KEY = "cosdesk-TEST-secret-key-0123456789"


@pytest.fixture
def credentials():  # type: ignore[no-untyped-def]
    from cosdesk.cos.auth import Credentials

    return Credentials(TEST_SECRET_ID, TEST_SECRET_KEY)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[object]:
    """A local COS server in this process, on 127.0.0.1 and a free port, storing
    under a temporary folder, with one bucket and one key pair."""
    from cosdesk.sandbox.server import SandboxServer

    server = SandboxServer(
        root=tmp_path / "cos-root",
        buckets=[TEST_BUCKET],
        credentials={TEST_SECRET_ID: TEST_SECRET_KEY},
        region=TEST_REGION,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_engine(
    request: pytest.FixtureRequest, qtbot: Any, tmp_path: Path, credentials: Any
) -> Iterator[Callable[..., Engine]]:
    """``make_engine(endpoint=..., db_name=..., credentials=..., path_style=...,
    client_timeout_s=..., **settings)``: an :class:`Engine` on the database
    ``tmp_path / db_name`` (engines of one test share ``tasks.sqlite3`` unless told
    otherwise), sending to ``endpoint`` (the local server unless told otherwise).
    ``settings`` are :class:`QueueSettings` fields over the queue's defaults with
    quick retries. Every engine made is shut down after the test."""
    from support.engine_queue import QUICK_RETRIES, Engine

    from cosdesk.engine.options import EndpointSpec, QueueSettings

    engines: list[Engine] = []
    test_credentials = credentials

    def make(
        *,
        endpoint: str | None = None,
        db_name: str = "tasks.sqlite3",
        credentials: Any = None,
        path_style: bool = True,
        client_timeout_s: float = 20,
        **settings: Any,
    ) -> Engine:
        if endpoint is None:
            endpoint = request.getfixturevalue("sandbox").endpoint
        engine = Engine(
            qtbot,
            tmp_path / db_name,
            credentials or test_credentials,
            EndpointSpec(TEST_REGION, url=endpoint, path_style=path_style),
            QueueSettings(**{**QUICK_RETRIES, **settings}),
            client_timeout_s=client_timeout_s,
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()
    engines.clear()
    from support.qt_cleanup import collect_on_gui_thread

    collect_on_gui_thread()


@pytest.fixture(autouse=True)
def qt_garbage_collected(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that ran a Qt event loop, its garbage is collected here, on
    the GUI thread (support/qt_cleanup.py says why), not left to a later test's
    automatic collection. A CI run died of a bus error inside such an automatic
    collection (the cause not proven; this removes the likeliest)."""
    yield
    if "qtbot" in request.fixturenames:
        from support.qt_cleanup import collect_on_gui_thread

        collect_on_gui_thread()


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config, data (the task database), logs and keyring of every test are its own."""
    monkeypatch.setenv("COSDESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("COSDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COSDESK_LOG_DIR", str(tmp_path / "log"))
    return tmp_path


@pytest.fixture(autouse=True)
def memory_keyring():  # type: ignore[no-untyped-def]
    """A keyring backend of the tests' own: the user's keyring is never touched."""
    import keyring
    from keyring.backend import KeyringBackend
    from keyring.errors import PasswordDeleteError

    class _Backend(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.passwords: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.passwords.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.passwords[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            if self.passwords.pop((service, username), None) is None:
                raise PasswordDeleteError(username)

    previous = keyring.get_keyring()
    backend = _Backend()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def log_file() -> Iterator[Path]:
    """cosdesk.log, set up as the program sets it up (in the test's own log folder)."""
    import logging

    from cosdesk.logs import setup_logging

    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    path = setup_logging()
    assert path is not None
    yield path
    for handler in list(root.handlers):
        if handler not in saved_handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(saved_level)
