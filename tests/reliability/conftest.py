"""Fixtures of the reliability suite (the engine itself comes from ``make_engine``
in tests/conftest.py: on the real local server, over a real SQLite database and the
real Qt event loop)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.workloads import REGION

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint


@pytest.fixture
def cos(sandbox: Any, credentials: Credentials) -> Iterator[CosClient]:
    """A client straight to the local server (no faults between), for checking."""
    client = CosClient(
        credentials, Endpoint.custom(sandbox.endpoint, path_style=True, region=REGION), timeout_s=60
    )
    yield client
    client.close()
