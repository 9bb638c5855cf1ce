"""An upload engine on a real task database, sending to one endpoint, shut down
with everything it opened."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cosdesk.cos.auth import Credentials
from cosdesk.engine.clients import ClientCache
from cosdesk.engine.options import EndpointSpec, QueueSettings
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.store import TaskStore


@contextmanager
def engine_at(
    endpoint_url: str, database: Path, credentials: Credentials, region: str = "ap-guangzhou"
) -> Iterator[UploadQueue]:
    """An engine whose default endpoint is ``endpoint_url``, retrying quickly."""
    store = TaskStore(database)
    clients = ClientCache(credentials, timeout_s=20)
    queue = UploadQueue(
        store,
        clients,
        QueueSettings(retry_base_delay_s=0.05),
        default_endpoint=EndpointSpec(region, url=endpoint_url),
    )
    try:
        yield queue
    finally:
        queue.shutdown(wait=True)
        store.close()
        clients.close()
