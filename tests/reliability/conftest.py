"""Fixtures of the reliability suite: the engine on the real local server, over a
real SQLite database and the real Qt event loop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.workloads import REGION

from cosdesk.cos.auth import Credentials
from cosdesk.cos.client import CosClient
from cosdesk.cos.endpoint import Endpoint
from cosdesk.engine.clients import ClientCache
from cosdesk.engine.options import EndpointSpec, QueueSettings
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.store import TaskStore

EngineFactory = Callable[..., UploadQueue]


@pytest.fixture
def cos(sandbox: Any, credentials: Credentials) -> Iterator[CosClient]:
    """A client straight to the local server (no faults between), for checking."""
    client = CosClient(
        credentials, Endpoint.custom(sandbox.endpoint, path_style=True, region=REGION), timeout_s=60
    )
    yield client
    client.close()


@pytest.fixture
def make_engine(qtbot: Any, tmp_path: Path, credentials: Credentials) -> Iterator[EngineFactory]:
    """``make_engine(endpoint_url, settings=..., credentials=...)``: an UploadQueue
    on its own database, shut down after the test."""
    made: list[tuple[UploadQueue, TaskStore, ClientCache]] = []

    def make(
        endpoint_url: str,
        settings: QueueSettings | None = None,
        *,
        keys: Credentials | None = None,
        db: Path | None = None,
        timeout_s: float = 20,
    ) -> UploadQueue:
        settings = settings or QueueSettings(retry_base_delay_s=0.05, retry_max_delay_s=0.5)
        # As in the window: background workers come with a background store writer.
        store = TaskStore(
            db or tmp_path / f"tasks-{len(made)}.sqlite3", background=settings.background_workers
        )
        clients = ClientCache(keys or credentials, timeout_s=timeout_s)
        queue = UploadQueue(
            store,
            clients,
            settings,
            default_endpoint=EndpointSpec(REGION, url=endpoint_url),
        )
        made.append((queue, store, clients))
        return queue

    yield make
    for queue, store, clients in made:
        queue.shutdown(wait=True)
        store.close()
        clients.close()
