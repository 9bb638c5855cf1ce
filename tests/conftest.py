"""Fixtures shared by every test tree: the local COS server on a free port, test credentials."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
