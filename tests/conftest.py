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
